from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from faxdesk.core.models import Direction, ErrorType, Fax, FaxStatus, Money, Resolution
from faxdesk.ui.details import EMPTY_TEXT, FaxDetails

MakeFax = Callable[..., Fax]


@pytest.fixture
def details(qtbot: QtBot) -> FaxDetails:
    details = FaxDetails()
    qtbot.addWidget(details)
    details.show()
    qtbot.waitExposed(details)
    return details


def test_empty_state(details: FaxDetails, make_fax: MakeFax) -> None:
    assert details.is_empty()
    assert details._empty.text() == EMPTY_TEXT
    details.set_fax(make_fax())
    assert not details.is_empty()
    details.set_fax(None)
    assert details.is_empty()
    assert details.fax is None


def test_failure_is_explained(details: FaxDetails, make_fax: MakeFax) -> None:
    details.set_fax(
        make_fax(
            status=FaxStatus.FAILURE,
            error_type=ErrorType.CALL_ERROR,
            error_code=17,
            error_message="Busy",
            pages_sent_successfully=0,
        )
    )
    assert details.value("status") == "Failed — Busy (CALL_ERROR 17)"
    assert details.value("pages") == "0 of 2 sent"


def test_fields_in_plain_language(details: FaxDetails, make_fax: MakeFax) -> None:
    details.set_fax(
        make_fax(
            "01HXYZ",
            status=FaxStatus.COMPLETED,
            to="+14155550123",
            from_="+19898989898",
            number_of_pages=3,
            pages_sent_successfully=3,
            price=Money("0.21", "USD"),
            resolution=Resolution.SUPERFINE,
            labels={"team": "billing", "case": "42"},
        )
    )
    assert details.value("status") == "Delivered"
    assert details.value("direction") == "Sent"
    assert details.value("to") == "+1 415-555-0123"
    assert details.value("from") == "+1 989-898-9898"
    assert details.value("pages") == "3"
    assert details.value("price") == "0.21 USD"
    assert details.value("resolution") == "Superfine"
    assert details.value("labels") == "case: 42, team: billing"
    assert details.value("id") == "01HXYZ"
    assert "2024" in details.value("created")


def test_empty_optional_fields_are_hidden(details: FaxDetails, make_fax: MakeFax) -> None:
    details.set_fax(make_fax(direction=Direction.INBOUND, status=FaxStatus.IN_PROGRESS))
    assert details.value("status") == "Receiving"
    assert not details.is_field_visible("price")
    assert not details.is_field_visible("header")
    assert not details.is_field_visible("completed")
    assert details.is_field_visible("id")
    details.set_fax(make_fax(header_text="ACME Dental"))
    assert details.is_field_visible("header")
    assert details.value("header") == "ACME Dental"


def test_fax_id_can_be_selected_for_support(details: FaxDetails, make_fax: MakeFax) -> None:
    details.set_fax(make_fax("01HSUPPORT"))
    flags = details._values["id"].textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse
    assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard
