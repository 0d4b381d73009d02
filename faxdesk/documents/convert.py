"""Turn any document FaxDesk can fax into the fax PDF: every page fitted to the fax paper.

`convert_to_pdf` decides what a file is (its media type, else its name, else its first bytes,
and refuses a file whose bytes contradict what it claims to be), converts PDFs, images, text and
HTML with PyMuPDF and Word files with LibreOffice when it is installed, and fits every page to
Letter or A4 with room at the top for the header line the fax service prints. The work runs in a
child process with a time and memory bound, so a hostile or broken file can neither hang nor
exhaust the caller. It is synchronous and CPU-bound: callers on an event loop run it in a thread
or a process. It must not know about the network, settings files or Qt; errors are
`DocumentError` subclasses whose messages name the file and the cause.
"""

from __future__ import annotations

import contextlib
import enum
import html
import io
import multiprocessing
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import textwrap
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from faxdesk.core.errors import DocumentError
from faxdesk.documents.engine import pymupdf


def _mupdf_errors() -> tuple[type[Exception], ...]:
    """What MuPDF raises for input it cannot read: its own error classes and a few builtins.

    (A function, not a constant: naming MuPDF's class would load PyMuPDF on import.)
    """
    return (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)


def _check_memory(exc: BaseException) -> None:
    """Raise MemoryError when MuPDF failed for want of memory: that is the bound, not the file."""
    text = str(exc).lower()
    # MuPDF names the allocator that failed ("calloc (60000 x 20000 bytes) failed"); zlib
    # reports a failed allocation as its error code -4 (Z_MEM_ERROR).
    words = ("malloc", "calloc", "realloc", "out of memory", "cannot allocate", "failed: -4")
    if isinstance(exc, MemoryError) or any(word in text for word in words):
        raise MemoryError from exc


class UnknownDocumentKind(DocumentError):
    """Neither the media type, the file name nor the bytes tell what the document is."""


class UnsupportedDocumentKind(DocumentError):
    """The document is of a kind FaxDesk cannot convert here (the message says what would)."""


class PasswordRequired(DocumentError):
    """The PDF opens only with a password, and none was given."""


class WrongPassword(DocumentError):
    """The password given does not open the PDF."""


class TooManyPages(DocumentError):
    """The PDF has more pages than one fax may carry; refused before any page is converted."""


# --- paper -------------------------------------------------------------------------------------

#: Fax paper sizes in PDF points (1/72 inch), portrait.
PAPER_SIZES: dict[str, tuple[float, float]] = {
    "letter": (612.0, 792.0),
    "a4": (595.276, 841.89),
}


@dataclass(frozen=True, slots=True)
class Margins:
    """Blank space kept around the content of every fax page, in points."""

    top: float
    right: float
    bottom: float
    left: float


#: The service prints its header line (sender, date, page n/N) across the top of each page, and
#: fax machines do not print to the very edge: content is kept inside these margins.
FAX_MARGINS = Margins(top=24.0, right=12.0, bottom=12.0, left=12.0)


def paper_size(paper: str) -> tuple[float, float]:
    """(width, height) in points of `paper` ("letter" or "a4", any case)."""
    try:
        return PAPER_SIZES[paper.strip().lower()]
    except KeyError:
        choices = " or ".join(PAPER_SIZES)
        raise ValueError(f"unknown paper size {paper!r}; use {choices}") from None


def content_rect(paper: str) -> pymupdf.Rect:
    """The part of a fax page that content may cover."""
    width, height = paper_size(paper)
    m = FAX_MARGINS
    return pymupdf.Rect(m.left, m.top, width - m.right, height - m.bottom)


# --- kinds -------------------------------------------------------------------------------------


class DocumentKind(enum.Enum):
    """The kinds of document FaxDesk knows, each with its name for people."""

    PDF = "PDF"
    PNG = "PNG image"
    JPEG = "JPEG image"
    GIF = "GIF image"
    BMP = "BMP image"
    TIFF = "TIFF image"
    TEXT = "text file"
    HTML = "HTML page"
    DOCX = "Word document"
    DOC = "Word 97-2003 document"
    ODT = "OpenDocument text"

    @property
    def label(self) -> str:
        return self.value


_BY_MEDIA_TYPE: dict[str, DocumentKind] = {
    "application/pdf": DocumentKind.PDF,
    "application/x-pdf": DocumentKind.PDF,
    "image/png": DocumentKind.PNG,
    "application/png": DocumentKind.PNG,
    "image/jpeg": DocumentKind.JPEG,
    "image/jpg": DocumentKind.JPEG,
    "image/pjpeg": DocumentKind.JPEG,
    "application/jpg": DocumentKind.JPEG,
    "image/gif": DocumentKind.GIF,
    "image/bmp": DocumentKind.BMP,
    "image/x-bmp": DocumentKind.BMP,
    "image/x-ms-bmp": DocumentKind.BMP,
    "image/tiff": DocumentKind.TIFF,
    "image/tif": DocumentKind.TIFF,
    "application/tif": DocumentKind.TIFF,
    "application/tiff": DocumentKind.TIFF,
    "text/plain": DocumentKind.TEXT,
    "application/txt": DocumentKind.TEXT,
    "text/html": DocumentKind.HTML,
    "application/html": DocumentKind.HTML,
    "application/xhtml+xml": DocumentKind.HTML,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": DocumentKind.DOCX,
    "application/docx": DocumentKind.DOCX,
    "application/msword": DocumentKind.DOC,
    "application/doc": DocumentKind.DOC,
    "application/vnd.oasis.opendocument.text": DocumentKind.ODT,
    "application/odt": DocumentKind.ODT,
}

