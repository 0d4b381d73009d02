"""Inbound faxes: the control endpoint, backdated histories, INCOMING_FAX, `faxdesk sandbox
inject` and the `--inbound-every` demo mode."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import socket
from datetime import datetime, timedelta

import httpx
import pytest

from faxdesk import cli
from faxdesk.documents.pages import count_pages, make_test_pdf
from faxdesk.sandbox.config import DEFAULT_FROM_NUMBER, SandboxConfig
from faxdesk.sandbox.state import FaxFilter
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox, sandbox_process
from tests.sandbox.sandbox_support import FakeClock, WebhookReceiver


def control(local: LocalSandbox, **kwargs: object) -> httpx.AsyncClient:
    """A client on the sandbox's origin, where the control endpoints are."""
    kwargs.setdefault("auth", local.auth)
    return httpx.AsyncClient(transport=local.transport, base_url=local.origin, **kwargs)


async def inject(local: LocalSandbox, **body: object) -> list[dict]:
    async with control(local) as http:
        response = await http.post("/sandbox/inbound", json=body)
    assert response.status_code == 200, response.text
    faxes: list[dict] = response.json()["faxes"]
    return faxes


async def test_a_sample_fax_arrives_on_the_projects_number(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    [fax] = await inject(local)

    assert fax["direction"] == "INBOUND"
    assert fax["status"] == "COMPLETED"
    assert fax["to"] == DEFAULT_FROM_NUMBER
    assert fax["from"].startswith("+1415555")
    assert (fax["numberOfPages"], fax["hasFile"]) == (1, True)
    assert fax["createTime"] == "2026-06-15T12:00:00.000Z"
    assert (fax["fromCountry"], fax["toCountry"]) == ("US", "US")
    assert fax["price"] == {"amount": "0.0700", "currencyCode": "USD"}
    listed = (await client.get("faxes", params={"direction": "INBOUND"})).json()
    assert [f["id"] for f in listed["faxes"]] == [fax["id"]]
    pdf = (await client.get(f"faxes/{fax['id']}/file")).content
    assert count_pages(pdf) == 1


async def test_a_given_document_is_what_arrives(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    document = base64.b64encode(make_test_pdf(3)).decode()

    [fax] = await inject(local, file=document, fileName="scan.pdf", **{"from": "+4930123456"})

    assert (fax["numberOfPages"], fax["from"], fax["fromCountry"]) == (3, "+4930123456", "DE")
    assert count_pages((await client.get(f"faxes/{fax['id']}/file")).content) == 3


async def test_a_backdated_history_is_spread_and_can_be_paged_by_date(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    faxes = await inject(local, count=30, createdAt="2026-05-01T00:00:00Z", spreadDays=10)

    times = [datetime.fromisoformat(f["createTime"]) for f in faxes]
    assert times[0] == datetime.fromisoformat("2026-05-01T00:00:00Z")
    assert {a - b for a, b in itertools.pairwise(times)} == {timedelta(hours=8)}
    assert len({f["from"] for f in faxes}) > 1
    # Outside the default window of a week, so only an explicit range finds them.
    assert (await client.get("faxes")).json()["totalItems"] == 0
    april = (await client.get("faxes", params={"createTime": "2026-04", "pageSize": 10})).json()
    assert (april["totalItems"], april["totalPages"]) == (29, 3)
    page_three = await client.get(
        "faxes", params={"createTime": "2026-04", "pageSize": 10, "page": 3}
    )
    assert [f["id"] for f in page_three.json()["faxes"]] == [f["id"] for f in faxes[21:]]
    assert sorted(f["id"] for f in faxes) == [f["id"] for f in reversed(faxes)]


async def test_incoming_fax_goes_to_the_services_webhook_url(clock: FakeClock) -> None:
    receiver = WebhookReceiver()
    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.01), clock=clock, webhook_transport=receiver.transport
        ) as local,
        local.client() as client,
    ):
        service = (await client.get("services")).json()["services"][0]
        await client.patch(
            f"services/{service['id']}",
            json={
                "incomingWebhookUrl": "https://in:pw@receiver.test/in",
                "webhookContentType": "application/json",
            },
        )
        [fax] = await inject(local)
        [hook] = await receiver.wait_for(1)

    assert hook.path == "/in"
    assert hook.authorization == "Basic " + base64.b64encode(b"in:pw").decode()
    assert hook.json["event"] == "INCOMING_FAX"
    assert hook.json["fax"] == fax
    assert hook.json["fileType"] == "PDF"
    assert count_pages(base64.b64decode(hook.json["file"])) == 1


