from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, QItemSelectionModel, QPoint, Qt
from pytestqt.qtbot import QtBot

from faxdesk.core.models import Fax, FaxStatus, SortColumn
from faxdesk.ui.fax_list import (
    DEFAULT_PLACEHOLDER,
    HIDDEN_BY_DEFAULT,
    Column,
    FaxListView,
    ListCriteria,
    Period,
)
from tests.ui.listing_support import Rows

MakeFax = Callable[..., Fax]
NOW = datetime(2024, 12, 3, 15, 30, tzinfo=UTC)


@pytest.fixture
def rows(tmp_path) -> Iterator[Rows]:
    made = Rows(tmp_path)
    yield made
    made.close()


@pytest.fixture
def view(qtbot: QtBot, rows: Rows) -> FaxListView:
    view = FaxListView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)

    # As the controller does: a header click reloads the rows in the order asked for.
    def reload(sort: SortColumn, descending: bool) -> None:
        view.model.set_rows(rows.of(sort=sort, descending=descending))

    view.model.sort_requested.connect(reload)
    return view


@pytest.fixture
def faxes(make_fax: MakeFax, rows: Rows) -> list[Fax]:
    # Newest first, and page counts in a different order than time.
    made = [
        make_fax("a-newest", number_of_pages=5, create_time=NOW),
        make_fax("b-middle", number_of_pages=1, create_time=NOW - timedelta(hours=1)),
        make_fax("c-oldest", number_of_pages=9, create_time=NOW - timedelta(hours=2)),
    ]
    rows.store(made)
    return made


