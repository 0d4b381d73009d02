"""The phonebook's windows: a small contacts manager, the form that edits one contact, and
the presenter that connects them (and the composer) to the contacts service.

`ContactsDialog` lists the contacts (name, company, fax number, notes), filters them as the
user types, and announces what the user wants: add, edit, delete, import a CSV or vCard file,
export to CSV. `ContactEditDialog` edits one contact and checks its number as it is typed.
Neither reads or writes the phonebook: `ContactsPresenter` does, through the contacts service,
and answers with `set_contacts()` and `show_message()`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.contacts import Contact
from faxdesk.core.errors import FaxDeskError, ValidationError
from faxdesk.core.phone import display, fax_number
from faxdesk.services.contacts import ContactsService
from faxdesk.services.faxes import FaxService
from faxdesk.ui.composer import ComposerDialog
from faxdesk.ui.recipients import NOT_KNOWN_WARNING, Recipient
from faxdesk.ui.tasks import TaskKeeper
from faxdesk.ui.theme import message_colours

_CONTACT_ROLE = Qt.ItemDataRole.UserRole + 1


class ContactEditDialog(QDialog):
    """One contact's name, company, fax number and notes.

    Signals:
        contact_accepted(object): the edited Contact (its id kept), on Save.

    Attributes:
        name_edit, company_edit, fax_edit, notes_edit: the fields; `fax_hint` the number
            formatted or what is wrong with it; `save_button` saves.
        default_region: the region a number without a country code is read in.
    """

    contact_accepted = Signal(object)

    def __init__(
        self, contact: Contact, parent: QWidget | None = None, *, default_region: str = "US"
    ) -> None:
        super().__init__(parent)
        self.default_region = default_region
        self._contact = contact
        self.setWindowTitle("Edit contact" if contact.id else "New contact")
        self.name_edit = QLineEdit(contact.name, self)
        self.company_edit = QLineEdit(contact.company, self)
        self.fax_edit = QLineEdit(display(contact.fax) if contact.fax else "", self)
        self.fax_edit.setPlaceholderText("e.g. (415) 555-0123 or +44 20 7946 0123")
        self.notes_edit = QPlainTextEdit(contact.notes, self)
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setMaximumHeight(90)
        self.fax_hint = QLabel(self)
        self.fax_hint.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        form = QFormLayout(self)
        for text, field in (
            ("&Name:", self.name_edit),
            ("C&ompany:", self.company_edit),
            ("&Fax number:", self.fax_edit),
        ):
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field)
        form.addRow("", self.fax_hint)
        notes_label = QLabel("No&tes:", self)
        notes_label.setBuddy(self.notes_edit)
        form.addRow(notes_label, self.notes_edit)
        form.addRow(buttons)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        for edit in (self.name_edit, self.company_edit, self.fax_edit):
            edit.textChanged.connect(self._update)
        self.setMinimumWidth(420)
        self._update()

    def contact(self) -> Contact:
        """The contact as edited; its number in E.164 (call only when Save is enabled)."""
        return Contact(
            id=self._contact.id,
            name=self.name_edit.text().strip(),
            company=self.company_edit.text().strip(),
            fax=fax_number(self.fax_edit.text(), self.default_region).e164,
            notes=self.notes_edit.toPlainText().strip(),
        )

    def _update(self) -> None:
        text, error = "", False
        try:
            checked = fax_number(self.fax_edit.text(), self.default_region)
        except ValidationError as exc:
            number = None
            text, error = (str(exc), True) if self.fax_edit.text().strip() else ("", False)
        else:
            number = checked.e164
            text = f"Saved as {display(number)}"
            if not checked.known:
                text += f". {NOT_KNOWN_WARNING}"
        has_name = bool(self.name_edit.text().strip() or self.company_edit.text().strip())
        if number is not None and not has_name:
            text = "Give the contact a name or a company."
        palette = self.fax_hint.palette()
        colours = message_colours(self.palette())
        palette.setColor(
            self.fax_hint.foregroundRole(),
            colours.error_text if error else colours.success_text,
        )
        self.fax_hint.setPalette(palette)
        self.fax_hint.setText(text)
        self.save_button.setEnabled(number is not None and has_name)

    def _on_buttons_accepted(self) -> None:
        if not self.save_button.isEnabled():
            return
        self.contact_accepted.emit(self.contact())
        self.accept()


#: What the empty phonebook says, in the list itself.
NO_CONTACTS = (
    "No contacts yet. Press New… to add one, or Import… to bring them in from a CSV or "
    "vCard (.vcf) file. A number typed in a new fax can be saved with Save as contact too."
)


class ContactsDialog(QDialog):
    """The phonebook: find, add, edit, delete, import and export contacts.

    Signals:
        save_requested(object): save this Contact (new when its id is 0).
        delete_requested(object): delete this Contact.
        import_requested(object): import the contacts of this file Path.
        export_requested(object): export every contact to this CSV file Path.

    Attributes:
        filter_edit: filters the rows by any part of name, company, number or notes.
        table: the contacts; `add_button`, `edit_button`, `delete_button`, `import_button`,
            `export_button` the actions; `message_label` what the last action did;
            `placeholder` what the list says while it shows no contact (NO_CONTACTS when the
            phonebook is empty).
        default_region: the region numbers without a country code are read in.
    """

    save_requested = Signal(object)
    delete_requested = Signal(object)
    import_requested = Signal(object)
    export_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "US") -> None:
        super().__init__(parent)
        self.default_region = default_region
        self._contacts: list[Contact] = []
        self._editor: ContactEditDialog | None = None
        self._file_dialog: QFileDialog | None = None
        self.setWindowTitle("Contacts")
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Find a contact by name, company or number")
        self.filter_edit.setClearButtonEnabled(True)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Name", "Company", "Fax number", "Notes"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("Contacts")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 170)
        self.table.setColumnWidth(1, 170)
        self.table.setColumnWidth(2, 150)
        self.placeholder = QLabel(NO_CONTACTS, self.table.viewport())
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.table.viewport().installEventFilter(self)
        self.add_button = QPushButton("&New…", self)
        self.edit_button = QPushButton("&Edit…", self)
        self.delete_button = QPushButton("&Delete", self)
        self.import_button = QPushButton("&Import…", self)
        self.import_button.setToolTip("Add contacts from a CSV file or vCard (.vcf) file")
        self.export_button = QPushButton("E&xport…", self)
        self.export_button.setToolTip("Save every contact to a CSV file")
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)

        buttons = QHBoxLayout()
        for button in (
            self.add_button,
            self.edit_button,
            self.delete_button,
            self.import_button,
            self.export_button,
        ):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        layout.addWidget(close)
        self.resize(760, 460)

        close.rejected.connect(self.reject)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemActivated.connect(self._on_edit_button_clicked)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        delete_key.activated.connect(self._on_delete_button_clicked)
        self._update_buttons()

    def set_contacts(self, contacts: Sequence[Contact]) -> None:
        selected = self.selected_contact()
        self._contacts = list(contacts)
        self.table.setRowCount(len(self._contacts))
        for row, contact in enumerate(self._contacts):
            cells = (contact.name, contact.company, display(contact.fax), contact.notes)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text.replace("\n", " "))
                item.setData(_CONTACT_ROLE, contact)
                self.table.setItem(row, column, item)
            if selected is not None and contact.id == selected.id:
                self.table.selectRow(row)
        self._apply_filter()
        self._update_buttons()

    def selected_contact(self) -> Contact | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.data(_CONTACT_ROLE) if item is not None else None

    def show_message(self, text: str, *, error: bool = False) -> None:
        palette = self.message_label.palette()
        colours = message_colours(self.palette())
        palette.setColor(
            self.message_label.foregroundRole(),
            colours.error_text if error else colours.success_text,
        )
        self.message_label.setPalette(palette)
        self.message_label.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.placeholder.setGeometry(self.table.viewport().rect().adjusted(24, 24, -24, -24))
        return super().eventFilter(watched, event)

    def edit_contact(self, contact: Contact) -> ContactEditDialog:
        """Open the form for `contact` (new when its id is 0); Save announces it."""
        editor = ContactEditDialog(contact, self, default_region=self.default_region)
        editor.contact_accepted.connect(self.save_requested)
        self._editor = editor
        editor.open()
        return editor

    # -- handlers ------------------------------------------------------------------------------

    def _on_add_button_clicked(self) -> None:
        self.edit_contact(Contact(name="", fax=""))

    def _on_edit_button_clicked(self, *_args: object) -> None:
        contact = self.selected_contact()
        if contact is not None:
            self.edit_contact(contact)

    def _on_delete_button_clicked(self) -> None:
        contact = self.selected_contact()
        if contact is not None:
            self.delete_requested.emit(contact)

    def _on_import_button_clicked(self) -> None:
        dialog = QFileDialog(self, "Import contacts")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["Contacts (*.csv *.vcf *.vcard)", "All files (*)"])
        dialog.fileSelected.connect(lambda name: self.import_requested.emit(Path(name)))
        self._file_dialog = dialog
        dialog.open()

    def _on_export_button_clicked(self) -> None:
        dialog = QFileDialog(self, "Export contacts")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.selectFile("contacts.csv")
        dialog.fileSelected.connect(lambda name: self.export_requested.emit(Path(name)))
        self._file_dialog = dialog
        dialog.open()

    # -- helpers -------------------------------------------------------------------------------

    def _apply_filter(self) -> None:
        wanted = self.filter_edit.text().strip().casefold()
        digits = "".join(ch for ch in wanted if ch.isdigit())
        for row, contact in enumerate(self._contacts):
            text = " ".join((contact.name, contact.company, contact.notes)).casefold()
            shown = not wanted or wanted in text or (bool(digits) and digits in contact.fax)
            self.table.setRowHidden(row, not shown)
        hidden = all(self.table.isRowHidden(row) for row in range(self.table.rowCount()))
        if not self._contacts:
            self.placeholder.setText(NO_CONTACTS)
        else:
            self.placeholder.setText(f"No contact matches “{self.filter_edit.text().strip()}”.")
        self.placeholder.setVisible(hidden)

    def _update_buttons(self) -> None:
        selected = self.selected_contact() is not None
        self.edit_button.setEnabled(selected)
        self.delete_button.setEnabled(selected)
        self.export_button.setEnabled(bool(self._contacts))


class ContactsPresenter(QObject):
    """Carries out what the contacts manager and the composer ask of the phonebook.

    It keeps the composer's completer and warnings (`set_directory`) and the fax list's contact
    names in step with the phonebook, and reports each outcome next to where it was asked for.

    Attributes:
        dialog: the contacts manager, once opened.
    """

    def __init__(
        self,
        parent: QWidget,
        composer: ComposerDialog,
        contacts: ContactsService,
        faxes: FaxService,
        tasks: TaskKeeper,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._composer = composer
        self._contacts = contacts
        self._faxes = faxes
        self._tasks = tasks
        self._editor: ContactEditDialog | None = None
        self.dialog: ContactsDialog | None = None
        composer.save_contact_requested.connect(self._on_composer_save_contact_requested)

    @property
    def default_region(self) -> str:
        return self._contacts.default_region

    @default_region.setter
    def default_region(self, region: str) -> None:
        self._contacts.default_region = region

    def open_manager(self) -> ContactsDialog:
        if self.dialog is None:
            dialog = ContactsDialog(self._parent, default_region=self._contacts.default_region)
            dialog.save_requested.connect(self._on_dialog_save_requested)
            dialog.delete_requested.connect(self._on_dialog_delete_requested)
            dialog.import_requested.connect(self._on_dialog_import_requested)
            dialog.export_requested.connect(self._on_dialog_export_requested)
            self.dialog = dialog
        self.dialog.default_region = self._contacts.default_region
        self._tasks.start(self.refresh(), key="contacts")
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.close()

    async def refresh(self) -> None:
        """Read the phonebook and hand it to everyone who shows it."""
        contacts = await self._contacts.all()
        faxed = await self._faxes.sent_numbers()
        self._composer.recipients.set_directory(contacts, faxed)
        if self.dialog is not None:
            self.dialog.set_contacts(contacts)
        await self._faxes.set_contact_names({c.fax: c.label for c in contacts})

    # -- handlers ------------------------------------------------------------------------------

    def _on_composer_save_contact_requested(self, recipient: Recipient) -> None:
        if recipient.e164 is None:
            return
        editor = ContactEditDialog(
            Contact(name=recipient.name, fax=recipient.e164),
            self._composer,
            default_region=self._contacts.default_region,
        )
        editor.contact_accepted.connect(self._on_composer_editor_contact_accepted)
        self._editor = editor
        editor.open()

    def _on_composer_editor_contact_accepted(self, contact: Contact) -> None:
        self._tasks.start(self._save(contact, self._composer.show_error))

    def _on_dialog_save_requested(self, contact: Contact) -> None:
        self._tasks.start(self._save(contact, self._dialog_error))

    def _on_dialog_delete_requested(self, contact: Contact) -> None:
        self._tasks.start(self._delete(contact))

    def _on_dialog_import_requested(self, path: Path) -> None:
        self._tasks.start(self._import(path))

    def _on_dialog_export_requested(self, path: Path) -> None:
        self._tasks.start(self._export(path))

    # -- work ----------------------------------------------------------------------------------

    async def _save(self, contact: Contact, report: Callable[[str], None]) -> None:
        try:
            saved = await self._contacts.save(contact)
        except FaxDeskError as exc:
            report(str(exc))
            return
        if self.dialog is not None:
            self.dialog.show_message(f"Saved {saved.label}.")
        await self.refresh()

    async def _delete(self, contact: Contact) -> None:
        await self._contacts.delete(contact.id)
        if self.dialog is not None:
            self.dialog.show_message(f"Deleted {contact.label}.")
        await self.refresh()

    async def _import(self, path: Path) -> None:
        try:
            result = await self._contacts.import_file(path)
        except FaxDeskError as exc:
            self._dialog_error(str(exc))
            return
        if self.dialog is not None:
            lines = [result.summary(), *result.problems[:10]]
            if len(result.problems) > 10:
                lines.append(f"… and {len(result.problems) - 10} more left out.")
            self.dialog.show_message("\n".join(lines), error=bool(result.problems))
        await self.refresh()

    async def _export(self, path: Path) -> None:
        try:
            count = await self._contacts.export_csv(path)
        except OSError as exc:
            self._dialog_error(f"The contacts could not be saved to {path}: {exc.strerror or exc}")
            return
        if self.dialog is not None:
            self.dialog.show_message(f"Saved {count} contacts to {path}.")

    def _dialog_error(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.show_message(text, error=True)
