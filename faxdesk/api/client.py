"""An async client for the Sinch Fax API v3, on one shared `httpx.AsyncClient`.

`FaxApiClient` sends faxes, lists, fetches and exports them, downloads and deletes their
documents, reads the project's services, their numbers and cover pages, and checks that the
service answers. It is about transport: the wire format lives in `faxdesk.api.wire`, every HTTP
status and httpx exception is turned into a `faxdesk.core.errors` class by `faxdesk.api.errors`,
and document bytes move through `faxdesk.api.transfers`, so nothing above this package sees
httpx or status numbers. Requests that change nothing or are safe to repeat (GET, DELETE,
downloads, the CSV export, ping) are tried again after failures that may pass, as its
`RetryPolicy` says (`faxdesk.api.retries`); a send, which creates faxes, is never repeated. It
does not own or close the httpx client it is given.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import httpx
import truststore

from faxdesk import __version__
from faxdesk.api.errors import (
    error_from_response,
    transport_errors,
    unreadable_answer,
)
from faxdesk.api.retries import RetryPolicy, with_retries
from faxdesk.api.transfers import (
    BodyPart,
    FilePart,
    UploadStream,
    save_stream,
    upload_timeout,
)
from faxdesk.api.urls import service_root
from faxdesk.api.wire import (
    cover_page_from_wire,
    cover_pages_from_wire,
    fax_from_wire,
    faxes_from_send_response,
    list_query_string,
    page_from_wire,
    send_form_fields,
    send_json_body,
    service_from_wire,
    service_numbers_page_from_wire,
    services_page_from_wire,
    validate_send_request,
)
from faxdesk.core.errors import ApiError, ConfigError, DocumentError, NotFound, ValidationError
from faxdesk.core.models import (
    CoverPage,
    Document,
    Fax,
    FaxPage,
    FaxQuery,
    SendRequest,
    Service,
    ServiceNumber,
)
from faxdesk.core.ports import SendEncoding, TransferProgress

USER_AGENT = f"FaxDesk/{__version__}"

#: Connecting should be quick; reading an answer (a send with a large upload) may take longer.
CONNECT_TIMEOUT_SECONDS = 5.0

#: The service accepts page sizes from 1 to 1000.
PAGE_SIZE_RANGE = (1, 1000)

#: Services asked for per page when listing them (the service's default is 20).
SERVICES_PAGE_SIZE = 100

#: Methods that may be sent again without changing the outcome (RFC 9110, 9.2.2).
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

#: Query keys of the list endpoint that the CSV export leaves out: it exports every match.
_PAGING_KEYS = frozenset({"page", "pageSize"})

#: A document to upload: (filename, content, media type).
_FileTuple = tuple[str, bytes, str]

_T = TypeVar("_T")


def create_http_client(
    *, timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The shared `httpx.AsyncClient` for FaxDesk: short connect timeout, FaxDesk User-Agent.

    Certificates are checked against the operating system's trust store (through
    `truststore`), so a certificate an organisation installed for its TLS-inspecting proxy is
    trusted as it is by the browser. Proxies come from HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and
    NO_PROXY, except for this computer's own addresses (the built-in sandbox), which an office
    proxy cannot reach. A proxy setting FaxDesk cannot use raises `ConfigError`. The caller
    owns the client and must `await client.aclose()` when the application shuts down.
    `transport` is for tests that route requests into an in-process sandbox.
    """
    try:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout)),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
            verify=truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
            trust_env=True,
            transport=transport,
            # A mount without a transport means "no proxy" for matching URLs.
            mounts=dict.fromkeys(_LOOPBACK_PATTERNS),
        )
    except ImportError:
        # httpx needs an extra package (socksio) for SOCKS proxies, which FaxDesk leaves out.
        raise ConfigError(
            "The proxy set in the environment is a SOCKS proxy, which FaxDesk cannot use; set "
            "HTTP_PROXY or HTTPS_PROXY to an HTTP proxy instead."
        ) from None
    except ValueError as exc:
        raise ConfigError(
            f"The proxy set in the environment cannot be used: {exc}. Set HTTP_PROXY or "
            "HTTPS_PROXY to an http:// or https:// address."
        ) from None


#: Requests to these never go through a proxy: the built-in sandbox listens on loopback.
_LOOPBACK_PATTERNS = ("all://127.0.0.1", "all://localhost", "all://[::1]")


