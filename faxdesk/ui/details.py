"""The details pane: one fax's facts in plain language, for the person at the desk and for support.

Shows what it is given with `set_fax()`; it does not load, refresh or act on anything.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.models import Direction, Fax, FaxStatus
from faxdesk.ui.fax_list import (
    direction_text,
    display_number,
    failure_reason,
    format_full_time,
    status_icon_name,
    status_text,
)
from faxdesk.ui.icons import icon

EMPTY_TEXT = "No fax selected."

#: The rows of the form, in order: (field key, label).
FIELDS: tuple[tuple[str, str], ...] = (
    ("status", "Status"),
    ("direction", "Direction"),
    ("from", "From"),
    ("to", "To"),
    ("created", "Created"),
    ("completed", "Completed"),
    ("pages", "Pages"),
    ("price", "Price"),
    ("header", "Header text"),
    ("resolution", "Resolution"),
    ("labels", "Labels"),
    ("id", "Fax id"),
)

#: Fields hidden when they have nothing to say, to keep the pane compact.
_OPTIONAL = frozenset({"completed", "price", "header", "resolution", "labels"})


def describe(fax: Fax) -> dict[str, str]:
    """The text of every field for `fax` ("" where there is nothing to show)."""
    status = status_text(fax)
    reason = failure_reason(fax)
    if fax.status == FaxStatus.FAILURE and reason:
        status = f"{status} — {reason}"
    if fax.direction == Direction.OUTBOUND and fax.number_of_pages:
        sent = fax.pages_sent_successfully
        pages = (
            str(fax.number_of_pages)
            if fax.status == FaxStatus.COMPLETED and sent >= fax.number_of_pages
            else f"{sent} of {fax.number_of_pages} sent"
        )
    else:
        pages = str(fax.number_of_pages) if fax.number_of_pages else ""
    return {
        "status": status,
        "direction": direction_text(fax),
        "from": display_number(fax.from_),
        "to": display_number(fax.to),
        "created": format_full_time(fax.create_time),
        "completed": format_full_time(fax.completed_time),
        "pages": pages,
        "price": str(fax.price) if fax.price else "",
        "header": fax.header_text,
        "resolution": fax.resolution.value.capitalize() if fax.resolution else "",
        "labels": ", ".join(f"{key}: {value}" for key, value in sorted(fax.labels.items())),
        "id": fax.id,
    }


class FaxDetails(QWidget):
    """A compact form describing one fax, or an empty-state text.

    Attributes:
        fax: the fax shown, or None.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fax: Fax | None = None

        self._empty = QLabel(EMPTY_TEXT, self)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        form_widget = QWidget()
        self._form = QFormLayout(form_widget)
        self._form.setContentsMargins(12, 10, 12, 10)
        self._form.setHorizontalSpacing(14)
        self._form.setVerticalSpacing(4)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._values: dict[str, QLabel] = {}
        self._status_icon = QLabel()
        for key, label in FIELDS:
            value = QLabel()
            value.setWordWrap(key in {"status", "labels", "header"})
            value.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            value.setTextFormat(Qt.TextFormat.PlainText)
            self._values[key] = value
            caption = QLabel(f"{label}:")
            caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            caption.setBuddy(value)
            if key == "status":
                row = QHBoxLayout()
                row.setSpacing(6)
                row.addWidget(self._status_icon, 0, Qt.AlignmentFlag.AlignTop)
                row.addWidget(value, 1)
                self._form.addRow(caption, row)
            else:
                self._form.addRow(caption, value)

        scroll = QScrollArea(self)
        scroll.setWidget(form_widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._empty)
        self._stack.addWidget(scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

    def set_fax(self, fax: Fax | None) -> None:
        """Describe `fax`, or show the empty state for None."""
        self.fax = fax
        if fax is None:
            self._stack.setCurrentWidget(self._empty)
            return
        for key, text in describe(fax).items():
            self._values[key].setText(text or "—")
            self._form.setRowVisible(self._row(key), bool(text) or key not in _OPTIONAL)
        self._set_status_icon()
        self._stack.setCurrentIndex(1)

    def value(self, key: str) -> str:
        """The text shown for field `key` (see FIELDS)."""
        return self._values[key].text()

    def is_field_visible(self, key: str) -> bool:
        return not self._values[key].isHidden() and self._stack.currentIndex() == 1

    def is_empty(self) -> bool:
        return self._stack.currentWidget() is self._empty

    def sizeHint(self) -> QSize:
        return QSize(320, 260)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._set_status_icon()
        super().changeEvent(event)

    def _row(self, key: str) -> int:
        return next(index for index, (name, _label) in enumerate(FIELDS) if name == key)

    def _set_status_icon(self) -> None:
        if self.fax is None:
            return
        size = self.fontMetrics().height()
        self._status_icon.setPixmap(
            icon(status_icon_name(self.fax)).pixmap(QSize(size, size), self.devicePixelRatioF())
        )
