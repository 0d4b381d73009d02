"""The fax options form: limits, tooltips, what it puts into a SendRequest."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from faxdesk.config.settings import SendingDefaults
from faxdesk.core.errors import ValidationError
from faxdesk.core.models import (
    TEST_NUMBER,
    CoverPage,
    ImageConversionMethod,
    Resolution,
    SendRequest,
    Service,
)
from faxdesk.ui.send_options import CoverChoice, SendOptionsForm, parse_labels

SERVICES = [
    Service(
        id="01DEFAULT", name="Front desk", default_for_project=True, default_from="+14155550100"
    ),
    Service(id="01LAB", name="Laboratory", default_from="+14155550199"),
]


@pytest.fixture
def form(qtbot: QtBot) -> SendOptionsForm:
    built = SendOptionsForm()
    qtbot.addWidget(built)
    built.show()
    return built


def test_header_text_counts_to_fifty_and_stops(form: SendOptionsForm, qtbot: QtBot) -> None:
    assert form.header_counter.text() == "0/50"
    qtbot.keyClicks(form.header_edit, "Mercy Clinic")
    assert form.header_counter.text() == "12/50"
    qtbot.keyClicks(form.header_edit, "x" * 60)
    assert len(form.header_edit.text()) == 50
    assert form.header_counter.text() == "50/50"


def test_every_option_explains_itself(form: SendOptionsForm) -> None:
    assert "50 characters" in form.header_edit.toolTip()
    assert "0 to 5" in form.retries_spin.toolTip()
    assert "30 to 300" in form.delay_spin.toolTip()
    assert "400 dpi" in form.resolution_combo.toolTip()
    assert "Halftone" in form.conversion_combo.toolTip()
    assert "Europe/Berlin" in form.time_zone_combo.toolTip()
    assert "ticket=T-42" in form.labels_edit.toolTip()


def test_untouched_options_are_left_to_the_service(form: SendOptionsForm) -> None:
    request = form.apply_to(SendRequest(to=(TEST_NUMBER,)))
    assert request == SendRequest(to=(TEST_NUMBER,), header_page_numbers=True)


def test_chosen_options_go_into_the_request(form: SendOptionsForm, qtbot: QtBot) -> None:
    form.set_services(SERVICES)
    form.set_time_zones(["Europe/Berlin", "America/Chicago"])
    form.service_combo.setCurrentIndex(form.service_combo.findData("01LAB"))
    assert [form.from_combo.itemData(i) for i in range(form.from_combo.count())] == ["+14155550199"]
    form.from_combo.setCurrentIndex(0)
    form.resolution_combo.setCurrentIndex(2)
    form.conversion_combo.setCurrentIndex(2)
    qtbot.keyClicks(form.header_edit, "Lab results")
    form.page_numbers_check.setChecked(False)
    form.time_zone_combo.setEditText("Europe/Berlin")
    form.retries_spin.setValue(2)
    form.delay_spin.setValue(120)
    qtbot.keyClicks(form.labels_edit, "ticket=T-42; dept = lab")
    assert form.problems() == []
    request = form.apply_to(SendRequest(to=(TEST_NUMBER,), labels={"faxdeskSubmission": "x"}))
    assert request.service_id == "01LAB"
    assert request.from_ == "+14155550199"
    assert request.resolution is Resolution.SUPERFINE
    assert request.image_conversion_method is ImageConversionMethod.MONOCHROME
    assert request.header_text == "Lab results"
    assert request.header_page_numbers is False
    assert request.header_time_zone == "Europe/Berlin"
    assert (request.max_retries, request.retry_delay_seconds) == (2, 120)
    assert request.labels == {"faxdeskSubmission": "x", "ticket": "T-42", "dept": "lab"}


def test_the_project_default_service_offers_its_number(form: SendOptionsForm) -> None:
    form.set_services(SERVICES)
    assert form.service_combo.itemText(1) == "Front desk (project default)"
    assert form.from_combo.itemData(0) == "+14155550100"
    assert form.from_combo.currentText() == ""  # still the service default


def test_defaults_show_and_come_back_unchanged(form: SendOptionsForm) -> None:
    defaults = SendingDefaults(
        service_id="01LAB",
        from_number="+14155550199",
        resolution=Resolution.FINE,
        image_conversion_method=ImageConversionMethod.HALFTONE,
        header_text="Lab",
        header_page_numbers=False,
        header_time_zone="Europe/Berlin",
        max_retries=0,
        retry_delay_seconds=30,
    )
    form.set_services(SERVICES)
    form.set_time_zones(["Europe/Berlin"])
    form.set_defaults(defaults)
    assert form.retries_spin.text() == "0"
    assert form.sending_defaults() == defaults
    form.set_defaults(SendingDefaults())
    assert form.retries_spin.text() == "Service default"
    assert form.delay_spin.text() == "Service default"
    assert form.sending_defaults() == SendingDefaults()


def test_time_zones_are_searched_by_any_part(form: SendOptionsForm, qtbot: QtBot) -> None:
    form.set_time_zones(["Europe/Berlin", "America/Chicago", "America/New_York"])
    completer = form.time_zone_combo.completer()
    assert completer.filterMode() == Qt.MatchFlag.MatchContains
    completer.setCompletionPrefix("york")
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "America/New_York"
    form.time_zone_combo.setEditText("Mars/Olympus")
    assert form.problems() == ["“Mars/Olympus” is not a time zone name; pick one from the list."]


def test_bad_labels_and_sender_are_problems(form: SendOptionsForm, qtbot: QtBot) -> None:
    qtbot.keyClicks(form.labels_edit, "ticket")
    qtbot.keyClicks(form.from_combo.lineEdit(), "12")
    assert form.problems() == [
        "Sender number: “12” has too few or too many digits.",
        "The label “ticket” needs a name and a value, like ticket=T-42.",
    ]
    assert form.problem_label.isVisible()


def test_a_sender_the_command_line_takes_is_taken_here_too(form: SendOptionsForm, qtbot) -> None:
    # Well formed and international, though the number data does not know the range.
    qtbot.keyClicks(form.from_combo.lineEdit(), "+1 555 555 0101")
    assert form.problems() == []
    assert form.sending_defaults().from_number == "+15555550101"


def test_labels_are_split_on_semicolons_commas_and_lines() -> None:
    assert parse_labels("a=1; b=2,c=3\nd=") == {"a": "1", "b": "2", "c": "3", "d": ""}
    with pytest.raises(ValidationError, match="“=3” needs a name"):
        parse_labels("a=1; =3")


def test_a_service_cover_page_asks_for_its_own_fields(form: SendOptionsForm, qtbot: QtBot) -> None:
    page = CoverPage(id="01COVER", name="Referral", service_id="01DEFAULT")
    form.set_cover_pages(["Standard"], [page])
    assert [form.cover_combo.itemText(i) for i in range(form.cover_combo.count())] == [
        "No cover page",
        "Standard (template)",
        "Referral (service cover page)",
    ]
    with qtbot.waitSignal(form.cover_changed) as changed:
        form.cover_combo.setCurrentIndex(2)
    assert changed.args[0] == CoverChoice(id="01COVER", service_id="01DEFAULT", name="Referral")
    # Sinch fills from, to, date and pageCount itself.
    form.set_cover_fields(["to_name", "from", "pageCount", "message"])
    edits = {
        name: form.findChild(type(form.header_edit), f"cover_{name}")
        for name in ("to_name", "message")
    }
    assert all(edits.values())
    assert form.findChild(type(form.header_edit), "cover_from") is None
    qtbot.keyClicks(edits["to_name"], "Dr. Smith")
    request = form.apply_to(SendRequest(to=(TEST_NUMBER,)))
    assert request.cover_page_id == "01COVER"
    assert request.cover_page_data == {"to_name": "Dr. Smith"}


def test_cover_page_fields_line_up_under_the_cover_page_and_go_with_it(
    form: SendOptionsForm,
) -> None:
    from PySide6.QtWidgets import QFormLayout, QLabel

    layout = form.layout()
    assert isinstance(layout, QFormLayout)
    form.set_cover_pages(["Standard"], [])
    form.cover_combo.setCurrentIndex(1)
    form.set_cover_fields(["subject", "message"])
    cover_row, _ = layout.getWidgetPosition(form.cover_combo)
    for offset, name in enumerate(("subject", "message"), start=1):
        edit = form.findChild(type(form.header_edit), f"cover_{name}")
        # In the form's own columns, right under the cover page, labelled in words.
        assert layout.getWidgetPosition(edit) == (
            cover_row + offset,
            QFormLayout.ItemRole.FieldRole,
        )
        label = layout.itemAt(cover_row + offset, QFormLayout.ItemRole.LabelRole).widget()
        assert isinstance(label, QLabel)
        assert label.text() == f"{name.capitalize()}:"
    rows = layout.rowCount()
    form.set_cover_fields([])
    assert layout.rowCount() == rows - 2
    assert form.findChild(type(form.header_edit), "cover_subject") is None
