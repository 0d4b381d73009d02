"""An async client for the Sinch Fax API v3 faxes endpoints, on one shared `httpx.AsyncClient`.

`FaxApiClient` sends faxes, lists and fetches them, downloads their PDFs and checks that the
service answers. It is about transport: the wire format lives in `faxdesk.api.wire`, and every
HTTP status and httpx exception is turned into a `faxdesk.core.errors` class by
`faxdesk.api.errors`, so nothing above this package sees httpx or status numbers. It never
retries on its own (a send, which creates faxes, least of all); the caller decides. It does not
own or close the httpx client it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx

from faxdesk import __version__
from faxdesk.api.errors import (
    error_from_response,
    transport_errors,
    unreadable_answer,
)
from faxdesk.api.wire import (
    fax_from_wire,
    faxes_from_send_response,
    list_query_string,
    page_from_wire,
    send_form_fields,
    send_json_body,
    validate_send_request,
)
from faxdesk.core.errors import ConfigError, DocumentError, NotFound, ValidationError
from faxdesk.core.models import Document, Fax, FaxPage, FaxQuery, SendRequest

USER_AGENT = f"FaxDesk/{__version__}"

#: Connecting should be quick; reading an answer (a send with a large upload) may take longer.
CONNECT_TIMEOUT_SECONDS = 5.0

#: The service accepts page sizes from 1 to 1000.
PAGE_SIZE_RANGE = (1, 1000)

#: Downloaded bytes are collected up to this size before one write off the event loop.
_DOWNLOAD_WRITE_SIZE = 1024 * 1024

_FileField = tuple[str, tuple[str, bytes, str]]


def create_http_client(
    *, timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The shared `httpx.AsyncClient` for FaxDesk: short connect timeout, FaxDesk User-Agent.

    The caller owns it and must `await client.aclose()` when the application shuts down.
    `transport` is for tests that route requests into an in-process sandbox.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout)),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        transport=transport,
    )


class FaxApiClient:
    """The Sinch Fax API faxes endpoints for one project; satisfies `faxdesk.core.ports.FaxApi`.

    Attributes:
        base_url: the service root, e.g. "https://fax.api.sinch.com" or a local sandbox.
        project_id: the Sinch project the faxes belong to.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        project_id: str,
        auth: httpx.Auth,
    ) -> None:
        root = base_url.strip().rstrip("/")
        try:
            parsed = httpx.URL(root)
        except httpx.InvalidURL:
            raise ConfigError(f"The fax service address {root!r} is not a valid URL.") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigError(
                f"The fax service address {root!r} must start with https:// (or http://)."
            )
        if not project_id.strip():
            raise ConfigError("A Sinch project id is needed to reach the fax service.")
        self.base_url = root
        self.project_id = project_id
        self._http = http
        self._auth = auth
        self._faxes_url = f"{root}/v3/projects/{quote(project_id.strip(), safe='')}/faxes"

    def __repr__(self) -> str:
        return f"FaxApiClient(base_url={self.base_url!r}, project_id={self.project_id!r})"

    async def send(self, request: SendRequest) -> list[Fax]:
        """Send a fax and return the faxes the service created, one per recipient.

        Documents go as multipart `file` parts; with content URLs only, the body is JSON. The
        request is checked first and raises `ValidationError` before anything is sent. It is
        never repeated automatically: after a `RequestTimeout` the fax may or may not exist.
        """
        validate_send_request(request)
        if request.documents:
            files = await _read_documents(request.documents)
            response = await self._request(
                "POST", self._faxes_url, data=send_form_fields(request), files=files
            )
        else:
            response = await self._request("POST", self._faxes_url, json=send_json_body(request))
        faxes = faxes_from_send_response(_json(response))
        if faxes is None:
            raise unreadable_answer(response)
        return faxes

    async def list_faxes(self, query: FaxQuery, page: int = 1) -> FaxPage:
        """One page (numbered from 1) of the faxes matching `query`, newest first.

        Without `created_after` or `created_before` the service returns only faxes from the
        prior week; pass a range to see older ones.
        """
        if page < 1:
            raise ValidationError("Pages are numbered from 1.", field="page")
        low, high = PAGE_SIZE_RANGE
        if not low <= query.page_size <= high:
            raise ValidationError(
                f"The page size must be between {low} and {high}.", field="page_size"
            )
        url = _url_with_raw_query(self._faxes_url, list_query_string(query, page))
        response = await self._request("GET", url)
        data = _json(response)
        if not isinstance(data, Mapping):
            raise unreadable_answer(response)
        return page_from_wire(data, page=page, page_size=query.page_size)

    async def iter_faxes(self, query: FaxQuery) -> AsyncIterator[Fax]:
        """Every fax matching `query`, fetching page after page while `page < totalPages`."""
        page = 1
        while True:
            result = await self.list_faxes(query, page)
            for fax in result.faxes:
                yield fax
            # Count pages ourselves and stop at an empty page, so a service that ignores `page`
            # or miscounts cannot keep us looping.
            if page >= result.total_pages or not result.faxes:
                return
            page += 1

    async def get_fax(self, fax_id: str) -> Fax:
        """The fax with this id, as the service describes it now."""
        response = await self._request("GET", self._fax_url(fax_id))
        data = _json(response)
        if not isinstance(data, Mapping):
            raise unreadable_answer(response)
        return fax_from_wire(data)

    async def download(self, fax_id: str, destination: Path) -> Path:
        """Save the fax's PDF to `destination` and return that path.

        The bytes go to a temporary file beside `destination`, which replaces it only once the
        whole PDF has arrived, so an interrupted download never looks complete.
        """
        fax_url = self._fax_url(fax_id)
        destination = Path(destination)
        try:
            return await self._download_from(f"{fax_url}/file", destination)
        except NotFound:
            # Older deployments serve the PDF only on the deprecated suffixed path.
            return await self._download_from(f"{fax_url}/file.pdf", destination)

    async def ping(self) -> None:
        """Check that the service is reachable and accepts the credentials; raise if not.

        Costs one authenticated list request for a single fax.
        """
        url = _url_with_raw_query(self._faxes_url, "pageSize=1&page=1")
        response = await self._request("GET", url)
        if not isinstance(_json(response), Mapping):
            raise unreadable_answer(response)

    # --- transport -----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        data: Mapping[str, Any] | None = None,
        files: Sequence[_FileField] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        with transport_errors():
            response = await self._http.request(
                method,
                url,
                data=data,
                files=files,
                json=json,
                headers={"Accept": "application/json"},
                auth=self._auth,
            )
        if not response.is_success:
            raise error_from_response(response)
        return response

    async def _download_from(self, url: str, destination: Path) -> Path:
        with transport_errors():
            async with self._http.stream(
                "GET", url, headers={"Accept": "application/pdf"}, auth=self._auth
            ) as response:
                if not response.is_success:
                    await response.aread()
                    raise error_from_response(response)
                await _save_stream(response, destination)
        return destination

    def _fax_url(self, fax_id: str) -> str:
        if not fax_id.strip():
            raise ValidationError("A fax id is needed.", field="fax_id")
        return f"{self._faxes_url}/{quote(fax_id.strip(), safe='')}"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        raise unreadable_answer(response) from None


