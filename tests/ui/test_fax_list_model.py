from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QLocale, QModelIndex, Qt
from PySide6.QtGui import QFont, QIcon
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from faxdesk.core.models import Direction, ErrorType, Fax, FaxStatus, Money, SortColumn
from faxdesk.core.outbox import SUBMISSION_LABEL
from faxdesk.ui.fax_list import (
    FAX_ROLE,
    ROW_ROLE,
    SORT_ROLE,
    Column,
    FaxListModel,
    format_list_time,
    local_time,
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
def model(qtbot: QtBot) -> FaxListModel:
    model = FaxListModel(now=lambda: NOW)
    # Fatal: any broken model invariant aborts the run instead of passing quietly.
    model.tester = QAbstractItemModelTester(
        model, QAbstractItemModelTester.FailureReportingMode.Fatal
    )
    return model


def _faxes(make_fax: MakeFax, count: int, start: int = 0) -> list[Fax]:
    return [
        make_fax(f"fax-{n:03d}", create_time=NOW - timedelta(hours=n))
        for n in range(start, start + count)
    ]


def _ids(model: FaxListModel) -> list[str]:
    return [model.fax_at(row).id for row in range(model.rowCount())]


def _text(model: FaxListModel, row: int, column: Column) -> str:
    return model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)


def test_set_rows_replaces_rows(model, rows, make_fax, qtbot: QtBot) -> None:
    model.set_rows(rows.of(_faxes(make_fax, 3)))
    with qtbot.waitSignal(model.modelReset):
        model.set_rows(rows.of(_faxes(make_fax, 2, start=10)))
    assert _ids(model) == ["fax-010", "fax-011"]
    assert model.columnCount() == len(Column)
    assert model.row_of("fax-011") == 1
    assert model.row_of("fax-000") is None


def test_append_rows_adds_only_new_rows_at_the_end(model, rows, make_fax) -> None:
    model.set_rows(rows.of(_faxes(make_fax, 3)), has_more=True)
    model.append_rows(rows.of(_faxes(make_fax, 3, start=2)), has_more=False)
    assert _ids(model) == ["fax-000", "fax-001", "fax-002", "fax-003", "fax-004"]
    assert model.has_more is False


def test_a_status_change_updates_the_same_row(model, rows, make_fax, qtbot: QtBot) -> None:
    sending = make_fax("fax-001", status=FaxStatus.IN_PROGRESS, create_time=NOW)
    newer = make_fax("fax-000", create_time=NOW + timedelta(minutes=5))
    model.set_rows(rows.of([newer, sending]))
    assert _text(model, 1, Column.STATUS) == "Sending"

    with qtbot.waitSignal(model.dataChanged) as changed:
        model.apply([rows.one(dataclasses.replace(sending, status=FaxStatus.COMPLETED))])

    top_left, bottom_right = changed.args[0], changed.args[1]
    assert (top_left.row(), bottom_right.row()) == (1, 1)
    assert (top_left.column(), bottom_right.column()) == (0, len(Column) - 1)
    assert model.rowCount() == 2
    assert _text(model, 1, Column.STATUS) == "Delivered"
    assert model.fax_at(1).status == FaxStatus.COMPLETED


def test_a_new_fax_goes_where_it_sorts_among_the_loaded_rows(
    model, rows, make_fax, qtbot: QtBot
) -> None:
    model.set_rows(rows.of(_faxes(make_fax, 3)), has_more=True)  # 15:30, 14:30, 13:30
    with qtbot.waitSignal(model.rowsInserted) as inserted:
        model.apply([rows.one(make_fax("newest", create_time=NOW + timedelta(minutes=1)))])
    assert inserted.args[1:] == [0, 0]
    model.apply([rows.one(make_fax("middle", create_time=NOW - timedelta(minutes=90)))])
    # Older than every loaded row while more pages exist: it comes with a later page.
    model.apply([rows.one(make_fax("oldest", create_time=NOW - timedelta(days=9)))])
    assert _ids(model) == ["newest", "fax-000", "fax-001", "middle", "fax-002"]
    model.set_has_more(False)
    model.apply([rows.one(make_fax("oldest", create_time=NOW - timedelta(days=9)))])
    assert _ids(model)[-1] == "oldest"


def test_a_row_whose_sort_value_changed_moves(model, rows, make_fax) -> None:
    faxes = [
        make_fax("queued", status=FaxStatus.QUEUED, create_time=NOW),
        make_fax("sending", status=FaxStatus.IN_PROGRESS, create_time=NOW),
        make_fax("done", status=FaxStatus.COMPLETED, create_time=NOW),
    ]
    model.set_rows(
        rows.of(faxes, sort=SortColumn.STATUS, descending=False),
        sort=SortColumn.STATUS,
        descending=False,
    )
    assert _ids(model) == ["queued", "sending", "done"]
    failed = dataclasses.replace(faxes[0], status=FaxStatus.FAILURE)
    model.apply([rows.one(failed, sort=SortColumn.STATUS)])
    assert _ids(model) == ["sending", "done", "queued"]


