"""Recipients as typed and pasted: split, checked, formatted, corrected, and warned about."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from faxdesk.core.contacts import Contact
from faxdesk.ui.recipients import NOT_KNOWN_WARNING, RecipientsField, split_numbers

SMITH = Contact(id=1, name="Dr. Jane Smith", company="Mercy Clinic", fax="+14155550123")
JONES = Contact(id=2, name="Dr. Jones", fax="+14155550199")


@pytest.fixture
def field(qtbot: QtBot) -> RecipientsField:
    built = RecipientsField()
    qtbot.addWidget(built)
    built.show()
    built.edit.setFocus()
    return built


def test_lists_split_on_semicolons_commas_and_lines() -> None:
    assert split_numbers("(415) 555-0123; +44 20 7946 0123,415.555.0124\n\n 989 898 9898 ") == [
        "(415) 555-0123",
        "+44 20 7946 0123",
        "415.555.0124",
        "989 898 9898",
    ]


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(415) 555-0123", "+14155550123"),
        ("+44 20 7946 0123", "+442079460123"),
        ("415.555.0123", "+14155550123"),
    ],
)
def test_numbers_as_people_type_them(field: RecipientsField, qtbot: QtBot, typed, e164) -> None:
    qtbot.keyClicks(field.edit, typed)
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    assert field.numbers() == [e164]
    assert field.edit.text() == ""
    assert field.list.count() == 1


def test_a_comma_or_semicolon_adds_the_number_typed(field: RecipientsField, qtbot: QtBot) -> None:
    qtbot.keyClicks(field.edit, "415 555 0123;+44 20 7946 0123,")
    assert field.numbers() == ["+14155550123", "+442079460123"]
    assert field.list.item(1).text() == "+44 20 7946 0123"


def test_a_pasted_list_is_split(field: RecipientsField, qtbot: QtBot) -> None:
    mime = QMimeData()
    mime.setText("415 555 0123\n415 555\n+44 20 7946 0123")
    QGuiApplication.clipboard().setMimeData(mime)
    qtbot.keyClick(field.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert [r.text for r in field.recipients()] == ["415 555 0123", "415 555", "+44 20 7946 0123"]
    assert field.problems() == ["415 555: “415 555” has too few or too many digits."]
    assert not field.is_ready()
    assert field.list.item(1).text() == "415 555  —  “415 555” has too few or too many digits."
    assert field.hint.text() == "Correct the marked numbers, or remove them (Delete)."


def test_pasted_files_are_handed_on(field: RecipientsField, qtbot: QtBot, tmp_path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "letter.pdf"))])
    QGuiApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(field.files_pasted) as pasted:
        qtbot.keyClick(field.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert pasted.args == [[tmp_path / "letter.pdf"]]
    assert field.recipients() == []


def test_a_wrong_number_is_corrected_in_place(field: RecipientsField, qtbot: QtBot) -> None:
    field.add_text("415 555 0123; 415 555")
    field.list.setCurrentRow(1)
    field.list.setFocus()
    qtbot.keyClick(field.list, Qt.Key.Key_F2)
    assert field.edit.text() == "415 555"
    assert field.list.count() == 1
    field.edit.end(False)
    qtbot.keyClicks(field.edit, " 0124")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    assert field.numbers() == ["+14155550123", "+14155550124"]
    assert field.is_ready()


def test_delete_removes_the_selected_recipient(field: RecipientsField, qtbot: QtBot) -> None:
    field.add_text("415 555 0123; 415 555 0124")
    field.list.setCurrentRow(0)
    qtbot.keyClick(field.list, Qt.Key.Key_Delete)
    assert field.numbers() == ["+14155550124"]


def test_the_same_number_is_added_once(field: RecipientsField) -> None:
    field.add_text("415 555 0123, (415) 555-0123")
    assert field.numbers() == ["+14155550123"]
    assert field.list.count() == 1


def test_the_typed_number_counts_and_its_problem_shows_after_a_pause(
    field: RecipientsField, qtbot: QtBot
) -> None:
    qtbot.keyClicks(field.edit, "415 555")
    assert not field.hint.isVisible()  # not while typing
    qtbot.waitUntil(field.hint.isVisible, timeout=2000)
    assert field.hint.text() == "“415 555” has too few or too many digits."
    qtbot.keyClicks(field.edit, " 0123")
    assert field.hint.text() == "Sends to +1 415-555-0123"
    assert field.numbers() == ["+14155550123"]


def test_a_number_never_faxed_before_is_a_warning_not_a_block(field: RecipientsField) -> None:
    field.set_directory([SMITH], faxed=["+14155550123"])
    field.add_text("415 555 0123; 415 555 0177")
    first, second = field.recipients()
    assert first.warnings == ()
    assert first.describe() == "Dr. Jane Smith (Mercy Clinic)  —  +1 415-555-0123"
    assert second.warnings == ("No fax has been sent to this number before: check it.",)
    assert (
        field.list.item(1).text().endswith("No fax has been sent to this number before: check it.")
    )
    assert field.is_ready()


def test_unknown_history_gives_no_warning(field: RecipientsField) -> None:
    field.set_directory([], faxed=None)
    field.add_text("415 555 0177")
    assert field.recipients()[0].warnings == ()


def test_a_contact_is_completed_by_name_and_added_with_it(
    field: RecipientsField, qtbot: QtBot
) -> None:
    field.set_directory([SMITH, JONES], faxed=["+14155550123", "+14155550199"])
    completer = field.completer
    completer.setCompletionPrefix("mercy")
    assert completer.currentCompletion() == "Dr. Jane Smith (Mercy Clinic) — +1 415-555-0123"
    field.edit.setText(completer.currentCompletion())
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    (recipient,) = field.recipients()
    assert (recipient.name, recipient.e164) == ("Dr. Jane Smith", "+14155550123")


def test_a_number_saved_under_another_contact_is_a_warning(field: RecipientsField) -> None:
    field.set_directory([SMITH, JONES], faxed=["+14155550123", "+14155550199"])
    field.add_text(field.completer.model().index(1, 0).data())  # Dr. Jones
    field.list.setCurrentRow(0)
    field._correct(0)
    field.edit.setText("415 555 0123")  # Dr. Smith's number, still picked as Dr. Jones
    recipient = field.recipients()[0]
    assert recipient.warnings == (
        "This number is saved under Dr. Jane Smith (Mercy Clinic), not Dr. Jones.",
    )
    assert field.is_ready()


def test_save_as_contact_offers_the_selected_number(field: RecipientsField, qtbot: QtBot) -> None:
    assert not field.save_button.isEnabled()
    field.add_text("415 555 0123")
    field.list.setCurrentRow(0)
    assert field.save_button.isEnabled()
    with qtbot.waitSignal(field.save_contact_requested) as asked:
        qtbot.mouseClick(field.save_button, Qt.MouseButton.LeftButton)
    assert asked.args[0].e164 == "+14155550123"


def test_a_possible_number_not_known_is_a_warning_as_on_the_command_line(
    field: RecipientsField, qtbot: QtBot
) -> None:
    qtbot.keyClicks(field.edit, "+1 (555) 010-0000")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    [recipient] = field.recipients()
    assert (recipient.e164, recipient.problem) == ("+15550100000", "")
    assert recipient.warnings == (NOT_KNOWN_WARNING,)
    assert field.list.item(0).text() == f"+1 555-010-0000  —  {NOT_KNOWN_WARNING}"
    assert field.numbers() == ["+15550100000"]
    assert field.is_ready()
    assert field.problems() == []


def test_the_typed_unknown_number_s_hint_says_to_check_it(
    field: RecipientsField, qtbot: QtBot
) -> None:
    qtbot.keyClicks(field.edit, "+1 555 555 0100")
    assert field.hint.text() == f"Sends to +1 555-555-0100. {NOT_KNOWN_WARNING}"
    assert not field.hint.property("error")


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("(555) 010-0000", "“(555) 010-0000” is not a valid number."),
        ("+1 555 010", "“+1 555 010” has too few or too many digits."),
    ],
)
def test_a_number_that_cannot_be_faxed_stays_an_error(
    field: RecipientsField, typed: str, problem: str
) -> None:
    field.add_text(typed)
    [recipient] = field.recipients()
    assert (recipient.e164, recipient.problem) == (None, problem)
    assert not field.is_ready()


def test_the_list_shows_every_recipient_up_to_six_then_scrolls(
    field: RecipientsField, qtbot: QtBot
) -> None:
    field.add_text("; ".join(f"415 555 01{n:02d}" for n in range(5)))
    row = field.list.sizeHintForRow(0)
    assert field.list.viewport().height() >= 5 * row  # every one shows
    field.add_text("; ".join(f"415 555 02{n:02d}" for n in range(5)))
    assert field.list.count() == 10
    assert 6 * row <= field.list.viewport().height() < 7 * row
    # The rest scroll into view.
    qtbot.waitUntil(lambda: field.list.verticalScrollBar().maximum() > 0, timeout=2000)