async def test_incoming_fax_as_multipart_and_without_kept_documents(clock: FakeClock) -> None:
    receiver = WebhookReceiver()
    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.01), clock=clock, webhook_transport=receiver.transport
        ) as local,
        local.client() as client,
    ):
        created = await client.post(
            "services",
            json={
                "name": "Front desk",
                "defaultFrom": "+14155550111",
                "incomingWebhookUrl": "https://receiver.test/desk",
                "saveInboundFaxDocuments": False,
            },
        )
        service = created.json()
        [fax] = await inject(local, to="+14155550111")
        [hook] = await receiver.wait_for(1)
        file_answer = await client.get(f"faxes/{fax['id']}/file")

    assert (fax["serviceId"], fax["hasFile"]) == (service["id"], False)
    assert file_answer.status_code == 404
    assert hook.form["event"] == "INCOMING_FAX"
    assert json.loads(hook.form["fax"])["id"] == fax["id"]
    assert "file" not in hook.form


async def test_only_the_projects_numbers_can_receive(local: LocalSandbox) -> None:
    async with control(local) as http:
        response = await http.post("/sandbox/inbound", json={"to": "+14155550999"})

    assert response.status_code == 422
    [violation] = response.json()["details"][0]["fieldViolations"]
    assert violation["field"] == "to"
    assert DEFAULT_FROM_NUMBER in violation["description"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": "many"}, "count"),
        ({"spreadDays": -1}, "spreadDays"),
        ({"createdAt": "last tuesday"}, "createdAt"),
        ({"createdAt": "1969-12-31"}, "createdAt"),
        ({"createdAt": "0001-01-01T00:00:00+01:00"}, "createdAt"),
        ({"createdAt": "1970-01-02", "spreadDays": 2}, "spreadDays"),
        ({"file": "not base64!"}, "file"),
        ({"from": "12345"}, "from"),
        ({"file": base64.b64encode(b"%PDF-1.4 broken").decode()}, "file"),
    ],
)
async def test_bad_inject_requests_are_422(local: LocalSandbox, body: dict, field: str) -> None:
    async with control(local) as http:
        response = await http.post("/sandbox/inbound", json=body)

    assert response.status_code == 422
    fields = [v["field"] for v in response.json()["details"][0]["fieldViolations"]]
    assert fields == [field]


async def test_inject_requests_are_refused_with_messages_that_name_the_field(
    local: LocalSandbox,
) -> None:
    # The sandbox's clock stands at 2026-06-15T12:00:00Z; a minute later is still "now".
    async with control(local) as http:
        response = await http.post(
            "/sandbox/inbound",
            json={
                "to": "+1 415 555 0100",
                "createdAt": "2026-06-15T12:01:01Z",
                "file": "",
                "fileName": "scan.pdf",
            },
        )
        within_a_minute = await http.post(
            "/sandbox/inbound", json={"createdAt": "2026-06-15T12:01:00Z"}
        )

    assert response.status_code == 422
    assert response.json()["details"][0]["fieldViolations"] == [
        {
            "field": "to",
            "description": "to '+1 415 555 0100' is not an E.164 number: write + and 8 to 15 "
            "digits, without spaces or dashes (such as +14155550100).",
        },
        {
            "field": "createdAt",
            "description": "createdAt '2026-06-15T12:01:01Z' is in the future; a fax can only "
            "have arrived by now (2026-06-15T12:00:00.000Z).",
        },
        {"field": "file", "description": "scan.pdf is empty."},
    ]
    assert within_a_minute.status_code == 200
    assert (
        local.sandbox.state.list_faxes(local.config.project_id, FaxFilter(), page=1, page_size=10)[
            1
        ]
        == 1
    )


async def test_control_endpoints_need_the_key(local: LocalSandbox) -> None:
    async with control(local, auth=httpx.BasicAuth("sandbox", "wrong")) as http:
        response = await http.post("/sandbox/inbound", json={})

    assert (response.status_code, response.content) == (401, b"")
    assert local.sandbox.state.list_faxes(
        local.config.project_id, FaxFilter(), page=1, page_size=10
    ) == ([], 0)