def _click_row(
    qtbot: QtBot,
    view: FaxListView,
    row: int,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    rect = view.table.visualRect(view.proxy.index(row, Column.TO))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def _click_header(qtbot: QtBot, view: FaxListView, column: Column) -> None:
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def _shown(view: FaxListView) -> list[str]:
    return [
        view.proxy.index(row, 0).data(Qt.ItemDataRole.UserRole + 1).id
        for row in range(view.proxy.rowCount())
    ]


def test_rows_show_in_the_archives_order(view, rows, faxes) -> None:
    view.model.set_rows(rows.of())
    assert _shown(view) == ["a-newest", "b-middle", "c-oldest"]
    indicator = view.table.horizontalHeader()
    assert indicator.sortIndicatorSection() == Column.TIME
    assert indicator.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder


def test_a_header_click_sorts_and_the_selection_maps_to_the_right_fax(
    view, rows, faxes, qtbot: QtBot
) -> None:
    view.model.set_rows(rows.of())
    with qtbot.waitSignal(view.model.sort_requested) as asked:
        _click_header(qtbot, view, Column.PAGES)
    assert asked.args[0] is SortColumn.PAGES
    ascending = not asked.args[1]
    expected = ["b-middle", "a-newest", "c-oldest"]
    assert _shown(view) == (expected if ascending else expected[::-1])
    with qtbot.waitSignal(view.selection_changed) as selected:
        _click_row(qtbot, view, 2)
    assert selected.args[0].id == _shown(view)[2]
    assert [fax.id for fax in view.selected_faxes()] == [_shown(view)[2]]


def test_extended_selection_lists_faxes_in_view_order(view, rows, faxes, qtbot) -> None:
    view.model.set_rows(
        rows.of(sort=SortColumn.PAGES, descending=True), sort=SortColumn.PAGES, descending=True
    )  # c, a, b
    _click_row(qtbot, view, 0)
    _click_row(qtbot, view, 2, modifier=Qt.KeyboardModifier.ShiftModifier)
    assert [fax.id for fax in view.selected_faxes()] == ["c-oldest", "a-newest", "b-middle"]


def test_select_fax_by_id(view, rows, faxes, qtbot: QtBot) -> None:
    view.model.set_rows(rows.of())
    with qtbot.waitSignal(view.selection_changed) as selected:
        assert view.select_fax("b-middle")
    assert selected.args[0].id == "b-middle"
    assert not view.select_fax("not-loaded")
    assert [fax.id for fax in view.selected_faxes()] == ["b-middle"]
    assert view.current_row().fax.id == "b-middle"


def test_reset_clears_the_selection_and_says_so(view, rows, faxes, qtbot: QtBot) -> None:
    view.model.set_rows(rows.of())
    view.select_fax("a-newest")
    with qtbot.waitSignal(view.selection_changed) as selected:
        view.model.set_rows(rows.of(faxes[1:]))
    assert selected.args[0] is None
    assert view.selected_faxes() == []


def test_update_of_the_selected_fax_is_not_a_new_selection(view, rows, faxes, qtbot) -> None:
    view.model.set_rows(rows.of())
    view.select_fax("b-middle")
    failed = dataclasses.replace(faxes[1], status=FaxStatus.FAILURE)
    with (
        qtbot.assertNotEmitted(view.selection_changed),
        qtbot.waitSignal(view.current_fax_updated) as updated,
    ):
        view.model.apply([rows.one(failed)])
    assert updated.args[0] == failed
    with qtbot.assertNotEmitted(view.current_fax_updated):
        view.model.apply([rows.one(dataclasses.replace(faxes[2], status=FaxStatus.FAILURE))])


def test_a_reload_keeps_the_selection(view, rows, faxes, qtbot: QtBot) -> None:
    view.model.set_rows(rows.of())
    view.select_fax("c-oldest")
    delivered = dataclasses.replace(faxes[2], status=FaxStatus.COMPLETED, number_of_pages=10)
    rows.store([delivered])
    with (
        qtbot.assertNotEmitted(view.selection_changed),
        qtbot.waitSignal(view.current_fax_updated) as updated,
    ):
        view.model.set_rows(rows.of())
    assert updated.args[0] == delivered
    assert view.selected_faxes() == [delivered]
    assert view.current_fax() == delivered


def test_activation_by_double_click_and_enter(view, rows, faxes, qtbot: QtBot) -> None:
    view.model.set_rows(rows.of())
    rect = view.table.visualRect(view.proxy.index(1, Column.FROM))
    with qtbot.waitSignal(view.activated) as activated:
        # A real double click: the first click, then the double-click event.
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated.args[0].id == "b-middle"

    view.table.selectionModel().setCurrentIndex(
        view.proxy.index(2, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    with qtbot.waitSignal(view.activated) as activated:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert activated.args[0].id == "c-oldest"


def test_search_text_is_debounced(view, qtbot: QtBot) -> None:
    emitted: list[ListCriteria] = []
    view.criteria_changed.connect(emitted.append)
    with qtbot.waitSignal(view.criteria_changed, timeout=2000) as changed:
        qtbot.keyClicks(view.search_edit, "+1415")
    assert changed.args[0].text == "+1415"
    assert len(emitted) == 1  # one signal for the whole burst of typing


def test_enter_in_the_search_applies_it_at_once(view, qtbot: QtBot) -> None:
    view.search_edit.setText(" Dr. Smith ")
    with qtbot.waitSignal(view.criteria_changed, timeout=100) as changed:
        qtbot.keyClick(view.search_edit, Qt.Key.Key_Return)
    assert changed.args[0] == ListCriteria(text="Dr. Smith")


def test_status_filter(view, qtbot: QtBot) -> None:
    texts = [view.status_combo.itemText(index) for index in range(view.status_combo.count())]
    assert texts == [
        "Any status",
        "Queued",
        "Sending or receiving",
        "Delivered or received",
        "Failed",
    ]
    with qtbot.waitSignal(view.criteria_changed) as changed:
        view.status_combo.setCurrentIndex(4)
    assert changed.args[0].status is FaxStatus.FAILURE
    with qtbot.waitSignal(view.criteria_changed) as changed:
        view.status_combo.setCurrentIndex(0)
    assert changed.args[0].status is None


def test_date_presets_and_a_custom_range(view, qtbot: QtBot) -> None:
    assert not view.first_day_edit.isVisible()
    with qtbot.waitSignal(view.criteria_changed) as changed:
        view.period_combo.setCurrentIndex(view.period_combo.findData(Period.YESTERDAY))
    assert changed.args[0].period is Period.YESTERDAY
    with qtbot.waitSignal(view.criteria_changed) as changed:
        view.period_combo.setCurrentIndex(view.period_combo.findData(Period.CUSTOM))
    assert view.first_day_edit.isVisible()
    assert view.last_day_edit.isVisible()
    with qtbot.waitSignal(view.criteria_changed) as changed:
        view.first_day_edit.setDate(QDate(2024, 11, 20))
    chosen = changed.args[0]
    assert chosen.period is Period.CUSTOM
    assert chosen.first_day == date(2024, 11, 20)
    assert chosen.last_day == QDate.currentDate().toPython()


def test_periods_become_local_day_ranges() -> None:
    now = datetime(2024, 12, 3, 15, 30).astimezone()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    assert ListCriteria().time_range(now) == (None, None)
    assert ListCriteria(period=Period.TODAY).time_range(now) == (midnight, None)
    assert ListCriteria(period=Period.YESTERDAY).time_range(now) == (
        midnight - timedelta(days=1),
        midnight,
    )
    assert ListCriteria(period=Period.LAST_7_DAYS).time_range(now) == (
        now - timedelta(days=7),
        None,
    )
    assert ListCriteria(period=Period.THIS_MONTH).time_range(now)[0] == midnight.replace(day=1)
    last_month = ListCriteria(period=Period.LAST_MONTH).time_range(now)
    assert last_month == (midnight.replace(month=11, day=1), midnight.replace(day=1))
    custom = ListCriteria(
        period=Period.CUSTOM, first_day=date(2024, 11, 2), last_day=date(2024, 11, 3)
    ).time_range(now)
    assert custom == (
        midnight.replace(month=11, day=2),
        midnight.replace(month=11, day=4),
    )


def test_the_service_filter_shows_only_when_there_is_a_choice(view, qtbot: QtBot) -> None:
    assert not view.service_combo.isVisible()
    view.set_services([("svc-1", "Main line")])
    assert not view.service_combo.isVisible()
    view.set_services([("svc-1", "Main line"), ("svc-2", "Radiology")])
    assert view.service_combo.isVisible()
    with qtbot.waitSignal(view.criteria_changed) as changed:
        view.service_combo.setCurrentIndex(2)
    assert changed.args[0].service_id == "svc-2"


def test_placeholder_over_an_empty_list(view, rows, faxes) -> None:
    assert view.placeholder_visible()
    assert view.placeholder_text() == DEFAULT_PLACEHOLDER
    assert view._placeholder.geometry().center() == view.table.viewport().rect().center()
    view.model.set_rows(rows.of())
    assert not view.placeholder_visible()
    view.set_placeholder("No faxes match “+44”.")
    view.model.set_rows([])
    assert view.placeholder_visible()
    assert view.placeholder_text() == "No faxes match “+44”."


def test_scrolling_to_the_end_asks_for_more(view, rows, make_fax, qtbot: QtBot) -> None:
    many = [make_fax(f"fax-{n:03d}", create_time=NOW - timedelta(minutes=n)) for n in range(60)]
    view.model.set_rows(rows.of(many), has_more=True)
    scroll_bar = view.table.verticalScrollBar()
    with qtbot.assertNotEmitted(view.model.more_requested, wait=50):
        scroll_bar.setValue(scroll_bar.maximum() // 2)
    with qtbot.waitSignal(view.model.more_requested, timeout=2000):
        scroll_bar.setValue(scroll_bar.maximum())
    assert view.model.rowCount() == 60


def test_columns_can_be_hidden_and_shown(view, qtbot: QtBot) -> None:
    assert [c for c in Column if view.table.isColumnHidden(c)] == sorted(HIDDEN_BY_DEFAULT)
    view.set_visible_columns([Column.TIME, Column.FROM])
    assert view.visible_columns() == [Column.TIME, Column.FROM]
    menu = view.columns_menu()
    price = next(action for action in menu.actions() if action.text() == "Price")
    price.trigger()
    assert view.visible_columns() == [Column.TIME, Column.FROM, Column.PRICE]
    time = next(action for action in menu.actions() if action.text() == "Time")
    assert not time.isEnabled()
    menu.close()


def test_the_row_menu_is_asked_for_only_over_selected_rows(view, rows, faxes, qtbot) -> None:
    view.model.set_rows(rows.of())
    with qtbot.assertNotEmitted(view.context_menu_requested):
        view.table.customContextMenuRequested.emit(QPoint(10, 10))
    view.select_fax("a-newest")
    with qtbot.waitSignal(view.context_menu_requested):
        view.table.customContextMenuRequested.emit(QPoint(10, 10))


def test_the_table_does_not_take_file_drops(view) -> None:
    assert not view.table.acceptDrops()
    assert not view.table.viewport().acceptDrops()
    assert not view.search_edit.acceptDrops()
