"""The composer's recipients: fax numbers as people type or paste them, checked as they go.

A number typed in the field is added with Enter, `;` or `,`; a pasted list is split on `;`,
`,` and new lines; a contact picked from the completer is added with its name. Each recipient
is checked with phonenumbers against the default region (`faxdesk.core.phone.fax_number`, the
rule the command line follows too) and shown formatted, or marked with what is wrong; one with
a problem goes back into the field to be corrected (double-click, F2 or Enter). Warnings never
block: a number in full international form that the number data does not know (it goes to the
service as typed), a number never faxed before, a number saved under another contact. The
widget only knows what it is told (`set_directory`); it never reads the phonebook or the
archive itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.contacts import Contact
from faxdesk.core.errors import ValidationError
from faxdesk.core.phone import display, fax_number
from faxdesk.ui.icons import icon
from faxdesk.ui.theme import message_colours

RECIPIENT_PLACEHOLDER = "Fax number or contact, e.g. (415) 555-0123 — test number +1 989 898 9898"

#: The warning on a number in full international form that FaxDesk's number data does not know.
NOT_KNOWN_WARNING = "This is not a known fax number: check it before you send."

_SEPARATORS = re.compile(r"[;,\n\r]+")
_INDEX_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class Recipient:
    """One recipient as entered.

    Attributes:
        text: what was typed or pasted.
        e164: the number in international form, or None when `problem` says why not.
        problem: what is wrong with `text` ("" when it is a valid number).
        name: the contact it was picked as ("" when typed).
        warnings: things to check that do not stop the fax.
        saved_as: the contacts saved with this number, as they read ("Dr. Smith (Mercy)").
    """

    text: str
    e164: str | None
    problem: str = ""
    name: str = ""
    warnings: tuple[str, ...] = ()
    saved_as: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        if self.e164 is None:
            return f"{self.text}  —  {self.problem}"
        who = self.name or (self.saved_as[0] if self.saved_as else "")
        return f"{who}  —  {display(self.e164)}" if who else display(self.e164)


def split_numbers(text: str) -> list[str]:
    """The numbers of a pasted list, separated by `;`, `,` or new lines; blanks dropped."""
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


class _RecipientEdit(QLineEdit):
    """The line the next number is typed in; a paste is handed to the field to split."""

    pasted = Signal(object)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.pasted.emit(QGuiApplication.clipboard().mimeData())
            return
        super().keyPressEvent(event)
        plain = not event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            # Enter adds the number; it must never reach the dialog and send the fax.
            event.accept()


class RecipientsField(QWidget):
    """Recipients of one fax.

    Signals:
        changed(): recipients were added, removed or corrected (or the typed text changed).
        files_pasted(list): local file paths pasted into the field (documents, not numbers).
        image_pasted(object): a QImage pasted into the field (a picture, not a number).
        save_contact_requested(object): the Recipient to save as a contact.

    Attributes:
        edit: where numbers are typed; `list` the recipients added; `hint` the line under them
            (the typed number formatted, or what is wrong with it); `save_button` saves the
            selected recipient as a contact; `default_region` reads national numbers.
    """

    changed = Signal()
    files_pasted = Signal(list)
    image_pasted = Signal(object)
    save_contact_requested = Signal(object)

    #: A typed number's problem shows once typing has paused this long (or the field is left).
    ERROR_DELAY_MS = 700
    #: The list grows with the recipients up to this many rows, then scrolls.
    VISIBLE_ROWS = 6

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "US") -> None:
        super().__init__(parent)
        self.default_region = default_region
        self._recipients: list[Recipient] = []
        self._contacts: list[Contact] = []
        self._faxed: frozenset[str] | None = None
        self._completions: dict[str, Contact] = {}
        self._editing_name = ""
        self._show_error = False

        self.edit = _RecipientEdit(self)
        self.edit.setPlaceholderText(RECIPIENT_PLACEHOLDER)
        self.edit.setAccessibleName("Recipient fax number")
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip(
            "Type a number and press Enter to add another. A list pasted with ; , or one "
            "number a line is split. Names from your contacts are completed as you type."
        )
        self._completion_model = QStringListModel(self)
        self.completer = QCompleter(self._completion_model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(self.completer)

        self.list = QListWidget(self)
        self.list.setAccessibleName("Recipients")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.hide()
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.hide()
        self.save_button = QPushButton("Save as co&ntact…", self)
        self.save_button.setAutoDefault(False)
        self.save_button.setToolTip("Save the selected (or typed) number in your contacts")
        self.save_button.setEnabled(False)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.list)
        layout.addWidget(self.hint)

        self._error_timer = QTimer(self)
        self._error_timer.setSingleShot(True)
        self._error_timer.setInterval(self.ERROR_DELAY_MS)
        self._error_timer.timeout.connect(self._on_edit_editing_finished)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self.edit.returnPressed.connect(self._on_edit_return_pressed)
        self.edit.editingFinished.connect(self._on_edit_editing_finished)
        self.edit.pasted.connect(self._on_edit_pasted)
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.list.itemSelectionChanged.connect(self._update_save_button)
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.list.installEventFilter(self)

    # -- public API ----------------------------------------------------------------------------

    def set_directory(self, contacts: Sequence[Contact], faxed: Iterable[str] | None) -> None:
        """What the warnings and the completer know: the contacts, and every number faxed
        before (None while that is not known yet, which shows no "never faxed" warning)."""
        self._contacts = list(contacts)
        self._faxed = frozenset(faxed) if faxed is not None else None
        self._completions = {
            f"{contact.label} — {display(contact.fax)}": contact for contact in self._contacts
        }
        self._completion_model.setStringList(list(self._completions))
        self._recipients = [self._check(r.text, r.name) for r in self._recipients]
        self._refresh()

    def add_text(self, text: str) -> list[Recipient]:
        """Add every number in `text` (a list is split); returns the recipients added."""
        added = []
        for part in split_numbers(text):
            recipient = self._recipient_for(part)
            if recipient.e164 is not None and recipient.e164 in self.numbers():
                continue  # listed already
            self._recipients.append(recipient)
            added.append(recipient)
        self._refresh()
        return added

    def recipients(self) -> list[Recipient]:
        """The recipients added, and the one being typed (when there is text)."""
        pending = self.edit.text().strip()
        extra = [self._check(pending, self._editing_name)] if pending else []
        return [*self._recipients, *extra]

    def numbers(self) -> list[str]:
        """The valid numbers, E.164, in order, each once."""
        return list(dict.fromkeys(r.e164 for r in self.recipients() if r.e164 is not None))

    def problems(self) -> list[str]:
        return [f"{r.text}: {r.problem}" for r in self.recipients() if r.e164 is None]

    def is_ready(self) -> bool:
        """At least one recipient, and none with a problem."""
        recipients = self.recipients()
        return bool(recipients) and all(r.e164 is not None for r in recipients)

    def clear(self) -> None:
        self._recipients = []
        self._editing_name = ""
        self._show_error = False
        self.edit.clear()
        self._refresh()

    def remove_selected(self) -> None:
        rows = sorted((self.list.row(item) for item in self.list.selectedItems()), reverse=True)
        for row in rows:
            del self._recipients[row]
        self._refresh()

    # -- Qt overrides --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.list
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.remove_selected()
                return True
            if event.key() == Qt.Key.Key_F2 and self.list.currentItem() is not None:
                self._correct(self.list.currentRow())
                return True
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._refresh()
        super().changeEvent(event)

    # -- handlers ------------------------------------------------------------------------------

    def _on_edit_text_changed(self, text: str) -> None:
        if text and text[-1] in ";,":
            self._commit_typed()
            return
        self._show_error = False
        self._error_timer.start()
        self._refresh()

    def _on_edit_return_pressed(self) -> None:
        if self.completer.popup().isVisible():
            return  # Enter picks the completion first; the next Enter adds it
        self._commit_typed()

    def _on_edit_editing_finished(self) -> None:
        self._error_timer.stop()
        self._show_error = True
        self._refresh()

    def _on_edit_pasted(self, mime: object) -> None:
        if not isinstance(mime, QMimeData):
            return
        files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        if files:
            self.files_pasted.emit([Path(name) for name in files])
            return
        if mime.hasImage() and not mime.hasText():
            self.image_pasted.emit(mime.imageData())
            return
        text = mime.text()
        if _SEPARATORS.search(text.strip()):
            self._commit_typed()
            self.add_text(text)
        else:
            self.edit.insert(text)

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        self._correct(self.list.row(item))

    def _on_save_button_clicked(self) -> None:
        chosen = self._selected_or_typed()
        if chosen is not None:
            self.save_contact_requested.emit(chosen)

    # -- helpers -------------------------------------------------------------------------------

    def _commit_typed(self) -> None:
        text = self.edit.text().strip().rstrip(";,")
        name, self._editing_name = self._editing_name, ""
        self.edit.blockSignals(True)
        self.edit.clear()
        self.edit.blockSignals(False)
        if text:
            recipient = self._recipient_for(text, name)
            if recipient.e164 is None or recipient.e164 not in self.numbers():
                self._recipients.append(recipient)
        self._show_error = False
        self._refresh()

    def _correct(self, row: int) -> None:
        """Take the recipient at `row` back into the field, to be corrected."""
        if not 0 <= row < len(self._recipients):
            return
        recipient = self._recipients.pop(row)
        self._commit_typed()
        self._editing_name = recipient.name
        self.edit.blockSignals(True)
        self.edit.setText(recipient.text)
        self.edit.blockSignals(False)
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.edit.selectAll()
        self._show_error = True
        self._refresh()

    def _recipient_for(self, text: str, name: str = "") -> Recipient:
        contact = self._completions.get(text)
        if contact is not None:
            return self._check(contact.fax, contact.name or contact.company)
        return self._check(text, name)

    def _check(self, text: str, name: str = "") -> Recipient:
        try:
            number = fax_number(text, self.default_region)
        except ValidationError as exc:
            return Recipient(text=text, e164=None, problem=str(exc), name=name)
        e164 = number.e164
        saved = [contact for contact in self._contacts if contact.fax == e164]
        saved_as = tuple(contact.label for contact in saved)
        warnings: list[str] = []
        if not number.known:
            # The command line sends it too: the service has the last word on new ranges.
            warnings.append(NOT_KNOWN_WARNING)
        if self._faxed is not None and e164 not in self._faxed:
            warnings.append("No fax has been sent to this number before: check it.")
        names = {contact.name.casefold() for contact in saved} | {
            contact.company.casefold() for contact in saved
        }
        if name and saved and name.casefold() not in names:
            warnings.append(f"This number is saved under {', '.join(saved_as)}, not {name}.")
        elif name and not saved:
            others = [
                c
                for c in self._contacts
                if name.casefold() in (c.name.casefold(), c.company.casefold())
            ]
            if others:
                warnings.append(f"{name}'s saved number is {display(others[0].fax)}, not this one.")
        return Recipient(
            text=text, e164=e164, name=name, warnings=tuple(warnings), saved_as=saved_as
        )

    def _fit_list(self) -> None:
        """Make the list as tall as its rows, up to VISIBLE_ROWS of them."""
        rows = min(self.list.count(), self.VISIBLE_ROWS)
        if not rows:
            return
        height = rows * self.list.sizeHintForRow(0) + 2 * self.list.frameWidth()
        self.list.setFixedHeight(height)

    def _selected_or_typed(self) -> Recipient | None:
        row = self.list.currentRow()
        if self.list.selectedItems() and 0 <= row < len(self._recipients):
            chosen = self._recipients[row]
        else:
            pending = self.edit.text().strip()
            chosen = self._check(pending, self._editing_name) if pending else None
        return chosen if chosen is not None and chosen.e164 is not None else None

    def _update_save_button(self) -> None:
        self.save_button.setEnabled(self._selected_or_typed() is not None)

    def _refresh(self) -> None:
        colours = message_colours(self.palette())
        self.list.clear()
        for row, recipient in enumerate(self._recipients):
            item = QListWidgetItem(recipient.describe())
            item.setData(_INDEX_ROLE, row)
            tips = [recipient.problem] if recipient.problem else list(recipient.warnings)
            if recipient.e164 is None:
                item.setIcon(icon("status-failed"))
                item.setForeground(colours.error_text)
                tips.append("Double-click or press F2 to correct it.")
            elif recipient.warnings:
                item.setIcon(icon("status-queued"))
                item.setText(f"{recipient.describe()}  —  {recipient.warnings[0]}")
            else:
                item.setIcon(icon("status-completed"))
            item.setToolTip("\n".join(tips))
            self.list.addItem(item)
        self.list.setVisible(bool(self._recipients))
        self._fit_list()

        hint, error = "", False
        pending = self.edit.text().strip()
        if pending:
            recipient = self._check(pending, self._editing_name)
            if recipient.e164 is None:
                hint, error = (recipient.problem, True) if self._show_error else ("", False)
            else:
                hint = f"Sends to {recipient.describe()}"
                if recipient.warnings:
                    hint += f". {' '.join(recipient.warnings)}"
        elif self._recipients and not all(r.e164 for r in self._recipients):
            hint, error = "Correct the marked numbers, or remove them (Delete).", True
        palette = self.hint.palette()
        palette.setColor(
            QPalette.ColorRole.WindowText, colours.error_text if error else colours.success_text
        )
        self.hint.setPalette(palette)
        self.hint.setProperty("error", error)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self._update_save_button()
        self.changed.emit()
