"""Fax-mode rendering, checked by what can be measured on the pixels a fax machine prints."""

from __future__ import annotations

import itertools
import multiprocessing
import struct
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pymupdf
import pytest
from pymupdf import mupdf

from faxdesk.core.errors import DocumentError, ValidationError
from faxdesk.core.models import ImageConversionMethod, Resolution
from faxdesk.documents import faxmode
from faxdesk.documents.convert import convert_to_pdf
from faxdesk.documents.faxmode import FaxHeader, FaxMode
from faxdesk.documents.pages import make_test_pdf

HALFTONE = ImageConversionMethod.HALFTONE
MONOCHROME = ImageConversionMethod.MONOCHROME
SENT_AT = datetime(2026, 5, 4, 14, 15, tzinfo=UTC)
# Vertical pixels per point at FINE, horizontal everywhere.
SX, SY = 204 / 72, 196 / 72
# Where a Letter page's point x lands on the 1728-pixel line (the page is 3 px wider).
LETTER_SHIFT = (1728 - 612 * SX) / 2


def fine(conversion=HALFTONE, *, paper="letter", header=None) -> FaxMode:
    return FaxMode(Resolution.FINE, conversion, paper, header)


def pdf_with(draw, size=(612, 792)) -> bytes:
    doc = pymupdf.open()
    draw(doc.new_page(width=size[0], height=size[1]))
    data = doc.tobytes()
    doc.close()
    return data


def box(rect: tuple[float, float, float, float], inset: int = 0) -> tuple[int, int, int, int]:
    """The pixel box of a rectangle in Letter page points at FINE, `inset` pixels inside it."""
    x0, y0, x1, y1 = rect
    return (
        round(x0 * SX + LETTER_SHIFT) + inset,
        round(y0 * SY) + inset,
        round(x1 * SX + LETTER_SHIFT) - inset,
        round(y1 * SY) - inset,
    )


def area(pixel_box: tuple[int, int, int, int]) -> int:
    return (pixel_box[2] - pixel_box[0]) * (pixel_box[3] - pixel_box[1])


def grey_fill(level: float, rect=(72, 200, 540, 400)):
    def draw(page):
        page.draw_rect(pymupdf.Rect(rect), color=None, fill=(level,) * 3)

    return pdf_with(draw)


