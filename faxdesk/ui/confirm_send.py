"""The last look before a fax goes out: every page as the recipient's machine prints it.

`ConfirmSendDialog` shows the whole fax in fax mode (cover page included), its page count and
transmission size, and the recipients with their warnings, and answers Send or Back. It is
opened window-modally without a nested event loop (`dialog_result`); pages arrive one by one
through `add_page()` from whoever renders them. Whether it is shown at all is a setting.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.models import Resolution
from faxdesk.documents.faxmode import FaxPage, TransmissionEstimate
from faxdesk.ui.recipients import Recipient

#: Width the pages are shown at, in pixels.
PAGE_WIDTH = 520


def fax_page_image(page: FaxPage, width: int = PAGE_WIDTH) -> QImage:
    """The 1-bit page as a QImage `width` pixels wide, at its true shape (fax pixels are not
    square: the height is scaled by x_dpi / y_dpi)."""
    image = QImage(page.bits, page.width, page.height, page.stride, QImage.Format.Format_Mono)
    image.setColorTable([QColor("white").rgb(), QColor("black").rgb()])
    height = round(page.height * page.x_dpi / page.y_dpi * width / page.width)
    return image.scaled(
        width,
        height,
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    ).convertToFormat(QImage.Format.Format_Grayscale8)


class ConfirmSendDialog(QDialog):
    """Send this fax? The pages, the count and the recipients, once more.

    Attributes:
        summary_label: pages and recipients.
        size_label: the pages' size on the line, once every page is shown with its size.
        recipients_label: each recipient, with what to check about it.
        pages_layout: where the page images go, in order; `status_label` says how far
            rendering has come.
        send_button, back_button: the answers (Send is the default; Esc goes back).
    """

    def __init__(
        self,
        page_count: int,
        recipients: Sequence[Recipient],
        parent: QWidget | None = None,
        *,
        cover_pages: int = 0,
        resolution: Resolution = Resolution.FINE,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Send this fax?")
        self._page_count = page_count
        self._resolution = resolution
        self._shown = 0
        self._coded: list[int] = []
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        pages = "1 page" if page_count == 1 else f"{page_count} pages"
        if cover_pages:
            pages += " with the cover page"
        people = "1 recipient" if len(recipients) == 1 else f"{len(recipients)} recipients"
        self.summary_label.setText(f"{pages} to {people}")
        self.size_label = QLabel(self)
        self.size_label.setAccessibleName("Size on the line")
        self.recipients_label = QLabel(self)
        self.recipients_label.setWordWrap(True)
        self.recipients_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lines = []
        for recipient in recipients:
            line = recipient.describe()
            if recipient.warnings:
                line += f" — {' '.join(recipient.warnings)}"
            lines.append(line)
        self.recipients_label.setText("\n".join(lines))
        self.status_label = QLabel("Preparing the pages as the fax machine prints them…", self)

        holder = QWidget(self)
        self.pages_layout = QVBoxLayout(holder)
        self.pages_layout.setSpacing(12)
        self.pages_layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._scroll = QScrollArea(self)
        self._scroll.setWidget(holder)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.StyledPanel)
        self._scroll.setMinimumWidth(PAGE_WIDTH + 48)
        self._scroll.setAccessibleName("The fax as it will be printed")

        self.send_button = QPushButton("&Send", self)
        self.send_button.setDefault(True)
        self.back_button = QPushButton("&Back to the fax", self)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.back_button, QDialogButtonBox.ButtonRole.RejectRole)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.size_label)
        layout.addWidget(self.recipients_label)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.resize(PAGE_WIDTH + 120, 760)

    def add_page(self, image: QImage, *, coded_bytes: int | None = None) -> None:
        """Show the next page; with `coded_bytes`, the bytes it takes on the line, which add up
        to the transmission estimate shown once every page has come with its size."""
        label = QLabel(self)
        label.setPixmap(QPixmap.fromImage(image))
        label.setFrameShape(QFrame.Shape.Box)
        self._shown += 1
        label.setAccessibleName(f"Page {self._shown} of {self._page_count}")
        self.pages_layout.addWidget(label)
        if coded_bytes is not None:
            self._coded.append(coded_bytes)
        if self._shown >= self._page_count:
            self.status_label.setText("Every page is shown as the recipient's machine prints it.")
            if len(self._coded) == self._page_count:
                estimate = TransmissionEstimate(
                    self._page_count, self._resolution, sum(self._coded), tuple(self._coded)
                )
                self.size_label.setText(estimate.summary() + ".")
        else:
            self.status_label.setText(f"Page {self._shown} of {self._page_count} shown…")

    def show_problem(self, text: str) -> None:
        self.status_label.setText(text)

    def pages_shown(self) -> int:
        return self._shown
