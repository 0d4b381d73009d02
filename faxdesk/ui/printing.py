"""Printing fax pages: the print dialog, awaited, and page images painted onto the paper.

`choose_printer` opens Qt's print dialog with `open()` (never `exec()`, so no event loop runs
inside a coroutine) and returns the configured printer or None. A `PrintJob` paints pages one
by one, each fitted to the paper and turned when it lies the other way, asking the caller to
render each at the printer's resolution. It renders nothing itself and opens no document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPagedPaintDevice, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QDialog, QWidget

from faxdesk.documents.pages import RenderedPage
from faxdesk.ui.tasks import dialog_result

#: Renders page `index`, turned `rotation` degrees clockwise, `width` pixels wide.
RenderPage = Callable[[int, int, int], Awaitable[QImage]]

#: Fax pages are 204 dpi: rendering them finer for the printer only makes the spool bigger.
PRINT_DPI = 204


def to_qimage(page: RenderedPage) -> QImage:
    """Copy rendered grey pixels into a QImage that owns its memory."""
    image = QImage(
        page.samples, page.width, page.height, page.stride, QImage.Format.Format_Grayscale8
    )
    return image.copy()


async def choose_printer(parent: QWidget, suggested_name: str) -> QPrinter | None:
    """Let the user pick and set up a printer; None when they cancel.

    Without any printer installed, Qt's dialog can only print to a PDF file: it is offered
    under `suggested_name` in the home folder rather than as a bare folder.
    """
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if not QPrinterInfo.availablePrinters():
        printer.setOutputFileName(str(Path.home() / suggested_name))
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print")
    try:
        if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
            return None
    finally:
        dialog.deleteLater()
    return printer


class PrintJob:
    """Paints pages onto a printer, or any paged device such as a QPdfWriter, page after page.

    Attributes:
        pages_printed: how many pages have been painted so far.
    """

    def __init__(self, device: QPagedPaintDevice) -> None:
        self._device = device
        self._painter = QPainter()
        self.pages_printed = 0

    def begin(self) -> bool:
        """Open the device; False when it cannot be opened (printer off, file not writable)."""
        return self._painter.begin(self._device)

    def end(self) -> None:
        if self._painter.isActive():
            self._painter.end()

    async def add_pages(self, sizes: Sequence[tuple[float, float]], render: RenderPage) -> None:
        """Print pages of `sizes` (points, as shown), each rendered by `render` when its turn
        comes, so only one page image is held at a time."""
        resolution = self._device.logicalDpiX()
        area = self._device.pageLayout().paintRectPixels(resolution)
        for index, (width, height) in enumerate(sizes):
            # A landscape page goes across portrait paper (and the other way round), larger.
            turn = 90 if (width > height) != (area.width() > area.height()) else 0
            shown_width = height if turn else width
            dots = round(shown_width / 72 * min(resolution, PRINT_DPI))
            image = await render(index, max(1, min(dots, area.width())), turn)
            if self.pages_printed:
                self._device.newPage()
            scale = min(area.width() / image.width(), area.height() / image.height())
            target = QRectF(0, 0, image.width() * scale, image.height() * scale)
            # Centred across the paper, from the top edge, as a fax machine prints it.
            target.moveLeft((area.width() - target.width()) / 2)
            self._painter.drawImage(target, image)
            self.pages_printed += 1