_BY_SUFFIX: dict[str, DocumentKind] = {
    ".pdf": DocumentKind.PDF,
    ".png": DocumentKind.PNG,
    ".jpg": DocumentKind.JPEG,
    ".jpeg": DocumentKind.JPEG,
    ".jpe": DocumentKind.JPEG,
    ".gif": DocumentKind.GIF,
    ".bmp": DocumentKind.BMP,
    ".dib": DocumentKind.BMP,
    ".tif": DocumentKind.TIFF,
    ".tiff": DocumentKind.TIFF,
    ".txt": DocumentKind.TEXT,
    ".text": DocumentKind.TEXT,
    ".html": DocumentKind.HTML,
    ".htm": DocumentKind.HTML,
    ".xhtml": DocumentKind.HTML,
    ".docx": DocumentKind.DOCX,
    ".doc": DocumentKind.DOC,
    ".odt": DocumentKind.ODT,
}

#: Media types that say nothing about the content: the name or the bytes decide instead.
_GENERIC_MEDIA_TYPES = frozenset(
    ("", "application/octet-stream", "binary/octet-stream", "application/unknown")
)

_SUPPORTED_LIST = "PDF, PNG, JPEG, GIF, BMP, TIFF, text, HTML or Word (.docx, .doc, .odt)"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


def _sniff(content: bytes) -> DocumentKind | None:
    """The kind the bytes show, or None when they show none FaxDesk knows."""
    head = content[:1024]
    if b"%PDF-" in head:  # PDF readers accept the header anywhere in the first kilobyte
        return DocumentKind.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentKind.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return DocumentKind.JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return DocumentKind.GIF
    if head.startswith(b"BM") and len(head) >= 26:
        return DocumentKind.BMP
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return DocumentKind.TIFF
    if head.startswith(_ZIP_MAGIC):
        if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
            return DocumentKind.ODT
        if b"word/" in content[:65536] or b"[Content_Types].xml" in head:
            return DocumentKind.DOCX if b"word/" in content else None
        return None
    if head.startswith(_OLE_MAGIC):
        return DocumentKind.DOC if b"W\x00o\x00r\x00d\x00D\x00o\x00c" in content else None
    text = _decode_text(content[:4096], strict=True)
    if text is None:
        return None
    start = text.lstrip().lower()
    if start.startswith(("<!doctype html", "<html")):
        return DocumentKind.HTML
    return DocumentKind.TEXT


def _looks_like(kind: DocumentKind, content: bytes) -> bool:
    """Whether the bytes can be a document of `kind` (the check against a lying name)."""
    head = content[:1024]
    match kind:
        case DocumentKind.PDF:
            return b"%PDF-" in head
        case DocumentKind.DOCX | DocumentKind.ODT:
            return head.startswith(_ZIP_MAGIC)
        case DocumentKind.DOC:
            return head.startswith(_OLE_MAGIC)
        case DocumentKind.TEXT | DocumentKind.HTML:
            return _decode_text(content[:65536], strict=False) is not None
        case _:
            return _sniff(content) is kind


def detect_kind(content: bytes, *, filename: str, media_type: str = "") -> DocumentKind:
    """The kind of the document: named by `media_type`, else by the suffix, else by the bytes.

    Raises `UnknownDocumentKind` when nothing tells, `UnsupportedDocumentKind` for a kind
    FaxDesk does not fax, and `DocumentError` when the bytes contradict the declared kind or
    there are none.
    """
    name = filename or "The document"
    declared = media_type.split(";")[0].strip().lower()
    if not content:
        raise DocumentError(f"{name} is empty.", path=filename)
    kind: DocumentKind | None = None
    if declared not in _GENERIC_MEDIA_TYPES:
        kind = _BY_MEDIA_TYPE.get(declared)
        if kind is None:
            raise UnsupportedDocumentKind(
                f"{name} is of type {declared}, which cannot be faxed: use {_SUPPORTED_LIST}.",
                path=filename,
            )
    suffix = os.path.splitext(filename)[1].lower()
    if kind is None and suffix:
        kind = _BY_SUFFIX.get(suffix)
        if kind is None:
            sniffed = _sniff(content)
            if sniffed is not None and sniffed is not DocumentKind.TEXT:
                return sniffed
            raise UnsupportedDocumentKind(
                f"{name} cannot be faxed: FaxDesk does not convert {suffix} files; "
                f"use {_SUPPORTED_LIST}.",
                path=filename,
            )
    if kind is None:
        sniffed = _sniff(content)
        if sniffed is None:
            raise UnknownDocumentKind(
                f"{name} is not a kind of document FaxDesk recognises; use {_SUPPORTED_LIST}.",
                path=filename,
            )
        return sniffed
    if not _looks_like(kind, content):
        raise DocumentError(
            f"{name} is named like a {kind.label} but is not one.",
            path=filename,
        )
    return kind