async def test_inbound_every_delivers_sample_faxes_until_stopped() -> None:
    receiver = WebhookReceiver()
    config = SandboxConfig(time_scale=0.01, inbound_every_seconds=0.05)
    async with (
        in_process_sandbox(config, webhook_transport=receiver.transport) as local,
        local.client() as client,
    ):
        service = (await client.get("services")).json()["services"][0]
        await client.patch(
            f"services/{service['id']}", json={"incomingWebhookUrl": "https://receiver.test/in"}
        )
        hooks = await receiver.wait_for(2)

    assert [h.form["event"] for h in hooks[:2]] == ["INCOMING_FAX", "INCOMING_FAX"]
    ids = {json.loads(h.form["fax"])["id"] for h in hooks}
    assert len(ids) == len(hooks)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_inject_command_backdates_faxes_on_a_running_sandbox(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    document = tmp_path / "scan.pdf"
    document.write_bytes(make_test_pdf(2))
    config = SandboxConfig(port=0, time_scale=0.05, key_secret="inject-secret")
    with sandbox_process(config) as server:
        code = await asyncio.to_thread(
            cli.main,
            [
                "sandbox",
                "inject",
                str(document),
                "--url",
                server.origin,
                "--key-secret",
                "inject-secret",
                "--count",
                "3",
                "--created-at",
                "2026-05-04",
                "--spread-days",
                "3",
            ],
        )
        async with httpx.AsyncClient(
            base_url=server.api_base_url + "/", auth=server.auth, timeout=10
        ) as client:
            listed = (await client.get("faxes", params={"createTime": "2026-05"})).json()

    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"3 inbound faxes received on {DEFAULT_FROM_NUMBER}:\n")
    assert [f["createTime"] for f in listed["faxes"]] == [
        "2026-05-04T00:00:00.000Z",
        "2026-05-03T00:00:00.000Z",
        "2026-05-02T00:00:00.000Z",
    ]
    assert {f["numberOfPages"] for f in listed["faxes"]} == {2}
    assert all(f["id"] in out for f in listed["faxes"])


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--count", "0"], 2, "--count must be from 1"),
        (["--created-at", "soon"], 2, "--created-at 'soon' is not a day"),
        (["missing.pdf"], 2, "missing.pdf cannot be read"),
        (["--spread-days", "nan"], 2, "--spread-days: the days must be from 0 to 3660"),
        (["--spread-days", "inf"], 2, "--spread-days: the days must be from 0 to 3660"),
        (["--spread-days", "-1"], 2, "--spread-days: the days must be from 0 to 3660"),
        (
            ["--created-at", "0001-01-01", "--spread-days", "1", "--count", "2"],
            2,
            "--created-at '0001-01-01' is before 1970",
        ),
        (["--created-at", "1969-12-31T23:59:59Z"], 2, "is before 1970"),
        (["--created-at", "0001-01-01T00:00:00+01:00"], 2, "is before 1970"),
        (["--created-at", "1970-01-02", "--spread-days", "2"], 2, "reaches back before 1970"),
        ([], 1, "cannot be reached"),
    ],
)
def test_the_inject_command_says_what_is_wrong_in_part(
    capsys: pytest.CaptureFixture[str], arguments: list[str], code: int, message: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    try:
        result = cli.main(["sandbox", "inject", "--url", url, *arguments])
    except SystemExit as exit_:  # what argparse itself refuses
        result = exit_.code

    assert result == code
    err = capsys.readouterr().err
    assert err.startswith("faxdesk sandbox inject: ")
    assert message in err
    assert err.count("\n") == 1


NOT_A_URL = "is not a valid URL; give the sandbox's address as its banner prints it, such as "


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (["--to", "12345"], "--to: “12345” has too few or too many digits."),
        (
            ["--from", "415-CALL-NOW"],
            "--from: “415-CALL-NOW” has letters in it; a fax number has only digits.",
        ),
        (["--url", "notaurl"], f"--url 'notaurl' {NOT_A_URL}http://127.0.0.1:8080."),
        (["--url", "ftp://h:21"], f"--url 'ftp://h:21' {NOT_A_URL}http://127.0.0.1:8080."),
        (["--url", "http://h:99999"], f"--url 'http://h:99999' {NOT_A_URL}http://127.0.0.1:8080."),
        (["--url", "http://a b"], f"--url 'http://a b' {NOT_A_URL}http://127.0.0.1:8080."),
        (
            ["--created-at", "2099-01-01"],
            "--created-at '2099-01-01' is in the future; a fax can only have arrived by now",
        ),
    ],
)
def test_the_inject_command_refuses_what_was_typed_wrong_before_sending(
    capsys: pytest.CaptureFixture[str], arguments: list[str], line: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    result = cli.main(["sandbox", "inject", "--url", url, *arguments])

    assert result == 2
    err = capsys.readouterr().err
    assert err.startswith(f"faxdesk sandbox inject: {line}")
    assert err.count("\n") == 1


def test_the_inject_command_refuses_an_empty_file(
    capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.pdf").write_bytes(b"")

    result = cli.main(
        ["sandbox", "inject", "--url", f"http://127.0.0.1:{free_port()}", "empty.pdf"]
    )

    assert result == 2
    assert capsys.readouterr().err == "faxdesk sandbox inject: empty.pdf is empty.\n"


async def test_the_inject_command_takes_numbers_as_typed_and_names_files_as_given(
    capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "random.bin").write_bytes(bytes(range(256)) * 4)
    with sandbox_process() as server:
        typed = await asyncio.to_thread(
            cli.main,
            [
                "sandbox", "inject", "--url", server.origin,
                "--to", "+1 415 555 0100", "--from", "(312) 555-0100",
            ],
        )  # fmt: skip
        typed_out = capsys.readouterr().out
        unknown = await asyncio.to_thread(
            cli.main, ["sandbox", "inject", "--url", server.origin, "random.bin"]
        )
        unknown_err = capsys.readouterr().err

    assert typed == 0
    assert typed_out.startswith(f"1 inbound fax received on {DEFAULT_FROM_NUMBER}:\n")
    assert typed_out.endswith("  from +13125550100\n")
    assert unknown == 2
    assert unknown_err == (
        "faxdesk sandbox inject: random.bin is not a kind of document FaxDesk recognises; use "
        "PDF, PNG, JPEG, GIF, BMP, TIFF, text, HTML or Word (.docx, .doc, .odt).\n"
    )
