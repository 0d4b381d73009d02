"""The fax list: a table model of archived faxes and the view that shows, searches and filters it.

`FaxListModel` only stores the rows the controller gives it (`set_rows`, `append_rows`,
`apply`): when the view scrolls to the end it emits `more_requested`, and when the user clicks a
column header it emits `sort_requested`, and loads nothing itself. Rows come from the archive,
already sorted there (by any column, across every cached fax), so the model keeps them in the
order given and knows from each row's sort key where a changed or new fax belongs. The view's
proxy passes sorting through to the model; every action on a selected row maps through it to the
real fax. Filtering is the controller's: `FaxListView` only announces the criteria the user chose
(`criteria_changed`), after a pause in typing.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QEvent,
    QIdentityProxyModel,
    QItemSelection,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QIcon, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.models import Direction, Fax, FaxStatus, SortColumn
from faxdesk.core.phone import display
from faxdesk.store.archive import ArchivedFax, failure_text, labels_text
from faxdesk.ui.icons import icon

ModelIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    TIME = 0
    DIRECTION = 1
    CONTACT = 2
    #: The other party: the sender of a received fax, the recipient of a sent one.
    NUMBER = 3
    FROM = 4
    TO = 5
    PAGES = 6
    STATUS = 7
    REASON = 8
    PRICE = 9
    LABELS = 10
    HANDLED = 11


_COLUMNS = len(Column)

# The roles and values data() answers, as plain ints: comparing enums on every call adds up.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
_FONT = int(Qt.ItemDataRole.FontRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole.value)
_LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_RIGHT_ALIGNED = frozenset({int(Column.PAGES), int(Column.PRICE)})
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)

HEADERS: dict[Column, str] = {
    Column.TIME: "Time",
    Column.DIRECTION: "",
    Column.CONTACT: "Contact",
    Column.NUMBER: "Number",
    Column.FROM: "From",
    Column.TO: "To",
    Column.PAGES: "Pages",
    Column.STATUS: "Status",
    Column.REASON: "Reason",
    Column.PRICE: "Price",
    Column.LABELS: "Labels",
    Column.HANDLED: "",
}

#: What each header sorts by, and the other way round.
SORT_COLUMNS: dict[Column, SortColumn] = {
    Column.TIME: SortColumn.TIME,
    Column.DIRECTION: SortColumn.DIRECTION,
    Column.CONTACT: SortColumn.CONTACT,
    Column.NUMBER: SortColumn.NUMBER,
    Column.FROM: SortColumn.FROM,
    Column.TO: SortColumn.TO,
    Column.PAGES: SortColumn.PAGES,
    Column.STATUS: SortColumn.STATUS,
    Column.REASON: SortColumn.REASON,
    Column.PRICE: SortColumn.PRICE,
    Column.LABELS: SortColumn.LABELS,
    Column.HANDLED: SortColumn.HANDLED,
}
COLUMN_OF_SORT = {sort: column for column, sort in SORT_COLUMNS.items()}

#: Columns the list starts without; the header's context menu shows them.
HIDDEN_BY_DEFAULT = frozenset({Column.NUMBER, Column.REASON, Column.PRICE, Column.LABELS})

#: The Fax of a row (any column).
FAX_ROLE = Qt.ItemDataRole.UserRole + 1
#: The row's sort key, as the archive ordered it.
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
#: The ArchivedFax of a row: the fax with this desk's flags and contact name.
ROW_ROLE = Qt.ItemDataRole.UserRole + 3

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
    ("Sending or receiving", FaxStatus.IN_PROGRESS),
    ("Delivered or received", FaxStatus.COMPLETED),
    ("Failed", FaxStatus.FAILURE),
)

DEFAULT_PLACEHOLDER = "No faxes yet. Press Ctrl+N to send one, or drop a PDF here."


class Period(enum.StrEnum):
    """The date presets of the filter bar."""

    ANY = "any"
    TODAY = "today"
    YESTERDAY = "yesterday"
    LAST_7_DAYS = "7d"
    LAST_30_DAYS = "30d"
    THIS_MONTH = "month"
    LAST_MONTH = "last-month"
    CUSTOM = "custom"


PERIODS: tuple[tuple[str, Period], ...] = (
    ("Any time", Period.ANY),
    ("Today", Period.TODAY),
    ("Yesterday", Period.YESTERDAY),
    ("Last 7 days", Period.LAST_7_DAYS),
    ("Last 30 days", Period.LAST_30_DAYS),
    ("This month", Period.THIS_MONTH),
    ("Last month", Period.LAST_MONTH),
    ("Custom range…", Period.CUSTOM),
)


@dataclass(frozen=True, slots=True)
class ListCriteria:
    """What the user asked the list to show, as chosen in the filter bar.

    Attributes:
        text: the search text (a number, a contact name, a label, a note).
        status: the status chosen, or None.
        period: the date preset; `first_day` and `last_day` hold a custom range (inclusive).
        service_id: the fax service chosen, or None for every one.
    """

    text: str = ""
    status: FaxStatus | None = None
    period: Period = Period.ANY
    first_day: date | None = None
    last_day: date | None = None
    service_id: str | None = None

    def time_range(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """The created range (from inclusive, until exclusive, aware) for the period, in the
        desk's local days."""
        today = _local(now).date()

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0)).astimezone()

        match self.period:
            case Period.TODAY:
                return midnight(today), None
            case Period.YESTERDAY:
                return midnight(today - timedelta(days=1)), midnight(today)
            case Period.LAST_7_DAYS:
                return now - timedelta(days=7), None
            case Period.LAST_30_DAYS:
                return now - timedelta(days=30), None
            case Period.THIS_MONTH:
                return midnight(today.replace(day=1)), None
            case Period.LAST_MONTH:
                first = today.replace(day=1)
                previous = (first - timedelta(days=1)).replace(day=1)
                return midnight(previous), midnight(first)
            case Period.CUSTOM:
                start = midnight(self.first_day) if self.first_day else None
                end = midnight(self.last_day + timedelta(days=1)) if self.last_day else None
                return start, end
        return None, None

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.text.strip()
            or self.status is not None
            or self.period is not Period.ANY
            or self.service_id
        )


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
    """Why a fax failed, as the service put it, e.g. "Busy (CALL_ERROR 17)"; "" if nothing."""
    return failure_text(fax)