# --- the result and the limits -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConvertedDocument:
    """A document as the fax carries it.

    Attributes:
        pdf: the fax PDF; every page is the paper size, content inside `FAX_MARGINS`.
        page_count: its number of pages.
        notices: things the user should know that did not stop the conversion, in words
            (e.g. that a damaged PDF was repaired).
        kind: what the input was.
    """

    pdf: bytes
    page_count: int
    notices: tuple[str, ...] = ()
    kind: DocumentKind = DocumentKind.PDF


#: How long one conversion may take, in seconds, before it is stopped.
DEFAULT_TIME_LIMIT = 120.0
#: How much memory (address space) the conversion process may use, in bytes.
DEFAULT_MEMORY_LIMIT = 2 * 1024**3


def convert_to_pdf(
    content: bytes,
    *,
    filename: str,
    media_type: str = "",
    paper: str = "letter",
    password: str | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    max_pages: int | None = None,
) -> ConvertedDocument:
    """Convert `content` (the bytes of the file `filename`) to the fax PDF for `paper`.

    The conversion runs in a child process that is stopped after `time_limit` seconds and may
    use at most `memory_limit` bytes of address space (where the system can limit it). A PDF of
    more than `max_pages` pages is refused with `TooManyPages` as soon as it is opened, before
    a page is converted. Raises a `DocumentError` subclass naming `filename` and the cause;
    `ValueError` for an unknown `paper`.
    """
    paper_size(paper)
    # Deciding the kind is cheap and needs no MuPDF: do it here, so an impostor is refused at once.
    kind = detect_kind(content, filename=filename, media_type=media_type)
    office = find_libreoffice() if kind in _OFFICE_SUFFIXES else None
    request = _Request(
        content,
        filename,
        kind,
        paper.strip().lower(),
        password,
        memory_limit,
        office=office,
        # LibreOffice must give up before the worker is stopped, or it would be left behind.
        office_time_limit=max(time_limit * 0.9, time_limit - 5),
        max_pages=max_pages,
    )
    return run_bounded(
        convert_here, request, filename=filename, time_limit=time_limit, memory_limit=memory_limit
    )


@dataclass(frozen=True, slots=True)
class _Request:
    content: bytes
    filename: str
    kind: DocumentKind
    paper: str
    password: str | None
    memory_limit: int
    #: The LibreOffice program for Word files, or None when there is none.
    office: str | None = None
    office_time_limit: float = DEFAULT_TIME_LIMIT
    #: The most pages a PDF may have, or None for no limit.
    max_pages: int | None = None


def _context() -> Any:
    # A fork server forks each worker from a small process that has already imported this
    # module and PyMuPDF (which this module alone would load only on first use), so a
    # conversion starts in milliseconds and never inherits the caller's threads (Qt, asyncio,
    # uvicorn). Spawn where there is no fork (Windows, macOS defaults).
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pymupdf", __name__])
        return context
    return multiprocessing.get_context("spawn")


def shutdown_workers() -> None:
    """Stop the fork server conversions start from; the next conversion starts a new one.

    Call it when the program shuts down its children (the fork server would otherwise live
    until this process exits).
    """
    from multiprocessing import forkserver

    # The standard library has no public way to stop its fork server.
    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if stop is not None:
        stop()


