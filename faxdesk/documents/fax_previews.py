"""Fax-mode pages for the preview: the bi-level page the far end prints, scaled to the screen.

`render_fax_preview` renders one page of a fax PDF with `faxmode` (1-bit, at the fax resolution,
with the header line) and scales it to the width the preview shows it at, in grey, at its true
shape: fax pixels are taller than wide at FINE, so the height is scaled by x_dpi / y_dpi. The
scaling runs here, in the worker process, so the window receives a small image, not a page of
raw fax pixels to shrink on its event loop. It opens nothing but the PDF it is given.
"""

from __future__ import annotations

from pathlib import Path

from faxdesk.documents import faxmode
from faxdesk.documents.convert import PAPER_SIZES
from faxdesk.documents.engine import mupdf, pymupdf
from faxdesk.documents.pages import RenderedPage, rendered_page


def fax_page_size(mode: faxmode.FaxMode) -> tuple[float, float]:
    """(width, height) in points of a fax page in `mode`: the fax line by the paper's height."""
    rows = round(PAPER_SIZES[mode.paper][1] * mode.y_dpi / 72)
    return faxmode.LINE_WIDTH_PT, rows * 72 / mode.y_dpi


def render_fax_preview(
    path: Path, index: int, width: int, mode: faxmode.FaxMode, *, turned: bool = False
) -> RenderedPage:
    """Page `index` of the fax PDF at `path` as faxed in `mode`, `width` pixels wide in grey.

    With `turned`, `width` is the width the page will have once the caller turns it a quarter
    (the image comes back upright, that much taller). Raises DocumentError, and ValidationError
    for a header time zone that does not exist.
    """
    try:
        page = faxmode.render_fax_page(path, index, mode)
    finally:
        # As in `pages._previewing`: nothing can use what MuPDF cached for the closed document.
        mupdf.fz_empty_store()
    shown_height = page.height * page.x_dpi / page.y_dpi
    if turned:
        height = max(1, width)
        width = max(1, round(height * page.width / shown_height))
    else:
        width = max(1, width)
        height = max(1, round(width * shown_height / page.width))
    grey = pymupdf.Pixmap(page.pbm())
    if width >= page.width:
        # At the fax's own resolution or finer, every dot stays a dot: the lines are repeated
        # to the true shape, not blended (a halftone would blur into grey).
        samples = _stretched_rows(bytes(grey.samples), page.width, page.height, round(shown_height))
        return RenderedPage(
            index, page.page_count, page.width, round(shown_height), page.width, samples
        )
    return rendered_page(index, page.page_count, pymupdf.Pixmap(grey, width, height, None))


def _stretched_rows(samples: bytes, width: int, height: int, rows: int) -> bytes:
    """`samples` (`height` rows of `width` bytes) as `rows` rows, each the nearest source row."""
    return b"".join(
        samples[(y * height // rows) * width : (y * height // rows + 1) * width]
        for y in range(rows)
    )