def status_icon_name(fax: Fax) -> str:
    """The icon name for the fax's status (unknown statuses look queued)."""
    return _STATUS_ICONS.get(fax.status, "status-queued")


def direction_text(fax: Fax) -> str:
    return "Received" if fax.direction == Direction.INBOUND else "Sent"


def other_party(fax: Fax) -> str:
    """The number at the other end: the sender of a received fax, the recipient of a sent one."""
    return fax.from_ if fax.direction == Direction.INBOUND else fax.to


def local_time(moment: datetime) -> datetime:
    """`moment` in local time; a naive datetime is taken to be UTC, as the service reports."""
    return _local(moment)


def _local(moment: datetime) -> datetime:
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


@functools.lru_cache(maxsize=4096)
def display_number(number: str) -> str:
    """A number as people read it; the few an office faxes are formatted once each."""
    return display(number) if number else ""


# -- the model ---------------------------------------------------------------------------------


class FaxListModel(QAbstractTableModel):
    """Archived fax rows in the order the archive sorted them; it never fetches anything.

    Signals:
        more_requested(): the view reached the end and the controller said more rows exist;
            it loads the next page and calls `append_rows()` (or `set_has_more()` to allow
            another request after a failure). Emitted once per page.
        sort_requested(object, bool): the user clicked a header: the SortColumn and whether
            descending. The controller reloads the rows in that order.

    Attributes:
        has_more: whether the controller said more rows exist beyond those loaded.
    """

    more_requested = Signal()
    sort_requested = Signal(object, bool)

    def __init__(
        self, parent: QObject | None = None, *, now: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(parent)
        self._rows: list[ArchivedFax] = []
        self._index: dict[str, int] = {}
        self._texts: dict[str, tuple[str, ...]] = {}
        self._icons: dict[str, QIcon] = {}
        self._now = now or (lambda: datetime.now(UTC))
        self._sort = SortColumn.TIME
        self._descending = True
        self._bold = QFont()
        self._bold.setBold(True)
        self.has_more = False
        self._more_pending = False
        self._midnight = QTimer(self)
        self._midnight.setSingleShot(True)
        self._midnight.timeout.connect(self.new_day)
        self._schedule_midnight()

    # -- feeding -------------------------------------------------------------------------------

    def set_rows(
        self,
        rows: Sequence[ArchivedFax],
        has_more: bool = False,
        *,
        sort: SortColumn | None = None,
        descending: bool | None = None,
    ) -> None:
        """Replace every row (duplicate ids keep the first), sorted as `sort` says."""
        self.beginResetModel()
        if sort is not None:
            self._sort = sort
        if descending is not None:
            self._descending = descending
        self._rows = _unique(rows, set())
        self._reindex()
        self._texts.clear()
        self.has_more = has_more
        self._more_pending = False
        self.endResetModel()

    def append_rows(self, rows: Sequence[ArchivedFax], has_more: bool) -> None:
        """Add the rows of the next page that are not already shown, at the end."""
        new = _unique(rows, set(self._index))
        self.has_more = has_more
        self._more_pending = False
        if not new:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self._reindex()
        self.endInsertRows()

    def apply(self, rows: Iterable[ArchivedFax], removed: Iterable[str] = ()) -> None:
        """Bring the rows up to date: `rows` as they now are (in the current sort order),
        `removed` the ids that no longer belong in the list.

        A row whose place changed moves there; a new row is inserted where it sorts when that
        is among the loaded rows (else it comes with a later page).
        """
        for fax_id in removed:
            row = self._index.get(fax_id)
            if row is not None:
                self._remove(row)
        for item in rows:
            row = self._index.get(item.fax.id)
            if row is not None:
                if self._in_place(row, item.sort_key):
                    self._rows[row] = item
                    self._texts.pop(item.fax.id, None)
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1), [])
                    continue
                self._remove(row)
            self._insert(item)

    def set_has_more(self, has_more: bool) -> None:
        """Say whether more rows exist (and allow a new request after a failed load)."""
        self.has_more = has_more
        self._more_pending = False

    def clear(self) -> None:
        self.set_rows(())

    # -- reading -------------------------------------------------------------------------------

    @property
    def sort_column(self) -> SortColumn:
        return self._sort

    @property
    def descending(self) -> bool:
        return self._descending

    def fax_at(self, row: int) -> Fax:
        return self._rows[row].fax

    def row_at(self, row: int) -> ArchivedFax:
        return self._rows[row]

    def last_key(self) -> tuple[Any, ...] | None:
        """The sort key of the last row: the next page starts after it."""
        return self._rows[-1].sort_key if self._rows else None

    def row_of(self, fax_id: str) -> int | None:
        return self._index.get(fax_id)

    def faxes(self) -> tuple[Fax, ...]:
        return tuple(row.fax for row in self._rows)

    def ids(self) -> tuple[str, ...]:
        return tuple(row.fax.id for row in self._rows)

    # -- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

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
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.DIRECTION:
                return "Direction: received or sent"
            if column == Column.HANDLED:
                return "Handled"
            if column == Column.CONTACT:
                return "The contact at the other end"
        if role == Qt.ItemDataRole.DecorationRole and column == Column.HANDLED:
            return icon("handled")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.PAGES, Column.PRICE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every visible cell at each paint: the checks are cheap, the
        # common roles come first, and texts are made once per row (see _display).
        row = index.row()
        column = index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < _COLUMNS) or index.parent().isValid():
            return None
        item = self._rows[row]
        if role == _DISPLAY:
            return self._display(item)[column]
        if role == _DECORATION:
            return self._decoration(item, column)
        if role == _FONT:
            return self._bold if item.unread else None
        if role == _ALIGNMENT:
            return _RIGHT if column in _RIGHT_ALIGNED else _LEFT
        if role == FAX_ROLE:
            return item.fax
        if role == ROW_ROLE:
            return item
        if role == SORT_ROLE:
            return item.sort_key
        if role == _TOOLTIP:
            return self._tooltip(item, Column(column))
        if role == _ACCESSIBLE:
            if column == Column.DIRECTION:
                return direction_text(item.fax)
            if column == Column.HANDLED:
                return "Handled" if item.handled else "Not handled"
        return None

    def canFetchMore(self, parent: ModelIndex) -> bool:
        return not parent.isValid() and self.has_more and not self._more_pending

    def fetchMore(self, parent: ModelIndex) -> None:
        if self.canFetchMore(parent):
            self._more_pending = True
            self.more_requested.emit()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Ask for the rows in another order; they are reloaded from the archive, so every
        cached fax takes part, not only the loaded ones."""
        if not 0 <= column < len(Column):
            return
        wanted = SORT_COLUMNS[Column(column)]
        descending = order == Qt.SortOrder.DescendingOrder
        if (wanted, descending) != (self._sort, self._descending):
            self._sort, self._descending = wanted, descending
            self.sort_requested.emit(wanted, descending)

    # -- helpers -------------------------------------------------------------------------------

    def new_day(self) -> None:
        """It is past midnight: "Today" and "Yesterday" move on (a timer calls this)."""
        self._texts.clear()
        self._schedule_midnight()
        if self._rows:
            self.dataChanged.emit(
                self.index(0, Column.TIME),
                self.index(len(self._rows) - 1, Column.TIME),
                [Qt.ItemDataRole.DisplayRole],
            )

    def _schedule_midnight(self) -> None:
        now = local_time(self._now())
        tomorrow = datetime.combine(now.date() + timedelta(days=1), time(0)).astimezone()
        self._midnight.start(int((tomorrow - now).total_seconds() * 1000) + 1000)

    def _display(self, item: ArchivedFax) -> tuple[str, ...]:
        texts = self._texts.get(item.fax.id)
        if texts is None:
            texts = self._texts[item.fax.id] = _texts(item, self._now())
        return texts

    def _decoration(self, item: ArchivedFax, column: int) -> Any:
        if column == Column.DIRECTION:
            return self._icon("inbound" if item.fax.direction == Direction.INBOUND else "outbound")
        if column == Column.STATUS:
            return self._icon(status_icon_name(item.fax))
        if column == Column.HANDLED and item.handled:
            return self._icon("handled")
        return None

    def _icon(self, name: str) -> QIcon:
        found = self._icons.get(name)
        if found is None:
            found = self._icons[name] = icon(name)
        return found

    def palette_changed(self) -> None:
        """The icons are drawn in the palette's colours: draw them again."""
        self._icons.clear()
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(len(self._rows) - 1, _COLUMNS - 1),
                [Qt.ItemDataRole.DecorationRole],
            )

    def _tooltip(self, item: ArchivedFax, column: Column) -> str | None:
        fax = item.fax
        match column:
            case Column.TIME:
                return format_full_time(fax.create_time) or None
            case Column.DIRECTION:
                return direction_text(fax)
            case Column.CONTACT:
                return item.contact_name or None
            case Column.NUMBER:
                return other_party(fax) or None
            case Column.FROM:
                return fax.from_ or None
            case Column.TO:
                return fax.to or None
            case Column.STATUS:
                reason = failure_reason(fax)
                words = status_text(fax)
                if fax.status == FaxStatus.FAILURE and reason:
                    words = f"Failed: {reason}"
                if item.content_deleted is not None:
                    words += (
                        f". The document was deleted from the fax service on "
                        f"{format_full_time(item.content_deleted)}."
                    )
                return words
            case Column.REASON:
                return failure_reason(fax) or None
            case Column.LABELS:
                return labels_text(fax.labels) or None
            case Column.HANDLED:
                if not item.handled:
                    return None
                return f"Handled: {item.note}" if item.note else "Handled"
        return None

    def _before(self, key: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
        """Whether a row with `key` is shown above one with `other`."""
        return key > other if self._descending else key < other

    def _position(self, key: tuple[Any, ...]) -> int:
        low, high = 0, len(self._rows)
        while low < high:
            middle = (low + high) // 2
            if self._before(self._rows[middle].sort_key, key):
                low = middle + 1
            else:
                high = middle
        return low

    def _in_place(self, row: int, key: tuple[Any, ...]) -> bool:
        above = self._rows[row - 1].sort_key if row > 0 else None
        below = self._rows[row + 1].sort_key if row + 1 < len(self._rows) else None
        return (above is None or not self._before(key, above)) and (
            below is None or not self._before(below, key)
        )

    def _insert(self, item: ArchivedFax) -> None:
        row = self._position(item.sort_key)
        if row == len(self._rows) and self.has_more:
            return  # it sorts after the loaded rows: it comes with a later page
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, item)
        self._reindex()
        self.endInsertRows()

    def _remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        removed = self._rows.pop(row)
        self._texts.pop(removed.fax.id, None)
        self._reindex()
        self.endRemoveRows()

    def _reindex(self) -> None:
        self._index = {item.fax.id: row for row, item in enumerate(self._rows)}


