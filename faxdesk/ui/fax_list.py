"""The fax list: a table model that stores Fax rows and the view that shows and filters them.

`FaxListModel` only stores what the controller gives it (`set_faxes`, `append_page`, `upsert`);
when the view scrolls to the end it emits `more_requested` and loads nothing itself. Filtering is
server-side: `FaxListView` only announces the filter text and status the user chose. The proxy in
the view sorts the loaded rows; every action on a selected row maps through it to the real Fax.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.models import Direction, Fax, FaxStatus
from faxdesk.core.phone import display
from faxdesk.ui.icons import icon

ModelIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    TIME = 0
    DIRECTION = 1
    FROM = 2
    TO = 3
    PAGES = 4
    STATUS = 5


HEADERS: dict[Column, str] = {
    Column.TIME: "Time",
    Column.DIRECTION: "",
    Column.FROM: "From",
    Column.TO: "To",
    Column.PAGES: "Pages",
    Column.STATUS: "Status",
}

#: The Fax of a row (any column).
FAX_ROLE = Qt.ItemDataRole.UserRole + 1
#: The raw value a column sorts by (timestamp, number string, page count, status rank).
SORT_ROLE = Qt.ItemDataRole.UserRole + 2

_STATUS_RANK = {
    FaxStatus.QUEUED: 0,
    FaxStatus.IN_PROGRESS: 1,
    FaxStatus.COMPLETED: 2,
    FaxStatus.FAILURE: 3,
}

_STATUS_ICONS = {
    FaxStatus.QUEUED: "status-queued",
    FaxStatus.IN_PROGRESS: "status-in-progress",
    FaxStatus.COMPLETED: "status-completed",
    FaxStatus.FAILURE: "status-failed",
}

#: The statuses the filter offers, with the words shown for them.
STATUS_FILTERS: tuple[tuple[str, FaxStatus | None], ...] = (
    ("Any status", None),
    ("Queued", FaxStatus.QUEUED),
    ("Sending", FaxStatus.IN_PROGRESS),
    ("Delivered", FaxStatus.COMPLETED),
    ("Failed", FaxStatus.FAILURE),
)

DEFAULT_PLACEHOLDER = "No faxes yet. Press Ctrl+N to send one, or drop a PDF here."


# -- plain-language text shared with the details pane ------------------------------------------


def status_text(fax: Fax) -> str:
    """The status in words: "Sending", "Delivered", "Received", "Failed"..."""
    inbound = fax.direction == Direction.INBOUND
    match fax.status:
        case FaxStatus.QUEUED:
            return "Queued"
        case FaxStatus.IN_PROGRESS:
            return "Receiving" if inbound else "Sending"
        case FaxStatus.COMPLETED:
            return "Received" if inbound else "Delivered"
        case FaxStatus.FAILURE:
            return "Failed"
    return str(fax.status.value).replace("_", " ").capitalize()


def failure_reason(fax: Fax) -> str:
    """Why a fax failed, e.g. "Busy (CALL_ERROR 17)"; "" when there is nothing to say."""
    code = " ".join(
        part
        for part in (
            fax.error_type.value if fax.error_type is not None else "",
            str(fax.error_code) if fax.error_code is not None else "",
        )
        if part
    )
    message = fax.error_message.strip()
    if message and code:
        return f"{message} ({code})"
    return message or code


def status_icon_name(fax: Fax) -> str:
    """The icon name for the fax's status (unknown statuses look queued)."""
    return _STATUS_ICONS.get(fax.status, "status-queued")


def direction_text(fax: Fax) -> str:
    return "Received" if fax.direction == Direction.INBOUND else "Sent"


