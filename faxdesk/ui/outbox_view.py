"""The Outbox view: every fax the user sent from this desk, and where it is on its way.

`OutboxModel` stores outbox entries (newest first) and the upload progress of the one going
out; it never fetches. `OutboxView` shows them with their state in words (queued, uploading with
a progress bar, waiting and why, submitted, delivered, failed with the reason, cancelled) and
announces what the user asks for: cancel before upload, undo within the undo window, resend
(optionally to a corrected number), resend every failed fax, and try a waiting outbox again now.
`UndoSendBar` offers Undo for the Send just made, wherever the user is, until its undo window
ends. `OutboxPresenter` connects them to the `Outbox` service: it feeds the model from the
service's events and turns the intents into service calls, reporting refusals next to the list.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.errors import FaxDeskError, ValidationError
from faxdesk.core.models import FaxStatus
from faxdesk.core.outbox import (
    EntryChanged,
    OutboxEntry,
    OutboxEvent,
    OutboxState,
    OutboxWaiting,
    UploadProgress,
    WaitingChanged,
)
from faxdesk.core.phone import display, to_e164
from faxdesk.services.outbox import Outbox
from faxdesk.ui.icons import icon
from faxdesk.ui.tasks import TaskKeeper
from faxdesk.ui.theme import message_colours

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
#: Upload progress as a fraction 0..1, or None when no upload of the entry is under way.
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


class Column(enum.IntEnum):
    TO = 0
    STATE = 1
    DOCUMENTS = 2
    SENT = 3


_HEADERS = {
    Column.TO: "To",
    Column.STATE: "Status",
    Column.DOCUMENTS: "Documents",
    Column.SENT: "Sent at",
}

_STATE_ICONS = {
    OutboxState.HELD: "status-queued",
    OutboxState.QUEUED: "status-queued",
    OutboxState.UPLOADING: "status-in-progress",
    OutboxState.UNCERTAIN: "status-in-progress",
    OutboxState.SUBMITTED: "status-in-progress",
    OutboxState.DELIVERED: "status-completed",
    OutboxState.FAILED: "status-failed",
    OutboxState.CANCELLED: "remove",
}


def state_text(
    entry: OutboxEntry,
    *,
    progress: float | None = None,
    waiting: OutboxWaiting | None = None,
    now: datetime | None = None,
) -> str:
    """The entry's state in words, as the Status column shows it."""
    now = now or datetime.now(UTC)
    state = entry.state
    if state is OutboxState.HELD:
        left = (entry.hold_until - now).total_seconds() if entry.hold_until else 0
        return f"Goes out in {max(0, round(left))} s"
    if state is OutboxState.QUEUED:
        if waiting is not None:
            return f"Waiting: {waiting.reason}"
        return "Queued"
    if state is OutboxState.UPLOADING:
        if progress is None:
            return "Uploading"
        return f"Uploading {round(progress * 100)} %"
    if state is OutboxState.UNCERTAIN:
        return "Checking with the service whether it arrived"
    if state is OutboxState.SUBMITTED:
        if entry.fax_status is FaxStatus.IN_PROGRESS:
            sent = f" ({entry.pages_sent} of {entry.number_of_pages} pages)"
            return "Sending" + (sent if entry.number_of_pages else "")
        return "Submitted, waiting for the line"
    if state is OutboxState.DELIVERED:
        return "Delivered"
    if state is OutboxState.FAILED:
        return f"Failed: {entry.last_error}" if entry.last_error else "Failed"
    if state is OutboxState.CANCELLED:
        return "Cancelled"
    return str(state)


