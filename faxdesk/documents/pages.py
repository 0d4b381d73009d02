"""Inspect fax documents and render their pages to pixels.

Everything here is synchronous and CPU-bound: callers on an event loop run it in a process pool
(see `faxdesk.services.previews`). PyMuPDF is not thread-safe, so a Document never leaves the
function that opened it, and rendered pixels are copied out before the pixmap is freed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from faxdesk.core.errors import DocumentError
from faxdesk.documents.engine import mupdf, pymupdf

PDF_MEDIA_TYPE = "application/pdf"


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """One page as 8-bit grey pixels, `stride` bytes a row; free of any PyMuPDF object.

    Grey, because a fax machine prints no colour: the preview should not promise any, and a
    grey page is a third of the bytes to carry back from a worker process.
    """

    index: int
    page_count: int
    width: int
    height: int
    stride: int
    samples: bytes


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What a preview needs to lay a document out before any of its pages is rendered.

    `page_sizes` holds each page's (width, height) in points as the page is shown, its own
    /Rotate applied, so landscape and mixed documents are laid out right from the start.
    """

    page_sizes: tuple[tuple[float, float], ...]

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)


@dataclass(frozen=True, slots=True)
class PreviewStart:
    """What a preview needs to show a document's first page before the rest is known: the page
    count, the first page's (width, height) in points as shown, and that page rendered when a
    width was asked for."""

    page_count: int
    first_size: tuple[float, float]
    first_page: RenderedPage | None


#: The view rotations, clockwise in degrees, a preview can ask `render_page` for.
ROTATIONS = (0, 90, 180, 270)


def _open_pdf(data: bytes | None, path: Path | None, name: str) -> pymupdf.Document:
    try:
        empty = not data if data is not None else path is not None and path.stat().st_size == 0
    except OSError:
        empty = False  # opening it below says what is wrong
    if empty:
        raise DocumentError(f"{name} is empty.", path=name)
    try:
        if data is not None:
            doc = pymupdf.open(stream=data, filetype="pdf")
        else:
            doc = pymupdf.open(path, filetype="pdf")
    except (FileNotFoundError, pymupdf.FileNotFoundError):
        raise DocumentError(f"{name} does not exist.", path=name) from None
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
        raise DocumentError(f"{name} is not a readable PDF.", path=name) from exc
    if doc.needs_pass:
        doc.close()
        raise DocumentError(f"{name} is protected by a password.", path=name)
    if doc.page_count == 0:
        doc.close()
        raise DocumentError(f"{name} has no pages.", path=name)
    return doc


def open_pdf(data: bytes | None, path: Path | None, name: str) -> pymupdf.Document:
    """Open a PDF from `data` or else `path`; raises DocumentError naming `name` and the cause.

    The caller owns the Document: use it on one thread and close it (it is a context manager).
    """
    return _open_pdf(data, path, name)


def count_pages(data: bytes, name: str = "The document") -> int:
    """Return the number of pages of a PDF held in memory, or raise DocumentError."""
    with _open_pdf(data, None, name) as doc:
        return doc.page_count


def count_pages_in_file(path: Path) -> int:
    """Return the number of pages of the PDF at `path`, or raise DocumentError."""
    with _open_pdf(None, path, path.name) as doc:
        return doc.page_count


def merge_pdfs(documents: list[tuple[str, bytes]]) -> bytes:
    """Join PDFs, given as (name, data), into one PDF in the order given.

    A single document comes back unchanged. Raises DocumentError naming the first document
    that cannot be read or joined.
    """
    if not documents:
        raise DocumentError("There is nothing to join.")
    if len(documents) == 1:
        name, data = documents[0]
        count_pages(data, name)
        return data
    with pymupdf.open() as merged:
        for name, data in documents:
            with _open_pdf(data, None, name) as doc:
                try:
                    merged.insert_pdf(doc)
                except (RuntimeError, ValueError) as exc:
                    raise DocumentError(f"{name} could not be joined: {exc}", path=name) from exc
        return merged.tobytes(garbage=1, deflate=True)


def document_info(path: Path) -> DocumentInfo:
    """Return the page sizes of the PDF at `path`, or raise DocumentError.

    Reading them loads each page's dictionary, not its content: about 20 microseconds a page.
    """
    with _previewing(path) as doc:
        return DocumentInfo(tuple((page.rect.width, page.rect.height) for page in doc.pages()))


