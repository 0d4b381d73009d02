"""The details pane: one fax's facts in plain language, for the person at the desk and for support.

Shows what it is given: the fax (`set_fax`), what this desk knows about it (`set_row`: the
contact, the handled flag and note, whether its document was deleted) and the status changes
this desk saw (`set_history`). The handled box and the note are the only things the user can
change here; the pane announces them (`handled_changed`, `note_changed`) and the controller
stores them. It does not load, refresh or act on anything itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QDate, QEvent, QLocale, QObject, QSize, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.failures import describe_failure
from faxdesk.core.models import Direction, Fax, FaxStatus
from faxdesk.core.outbox import user_labels
from faxdesk.store.archive import ArchivedFax
from faxdesk.ui.fax_list import (
    direction_text,
    display_number,
    failure_reason,
    format_full_time,
    local_time,
    status_icon_name,
    status_text,
)
from faxdesk.ui.icons import icon

#: Nothing: the preview above already asks for a fax to be selected, and one text says it.
EMPTY_TEXT = ""

#: The rows of the form, in order: (field key, label).
FIELDS: tuple[tuple[str, str], ...] = (
    ("status", "Status"),
    ("explanation", "Why"),
    ("direction", "Direction"),
    ("contact", "Contact"),
    ("from", "From"),
    ("to", "To"),
    ("created", "Created"),
    ("completed", "Completed"),
    ("timeline", "Timeline"),
    ("pages", "Pages"),
    ("retries", "Retries"),
    ("price", "Price"),
    ("header", "Header"),
    ("resolution", "Resolution"),
    ("labels", "Labels"),
    ("barcodes", "Barcodes"),
    ("document", "Document"),
    ("service", "Service"),
    ("id", "Fax id"),
)

#: Fields hidden when they have nothing to say, to keep the pane compact.
_OPTIONAL = frozenset(
    {
        "explanation",
        "contact",
        "completed",
        "timeline",
        "retries",
        "price",
        "header",
        "resolution",
        "labels",
        "barcodes",
        "document",
        "service",
    }
)
_WRAPPED = frozenset({"status", "explanation", "labels", "header", "timeline", "barcodes"})

NOTE_DELAY_MS = 800


def _retries(fax: Fax) -> str:
    if fax.direction != Direction.OUTBOUND:
        return ""
    parts = []
    if fax.max_retries is not None:
        tried = f"{fax.retry_count} of {fax.max_retries}" if fax.max_retries else "none allowed"
        parts.append(f"{tried} retries" if fax.max_retries else "No retries allowed")
    elif fax.retry_count:
        parts.append(f"{fax.retry_count} retries")
    if fax.retry_delay_seconds and fax.max_retries:
        parts.append(f"{fax.retry_delay_seconds} s apart")
    return ", ".join(parts)


def _header(fax: Fax) -> str:
    if fax.direction != Direction.OUTBOUND:
        return ""
    parts = []
    if fax.header_text:
        parts.append(f"“{fax.header_text}”")
    if fax.header_page_numbers is not None:
        parts.append("page numbers" if fax.header_page_numbers else "no page numbers")
    if fax.header_time_zone:
        parts.append(f"times in {fax.header_time_zone}")
    return ", ".join(parts)


def _barcodes(fax: Fax) -> str:
    found = fax.extra.get("barCodes")
    if not isinstance(found, list):
        return ""
    lines = []
    for code in found:
        if not isinstance(code, dict):
            continue
        kind = str(code.get("type", "")).replace("_", " ").title().replace("Code ", "Code ")
        page = code.get("page")
        value = code.get("value", "")
        where = f" on page {page}" if page not in (None, "") else ""
        lines.append(f"{kind}{where}: {value}")
    return "; ".join(lines)


def _pages(fax: Fax) -> str:
    if fax.direction == Direction.OUTBOUND and fax.number_of_pages:
        sent = fax.pages_sent_successfully
        if fax.status == FaxStatus.COMPLETED and sent >= fax.number_of_pages:
            return str(fax.number_of_pages)
        return f"{sent} of {fax.number_of_pages} sent"
    return str(fax.number_of_pages) if fax.number_of_pages else ""


def _document(fax: Fax, row: ArchivedFax | None) -> str:
    if row is not None and row.content_deleted is not None:
        return (
            f"Deleted from the fax service on {format_full_time(row.content_deleted)}; "
            "the record stays."
        )
    if not fax.has_file and fax.status.is_final:
        return "The fax service holds no document for this fax."
    return ""


def _timeline(fax: Fax, history: Sequence[tuple[FaxStatus, datetime]]) -> str:
    """What happened when, in one line: "Fri 4 Dec 2026: created 05:06 → failed 05:07".

    The day is said once, and again for a step on another day. Statuses are stamped when
    this desk first saw them; the service stamps only creation and completion.
    """
    steps: list[tuple[str, datetime]] = []
    if fax.create_time is not None:
        steps.append(("created", fax.create_time))
    for status, moment in history:
        steps.append((status_text(_with_status(fax, status)).lower(), moment))
    if len(steps) < 2:
        return ""
    locale = QLocale()
    parts = []
    day = None
    for words, moment in steps:
        when = local_time(moment)
        clock = locale.toString(
            QTime(when.hour, when.minute, when.second), QLocale.FormatType.ShortFormat
        )
        if when.date() != day:
            day = when.date()
            date_text = locale.toString(QDate(day.year, day.month, day.day), "ddd d MMM yyyy")
            parts.append(
                f"{date_text}: {words} {clock}" if not parts else f"{words} {date_text} {clock}"
            )
        else:
            parts.append(f"{words} {clock}")
    return " → ".join(parts)


def _with_status(fax: Fax, status: FaxStatus) -> Fax:
    from dataclasses import replace

    return replace(fax, status=status)


def describe(
    fax: Fax,
    row: ArchivedFax | None = None,
    history: Sequence[tuple[FaxStatus, datetime]] = (),
    service_name: str = "",
) -> dict[str, str]:
    """The text of every field for `fax` ("" where there is nothing to show)."""
    status = status_text(fax)
    reason = failure_reason(fax)
    if fax.status == FaxStatus.FAILURE and reason:
        status = f"{status} — {reason}"
    explained = describe_failure(fax)
    explanation = ""
    if explained is not None:
        explanation = explained.summary
        if explained.may_retry:
            explanation += " Sending it again later may work."
    return {
        "status": status,
        "explanation": explanation,
        "direction": direction_text(fax),
        "contact": row.contact_name if row is not None else "",
        "from": display_number(fax.from_),
        "to": display_number(fax.to),
        "created": format_full_time(fax.create_time),
        "completed": format_full_time(fax.completed_time),
        "timeline": _timeline(fax, history),
        "pages": _pages(fax),
        "retries": _retries(fax),
        "price": str(fax.price) if fax.price else "",
        "header": _header(fax),
        "resolution": fax.resolution.value.capitalize() if fax.resolution else "",
        "labels": ", ".join(
            f"{key}: {value}" for key, value in sorted(user_labels(fax.labels).items())
        ),
        "barcodes": _barcodes(fax),
        "document": _document(fax, row),
        "service": service_name or fax.service_id,
        "id": fax.id,
    }


class FaxDetails(QWidget):
    """A compact form describing one fax, or an empty-state text.

    Signals:
        handled_changed(str, bool): the user ticked or cleared Handled for the fax id.
        note_changed(str, str): the user changed the note of the fax id (after a pause).

    Attributes:
        fax: the fax shown, or None.
        handled_check: the Handled box; note_edit: the note.
    """

    handled_changed = Signal(str, bool)
    note_changed = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fax: Fax | None = None
        self._row: ArchivedFax | None = None
        self._history: Sequence[tuple[FaxStatus, datetime]] = ()
        self._service_names: dict[str, str] = {}

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
        self._rows: dict[str, int] = {}
        self._status_icon = QLabel()

        self.handled_check = QCheckBox("Handl&ed", self)
        self.handled_check.setToolTip("Mark the fax as dealt with; the list shows a tick.")
        self.note_edit = QLineEdit(self)
        self.note_edit.setPlaceholderText("A note: what was done, who has it…")
        self.note_edit.setAccessibleName("Note")
        self.note_edit.setAcceptDrops(False)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_DELAY_MS)
        handled_row = QHBoxLayout()
        handled_row.setSpacing(8)
        handled_row.addWidget(self.handled_check)
        handled_row.addWidget(self.note_edit, 1)
        self._form.addRow(handled_row)

        for key, label in FIELDS:
            value = QLabel()
            value.setWordWrap(key in _WRAPPED)
            if key in _WRAPPED:
                value.installEventFilter(self)
            value.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            value.setTextFormat(Qt.TextFormat.PlainText)
            self._values[key] = value
            caption = QLabel(f"{label}:")
            caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            # Beside the first line of a value that wraps, not halfway down it.
            caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            caption.setBuddy(value)
            self._rows[key] = self._form.rowCount()
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

        self.handled_check.toggled.connect(self._on_handled_check_toggled)
        self.note_edit.textEdited.connect(self._on_note_edit_text_edited)
        self.note_edit.editingFinished.connect(self._on_note_edit_editing_finished)
        self._note_timer.timeout.connect(self._on_note_timer_timeout)

    # -- public API ----------------------------------------------------------------------------

    def set_fax(self, fax: Fax | None) -> None:
        """Describe `fax`, or show the empty state for None."""
        if fax is None or self.fax is None or fax.id != self.fax.id:
            self._flush_note()
            self._row = None
            self._history = ()
        self.fax = fax
        if fax is None:
            self._stack.setCurrentWidget(self._empty)
            return
        self._refresh()
        self._stack.setCurrentIndex(1)

    def set_row(self, row: ArchivedFax | None) -> None:
        """What this desk knows about the fax shown (ignored for another fax)."""
        if row is None or self.fax is None or row.fax.id != self.fax.id:
            return
        self._row = row
        self.fax = row.fax
        self._show_flags(row)
        self._refresh()

    def set_history(self, fax_id: str, history: Sequence[tuple[FaxStatus, datetime]]) -> None:
        """The status changes this desk saw for `fax_id` (ignored for another fax)."""
        if self.fax is not None and self.fax.id == fax_id:
            self._history = tuple(history)
            self._refresh()

    def set_service_names(self, names: dict[str, str]) -> None:
        """Service ids and their names, so the pane can name the service."""
        self._service_names = dict(names)
        if self.fax is not None:
            self._refresh()

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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # QFormLayout sizes a wrapped label's row by the width the field had in the layout's
        # previous pass; when the width changes (the pane shown, a scroll bar appearing), the
        # new line breaks need more rows than it gave, and the last line is cut off. Another
        # pass, with the widths now known, gives the row its height.
        if (
            event.type() == QEvent.Type.Resize
            and isinstance(watched, QLabel)
            and watched.height() < watched.heightForWidth(watched.width())
        ):
            self._form.invalidate()
        return super().eventFilter(watched, event)

    # -- handlers ------------------------------------------------------------------------------

    def _on_handled_check_toggled(self, checked: bool) -> None:
        if self.fax is not None and (self._row is None or self._row.handled != checked):
            self.handled_changed.emit(self.fax.id, checked)

    def _on_note_edit_text_edited(self, _text: str) -> None:
        self._note_timer.start()

    def _on_note_edit_editing_finished(self) -> None:
        self._flush_note()

    def _on_note_timer_timeout(self) -> None:
        self._flush_note()

    # -- helpers -------------------------------------------------------------------------------

    def _flush_note(self) -> None:
        self._note_timer.stop()
        if self.fax is None or self._row is None:
            return
        text = self.note_edit.text().strip()
        if text != self._row.note:
            self._row = _with_note(self._row, text)
            self.note_changed.emit(self.fax.id, text)

    def _show_flags(self, row: ArchivedFax) -> None:
        self.handled_check.blockSignals(True)
        self.handled_check.setChecked(row.handled)
        self.handled_check.blockSignals(False)
        if not self.note_edit.hasFocus() or self.note_edit.text().strip() == row.note:
            self.note_edit.setText(row.note)

    def _refresh(self) -> None:
        fax = self.fax
        if fax is None:
            return
        name = self._service_names.get(fax.service_id, "")
        for key, text in describe(fax, self._row, self._history, name).items():
            # Shown first, then filled: a hidden label does not tell the form it grew, and the
            # form would keep the height of its old text.
            self._form.setRowVisible(self._rows[key], bool(text) or key not in _OPTIONAL)
            self._values[key].setText(text or "—")
        known = self._row is not None
        self.handled_check.setEnabled(known)
        self.note_edit.setEnabled(known)
        if not known:
            self.handled_check.blockSignals(True)
            self.handled_check.setChecked(False)
            self.handled_check.blockSignals(False)
            self.note_edit.clear()
        self._set_status_icon()

    def _set_status_icon(self) -> None:
        if self.fax is None:
            return
        size = self.fontMetrics().height()
        self._status_icon.setPixmap(
            icon(status_icon_name(self.fax)).pixmap(QSize(size, size), self.devicePixelRatioF())
        )


def _with_note(row: ArchivedFax, note: str) -> ArchivedFax:
    from dataclasses import replace

    return replace(row, note=note)
