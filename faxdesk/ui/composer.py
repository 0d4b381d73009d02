"""The composer: a non-modal "New fax" dialog that collects documents and a recipient.

It validates what it can see (PDF file names, the number through `to_e164`) and, on Send,
announces a SendRequest with `send_requested`. It never sends, converts or opens a document:
the controller does, and reports back through `set_busy()`, `show_error()` and `reset()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faxdesk.core.errors import ValidationError
from faxdesk.core.models import Document, SendRequest
from faxdesk.core.phone import display, to_e164
from faxdesk.ui.icons import icon
from faxdesk.ui.theme import message_colours

PDF_MEDIA_TYPE = "application/pdf"
RECIPIENT_PLACEHOLDER = "Fax number, e.g. (415) 555-0123 — test number +1 989 898 9898"
DROP_HINT = "Drop PDF files here, or choose Add document…"

_PATH_ROLE = Qt.ItemDataRole.UserRole + 1
_PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 2


def local_paths(urls: Sequence[QUrl]) -> tuple[list[Path], list[str]]:
    """Split dropped URLs into local file paths and the text of those that are not local."""
    paths: list[Path] = []
    remote: list[str] = []
    for url in urls:
        if url.isLocalFile():
            paths.append(Path(url.toLocalFile()))
        else:
            remote.append(url.toDisplayString())
    return paths, remote


class _DocumentList(QListWidget):
    """The documents list; paints a hint while empty (drops are handled by the dialog)."""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count():
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            self.viewport().rect().adjusted(12, 12, -12, -12),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            DROP_HINT,
        )
        painter.end()


class ComposerDialog(QDialog):
    """The "New fax" form: documents (drop, add, remove) and one recipient number.

    Used non-modally: the controller calls `show()` or `open()`, never `exec()`. Send does not
    close the dialog; the controller calls `set_busy()`, then `reset()` and `close()` when the
    fax is in the outbox, or `show_error()` when it is not.

    Signals:
        send_requested(object): a SendRequest with the E.164 recipient in `to` and one
            application/pdf Document per file, in list order.
        documents_added(list): the paths just added, for the controller to inspect.

    Attributes:
        default_region: the region numbers without a country code are read in ("US").
        documents_list, add_button, remove_button, recipient_edit, send_button, cancel_button:
            the form's widgets.
        recipient_hint: the line under the number: the formatted number, or what is wrong.
        documents_message: rejected drops ("Only PDF documents can be sent for now: NAME").
        message_label: the message area at the bottom (errors from the controller).
    """

    send_requested = Signal(object)
    documents_added = Signal(list)

    ERROR_DELAY_MS = 700

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "US") -> None:
        super().__init__(parent)
        self.default_region = default_region
        self._e164: str | None = None
        self._busy = False
        self._last_directory = ""
        self._file_dialog: QFileDialog | None = None
        self.setWindowTitle("New fax")
        self.setModal(False)
        self.setAcceptDrops(True)
        self.setMinimumWidth(460)

        documents_label = QLabel("&Documents:", self)
        self.documents_list = _DocumentList(self)
        self.documents_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.documents_list.setAcceptDrops(False)  # drops go to the dialog
        self.documents_list.setMinimumHeight(120)
        self.documents_list.setAccessibleName("Documents to send")
        documents_label.setBuddy(self.documents_list)

        self.add_button = QPushButton("&Add document…", self)
        self.add_button.setAutoDefault(False)
        self.remove_button = QPushButton("&Remove", self)
        self.remove_button.setAutoDefault(False)
        self.remove_button.setToolTip("Remove the selected documents (Delete)")
        self.documents_message = self._message_label()

        recipient_label = QLabel("&To:", self)
        self.recipient_edit = QLineEdit(self)
        self.recipient_edit.setPlaceholderText(RECIPIENT_PLACEHOLDER)
        self.recipient_edit.setAccessibleName("Recipient fax number")
        self.recipient_edit.setClearButtonEnabled(True)
        recipient_label.setBuddy(self.recipient_edit)
        self.recipient_hint = QLabel(self)
        self.recipient_hint.setWordWrap(True)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress_label = QLabel(self)
        self.message_label = self._message_label()

        self.send_button = QPushButton("&Send", self)
        self.send_button.setDefault(True)
        self.send_button.setToolTip("Send the fax (Ctrl+Return)")
        buttons = QDialogButtonBox(self)
        # ActionRole: Send must not close the dialog; the controller decides when it is done.
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAutoDefault(False)

        document_buttons = QHBoxLayout()
        document_buttons.addWidget(self.add_button)
        document_buttons.addWidget(self.remove_button)
        document_buttons.addStretch(1)
        busy_row = QHBoxLayout()
        busy_row.addWidget(self.progress, 1)
        busy_row.addWidget(self.progress_label)

        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        layout.addWidget(documents_label)
        layout.addWidget(self.documents_list, 1)
        layout.addLayout(document_buttons)
        layout.addWidget(self.documents_message)
        layout.addSpacing(8)
        layout.addWidget(recipient_label)
        layout.addWidget(self.recipient_edit)
        layout.addWidget(self.recipient_hint)
        layout.addSpacing(4)
        layout.addLayout(busy_row)
        layout.addWidget(self.message_label)
        layout.addWidget(buttons)

        self.setTabOrder(self.documents_list, self.add_button)
        self.setTabOrder(self.add_button, self.remove_button)
        self.setTabOrder(self.remove_button, self.recipient_edit)
        self.setTabOrder(self.recipient_edit, self.send_button)
        self.setTabOrder(self.send_button, self.cancel_button)

        self._error_timer = QTimer(self)
        self._error_timer.setSingleShot(True)
        self._error_timer.setInterval(self.ERROR_DELAY_MS)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.activated.connect(self._on_send_shortcut_activated)

        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.send_button.clicked.connect(self._on_send_button_clicked)
        self.cancel_button.clicked.connect(self.reject)
        self.recipient_edit.textChanged.connect(self._on_recipient_edit_text_changed)
        self.recipient_edit.editingFinished.connect(self._on_recipient_edit_editing_finished)
        self._error_timer.timeout.connect(self._on_error_timer_timeout)
        self.documents_list.itemSelectionChanged.connect(self._update_buttons)
        self.documents_list.installEventFilter(self)

        self._apply_icons()
        self.reset()

    # -- public API ----------------------------------------------------------------------------

    def add_paths(self, paths: Sequence[Path]) -> list[Path]:
        """Add the PDF files among `paths`; say inline why any others were left out.

        Returns the paths added (duplicates of listed files are skipped silently).
        """
        added: list[Path] = []
        problems: list[str] = []
        listed = {item_path.resolve() for item_path in self.document_paths()}
        for path in paths:
            if not path.is_file():
                problems.append(f"Not a file that can be sent: {path.name or path}")
            elif path.suffix.lower() != ".pdf":
                problems.append(f"Only PDF documents can be sent for now: {path.name}")
            elif path.resolve() not in listed:
                listed.add(path.resolve())
                added.append(path)
                self._add_item(path)
        self._show_message(self.documents_message, "\n".join(problems))
        self._update_buttons()
        if added:
            self.documents_added.emit(added)
        return added

    def document_paths(self) -> list[Path]:
        """The listed files, in order."""
        return [
            self.documents_list.item(row).data(_PATH_ROLE)
            for row in range(self.documents_list.count())
        ]

    def documents(self) -> tuple[Document, ...]:
        return tuple(Document(path, PDF_MEDIA_TYPE) for path in self.document_paths())

    def recipient(self) -> str | None:
        """The recipient as E.164, or None while the number is not valid."""
        return self._e164

    def set_document_info(self, path: Path, text: str) -> None:
        """Show `text` (e.g. "3 pages") beside the document `path`; "" removes it."""
        for row in range(self.documents_list.count()):
            item = self.documents_list.item(row)
            if item.data(_PATH_ROLE) == path:
                item.setText(f"{path.name}  —  {text}" if text else path.name)

    def set_document_problem(self, path: Path, text: str) -> None:
        """Mark the document `path` as unsendable because of `text`; Send stays disabled
        until it is removed."""
        for row in range(self.documents_list.count()):
            item = self.documents_list.item(row)
            if item.data(_PATH_ROLE) == path:
                item.setData(_PROBLEM_ROLE, text)
                item.setIcon(icon("status-failed"))
                # Problems usually start with the file name already.
                item.setText(text if text.startswith(path.name) else f"{path.name}  —  {text}")
                item.setToolTip(f"{path}\n{text}")
        self._update_buttons()

    def document_problems(self) -> list[str]:
        """What is wrong with the listed documents, one text per problem document."""
        return [
            problem
            for row in range(self.documents_list.count())
            if (problem := self.documents_list.item(row).data(_PROBLEM_ROLE))
        ]

    def set_busy(self, busy: bool, text: str = "") -> None:
        """Lock the form while the fax is being handed over, with `text` (default "Sending…")."""
        self._busy = busy
        # Cancel too: the upload cannot be taken back once it has started, so closing the
        # form would only hide the outcome.
        for widget in (
            self.documents_list,
            self.add_button,
            self.recipient_edit,
            self.cancel_button,
        ):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)
        self.progress_label.setText(text or "Sending…")
        if busy:
            self._show_message(self.message_label, "")
        self._update_buttons()

    def is_busy(self) -> bool:
        return self._busy

    def show_error(self, text: str) -> None:
        """Show `text` in the message area at the bottom (selectable, so it can be copied)."""
        self._show_message(self.message_label, text)

    def reset(self) -> None:
        """Empty the form for the next fax."""
        self.documents_list.clear()
        self.recipient_edit.clear()
        self._e164 = None
        self._error_timer.stop()
        self._show_message(self.documents_message, "")
        self._show_message(self.message_label, "")
        self.recipient_hint.clear()
        self.recipient_hint.hide()
        self.set_busy(False)
        self.recipient_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- Qt overrides --------------------------------------------------------------------------

    def reject(self) -> None:
        """Close the form (Cancel, Esc), except while a fax is being handed over."""
        if not self._busy:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._busy:
            event.ignore()
        else:
            super().closeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept_file_drag(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_file_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if self._busy or not event.mimeData().hasUrls():
            event.ignore()
            return
        paths, remote = local_paths(event.mimeData().urls())
        event.acceptProposedAction()
        self.add_paths(paths)
        if remote:
            extra = "\n".join(f"Only files on this computer can be added: {url}" for url in remote)
            current = self.documents_message.text()
            self._show_message(self.documents_message, f"{current}\n{extra}".strip())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.documents_list
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
            and not self._busy
        ):
            self._remove_selected()
            return True
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_icons()
            self._apply_message_colours()
        super().changeEvent(event)

    # -- handlers ------------------------------------------------------------------------------

    def _on_add_button_clicked(self) -> None:
        self._choose_files()

    def _on_remove_button_clicked(self) -> None:
        self._remove_selected()

    def _on_send_button_clicked(self) -> None:
        self._request_send()

    def _on_send_shortcut_activated(self) -> None:
        self._request_send()

    def _on_recipient_edit_text_changed(self, text: str) -> None:
        self._validate(text, show_error=False)
        self._error_timer.start()

    def _on_recipient_edit_editing_finished(self) -> None:
        self._error_timer.stop()
        self._validate(self.recipient_edit.text(), show_error=True)

    def _on_error_timer_timeout(self) -> None:
        self._validate(self.recipient_edit.text(), show_error=True)

    def _on_file_dialog_files_selected(self, files: list[str]) -> None:
        paths = [Path(name) for name in files]
        if paths:
            self._last_directory = str(paths[0].parent)
        self.add_paths(paths)

    # -- helpers -------------------------------------------------------------------------------

    def _accept_file_drag(self, event: QDragEnterEvent | QDragMoveEvent) -> None:
        # Any URL is welcome while idle: a refused one is explained on drop, not silently.
        if not self._busy and event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def _choose_files(self) -> None:
        """Open the file chooser without blocking; chosen files arrive in `add_paths()`.

        The one place the dialog asks the user for files, so tests can replace it.
        """
        if self._file_dialog is None:
            self._file_dialog = QFileDialog(self, "Add documents", self._last_directory)
            self._file_dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
            self._file_dialog.setNameFilters(["PDF documents (*.pdf)", "All files (*)"])
            self._file_dialog.filesSelected.connect(self._on_file_dialog_files_selected)
        elif self._last_directory:
            self._file_dialog.setDirectory(self._last_directory)
        self._file_dialog.open()

    def _request_send(self) -> None:
        if not self.send_button.isEnabled() or self._e164 is None:
            return
        self._show_message(self.message_label, "")
        self.send_requested.emit(SendRequest(to=(self._e164,), documents=self.documents()))

    def _validate(self, text: str, *, show_error: bool) -> None:
        self._e164 = None
        hint = ""
        error = False
        if text.strip():
            try:
                self._e164 = to_e164(text, self.default_region)
            except ValidationError as exc:
                hint, error = str(exc), True
            else:
                hint = f"Sends to {display(self._e164)}"
        if error and not show_error:
            hint = ""
        self.recipient_hint.setProperty("error", error)
        self.recipient_hint.setText(hint)
        self.recipient_hint.setVisible(bool(hint))
        self._apply_message_colours()
        self._update_buttons()

    def _add_item(self, path: Path) -> None:
        item = QListWidgetItem(icon("document"), path.name)
        item.setData(_PATH_ROLE, path)
        item.setToolTip(str(path))
        self.documents_list.addItem(item)

    def _remove_selected(self) -> None:
        for item in self.documents_list.selectedItems():
            self.documents_list.takeItem(self.documents_list.row(item))
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self._busy
        self.remove_button.setEnabled(idle and bool(self.documents_list.selectedItems()))
        self.send_button.setEnabled(
            idle
            and self.documents_list.count() > 0
            and not self.document_problems()
            and self._e164 is not None
        )

    def _message_label(self) -> QLabel:
        label = QLabel(self)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        label.setProperty("error", True)
        label.hide()
        return label

    def _show_message(self, label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))
        self._apply_message_colours()

    def _apply_message_colours(self) -> None:
        colours = message_colours(self.palette())
        for label in (self.documents_message, self.message_label, self.recipient_hint):
            palette = label.palette()
            colour = colours.error_text if label.property("error") else colours.success_text
            palette.setColor(QPalette.ColorRole.WindowText, colour)
            label.setPalette(palette)

    def _apply_icons(self) -> None:
        self.add_button.setIcon(icon("add-document"))
        self.remove_button.setIcon(icon("remove"))
        self.send_button.setIcon(icon("send"))
        for row in range(self.documents_list.count()):
            self.documents_list.item(row).setIcon(icon("document"))