class FaxApiClient:
    """The Sinch Fax API for one project; satisfies `faxdesk.core.ports.FaxApi`.

    Attributes:
        base_url: the service root, e.g. "https://fax.api.sinch.com" or a local sandbox.
        project_id: the Sinch project the faxes belong to.
        retry: how requests that are safe to repeat are tried again; `NO_RETRIES` (from
            `faxdesk.api.retries`) turns that off.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        project_id: str,
        auth: httpx.Auth,
        retry: RetryPolicy | None = None,
    ) -> None:
        root = service_root(base_url, "fax service")
        if not project_id.strip():
            raise ConfigError("A Sinch project id is needed to reach the fax service.")
        root = _without_api_path(root, project_id.strip())
        self.base_url = root
        self.project_id = project_id
        self.retry = retry if retry is not None else RetryPolicy()
        self._http = http
        self._auth = auth
        self._project_url = f"{root}/v3/projects/{quote(project_id.strip(), safe='')}"
        self._faxes_url = f"{self._project_url}/faxes"

    def __repr__(self) -> str:
        return f"FaxApiClient(base_url={self.base_url!r}, project_id={self.project_id!r})"

    # --- faxes ---------------------------------------------------------------------------------

    async def send(
        self,
        request: SendRequest,
        *,
        encoding: SendEncoding = "multipart",
        progress: TransferProgress | None = None,
    ) -> list[Fax]:
        """Send a fax and return the faxes the service created, one per recipient.

        Documents go as multipart `file` parts, or with `encoding="json"` base64-encoded in a
        JSON body; with content URLs only, the body is JSON either way. The request is checked
        first and raises `ValidationError` before anything is sent. `progress` hears how much of
        the body has gone out. It is never repeated automatically: after a `RequestTimeout` or
        a dropped connection the fax may or may not exist.
        """
        validate_send_request(request)
        if encoding not in ("multipart", "json"):
            raise ValueError(f"Unknown send encoding {encoding!r}; use 'multipart' or 'json'.")
        content_type, body = await asyncio.to_thread(_encode_send, request, encoding)
        response = await self._upload("POST", self._faxes_url, content_type, body, progress)
        faxes = faxes_from_send_response(_json(response))
        # A success that names no fax (or a fax without an id) cannot be tracked or found
        # again: report it rather than pretend the fax went out.
        if not faxes or any(not fax.id.strip() for fax in faxes):
            raise unreadable_answer(response)
        return faxes

    async def list_faxes(self, query: FaxQuery, page: int = 1) -> FaxPage:
        """One page (numbered from 1) of the faxes matching `query`, newest first.

        Without `created_after` or `created_before` the service returns only faxes created in
        the prior week; pass a range to see older ones.
        """
        if page < 1:
            raise ValidationError("Pages are numbered from 1.", field="page")
        low, high = PAGE_SIZE_RANGE
        if not low <= query.page_size <= high:
            raise ValidationError(
                f"The page size must be between {low} and {high}.", field="page_size"
            )
        url = _url_with_raw_query(self._faxes_url, list_query_string(query, page))
        data = await self._get_mapping(url)
        return page_from_wire(data, page=page, page_size=query.page_size)

    async def iter_faxes(self, query: FaxQuery) -> AsyncIterator[Fax]:
        """Every fax matching `query`, fetching page after page while `page < totalPages`.

        As with `list_faxes`, without a created range only the prior week's faxes come back.
        """
        page = 1
        seen: set[str] = set()
        while True:
            result = await self.list_faxes(query, page)
            new = [fax for fax in result.faxes if fax.id not in seen]
            for fax in new:
                seen.add(fax.id)
                yield fax
            # Count pages ourselves and stop at an empty page or one with nothing new, so a
            # service that ignores `page` or miscounts cannot keep us looping or repeating.
            if page >= result.total_pages or not new:
                return
            page += 1

    async def get_fax(self, fax_id: str) -> Fax:
        """The fax with this id, as the service describes it now."""
        data = await self._get_mapping(self._fax_url(fax_id))
        return fax_from_wire(data)

    async def download(
        self, fax_id: str, destination: Path, *, progress: TransferProgress | None = None
    ) -> Path:
        """Save the fax's PDF to `destination` and return that path.

        The bytes go to a temporary file beside `destination`, which replaces it only once the
        whole PDF has arrived, so an interrupted download never looks complete; a download tried
        again starts over (and `progress` with it, from 0).
        """
        fax_url = self._fax_url(fax_id)
        destination = Path(destination)
        try:
            return await self._download(
                f"{fax_url}/file", destination, "application/pdf", progress, check=_must_be_pdf
            )
        except NotFound:
            # Older deployments serve the PDF only on the deprecated suffixed path.
            return await self._download(
                f"{fax_url}/file.pdf", destination, "application/pdf", progress, check=_must_be_pdf
            )

    async def delete_content(self, fax_id: str) -> None:
        """Delete the fax's stored document on the service; the fax record stays listable.

        The service answers 204 with no body; any 2xx counts as done.
        """
        await self._request("DELETE", f"{self._fax_url(fax_id)}/file")

    async def export_csv(
        self, query: FaxQuery, destination: Path, *, progress: TransferProgress | None = None
    ) -> Path:
        """Save the service's CSV export of every fax matching `query` to `destination`.

        The filters are the list's (without paging: the export holds every match), so without a
        created range it covers only the prior week. The file is the service's own, byte for
        byte, and appears only once complete, as with `download`.
        """
        parts = [
            part
            for part in list_query_string(query).split("&")
            if part.split("=", 1)[0] not in _PAGING_KEYS
        ]
        url = _url_with_raw_query(self._faxes_url, "&".join(["format=csv", *parts]))
        return await self._download(
            url, Path(destination), "text/csv", progress, check=_must_be_csv
        )

    # --- services and cover pages --------------------------------------------------------------

    async def list_services(self) -> list[Service]:
        """Every fax service of the project, fetching page after page as the answer says."""
        return await self._collect_pages(
            f"{self._project_url}/services",
            services_page_from_wire,
            SERVICES_PAGE_SIZE,
            key=lambda service: service.id,
        )

    async def get_service(self, service_id: str) -> Service:
        """The fax service with this id."""
        data = await self._get_mapping(self._service_url(service_id))
        return service_from_wire(data)

    async def list_service_numbers(self, service_id: str) -> list[ServiceNumber]:
        """Every phone number of the service: the numbers its faxes can be sent from."""
        return await self._collect_pages(
            f"{self._service_url(service_id)}/numbers",
            service_numbers_page_from_wire,
            SERVICES_PAGE_SIZE,
            key=lambda number: number.phone_number,
        )

    async def list_cover_pages(self, service_id: str) -> list[CoverPage]:
        """Every cover page of the service (lists may leave the PDF itself out)."""
        return await self._collect_pages(
            f"{self._service_url(service_id)}/coverPages",
            cover_pages_from_wire,
            None,
            key=lambda page: page.id,
        )

    async def get_cover_page(self, service_id: str, cover_page_id: str) -> CoverPage:
        """One cover page of the service, with its PDF template."""
        cover_page = _path_segment(cover_page_id, "A cover page id is needed.", "cover_page_id")
        url = f"{self._service_url(service_id)}/coverPages/{cover_page}"
        data = await self._get_mapping(url)
        return cover_page_from_wire(data)

    async def ping(self) -> None:
        """Check that the service is reachable and accepts the credentials; raise if not.

        Costs one authenticated list request for a single fax.
        """
        await self._get_mapping(_url_with_raw_query(self._faxes_url, "pageSize=1&page=1"))

    # --- transport -----------------------------------------------------------------------------

    async def _request(
        self, method: str, url: str | httpx.URL, *, accept: str = "application/json"
    ) -> httpx.Response:
        """A request without a body, tried again as `retry` says if `method` is idempotent."""

        async def attempt() -> httpx.Response:
            with transport_errors():
                response = await self._http.request(
                    method, url, headers={"Accept": accept}, auth=self._auth
                )
            if not response.is_success:
                raise error_from_response(response)
            return response

        return await self._retrying(method, url, attempt)

    async def _get_mapping(self, url: str | httpx.URL) -> Mapping[str, Any]:
        """GET a JSON object; any other answer is unreadable."""
        response = await self._request("GET", url)
        data = _json(response)
        if not isinstance(data, Mapping):
            raise unreadable_answer(response)
        return data

    async def _collect_pages(
        self,
        url: str,
        read: Callable[[Mapping[str, Any]], list[_T]],
        page_size: int | None,
        *,
        key: Callable[[_T], str],
    ) -> list[_T]:
        """Every item of a paged list, asking for the next page while `page < totalPages`.

        `key` names an item (its id); an item seen on an earlier page is not listed again.
        """
        items: list[_T] = []
        seen: set[str] = set()
        page = 1
        while True:
            query = [f"pageSize={page_size}"] if page_size is not None else []
            if page_size is not None or page > 1:
                query.append(f"page={page}")
            data = await self._get_mapping(
                _url_with_raw_query(url, "&".join(query)) if query else url
            )
            new = []
            for item in read(data):
                name = key(item) or repr(item)
                if name not in seen:
                    seen.add(name)
                    new.append(item)
            items.extend(new)
            total_pages = _page_count(data.get("totalPages"))
            # As in iter_faxes: an empty page, one with nothing new (a service that ignores
            # `page` and counts many) or a missing count ends the walk.
            if not new or total_pages is None or page >= total_pages:
                return items
            page += 1

    async def _download(
        self,
        url: str | httpx.URL,
        destination: Path,
        accept: str,
        progress: TransferProgress | None,
        *,
        check: Callable[[bytes], None] | None = None,
    ) -> Path:
        async def attempt() -> Path:
            with transport_errors():
                async with self._http.stream(
                    "GET", url, headers={"Accept": accept}, auth=self._auth
                ) as response:
                    if not response.is_success:
                        await response.aread()
                        raise error_from_response(response)
                    await save_stream(response, destination, progress, check=check)
            return destination

        return await self._retrying("GET", url, attempt)

    async def _upload(
        self,
        method: str,
        url: str,
        content_type: str,
        body: Sequence[BodyPart],
        progress: TransferProgress | None,
    ) -> httpx.Response:
        """Send `body` once, reporting progress, with timeouts sized for it. Never retried."""
        stream = UploadStream(body, progress)
        built = self._http.build_request(
            method,
            url,
            headers={
                "Accept": "application/json",
                "Content-Type": content_type,
                "Content-Length": str(stream.size),
            },
            timeout=upload_timeout(self._http.timeout, stream.size),
        )
        # The same request with the body as a progress-reporting stream; the built one supplied
        # the merged client headers (User-Agent), cookies and timeouts.
        request = httpx.Request(
            built.method,
            built.url,
            headers=built.headers,
            stream=stream,
            extensions=built.extensions,
        )
        with transport_errors():
            response = await self._http.send(request, auth=self._auth)
        if not response.is_success:
            raise error_from_response(response)
        return response

    async def _retrying(
        self, method: str, url: str | httpx.URL, attempt: Callable[[], Awaitable[_T]]
    ) -> _T:
        if method.upper() not in _IDEMPOTENT_METHODS:
            return await attempt()
        what = f"{method.upper()} {httpx.URL(url).path}"
        return await with_retries(self.retry, attempt, what=what)

    def _fax_url(self, fax_id: str) -> str:
        return f"{self._faxes_url}/{_path_segment(fax_id, 'A fax id is needed.', 'fax_id')}"

    def _service_url(self, service_id: str) -> str:
        segment = _path_segment(service_id, "A service id is needed.", "service_id")
        return f"{self._project_url}/services/{segment}"


#: The API's own path at the end of a configured address: `/v3`, `/v3/projects/{projectId}`,
#: or an endpoint below it such as `/v3/projects/{projectId}/faxes`.
_API_PATH = re.compile(r"/v3(?:/projects(?:/(?P<project>[^/]*)(?:/faxes(?:/.*)?)?)?)?$")


def fax_api_root(base_url: str, project_id: str) -> str:
    """The service root FaxDesk keeps for `base_url`, as the client will use it: checked, and
    without the `/v3/projects/...` path it may have been pasted with. Raises `ConfigError`
    naming what is wrong, e.g. an address that names another project."""
    return _without_api_path(service_root(base_url, "fax service"), project_id.strip())


def _without_api_path(root: str, project_id: str) -> str:
    """`root` without the `/v3/projects/{projectId}` Sinch's reference shows the base URL with
    (or the `/faxes` endpoint below it).

    The client adds that path itself, so an address pasted with it would double it. A project
    named in the address must be the configured one.
    """
    found = _API_PATH.search(root)
    if found is None:
        return root
    named = unquote(found.group("project") or "")
    if named and named != "{projectId}" and named != project_id:
        raise ConfigError(
            f"The fax service address names the project {named!r}, but the project id is "
            f"{project_id!r}; give the address without /v3/projects/..."
        )
    stripped = root[: found.start()]
    return stripped if "://" in stripped and stripped.split("://", 1)[1] else root


def _path_segment(value: str, message: str, field: str) -> str:
    if not value.strip():
        raise ValidationError(message, field=field)
    return quote(value.strip(), safe="")


def _page_count(value: Any) -> int | None:
    """`totalPages` as a number: the service sends an integer, a number in text is accepted."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _must_be_pdf(head: bytes) -> None:
    """Refuse a download that is not a PDF: a proxy's or portal's login page, say."""
    if b"%PDF-" not in head:
        looks = "an HTML page" if head.lstrip()[:1] == b"<" else "something else"
        raise ApiError(
            f"The fax service sent {looks} instead of the fax's PDF; nothing was saved. A "
            "proxy or sign-in page on this network may be answering in its place."
        )


