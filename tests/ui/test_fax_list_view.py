from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from faxdesk.core.models import Fax, FaxStatus
from faxdesk.ui.fax_list import DEFAULT_PLACEHOLDER, Column, FaxListView

MakeFax = Callable[..., Fax]
NOW = datetime(2024, 12, 3, 15, 30, tzinfo=UTC)


@pytest.fixture
def view(qtbot: QtBot) -> FaxListView:
    view = FaxListView()
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def faxes(make_fax: MakeFax) -> list[Fax]:
    # Newest first, and page counts in a different order than time.
    return [
        make_fax("a-newest", number_of_pages=5, create_time=NOW),
        make_fax("b-middle", number_of_pages=1, create_time=NOW - timedelta(hours=1)),
        make_fax("c-oldest", number_of_pages=9, create_time=NOW - timedelta(hours=2)),
    ]


def _click_row(qtbot: QtBot, view: FaxListView, row: int) -> None:
    rect = view.table.visualRect(view.proxy.index(row, Column.TO))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_sorted_by_time_newest_first(view: FaxListView, faxes: list[Fax]) -> None:
    view.model.set_faxes(list(reversed(faxes)))
    shown = [view.proxy.index(row, 0).data(Qt.ItemDataRole.UserRole + 1).id for row in range(3)]
    assert shown == ["a-newest", "b-middle", "c-oldest"]


def test_selection_maps_through_sorting(view: FaxListView, faxes: list[Fax], qtbot: QtBot) -> None:
    view.model.set_faxes(faxes)
    view.table.sortByColumn(Column.PAGES, Qt.SortOrder.AscendingOrder)
    # Shown: b (1 page), a (5), c (9); model rows are a, b, c.
    with qtbot.waitSignal(view.selection_changed) as selected:
        _click_row(qtbot, view, 2)
    assert selected.args[0].id == "c-oldest"
    assert [fax.id for fax in view.selected_faxes()] == ["c-oldest"]

    with qtbot.waitSignal(view.selection_changed) as selected:
        _click_row(qtbot, view, 0)
    assert selected.args[0].id == "b-middle"


def test_extended_selection_lists_faxes_in_view_order(
    view: FaxListView, faxes: list[Fax], qtbot: QtBot
) -> None:
    view.model.set_faxes(faxes)
    view.table.sortByColumn(Column.PAGES, Qt.SortOrder.DescendingOrder)  # c, a, b
    _click_row(qtbot, view, 0)
    rect = view.table.visualRect(view.proxy.index(2, Column.TO))
    qtbot.mouseClick(
        view.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        rect.center(),
    )
    assert [fax.id for fax in view.selected_faxes()] == ["c-oldest", "a-newest", "b-middle"]


def test_select_fax_by_id(view: FaxListView, faxes: list[Fax], qtbot: QtBot) -> None:
    view.model.set_faxes(faxes)
    with qtbot.waitSignal(view.selection_changed) as selected:
        assert view.select_fax("b-middle")
    assert selected.args[0].id == "b-middle"
    assert not view.select_fax("not-loaded")
    assert [fax.id for fax in view.selected_faxes()] == ["b-middle"]


def test_reset_clears_the_selection_and_says_so(
    view: FaxListView, faxes: list[Fax], qtbot: QtBot
) -> None:
    view.model.set_faxes(faxes)
    view.select_fax("a-newest")
    with qtbot.waitSignal(view.selection_changed) as selected:
        view.model.set_faxes(faxes[1:])
    assert selected.args[0] is None
    assert view.selected_faxes() == []


def test_update_of_the_selected_fax_is_not_a_new_selection(
    view: FaxListView, faxes: list[Fax], qtbot: QtBot
) -> None:
    view.model.set_faxes(faxes)
    view.select_fax("b-middle")
    failed = dataclasses.replace(faxes[1], status=FaxStatus.FAILURE)
    with (
        qtbot.assertNotEmitted(view.selection_changed),
        qtbot.waitSignal(view.current_fax_updated) as updated,
    ):
        view.model.upsert(failed)
    assert updated.args[0] == failed
    with qtbot.assertNotEmitted(view.current_fax_updated):
        view.model.upsert(dataclasses.replace(faxes[2], status=FaxStatus.FAILURE))


def test_a_reload_keeps_the_selection(view: FaxListView, faxes: list[Fax], qtbot: QtBot) -> None:
    view.model.set_faxes(faxes)
    view.table.sortByColumn(Column.PAGES, Qt.SortOrder.AscendingOrder)
    view.select_fax("c-oldest")
    delivered = dataclasses.replace(faxes[2], status=FaxStatus.COMPLETED, number_of_pages=10)
    with (
        qtbot.assertNotEmitted(view.selection_changed),
        qtbot.waitSignal(view.current_fax_updated) as updated,
    ):
        view.model.set_faxes([faxes[0], delivered, faxes[1]])
    assert updated.args[0] == delivered
    assert view.selected_faxes() == [delivered]
    assert view.current_fax() == delivered


def test_activation_by_double_click_and_enter(
    view: FaxListView, faxes: list[Fax], qtbot: QtBot
) -> None:
    view.model.set_faxes(faxes)
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


def test_filter_text_is_debounced(view: FaxListView, qtbot: QtBot) -> None:
    emitted: list[str] = []
    view.filter_changed.connect(emitted.append)
    with qtbot.waitSignal(view.filter_changed, timeout=2000) as changed:
        qtbot.keyClicks(view.filter_edit, "+1415")
    assert changed.args == ["+1415"]
    assert emitted == ["+1415"]  # one signal for the whole burst of typing


def test_enter_in_the_filter_applies_it_at_once(view: FaxListView, qtbot: QtBot) -> None:
    view.filter_edit.setText(" 989 ")
    with qtbot.waitSignal(view.filter_changed, timeout=100) as changed:
        qtbot.keyClick(view.filter_edit, Qt.Key.Key_Return)
    assert changed.args == ["989"]


def test_status_filter(view: FaxListView, qtbot: QtBot) -> None:
    texts = [view.status_combo.itemText(index) for index in range(view.status_combo.count())]
    assert texts == ["Any status", "Queued", "Sending", "Delivered", "Failed"]
    with qtbot.waitSignal(view.status_filter_changed) as changed:
        view.status_combo.setCurrentIndex(4)
    assert changed.args == [FaxStatus.FAILURE]
    with qtbot.waitSignal(view.status_filter_changed) as changed:
        view.status_combo.setCurrentIndex(0)
    assert changed.args == [None]


def test_placeholder_over_an_empty_list(view: FaxListView, faxes: list[Fax]) -> None:
    assert view.placeholder_visible()
    assert view.placeholder_text() == DEFAULT_PLACEHOLDER
    assert view._placeholder.geometry().center() == view.table.viewport().rect().center()
    view.model.set_faxes(faxes)
    assert not view.placeholder_visible()
    view.set_placeholder("No faxes match “+44”.")
    view.model.set_faxes([])
    assert view.placeholder_visible()
    assert view.placeholder_text() == "No faxes match “+44”."


def test_scrolling_to_the_end_asks_for_more(
    view: FaxListView, make_fax: MakeFax, qtbot: QtBot
) -> None:
    with qtbot.waitSignal(view.model.more_requested, timeout=2000):
        view.model.set_faxes([make_fax("only")], has_more=True)
    assert view.model.rowCount() == 1


def test_the_table_does_not_take_file_drops(view: FaxListView) -> None:
    assert not view.table.acceptDrops()
    assert not view.table.viewport().acceptDrops()
    assert not view.filter_edit.acceptDrops()
