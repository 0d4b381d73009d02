"""Turn the documents of a send request into the one PDF a fax carries, or the service's error.

Fetches `contentUrl` documents (with httpx, Basic auth taken from the URL), puts them before the
uploaded files, converts each (PDF, images, TIFF, text, HTML, and Word through LibreOffice when
it is installed) with `faxdesk.documents.convert.convert_to_pdf` and joins them. A document
problem is not an HTTP error: the fax is still created and later fails with the
DOCUMENT_CONVERSION_ERROR code the service uses (54 a URL that cannot be fetched, 128 a kind
neither the type, the name nor the bytes tell, 129 a kind not supported, 130 XML, 133 a PDF that
cannot be read, 4 any other file that cannot), with the catalogue's own words as its
errorMessage, so this module returns a `ConversionFailure` instead of raising. Conversion runs
on the `DocumentWorker`'s thread, off the event loop. It never touches state.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

import httpx

from faxdesk.core.errors import DocumentError
from faxdesk.documents.convert import UnknownDocumentKind, UnsupportedDocumentKind, convert_to_pdf
from faxdesk.documents.cover import make_cover_page
from faxdesk.documents.pages import PDF_MEDIA_TYPE, merge_pdfs
from faxdesk.sandbox.wire import SendForm, Upload, mask_url

_log = logging.getLogger(__name__)

# DOCUMENT_CONVERSION_ERROR codes from the service's failure catalogue ...
CODE_MERGE_FAILED = 4
CODE_URL_UNREACHABLE = 54
CODE_UNKNOWN_MEDIA_TYPE = 128
CODE_UNSUPPORTED_MEDIA_TYPE = 129
CODE_XML = 130
CODE_PDF_UNREADABLE = 133
#: ... and the errorMessage the service gives each, word for word (54 names the URL).
CATALOGUE_MESSAGES = {
    CODE_MERGE_FAILED: "There was a problem in converting and merging files to the output file "
    "format. Contact support.",
    CODE_URL_UNREACHABLE: "Could not access the url you provided. {contentUrl}",
    CODE_UNKNOWN_MEDIA_TYPE: "Could not determine mimetype for file.",
    CODE_UNSUPPORTED_MEDIA_TYPE: "Mimetype not supported.",
    CODE_XML: "Mimetype not supported: application/xml",
    CODE_PDF_UNREADABLE: "Failed to normalize PDF document",
}
_XML_TYPES = frozenset(("application/xml", "text/xml"))

FETCH_TIMEOUT_SECONDS = 15.0

P = ParamSpec("P")
T = TypeVar("T")
_PDF_TYPES = frozenset((PDF_MEDIA_TYPE, "application/x-pdf"))
_GENERIC_TYPES = frozenset(("", "application/octet-stream", "binary/octet-stream"))


@dataclass(frozen=True, slots=True)
class ConversionFailure:
    """Why the documents cannot be faxed.

    Attributes:
        code: the fax's `errorCode`.
        message: its `errorMessage`, the catalogue's words.
        detail: what exactly is wrong, in FaxDesk's words (for the inject command and the log).
    """

    code: int
    message: str
    detail: str = ""


def conversion_failure(code: int, detail: str, url: str = "") -> ConversionFailure:
    message = CATALOGUE_MESSAGES[code].replace("{contentUrl}", url)
    return ConversionFailure(code, message, detail or message)


@dataclass(frozen=True, slots=True)
class Prepared:
    """The documents of one request: the joined PDF and its pages, or the failure."""

    pdf: bytes | None
    pages: int
    failure: ConversionFailure | None = None


class Fetcher:
    """Fetches `contentUrl` documents; tests pass an httpx transport to serve them in-process."""

    __slots__ = ("_timeout", "_transport")

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = FETCH_TIMEOUT_SECONDS,
    ) -> None:
        self._transport = transport
        self._timeout = timeout

    async def fetch(self, url: str) -> tuple[bytes, str]:
        """Return (body, media type) of `url`; raise httpx.HTTPError when it cannot be had."""
        target, auth = split_credentials(url)
        # A client per fetch: sends are rare in a sandbox and nothing is left open between them.
        # An injected transport must outlive the client, so it is wrapped, not handed over.
        transport = _Borrowed(self._transport) if self._transport is not None else None
        async with httpx.AsyncClient(
            transport=transport, timeout=self._timeout, follow_redirects=True
        ) as client:
            response = await client.get(target, auth=auth)
            response.raise_for_status()
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return response.content, media_type


def split_credentials(url: str) -> tuple[httpx.URL, httpx.BasicAuth | None]:
    """`url` without its userinfo, and that userinfo as Basic auth (None when there is none).

    The service sends the credentials of `https://user:pass@host/...` URLs as Basic auth, for
    the documents it fetches and the webhooks it delivers alike; they never travel in the URL.
    """
    target = httpx.URL(url)
    if not (target.username or target.password):
        return target, None
    return target.copy_with(userinfo=b""), httpx.BasicAuth(target.username, target.password)


class _Borrowed(httpx.AsyncBaseTransport):
    """Lends a transport to a short-lived client without letting the client close it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)


