"""Moving bytes: upload bodies that report progress (also across an OAuth token renewal),
timeouts sized to the upload, downloads with progress, TLS through the OS trust store, proxies."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import truststore

from faxdesk.api.auth import BasicAuth, OAuth2ClientCredentials
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.api.retries import NO_RETRIES
from faxdesk.api.transfers import (
    UPLOAD_CHUNK_SIZE,
    UPLOAD_TIMEOUT_BASE_SECONDS,
    UPLOAD_TIMEOUT_BYTES_PER_SECOND,
    UploadStream,
    content_length,
    save_stream,
    upload_timeout,
)
from faxdesk.core.errors import ApiError, ConfigError, StorageError
from faxdesk.core.models import Document, FaxQuery, SendRequest
from tests.api.apitest_support import (
    FAXES_PATH,
    KEY_ID,
    KEY_SECRET,
    PROJECT_ID,
    MakeClient,
    json_response,
    multipart_parts,
    wire_fax,
)
from tests.waiting import until

Reports = list[tuple[int, int | None]]


def recorder() -> tuple[Reports, Callable[[int, int | None], None]]:
    reports: Reports = []
    return reports, lambda done, total: reports.append((done, total))


def assert_one_pass(reports: Reports, total: int) -> None:
    """From 0 to `total` in more than two steps, never going back, always against `total`."""
    counts = [done for done, _ in reports]
    assert counts[0] == 0
    assert counts[-1] == total
    assert counts == sorted(counts)
    assert len(counts) > 3
    assert {seen_total for _, seen_total in reports} == {total}


class WireTransport(httpx.AsyncBaseTransport):
    """Reads each request body from its stream, as a connection writing it to a socket would
    (MockTransport reads it once and caches it), then answers with `handler`."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        body = b"".join([chunk async for chunk in request.stream])
        seen = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        return self.handler(seen)


BIG_PDF = b"%PDF-1.4\n" + bytes(range(256)) * 1200 + b"\n%%EOF\n"


@pytest.fixture
def big_pdf(tmp_path: Path) -> Path:
    """A document of about five upload chunks."""
    path = tmp_path / "scan.pdf"
    path.write_bytes(BIG_PDF)
    return path


# --- the upload stream -----------------------------------------------------------------------


async def test_upload_stream_reports_each_chunk_and_starts_over_on_every_pass() -> None:
    body = bytes(range(256)) * 800  # 204,800 bytes: three full chunks and a part
    reports, progress = recorder()
    stream = UploadStream(body, progress)

    first = b"".join([chunk async for chunk in stream])
    second = b"".join(stream)  # the synchronous side, as a sync client would read it

    assert first == second == body
    one_pass = [(0, 204_800), (65_536, 204_800), (131_072, 204_800), (196_608, 204_800)]
    one_pass.append((204_800, 204_800))
    assert reports == one_pass + one_pass


async def test_upload_stream_chunks_are_the_configured_size() -> None:
    stream = UploadStream(b"x" * (2 * UPLOAD_CHUNK_SIZE + 1))
    sizes = [len(chunk) async for chunk in stream]
    assert sizes == [UPLOAD_CHUNK_SIZE, UPLOAD_CHUNK_SIZE, 1]


async def test_empty_upload_reports_zero_of_zero() -> None:
    reports, progress = recorder()
    assert [chunk async for chunk in UploadStream(b"", progress)] == []
    assert reports == [(0, 0)]


# --- send progress ---------------------------------------------------------------------------