def _texts(item: ArchivedFax, now: datetime) -> tuple[str, ...]:
    fax = item.fax
    texts = {
        Column.TIME: format_list_time(fax.create_time, now),
        Column.DIRECTION: "",
        Column.CONTACT: item.contact_name,
        Column.NUMBER: display_number(other_party(fax)),
        Column.FROM: display_number(fax.from_),
        Column.TO: display_number(fax.to),
        Column.PAGES: str(fax.number_of_pages) if fax.number_of_pages else "",
        Column.STATUS: status_text(fax)
        + (" · document deleted" if item.content_deleted is not None else ""),
        Column.REASON: failure_reason(fax) if fax.status == FaxStatus.FAILURE else "",
        Column.PRICE: str(fax.price) if fax.price else "",
        Column.LABELS: labels_text(fax.labels),
        Column.HANDLED: "",
    }
    return tuple(texts[column] for column in Column)


def _fax_id(fax: Fax | None) -> str | None:
    return fax.id if fax is not None else None


def _unique(rows: Sequence[ArchivedFax], seen: set[str]) -> list[ArchivedFax]:
    result = []
    for item in rows:
        if item.fax.id not in seen:
            seen.add(item.fax.id)
            result.append(item)
    return result


class _SortPassingProxy(QIdentityProxyModel):
    """Hands sorting to the model (QAbstractProxyModel.sort does), which has the archive sort.

    A sorting proxy would order only the loaded rows, and would call back into Python for
    every comparison; the archive orders every cached fax in SQL instead.
    """


