"""Fax-mode rendering: each page of a fax PDF as the bi-level image the receiving machine prints.

This module turns the pages of an already converted fax PDF into 1-bit images at the fax
resolutions (FINE 204x196, SUPERFINE 204x391 lines per inch), halftoned (HALFTONE) or
thresholded (MONOCHROME), with the header line the fax service prints at the top of every page,
and estimates how many bytes the pages take on the line. It does not convert documents (that is
`faxdesk.documents.convert`) and never runs on an event loop: it is synchronous and CPU-bound,
so callers run it in a worker process. A Document never leaves the function that opened it.

How a page maps onto the fax line: a fax scan line is 1728 pixels at 204 dpi (ITU-T T.4's
standard line, 215 mm), for Letter and A4 alike. The paper is centred on that line at exactly
204 dpi, so a Letter page (8.5 in, 1734 pixels) loses three pixels of its white margin on each
side and an A4 page (8.27 in, 1687 pixels) gets about twenty white pixels on each side, as on a
real machine. The page has as many lines as the paper is tall at the vertical resolution.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from faxdesk.core.errors import DocumentError, ValidationError
from faxdesk.core.models import ImageConversionMethod, Resolution
from faxdesk.documents.convert import PAPER_SIZES
from faxdesk.documents.engine import mupdf, pymupdf
from faxdesk.documents.pages import open_pdf

#: Pixels on every fax scan line (T.4, Letter and A4).
LINE_PIXELS = 1728
#: Horizontal resolution, pixels per inch.
X_DPI = 204
#: Vertical resolution per mode, lines per inch. T.4 defines fine as 7.7 lines/mm (195.6 lpi)
#: and superfine as 15.4 lines/mm (391.2 lpi); Sinch calls them 200 and 400 dpi. Each is
#: rounded to whole lines per inch, so a superfine page has a few lines less than twice fine's.
Y_DPI = {Resolution.FINE: 196, Resolution.SUPERFINE: 391}
#: Width of the fax line in points.
LINE_WIDTH_PT = LINE_PIXELS * 72 / X_DPI
#: Height of the band at the top of the page the header line is printed over, in points; it
#: lies inside the top margin the conversion keeps free, so it never hides content.
HEADER_BAND_PT = 15.0
HEADER_FONT_SIZE = 8.5
#: The fax service's default header time zone.
DEFAULT_TIME_ZONE = "America/New_York"

# Grey levels below this print black in MONOCHROME.
_THRESHOLD = 128
_THRESHOLD_TABLE = bytes(0 if level < _THRESHOLD else 255 for level in range(256))
_INVERT_TABLE = bytes(255 - value for value in range(256))
# The header sits this far in from the edges of the line, in points, on this baseline.
_HEADER_INSET_PT = 22.0
_BASELINE_PT = HEADER_BAND_PT - 4.5


@dataclass(frozen=True, slots=True)
class FaxHeader:
    """The line the fax service prints at the top of each page as it transmits it.

    `sent_at` is when the fax is sent (its time is shown in `time_zone`); None means now.
    """

    text: str = ""
    page_numbers: bool = True
    time_zone: str = DEFAULT_TIME_ZONE
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FaxMode:
    """How the pages are sent: resolution, image conversion, paper and header (None: none)."""

    resolution: Resolution = Resolution.FINE
    conversion: ImageConversionMethod = ImageConversionMethod.HALFTONE
    paper: str = "letter"
    header: FaxHeader | None = field(default_factory=FaxHeader)

    def __post_init__(self) -> None:
        if self.paper not in PAPER_SIZES:
            raise ValidationError(
                f"“{self.paper}” is not a fax paper size; use letter or a4.", field="paper"
            )

    @property
    def y_dpi(self) -> int:
        return Y_DPI[self.resolution]


@dataclass(frozen=True, slots=True)
class FaxPage:
    """One fax page as 1-bit pixels, free of any PyMuPDF object, small enough to pass between
    processes (about 470 KB at FINE).

    `bits` holds `height` rows of `stride` bytes, the leftmost pixel in the highest bit, 1 for
    black: the layout of a PBM file's pixels and of Qt's `QImage.Format_Mono` (give it the
    colour table white, black). Pixels are not square: `x_dpi` by `y_dpi`, so a preview shows
    the page at its true shape by scaling its height by `x_dpi / y_dpi`.
    """

    index: int
    page_count: int
    width: int
    height: int
    x_dpi: int
    y_dpi: int
    stride: int
    bits: bytes

    def dark_pixels(self, box: tuple[int, int, int, int] | None = None) -> int:
        """Count the black pixels of the page, or of `box` (x0, y0, x1, y1; x1 and y1 excluded)."""
        if box is None:
            return int.from_bytes(self.bits, "big").bit_count()
        x0, y0, x1, y1 = (
            max(box[0], 0),
            max(box[1], 0),
            min(box[2], self.width),
            min(box[3], self.height),
        )
        if x0 >= x1 or y0 >= y1:
            return 0
        first, last = x0 // 8, (x1 - 1) // 8
        span_bits = (last - first + 1) * 8
        # Keep only the bits from x0 to x1 of the bytes that hold them.
        mask = ((1 << (x1 - x0)) - 1) << (span_bits - (x1 - first * 8))
        count = 0
        for row in range(y0, y1):
            start = row * self.stride
            count += (
                int.from_bytes(self.bits[start + first : start + last + 1], "big") & mask
            ).bit_count()
        return count

    def pbm(self) -> bytes:
        """The page as a binary PBM (P4) image file."""
        header = f"P4\n{self.width} {self.height}\n".encode("ascii")
        row_bytes = (self.width + 7) // 8
        if row_bytes == self.stride:
            return header + self.bits
        rows = (self.bits[i : i + row_bytes] for i in range(0, len(self.bits), self.stride))
        return header + b"".join(rows)

    def grey(self) -> bytes:
        """The page as 8-bit grey pixels (0 black, 255 white), `width` bytes a row."""
        return bytes(pymupdf.Pixmap(self.pbm()).samples)

    def png(self) -> bytes:
        """The page as a PNG file: its real pixels, with the fax resolution recorded in it."""
        pix = pymupdf.Pixmap(self.pbm())
        pix.set_dpi(self.x_dpi, self.y_dpi)
        return pix.tobytes("png")

    def mh(self) -> bytes:
        """The page coded as ITU-T T.4 one-dimensional (Group 3, MH), which every machine takes.

        (MuPDF's two-dimensional T.6 coder takes up to a second on a halftoned page, so the
        estimate does without it.)
        """
        # MuPDF's coder takes PDF's default polarity, 0 for black: the reverse of ours.
        data = self.bits.translate(_INVERT_TABLE)
        buffer = mupdf.fz_compress_ccitt_fax_g3(
            mupdf.python_buffer_data(data), self.width, self.height, self.stride
        )
        return bytes(buffer.fz_buffer_storage_memoryview())


@dataclass(frozen=True, slots=True)
class TransmissionEstimate:
    """What a fax takes on the line: its pages and their size coded at the chosen resolution.

    The size is that of the pages coded as ITU-T T.4 one-dimensional (MH), the coding every
    fax machine takes: text pages go in less between machines that agree on two-dimensional
    coding, halftoned photos in about the same. `page_bytes` holds each page's size.
    """

    page_count: int
    resolution: Resolution
    bytes: int
    page_bytes: tuple[int, ...]

    def summary(self) -> str:
        pages = "1 page" if self.page_count == 1 else f"{self.page_count} pages"
        return f"{pages} at {self.resolution.value}, {_size(self.bytes)} to transmit"


def render_fax_page(pdf: bytes | Path, index: int, mode: FaxMode | None = None) -> FaxPage:
    """Render page `index` (0-based) of a fax PDF (its bytes, or a path) as the fax prints it.

    Raises DocumentError when the PDF cannot be read or has no such page, and ValidationError
    for a header time zone that does not exist.
    """
    mode = mode or FaxMode()
    sent_at = _sent_at(mode.header)
    name = _name(pdf)
    with _open(pdf) as doc:
        if not 0 <= index < doc.page_count:
            raise DocumentError(
                f"{name} has {doc.page_count} pages; there is no page {index + 1}.", path=name
            )
        with _fax_rasterising():
            return _Rasteriser(doc, name, mode, sent_at).render(index)


def render_coded_fax_page(
    pdf: bytes | Path, index: int, mode: FaxMode | None = None
) -> tuple[FaxPage, int]:
    """`render_fax_page`, with the bytes the page takes on the line (as the transmission
    estimate counts them), so a caller can show the estimate as pages come in."""
    page = render_fax_page(pdf, index, mode)
    return page, len(page.mh())


def render_fax_pages(pdf: bytes | Path, mode: FaxMode | None = None) -> Iterator[FaxPage]:
    """Render every page of a fax PDF as the fax prints it, one at a time, in order.

    Every page carries the same send time. Raises as `render_fax_page`.
    """
    mode = mode or FaxMode()
    sent_at = _sent_at(mode.header)
    with _open(pdf) as doc:
        with _fax_rasterising():
            rasteriser = _Rasteriser(doc, _name(pdf), mode, sent_at)
        for index in range(doc.page_count):
            # Settings are put back between pages: the caller may render previews meanwhile.
            with _fax_rasterising():
                page = rasteriser.render(index)
            yield page


def estimate_transmission(pdf: bytes | Path, mode: FaxMode | None = None) -> TransmissionEstimate:
    """Page count and coded size of a fax PDF sent with `mode`; raises as `render_fax_page`."""
    mode = mode or FaxMode()
    return estimate_from_pages(render_fax_pages(pdf, mode), mode.resolution)


def estimate_from_pages(pages: Iterable[FaxPage], resolution: Resolution) -> TransmissionEstimate:
    """The transmission estimate of pages rendered with `resolution`, taken one at a time."""
    sizes = tuple(len(page.mh()) for page in pages)
    return TransmissionEstimate(
        page_count=len(sizes), resolution=resolution, bytes=sum(sizes), page_bytes=sizes
    )


def _name(pdf: bytes | Path) -> str:
    return pdf.name if isinstance(pdf, Path) else "The document"


def _open(pdf: bytes | Path) -> pymupdf.Document:
    if isinstance(pdf, Path):
        return open_pdf(None, pdf, _name(pdf))
    return open_pdf(pdf, None, _name(pdf))


def _sent_at(header: FaxHeader | None) -> datetime | None:
    if header is None:
        return None
    try:
        zone = ZoneInfo(header.time_zone)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ValidationError(
            f"The header time zone “{header.time_zone}” is not a time zone name such as "
            "Europe/Berlin.",
            field="header_time_zone",
        ) from None
    if header.sent_at is None:
        return datetime.now(zone)
    return header.sent_at.astimezone(zone)


@contextmanager
def _fax_rasterising() -> Iterator[None]:
    """Render without anti-aliasing, and no line thinner than a pixel, while the block runs.

    A fax machine prints text and rules solid black; anti-aliased edges would come out of the
    halftone as ragged dots around every letter. With anti-aliasing off, text and line art come
    out of MuPDF already bi-level and only real grey (images, tinted fills) is dithered. These
    are settings of the whole process: PyMuPDF is used by one thread at a time anyway, and they
    are put back afterwards so previews rendered in the same process stay smooth.
    """
    text, graphics = mupdf.fz_text_aa_level(), mupdf.fz_graphics_aa_level()
    min_line_width = mupdf.fz_graphics_min_line_width()
    mupdf.fz_set_text_aa_level(0)
    mupdf.fz_set_graphics_aa_level(0)
    mupdf.fz_set_graphics_min_line_width(1.0)
    try:
        yield
    finally:
        mupdf.fz_set_text_aa_level(text)
        mupdf.fz_set_graphics_aa_level(graphics)
        mupdf.fz_set_graphics_min_line_width(min_line_width)


class _Rasteriser:
    """Renders the pages of one open document in one mode, keeping what its pages share."""

    def __init__(
        self, doc: pymupdf.Document, name: str, mode: FaxMode, sent_at: datetime | None
    ) -> None:
        self._doc, self._name = doc, name
        self._mode = mode
        self._paper = PAPER_SIZES[mode.paper]
        self._sx, self._sy = X_DPI / 72, mode.y_dpi / 72
        self._rows = round(self._paper[1] * self._sy)
        self._header = (
            _HeaderPainter(mode.header, sent_at, doc.page_count, self._sx, self._sy)
            if mode.header is not None and sent_at is not None
            else None
        )

    def render(self, index: int) -> FaxPage:
        canvas = self._page_pixels(index)
        if self._header is not None:
            self._header.paint(canvas, index + 1)
        if self._mode.conversion is ImageConversionMethod.MONOCHROME:
            samples = canvas.samples.translate(_THRESHOLD_TABLE)
            canvas = pymupdf.Pixmap(pymupdf.csGRAY, canvas.width, canvas.height, samples, False)
        # MuPDF's default halftone is a 16x16 ordered (Bayer) dither; on a thresholded page,
        # which holds only black and white, it changes nothing.
        bitmap = mupdf.fz_new_bitmap_from_pixmap(canvas.this, mupdf.FzHalftone())
        stride = bitmap.stride()
        return FaxPage(
            index=index,
            page_count=self._doc.page_count,
            width=bitmap.w(),
            height=bitmap.h(),
            x_dpi=X_DPI,
            y_dpi=self._mode.y_dpi,
            stride=stride,
            bits=mupdf.raw_to_python_bytes(bitmap.samples(), stride * bitmap.h()),
        )

    def _page_pixels(self, index: int) -> pymupdf.Pixmap:
        """The page in 8-bit grey across the whole fax line, `self._rows` lines tall."""
        page = self._doc[index]
        rect = page.rect
        paper_w, paper_h = self._paper
        # A normalized fax PDF has pages of the paper's size; others are fitted, not cropped.
        scale = min(paper_w / rect.width, paper_h / rect.height)
        if abs(scale - 1) < 0.005:
            scale = 1.0
        left = (LINE_WIDTH_PT - paper_w) / 2 + (paper_w - rect.width * scale) / 2
        top = (paper_h - rect.height * scale) / 2
        sx, sy = self._sx, self._sy
        matrix = pymupdf.Matrix(
            scale * sx,
            0,
            0,
            scale * sy,
            (left - rect.x0 * scale) * sx,
            (top - rect.y0 * scale) * sy,
        )
        ctm = mupdf.FzMatrix(matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
        pix = mupdf.fz_new_pixmap_with_bbox(
            mupdf.fz_device_gray(),
            mupdf.FzIrect(0, 0, LINE_PIXELS, self._rows),
            mupdf.FzSeparations(),
            0,
        )
        mupdf.fz_clear_pixmap_with_value(pix, 255)
        device = mupdf.fz_new_draw_device(mupdf.FzMatrix(), pix)
        # Images are sampled, not interpolated, as the classic fax pipeline does: the dots of
        # the halftone hide the difference, and smoothing a scan that is only a little larger
        # or smaller than the fax grid costs more than the rest of the page.
        mupdf.fz_enable_device_hints(device, mupdf.FZ_DONT_INTERPOLATE_IMAGES)
        try:
            mupdf.fz_run_page(page.this, device, ctm, mupdf.FzCookie())
            mupdf.fz_close_device(device)
        except mupdf.FzErrorBase as exc:
            raise DocumentError(
                f"{self._name}: page {index + 1} could not be rendered ({exc}).", path=self._name
            ) from exc
        return pymupdf.Pixmap("raw", pix)


def header_line(
    header: FaxHeader, sent_at: datetime, number: int, count: int
) -> tuple[str, str, str]:
    """The parts of the header line of page `number` of `count`: left, middle and right."""
    when = sent_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    pages = f"Page {number}/{count}" if header.page_numbers else ""
    return when, header.text, pages


class _HeaderPainter:
    """Paints the header line over the top band of each page of one fax.

    The date and the header text are the same on every page, so they are rendered once. Page
    numbers are set from the glyphs of "Page 0123456789/", each rendered once per fax: setting
    a line of text costs far more than copying a few small pixmaps.
    """

    _NUMBER_CHARS = "Page0123456789/"

    def __init__(
        self, header: FaxHeader, sent_at: datetime, count: int, sx: float, sy: float
    ) -> None:
        self._header, self._sent_at, self._count, self._sx = header, sent_at, count, sx
        self._fonts = _HeaderFonts()
        left, middle, _ = header_line(header, sent_at, count, count)
        with pymupdf.open() as scratch:
            band = scratch.new_page(width=LINE_WIDTH_PT, height=HEADER_BAND_PT)
            writer = pymupdf.TextWriter(band.rect)
            self._write(writer, left, _HEADER_INSET_PT)
            if middle:
                inner = LINE_WIDTH_PT - 2 * _HEADER_INSET_PT
                start = max(
                    _HEADER_INSET_PT + self._fonts.width(left) + 12,
                    _HEADER_INSET_PT + (inner - self._fonts.width(middle)) / 2,
                )
                self._write(writer, middle, start)
            writer.write_text(band)
            self._band = band.get_pixmap(matrix=pymupdf.Matrix(sx, sy), colorspace=pymupdf.csGRAY)
            self._glyphs = self._render_glyphs(scratch, sx, sy) if header.page_numbers else {}

    def _render_glyphs(
        self, scratch: pymupdf.Document, sx: float, sy: float
    ) -> dict[str, tuple[pymupdf.Pixmap, float]]:
        """Each character of page numbers as a pixmap one advance wide, and its advance."""
        font, cell = self._fonts.main, 40  # pixels between glyphs on the scratch line
        line = scratch.new_page(width=len(self._NUMBER_CHARS) * cell / sx, height=HEADER_BAND_PT)
        writer = pymupdf.TextWriter(line.rect)
        for k, char in enumerate(self._NUMBER_CHARS):
            writer.append((k * cell / sx, _BASELINE_PT), char, font=font, fontsize=HEADER_FONT_SIZE)
        writer.write_text(line)
        strip = line.get_pixmap(matrix=pymupdf.Matrix(sx, sy), colorspace=pymupdf.csGRAY)
        glyphs = {}
        for k, char in enumerate(self._NUMBER_CHARS):
            advance = font.text_length(char, fontsize=HEADER_FONT_SIZE)
            box = pymupdf.IRect(k * cell, 0, k * cell + round(advance * sx), strip.height)
            glyph = pymupdf.Pixmap(pymupdf.csGRAY, box, False)
            glyph.copy(strip, box)
            glyphs[char] = (glyph, advance)
        return glyphs

    def paint(self, canvas: pymupdf.Pixmap, number: int) -> None:
        canvas.copy(self._band, self._band.irect)
        if not self._header.page_numbers:
            return
        text = header_line(self._header, self._sent_at, number, self._count)[2]
        x = LINE_WIDTH_PT - _HEADER_INSET_PT - self._fonts.width(text)
        for char in text:
            if char in self._glyphs:
                glyph, advance = self._glyphs[char]
                glyph.set_origin(round(x * self._sx), 0)
                canvas.copy(glyph, glyph.irect)
            else:
                advance = self._fonts.main.text_length(char, fontsize=HEADER_FONT_SIZE)
            x += advance

    def _write(self, writer: pymupdf.TextWriter, text: str, x: float) -> None:
        for font, run in self._fonts.runs(text):
            writer.append((x, _BASELINE_PT), run, font=font, fontsize=HEADER_FONT_SIZE)
            x += font.text_length(run, fontsize=HEADER_FONT_SIZE)


class _HeaderFonts:
    """Helvetica for what it covers, MuPDF's CJK font for the rest, so any text prints."""

    def __init__(self) -> None:
        self.main = pymupdf.Font("helv")
        self._fallback: pymupdf.Font | None = None

    def font_for(self, char: str) -> pymupdf.Font:
        if self.main.has_glyph(ord(char)) or char.isspace():
            return self.main
        if self._fallback is None:
            self._fallback = pymupdf.Font("cjk")
        return self._fallback

    def runs(self, text: str) -> Iterator[tuple[pymupdf.Font, str]]:
        start = 0
        for end in range(1, len(text) + 1):
            if end == len(text) or self.font_for(text[end]) is not self.font_for(text[start]):
                yield self.font_for(text[start]), text[start:end]
                start = end

    def width(self, text: str) -> float:
        return sum(
            font.text_length(run, fontsize=HEADER_FONT_SIZE) for font, run in self.runs(text)
        )


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} bytes"
    if count < 1_000_000:
        return f"{count / 1000:.0f} KB"
    return f"{count / 1_000_000:.1f} MB"