def gradient_image(width=256, height=64) -> bytes:
    """A grey ramp from black on the left to white on the right, as a photo's tones would be."""
    row = bytes(x * 255 // (width - 1) for x in range(width))
    pix = pymupdf.Pixmap(pymupdf.csGRAY, width, height, row * height, False)
    return pix.tobytes("png")


def test_the_header_prints_where_converted_documents_leave_paper_free():
    # Text starts at the top of the part of the page the conversion fills.
    text = ("MEDICATION LIST " * 8 + "\n") * 80
    converted = convert_to_pdf(text.encode(), filename="list.txt")
    band_rows = round(faxmode.HEADER_BAND_PT * SY)
    page = faxmode.render_fax_page(converted.pdf, 0, fine(MONOCHROME))
    assert page.dark_pixels((0, 0, 1728, band_rows)) == 0
    assert page.dark_pixels((0, band_rows, 1728, 2 * band_rows + 40)) > 1000
    # So the header hides none of it.
    headed = faxmode.render_fax_page(
        converted.pdf, 0, fine(MONOCHROME, header=FaxHeader("ACME", sent_at=SENT_AT))
    )
    assert headed.bits[band_rows * 216 :] == page.bits[band_rows * 216 :]


def test_fine_pages_are_1728_pixels_wide_and_196_lines_per_inch():
    for paper, rows in (("letter", 2156), ("a4", 2292)):
        page = faxmode.render_fax_page(make_test_pdf(1), 0, fine(paper=paper))
        assert (page.width, page.height) == (1728, rows)
        assert (page.x_dpi, page.y_dpi) == (204, 196)
        assert page.stride == 216
        assert len(page.bits) == page.stride * page.height


def test_superfine_is_204_by_391_dpi_about_twice_the_lines_of_fine():
    data = make_test_pdf(1)
    fine_page = faxmode.render_fax_page(data, 0, fine())
    for paper, rows in (("letter", 4301), ("a4", 4572)):  # 11 in and 11.69 in at 391 lpi
        superfine = faxmode.render_fax_page(
            data, 0, FaxMode(Resolution.SUPERFINE, HALFTONE, paper, header=None)
        )
        assert (superfine.width, superfine.height) == (1728, rows)
        assert (superfine.x_dpi, superfine.y_dpi) == (204, 391)
    assert fine_page.width == 1728
    # The same ink, drawn on about twice the lines.
    letter = faxmode.render_fax_page(data, 0, FaxMode(Resolution.SUPERFINE, HALFTONE, header=None))
    ratio = 391 / 196
    assert letter.dark_pixels() == pytest.approx(ratio * fine_page.dark_pixels(), rel=0.05)


def test_pages_are_bi_level_pixels_and_png_files_at_the_fax_resolution():
    photo = pdf_with(
        lambda page: page.insert_image(
            pymupdf.Rect(72, 72, 540, 400), stream=gradient_image(), keep_proportion=False
        )
    )
    page = faxmode.render_fax_page(photo, 0, fine())
    assert set(page.grey()) == {0, 255}
    assert len(page.grey()) == page.width * page.height
    png = pymupdf.Pixmap(page.png())
    assert (png.width, png.height, png.n) == (1728, 2156, 1)
    # The PNG records the real resolution (in pixels per metre), so its pixels are not square.
    phys = page.png().split(b"pHYs", 1)[1][:9]
    assert struct.unpack(">IIB", phys) == (round(204 / 0.0254), round(196 / 0.0254), 1)
    assert bytes(png.samples) == page.grey()
    assert page.pbm().startswith(b"P4\n1728 2156\n")
    assert bytes(pymupdf.Pixmap(page.pbm()).samples) == page.grey()


def test_the_paper_is_centred_on_the_fax_line_at_204_dpi():
    def black(page):
        page.draw_rect(page.rect, color=None, fill=(0, 0, 0))

    a4 = faxmode.render_fax_page(pdf_with(black, (595.28, 841.89)), 0, fine(MONOCHROME, paper="a4"))
    row = (1000, 1001)
    # An A4 page is 1687 pixels wide: about 20 white pixels either side of it.
    assert a4.dark_pixels((0, *row[:1], 1728, row[1])) == pytest.approx(1687, abs=1)
    assert a4.dark_pixels((0, 1000, 20, 1001)) == 0
    assert a4.dark_pixels((1708, 1000, 1728, 1001)) == 0
    # A Letter page is 1734 pixels wide: the line holds all but its outermost 3 on each side.
    letter = faxmode.render_fax_page(pdf_with(black), 0, fine(MONOCHROME))
    assert letter.dark_pixels((0, 1000, 1728, 1001)) == 1728


def test_a_page_of_another_size_is_fitted_whole_onto_the_paper():
    def frame(page):
        page.draw_rect(pymupdf.Rect(2, 2, page.rect.width - 2, page.rect.height - 2), width=4)

    landscape = faxmode.render_fax_page(pdf_with(frame, (792, 612)), 0, fine(MONOCHROME))
    # Shrunk to the paper's width (612/792) and centred: all four sides of the frame print.
    scale = 612 / 792
    top = round((792 - 612 * scale) / 2 * SY)
    bottom = round((792 + 612 * scale) / 2 * SY)
    middle_x, middle_y = 864, (top + bottom) // 2
    assert landscape.dark_pixels((middle_x, top, middle_x + 1, top + 12)) > 0
    assert landscape.dark_pixels((middle_x, bottom - 12, middle_x + 1, bottom)) > 0
    assert landscape.dark_pixels((0, middle_y, 20, middle_y + 1)) > 0
    assert landscape.dark_pixels((1708, middle_y, 1728, middle_y + 1)) > 0
    # Nothing above or below it: the rest of the paper stays white.
    assert landscape.dark_pixels((0, 0, 1728, top - 2)) == 0
    assert landscape.dark_pixels((0, bottom + 2, 1728, 2156)) == 0


def test_halftone_prints_a_50_percent_grey_fill_half_dark():
    page = faxmode.render_fax_page(grey_fill(0.5), 0, fine())
    inside = box((72, 200, 540, 400), inset=2)
    assert page.dark_pixels(inside) / area(inside) == pytest.approx(0.5, abs=0.03)
    # Monochrome prints the same grey as one solid tone: no dots, all black or all white.
    mono = faxmode.render_fax_page(grey_fill(0.5), 0, fine(MONOCHROME))
    assert mono.dark_pixels(inside) in (0, area(inside))


def test_a_light_grey_form_field_stays_light_and_its_text_stays_whole():
    field = (72, 200, 540, 230)

    def form(page, shade=True):
        if shade:
            page.draw_rect(pymupdf.Rect(field), color=None, fill=(0.88, 0.88, 0.88))
        page.insert_text((80, 220), "Patient name: Jane Q. Public  DOB 1970-01-01", fontsize=10)

    shaded = faxmode.render_fax_page(pdf_with(form), 0, fine())
    inside = box(field, inset=2)
    ratio = shaded.dark_pixels(inside) / area(inside)
    # A light tint, not black mud and not gone: about 12% of the dots, plus the text.
    assert 0.08 < ratio < 0.3
    # Every pixel of the text printed on white paper is also black on the grey field.
    text_only = faxmode.render_fax_page(
        pdf_with(lambda page: form(page, shade=False)), 0, fine(MONOCHROME)
    )
    rows = range(inside[1], inside[3])
    first, last = inside[0] // 8, inside[2] // 8
    text_bits = b"".join(text_only.bits[r * 216 + first : r * 216 + last] for r in rows)
    shaded_bits = b"".join(shaded.bits[r * 216 + first : r * 216 + last] for r in rows)
    text, both = int.from_bytes(text_bits, "big"), int.from_bytes(shaded_bits, "big")
    assert text.bit_count() > 1000
    assert text & both == text
    # Monochrome drops the tint altogether and keeps the text.
    mono = faxmode.render_fax_page(pdf_with(form), 0, fine(MONOCHROME))
    assert mono.dark_pixels(inside) == text_only.dark_pixels(inside)


def test_monochrome_thresholds_grey_at_half():
    dark = faxmode.render_fax_page(grey_fill(0.4), 0, fine(MONOCHROME))
    light = faxmode.render_fax_page(grey_fill(0.6), 0, fine(MONOCHROME))
    inside = box((72, 200, 540, 400), inset=2)
    assert dark.dark_pixels(inside) == area(inside)
    assert light.dark_pixels(inside) == 0


def test_halftone_keeps_the_tones_of_a_photo_and_monochrome_does_not():
    rect = (72, 100, 540, 400)
    photo = pdf_with(
        lambda page: page.insert_image(
            pymupdf.Rect(rect), stream=gradient_image(), keep_proportion=False
        )
    )
    halftone = faxmode.render_fax_page(photo, 0, fine())
    mono = faxmode.render_fax_page(photo, 0, fine(MONOCHROME))
    x0, y0, x1, y1 = box(rect, inset=2)
    bands = 8
    width = (x1 - x0) // bands
    darkness = [
        halftone.dark_pixels((x0 + i * width, y0, x0 + (i + 1) * width, y1)) / (width * (y1 - y0))
        for i in range(bands)
    ]
    # From black to white in even steps, as the ramp goes.
    assert all(a > b for a, b in itertools.pairwise(darkness))
    for i, ratio in enumerate(darkness):
        assert ratio == pytest.approx(1 - (i + 0.5) / bands, abs=0.06)
    left = mono.dark_pixels((x0, y0, x0 + 2 * width, y1)) / (2 * width * (y1 - y0))
    right = mono.dark_pixels((x1 - 2 * width, y0, x1, y1)) / (2 * width * (y1 - y0))
    assert (left, right) == (1.0, 0.0)


def test_8_point_text_keeps_its_strokes_at_fine():
    text = "Take 2 tablets (500 mg) every 8 hours; do not exceed 6 in 24 h."
    line = (72, 300, 400, 312)

    def draw(page):
        page.insert_text((72, 309), text, fontsize=8)

    data = pdf_with(draw)
    inside = box(line)
    halftone = faxmode.render_fax_page(data, 0, fine())
    mono = faxmode.render_fax_page(data, 0, fine(MONOCHROME))
    # Text comes out the same in both modes: no stroke is dithered away.
    assert halftone.dark_pixels(inside) == mono.dark_pixels(inside)
    # And it carries about the ink of the type itself, measured on a smooth 8x render.
    with pymupdf.open(stream=data) as doc:
        zoom = 8
        pix = doc[0].get_pixmap(
            matrix=pymupdf.Matrix(zoom, zoom), clip=pymupdf.Rect(line), colorspace=pymupdf.csGRAY
        )
        ink = sum(255 - value for value in pix.samples) / 255 / (zoom * zoom)
    printed = mono.dark_pixels(inside) / (SX * SY)
    assert printed == pytest.approx(ink, rel=0.15)


def test_the_header_prints_time_text_and_page_number_in_its_band():
    header = FaxHeader("ACME Clinic", True, "America/New_York", SENT_AT)
    mode = fine(header=header)
    data = make_test_pdf(3)
    first, second = (faxmode.render_fax_page(data, i, mode) for i in (0, 1))
    band_rows = round(faxmode.HEADER_BAND_PT * SY)
    left, middle, right = (
        (0, 0, 576, band_rows),
        (576, 0, 1152, band_rows),
        (1152, 0, 1728, band_rows),
    )
    for part in (left, middle, right):
        assert first.dark_pixels(part) > 100
    # Only the page number differs from page to page.
    assert first.bits[: band_rows * 216] != second.bits[: band_rows * 216]
    assert first.dark_pixels(left) == second.dark_pixels(left)
    assert first.dark_pixels(middle) == second.dark_pixels(middle)
    assert faxmode.header_line(header, SENT_AT.astimezone(), 2, 3)[2] == "Page 2/3"

    unnumbered = faxmode.render_fax_page(
        data, 0, fine(header=FaxHeader("ACME Clinic", False, "America/New_York", SENT_AT))
    )
    assert unnumbered.dark_pixels(right) == 0
    assert unnumbered.dark_pixels(middle) == first.dark_pixels(middle)
    untitled = faxmode.render_fax_page(data, 0, fine(header=FaxHeader("", True, sent_at=SENT_AT)))
    assert untitled.dark_pixels(middle) == 0
    bare = faxmode.render_fax_page(data, 0, fine())
    assert bare.dark_pixels((0, 0, 1728, band_rows)) == 0


def test_the_header_shows_the_send_time_in_its_time_zone():
    new_york = FaxHeader("", True, "America/New_York", SENT_AT)
    berlin = FaxHeader("", True, "Europe/Berlin", SENT_AT)
    at = SENT_AT
    assert (
        faxmode.header_line(new_york, at.astimezone(ZoneInfo("America/New_York")), 1, 1)[0]
        == "2026-05-04 10:15 EDT"
    )
    assert (
        faxmode.header_line(berlin, at.astimezone(ZoneInfo("Europe/Berlin")), 1, 1)[0]
        == "2026-05-04 16:15 CEST"
    )
    data = make_test_pdf(1)
    band = (0, 0, 576, round(faxmode.HEADER_BAND_PT * SY))
    ny = faxmode.render_fax_page(data, 0, fine(header=new_york))
    de = faxmode.render_fax_page(data, 0, fine(header=berlin))
    assert ny.dark_pixels(band) > 0
    assert ny.bits[: band[3] * 216] != de.bits[: band[3] * 216]
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        faxmode.render_fax_page(data, 0, fine(header=FaxHeader(time_zone="Mars/Olympus")))


def test_the_header_band_is_cleared_and_any_script_prints():
    def black(page):
        page.draw_rect(page.rect, color=None, fill=(0, 0, 0))

    header = FaxHeader("東京 Клиника", True, sent_at=SENT_AT)
    page = faxmode.render_fax_page(pdf_with(black), 0, fine(MONOCHROME, header=header))
    band_rows = round(faxmode.HEADER_BAND_PT * SY)
    band = (0, 0, 1728, band_rows)
    # Black text on white, above a page that is black from there on.
    assert 0 < page.dark_pixels(band) < 0.2 * area(band)
    assert page.dark_pixels((0, band_rows, 1728, band_rows + 100)) == 1728 * 100
    latin = faxmode.render_fax_page(
        pdf_with(black), 0, fine(MONOCHROME, header=FaxHeader("", True, sent_at=SENT_AT))
    )
    middle = (576, 0, 1152, band_rows)
    assert page.dark_pixels(middle) > latin.dark_pixels(middle) + 200


def test_an_empty_header_text_prints_nothing_in_the_middle():
    header = FaxHeader("", False, sent_at=SENT_AT)
    page = faxmode.render_fax_page(make_test_pdf(1), 0, fine(header=header))
    band_rows = round(faxmode.HEADER_BAND_PT * SY)
    assert page.dark_pixels((0, 0, 576, band_rows)) > 0
    assert page.dark_pixels((576, 0, 1728, band_rows)) == 0


def test_every_page_of_a_document_carries_the_same_time_and_its_own_number(tmp_path):
    path = tmp_path / "three.pdf"
    path.write_bytes(make_test_pdf(3))
    pages = list(faxmode.render_fax_pages(path, fine(header=FaxHeader("X", sent_at=None))))
    assert [(p.index, p.page_count) for p in pages] == [(0, 3), (1, 3), (2, 3)]
    band = (0, 0, 576, round(faxmode.HEADER_BAND_PT * SY))
    rows = band[3] * 216
    # The left part holds the date and time: the same on every page of one fax.
    left_bits = {bytes(b for i, b in enumerate(p.bits[:rows]) if i % 216 < 72) for p in pages}
    assert len(left_bits) == 1


def test_dark_pixels_counts_exactly_what_is_in_the_box():
    page = faxmode.render_fax_page(grey_fill(0.5, rect=(100, 100, 300, 200)), 0, fine())

    def naive(x0, y0, x1, y1):
        return sum(
            (page.bits[y * page.stride + x // 8] >> (7 - x % 8)) & 1
            for y in range(y0, y1)
            for x in range(x0, x1)
        )

    for pixel_box in (
        (283, 270, 301, 290),
        (280, 272, 288, 273),
        (290, 280, 293, 300),
        (0, 0, 1728, 1),
    ):
        assert page.dark_pixels(pixel_box) == naive(*pixel_box)
    assert page.dark_pixels((10, 10, 10, 20)) == 0
    assert page.dark_pixels() == page.dark_pixels((0, 0, page.width, page.height))


def decode_ccitt(page: faxmode.FaxPage, data: bytes, k: int) -> bytes:
    """Decode CCITT data the way a PDF reader does, into 8-bit grey pixels."""
    doc = pymupdf.open()
    xref = doc.get_new_xref()
    doc.update_object(
        xref,
        f"<< /Type /XObject /Subtype /Image /Width {page.width} /Height {page.height} "
        "/ColorSpace /DeviceGray /BitsPerComponent 1 >>",
    )
    doc.update_stream(xref, data, compress=False)
    doc.xref_set_key(xref, "Filter", "/CCITTFaxDecode")
    doc.xref_set_key(xref, "DecodeParms", f"<< /K {k} /Columns {page.width} /Rows {page.height} >>")
    return bytes(pymupdf.Pixmap(doc, xref).samples)


def test_the_coded_pages_decode_back_to_the_same_pixels():
    photo = pdf_with(
        lambda page: page.insert_image(
            pymupdf.Rect(72, 72, 540, 300), stream=gradient_image(), keep_proportion=False
        )
    )
    page = faxmode.render_fax_page(photo, 0, fine(header=FaxHeader("ACME", sent_at=SENT_AT)))
    assert decode_ccitt(page, page.mh(), 0) == page.grey()


def test_the_estimate_counts_pages_and_grows_with_content_and_resolution():
    text = make_test_pdf(2)
    estimate = faxmode.estimate_transmission(text, fine())
    assert estimate.page_count == 2
    assert estimate.resolution is Resolution.FINE
    pages = list(faxmode.render_fax_pages(text, fine()))
    assert estimate.page_bytes == tuple(len(p.mh()) for p in pages)
    assert estimate.bytes == sum(estimate.page_bytes)
    # A text page codes to about ten kilobytes; a page of halftoned grey to far more.
    assert 10_000 < estimate.bytes < 40_000
    grey = faxmode.estimate_transmission(grey_fill(0.5), fine())
    assert grey.bytes > 5 * estimate.bytes
    superfine = faxmode.estimate_transmission(text, FaxMode(Resolution.SUPERFINE, HALFTONE))
    assert superfine.bytes > 1.5 * estimate.bytes
    assert estimate.summary() == f"2 pages at FINE, {estimate.bytes / 1000:.0f} KB to transmit"
    single = faxmode.estimate_transmission(make_test_pdf(1), fine())
    assert single.summary().startswith("1 page at FINE, ")
    # A page rendered on its own comes with the same size, for an estimate built page by page.
    second, coded = faxmode.render_coded_fax_page(text, 1, fine())
    assert second == pages[1]
    assert coded == estimate.page_bytes[1]


def test_unreadable_documents_and_missing_pages_are_named(tmp_path):
    with pytest.raises(DocumentError, match="not a readable PDF"):
        faxmode.render_fax_page(b"%PDF-1.4 nothing else", 0)
    path = tmp_path / "short.pdf"
    path.write_bytes(make_test_pdf(2))
    with pytest.raises(DocumentError, match=r"short\.pdf has 2 pages; there is no page 3"):
        faxmode.render_fax_page(path, 2)
    with pytest.raises(ValidationError, match="legal"):
        FaxMode(paper="legal")


def test_rendering_leaves_previews_anti_aliased():
    before = (mupdf.fz_text_aa_level(), mupdf.fz_graphics_aa_level())
    assert before == (8, 8)
    faxmode.render_fax_page(make_test_pdf(1), 0)
    with pytest.raises(DocumentError):
        faxmode.render_fax_page(make_test_pdf(1), 1)
    assert (mupdf.fz_text_aa_level(), mupdf.fz_graphics_aa_level()) == before
    assert pymupdf.TOOLS.show_aa_level()["graphics_min_line_width"] == 0.0


def test_pages_render_the_same_in_a_worker_process(tmp_path):
    path = tmp_path / "one.pdf"
    path.write_bytes(make_test_pdf(1))
    mode = fine(header=FaxHeader("ACME", sent_at=SENT_AT))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        remote = pool.submit(faxmode.render_fax_page, path, 0, mode).result(timeout=60)
    assert remote == faxmode.render_fax_page(path, 0, mode)