@contextmanager
def _previewing(path: Path) -> Iterator[pymupdf.Document]:
    """Open the PDF at `path` for one preview call, and forget what MuPDF cached for it after.

    Rendering fills MuPDF's store with decoded images and fonts keyed to this document's
    objects. Once it is closed nothing can use them again, yet MuPDF keeps them until its
    256 MB store is full: a worker previewing a long fax would grow by a megabyte every few
    pages. Emptying the store after each call keeps the worker's memory flat, at no cost.
    """
    try:
        with _open_pdf(None, path, path.name) as doc:
            yield doc
    finally:
        mupdf.fz_empty_store()


def preview_start(path: Path, width: int | None = None) -> PreviewStart:
    """Open the PDF at `path` for a preview: its page count and first page size, and that
    page rendered `width` pixels wide when `width` is given, in one go (one open, and for a
    worker process one round trip, before the user sees the first page). Raises DocumentError.
    """
    with _previewing(path) as doc:
        rect = doc[0].rect
        first = _render(doc, path.name, 0, width, 0) if width else None
        return PreviewStart(doc.page_count, (rect.width, rect.height), first)


def render_page(path: Path, index: int, width: int, rotation: int = 0) -> RenderedPage:
    """Render page `index` (0-based) of the PDF at `path` scaled to `width` pixels wide.

    `rotation` turns the page clockwise by 0, 90, 180 or 270 degrees first (a view rotation:
    the document is not changed); `width` is the width of the turned page.
    """
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation must be one of {ROTATIONS}, not {rotation}")
    with _previewing(path) as doc:
        return _render(doc, path.name, index, width, rotation)


def _render(
    doc: pymupdf.Document, name: str, index: int, width: int, rotation: int
) -> RenderedPage:
    if not 0 <= index < doc.page_count:
        raise DocumentError(
            f"{name} has {doc.page_count} pages; there is no page {index + 1}.", path=name
        )
    page = doc[index]
    shown_width = page.rect.height if rotation in (90, 270) else page.rect.width
    zoom = max(width, 1) / shown_width
    matrix = pymupdf.Matrix(zoom, zoom).prerotate(rotation)
    pix = page.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY, alpha=False)
    return rendered_page(index, doc.page_count, pix)


def rendered_page(index: int, page_count: int, pix: pymupdf.Pixmap) -> RenderedPage:
    """Page `index` of `page_count` from a grey pixmap, its pixels copied out (the pixmap's
    buffer belongs to PyMuPDF)."""
    return RenderedPage(
        index=index,
        page_count=page_count,
        width=pix.width,
        height=pix.height,
        stride=pix.stride,
        samples=bytes(pix.samples),
    )


def save_pdf(paths: Sequence[Path], destination: Path) -> None:
    """Write the PDFs at `paths`, joined in order, as one PDF at `destination`.

    A single PDF is copied as it is. The file appears whole or not at all; DocumentError
    names the file and the reason when a source cannot be read or the target written.
    """
    if not paths:
        raise DocumentError("There is nothing to save.")
    try:
        fd, temp = tempfile.mkstemp(prefix=".faxdesk-", suffix=".part", dir=destination.parent)
    except OSError as exc:
        raise DocumentError(
            f"{destination.name} cannot be written in {destination.parent}: "
            f"{(exc.strerror or str(exc)).lower()}.",
            path=str(destination),
        ) from exc
    os.close(fd)
    try:
        if len(paths) == 1:
            with _open_pdf(None, paths[0], paths[0].name):
                pass  # a readable PDF, or say why not
            shutil.copyfile(paths[0], temp)
        else:
            with pymupdf.open() as joined:
                for path in paths:
                    with _open_pdf(None, path, path.name) as doc:
                        try:
                            joined.insert_pdf(doc)
                        except (RuntimeError, ValueError) as exc:
                            raise DocumentError(
                                f"{path.name} could not be joined: {exc}", path=path.name
                            ) from exc
                joined.save(temp, garbage=1, deflate=True)
        os.replace(temp, destination)
    except OSError as exc:
        raise DocumentError(
            f"{destination.name} could not be saved: {(exc.strerror or str(exc)).lower()}.",
            path=str(destination),
        ) from exc
    finally:
        Path(temp).unlink(missing_ok=True)


def make_test_pdf(pages: int, title: str = "FaxDesk test page") -> bytes:
    """Build a small PDF of `pages` Letter pages with readable text, for samples and tests."""
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 100), title, fontsize=24)
        page.insert_text((72, 140), f"Page {number} of {pages}", fontsize=14)
        page.draw_rect(pymupdf.Rect(72, 180, 540, 700), color=(0, 0, 0), width=1.5)
    data = doc.tobytes()
    doc.close()
    return data
