"""Requests no client should send: every one is refused with an error body, never a 500, and
nothing half-stored breaks the answers that follow."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.guards import MAX_BODY_BYTES
from faxdesk.sandbox.testing import LocalSandbox
from faxdesk.sandbox.webhooks import Webhook, WebhookEvent, build_request
from faxdesk.sandbox.wire import MAX_ITEMS
from tests.sandbox.sandbox_support import TEST_NUMBER, pdf_file, raw_get, send

PDF_B64 = base64.b64encode(make_test_pdf(1)).decode()
LONE = "\\ud800"  # a lone surrogate, as JSON text writes it


def url(local: LocalSandbox, path: str) -> str:
    """API paths are relative to the client's base URL; the control endpoints are at the root."""
    return local.origin + path if path.startswith("/") else path


def fields_named(response: httpx.Response) -> list[str]:
    body = response.json()
    assert body["code"] == response.status_code
    return [v["field"] for d in body.get("details", []) for v in d["fieldViolations"]]


async def post_json(client: httpx.AsyncClient, path: str, text: str) -> httpx.Response:
    # Raw bytes: httpx would refuse to encode a lone surrogate itself.
    return await client.post(
        path, content=text.encode(), headers={"Content-Type": "application/json"}
    )


# -- text that is not Unicode ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (f'"headerText": "A{LONE}"', "headerText"),
        (f'"labels": {{"k{LONE}": "v"}}', "labels.k\ufffd"),
        (f'"labels": {{"k": "{LONE}"}}', "labels.k"),
        (f'"coverPageData": {{"to_name": "{LONE}"}}', "coverPageData.to_name"),
    ],
)
async def test_a_lone_surrogate_in_a_send_is_400_and_nothing_is_stored(
    client: httpx.AsyncClient, fields: str, field: str
) -> None:
    body = f'{{"to": "{TEST_NUMBER}", "files": [{{"file": "{PDF_B64}"}}], {fields}}}'
    response = await post_json(client, "faxes", body)

    assert response.status_code == 400
    assert fields_named(response) == [field]
    listed = await client.get("faxes")
    assert (listed.status_code, listed.json()["totalItems"]) == (200, 0)


