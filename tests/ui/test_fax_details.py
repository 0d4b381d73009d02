from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from faxdesk.core.models import Direction, ErrorType, Fax, FaxStatus, Money, Resolution
from faxdesk.core.outbox import SUBMISSION_LABEL
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
            labels={"team": "billing", SUBMISSION_LABEL: "52a1c0de", "case": "42"},
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


def test_a_fax_with_only_faxdesk_s_own_label_shows_no_labels(
    details: FaxDetails, make_fax: MakeFax
) -> None:
    details.set_fax(make_fax(labels={SUBMISSION_LABEL: "52a1c0de"}))
    assert not details.is_field_visible("labels")
    assert "52a1c0de" not in details.value("labels")


def test_empty_optional_fields_are_hidden(details: FaxDetails, make_fax: MakeFax) -> None:
    details.set_fax(make_fax(direction=Direction.INBOUND, status=FaxStatus.IN_PROGRESS))
    assert details.value("status") == "Receiving"
    assert not details.is_field_visible("price")
    assert not details.is_field_visible("header")
    assert not details.is_field_visible("completed")
    assert details.is_field_visible("id")
    details.set_fax(make_fax(header_text="ACME Dental"))
    assert details.is_field_visible("header")
    assert details.value("header") == "“ACME Dental”"


def test_fax_id_can_be_selected_for_support(details: FaxDetails, make_fax: MakeFax) -> None:
    details.set_fax(make_fax("01HSUPPORT"))
    flags = details._values["id"].textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByMouse
    assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard


def test_every_field_of_a_sent_fax_in_words(details: FaxDetails, make_fax: MakeFax) -> None:
    from datetime import timedelta

    from faxdesk.store.archive import ArchivedFax

    fax = make_fax(
        status=FaxStatus.FAILURE,
        error_type=ErrorType.CALL_ERROR,
        error_code=17,
        error_message="Busy",
        number_of_pages=5,
        pages_sent_successfully=2,
        max_retries=3,
        retry_count=2,
        retry_delay_seconds=60,
        header_text="ACME Dental",
        header_page_numbers=True,
        header_time_zone="America/New_York",
        service_id="svc-1",
    )
    details.set_fax(fax)
    details.set_row(ArchivedFax(fax=fax, contact_name="Dr. Ávila"))
    details.set_service_names({"svc-1": "Front desk line"})
    created = fax.create_time
    details.set_history(
        fax.id,
        [
            (FaxStatus.QUEUED, created),
            (FaxStatus.IN_PROGRESS, created + timedelta(seconds=20)),
            (FaxStatus.FAILURE, created + timedelta(minutes=3)),
        ],
    )
    assert details.value("explanation") == (
        "Only 2 of 5 pages went through. The line was busy. Sending it again later may work."
    )
    assert details.value("pages") == "2 of 5 sent"
    assert details.value("retries") == "2 of 3 retries, 60 s apart"
    assert details.value("header") == "“ACME Dental”, page numbers, times in America/New_York"
    assert details.value("service") == "Front desk line"
    assert details.value("contact") == "Dr. Ávila"
    timeline = details.value("timeline")
    # One line: the day once, then each step with its time (as this desk saw it).
    assert timeline.count(" → ") == 3
    steps = [step.rsplit(" ", 1)[0].split(": ")[-1] for step in timeline.split(" → ")]
    assert steps == ["created", "queued", "sending", "failed"]
    assert timeline.startswith(f"{created.astimezone():%a} ")


def test_barcodes_and_a_deleted_document(details: FaxDetails, make_fax: MakeFax) -> None:
    from faxdesk.store.archive import ArchivedFax

    fax = make_fax(
        direction=Direction.INBOUND,
        has_file=False,
        extra={
            "barCodes": [
                {"type": "CODE_128", "page": 1, "value": "PATIENT-0042"},
                {"type": "DATA_MATRIX", "page": 3, "value": "REF 7"},
            ]
        },
    )
    details.set_fax(fax)
    assert details.value("barcodes") == (
        "Code 128 on page 1: PATIENT-0042; Data Matrix on page 3: REF 7"
    )
    assert details.value("document") == "The fax service holds no document for this fax."
    assert not details.is_field_visible("retries")  # a received fax has none
    details.set_row(ArchivedFax(fax=fax, content_deleted=fax.create_time))
    assert details.value("document").startswith("Deleted from the fax service on ")


def test_handled_and_the_note_are_announced(details, make_fax, qtbot: QtBot) -> None:
    from faxdesk.store.archive import ArchivedFax

    fax = make_fax()
    details.set_fax(fax)
    assert not details.handled_check.isEnabled()  # until the desk's flags are known
    details.set_row(ArchivedFax(fax=fax, handled=False, note=""))
    with qtbot.waitSignal(details.handled_changed) as handled:
        qtbot.mouseClick(details.handled_check, Qt.MouseButton.LeftButton)
    assert handled.args == [fax.id, True]
    with qtbot.waitSignal(details.note_changed, timeout=3000) as noted:
        qtbot.keyClicks(details.note_edit, "Called back")
    assert noted.args == [fax.id, "Called back"]
    # The flags that come back from the archive do not announce anything again.
    with qtbot.assertNotEmitted(details.handled_changed):
        details.set_row(ArchivedFax(fax=fax, handled=True, note="Called back"))
    assert details.handled_check.isChecked()


@pytest.mark.parametrize(("width", "height"), [(380, 200), (420, 260), (480, 320), (560, 260)])
def test_wrapped_texts_are_shown_whole(qtbot: QtBot, make_fax: MakeFax, width, height) -> None:
    from PySide6.QtWidgets import QApplication

    from faxdesk.store.archive import ArchivedFax

    details = FaxDetails()
    qtbot.addWidget(details)
    font = details.font()
    font.setPointSize(10)  # a desktop's usual size: the explanation takes two lines
    details.setFont(font)
    details.resize(width, height)
    details.show()
    qtbot.waitExposed(details)
    fax = make_fax(
        status=FaxStatus.FAILURE,
        error_type=ErrorType.FAX_ERROR,
        error_code=131,
        error_message="Incomplete transmission",
        number_of_pages=1,
        pages_sent_successfully=1,
        max_retries=3,
        retry_count=3,
        retry_delay_seconds=60,
        header_page_numbers=True,
        header_time_zone="America/New_York",
    )

    def cut_off() -> list[str]:
        """The fields whose text needs more lines than their row has room for."""
        QApplication.processEvents()
        return [
            key
            for key, label in details._values.items()
            if label.isVisible() and label.height() < label.heightForWidth(label.width())
        ]

    details.set_fax(fax)
    assert details.is_field_visible("explanation")
    assert cut_off() == []
    # Its caption stands beside its first line.
    caption = details._form.labelForField(details._values["explanation"])
    assert caption.geometry().top() == details._values["explanation"].geometry().top()
    assert caption.alignment() & Qt.AlignmentFlag.AlignTop
    details.set_row(ArchivedFax(fax=fax))
    assert cut_off() == []
    # Narrower, as when the preview beside it takes more room.
    details.resize(width - 40, height)
    assert cut_off() == []
