"""Basic auth and project checks, single-fax reads, file downloads and content deletion."""

from __future__ import annotations

import base64

import httpx
import pytest

from faxdesk.documents.pages import count_pages
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import IN_PROCESS_ORIGIN, LocalSandbox, in_process_sandbox
from tests.sandbox.sandbox_support import TEST_NUMBER, finished, page_titles, pdf_file, send

UNKNOWN_ID = "01JXXXXXXXXXXXXXXXXXXXXXXX"


def basic(credentials: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials).decode()}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic(b"sandbox:wrong-secret"),
        basic(b"someone:sandbox-secret"),
        basic(b"sandbox"),
        basic(b"sandbox:sandbox-secret:extra"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Bearer sandbox-secret"},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "faxes"), ("POST", "faxes"), ("GET", f"faxes/{UNKNOWN_ID}"), ("GET", "faxes/x/file")],
)
async def test_bad_credentials_are_401_with_an_empty_body(
    local: LocalSandbox, headers: dict[str, str], method: str, path: str
) -> None:
    async with local.client(auth=None) as client:
        response = await client.request(method, path, headers=headers)

    assert response.status_code == 401
    assert response.content == b""


async def test_a_wrong_project_is_401_with_an_empty_body(local: LocalSandbox) -> None:
    async with httpx.AsyncClient(
        transport=local.transport, base_url=IN_PROCESS_ORIGIN, auth=local.auth
    ) as client:
        wrong = await client.get("/v3/projects/11111111-2222-4333-8444-555555555555/faxes")
        right = await client.get(f"/v3/projects/{local.config.project_id}/faxes")

    assert (wrong.status_code, wrong.content) == (401, b"")
    assert right.status_code == 200


async def test_a_secret_with_colons_is_split_at_the_first_colon_only() -> None:
    config = SandboxConfig(key_id="key-1", key_secret="s3cr:et@pässwörd:", time_scale=0)
    async with in_process_sandbox(config) as local, local.client() as client:
        ok = await client.get("faxes")
        # (Split at the last colon, `ok` would fail: the secret would be "".) A secret that is
        # only the part before a colon is refused.
        async with local.client(auth=httpx.BasicAuth("key-1", "s3cr")) as truncated:
            wrong = await truncated.get("faxes")

    assert ok.status_code == 200
    assert wrong.status_code == 401


async def test_get_one_fax(local: LocalSandbox, client: httpx.AsyncClient) -> None:
    fax = await send(client, pages=2)

    response = await client.get(f"faxes/{fax['id']}")

    assert response.status_code == 200
    assert response.json()["id"] == fax["id"]
    assert response.json()["numberOfPages"] == 2


@pytest.mark.parametrize(
    "path", [f"faxes/{UNKNOWN_ID}", f"faxes/{UNKNOWN_ID}/file", f"faxes/{UNKNOWN_ID}/file.pdf"]
)
async def test_unknown_fax_is_404_with_an_error_body(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    body = response.json()
    assert (body["code"], body["status"]) == (404, "NOT_FOUND")
    assert UNKNOWN_ID in body["message"]
    # Exactly the OAS's Error object: the .NET SDK fails on a top-level `error` text.
    assert set(body) == {"code", "status", "message"}


async def test_download_through_file_and_the_deprecated_file_pdf(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "faxes",
        data={"to": TEST_NUMBER},
        files=[pdf_file(1, "Alpha", "a.pdf"), pdf_file(2, "Bravo", "b.pdf")],
    )
    fax_id = response.json()["id"]
    await finished(local, client, fax_id)

    current = await client.get(f"faxes/{fax_id}/file")
    deprecated = await client.get(f"faxes/{fax_id}/file.pdf")

    for download in (current, deprecated):
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"] == f'attachment; filename="{fax_id}.pdf"'
    assert current.content == deprecated.content
    assert count_pages(current.content) == 3
    assert page_titles(current.content) == ["Alpha", "Bravo", "Bravo"]


async def test_a_single_document_is_stored_as_the_fax_pdf(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    part = pdf_file(2, "Solo")
    response = await client.post("faxes", data={"to": TEST_NUMBER}, files=[part])
    fax_id = response.json()["id"]
    await finished(local, client, fax_id)

    # Converted like every document (fitted to the fax paper), its pages kept in order.
    stored = (await client.get(f"faxes/{fax_id}/file")).content
    assert page_titles(stored) == ["Solo", "Solo"]


async def test_only_pdf_is_served_on_the_deprecated_path(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client)
    await finished(local, client, fax["id"])

    response = await client.get(f"faxes/{fax['id']}/file.tif")

    assert response.status_code == 404


async def test_no_file_before_conversion_is_done() -> None:
    async with (
        in_process_sandbox(SandboxConfig(time_scale=1000)) as local,
        local.client() as client,
    ):
        fax = await send(client)
        response = await client.get(f"faxes/{fax['id']}/file")

    assert fax["hasFile"] is False
    assert response.status_code == 404
    assert response.json()["status"] == "NOT_FOUND"


async def test_deleting_the_content_keeps_the_record(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client)
    await finished(local, client, fax["id"])

    deleted = await client.delete(f"faxes/{fax['id']}/file")
    after = await client.get(f"faxes/{fax['id']}")
    download = await client.get(f"faxes/{fax['id']}/file")

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert after.json()["status"] == "COMPLETED"
    assert after.json()["hasFile"] is False
    assert download.status_code == 404


async def test_unknown_routes_answer_with_an_error_body(client: httpx.AsyncClient) -> None:
    response = await client.put("faxes")

    assert response.status_code == 405
    assert response.json()["code"] == 405