def _must_be_csv(head: bytes) -> None:
    """Refuse an export that is a web page or a JSON document rather than CSV text."""
    start = head.lstrip()[:1]
    if start in (b"<", b"{", b"["):
        looks = "an HTML page" if start == b"<" else "a JSON document"
        raise ApiError(
            f"The fax service sent {looks} instead of the CSV export; nothing was saved."
        )


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


def _encode_send(request: SendRequest, encoding: SendEncoding) -> tuple[str, list[BodyPart]]:
    """The Content-Type and the parts of a send body; blocking (looks at the documents).

    A multipart body refers to its documents (`FilePart`) instead of holding them, so they are
    read from disk only as the body goes out; a JSON body carries them base64-encoded, in memory.
    """
    if not request.documents:
        built = httpx.Request("POST", "http://body.invalid/", json=send_json_body(request))
    elif encoding == "json":
        files = _read_documents(request.documents)
        built = httpx.Request(
            "POST", "http://body.invalid/", json=send_json_body(request, files=files)
        )
    else:
        return _multipart_from_files(request)
    return built.headers["Content-Type"], [built.read()]


def _multipart_from_files(request: SendRequest) -> tuple[str, list[BodyPart]]:
    # httpx writes the framing (boundary, part headers, field encoding), with a random stand-in
    # for each file's bytes; the stand-ins are then swapped for the files themselves, so the
    # body is byte for byte what httpx would send with the files loaded, without loading them.
    sizes = [_document_size(document) for document in request.documents]
    stand_ins = [secrets.token_hex(16).encode("ascii") for _ in request.documents]
    built = httpx.Request(
        "POST",
        "http://body.invalid/",
        data=send_form_fields(request),
        files=[
            ("file", (_wire_filename(document.filename), stand_in, document.media_type))
            for document, stand_in in zip(request.documents, stand_ins, strict=True)
        ],
    )
    parts: list[BodyPart] = []
    rest = built.read()
    for document, stand_in, size in zip(request.documents, stand_ins, sizes, strict=True):
        before, found, rest = rest.partition(stand_in)
        if not found:
            raise AssertionError("httpx changed how it writes multipart bodies")
        parts += [before, FilePart(document.path, size, document.filename)]
    parts.append(rest)
    return built.headers["Content-Type"], parts


def _document_size(document: Document) -> int:
    """The document's size, after checking that it can be opened."""
    try:
        with document.path.open("rb") as handle:
            return os.fstat(handle.fileno()).st_size
    except OSError as exc:
        reason = exc.strerror or "it could not be opened"
        raise DocumentError(
            f"{document.filename} could not be read ({reason}).", path=str(document.path)
        ) from exc


def _read_documents(documents: Sequence[Document]) -> list[_FileTuple]:
    # Whole files in memory, for JSON bodies only: base64 inside JSON cannot be streamed here.
    files: list[_FileTuple] = []
    for document in documents:
        try:
            content = document.path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or "it could not be opened"
            raise DocumentError(
                f"{document.filename} could not be read ({reason}).", path=str(document.path)
            ) from exc
        files.append((document.filename, content, document.media_type))
    return files


def _wire_filename(name: str) -> str:
    """A file name as UTF-8 text can carry it.

    A name that is not valid in the file system's encoding (Python keeps its bytes as lone
    surrogates) cannot go into a multipart header; its undecodable bytes become U+FFFD.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", errors="replace")
    return name