def run_bounded(
    task: Callable[[Any], ConvertedDocument],
    argument: object,
    *,
    filename: str,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> ConvertedDocument:
    """`task(argument)` in a child process bounded in time and memory; `task` must be a
    module-level function (it is sent to the child by name). Its `DocumentError`s come back
    as they were raised; running out of time or memory is a `DocumentError` naming
    `filename`."""
    name = filename or "The document"
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_worker,
        args=(sender, task, argument, filename, memory_limit),
        name="faxdesk-convert",
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(time_limit):
            raise DocumentError(
                f"{name} could not be converted within {time_limit:g} s; it may be "
                "damaged or far too complex for a fax.",
                path=filename,
            )
        try:
            outcome = receiver.recv()
        except EOFError:
            outcome = None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if outcome is None:
        # The worker died without a word: the memory bound (or a crash inside MuPDF).
        raise DocumentError(_memory_message(name, memory_limit), path=filename)
    status, payload = outcome
    if status == "ok":
        assert isinstance(payload, ConvertedDocument)
        return payload
    class_name, message = payload
    error_class = _ERRORS.get(class_name, DocumentError)
    raise error_class(message, path=filename)


def _memory_message(name: str, limit: int) -> str:
    return (
        f"{name} could not be converted: it needs more memory than FaxDesk allows for one "
        f"document ({limit // 1024**2} MB)."
    )


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: only the time bound applies
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker(
    sender: Connection,
    task: Callable[[Any], ConvertedDocument],
    argument: object,
    filename: str,
    memory_limit: int,
) -> None:
    """The child process: run the task, send back ("ok", result) or ("error", (class, text)).

    Ctrl+C at a terminal reaches the whole process group; the parent decides what it means and
    stops this process itself, so the child ignores it instead of printing a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(memory_limit)
    outcome: tuple[str, object]
    try:
        outcome = ("ok", task(argument))
    except DocumentError as exc:
        outcome = ("error", (type(exc).__name__, str(exc)))
    except MemoryError:
        message = _memory_message(filename or "The document", memory_limit)
        outcome = ("error", ("DocumentError", message))
    try:
        sender.send(outcome)
    except OSError:
        pass  # the parent stopped waiting (interrupted, or out of time): nobody to tell
    finally:
        sender.close()


_ERRORS: dict[str, type[DocumentError]] = {
    cls.__name__: cls
    for cls in (
        UnknownDocumentKind,
        UnsupportedDocumentKind,
        PasswordRequired,
        WrongPassword,
        TooManyPages,
    )
}


def convert_here(request: _Request) -> ConvertedDocument:
    """Convert in this process, without bounds; `convert_to_pdf` runs this in its child."""
    name = request.filename or "The document"
    converter = _CONVERTERS[request.kind]
    notices: list[str] = []
    try:
        doc = converter(request, name, notices)
    except DocumentError:
        raise
    except _mupdf_errors() as exc:
        _check_memory(exc)
        raise DocumentError(
            f"{name} could not be read as a {request.kind.label} ({_cause(exc)}).",
            path=request.filename,
        ) from exc
    with doc:
        if doc.page_count == 0:
            raise DocumentError(f"{name} has no pages.", path=request.filename)
        pdf = doc.tobytes(garbage=3, deflate=True)
        return ConvertedDocument(pdf, doc.page_count, tuple(notices), request.kind)


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return text[:200] or type(exc).__name__


# --- PDF ---------------------------------------------------------------------------------------


#: The start of an indirect object ("12 0 obj"), as a PDF revision holds them.
_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")


def _open_pdf(request: _Request, name: str, notices: list[str]) -> pymupdf.Document:
    content = request.content
    # A file cut off in transfer loses its end-of-file marker; MuPDF would quietly "repair" it
    # into fewer pages, so a fax would lose pages without anyone noticing. Bytes after the last
    # marker are common (padding, a mail gateway's footer) and harmless, unless they hold PDF
    # objects: then a later revision of the file was cut off.
    last_marker = content.rfind(b"%%EOF")
    if last_marker < 0 or _PDF_OBJECT.search(content, last_marker):
        raise DocumentError(
            f"{name} is incomplete: the PDF ends before its last page (was the download cut off?).",
            path=request.filename,
        )
    try:
        doc = pymupdf.open(stream=content, filetype="pdf")
    except _mupdf_errors() as exc:
        _check_memory(exc)
        raise DocumentError(f"{name} is not a readable PDF.", path=request.filename) from exc
    if doc.needs_pass:
        if request.password is None:
            doc.close()
            raise PasswordRequired(f"{name} is protected by a password.", path=request.filename)
        if not doc.authenticate(request.password):
            doc.close()
            raise WrongPassword(f"The password for {name} is not right.", path=request.filename)
    elif (
        # Faxing is printing: a file whose author forbade printing needs its owner password.
        not doc.permissions & pymupdf.PDF_PERM_PRINT
        and (request.password is None or not doc.authenticate(request.password) & 4)
    ):
        doc.close()
        error = WrongPassword if request.password is not None else PasswordRequired
        raise error(
            f"{name} may be printed (and faxed) only with its owner password.",
            path=request.filename,
        )
    if doc.is_repaired:
        notices.append(f"{name} was damaged and has been repaired; check its pages.")
    if doc.page_count == 0:
        doc.close()
        raise DocumentError(f"{name} has no pages.", path=request.filename)
    if request.max_pages is not None and doc.page_count > request.max_pages:
        # Counting is cheap; converting thousands of pages only to refuse them is not.
        count = doc.page_count
        doc.close()
        raise TooManyPages(
            f"{name} has {count} pages; FaxDesk is set to send at most {request.max_pages} in "
            "one fax. Send it as several faxes, or raise the page limit in the settings.",
            path=request.filename,
        )
    return doc


def _convert_pdf(request: _Request, name: str, notices: list[str]) -> pymupdf.Document:
    with _open_pdf(request, name, notices) as source:
        if source.is_form_pdf or _has_annotations(source):
            # Form fields and annotations are drawn by viewers, not by the page content:
            # bake them in so the fax shows what was filled in.
            with contextlib.suppress(*_mupdf_errors(), AttributeError):
                source.bake()
        return _fit_pages(source, request, name)


def _has_annotations(doc: pymupdf.Document) -> bool:
    return any(page.first_annot is not None for page in doc)


def _fit_pages(source: pymupdf.Document, request: _Request, name: str) -> pymupdf.Document:
    """A new document with each page of `source` scaled (never cropped) onto the paper."""
    width, height = paper_size(request.paper)
    area = content_rect(request.paper)
    out = pymupdf.open()
    for number in range(source.page_count):
        page = source[number]
        shown = page.rect  # as a viewer shows it: /Rotate applied
        if shown.is_empty:
            raise DocumentError(f"Page {number + 1} of {name} has no size.", path=request.filename)
        # Fax paper is portrait. A page larger than the paper shrinks to fit, and a landscape
        # page is turned when that lets it print larger; a smaller page keeps its size.
        upright = min(1.0, area.width / shown.width, area.height / shown.height)
        turned = min(1.0, area.width / shown.height, area.height / shown.width)
        turn = 0
        # A page a little too wide is better shrunk a little than turned sideways.
        if turned > upright * 1.1:
            # A page shown landscape by its /Rotate is turned back to how it was made (its
            # text upright); a page made landscape is turned counter-clockwise, as printers do.
            turn = page.rotation if page.rotation in (90, 270) else 90
        scale = turned if turn else upright
        w, h = (shown.height, shown.width) if turn else (shown.width, shown.height)
        left = area.x0 + (area.width - w * scale) / 2
        top = area.y0 + (area.height - h * scale) / 2
        target = pymupdf.Rect(left, top, left + w * scale, top + h * scale)
        fax_page = out.new_page(width=width, height=height)
        rotation = page.rotation
        try:
            # show_pdf_page measures a rotated page wrongly; draw it unrotated and undo /Rotate
            # (clockwise) with a counter-clockwise turn of the same angle, plus the turn to
            # portrait.
            if rotation:
                page.set_rotation(0)
            fax_page.show_pdf_page(
                target, source, number, rotate=(turn - rotation) % 360, keep_proportion=True
            )
        except _mupdf_errors() as exc:
            _check_memory(exc)
            raise DocumentError(
                f"Page {number + 1} of {name} could not be read ({_cause(exc)}).",
                path=request.filename,
            ) from exc
    return out


# --- images ------------------------------------------------------------------------------------

_IMAGE_FILETYPES = {
    DocumentKind.PNG: "png",
    DocumentKind.JPEG: "jpeg",
    DocumentKind.GIF: "gif",
    DocumentKind.BMP: "bmp",
    DocumentKind.TIFF: "tiff",
}


#: Images with more pixels than this are resampled to `_RESAMPLE_DPI` at their fitted size:
#: a fax prints at most about 200 x 400 dpi, and the far end would have to decode them whole.
_MAX_IMAGE_PIXELS = 16_000_000
_RESAMPLE_DPI = 300
#: The resolution assumed for an image that states none, as browsers and MuPDF do.
_DEFAULT_DPI = 96.0


@dataclass(frozen=True, slots=True)
class _Raster:
    """What the header of a PNG or JPEG says, read without decoding a pixel."""

    width: int
    height: int
    xres: float
    yres: float
    grey: bool
    #: A CMYK JPEG with Adobe's marker stores its inks inverted (Photoshop's convention).
    cmyk_inverted: bool = False


def _convert_image(request: _Request, name: str, _notices: list[str]) -> pymupdf.Document:
    # PNG and JPEG go into the PDF still compressed, so that even a huge one is never decoded
    # whole: MuPDF reads such a stream at a reduced size when it renders it smaller.
    embedded = None
    try:
        if request.kind is DocumentKind.JPEG:
            embedded = _embed_jpeg(request.content)
        elif request.kind is DocumentKind.PNG:
            embedded = _embed_png(request.content)
    except DocumentError as exc:
        # The header readers say what is wrong; the file's name goes in front here.
        raise DocumentError(f"{name} {exc}.", path=request.filename) from None
    if embedded is None:
        pages = _resampled_large(_decoded_image_pages(request, name), request)
    else:
        pages, raster = embedded
        if raster.width * raster.height > _MAX_IMAGE_PIXELS:
            pages = _resampled(pages, raster, request)
    with pages:
        return _fit_pages(pages, request, name)


def _decoded_image_pages(request: _Request, name: str) -> pymupdf.Document:
    filetype = _IMAGE_FILETYPES[request.kind]
    try:
        with pymupdf.open(stream=request.content, filetype=filetype) as images:
            if images.page_count == 0:
                raise DocumentError(f"{name} has no pages.", path=request.filename)
            pdf_bytes = images.convert_to_pdf()
    except _mupdf_errors() as exc:
        _check_memory(exc)
        if any(words in str(exc).lower() for words in ("overly large image", "image too large")):
            raise DocumentError(
                f"{name} is too large an image to convert: it has more pixels than MuPDF "
                "decodes at once. Save it as PNG or JPEG, which FaxDesk scales down as it "
                "reads them, or reduce its size.",
                path=request.filename,
            ) from exc
        raise DocumentError(
            f"{name} is not a readable {request.kind.label} ({_cause(exc)}).",
            path=request.filename,
        ) from exc
    return pymupdf.open(stream=pdf_bytes, filetype="pdf")


def _image_page(raster: _Raster) -> tuple[pymupdf.Document, pymupdf.Page]:
    doc = pymupdf.open()
    page = doc.new_page(
        width=raster.width * 72 / raster.xres, height=raster.height * 72 / raster.yres
    )
    return doc, page


def _embed_jpeg(content: bytes) -> tuple[pymupdf.Document, _Raster] | None:
    raster = _jpeg_raster(content)
    if raster is None:
        return None
    # Scan data never holds the end-of-image marker; without one the file was cut off, and
    # MuPDF would quietly fill the missing rows with grey.
    if content.rfind(b"\xff\xd9") < content.find(b"\xff\xda"):
        raise DocumentError("is incomplete: the image ends before its last row")
    doc, page = _image_page(raster)
    try:
        # MuPDF keeps a JPEG as it is (DCTDecode), with the inverted CMYK of Adobe files noted.
        xref = page.insert_image(page.rect, stream=content, keep_proportion=False)
    except _mupdf_errors():
        doc.close()
        return None
    if doc.xref_get_key(xref, "Decode")[0] != "null" and not raster.cmyk_inverted:
        # MuPDF marks every CMYK JPEG as inverted; only those with Adobe's marker are.
        doc.xref_set_key(xref, "Decode", "null")
    return doc, raster


def _jpeg_raster(content: bytes) -> _Raster | None:
    """Size, density and colour of a baseline or progressive JPEG, from its markers."""
    position = 2
    density: tuple[float, float] | None = None
    adobe = False
    while position + 4 <= len(content):
        if content[position] != 0xFF:
            return None
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = int.from_bytes(content[position + 2 : position + 4], "big")
        body = content[position + 4 : position + 2 + length]
        if marker == 0xE0 and body.startswith(b"JFIF\x00") and len(body) >= 12:
            units, x, y = (
                body[7],
                int.from_bytes(body[8:10], "big"),
                int.from_bytes(body[10:12], "big"),
            )
            if units in (1, 2) and x and y:
                factor = 2.54 if units == 2 else 1.0
                density = (x * factor, y * factor)
        if marker == 0xEE and body.startswith(b"Adobe"):
            adobe = True
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
            if len(body) < 6:
                return None
            height = int.from_bytes(body[1:3], "big")
            width = int.from_bytes(body[3:5], "big")
            if not width or not height:
                return None
            xres, yres = density or (_DEFAULT_DPI, _DEFAULT_DPI)
            components = body[5]
            return _Raster(
                width,
                height,
                xres,
                yres,
                grey=components == 1,
                cmyk_inverted=components == 4 and adobe,
            )
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header came
            return None
        position += 2 + length
    return None


def _embed_png(content: bytes) -> tuple[pymupdf.Document, _Raster] | None:
    """The PNG as a PDF image whose Flate stream is the PNG's own data, or None when the PNG
    has what a PDF image cannot carry that way (transparency, interlacing)."""
    chunks = _png_chunks(content)
    if chunks is None:
        return None
    header = chunks.get(b"IHDR", [b""])[0]
    if len(header) != 13:
        return None
    width = int.from_bytes(header[0:4], "big")
    height = int.from_bytes(header[4:8], "big")
    depth, colour, _, _, interlace = header[8:13]
    if interlace or b"tRNS" in chunks or colour not in (0, 2, 3) or not width or not height:
        return None
    colours = 3 if colour == 2 else 1
    if colour == 3:
        palette = chunks.get(b"PLTE", [b""])[0]
        if not palette or len(palette) % 3:
            return None
        space = f"[/Indexed/DeviceRGB {len(palette) // 3 - 1}<{palette.hex()}>]"
    else:
        space = "/DeviceRGB" if colour == 2 else "/DeviceGray"
    xres = yres = _DEFAULT_DPI
    physical = chunks.get(b"pHYs", [b""])[0]
    if len(physical) == 9 and physical[8] == 1:  # pixels per metre
        x = int.from_bytes(physical[0:4], "big") * 0.0254
        y = int.from_bytes(physical[4:8], "big") * 0.0254
        if x >= 1 and y >= 1:
            xres, yres = x, y
    raster = _Raster(width, height, xres, yres, grey=colour == 0)
    doc, page = _image_page(raster)
    xref = doc.get_new_xref()
    doc.update_object(
        xref,
        f"<</Type/XObject/Subtype/Image/Width {width}/Height {height}/ColorSpace {space}"
        f"/BitsPerComponent {depth}>>",
    )
    # Writing a stream uncompressed drops its /Filter: name the filter afterwards.
    doc.update_stream(xref, b"".join(chunks[b"IDAT"]), compress=False)
    doc.xref_set_key(xref, "Filter", "/FlateDecode")
    doc.xref_set_key(
        xref,
        "DecodeParms",
        f"<</Predictor 15/Colors {colours}/BitsPerComponent {depth}/Columns {width}>>",
    )
    page.insert_image(page.rect, xref=xref, keep_proportion=False)
    return doc, raster


def _png_chunks(content: bytes) -> dict[bytes, list[bytes]] | None:
    chunks: dict[bytes, list[bytes]] = {}
    position = 8
    while position + 8 <= len(content):
        length = int.from_bytes(content[position : position + 4], "big")
        kind = content[position + 4 : position + 8]
        body = content[position + 8 : position + 8 + length]
        if len(body) != length:
            return None  # cut off: let the decoder say what is wrong
        crc = int.from_bytes(content[position + 8 + length : position + 12 + length], "big")
        if zlib.crc32(kind + body) != crc:
            raise DocumentError("is damaged: a check sum inside the image does not match")
        chunks.setdefault(kind, []).append(body)
        position += 12 + length
        if kind == b"IEND":
            break
    return chunks if b"IDAT" in chunks and b"IHDR" in chunks else None


def _resampled(pages: pymupdf.Document, raster: _Raster, request: _Request) -> pymupdf.Document:
    """The image page rendered at `_RESAMPLE_DPI` for the size it will be printed at."""
    with pages:
        return _resampled_page(pages[0], raster.grey, request)


def _resampled_large(pages: pymupdf.Document, request: _Request) -> pymupdf.Document:
    """`pages` (one image each, decoded from a TIFF, GIF or BMP) with every image of more than
    `_MAX_IMAGE_PIXELS` replaced by its rendering at `_RESAMPLE_DPI` for its printed size."""
    large = []
    for page in pages:
        images = page.get_images(full=True)
        width, height = (images[0][2], images[0][3]) if images else (0, 0)
        large.append(width * height > _MAX_IMAGE_PIXELS)
    if not any(large):
        return pages
    out = pymupdf.open()
    with pages:
        for number, page in enumerate(pages):
            if large[number]:
                grey = _is_grey(pages, page.get_images()[0][0])
                with _resampled_page(page, grey, request) as smaller:
                    out.insert_pdf(smaller)
            else:
                out.insert_pdf(pages, from_page=number, to_page=number)
    return out


def _is_grey(doc: pymupdf.Document, xref: int) -> bool:
    """Whether the image `xref` has one colour component, read from its dictionary only."""
    kind, space = doc.xref_get_key(xref, "ColorSpace")
    if kind == "xref":  # an ICC profile or another colour space array, by reference
        space = doc.xref_object(int(space.split()[0]), compressed=True)
    if "/ICCBased" in space:
        profile = re.search(r"/ICCBased\s+(\d+)\s+0\s+R", space)
        if profile is not None:
            return doc.xref_get_key(int(profile.group(1)), "N") == ("int", "1")
    return "DeviceGray" in space or "CalGray" in space


def _resampled_page(page: pymupdf.Page, grey: bool, request: _Request) -> pymupdf.Document:
    """A document of one page: `page` (an image page) rendered at `_RESAMPLE_DPI` for the size
    it will be printed at."""
    area = content_rect(request.paper)
    fitted = max(
        min(area.width / page.rect.width, area.height / page.rect.height),
        min(area.width / page.rect.height, area.height / page.rect.width),
    )
    zoom = min(1.0, fitted) * _RESAMPLE_DPI / 72
    try:
        pixmap = page.get_pixmap(
            matrix=pymupdf.Matrix(zoom, zoom),
            colorspace=pymupdf.csGRAY if grey else pymupdf.csRGB,
            alpha=False,
        )
    except _mupdf_errors() as exc:
        _check_memory(exc)
        name = request.filename or "The document"
        raise DocumentError(
            f"{name} is not a readable {request.kind.label} ({_cause(exc)}).",
            path=request.filename,
        ) from exc
    out = pymupdf.open()
    smaller = out.new_page(width=page.rect.width, height=page.rect.height)
    if request.kind is DocumentKind.JPEG:
        smaller.insert_image(smaller.rect, stream=pixmap.tobytes("jpeg", jpg_quality=90))
    else:
        smaller.insert_image(smaller.rect, pixmap=pixmap)
    return out


# --- text and HTML -----------------------------------------------------------------------------

#: Text pages use a monospace font of this size, in points: columns stay aligned and 10 pt
#: survives the fax's 200 dpi.
TEXT_FONT_SIZE = 10.0
_MONO_ADVANCE = 0.6  # Courier's glyphs are 0.6 em wide
_TEXT_CSS = (
    "body {margin: 0; padding: 0;} "
    f"pre {{font-family: monospace; font-size: {TEXT_FONT_SIZE}pt; line-height: 1.2;"
    " margin: 0; white-space: pre;}"
)


def _decode_text(content: bytes, *, strict: bool) -> str | None:
    """The text of `content` in UTF-8 (with or without BOM) or UTF-16 (with BOM), else Latin-1.

    None when the bytes are not text: NUL bytes or other control characters besides tabs,
    line ends and form feeds. With `strict`, Latin-1 text must also look mostly like text.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            return None
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            # The sample may end inside a multi-byte character.
            if exc.start >= len(content) - 3 and exc.reason == "unexpected end of data":
                text = content[: exc.start].decode("utf-8-sig")
            else:
                text = content.decode("latin-1")
    bad = sum(1 for char in text if _is_control(char))
    if bad and (strict or "\x00" in text or bad > len(text) // 100):
        return None
    return text


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" and char not in "\t\n\r\f\v"


def _text_of(request: _Request, name: str) -> str:
    text = _decode_text(request.content, strict=False)
    if text is None:
        raise DocumentError(
            f"{name} is named like a {request.kind.label} but is not one.", path=request.filename
        )
    return text


def _columns(text: str) -> int:
    # East Asian wide characters take two columns of a monospace layout.
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _wrap_line(line: str, width: int) -> list[str]:
    if _columns(line) <= width:
        return [line]
    pieces = textwrap.wrap(
        line,
        width=width,
        expand_tabs=False,
        replace_whitespace=False,
        break_on_hyphens=False,
        break_long_words=True,
    )
    lines: list[str] = []
    for piece in pieces or [""]:
        # textwrap counts characters; wide characters need a second cut.
        while _columns(piece) > width:
            cut, used = 0, 0
            while cut < len(piece) and used + _columns(piece[cut]) <= width:
                used += _columns(piece[cut])
                cut += 1
            lines.append(piece[:cut])
            piece = piece[cut:]
        lines.append(piece)
    return lines


def _convert_text(request: _Request, name: str, _notices: list[str]) -> pymupdf.Document:
    text = _text_of(request, name)
    area = content_rect(request.paper)
    width = int((area.width - 2) // (TEXT_FONT_SIZE * _MONO_ADVANCE))
    sections = []
    # A form feed starts a new page, as on a printer.
    for section in text.replace("\r\n", "\n").replace("\r", "\n").split("\f"):
        lines = []
        for line in section.split("\n"):
            lines.extend(_wrap_line(line.expandtabs(8).rstrip(), width))
        sections.append("<pre>" + html.escape("\n".join(lines) or " ") + "</pre>")
    if text.endswith("\f") and len(sections) > 1:
        sections.pop()  # a trailing form feed ends the last page; it does not add a blank one
    return lay_out_html(sections, request.paper, css=_TEXT_CSS)


def _convert_html(request: _Request, name: str, _notices: list[str]) -> pymupdf.Document:
    text = _text_of(request, name)
    return lay_out_html([text], request.paper)


def lay_out_html(sections: list[str], paper: str, *, css: str = "") -> pymupdf.Document:
    """Flow each HTML section from the top of a new page of `paper` onto as many pages as it
    needs, inside the fax margins. MuPDF finds fonts for any script, CJK included."""
    width, height = paper_size(paper)
    # Glyphs reach a little past their advance: keep a point of slack on every side.
    area = content_rect(paper) + pymupdf.Rect(1, 1, -1, -1)
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    for section in sections:
        story = pymupdf.Story(html=section, user_css=css or None)
        more = True
        while more:
            device = writer.begin_page(pymupdf.Rect(0, 0, width, height))
            more, _ = story.place(area)
            story.draw(device)
            writer.end_page()
    writer.close()
    return pymupdf.open(stream=buffer.getvalue(), filetype="pdf")


# --- word processors ---------------------------------------------------------------------------


#: Where LibreOffice installs its `soffice` outside the PATH.
_OFFICE_PLACES = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)
_OFFICE_SUFFIXES = {DocumentKind.DOCX: ".docx", DocumentKind.DOC: ".doc", DocumentKind.ODT: ".odt"}


#: Names the LibreOffice program to use, for installs in unusual places; when it names no
#: program, Word files are treated as if LibreOffice were not installed.
OFFICE_ENV = "FAXDESK_SOFFICE"


def find_libreoffice() -> str | None:
    """The `soffice` program of an installed LibreOffice, or None."""
    chosen = os.environ.get(OFFICE_ENV)
    if chosen is not None:
        return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((place for place in _OFFICE_PLACES if os.path.isfile(place)), None)


def _convert_word(request: _Request, name: str, notices: list[str]) -> pymupdf.Document:
    if request.office is None:
        raise UnsupportedDocumentKind(
            f"{name} is a {request.kind.label}, which FaxDesk converts with LibreOffice, and "
            "LibreOffice is not installed on this computer. Install it (on Debian or Ubuntu: "
            "'sudo apt install libreoffice-writer'; elsewhere from libreoffice.org), or save the "
            "document as PDF and fax that.",
            path=request.filename,
        )
    with tempfile.TemporaryDirectory(prefix="faxdesk-office-") as folder:
        source = os.path.join(folder, "document" + _OFFICE_SUFFIXES[request.kind])
        with open(source, "wb") as handle:
            handle.write(request.content)
        command = [
            request.office,
            "--headless",
            "--norestore",
            "--nolockcheck",
            # A profile of its own: a LibreOffice the user has open must not take the job.
            "-env:UserInstallation=" + pathlib.Path(folder, "profile").as_uri(),
            "--convert-to",
            "pdf",
            "--outdir",
            folder,
            source,
        ]
        _run_office(command, request, name)
        target = os.path.join(folder, "document.pdf")
        if not os.path.isfile(target):
            raise DocumentError(
                f"{name} could not be converted: LibreOffice could not read it as a "
                f"{request.kind.label}.",
                path=request.filename,
            )
        with open(target, "rb") as handle:
            pdf = handle.read()
    converted = _Request(pdf, request.filename, DocumentKind.PDF, request.paper, None, 0)
    return _convert_pdf(converted, name, notices)


def _run_office(command: list[str], request: _Request, name: str) -> None:
    # Its own process group, so that on a time-out LibreOffice's helper processes go too.
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(timeout=request.office_time_limit)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, AttributeError):
            os.killpg(process.pid, signal.SIGKILL)
        process.kill()
        process.wait()
        raise DocumentError(
            f"{name} could not be converted within {request.office_time_limit:g} s by "
            "LibreOffice; it may be damaged or far too long for a fax.",
            path=request.filename,
        ) from None


_CONVERTERS: dict[DocumentKind, Callable[[_Request, str, list[str]], pymupdf.Document]] = {
    DocumentKind.PDF: _convert_pdf,
    DocumentKind.PNG: _convert_image,
    DocumentKind.JPEG: _convert_image,
    DocumentKind.GIF: _convert_image,
    DocumentKind.BMP: _convert_image,
    DocumentKind.TIFF: _convert_image,
    DocumentKind.TEXT: _convert_text,
    DocumentKind.HTML: _convert_html,
    DocumentKind.DOCX: _convert_word,
    DocumentKind.DOC: _convert_word,
    DocumentKind.ODT: _convert_word,
}