class DocumentWorker:
    """Runs document work (PyMuPDF) off the event loop, on one thread of its own.

    One thread, because PyMuPDF is not thread-safe: conversions queue up behind each other
    instead of running side by side, and the loop stays free for every other request.
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-documents")

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args, **kwargs))

    def close(self) -> None:
        # Not waiting: a conversion under way may take its full time bound, and the loop must
        # not stop for it; the thread ends with that conversion, queued ones are dropped.
        self._executor.shutdown(wait=False, cancel_futures=True)


#: One document as it arrived: (name for messages, declared media type, bytes).
Document = tuple[str, str, bytes]


async def prepare(form: SendForm, fetcher: Fetcher, worker: DocumentWorker) -> Prepared:
    """Fetch, convert, count and join the documents of `form` (URLs first, then files)."""
    documents: list[Document] = []
    for url in form.content_urls:
        try:
            data, media_type = await fetcher.fetch(url)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            failure = conversion_failure(CODE_URL_UNREACHABLE, str(exc), mask_url(url))
            return Prepared(None, 0, failure)
        documents.append((_url_name(url), media_type, data))
    for index, upload in enumerate(form.uploads, start=1):
        documents.append((_upload_name(upload, index), upload.media_type, upload.data))
    # Conversion is CPU-bound: it must not hold up the event loop and the other requests.
    return await worker.run(convert_documents, documents)


def convert_documents(documents: list[Document]) -> Prepared:
    """Turn `documents` into one fax PDF, or the service's conversion failure. Blocking."""
    converted: list[tuple[str, bytes]] = []
    pages = 0
    for name, media_type, data in documents:
        declared = media_type.split(";")[0].strip().lower()
        if _is_xml(name, declared, data):
            detail = f"{name} is XML, which cannot be faxed."
            return Prepared(None, 0, conversion_failure(CODE_XML, detail))
        telling = _telling_name(name, declared)
        try:
            document = convert_to_pdf(data, filename=telling, media_type=media_type)
        except UnknownDocumentKind as exc:
            detail = _named(str(exc), telling, name)
            return Prepared(None, 0, conversion_failure(CODE_UNKNOWN_MEDIA_TYPE, detail))
        except UnsupportedDocumentKind as exc:
            # Also a Word file without LibreOffice: the one kind the service converts and the
            # sandbox may not, which only its log can explain.
            _log.warning("A document of a kind the sandbox does not convert: %s", exc)
            detail = _named(str(exc), telling, name)
            return Prepared(None, 0, conversion_failure(CODE_UNSUPPORTED_MEDIA_TYPE, detail))
        except DocumentError as exc:
            code = CODE_PDF_UNREADABLE if _claims_pdf(name, media_type, data) else CODE_MERGE_FAILED
            return Prepared(None, 0, conversion_failure(code, _named(str(exc), telling, name)))
        converted.append((name, document.pdf))
        pages += document.page_count
    try:
        pdf = merge_pdfs(converted)
    except DocumentError as exc:
        return Prepared(None, 0, conversion_failure(CODE_MERGE_FAILED, str(exc)))
    return Prepared(pdf, pages)


def _is_xml(name: str, declared: str, data: bytes) -> bool:
    """Whether the document is XML (other than XHTML), which the service names code 130."""
    if declared in _XML_TYPES:
        return True
    if declared not in _GENERIC_TYPES:
        return False
    suffix = os.path.splitext(name)[1].lower()
    if suffix:
        return suffix == ".xml"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") and b"<html" not in head.lower()


def _named(message: str, shown: str, name: str) -> str:
    """`message` about the document converted as `shown`, naming it `name` as it was sent."""
    if shown != name and message.startswith(shown):
        return name + message[len(shown) :]
    return message


def _telling_name(name: str, declared: str) -> str:
    """`name`, or `name` without its suffix when that suffix says nothing about the kind.

    A `.bin` or `.dat` file with nothing declared is whatever its bytes are: when they are no
    kind known, that is "could not determine" (128), not "not supported" (129).
    """
    stem, suffix = os.path.splitext(name)
    if not suffix or declared not in _GENERIC_TYPES:
        return name
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return stem if guessed in (None, *_GENERIC_TYPES) else name


def with_cover_page(template: bytes, fields: Mapping[str, str], document: Prepared) -> Prepared:
    """`document` (converted) with the cover page `template` filled from `fields` put first.

    `pageCount` counts the cover page too. A cover page that cannot be filled fails the fax
    like a PDF that cannot be read. Blocking.
    """
    if document.pdf is None:
        return document
    try:
        cover = make_cover_page(
            template, filename="cover-page.pdf", fields=fields, document_pages=document.pages
        )
        pdf = merge_pdfs([("The cover page", cover.pdf), ("The document", document.pdf)])
    except DocumentError as exc:
        detail = f"The cover page could not be filled in: {exc}"
        return Prepared(None, 0, conversion_failure(CODE_PDF_UNREADABLE, detail))
    return Prepared(pdf, cover.page_count + document.pages)


def _url_name(url: str) -> str:
    # The last part of the path names the document (its suffix may tell its kind); the query
    # and the credentials do not belong in a name.
    path = urlsplit(url).path
    return path.rsplit("/", 1)[-1] or mask_url(url)


def _upload_name(upload: Upload, index: int) -> str:
    return upload.filename or f"File {index}"


def _claims_pdf(name: str, media_type: str, data: bytes) -> bool:
    """Whether the document is meant as a PDF: by its declared type, else its name's suffix,
    else its first bytes (the order in which the kind of a document is decided)."""
    declared = media_type.split(";")[0].strip().lower()
    if declared not in _GENERIC_TYPES:
        return declared in _PDF_TYPES
    suffix = os.path.splitext(name)[1].lower()
    if suffix:
        return suffix == ".pdf"
    return b"%PDF-" in data[:1024]
