"""A fax-mode page shows in Qt as it is: its bits are a QImage.Format_Mono, pixel for pixel."""

from __future__ import annotations

import pymupdf
from PySide6.QtGui import QImage, qRgb

from faxdesk.core.models import ImageConversionMethod, Resolution
from faxdesk.documents import faxmode


def test_fax_page_bits_are_a_mono_qimage(qapp):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.draw_rect(pymupdf.Rect(100, 100, 300, 200), color=None, fill=(0.5, 0.5, 0.5))
    page.insert_text((100, 300), "Fax", fontsize=40)
    mode = faxmode.FaxMode(Resolution.FINE, ImageConversionMethod.HALFTONE, header=None)
    fax_page = faxmode.render_fax_page(doc.tobytes(), 0, mode)
    image = QImage(
        fax_page.bits, fax_page.width, fax_page.height, fax_page.stride, QImage.Format.Format_Mono
    )
    image.setColorTable([qRgb(255, 255, 255), qRgb(0, 0, 0)])
    image = image.copy()  # Qt reads the bytes in place until copied
    assert (image.width(), image.height()) == (1728, 2156)
    grey = fax_page.grey()
    black = qRgb(0, 0, 0)
    samples = [(x, y) for y in range(270, 560, 7) for x in range(280, 860, 5)]
    assert any(grey[y * 1728 + x] == 0 for x, y in samples)
    assert any(grey[y * 1728 + x] == 255 for x, y in samples)
    for x, y in samples:
        assert (image.pixel(x, y) == black) == (grey[y * 1728 + x] == 0)