def test_rows_that_no_longer_belong_are_removed(model, rows, make_fax, qtbot: QtBot) -> None:
    model.set_rows(rows.of(_faxes(make_fax, 3)))
    with qtbot.waitSignal(model.rowsRemoved):
        model.apply([], removed=["fax-001", "not-shown"])
    assert _ids(model) == ["fax-000", "fax-002"]


def test_fetch_more_only_signals_and_only_once_per_page(rows, make_fax, qtbot: QtBot) -> None:
    # No model tester here: like a view, it calls fetchMore() itself after every reset.
    model = FaxListModel()
    model.set_rows(rows.of(_faxes(make_fax, 2)), has_more=False)
    assert not model.canFetchMore(QModelIndex())
    with qtbot.assertNotEmitted(model.more_requested):
        model.fetchMore(QModelIndex())

    model.set_rows(rows.of(_faxes(make_fax, 2)), has_more=True)
    assert model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.more_requested):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 2  # it loads nothing itself
    assert not model.canFetchMore(QModelIndex())  # one request in flight at a time

    model.append_rows(rows.of(_faxes(make_fax, 2, start=2)), has_more=True)
    assert model.canFetchMore(QModelIndex())
    model.set_has_more(False)
    assert not model.canFetchMore(QModelIndex())


def test_sorting_is_asked_for_not_done(model, rows, make_fax, qtbot: QtBot) -> None:
    model.set_rows(rows.of(_faxes(make_fax, 3)))
    with qtbot.waitSignal(model.sort_requested) as asked:
        model.sort(Column.PAGES, Qt.SortOrder.AscendingOrder)
    assert asked.args == [SortColumn.PAGES, False]
    assert _ids(model) == ["fax-000", "fax-001", "fax-002"]  # the controller reloads
    with qtbot.assertNotEmitted(model.sort_requested):
        model.sort(Column.PAGES, Qt.SortOrder.AscendingOrder)
    assert (model.sort_column, model.descending) == (SortColumn.PAGES, False)


def test_model_tester_survives_every_change(model, rows, make_fax) -> None:
    model.set_rows(rows.of(_faxes(make_fax, 5)), has_more=True)
    model.fetchMore(QModelIndex())
    model.append_rows(rows.of(_faxes(make_fax, 4, start=4)), has_more=False)
    model.apply([rows.one(dataclasses.replace(model.fax_at(2), status=FaxStatus.FAILURE))])
    model.apply([rows.one(make_fax("new", create_time=NOW + timedelta(hours=1)))])
    model.apply([], removed=["fax-003"])
    model.set_rows([])
    model.append_rows(rows.of(_faxes(make_fax, 1)), has_more=False)
    assert model.rowCount() == 1


