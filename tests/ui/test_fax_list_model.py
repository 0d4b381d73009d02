from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QLocale, QModelIndex, Qt
from PySide6.QtGui import QIcon
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.qtbot import QtBot

from faxdesk.core.models import Direction, ErrorType, Fax, FaxStatus
from faxdesk.ui.fax_list import (
    FAX_ROLE,
    SORT_ROLE,
    Column,
    FaxListModel,
    format_list_time,
    local_time,
)

MakeFax = Callable[..., Fax]
NOW = datetime(2024, 12, 3, 15, 30, tzinfo=UTC)


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


def test_set_faxes_replaces_rows(model: FaxListModel, make_fax: MakeFax, qtbot: QtBot) -> None:
    model.set_faxes(_faxes(make_fax, 3))
    with qtbot.waitSignal(model.modelReset):
        model.set_faxes(_faxes(make_fax, 2, start=10))
    assert _ids(model) == ["fax-010", "fax-011"]
    assert model.columnCount() == len(Column)
    assert model.row_of("fax-011") == 1
    assert model.row_of("fax-000") is None


def test_append_page_adds_only_new_rows_at_the_end(model: FaxListModel, make_fax: MakeFax) -> None:
    model.set_faxes(_faxes(make_fax, 3), has_more=True)
    model.append_page(_faxes(make_fax, 3, start=2), has_more=False)
    assert _ids(model) == ["fax-000", "fax-001", "fax-002", "fax-003", "fax-004"]
    assert model.has_more is False


def test_upsert_of_a_status_change_updates_the_same_row(
    model: FaxListModel, make_fax: MakeFax, qtbot: QtBot
) -> None:
    sending = make_fax("fax-001", status=FaxStatus.IN_PROGRESS, create_time=NOW)
    model.set_faxes([make_fax("fax-000", create_time=NOW + timedelta(minutes=5)), sending])
    assert _text(model, 1, Column.STATUS) == "Sending"

    with qtbot.waitSignal(model.dataChanged) as changed:
        model.upsert(dataclasses.replace(sending, status=FaxStatus.COMPLETED))

    top_left, bottom_right = changed.args[0], changed.args[1]
    assert (top_left.row(), bottom_right.row()) == (1, 1)
    assert (top_left.column(), bottom_right.column()) == (0, len(Column) - 1)
    assert model.rowCount() == 2
    assert _text(model, 1, Column.STATUS) == "Delivered"
    assert model.fax_at(1).status == FaxStatus.COMPLETED


def test_upsert_of_a_new_fax_inserts_it_in_time_order(
    model: FaxListModel, make_fax: MakeFax, qtbot: QtBot
) -> None:
    model.set_faxes(_faxes(make_fax, 3))  # 15:30, 14:30, 13:30
    with qtbot.waitSignal(model.rowsInserted) as inserted:
        model.upsert(make_fax("newest", create_time=NOW + timedelta(minutes=1)))
    assert inserted.args[1:] == [0, 0]
    model.upsert(make_fax("middle", create_time=NOW - timedelta(minutes=90)))
    model.upsert(make_fax("oldest", create_time=NOW - timedelta(days=9)))
    assert _ids(model) == ["newest", "fax-000", "fax-001", "middle", "fax-002", "oldest"]


def test_fetch_more_only_signals_and_only_once_per_page(make_fax: MakeFax, qtbot: QtBot) -> None:
    # No model tester here: like a view, it calls fetchMore() itself after every reset.
    model = FaxListModel()
    model.set_faxes(_faxes(make_fax, 2), has_more=False)
    assert not model.canFetchMore(QModelIndex())
    with qtbot.assertNotEmitted(model.more_requested):
        model.fetchMore(QModelIndex())

    model.set_faxes(_faxes(make_fax, 2), has_more=True)
    assert model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.more_requested):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 2  # it loads nothing itself
    assert not model.canFetchMore(QModelIndex())  # one request in flight at a time

    model.append_page(_faxes(make_fax, 2, start=2), has_more=True)
    assert model.canFetchMore(QModelIndex())
    model.set_has_more(False)
    assert not model.canFetchMore(QModelIndex())


def test_model_tester_survives_every_change(model: FaxListModel, make_fax: MakeFax) -> None:
    model.set_faxes(_faxes(make_fax, 5), has_more=True)
    model.fetchMore(QModelIndex())
    model.append_page(_faxes(make_fax, 4, start=4), has_more=False)
    model.upsert(dataclasses.replace(model.fax_at(2), status=FaxStatus.FAILURE))
    model.upsert(make_fax("new", create_time=NOW + timedelta(hours=1)))
    model.set_faxes([])
    model.append_page(_faxes(make_fax, 1), has_more=False)
    assert model.rowCount() == 1


def test_headers(model: FaxListModel) -> None:
    headers = [
        model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for column in Column
    ]
    assert headers == ["Time", "", "From", "To", "Pages", "Status"]


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
def test_status_words(
    model: FaxListModel, make_fax: MakeFax, direction: Direction, status: FaxStatus, words: str
) -> None:
    model.set_faxes([make_fax(direction=direction, status=status)])
    assert _text(model, 0, Column.STATUS) == words
    decoration = model.data(model.index(0, Column.STATUS), Qt.ItemDataRole.DecorationRole)
    assert isinstance(decoration, QIcon)
    assert not decoration.isNull()


def test_failure_tooltip_explains_the_error(model: FaxListModel, make_fax: MakeFax) -> None:
    model.set_faxes(
        [
            make_fax(
                status=FaxStatus.FAILURE,
                error_type=ErrorType.CALL_ERROR,
                error_code=17,
                error_message="Busy",
            )
        ]
    )
    tooltip = model.data(model.index(0, Column.STATUS), Qt.ItemDataRole.ToolTipRole)
    assert tooltip == "Failed: Busy (CALL_ERROR 17)"


def test_row_display(model: FaxListModel, make_fax: MakeFax) -> None:
    fax = make_fax(direction=Direction.INBOUND, from_="+442079460123", to="+14155550123")
    model.set_faxes([fax])
    assert _text(model, 0, Column.FROM) == "+44 20 7946 0123"
    assert _text(model, 0, Column.TO) == "+1 415-555-0123"
    assert _text(model, 0, Column.PAGES) == "2"
    assert _text(model, 0, Column.TIME).startswith("Today ")
    alignment = model.data(model.index(0, Column.PAGES), Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight
    direction = model.index(0, Column.DIRECTION)
    assert model.data(direction, Qt.ItemDataRole.ToolTipRole) == "Received"
    assert isinstance(model.data(direction, Qt.ItemDataRole.DecorationRole), QIcon)
    assert model.data(model.index(0, Column.STATUS), FAX_ROLE) is fax
    assert model.data(model.index(0, Column.PAGES), SORT_ROLE) == 2


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
