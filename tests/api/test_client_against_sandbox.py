"""The client against a real sandbox server over loopback: every call a real HTTP request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.core.errors import AuthError, NotFound, ValidationError
from faxdesk.core.models import (
    TEST_NUMBER,
    Direction,
    Document,
    FaxQuery,
    FaxStatus,
    SendRequest,
)
from faxdesk.documents.pages import count_pages_in_file, make_test_pdf
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxProcess]:
    with sandbox_process(SandboxConfig(port=0, time_scale=0.05, key_secret="p@ss:wörd")) as proc:
        yield proc


@pytest.fixture
async def api(server: SandboxProcess) -> AsyncIterator[FaxApiClient]:
    async with create_http_client() as http:
        yield FaxApiClient(
            http,
            base_url=server.origin,
            project_id=server.config.project_id,
            auth=BasicAuth(server.config.key_id, server.config.key_secret),
        )


@pytest.fixture
def pdfs(tmp_path) -> tuple[Document, Document]:
    first, second = tmp_path / "cover.pdf", tmp_path / "body.pdf"
    first.write_bytes(make_test_pdf(1, "Cover"))
    second.write_bytes(make_test_pdf(2, "Body"))
    return Document(first), Document(second)


async def _until_final(api: FaxApiClient, fax_id: str):
    async with asyncio.timeout(20):
        # Polling is how a client without a webhook learns the outcome.
        while not (fax := await api.get_fax(fax_id)).status.is_final:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return fax


async def test_send_two_documents_track_and_download(api: FaxApiClient, pdfs, tmp_path):
    [sent] = await api.send(
        SendRequest(to=(TEST_NUMBER,), documents=pdfs, header_text="ACME Clinic", max_retries=0)
    )
    assert (sent.to, sent.direction, sent.number_of_pages) == (TEST_NUMBER, Direction.OUTBOUND, 3)
    assert (sent.header_text, sent.max_retries) == ("ACME Clinic", 0)
    done = await _until_final(api, sent.id)
    assert (done.status, done.pages_sent_successfully, done.has_file) == (
        FaxStatus.COMPLETED,
        3,
        True,
    )
    path = await api.download(sent.id, tmp_path / "out" / "fax.pdf")
    assert count_pages_in_file(path) == 3


async def test_several_recipients_give_one_fax_each(api: FaxApiClient, pdfs):
    faxes = await api.send(SendRequest(to=(TEST_NUMBER, "+14155550123"), documents=pdfs[:1]))
    assert [fax.to for fax in faxes] == [TEST_NUMBER, "+14155550123"]
    assert len({fax.id for fax in faxes}) == 2


async def test_list_filters_by_prefix_and_range_and_pages(api: FaxApiClient, pdfs):
    for _ in range(3):
        await api.send(SendRequest(to=("+14155550199",), documents=pdfs[:1]))
    query = FaxQuery(
        to_prefix="+1415555019",
        created_after=datetime.now(UTC) - timedelta(hours=1),
        created_before=datetime.now(UTC) + timedelta(hours=1),
        page_size=2,
    )
    first = await api.list_faxes(query)
    assert (first.page, first.total_items, first.total_pages, len(first.faxes)) == (1, 3, 2, 2)
    assert all(fax.to == "+14155550199" for fax in first.faxes)
    everything = [fax async for fax in api.iter_faxes(query)]
    assert len(everything) == 3
    assert len({fax.id for fax in everything}) == 3


async def test_bad_number_is_refused_with_the_field_named(api: FaxApiClient, pdfs):
    with pytest.raises(ValidationError) as caught:
        await api.send(SendRequest(to=("+1",), documents=pdfs[:1]))
    assert caught.value.field == "to"


async def test_unknown_fax_is_not_found(api: FaxApiClient):
    with pytest.raises(NotFound):
        await api.get_fax("01JZZZZZZZZZZZZZZZZZZZZZZZ")


async def test_wrong_secret_is_an_auth_error_without_the_secret(server: SandboxProcess):
    async with create_http_client() as http:
        api = FaxApiClient(
            http,
            base_url=server.origin,
            project_id=server.config.project_id,
            auth=BasicAuth(server.config.key_id, "guessed-secret"),
        )
        with pytest.raises(AuthError) as caught:
            await api.ping()
    assert "guessed-secret" not in str(caught.value)


async def test_upload_progress_over_a_real_socket(api: FaxApiClient, tmp_path):
    big = tmp_path / "big.pdf"
    # Padded with a trailing comment line, which PDF readers skip, to span several chunks.
    # The end-of-file marker is repeated after the padding, so the file does not look cut off.
    big.write_bytes(make_test_pdf(3, "Big") + b"\n%" + b"x" * 300_000 + b"\n%%EOF\n")
    reports: list[tuple[int, int | None]] = []

    [sent] = await api.send(
        SendRequest(to=(TEST_NUMBER,), documents=(Document(big),)),
        progress=lambda done, total: reports.append((done, total)),
    )

    assert sent.number_of_pages == 3
    counts = [done for done, _ in reports]
    total = reports[-1][1]
    assert isinstance(total, int)
    assert total > big.stat().st_size
    assert counts[0] == 0
    assert counts == sorted(counts)
    assert counts[-1] == total
    assert len(counts) >= 5


async def test_json_send_delete_content_and_export(api: FaxApiClient, pdfs, tmp_path):
    [sent] = await api.send(
        SendRequest(to=("+14155550177",), documents=pdfs, labels={"case": "J-1"}),
        encoding="json",
    )
    assert sent.number_of_pages == 3
    done = await _until_final(api, sent.id)
    assert done.has_file

    await api.delete_content(sent.id)
    assert not (await api.get_fax(sent.id)).has_file

    query = FaxQuery(to_prefix="+14155550177", created_after=datetime.now(UTC) - timedelta(hours=1))
    path = await api.export_csv(query, tmp_path / "export" / "faxes.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Id,Direction,From,To,")
    assert len(lines) == 2
    assert lines[1].startswith(f"{sent.id},OUTBOUND,")


async def test_the_default_service_is_listed(api: FaxApiClient):
    services = await api.list_services()
    [default] = [service for service in services if service.default_for_project]
    assert (await api.get_service(default.id)).id == default.id
    assert await api.list_cover_pages(default.id) == []