def test_headers(model) -> None:
    headers = [
        model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for column in Column
    ]
    assert headers == [
        "Time",
        "",
        "Contact",
        "Number",
        "From",
        "To",
        "Pages",
        "Status",
        "Reason",
        "Price",
        "Labels",
        "",
    ]
    handled = model.headerData(
        Column.HANDLED, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert handled == "Handled"


@pytest.mark.parametrize(
    ("direction", "status", "words"),
    [
        (Direction.OUTBOUND, FaxStatus.QUEUED, "Queued"),
        (Direction.OUTBOUND, FaxStatus.IN_PROGRESS, "Sending"),
        (Direction.OUTBOUND, FaxStatus.COMPLETED, "Delivered"),
        (Direction.OUTBOUND, FaxStatus.FAILURE, "Failed"),
        (Direction.INBOUND, FaxStatus.IN_PROGRESS, "Receiving"),
        (Direction.INBOUND, FaxStatus.COMPLETED, "Received"),
        (Direction.OUTBOUND, FaxStatus("ON_HOLD"), "On hold"),
    ],
)
def test_status_words(model, rows, make_fax, direction, status, words) -> None:
    model.set_rows(rows.of([make_fax(direction=direction, status=status)]))
    assert _text(model, 0, Column.STATUS) == words
    decoration = model.data(model.index(0, Column.STATUS), Qt.ItemDataRole.DecorationRole)
    assert isinstance(decoration, QIcon)
    assert not decoration.isNull()


def test_failure_tooltip_and_reason_column_explain_the_error(model, rows, make_fax) -> None:
    failed = make_fax(
        status=FaxStatus.FAILURE,
        error_type=ErrorType.CALL_ERROR,
        error_code=17,
        error_message="Busy",
    )
    model.set_rows(rows.of([failed]))
    tooltip = model.data(model.index(0, Column.STATUS), Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "Failed: Busy (CALL_ERROR 17)"
    assert _text(model, 0, Column.REASON) == "Busy (CALL_ERROR 17)"


def test_row_display(model, rows, make_fax) -> None:
    fax = make_fax(
        direction=Direction.INBOUND,
        from_="+442079460123",
        to="+14155550123",
        price=Money("0.1400", "USD"),
        labels={"ticket": "T-42", SUBMISSION_LABEL: "52a1c0de"},
    )
    rows.archive.set_contact_names({"+442079460123": "Dr. Ávila"})
    model.set_rows(rows.of([fax]))
    assert _text(model, 0, Column.FROM) == "+44 20 7946 0123"
    assert _text(model, 0, Column.TO) == "+1 415-555-0123"
    assert _text(model, 0, Column.CONTACT) == "Dr. Ávila"
    assert _text(model, 0, Column.NUMBER) == "+44 20 7946 0123"  # the sender: it came in
    assert _text(model, 0, Column.PAGES) == "2"
    assert _text(model, 0, Column.PRICE) == "0.14 USD"
    assert _text(model, 0, Column.LABELS) == "ticket=T-42"  # not FaxDesk's own label
    assert model.data(model.index(0, Column.LABELS), Qt.ItemDataRole.ToolTipRole) == "ticket=T-42"
    assert _text(model, 0, Column.TIME).startswith("Today ")
    alignment = model.data(model.index(0, Column.PAGES), Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight
    direction = model.index(0, Column.DIRECTION)
    assert model.data(direction, Qt.ItemDataRole.ToolTipRole) == "Received"
    assert isinstance(model.data(direction, Qt.ItemDataRole.DecorationRole), QIcon)
    assert model.data(model.index(0, Column.STATUS), FAX_ROLE) == fax
    assert model.data(model.index(0, Column.STATUS), ROW_ROLE).contact_name == "Dr. Ávila"
    assert model.data(model.index(0, Column.PAGES), SORT_ROLE)[2] == fax.id


def test_unread_rows_are_bold_and_handled_rows_ticked(model, rows, make_fax) -> None:
    received = make_fax("in", direction=Direction.INBOUND, create_time=NOW)
    sent = make_fax("out", create_time=NOW - timedelta(minutes=1))
    rows.store([received, sent])
    rows.archive.set_handled("out", True, "Called them back")
    model.set_rows(rows.of())
    font = model.data(model.index(0, Column.TIME), Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont)
    assert font.bold()
    assert model.data(model.index(1, Column.TIME), Qt.ItemDataRole.FontRole) is None
    handled = model.index(1, Column.HANDLED)
    assert isinstance(model.data(handled, Qt.ItemDataRole.DecorationRole), QIcon)
    assert model.data(handled, Qt.ItemDataRole.ToolTipRole) == "Handled: Called them back"
    assert model.data(model.index(0, Column.HANDLED), Qt.ItemDataRole.DecorationRole) is None

    rows.archive.set_unread(["in"], False)
    model.apply([rows.one(received)])
    assert model.data(model.index(0, Column.TIME), Qt.ItemDataRole.FontRole) is None


def test_a_deleted_document_is_said_on_the_row(model, rows, make_fax) -> None:
    fax = make_fax(has_file=False)
    rows.store([fax])
    rows.archive.set_content_deleted(fax.id)
    model.set_rows(rows.of())
    assert _text(model, 0, Column.STATUS) == "Delivered · document deleted"
    tooltip = model.data(model.index(0, Column.STATUS), Qt.ItemDataRole.ToolTipRole)
    assert "deleted from the fax service on" in tooltip


def test_times_move_on_at_midnight(rows, make_fax) -> None:
    clock = [NOW]
    model = FaxListModel(now=lambda: clock[0])
    model.set_rows(rows.of([make_fax(create_time=NOW)]))
    assert _text(model, 0, Column.TIME).startswith("Today ")
    clock[0] = NOW + timedelta(days=1)
    model.new_day()  # what the model's timer does at midnight
    assert _text(model, 0, Column.TIME).startswith("Yesterday ")


def test_time_format() -> None:
    locale = QLocale("en_GB")
    now = local_time(NOW).replace(hour=15, minute=30)
    today = now.replace(hour=9, minute=5)
    clock = "09:05"  # en_GB short time
    assert format_list_time(today, now, locale) == f"Today {clock}"
    assert format_list_time(today - timedelta(days=1), now, locale) == f"Yesterday {clock}"
    earlier = now.replace(month=3, day=4, hour=9, minute=5)
    assert format_list_time(earlier, now, locale) == f"Mon 4 Mar {clock}"
    assert format_list_time(now.replace(year=2022, month=11, day=20), now, locale) == "20 Nov 2022"
    assert format_list_time(None, now, locale) == ""