async def test_multipart_send_reports_progress_up_to_the_content_length(
    make_client: MakeClient, big_pdf: Path
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(200, wire_fax(id="SENT"))

    reports, progress = recorder()
    client = make_client(handler, transport=WireTransport(handler))
    faxes = await client.send(
        SendRequest(to=("+19898989898",), documents=(Document(big_pdf),)), progress=progress
    )

    assert [fax.id for fax in faxes] == ["SENT"]
    [request] = requests
    total = int(request.headers["Content-Length"])
    assert total == len(request.content)
    assert_one_pass(reports, total)
    [part] = [p for p in multipart_parts(request) if p.filename]
    assert (part.name, part.filename, part.content) == ("file", "scan.pdf", BIG_PDF)
    assert request.headers["User-Agent"].startswith("python-httpx/")  # the client's own headers
    assert request.headers["Authorization"].startswith("Basic ")


async def test_progress_works_with_mock_transport_too(
    make_client: MakeClient, big_pdf: Path
) -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return json_response(200, wire_fax())

    reports, progress = recorder()
    client = make_client(handler)
    await client.send(
        SendRequest(to=("+19898989898",), documents=(Document(big_pdf),)), progress=progress
    )
    assert_one_pass(reports, len(bodies[0]))


async def test_json_send_carries_documents_as_base64_with_progress(
    make_client: MakeClient, big_pdf: Path, tmp_path: Path
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(200, {"faxes": [wire_fax(id="A"), wire_fax(id="B")]})

    note = tmp_path / "note.txt"
    note.write_bytes(b"Please call back.")
    reports, progress = recorder()
    client = make_client(handler, transport=WireTransport(handler))
    faxes = await client.send(
        SendRequest(
            to=("+19898989898", "+14155550123"),
            documents=(Document(big_pdf), Document(note, media_type="text/plain")),
            header_text="ACME",
        ),
        encoding="json",
        progress=progress,
    )

    assert [fax.id for fax in faxes] == ["A", "B"]
    [request] = requests
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body["to"] == ["+19898989898", "+14155550123"]
    assert body["headerText"] == "ACME"
    assert [f["fileType"] for f in body["files"]] == ["PDF", "TXT"]
    assert base64.b64decode(body["files"][0]["file"]) == BIG_PDF
    assert base64.b64decode(body["files"][1]["file"]) == b"Please call back."
    assert_one_pass(reports, int(request.headers["Content-Length"]))


async def test_json_encoding_without_documents_is_the_plain_json_body(
    make_client: MakeClient,
) -> None:
    bodies: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return json_response(200, wire_fax())

    client = make_client(handler)
    for encoding in ("multipart", "json"):
        await client.send(
            SendRequest(to=("+19898989898",), content_urls=("https://a.example/x.pdf",)),
            encoding=encoding,  # type: ignore[arg-type]
        )
    assert bodies == [{"to": "+19898989898", "contentUrl": ["https://a.example/x.pdf"]}] * 2


async def test_an_unknown_encoding_is_a_programming_error(
    make_client: MakeClient, big_pdf: Path
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(200, wire_fax())

    with pytest.raises(ValueError, match="multipart"):
        await make_client(handler).send(
            SendRequest(to=("+19898989898",), documents=(Document(big_pdf),)),
            encoding="xml",  # type: ignore[arg-type]
        )
    assert requests == []


class TokenAndFaxes:
    """A token endpoint and a send endpoint that calls the first token expired.

    `events` records, in order, token fetches, the progress reports and the sends.
    """

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self.issued = 0

    def progress(self, done: int, total: int | None) -> None:
        self.events.append(("progress", done, total))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            self.issued += 1
            self.events.append(("token", self.issued))
            return json_response(200, {"access_token": f"token-{self.issued}", "expires_in": 3600})
        authorization = request.headers["Authorization"]
        self.events.append(("send", authorization, len(request.content)))
        if authorization == "Bearer token-1":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="expired"'})
        return json_response(200, wire_fax(id="SENT"))


async def test_oauth_renewal_sends_the_body_again_and_progress_starts_over(
    make_client: MakeClient, big_pdf: Path
) -> None:
    service = TokenAndFaxes()
    oauth = OAuth2ClientCredentials(KEY_ID, KEY_SECRET, auth_base_url="http://auth.test")
    client = make_client(service, auth=oauth, transport=WireTransport(service))

    faxes = await client.send(
        SendRequest(to=("+19898989898",), documents=(Document(big_pdf),)),
        progress=service.progress,
    )

    assert [fax.id for fax in faxes] == ["SENT"]
    kinds = [event[0] for event in service.events]
    # No progress before the first token: the auth flow did not read the body ahead of time.
    assert kinds[0] == "token"
    sends = [event for event in service.events if event[0] == "send"]
    assert [event[1] for event in sends] == ["Bearer token-1", "Bearer token-2"]
    total = sends[0][2]
    assert isinstance(total, int)
    assert sends[1][2] == total
    first_send, second_token = kinds.index("send"), kinds.index("token", 1)
    first_pass = service.events[1:first_send]
    second_pass = service.events[second_token + 1 : -1]
    for one_pass in (first_pass, second_pass):
        assert_one_pass([(e[1], e[2]) for e in one_pass], total)  # type: ignore[misc]


async def test_oauth_progress_without_renewal_is_one_pass(
    make_client: MakeClient, big_pdf: Path
) -> None:
    service = TokenAndFaxes()
    service.issued = 1  # the first token handed out is token-2, which the service accepts
    oauth = OAuth2ClientCredentials(KEY_ID, KEY_SECRET, auth_base_url="http://auth.test")
    client = make_client(service, auth=oauth)

    await client.send(
        SendRequest(to=("+19898989898",), documents=(Document(big_pdf),)),
        progress=service.progress,
    )

    assert [e[0] for e in service.events if e[0] != "progress"] == ["token", "send"]
    # The body is read while it is sent, after the token came, not ahead of time.
    assert service.events[0][0] == "token"
    total = service.events[-1][2]
    assert isinstance(total, int)
    reports = [(e[1], e[2]) for e in service.events if e[0] == "progress"]
    assert_one_pass(reports, total)  # type: ignore[arg-type]


# --- upload timeouts -------------------------------------------------------------------------


async def test_send_timeouts_grow_with_the_upload(make_client: MakeClient, tmp_path: Path) -> None:
    timeouts: dict[str, dict[str, float | None]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        size = int(request.headers.get("Content-Length", "0"))
        kind = "get" if request.method == "GET" else ("small" if size < 1_000_000 else "large")
        timeouts[kind] = request.extensions["timeout"]
        return json_response(200, wire_fax())

    small, large = tmp_path / "small.pdf", tmp_path / "large.pdf"
    small.write_bytes(b"%PDF-1.4\n" + b"s" * 10_000)
    large.write_bytes(b"%PDF-1.4\n" + b"L" * 20_000_000)
    http = create_http_client(timeout=30.0, transport=httpx.MockTransport(handler))
    try:
        client = FaxApiClient(
            http, base_url="http://fax.test", project_id=PROJECT_ID, auth=BasicAuth("k", "s")
        )
        for path in (small, large):
            await client.send(SendRequest(to=("+19898989898",), documents=(Document(path),)))
        await client.get_fax("01HX")
    finally:
        await http.aclose()

    assert timeouts["get"] == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    assert timeouts["small"]["connect"] == 5.0
    assert 30.0 < timeouts["small"]["write"] < 31.0  # type: ignore[operator]
    assert timeouts["small"]["read"] == timeouts["small"]["write"]
    expected = UPLOAD_TIMEOUT_BASE_SECONDS + 20_000_000 / UPLOAD_TIMEOUT_BYTES_PER_SECOND
    assert timeouts["large"]["write"] == pytest.approx(expected, abs=1.0)
    assert timeouts["large"]["read"] == timeouts["large"]["write"]
    assert timeouts["large"]["connect"] == 5.0
    assert timeouts["large"]["write"] > 10 * timeouts["small"]["write"]  # type: ignore[operator]


def test_upload_timeout_keeps_disabled_timeouts_off_and_longer_ones_long() -> None:
    assert upload_timeout(httpx.Timeout(None), 10_000_000) == httpx.Timeout(None)
    generous = httpx.Timeout(900.0, connect=5.0)
    assert upload_timeout(generous, 1_000) == generous


@pytest.mark.parametrize(
    ("header", "expected"), [("1234", 1234), (None, None), ("lots", None), ("-3", None)]
)
def test_content_length_is_read_carefully(header: str | None, expected: int | None) -> None:
    response = httpx.Response(200)
    assert "Content-Length" not in response.headers
    if header is not None:
        response.headers["Content-Length"] = header
    assert content_length(response) == expected


# --- download progress -----------------------------------------------------------------------


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


CHUNKS = [b"%PDF-1.4\n", b"A" * 70_000, b"B" * 70_000, b"C" * 70_000, b"%%EOF\n"]
WHOLE = b"".join(CHUNKS)


async def test_download_progress_counts_to_the_content_length(
    make_client: MakeClient, tmp_path: Path
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "application/pdf", "Content-Length": str(len(WHOLE))}
        return httpx.Response(200, headers=headers, stream=_Chunks(CHUNKS))

    reports, progress = recorder()
    client = make_client(handler)
    await client.download("01HX", tmp_path / "fax.pdf", progress=progress)
    assert (tmp_path / "fax.pdf").read_bytes() == WHOLE
    assert_one_pass(reports, len(WHOLE))
    assert [done for done, _ in reports][1:3] == [9, 70_009]


async def test_download_progress_without_content_length_has_no_total(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(lambda _request: httpx.Response(200, stream=_Chunks(CHUNKS)))
    reports, progress = recorder()
    await client.download("01HX", tmp_path / "fax.pdf", progress=progress)
    assert {total for _, total in reports} == {None}
    counts = [done for done, _ in reports]
    assert counts == sorted(counts)
    assert counts[0] == 0
    assert counts[-1] == len(WHOLE)


async def test_compressed_download_counts_bytes_on_the_wire(
    make_client: MakeClient, tmp_path: Path
) -> None:
    import gzip

    csv = b"Id,Direction,From,To\r\n" + b"01HX,OUTBOUND,+14155550100,+19898989898\r\n" * 5000
    packed = gzip.compress(csv)
    pieces = [packed[i : i + 1000] for i in range(0, len(packed), 1000)]

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip", "Content-Length": str(len(packed))}
        return httpx.Response(200, headers=headers, stream=_Chunks(pieces))

    reports, progress = recorder()
    client = make_client(handler)
    await client.export_csv(FaxQuery(), tmp_path / "faxes.csv", progress=progress)
    assert (tmp_path / "faxes.csv").read_bytes() == csv
    counts = [done for done, _ in reports]
    assert counts == sorted(counts)
    assert counts[-1] == len(packed)
    assert {total for _, total in reports} == {len(packed)}


# --- TLS and proxies -------------------------------------------------------------------------


def _pool_ssl_context(transport: object) -> ssl.SSLContext:
    # httpx keeps the context on its httpcore pool; there is no public accessor for it.
    pool = transport._pool  # type: ignore[attr-defined]
    context = pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    return context


async def test_tls_uses_the_operating_system_trust_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    for name in ("https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with create_http_client() as http:
        direct = _pool_ssl_context(http._transport)
        proxied = _pool_ssl_context(http._transport_for_url(httpx.URL("https://fax.api.sinch.com")))
    for context in (direct, proxied):
        assert isinstance(context, truststore.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True


async def test_requests_go_through_the_proxy_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_heads: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_heads.append(await reader.readuntil(b"\r\n\r\n"))
        body = json.dumps({"faxes": [wire_fax(id="VIA-PROXY")], "page": 1, "totalPages": 1})
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
        )
        writer.write(body.encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for name in ("http_proxy", "all_proxy", "ALL_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    http = create_http_client(timeout=10)
    try:
        client = FaxApiClient(
            http,
            base_url="http://fax.example.test",
            project_id=PROJECT_ID,
            auth=BasicAuth(KEY_ID, KEY_SECRET),
            retry=NO_RETRIES,
        )
        page = await client.list_faxes(FaxQuery(page_size=5))
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()

    assert [fax.id for fax in page.faxes] == ["VIA-PROXY"]
    [head] = request_heads
    request_line, _, headers = head.partition(b"\r\n")
    assert request_line == (
        f"GET http://fax.example.test{FAXES_PATH}?pageSize=5&page=1 HTTP/1.1".encode()
    )
    assert b"\r\nHost: fax.example.test\r\n" in b"\r\n" + headers


# --- what a download refuses, and a disk that cannot take it -----------------------------------


async def test_a_login_page_instead_of_the_pdf_is_refused_and_nothing_is_saved(
    make_client: MakeClient, tmp_path: Path
) -> None:
    page = b"<html><body>Please log in to the office network</body></html>"
    client = make_client(
        lambda _request: httpx.Response(200, headers={"Content-Type": "text/html"}, content=page)
    )
    with pytest.raises(ApiError) as caught:
        await client.download("01HX", tmp_path / "fax.pdf")
    assert str(caught.value) == (
        "The fax service sent an HTML page instead of the fax's PDF; nothing was saved. A proxy "
        "or sign-in page on this network may be answering in its place."
    )
    assert _listing(tmp_path) == []


async def test_a_pdf_shorter_than_the_checked_head_is_still_saved(
    make_client: MakeClient, tmp_path: Path
) -> None:
    tiny = b"%PDF-1.4\n%%EOF\n"
    client = make_client(lambda _request: httpx.Response(200, content=tiny))
    await client.download("01HX", tmp_path / "fax.pdf")
    assert (tmp_path / "fax.pdf").read_bytes() == tiny


async def test_a_folder_that_is_a_file_is_a_storage_error(
    make_client: MakeClient, tmp_path: Path
) -> None:
    (tmp_path / "referral.pdf").write_bytes(b"%PDF-1.4\n")
    client = make_client(lambda _request: httpx.Response(200, content=WHOLE))
    destination = tmp_path / "referral.pdf" / "x.pdf"
    with pytest.raises(StorageError) as caught:
        await client.download("01HX", destination)
    assert str(caught.value) == (
        f"{destination} could not be saved: {tmp_path / 'referral.pdf'} is a file, not a folder."
    )


def _listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


class _FullDisk:
    """A file object on a full disk: every write fails, and so does the flush in close()."""

    def __init__(self, real: object) -> None:
        self.real = real

    def write(self, _data: bytes) -> int:
        raise OSError(28, "No space left on device")

    def close(self) -> None:
        self.real.close()  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")


async def test_a_full_disk_is_a_storage_error_and_leaves_no_part_file(
    make_client: MakeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import faxdesk.api.transfers as transfers

    real_fdopen = transfers.os.fdopen
    monkeypatch.setattr(transfers.os, "fdopen", lambda fd, mode: _FullDisk(real_fdopen(fd, mode)))
    client = make_client(lambda _request: httpx.Response(200, content=WHOLE))
    with pytest.raises(StorageError) as caught:
        await client.download("01HX", tmp_path / "fax.pdf")
    assert (
        str(caught.value) == f"{tmp_path / 'fax.pdf'} could not be saved: No space left on device."
    )
    assert _listing(tmp_path) == []


async def test_a_saved_fax_gets_the_umask_permissions_or_keeps_the_replaced_files(
    make_client: MakeClient, tmp_path: Path
) -> None:
    import os
    import stat

    client = make_client(lambda _request: httpx.Response(200, content=WHOLE))
    previous = os.umask(0o027)
    try:
        await client.download("01HX", tmp_path / "new.pdf")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.pdf").stat().st_mode) == 0o640

    kept = tmp_path / "kept.pdf"
    kept.write_bytes(b"old")
    kept.chmod(0o604)
    await client.download("01HX", kept)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604
    assert kept.read_bytes() == WHOLE


async def test_a_download_cancelled_while_its_file_is_created_leaves_nothing(
    tmp_path: Path,
) -> None:
    response = httpx.Response(200, content=b"%PDF-1.4 whole document")
    task = asyncio.get_running_loop().create_task(save_stream(response, tmp_path / "fax.pdf"))
    await asyncio.sleep(0)  # it is now waiting for the thread that creates the file
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Let the thread finish creating the file; it is then closed and removed.
    await asyncio.get_running_loop().shutdown_default_executor()
    await until(lambda: not list(tmp_path.iterdir()))


async def test_the_local_sandbox_is_reached_directly_whatever_proxy_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An office proxy cannot reach this computer's loopback, where the built-in sandbox runs.
    async def service(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps({"faxes": [wire_fax(id="DIRECT")], "page": 1, "totalPages": 1})
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body.encode()
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(service, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3")  # nothing listens there
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:3")
    http = create_http_client(timeout=10)
    try:
        client = FaxApiClient(
            http,
            base_url=f"http://127.0.0.1:{port}",
            project_id=PROJECT_ID,
            auth=BasicAuth(KEY_ID, KEY_SECRET),
            retry=NO_RETRIES,
        )
        page = await client.list_faxes(FaxQuery(page_size=5))
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()
    assert [fax.id for fax in page.faxes] == ["DIRECT"]


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        (
            "socks5://127.0.0.1:3",
            "The proxy set in the environment is a SOCKS proxy, which FaxDesk cannot use; set "
            "HTTP_PROXY or HTTPS_PROXY to an HTTP proxy instead.",
        ),
        ("ftp://127.0.0.1:3", "The proxy set in the environment cannot be used: "),
    ],
)
def test_a_proxy_faxdesk_cannot_use_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, proxy: str, message: str
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", proxy)
    with pytest.raises(ConfigError) as caught:
        create_http_client()
    assert str(caught.value).startswith(message)


async def test_an_html_page_instead_of_the_csv_export_is_refused(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(lambda _request: httpx.Response(200, content=b"<html>not csv</html>"))
    with pytest.raises(ApiError) as caught:
        await client.export_csv(FaxQuery(), tmp_path / "faxes.csv")
    assert str(caught.value) == (
        "The fax service sent an HTML page instead of the CSV export; nothing was saved."
    )
    assert _listing(tmp_path) == []