# -- the view ----------------------------------------------------------------------------------


class FaxListView(QWidget):
    """A filter bar above a sortable table of faxes, with an empty-state text.

    Signals:
        selection_changed(object): the selected Fax (the current row when several are
            selected), or None; emitted when that becomes a different fax (by id).
        current_fax_updated(object): the selected fax's row got new values (same id, e.g. a
            new status, or it was marked read); the new Fax.
        activated(object): the user double-clicked a row or pressed Enter on it (the Fax).
        criteria_changed(object): the ListCriteria the user chose; text changes are
            announced 300 ms after the typing stops.
        context_menu_requested(QPoint): the user asked for the rows' menu, at this global
            position (the window builds it from its actions).

    Attributes:
        model: the FaxListModel the controller feeds.
        proxy: passes sorting to the model; rows map through it.
        table: the QTableView.
        search_edit, status_combo, period_combo, service_combo, first_day_edit,
        last_day_edit: the filter bar.
    """

    selection_changed = Signal(object)
    current_fax_updated = Signal(object)
    activated = Signal(object)
    criteria_changed = Signal(object)
    context_menu_requested = Signal(QPoint)

    FILTER_DELAY_MS = 300

    def __init__(self, model: FaxListModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model if model is not None else FaxListModel(self)
        self._criteria = ListCriteria()
        self._last_selected: Fax | None = None
        self._kept_ids: list[str] = []
        self._kept_current: str | None = None

        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Search number, contact, label or note…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search faxes")
        self.search_edit.setToolTip(
            "Finds faxes by number (as you would dial it), contact name, label or note. "
            "Numbers are also asked of the fax service, so older faxes are found too."
        )
        # A file dropped here must reach the window (drop anywhere), not become search text.
        self.search_edit.setAcceptDrops(False)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(self.FILTER_DELAY_MS)

        self.status_combo = QComboBox(self)
        self.status_combo.setAccessibleName("Filter by status")
        for text, status in STATUS_FILTERS:
            self.status_combo.addItem(text, status)
        self.period_combo = QComboBox(self)
        self.period_combo.setAccessibleName("Filter by date")
        for text, period in PERIODS:
            self.period_combo.addItem(text, period)
        self.first_day_edit = self._day_edit("From")
        self.last_day_edit = self._day_edit("Until")
        self._range_label = QLabel("to", self)
        self.service_combo = QComboBox(self)
        self.service_combo.setAccessibleName("Filter by fax service")
        self.service_combo.addItem("Every service", None)

        self.proxy = _SortPassingProxy(self)
        self.proxy.setSourceModel(self.model)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.horizontalHeader().setSortIndicator(Column.TIME, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setAcceptDrops(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        row_height = self.table.fontMetrics().height() + 10
        self.table.verticalHeader().setDefaultSectionSize(max(row_height, 26))
        self._size_columns()
        for column in HIDDEN_BY_DEFAULT:
            self.table.setColumnHidden(column, True)
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        self._placeholder = QLabel(DEFAULT_PLACEHOLDER, self.table.viewport())
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self._placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.table.viewport().installEventFilter(self)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.status_combo)
        bar.addWidget(self.period_combo)
        bar.addWidget(self.first_day_edit)
        bar.addWidget(self._range_label)
        bar.addWidget(self.last_day_edit)
        bar.addWidget(self.service_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._show_range(False)
        self.service_combo.hide()

        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.search_edit.returnPressed.connect(self._on_search_edit_return_pressed)
        self._search_timer.timeout.connect(self._on_search_timer_timeout)
        self.status_combo.currentIndexChanged.connect(self._on_filter_combo_changed)
        self.period_combo.currentIndexChanged.connect(self._on_period_combo_changed)
        self.service_combo.currentIndexChanged.connect(self._on_filter_combo_changed)
        self.first_day_edit.dateChanged.connect(self._on_range_changed)
        self.last_day_edit.dateChanged.connect(self._on_range_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_selection_changed)
        self.table.activated.connect(self._on_table_activated)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        header.customContextMenuRequested.connect(self._on_header_context_menu)
        # After the proxy's own connections: the proxy is up to date when these run.
        self.model.modelAboutToBeReset.connect(self._on_model_about_to_be_reset)
        self.model.modelReset.connect(self._on_model_reset)
        self.model.rowsInserted.connect(self._on_model_rows_changed)
        self.model.rowsRemoved.connect(self._on_model_rows_changed)
        self.model.dataChanged.connect(self._on_model_data_changed)
        self._update_placeholder()

    # -- public API ----------------------------------------------------------------------------

    @property
    def criteria(self) -> ListCriteria:
        return self._criteria

    def selected_rows(self) -> list[ArchivedFax]:
        """The selected rows, in the order the table shows them."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda index: index.row())
        return [self.model.row_at(self.proxy.mapToSource(index).row()) for index in rows]

    def selected_faxes(self) -> list[Fax]:
        """The selected faxes, in the order the table shows them."""
        return [row.fax for row in self.selected_rows()]

    def current_row(self) -> ArchivedFax | None:
        """The one row the selection is about: the current row if selected, else the first."""
        selection = self.table.selectionModel()
        current = selection.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row(), QModelIndex()):
            return self.model.row_at(self.proxy.mapToSource(current).row())
        selected = self.selected_rows()
        return selected[0] if selected else None

    def current_fax(self) -> Fax | None:
        row = self.current_row()
        return row.fax if row is not None else None

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

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def set_services(self, services: Sequence[tuple[str, str]]) -> None:
        """Offer these (id, name) services in the filter; hidden while there is only one."""
        chosen = self.service_combo.currentData()
        self.service_combo.blockSignals(True)
        self.service_combo.clear()
        self.service_combo.addItem("Every service", None)
        for service_id, name in services:
            self.service_combo.addItem(name or service_id, service_id)
        found = self.service_combo.findData(chosen)
        self.service_combo.setCurrentIndex(max(found, 0))
        self.service_combo.blockSignals(False)
        self.service_combo.setVisible(len(services) > 1)

    def set_visible_columns(self, columns: Iterable[Column]) -> None:
        """Show exactly these columns (the views choose what matters to them)."""
        shown = set(columns)
        for column in Column:
            self.table.setColumnHidden(column, column not in shown)

    def visible_columns(self) -> list[Column]:
        return [column for column in Column if not self.table.isColumnHidden(column)]

    def set_sort_indicator(self, sort: SortColumn, descending: bool) -> None:
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(COLUMN_OF_SORT[sort], order)
        header.blockSignals(False)

    # -- Qt overrides --------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.model.palette_changed()
        super().changeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._placeholder.setGeometry(self.table.viewport().rect().adjusted(24, 24, -24, -24))
        return super().eventFilter(watched, event)

    # -- handlers ------------------------------------------------------------------------------

    def _on_search_edit_text_changed(self, _text: str) -> None:
        self._search_timer.start()

    def _on_search_edit_return_pressed(self) -> None:
        self._search_timer.stop()
        self._announce_criteria()

    def _on_search_timer_timeout(self) -> None:
        self._announce_criteria()

    def _on_filter_combo_changed(self, _index: int) -> None:
        self._announce_criteria()

    def _on_period_combo_changed(self, _index: int) -> None:
        custom = self.period_combo.currentData() == Period.CUSTOM
        self._show_range(custom)
        if custom:
            self.first_day_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._announce_criteria()

    def _on_range_changed(self, _day: QDate) -> None:
        if self.period_combo.currentData() == Period.CUSTOM:
            self._announce_criteria()

    def _on_selection_changed(self, *_args: object) -> None:
        self._announce_selection()

    def _on_table_activated(self, index: QModelIndex) -> None:
        self.activated.emit(self.model.fax_at(self.proxy.mapToSource(index).row()))

    def _on_table_context_menu(self, position: QPoint) -> None:
        if self.selected_rows():
            self.context_menu_requested.emit(self.table.viewport().mapToGlobal(position))

    def _on_header_context_menu(self, position: QPoint) -> None:
        menu = self.columns_menu()
        menu.popup(self.table.horizontalHeader().mapToGlobal(position))

    def columns_menu(self) -> QMenu:
        """The header's menu: one checkable entry per column (the view shows the others)."""
        menu = QMenu("Columns", self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for column in Column:
            name = (
                HEADERS[column]
                or {Column.DIRECTION: "Direction", Column.HANDLED: "Handled"}[column]
            )
            action = QAction(name, menu)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.setEnabled(column != Column.TIME)  # one column always stays
            action.toggled.connect(
                lambda shown, which=column: self.table.setColumnHidden(which, not shown)
            )
            menu.addAction(action)
        return menu

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

    def _day_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit(QDate.currentDate(), self)
        edit.setCalendarPopup(True)
        edit.setAccessibleName(f"{name} day")
        edit.setDisplayFormat(QLocale().dateFormat(QLocale.FormatType.ShortFormat))
        return edit

    def _show_range(self, shown: bool) -> None:
        for widget in (self.first_day_edit, self._range_label, self.last_day_edit):
            widget.setVisible(shown)

    def _announce_criteria(self) -> None:
        period = self.period_combo.currentData()
        first = last = None
        if period == Period.CUSTOM:
            first = self.first_day_edit.date().toPython()
            last = self.last_day_edit.date().toPython()
            if first > last:
                first, last = last, first
        status = self.status_combo.currentData()
        criteria = ListCriteria(
            text=self.search_edit.text().strip(),
            # Qt hands item data back as a plain str.
            status=FaxStatus(status) if status else None,
            period=Period(period),
            first_day=first,
            last_day=last,
            service_id=self.service_combo.currentData(),
        )
        if criteria != self._criteria:
            self._criteria = criteria
            self.criteria_changed.emit(criteria)

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
        # The numbers and the contact share what is left; the other columns are as wide as
        # their usual text, so the status stays readable at common widths.
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
            Column.REASON: metrics.horizontalAdvance("No answer from a fax machine") + 16,
            Column.PRICE: metrics.horizontalAdvance("0.14 USD") + 20,
            Column.LABELS: metrics.horizontalAdvance("ticket=T-42") + 16,
            Column.HANDLED: 30,
        }
        for column in Column:
            mode = (
                QHeaderView.ResizeMode.Stretch
                if column in (Column.CONTACT, Column.NUMBER, Column.FROM, Column.TO)
                else QHeaderView.ResizeMode.Interactive
            )
            header.setSectionResizeMode(column, mode)
        for column in (Column.DIRECTION, Column.HANDLED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        for column, width in widths.items():
            header.resizeSection(column, width)


def _sample_times() -> list[str]:
    """Long list times in the current locale, to size the time column."""
    now = datetime(2024, 12, 7, 23, 55, tzinfo=UTC)
    return [format_list_time(now - timedelta(days=days), now) for days in (0, 1, 3, 400)]
