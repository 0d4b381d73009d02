"""The contacts manager and the contact form, on a real phonebook file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from faxdesk.config.paths import Paths
from faxdesk.core.contacts import Contact
from faxdesk.services.contacts import ContactsService
from faxdesk.store.contacts import ContactBook
from faxdesk.ui.contacts_dialog import NO_CONTACTS, ContactEditDialog, ContactsDialog
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.recipients import NOT_KNOWN_WARNING
from tests.ui.controller_support import controller_for
from tests.waiting import until


def test_the_form_checks_the_number_as_it_is_typed(qtbot: QtBot) -> None:
    form = ContactEditDialog(Contact(name="", fax=""))
    qtbot.addWidget(form)
    assert form.windowTitle() == "New contact"
    assert not form.save_button.isEnabled()
    qtbot.keyClicks(form.fax_edit, "415 555")
    assert form.fax_hint.text() == "“415 555” has too few or too many digits."
    qtbot.keyClicks(form.fax_edit, " 0123")
    assert form.fax_hint.text() == "Give the contact a name or a company."
    assert not form.save_button.isEnabled()
    qtbot.keyClicks(form.name_edit, "Dr. Smith")
    assert form.fax_hint.text() == "Saved as +1 415-555-0123"
    with qtbot.waitSignal(form.contact_accepted) as accepted:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert accepted.args[0] == Contact(name="Dr. Smith", fax="+14155550123")


def test_the_form_saves_a_number_the_composer_sends_to_with_a_warning(qtbot: QtBot) -> None:
    form = ContactEditDialog(Contact(name="New clinic", fax=""))
    qtbot.addWidget(form)
    qtbot.keyClicks(form.fax_edit, "+1 (555) 010-0000")
    assert form.fax_hint.text() == f"Saved as +1 555-010-0000. {NOT_KNOWN_WARNING}"
    assert form.save_button.isEnabled()
    assert form.contact().fax == "+15550100000"


def test_the_list_filters_by_any_part(qtbot: QtBot) -> None:
    dialog = ContactsDialog()
    qtbot.addWidget(dialog)
    dialog.set_contacts(
        [
            Contact(id=1, name="Dr. Smith", company="Mercy", fax="+14155550123"),
            Contact(id=2, name="Lab", company="City Lab", fax="+442079460123", notes="results"),
        ]
    )
    assert dialog.table.item(0, 2).text() == "+1 415-555-0123"
    qtbot.keyClicks(dialog.filter_edit, "7946")
    assert [dialog.table.isRowHidden(row) for row in range(2)] == [True, False]
    dialog.filter_edit.clear()
    qtbot.keyClicks(dialog.filter_edit, "MERCY")
    assert [dialog.table.isRowHidden(row) for row in range(2)] == [False, True]


def test_the_empty_phonebook_says_how_to_fill_it(qtbot: QtBot) -> None:
    dialog = ContactsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.set_contacts([])
    assert dialog.placeholder.isVisible()
    assert dialog.placeholder.text() == NO_CONTACTS
    assert NO_CONTACTS == (
        "No contacts yet. Press New… to add one, or Import… to bring them in from a CSV or "
        "vCard (.vcf) file. A number typed in a new fax can be saved with Save as contact too."
    )
    assert dialog.table.viewport().rect().contains(dialog.placeholder.geometry())
    dialog.set_contacts([Contact(id=1, name="Dr. Smith", fax="+14155550123")])
    assert not dialog.placeholder.isVisible()
    qtbot.keyClicks(dialog.filter_edit, "Jones")
    assert dialog.placeholder.isVisible()
    assert dialog.placeholder.text() == "No contact matches “Jones”."
    dialog.filter_edit.clear()
    assert not dialog.placeholder.isVisible()


@pytest.fixture
def contacts(paths: Paths):
    book = ContactBook(paths.contacts_db)
    yield ContactsService(book)
    book.close()


def test_add_edit_delete_import_and_export_through_the_window(
    qtbot: QtBot, qloop, paths: Paths, contacts: ContactsService, tmp_path: Path
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    with controller_for(window, paths, qloop, contacts=contacts) as controller:

        async def scenario() -> None:
            window.contacts_action.trigger()
            presenter = controller.contacts
            dialog = presenter.dialog
            assert dialog is not None
            qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
            form = dialog.findChild(ContactEditDialog)
            qtbot.keyClicks(form.name_edit, "Dr. Smith")
            qtbot.keyClicks(form.fax_edit, "(415) 555-0123")
            qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
            await until(lambda: dialog.table.rowCount() == 1)
            assert dialog.message_label.text() == "Saved Dr. Smith."
            # The composer completes the new contact.
            completions = controller.composer.recipients.completer.model()
            assert completions.index(0, 0).data() == "Dr. Smith — +1 415-555-0123"

            source = tmp_path / "more.csv"
            source.write_text("Name,Company,Fax\nLab,City Lab,+44 20 7946 0123\nBad,,12\n")
            dialog.import_requested.emit(source)
            await until(lambda: dialog.table.rowCount() == 2)
            assert dialog.message_label.text() == (
                "1 contact imported, 1 left out.\nRow 3 (Bad): “12” has too few or too many digits."
            )

            dialog.table.selectRow(1)  # Lab, by name
            qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
            await until(lambda: dialog.table.rowCount() == 1)

            qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
            chooser = dialog.findChild(QFileDialog)
            assert chooser.isVisible()
            target = tmp_path / "out.csv"
            chooser.fileSelected.emit(str(target))
            await until(target.exists)

        qloop.run_until_complete(scenario())
    assert [c.name for c in qloop.run_until_complete(contacts.all())] == ["Dr. Smith"]
    assert (tmp_path / "out.csv").read_text().splitlines() == [
        "Name,Company,Fax,Notes",
        "Dr. Smith,,+14155550123,",
    ]


def test_a_recipient_is_saved_as_a_contact_from_the_composer(
    qtbot: QtBot, qloop, paths: Paths, contacts: ContactsService
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    with controller_for(window, paths, qloop, contacts=contacts) as controller:
        composer = controller.composer

        async def scenario() -> None:
            window.new_fax_requested.emit()
            composer.recipients.add_text("415 555 0123")
            composer.recipients.list.setCurrentRow(0)
            qtbot.mouseClick(composer.recipients.save_button, Qt.MouseButton.LeftButton)
            form = composer.findChild(ContactEditDialog)
            assert form.fax_edit.text() == "+1 415-555-0123"
            qtbot.keyClicks(form.name_edit, "Front desk")
            qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
            await until(lambda: composer.recipients.recipients()[0].saved_as == ("Front desk",))

        qloop.run_until_complete(scenario())
    assert [(c.name, c.fax) for c in qloop.run_until_complete(contacts.all())] == [
        ("Front desk", "+14155550123")
    ]
