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
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import pymupdf

from faxdesk.core.errors import DocumentError

# MuPDF prints its complaints about damaged files to stderr; FaxDesk reports them itself.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)


class UnknownDocumentKind(DocumentError):
    """Neither the media type, the file name nor the bytes tell what the document is."""


class UnsupportedDocumentKind(DocumentError):
    """The document is of a kind FaxDesk cannot convert here (the message says what would)."""


class PasswordRequired(DocumentError):
    """The PDF opens only with a password, and none was given."""


class WrongPassword(DocumentError):
    """The password given does not open the PDF."""


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
) -> ConvertedDocument:
    """Convert `content` (the bytes of the file `filename`) to the fax PDF for `paper`.

    The conversion runs in a child process that is stopped after `time_limit` seconds and may
    use at most `memory_limit` bytes of address space (where the system can limit it). Raises
    a `DocumentError` subclass naming `filename` and the cause; `ValueError` for an unknown
    `paper`.
    """
    paper_size(paper)
    name = filename or "The document"
    # Deciding the kind is cheap and needs no MuPDF: do it here, so an impostor is refused at once.
    kind = detect_kind(content, filename=filename, media_type=media_type)
    request = _Request(content, filename, kind, paper.strip().lower(), password, memory_limit)
    return _run_bounded(request, name, time_limit)


@dataclass(frozen=True, slots=True)
class _Request:
    content: bytes
    filename: str
    kind: DocumentKind
    paper: str
    password: str | None
    memory_limit: int


def _context() -> Any:
    # A fork server forks each worker from a small process that has already imported this
    # module, so a conversion starts in milliseconds and never inherits the caller's threads
    # (Qt, asyncio, uvicorn). Spawn where there is no fork (Windows, macOS defaults).
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
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


def _run_bounded(request: _Request, name: str, time_limit: float) -> ConvertedDocument:
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_worker, args=(sender, request), name="faxdesk-convert", daemon=True
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(time_limit):
            raise DocumentError(
                f"{name} could not be converted within {time_limit:g} s; it may be "
                "damaged or far too complex for a fax.",
                path=request.filename,
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
        raise DocumentError(
            f"{name} could not be converted: it needs more memory than FaxDesk allows "
            f"for one document ({request.memory_limit // 1024**2} MB).",
            path=request.filename,
        )
    status, payload = outcome
    if status == "ok":
        assert isinstance(payload, ConvertedDocument)
        return payload
    class_name, message = payload
    error_class = _ERRORS.get(class_name, DocumentError)
    raise error_class(message, path=request.filename)


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: only the time bound applies
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker(sender: Connection, request: _Request) -> None:
    """The child process: convert, and send back ("ok", result) or ("error", (class, text))."""
    _limit_memory(request.memory_limit)
    outcome: tuple[str, object]
    try:
        outcome = ("ok", convert_here(request))
    except DocumentError as exc:
        outcome = ("error", (type(exc).__name__, str(exc)))
    except MemoryError:
        name = request.filename or "The document"
        outcome = (
            "error",
            (
                "DocumentError",
                f"{name} could not be converted: it needs more memory than FaxDesk allows "
                f"for one document ({request.memory_limit // 1024**2} MB).",
            ),
        )
    try:
        sender.send(outcome)
    finally:
        sender.close()


_ERRORS: dict[str, type[DocumentError]] = {
    cls.__name__: cls
    for cls in (UnknownDocumentKind, UnsupportedDocumentKind, PasswordRequired, WrongPassword)
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
    except (RuntimeError, ValueError) as exc:
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


def _open_pdf(request: _Request, name: str, notices: list[str]) -> pymupdf.Document:
    content = request.content
    # A file cut off in transfer loses its end-of-file marker; MuPDF would quietly "repair" it
    # into fewer pages, so a fax would lose pages without anyone noticing.
    if b"%%EOF" not in content[-2048:]:
        raise DocumentError(
            f"{name} is incomplete: the PDF ends before its last page (was the download cut off?).",
            path=request.filename,
        )
    try:
        doc = pymupdf.open(stream=content, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
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
    return doc


def _convert_pdf(request: _Request, name: str, notices: list[str]) -> pymupdf.Document:
    with _open_pdf(request, name, notices) as source:
        if source.is_form_pdf or _has_annotations(source):
            # Form fields and annotations are drawn by viewers, not by the page content:
            # bake them in so the fax shows what was filled in.
            with contextlib.suppress(RuntimeError, ValueError, AttributeError):
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
        if turned > upright * 1.001:
            # A page shown landscape by its /Rotate is turned back to how it was made (its
            # text upright); a page made landscape is turned counter-clockwise, as printers do.
            turn = page.rotation if page.rotation in (90, 270) else 90
        scale = max(upright, turned)
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
        except (RuntimeError, ValueError) as exc:
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


def _convert_image(request: _Request, name: str, _notices: list[str]) -> pymupdf.Document:
    filetype = _IMAGE_FILETYPES[request.kind]
    try:
        images = pymupdf.open(stream=request.content, filetype=filetype)
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
        raise DocumentError(
            f"{name} is not a readable {request.kind.label}.", path=request.filename
        ) from exc
    with images:
        if images.page_count == 0:
            raise DocumentError(f"{name} has no pages.", path=request.filename)
        try:
            pdf_bytes = images.convert_to_pdf()
        except (RuntimeError, ValueError) as exc:
            raise DocumentError(
                f"{name} is not a readable {request.kind.label} ({_cause(exc)}).",
                path=request.filename,
            ) from exc
    with pymupdf.open(stream=pdf_bytes, filetype="pdf") as pages:
        return _fit_pages(pages, request, name)


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
    return _lay_out(sections, request, css=_TEXT_CSS)


def _convert_html(request: _Request, name: str, _notices: list[str]) -> pymupdf.Document:
    text = _text_of(request, name)
    return _lay_out([text], request, css="")


def _lay_out(sections: list[str], request: _Request, *, css: str) -> pymupdf.Document:
    """Flow each HTML section from the top of a new page onto as many pages as it needs."""
    width, height = paper_size(request.paper)
    # Glyphs reach a little past their advance: keep a point of slack on every side.
    area = content_rect(request.paper) + pymupdf.Rect(1, 1, -1, -1)
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


def _convert_word(request: _Request, name: str, _notices: list[str]) -> pymupdf.Document:
    raise UnsupportedDocumentKind(
        f"{name} is a {request.kind.label}, which FaxDesk converts with LibreOffice; "
        "LibreOffice is not installed on this computer. Install it (for example "
        "'apt install libreoffice-writer'), or save the document as PDF and fax that.",
        path=request.filename,
    )


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