async def test_a_lone_surrogate_in_a_multipart_send_is_400(client: httpx.AsyncClient) -> None:
    # A form whose charset decodes `\ud800` into a surrogate: the only way one gets through.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="to"\r\n\r\n+19898989898\r\n'
        b'--B\r\nContent-Disposition: form-data; name="headerText"\r\n\r\n\\ud800\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + make_test_pdf(1) + b"\r\n--B--\r\n"
    )
    response = await client.post(
        "faxes",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=B; charset=unicode_escape"},
    )

    assert response.status_code == 400
    assert fields_named(response) == ["headerText"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "services", f'{{"name": "Front desk {LONE}"}}'),
        ("PATCH", "services/01JSANDB0XSERV1CE000000000", f'{{"name": "{LONE}"}}'),
        ("POST", "/sandbox/inbound", f'{{"from": "+1415555{LONE}"}}'),
        ("PATCH", "/sandbox/faults", f'{{"{LONE}": 1}}'),
    ],
)
async def test_a_lone_surrogate_anywhere_else_is_400(
    local: LocalSandbox, client: httpx.AsyncClient, method: str, path: str, body: str
) -> None:
    response = await client.request(
        method,
        url(local, path),
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert "not valid Unicode" in response.json()["message"]
    services = await client.get("services")
    assert [s["name"] for s in services.json()["services"]] == ["Default service"]


async def test_a_lone_surrogate_an_older_sandbox_stored_is_served_as_a_replacement(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client)
    await local.sandbox.simulator.wait(fax["id"])
    local.sandbox.state.update_fax(fax["id"], {"headerText": "A\ud800", "labels": {"k": "\udfff"}})

    one = await client.get(f"faxes/{fax['id']}")
    listed = await client.get("faxes")
    csv = await client.get("faxes", params={"format": "csv"})

    assert (one.status_code, one.json()["headerText"]) == (200, "A\ufffd")
    assert listed.json()["faxes"][0]["labels"] == {"k": "\ufffd"}
    assert "A\ufffd" in csv.content.decode("utf-8")


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data"])
def test_a_webhook_for_such_a_fax_is_still_sent(content_type: str) -> None:
    webhook = Webhook(
        url="https://hooks.test/fax",
        content_type=content_type,
        event=WebhookEvent.FAX_COMPLETED,
        fax={"id": "01JFAX", "headerText": "A\ud800"},
        pdf=None,
        event_time=datetime(2026, 6, 15, tzinfo=UTC),
    )

    _, _, arguments = build_request(webhook)
    request = httpx.Request("POST", "https://hooks.test/fax", **arguments)

    text = request.read().decode("utf-8")  # no UnicodeEncodeError on the way
    # The JSON body writes the character, the multipart `fax` part its escape.
    assert "A\ufffd" in text or "A\\ufffd" in text


# -- what Python cannot read, and values past what SQLite can count -------------------------


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "faxes", DEEP),
        ("POST", "faxes", f'{{"to": "{TEST_NUMBER}", "maxRetries": {"1" * 5000}}}'),
        ("POST", "faxes", f'{{"to": "{TEST_NUMBER}", "maxRetries": NaN}}'),
        ("POST", "services", DEEP),
        ("PATCH", "services/01JSANDB0XSERV1CE000000000", f'{{"numberOfRetries": {"9" * 4400}}}'),
        ("POST", "/sandbox/inbound", DEEP),
        ("PATCH", "/sandbox/faults", '{"latencySeconds": Infinity}'),
    ],
)
async def test_json_that_python_cannot_read_is_400(
    local: LocalSandbox, client: httpx.AsyncClient, method: str, path: str, body: str
) -> None:
    response = await client.request(
        method,
        url(local, path),
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["message"] == "The request body is not valid JSON."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"latencySeconds": 1e999}, "latencySeconds"),  # read as infinity
        ({"errorStatuses": [{}]}, "errorStatuses"),
        ({"errorStatuses": [500.0]}, "errorStatuses"),
    ],
)
async def test_fault_settings_that_make_no_sense_are_422(
    local: LocalSandbox, client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    text = json.dumps(body).replace("Infinity", "1e999")
    response = await client.patch(
        url(local, "/sandbox/faults"), content=text, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert fields_named(response) == [field]
    assert (await client.get(url(local, "/sandbox/faults"))).json()["latencySeconds"] == 0


@pytest.mark.parametrize(
    "path", ["faxes", "services", "services/01JSANDB0XSERV1CE000000000/coverPages"]
)
@pytest.mark.parametrize("page", ["99999999999999999999", "2147483648", "٣"])
async def test_a_page_past_what_can_be_counted_is_400(
    client: httpx.AsyncClient, path: str, page: str
) -> None:
    response = await client.get(path, params={"page": page})

    assert response.status_code == 400
    assert fields_named(response) == ["page"]


async def test_the_last_page_that_can_be_counted_is_empty(client: httpx.AsyncClient) -> None:
    response = await client.get("faxes", params={"page": "2147483647", "pageSize": "1000"})

    assert (response.status_code, response.json()["faxes"]) == (200, [])


async def test_create_time_at_the_ends_of_the_calendar(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client)
    path = f"/v3/projects/{local.config.project_id}/faxes"

    # The last millisecond of 9999, inclusive: every fax is before it.
    last_status, last = await raw_get(local, path, b"createTime<=9999-12-31T23:59:59.999Z")
    # An hour before 0001-01-01T00:00Z is in the year 0, which no date can hold.
    first_status, first = await raw_get(local, path, b"createTime<=0001-01-01T00:00:00%2B01:00")
    after_status, _ = await raw_get(local, path, b"createTime>=0001-01-01T00:00:00Z")

    assert (last_status, [f["id"] for f in last["faxes"]]) == (200, [fax["id"]])
    assert first_status == 400
    assert first["details"][0]["fieldViolations"][0]["field"] == "createTime"
    assert after_status == 200


async def test_an_unexpected_failure_is_a_json_500_logged_once(
    local: LocalSandbox,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fax = await send(client)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    # A stand-in for a bug in the sandbox: no real input makes this method fail.
    monkeypatch.setattr(local.sandbox.state, "get_fax", broken)
    with caplog.at_level(logging.ERROR):
        response = await client.get(f"faxes/{fax['id']}")

    assert (response.status_code, response.headers["content-type"]) == (500, "application/json")
    assert response.json()["status"] == "INTERNAL"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "a bug" in str(errors[0].exc_info[1])


# -- sizes -------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413_after_reading_no_more_than_the_limit(
    client: httpx.AsyncClient,
) -> None:
    chunk = b" " * (1024 * 1024)
    produced = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal produced
        for _ in range(300):
            produced += len(chunk)
            yield chunk

    response = await client.post(
        "faxes", content=body(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["code"] == 413
    assert produced <= MAX_BODY_BYTES + len(chunk)


async def test_a_declared_length_over_the_limit_is_413_before_any_of_it_is_read(
    local: LocalSandbox,
) -> None:
    token = base64.b64encode(f"{local.config.key_id}:{local.config.key_secret}".encode())
    path = f"/v3/projects/{local.config.project_id}/faxes"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"sandbox.test"),
            (b"authorization", b"Basic " + token),
            (b"content-type", b"application/json"),
            (b"content-length", str(300 * 1024 * 1024).encode()),
        ],
        "server": ("sandbox.test", 80),
        "client": ("127.0.0.1", 50000),
    }
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send_message(message: dict[str, Any]) -> None:
        sent.append(message)

    await local.app(scope, receive, send_message)

    assert sent[0]["status"] == 413
    assert reads == 0


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"labels": {f"k{i}": "v" for i in range(MAX_ITEMS + 1)}}, "labels"),
        ({"coverPageData": {f"k{i}": "v" for i in range(MAX_ITEMS + 1)}}, "coverPageData"),
        ({"to": [TEST_NUMBER] * (MAX_ITEMS + 1)}, "to"),
    ],
)
async def test_json_maps_and_lists_are_capped_like_multipart_fields(
    client: httpx.AsyncClient, extra: dict[str, Any], field: str
) -> None:
    body = {"to": TEST_NUMBER, "files": [{"file": PDF_B64, "fileType": "PDF"}], **extra}

    response = await client.post("faxes", json=body)

    assert response.status_code == 400
    assert fields_named(response) == [field]
    assert (await client.get("faxes")).json()["totalItems"] == 0