def local_time(moment: datetime) -> datetime:
    """`moment` in local time; a naive datetime is taken to be UTC, as the service reports."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone()


def _qdatetime(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def format_list_time(moment: datetime | None, now: datetime, locale: QLocale | None = None) -> str:
    """Short time for a list row: "Today 2:05 PM", "Yesterday …", "Mon 3 Dec …", "3 Dec 2023"."""
    if moment is None:
        return ""
    locale = locale or QLocale()
    when = local_time(moment)
    today = local_time(now).date()
    qwhen = _qdatetime(when)
    clock = locale.toString(qwhen.time(), QLocale.FormatType.ShortFormat)
    if when.date() == today:
        return f"Today {clock}"
    if when.date() == today - timedelta(days=1):
        return f"Yesterday {clock}"
    if when.year == today.year:
        return f"{locale.toString(qwhen.date(), 'ddd d MMM')} {clock}"
    return locale.toString(qwhen.date(), "d MMM yyyy")


def format_full_time(moment: datetime | None, locale: QLocale | None = None) -> str:
    """Unambiguous local date and time for tooltips and details: "Mon 3 Dec 2024, 2:05 PM"."""
    if moment is None:
        return ""
    locale = locale or QLocale()
    qwhen = _qdatetime(local_time(moment))
    clock = locale.toString(qwhen.time(), QLocale.FormatType.ShortFormat)
    return f"{locale.toString(qwhen.date(), 'ddd d MMM yyyy')}, {clock}"


def display_number(number: str) -> str:
    return display(number) if number else ""


# -- the model ---------------------------------------------------------------------------------


class FaxListModel(QAbstractTableModel):
    """Fax rows, newest first, as the controller supplies them; it never fetches anything.

    Signals:
        more_requested(): the view reached the end and the model was told more pages exist;
            the controller loads the next page and calls `append_page()` (or `set_has_more()`
            to allow another request after a failure). Emitted once per page.

    Attributes:
        has_more: whether the controller said another page exists.
    """

    more_requested = Signal()

    def __init__(
        self, parent: QObject | None = None, *, now: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(parent)
        self._faxes: list[Fax] = []
        self._rows: dict[str, int] = {}
        self._now = now or (lambda: datetime.now(UTC))
        self.has_more = False
        self._more_pending = False

    # -- feeding -------------------------------------------------------------------------------

    def set_faxes(self, faxes: Sequence[Fax], has_more: bool = False) -> None:
        """Replace every row with `faxes` (duplicate ids keep the first)."""
        self.beginResetModel()
        self._faxes = _unique(faxes, set())
        self._reindex()
        self.has_more = has_more
        self._more_pending = False
        self.endResetModel()

    def append_page(self, faxes: Sequence[Fax], has_more: bool) -> None:
        """Add the rows of the next page that are not already shown, at the end."""
        new = _unique(faxes, set(self._rows))
        self.has_more = has_more
        self._more_pending = False
        if not new:
            return
        first = len(self._faxes)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._faxes.extend(new)
        self._reindex()
        self.endInsertRows()

    def upsert(self, fax: Fax) -> None:
        """Replace the row with `fax.id`, or insert `fax` where its create time belongs."""
        row = self._rows.get(fax.id)
        if row is not None:
            self._faxes[row] = fax
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1), [])
            return
        row = self._insertion_row(fax)
        self.beginInsertRows(QModelIndex(), row, row)
        self._faxes.insert(row, fax)
        self._reindex()
        self.endInsertRows()

    def set_has_more(self, has_more: bool) -> None:
        """Say whether another page exists (and allow a new request after a failed load)."""
        self.has_more = has_more
        self._more_pending = False

    def clear(self) -> None:
        self.set_faxes(())

    # -- reading -------------------------------------------------------------------------------

    def fax_at(self, row: int) -> Fax:
        return self._faxes[row]

    def row_of(self, fax_id: str) -> int | None:
        return self._rows.get(fax_id)

    def faxes(self) -> tuple[Fax, ...]:
        return tuple(self._faxes)

    # -- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._faxes)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == Column.DIRECTION:
            return "Direction: received or sent"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.PAGES:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flag = Qt.ItemFlag
        return flag.ItemIsEnabled | flag.ItemIsSelectable | flag.ItemNeverHasChildren

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid):
            return None
        fax = self._faxes[index.row()]
        column = Column(index.column())
        if role == FAX_ROLE:
            return fax
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(fax, column)
        if role == SORT_ROLE:
            return _sort_key(fax, column)
        if role == Qt.ItemDataRole.DecorationRole:
            if column == Column.DIRECTION:
                return icon("inbound" if fax.direction == Direction.INBOUND else "outbound")
            if column == Column.STATUS:
                return icon(status_icon_name(fax))
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(fax, column)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == Column.DIRECTION:
            return direction_text(fax)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column == Column.PAGES:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def canFetchMore(self, parent: ModelIndex) -> bool:
        return not parent.isValid() and self.has_more and not self._more_pending

    def fetchMore(self, parent: ModelIndex) -> None:
        if self.canFetchMore(parent):
            self._more_pending = True
            self.more_requested.emit()

    # -- helpers -------------------------------------------------------------------------------

    def _display(self, fax: Fax, column: Column) -> str:
        match column:
            case Column.TIME:
                return format_list_time(fax.create_time, self._now())
            case Column.DIRECTION:
                return ""
            case Column.FROM:
                return display_number(fax.from_)
            case Column.TO:
                return display_number(fax.to)
            case Column.PAGES:
                return str(fax.number_of_pages) if fax.number_of_pages else ""
            case Column.STATUS:
                return status_text(fax)

    def _tooltip(self, fax: Fax, column: Column) -> str | None:
        match column:
            case Column.TIME:
                return format_full_time(fax.create_time) or None
            case Column.DIRECTION:
                return direction_text(fax)
            case Column.FROM:
                return fax.from_ or None
            case Column.TO:
                return fax.to or None
            case Column.STATUS:
                reason = failure_reason(fax)
                if fax.status == FaxStatus.FAILURE and reason:
                    return f"Failed: {reason}"
                return status_text(fax)
        return None

    def _insertion_row(self, fax: Fax) -> int:
        # Rows are newest first; a fax without a time is treated as brand new.
        if fax.create_time is None:
            return 0
        stamp = _timestamp(fax.create_time)
        for row, other in enumerate(self._faxes):
            if other.create_time is not None and _timestamp(other.create_time) < stamp:
                return row
        return len(self._faxes)

    def _reindex(self) -> None:
        self._rows = {fax.id: row for row, fax in enumerate(self._faxes)}


def _fax_id(fax: Fax | None) -> str | None:
    return fax.id if fax is not None else None


def _unique(faxes: Sequence[Fax], seen: set[str]) -> list[Fax]:
    result = []
    for fax in faxes:
        if fax.id not in seen:
            seen.add(fax.id)
            result.append(fax)
    return result


def _timestamp(moment: datetime) -> float:
    return local_time(moment).timestamp()


def _sort_key(fax: Fax, column: Column) -> Any:
    match column:
        case Column.TIME:
            return _timestamp(fax.create_time) if fax.create_time is not None else 0.0
        case Column.DIRECTION:
            return str(fax.direction.value)
        case Column.FROM:
            return fax.from_
        case Column.TO:
            return fax.to
        case Column.PAGES:
            return fax.number_of_pages
        case Column.STATUS:
            return _STATUS_RANK.get(fax.status, len(_STATUS_RANK))


# -- the view ----------------------------------------------------------------------------------


class FaxListView(QWidget):
    """A filter bar above a sortable table of faxes, with an empty-state text.

    Signals:
        selection_changed(object): the selected Fax (the current row when several are
            selected), or None; emitted when that becomes a different fax (by id).
        current_fax_updated(object): the selected fax's row got new values (same id, e.g. a
            new status through `upsert()` or a reload); the new Fax.
        activated(object): the user double-clicked a row or pressed Enter on it (the Fax).
        filter_changed(str): the number filter text, 300 ms after the user stopped typing.
        status_filter_changed(object): the chosen FaxStatus, or None for any status.

    Attributes:
        model: the FaxListModel the controller feeds.
        proxy: the sorting proxy between the model and the table.
        table: the QTableView.
        filter_edit: the number filter field.
        status_combo: the status filter.
    """

    selection_changed = Signal(object)
    current_fax_updated = Signal(object)
    activated = Signal(object)
    filter_changed = Signal(str)
    status_filter_changed = Signal(object)

    FILTER_DELAY_MS = 300

    def __init__(self, model: FaxListModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model if model is not None else FaxListModel(self)
        self._emitted_filter = ""
        self._last_selected: Fax | None = None
        self._kept_ids: list[str] = []
        self._kept_current: str | None = None

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by number…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter by number")
        # A file dropped here must reach the window (drop anywhere), not become filter text.
        self.filter_edit.setAcceptDrops(False)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(self.FILTER_DELAY_MS)

        self.status_combo = QComboBox(self)
        self.status_combo.setAccessibleName("Filter by status")
        for text, status in STATUS_FILTERS:
            self.status_combo.addItem(text, status)

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setSourceModel(self.model)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Column.TIME, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setAcceptDrops(False)
        row_height = self.table.fontMetrics().height() + 10
        self.table.verticalHeader().setDefaultSectionSize(max(row_height, 26))
        self._size_columns()

        self._placeholder = QLabel(DEFAULT_PLACEHOLDER, self.table.viewport())
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.table.viewport().installEventFilter(self)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.status_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.filter_edit.returnPressed.connect(self._on_filter_edit_return_pressed)
        self._filter_timer.timeout.connect(self._on_filter_timer_timeout)
        self.status_combo.currentIndexChanged.connect(self._on_status_combo_current_index_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_selection_changed)
        self.table.activated.connect(self._on_table_activated)
        # After the proxy's own connections: the proxy is up to date when these run.
        self.model.modelAboutToBeReset.connect(self._on_model_about_to_be_reset)
        self.model.modelReset.connect(self._on_model_reset)
        self.model.rowsInserted.connect(self._on_model_rows_changed)
        self.model.rowsRemoved.connect(self._on_model_rows_changed)
        self.model.dataChanged.connect(self._on_model_data_changed)
        self._update_placeholder()

    # -- public API ----------------------------------------------------------------------------

    def selected_faxes(self) -> list[Fax]:
        """The selected faxes, in the order the table shows them."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda index: index.row())
        return [self.model.fax_at(self.proxy.mapToSource(index).row()) for index in rows]

    def current_fax(self) -> Fax | None:
        """The one Fax the selection is about: the current row if selected, else the first."""
        selection = self.table.selectionModel()
        current = selection.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row(), QModelIndex()):
            return self.model.fax_at(self.proxy.mapToSource(current).row())
        selected = self.selected_faxes()
        return selected[0] if selected else None

    def select_fax(self, fax_id: str) -> bool:
        """Select the row of `fax_id` alone and scroll to it; False if it is not loaded."""
        row = self.model.row_of(fax_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, Column.TIME))
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def set_placeholder(self, text: str) -> None:
        """The text shown over the table while it has no rows."""
        self._placeholder.setText(text)

    def placeholder_text(self) -> str:
        return self._placeholder.text()

    def placeholder_visible(self) -> bool:
        return not self._placeholder.isHidden()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def status_filter(self) -> FaxStatus | None:
        return self.status_combo.currentData()

    # -- Qt overrides --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._placeholder.setGeometry(self.table.viewport().rect().adjusted(24, 24, -24, -24))
        return super().eventFilter(watched, event)

    # -- handlers ------------------------------------------------------------------------------

    def _on_filter_edit_text_changed(self, _text: str) -> None:
        self._filter_timer.start()

    def _on_filter_edit_return_pressed(self) -> None:
        self._filter_timer.stop()
        self._emit_filter()

    def _on_filter_timer_timeout(self) -> None:
        self._emit_filter()

    def _on_status_combo_current_index_changed(self, index: int) -> None:
        self.status_filter_changed.emit(self.status_combo.itemData(index))

    def _on_selection_changed(self, *_args: object) -> None:
        self._announce_selection()

    def _on_table_activated(self, index: QModelIndex) -> None:
        self.activated.emit(self.model.fax_at(self.proxy.mapToSource(index).row()))

    def _on_model_about_to_be_reset(self) -> None:
        self._kept_ids = [fax.id for fax in self.selected_faxes()]
        current = self.current_fax()
        self._kept_current = current.id if current is not None else None

    def _on_model_reset(self) -> None:
        # A reload must not lose the user's place: select the same faxes again if still there.
        # (A reset clears the selection without selectionChanged; _announce_selection tells.)
        self._reselect(self._kept_ids, self._kept_current)
        self._kept_ids, self._kept_current = [], None
        self._update_placeholder()
        self._announce_selection()

    def _on_model_rows_changed(self, *_args: object) -> None:
        self._update_placeholder()
        self._announce_selection()

    def _on_model_data_changed(self, *_args: object) -> None:
        self._announce_selection()

    # -- helpers -------------------------------------------------------------------------------

    def _emit_filter(self) -> None:
        text = self.filter_edit.text().strip()
        if text != self._emitted_filter:
            self._emitted_filter = text
            self.filter_changed.emit(text)

    def _announce_selection(self) -> None:
        fax = self.current_fax()
        previous, self._last_selected = self._last_selected, fax
        if _fax_id(fax) != _fax_id(previous):
            self.selection_changed.emit(fax)
        elif fax is not None and fax != previous:
            self.current_fax_updated.emit(fax)

    def _reselect(self, fax_ids: Sequence[str], current_id: str | None) -> None:
        selection = QItemSelection()
        for fax_id in fax_ids:
            row = self.model.row_of(fax_id)
            if row is not None:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                selection.select(index, index)
        if selection.isEmpty():
            return
        flags = QItemSelectionModel.SelectionFlag
        selection_model = self.table.selectionModel()
        selection_model.select(selection, flags.ClearAndSelect | flags.Rows)
        row = self.model.row_of(current_id) if current_id is not None else None
        if row is not None:
            current = self.proxy.mapFromSource(self.model.index(row, 0))
            selection_model.setCurrentIndex(current, flags.NoUpdate)

    def _update_placeholder(self) -> None:
        self._placeholder.setVisible(self.model.rowCount() == 0)

    def _size_columns(self) -> None:
        # The numbers share what is left; the other columns are as wide as their usual text, so
        # the status stays readable and there is no horizontal scroll bar at common widths.
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(28)
        metrics = self.table.fontMetrics()
        icon_room = 16 + 24
        widths = {
            Column.TIME: max(metrics.horizontalAdvance(text) for text in _sample_times()) + 16,
            Column.DIRECTION: 30,
            Column.PAGES: metrics.horizontalAdvance("Pages") + 20,
            Column.STATUS: metrics.horizontalAdvance("Receiving") + icon_room,
        }
        for column in Column:
            mode = (
                QHeaderView.ResizeMode.Stretch
                if column in (Column.FROM, Column.TO)
                else QHeaderView.ResizeMode.Interactive
            )
            header.setSectionResizeMode(column, mode)
        header.setSectionResizeMode(Column.DIRECTION, QHeaderView.ResizeMode.Fixed)
        for column, width in widths.items():
            header.resizeSection(column, width)


def _sample_times() -> list[str]:
    """Long list times in the current locale, to size the time column."""
    now = datetime(2024, 12, 7, 23, 55, tzinfo=UTC)
    return [format_list_time(now - timedelta(days=days), now) for days in (0, 1, 3, 400)]