class OutboxModel(QAbstractTableModel):
    """Outbox entries, newest first, with the upload progress of those going out.

    Attributes:
        waiting: why queued entries wait (shown in their Status), or None.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[OutboxEntry] = []
        self._progress: dict[int, float] = {}
        self.waiting: OutboxWaiting | None = None

    # -- feeding -------------------------------------------------------------------------------

    def set_entries(self, entries: Sequence[OutboxEntry]) -> None:
        self.beginResetModel()
        self._entries = sorted(entries, key=lambda entry: entry.id, reverse=True)
        self._progress = {}
        self.endResetModel()

    def upsert(self, entry: OutboxEntry) -> None:
        """Add `entry` or replace the older copy of it (a copy with a lower revision is kept)."""
        row = self.row_of(entry.id)
        if entry.state is not OutboxState.UPLOADING:
            self._progress.pop(entry.id, None)
        if row is None:
            position = next(
                (i for i, known in enumerate(self._entries) if known.id < entry.id),
                len(self._entries),
            )
            self.beginInsertRows(QModelIndex(), position, position)
            self._entries.insert(position, entry)
            self.endInsertRows()
            return
        if self._entries[row].revision > entry.revision:
            return
        self._entries[row] = entry
        self._row_changed(row)

    def set_progress(self, entry_id: int, done: int, total: int | None) -> None:
        row = self.row_of(entry_id)
        if row is None:
            return
        self._progress[entry_id] = min(1.0, done / total) if total else 0.0
        self._row_changed(row)

    def set_waiting(self, waiting: OutboxWaiting | None) -> None:
        self.waiting = waiting
        self.refresh_states()

    def refresh_states(self) -> None:
        """Say the Status column changed (the undo countdown moves on)."""
        if self._entries:
            self.dataChanged.emit(
                self.index(0, Column.STATE), self.index(len(self._entries) - 1, Column.STATE)
            )

    # -- reading -------------------------------------------------------------------------------

    def entry_at(self, row: int) -> OutboxEntry:
        return self._entries[row]

    def entries(self) -> list[OutboxEntry]:
        return list(self._entries)

    def row_of(self, entry_id: int) -> int | None:
        return next((row for row, e in enumerate(self._entries) if e.id == entry_id), None)

    def progress(self, entry_id: int) -> float | None:
        return self._progress.get(entry_id)

    # -- Qt model ------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS.get(Column(section)) if 0 <= section < len(Column) else None
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = Column(index.column())
        if role == ENTRY_ROLE:
            return entry
        if role == PROGRESS_ROLE:
            return self._progress.get(entry.id) if column is Column.STATE else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole and column is Column.STATE:
            if entry.state is OutboxState.HELD:
                return f"{self._text(entry, column)}; Undo send (Ctrl+Z) takes it back"
            return self._text(entry, column)
        if role == Qt.ItemDataRole.DecorationRole and column is Column.STATE:
            return icon(_STATE_ICONS.get(entry.state, "status-queued"))
        return None

    def _text(self, entry: OutboxEntry, column: Column) -> str:
        if column is Column.TO:
            return display(entry.to)
        if column is Column.STATE:
            waiting = self.waiting if entry.state is OutboxState.QUEUED else None
            return state_text(entry, progress=self._progress.get(entry.id), waiting=waiting)
        if column is Column.DOCUMENTS:
            return ", ".join(document.filename for document in entry.request.documents)
        return entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M")

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))


class _ProgressDelegate(QStyledItemDelegate):
    """Draws a progress bar under the Status text of an entry being uploaded."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        super().paint(painter, option, index)
        fraction = index.data(PROGRESS_ROLE)
        if fraction is None:
            return
        bar = QStyleOptionProgressBar()
        rect = QRect(option.rect)
        bar.rect = QRect(rect.left() + 4, rect.bottom() - 5, rect.width() - 8, 4)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = round(fraction * 1000)
        bar.textVisible = False
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class OutboxView(QWidget):
    """The outbox list and its actions.

    Signals:
        cancel_requested(int): cancel the entry with this id (not gone out yet).
        undo_requested(str): undo the Send with this batch id (within the undo window).
        resend_requested(int, object): send the failed entry again, to the number given as
            typed (a str), or to the same number (None).
        resend_all_requested(): resend every failed entry.
        retry_requested(): stop waiting and try the service again now.
        entry_selected(object): the OutboxEntry now selected, or None.

    Attributes:
        model: the OutboxModel; `table` shows it.
        cancel_button, undo_button, resend_button, resend_to_button, resend_all_button: the
            actions, enabled for the selected entry as its state allows.
        waiting_label: why faxes are waiting, when they are; `retry_button` beside it tries
            the service again at once.
        default_region: the country a corrected number is read in, as the outbox reads it.
        message_label: what the last action could not do.
    """

    cancel_requested = Signal(int)
    undo_requested = Signal(str)
    resend_requested = Signal(int, object)
    resend_all_requested = Signal()
    retry_requested = Signal()
    entry_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shown_entry: tuple[int, OutboxState] | None = None
        self.default_region = "US"
        self.model = OutboxModel(self)
        self._number_dialog: QInputDialog | None = None
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Outbox")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setItemDelegateForColumn(Column.STATE, _ProgressDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(Column.STATE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(Column.TO, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.SENT, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(Column.DOCUMENTS, 160)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 14)

        self.cancel_button = QPushButton("&Cancel fax", self)
        self.cancel_button.setToolTip("Cancel the selected fax before it is uploaded (Delete)")
        self.undo_button = QPushButton("U&ndo send", self)
        self.undo_button.setToolTip(
            "Take back the selected Send while it is held (Ctrl+Z), for every recipient"
        )
        self.resend_button = QPushButton("&Resend", self)
        self.resend_button.setToolTip("Send the selected failed fax again to the same number")
        self.resend_to_button = QPushButton("Resend &to…", self)
        self.resend_to_button.setToolTip("Send the selected failed fax again to another number")
        # Alt+L: Alt+F opens the File menu.
        self.resend_all_button = QPushButton("Resend a&ll failed", self)
        self.resend_all_button.setToolTip("Send every failed fax again, each to its number")
        self.waiting_label = QLabel(self)
        self.waiting_label.setWordWrap(True)
        self.waiting_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Tr&y now", self)
        self.retry_button.setAutoDefault(False)
        self.retry_button.setToolTip("Stop waiting and try the fax service again now")
        self._waiting_row = QWidget(self)
        waiting_row = QHBoxLayout(self._waiting_row)
        waiting_row.setContentsMargins(0, 0, 0, 0)
        waiting_row.addWidget(self.waiting_label, 1)
        waiting_row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        self._waiting_row.hide()
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()

        buttons = QHBoxLayout()
        for button in (
            self.cancel_button,
            self.undo_button,
            self.resend_button,
            self.resend_to_button,
            self.resend_all_button,
        ):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self._waiting_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message_label)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick_timeout)
        cancel_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        cancel_key.activated.connect(self._on_cancel_button_clicked)
        undo_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        undo_key.activated.connect(self._on_undo_button_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.resend_button.clicked.connect(self._on_resend_button_clicked)
        self.resend_to_button.clicked.connect(self._on_resend_to_button_clicked)
        self.resend_all_button.clicked.connect(self.resend_all_requested)
        self.retry_button.clicked.connect(self.retry_requested)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.model.dataChanged.connect(self._on_table_selection_changed)
        for signal in (self.model.dataChanged, self.model.rowsInserted, self.model.modelReset):
            signal.connect(self._on_model_changed)
        self.model.modelReset.connect(self._on_table_selection_changed)
        self._apply_icons()
        self._update_buttons()

    def selected_entry(self) -> OutboxEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry_at(rows[0].row()) if rows else None

    def select_entry(self, entry_id: int) -> None:
        row = self.model.row_of(entry_id)
        if row is not None:
            self.table.selectRow(row)

    def set_waiting(self, waiting: OutboxWaiting | None) -> None:
        self.model.set_waiting(waiting)
        if waiting is None:
            self._waiting_row.hide()
            return
        when = ""
        if waiting.until is not None:
            when = f" Next try at {waiting.until.astimezone().strftime('%H:%M:%S')}."
        self.waiting_label.setText(f"Faxes are waiting to go out: {waiting.reason}{when}")
        self._waiting_row.show()

    def show_message(self, text: str) -> None:
        palette = self.message_label.palette()
        palette.setColor(
            self.message_label.foregroundRole(), message_colours(self.palette()).error_text
        )
        self.message_label.setPalette(palette)
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    # -- handlers ------------------------------------------------------------------------------

    def _on_cancel_button_clicked(self) -> None:
        entry = self.selected_entry()
        if entry is not None and entry.can_cancel:
            self.cancel_requested.emit(entry.id)

    def _on_undo_button_clicked(self) -> None:
        entry = self.selected_entry()
        if entry is not None and entry.state is OutboxState.HELD:
            self.undo_requested.emit(entry.batch_id)

    def _on_resend_button_clicked(self) -> None:
        entry = self.selected_entry()
        if entry is not None and entry.can_resend:
            self.resend_requested.emit(entry.id, None)

    def _on_resend_to_button_clicked(self) -> None:
        entry = self.selected_entry()
        if entry is None or not entry.can_resend:
            return
        self._ask_number(entry, display(entry.to))

    def _ask_number(self, entry: OutboxEntry, text: str, problem: str = "") -> None:
        """Ask for the corrected number without blocking; a wrong one is asked for again."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Resend to another number")
        question = f"Send the fax to {display(entry.to)} again, to this number:"
        dialog.setLabelText(f"{problem}\n{question}" if problem else question)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setTextValue(text)
        dialog.textValueSelected.connect(
            lambda typed, chosen=entry: self._on_number_dialog_text_value_selected(chosen, typed)
        )
        dialog.finished.connect(dialog.deleteLater)
        self._number_dialog = dialog
        dialog.open()

    def _on_number_dialog_text_value_selected(self, entry: OutboxEntry, text: str) -> None:
        try:
            to_e164(text, self.default_region)
        except ValidationError as exc:
            self._ask_number(entry, text, str(exc))
            return
        self.resend_requested.emit(entry.id, text)

    def _on_table_selection_changed(self, *_args: object) -> None:
        # Announced when another entry is selected or the selected one changes state (it got
        # its fax, say), not for every percent of an upload.
        entry = self.selected_entry()
        shown = (entry.id, entry.state) if entry is not None else None
        if shown != self._shown_entry:
            self._shown_entry = shown
            self.entry_selected.emit(entry)

    def _on_model_changed(self, *_args: object) -> None:
        held = any(entry.state is OutboxState.HELD for entry in self.model.entries())
        if held and not self._tick.isActive():
            self._tick.start()
        elif not held:
            self._tick.stop()
        self._update_buttons()

    def _on_tick_timeout(self) -> None:
        self.model.refresh_states()

    # -- helpers -------------------------------------------------------------------------------

    def _update_buttons(self, *_args: object) -> None:
        entry = self.selected_entry()
        self.cancel_button.setEnabled(entry is not None and entry.can_cancel)
        self.undo_button.setEnabled(entry is not None and entry.state is OutboxState.HELD)
        self.resend_button.setEnabled(entry is not None and entry.can_resend)
        self.resend_to_button.setEnabled(entry is not None and entry.can_resend)
        self.resend_all_button.setEnabled(any(e.can_resend for e in self.model.entries()))

    def _apply_icons(self) -> None:
        self.cancel_button.setIcon(icon("remove"))
        self.resend_button.setIcon(icon("send"))
        self.resend_to_button.setIcon(icon("send"))
        self.resend_all_button.setIcon(icon("refresh"))


class UndoSendBar(QWidget):
    """Undo for the Send just made, offered wherever the user is (the window's status bar)
    until its undo window ends; then what the undo did, for a few seconds.

    Signals:
        undo_requested(str): take back the Send with this batch id.

    Attributes:
        label: the countdown ("Fax to … goes out in 8 s.") or the outcome.
        undo_button: Undo (Alt+U).
        batch_id: the Send on offer ("" when none).
    """

    undo_requested = Signal(str)

    #: How long the outcome of an undo stays.
    OUTCOME_MS = 8000

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self.batch_id = ""
        self._who = ""
        self._until: datetime | None = None
        self.label = QLabel(self)
        self.undo_button = QPushButton("&Undo", self)
        self.undo_button.setAutoDefault(False)
        self.undo_button.setToolTip("Take the fax back before it goes out (Alt+U)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.undo_button)
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._on_tick_timeout)
        self._outcome_timer = QTimer(self)
        self._outcome_timer.setSingleShot(True)
        self._outcome_timer.setInterval(self.OUTCOME_MS)
        self._outcome_timer.timeout.connect(self.hide)
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.undo_button.setIcon(icon("remove"))
        self.hide()

    def offer(self, batch_id: str, who: str, until: datetime) -> None:
        """Offer Undo for the Send `batch_id` (to `who`, as it reads) until `until`."""
        self.batch_id, self._who, self._until = batch_id, who, until
        self._outcome_timer.stop()
        self.undo_button.show()
        self._on_tick_timeout()
        if self.batch_id:
            self._tick.start()
            self.show()

    def is_offering(self, batch_id: str | None = None) -> bool:
        """Whether Undo is on offer (for the Send `batch_id`, when given)."""
        offering = bool(self.batch_id) and not self.undo_button.isHidden()
        return offering and (batch_id is None or batch_id == self.batch_id)

    def withdraw(self, batch_id: str | None = None) -> None:
        """The undo window of `batch_id` (or of whatever is offered) is over: hide."""
        if self.is_offering(batch_id):
            self.batch_id = ""
            self._tick.stop()
            self.hide()

    def show_outcome(self, text: str) -> None:
        """Say what the undo did, for a few seconds."""
        self.batch_id = ""
        self._tick.stop()
        self.undo_button.hide()
        self.label.setText(text)
        self.show()
        self._outcome_timer.start()

    def _on_undo_button_clicked(self) -> None:
        if self.is_offering():
            self._tick.stop()
            self.undo_button.hide()
            self.label.setText("Taking the fax back…")
            self.undo_requested.emit(self.batch_id)

    def _on_tick_timeout(self) -> None:
        left = (self._until - self._clock()).total_seconds() if self._until else 0.0
        if left <= 0:
            self.withdraw()
            return
        self.label.setText(f"Fax to {self._who} goes out in {math.ceil(left)} s.")


class OutboxPresenter(QObject):
    """Keeps an OutboxView on the Outbox service and carries out what the view asks.

    Attributes:
        on_changed: called with every entry the service reports changed (after the view).
    """

    def __init__(
        self,
        view: OutboxView,
        outbox: Outbox,
        tasks: TaskKeeper,
        parent: QObject | None = None,
        *,
        undo_bar: UndoSendBar | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.undo_bar = undo_bar
        self._outbox = outbox
        view.default_region = outbox.default_region
        self._tasks = tasks
        self.on_changed: Callable[[OutboxEntry], None] = lambda _entry: None
        self._connections = [
            (view.cancel_requested, self._on_view_cancel_requested),
            (view.undo_requested, self._on_view_undo_requested),
            (view.resend_requested, self._on_view_resend_requested),
            (view.resend_all_requested, self._on_view_resend_all_requested),
            (view.retry_requested, self._on_view_retry_requested),
        ]
        if undo_bar is not None:
            self._connections.append((undo_bar.undo_requested, self._on_undo_bar_undo_requested))
        for signal, slot in self._connections:
            signal.connect(slot)
        self._unsubscribe: Callable[[], None] = outbox.subscribe(self.on_event)

    async def load(self) -> None:
        """Show the newest entries the journal holds."""
        entries = await self._outbox.entries()
        self.view.model.set_entries(entries)
        self.view.set_waiting(self._outbox.waiting)

    def stop(self) -> None:
        self._unsubscribe()
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []

    def offer_undo(self, entries: Sequence[OutboxEntry]) -> None:
        """Offer Undo for the Send that made `entries`, while they are held."""
        held = [e for e in entries if e.state is OutboxState.HELD and e.hold_until is not None]
        if self.undo_bar is None or not held or held[0].hold_until is None:
            return
        who = ", ".join(display(entry.to) for entry in held)
        self.undo_bar.offer(held[0].batch_id, who, held[0].hold_until)

    def on_event(self, event: OutboxEvent) -> None:
        if isinstance(event, EntryChanged):
            self.view.model.upsert(event.entry)
            bar = self.undo_bar
            if (
                bar is not None
                and event.entry.state is not OutboxState.HELD
                and bar.is_offering(event.entry.batch_id)
            ):
                bar.withdraw(event.entry.batch_id)
            self.on_changed(event.entry)
        elif isinstance(event, UploadProgress):
            self.view.model.set_progress(event.entry_id, event.done, event.total)
        elif isinstance(event, WaitingChanged):
            self.view.set_waiting(event.waiting)

    def _on_view_cancel_requested(self, entry_id: int) -> None:
        self._tasks.start(self._act(self._outbox.cancel(entry_id)))

    def _on_view_undo_requested(self, batch_id: str) -> None:
        self._tasks.start(self._act(self._outbox.undo(batch_id)))

    def _on_view_resend_requested(self, entry_id: int, to: str | None) -> None:
        self._tasks.start(self._act(self._outbox.resend(entry_id, to)))

    def _on_view_resend_all_requested(self) -> None:
        self._tasks.start(self._act(self._outbox.resend_all_failed()))

    def _on_view_retry_requested(self) -> None:
        self.view.show_message("")
        self._outbox.retry_now()

    def _on_undo_bar_undo_requested(self, batch_id: str) -> None:
        self._tasks.start(self._undo_from_bar(batch_id))

    async def _undo_from_bar(self, batch_id: str) -> None:
        assert self.undo_bar is not None
        try:
            cancelled = await self._outbox.undo(batch_id)
        except FaxDeskError as exc:
            self.undo_bar.show_outcome(str(exc))
            return
        who = ", ".join(display(entry.to) for entry in cancelled)
        self.undo_bar.show_outcome(f"Not sent: the fax to {who} was taken back.")

    async def _act(self, action: Awaitable[object]) -> None:
        self.view.show_message("")
        try:
            await action
        except FaxDeskError as exc:
            self.view.show_message(str(exc))