async def test_as_many_labels_as_multipart_allows_are_accepted(client: httpx.AsyncClient) -> None:
    labels = {f"k{i}": "v" for i in range(MAX_ITEMS)}
    body = {"to": TEST_NUMBER, "files": [{"file": PDF_B64}], "labels": labels}

    response = await client.post("faxes", json=body)

    assert (response.status_code, len(response.json()["labels"])) == (200, MAX_ITEMS)


# -- malformed multipart and paths --------------------------------------------------------------


async def test_a_multipart_body_cut_off_before_its_closing_boundary_is_400(
    client: httpx.AsyncClient,
) -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="to"\r\n\r\n+19898989898\r\n'
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + make_test_pdf(1)
    )

    response = await client.post(
        "faxes", content=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    whole = await client.post(
        "faxes",
        content=body + b"\r\n--B--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=B"},
    )

    assert response.status_code == 400
    assert "closing boundary" in response.json()["message"]
    assert whole.status_code == 200


async def test_a_trailing_slash_is_the_same_path_and_is_authenticated(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client)
    async with local.client(auth=None) as anonymous:
        refused = await anonymous.get("faxes/")

    listed = await client.get("faxes/")
    posted = await client.post("faxes/", data={"to": TEST_NUMBER}, files=[pdf_file(1)])

    assert refused.status_code == 401
    assert (listed.status_code, [f["id"] for f in listed.json()["faxes"]]) == (200, [fax["id"]])
    assert posted.status_code == 200