def _url_with_raw_query(url: str, query: str) -> httpx.URL:
    """An httpx URL whose query goes on the wire exactly as given (it must be encoded already).

    httpx (since 0.24) percent-encodes '<' and '>' in queries, following the WHATWG query
    percent-encode set (https://url.spec.whatwg.org/#query-percent-encode-set, httpx
    `_urlparse.QUERY_SAFE`), which would turn `createTime>=` into `createTime%3E=`. The official
    SDKs send the key raw and whether the service decodes the escaped form is unverified, so we
    put our own query back. If httpx's internals change, the encoded form is sent and the
    client tests that assert the literal key fail.
    """
    built = httpx.URL(f"{url}?{query}")
    if built.query != query.encode("ascii"):
        reference = getattr(built, "_uri_reference", None)
        if isinstance(reference, tuple) and hasattr(reference, "_replace"):
            built._uri_reference = reference._replace(query=query)
    return built


async def _read_documents(documents: Sequence[Document]) -> list[_FileField]:
    """The multipart `file` parts for the documents, read in a worker thread."""
    return await asyncio.to_thread(_read_documents_blocking, documents)


def _read_documents_blocking(documents: Sequence[Document]) -> list[_FileField]:
    # Whole files in memory: fax documents are small, and an in-memory body can be sent again
    # after an OAuth token refresh.
    parts: list[_FileField] = []
    for document in documents:
        try:
            content = document.path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or "it could not be opened"
            raise DocumentError(
                f"{document.filename} could not be read ({reason}).", path=str(document.path)
            ) from exc
        parts.append(("file", (document.filename, content, document.media_type)))
    return parts


async def _save_stream(response: httpx.Response, destination: Path) -> None:
    handle, temp_path = await asyncio.to_thread(_open_temp_beside, destination)
    try:
        pending: list[bytes] = []
        pending_size = 0
        async for chunk in response.aiter_bytes():
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size >= _DOWNLOAD_WRITE_SIZE:
                await asyncio.to_thread(handle.write, b"".join(pending))
                pending, pending_size = [], 0
        if pending:
            await asyncio.to_thread(handle.write, b"".join(pending))
        await asyncio.to_thread(_commit, handle, temp_path, destination)
    except BaseException:
        # Closing and unlinking are quick, and awaiting again after a cancellation is unsafe.
        _discard(handle, temp_path)
        raise


def _open_temp_beside(destination: Path) -> tuple[IO[bytes], Path]:
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    return os.fdopen(fd, "wb"), Path(name)


def _commit(handle: IO[bytes], temp_path: Path, destination: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    os.replace(temp_path, destination)


def _discard(handle: IO[bytes], temp_path: Path) -> None:
    handle.close()
    with contextlib.suppress(FileNotFoundError):
        temp_path.unlink()
