"""The composer: a non-modal "New fax" dialog that collects documents, recipients and options.

Documents come by drop (several at once, any kind FaxDesk converts), paste (files copied in a
file manager, or a picture such as a screenshot) and a file dialog; they can be reordered
(buttons, Alt+Up/Down, drag) and removed, and each shows the page count, thumbnail or problem
the controller reports for it. Recipients are a `RecipientsField`; the options a
`SendOptionsForm`. On Send the dialog announces a SendRequest with `send_requested`. It never
sends, converts or opens a document: the controller does, and reports back through
`set_document_info()`, `set_document_problem()`, `set_document_thumbnail()`, `set_busy()`,
`show_error()` and `reset()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from faxdesk.config.settings import SendingDefaults
from faxdesk.core.models import Document, SendRequest
from faxdesk.services.limits import pages_problem
from faxdesk.ui.icons import icon
from faxdesk.ui.preview import PreviewPane
from faxdesk.ui.recipients import RECIPIENT_PLACEHOLDER, RecipientsField
from faxdesk.ui.send_options import SendOptionsForm
from faxdesk.ui.theme import message_colours

__all__ = ["RECIPIENT_PLACEHOLDER", "ComposerDialog", "local_paths"]

DROP_HINT = "Drop documents here (PDF, Word, images, text), paste them, or choose Add…"

#: What the file dialog offers; conversion decides what a file really is.
DOCUMENT_FILTERS = (
    "Documents (*.pdf *.docx *.doc *.odt *.tif *.tiff *.jpg *.jpeg *.png *.gif *.bmp"
    " *.txt *.html *.htm)",
    "All files (*)",
)

THUMBNAIL_SIZE = QSize(44, 57)

_PATH_ROLE = Qt.ItemDataRole.UserRole + 1
_PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 2
_INFO_ROLE = Qt.ItemDataRole.UserRole + 3
_THUMBNAIL_ROLE = Qt.ItemDataRole.UserRole + 4
_PAGES_ROLE = Qt.ItemDataRole.UserRole + 5


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
    """The documents; rows are dragged to reorder them, files dropped on it go to the dialog.

    Signals:
        urls_dropped(object): the QMimeData of a drop from outside (files to add).
        moved(): rows were reordered by dragging.
    """

    urls_dropped = Signal(object)
    moved = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setIconSize(THUMBNAIL_SIZE)
        self.setSpacing(2)
        self.setWordWrap(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and event.source() is not self:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasUrls() and event.source() is not self:
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if event.source() is not self and event.mimeData().hasUrls():
            event.acceptProposedAction()
            self.urls_dropped.emit(event.mimeData())
            return
        super().dropEvent(event)
        self.moved.emit()

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
    """The "New fax" form: documents, recipients, options, and a preview of the documents.

    Used non-modally: the controller calls `show()` or `open()`, never `exec()`. Send does not
    close the dialog; the controller calls `set_busy()`, then `reset()` and `close()` when the
    fax is in the outbox, or `show_error()` when it is not.

    Signals:
        send_requested(object): a SendRequest with the E.164 recipients in `to`, one Document
            per listed file (as listed, in order) and the options of the form.
        documents_added(list): the paths just added, for the controller to inspect.
        document_selected(object): the Path of the document now selected, or None.
        save_contact_requested(object): a Recipient to save as a contact.
        password_entered(object, str): the path of an encrypted PDF and the password typed
            for it; the field is cleared as it is sent, and the form keeps no copy.
        image_pasted(object): a QImage pasted (a screenshot, a copied picture), for the
            controller to save as a file and add with `add_paths()`.

    Attributes:
        default_region: the region numbers without a country code are read in ("US").
        documents_list, add_button, remove_button, up_button, down_button: the documents.
        recipients: the RecipientsField; `recipient_edit` and `recipient_hint` are its line
            and hint.
        options: the SendOptionsForm.
        preview: the PreviewPane showing the selected document.
        send_button, cancel_button, progress, progress_label: the bottom row.
        documents_message: files that could not be added, and why.
        pages_message: the documents' pages over the page limit (`set_page_limit()`), said as
            soon as they are counted; Send stays disabled while it shows.
        password_label, password_edit, password_button: the row that asks for the password
            of an encrypted PDF (`ask_password()`); hidden while no document needs one.
        message_label: the message area at the bottom (errors from the controller).
    """

    send_requested = Signal(object)
    documents_added = Signal(list)
    document_selected = Signal(object)
    save_contact_requested = Signal(object)
    password_entered = Signal(object, str)
    image_pasted = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, default_region: str = "US") -> None:
        super().__init__(parent)
        self._busy = False
        self._defaults = SendingDefaults()
        self._last_directory = ""
        self._file_dialog: QFileDialog | None = None
        self._max_pages = 100
        #: The documents waiting for a password, in the order they were asked about, with the
        #: question to ask; the password row asks about the first.
        self._locked: dict[Path, str] = {}
        self.setWindowTitle("New fax")
        self.setModal(False)
        self.setAcceptDrops(True)
        self.setMinimumSize(720, 560)
        self.resize(1000, 720)

        recipient_label = QLabel("&To:", self)
        self.recipients = RecipientsField(self, default_region=default_region)
        self.recipient_edit = self.recipients.edit
        self.recipient_hint = self.recipients.hint
        recipient_label.setBuddy(self.recipient_edit)

        documents_label = QLabel("&Documents:", self)
        self.documents_list = _DocumentList(self)
        self.documents_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.documents_list.setMinimumHeight(140)
        self.documents_list.setAccessibleName("Documents to send")
        documents_label.setBuddy(self.documents_list)

        self.add_button = QPushButton("&Add…", self)
        self.add_button.setToolTip("Add documents from a folder (or paste copied files, Ctrl+V)")
        self.remove_button = QPushButton("&Remove", self)
        self.remove_button.setToolTip("Remove the selected documents (Delete)")
        self.up_button = QPushButton("&Up", self)
        self.up_button.setToolTip("Move the selected document up (Alt+Up)")
        self.down_button = QPushButton("Do&wn", self)
        self.down_button.setToolTip("Move the selected document down (Alt+Down)")
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            button.setAutoDefault(False)
        self.documents_message = self._message_label()
        self.pages_message = self._message_label()

        self.password_label = QLabel(self)
        self.password_label.setWordWrap(True)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName("Password of the document")
        self.password_edit.setPlaceholderText("Password")
        self.password_label.setBuddy(self.password_edit)
        self.password_button = QPushButton("&Open", self)
        self.password_button.setAutoDefault(False)
        self.password_button.setToolTip("Open the document with this password (Return)")
        self._password_row = QWidget(self)
        password_fields = QHBoxLayout()
        password_fields.addWidget(self.password_edit, 1)
        password_fields.addWidget(self.password_button)
        password_box = QVBoxLayout(self._password_row)
        password_box.setContentsMargins(0, 0, 0, 0)
        password_box.addWidget(self.password_label)
        password_box.addLayout(password_fields)
        self._password_row.hide()

        self.options = SendOptionsForm(self, default_region=default_region)
        options_area = QScrollArea(self)
        options_area.setWidget(self.options)
        options_area.setWidgetResizable(True)
        options_area.setFrameShape(QFrame.Shape.NoFrame)
        options_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Not a Tab stop of its own: it scrolls to whichever option has the focus.
        options_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        options_label = QLabel("Options", self)
        font = options_label.font()
        font.setBold(True)
        options_label.setFont(font)

        self.preview = PreviewPane(self)
        self.preview.show_message("Select a document to see its pages.")

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress_label = QLabel(self)
        self.message_label = self._message_label()

        self.send_button = QPushButton("&Send", self)
        # Not the default button: Enter adds a number or moves on; only Ctrl+Return, Alt+S or
        # a click sends, so a fax never goes out half written.
        self.send_button.setAutoDefault(False)
        self.send_button.setToolTip("Send the fax (Ctrl+Return)")
        buttons = QDialogButtonBox(self)
        # ActionRole: Send must not close the dialog; the controller decides when it is done.
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAutoDefault(False)

        document_buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            document_buttons.addWidget(button)
        document_buttons.addStretch(1)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.setSpacing(6)
        left_layout.addWidget(documents_label)
        left_layout.addWidget(self.documents_list, 2)
        left_layout.addLayout(document_buttons)
        left_layout.addWidget(self.documents_message)
        left_layout.addWidget(self.pages_message)
        left_layout.addWidget(self._password_row)
        left_layout.addSpacing(6)
        left_layout.addWidget(options_label)
        left_layout.addWidget(options_area, 3)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([460, 520])

        to_row = QHBoxLayout()
        to_row.addWidget(recipient_label, 0, Qt.AlignmentFlag.AlignTop)
        to_row.addWidget(self.recipients, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.progress_label)

        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        layout.addLayout(to_row)
        layout.addSpacing(4)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.message_label)
        layout.addWidget(buttons)

        self.setTabOrder(self.recipient_edit, self.recipients.save_button)
        self.setTabOrder(self.recipients.save_button, self.recipients.list)
        self.setTabOrder(self.recipients.list, self.documents_list)
        self.setTabOrder(self.documents_list, self.add_button)
        self.setTabOrder(self.add_button, self.remove_button)
        self.setTabOrder(self.remove_button, self.up_button)
        self.setTabOrder(self.up_button, self.down_button)
        self.setTabOrder(self.down_button, self.options.service_combo)
        self.setTabOrder(self.options.cover_combo, self.preview)
        self.setTabOrder(self.preview, self.send_button)
        self.setTabOrder(self.send_button, self.cancel_button)

        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.activated.connect(self._on_send_shortcut_activated)
        paste = QShortcut(QKeySequence(QKeySequence.StandardKey.Paste), self)
        paste.activated.connect(self._on_paste_shortcut_activated)
        move_up = QShortcut(QKeySequence("Alt+Up"), self.documents_list)
        move_up.activated.connect(self._on_up_button_clicked)
        move_down = QShortcut(QKeySequence("Alt+Down"), self.documents_list)
        move_down.activated.connect(self._on_down_button_clicked)

        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.password_button.clicked.connect(self._on_password_button_clicked)
        self.password_edit.returnPressed.connect(self._on_password_edit_return_pressed)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.up_button.clicked.connect(self._on_up_button_clicked)
        self.down_button.clicked.connect(self._on_down_button_clicked)
        self.send_button.clicked.connect(self._on_send_button_clicked)
        self.cancel_button.clicked.connect(self.reject)
        self.recipients.changed.connect(self._update_buttons)
        self.recipients.files_pasted.connect(self._on_recipients_files_pasted)
        self.recipients.image_pasted.connect(self._on_recipients_image_pasted)
        self.recipients.save_contact_requested.connect(self.save_contact_requested)
        self.options.changed.connect(self._update_buttons)
        self.documents_list.itemSelectionChanged.connect(self._on_documents_selection_changed)
        self.documents_list.urls_dropped.connect(self._on_documents_list_urls_dropped)
        self.documents_list.moved.connect(self._update_buttons)
        self.documents_list.installEventFilter(self)

        self._apply_icons()
        self.reset()

    # -- public API ----------------------------------------------------------------------------

    @property
    def default_region(self) -> str:
        return self.recipients.default_region

    @default_region.setter
    def default_region(self, region: str) -> None:
        self.recipients.default_region = region
        self.options.default_region = region

    def add_paths(self, paths: Sequence[Path]) -> list[Path]:
        """Add the files among `paths`; say inline why any others were left out.

        What a file is (and whether it can be faxed) is for the controller to find out; it
        answers with `set_document_info()` or `set_document_problem()`. Returns the paths
        added (files already listed are skipped silently).
        """
        added: list[Path] = []
        problems: list[str] = []
        listed = {item_path.resolve() for item_path in self.document_paths()}
        for path in paths:
            if not path.is_file():
                problems.append(f"Not a file that can be sent: {path.name or path}")
            elif path.resolve() not in listed:
                listed.add(path.resolve())
                added.append(path)
                self._add_item(path)
        self._show_message(self.documents_message, "\n".join(problems))
        if added and not self.documents_list.selectedItems():
            self.documents_list.setCurrentRow(self.documents_list.count() - len(added))
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
        """The listed files, in order, as sent (the controller converts them first)."""
        return tuple(Document(path, _media_type(path)) for path in self.document_paths())

    def recipient(self) -> str | None:
        """The first recipient as E.164, or None while there is no valid one."""
        numbers = self.recipients.numbers()
        return numbers[0] if numbers and self.recipients.is_ready() else None

    def request(self) -> SendRequest:
        """What Send would announce now."""
        base = SendRequest(to=tuple(self.recipients.numbers()), documents=self.documents())
        return self.options.apply_to(base)

    def set_sending_defaults(self, defaults: SendingDefaults) -> None:
        """Start the next fax with these options (from the settings)."""
        self._defaults = defaults
        self.options.set_defaults(defaults)

    def set_document_info(self, path: Path, text: str) -> None:
        """Show `text` (e.g. "3 pages") beside the document `path`; "" removes it."""
        for item in self._items(path):
            item.setData(_INFO_ROLE, text)
            self._label_item(item)

    def set_document_pages(self, path: Path, count: int) -> None:
        """The document `path` makes `count` fax pages; they count against the page limit."""
        for item in self._items(path):
            item.setData(_PAGES_ROLE, count)
        self._update_buttons()

    def set_page_limit(self, max_pages: int) -> None:
        """Send at most `max_pages` pages in one fax (the settings' limit)."""
        self._max_pages = max_pages
        self._update_buttons()

    def page_total(self) -> int:
        """The pages of the documents counted so far (those without a problem)."""
        total = 0
        for row in range(self.documents_list.count()):
            item = self.documents_list.item(row)
            if not item.data(_PROBLEM_ROLE):
                total += item.data(_PAGES_ROLE) or 0
        return total

    def set_document_thumbnail(self, path: Path, image: QImage) -> None:
        """Show `image` (the first page, small) as the document's icon."""
        for item in self._items(path):
            item.setData(_THUMBNAIL_ROLE, image)
            if not item.data(_PROBLEM_ROLE):
                item.setIcon(_thumbnail_icon(image))

    def document_thumbnail(self, path: Path) -> QImage | None:
        """The first-page image shown for `path`, once the controller has rendered it."""
        for item in self._items(path):
            image = item.data(_THUMBNAIL_ROLE)
            if isinstance(image, QImage):
                return image
        return None

    def set_document_problem(self, path: Path, text: str) -> None:
        """Mark the document `path` as unsendable because of `text`; Send stays disabled
        until it is removed."""
        for item in self._items(path):
            item.setData(_PROBLEM_ROLE, text)
            item.setIcon(icon("status-failed"))
            self._label_item(item)
            item.setToolTip(f"{path}\n{text}")
        self._update_buttons()

    def clear_document_problem(self, path: Path) -> None:
        """The document `path` can be sent after all (its password opened it, say)."""
        self._locked.pop(path, None)
        for item in self._items(path):
            item.setData(_PROBLEM_ROLE, None)
            thumbnail = item.data(_THUMBNAIL_ROLE)
            item.setIcon(_thumbnail_icon(thumbnail) if thumbnail is not None else icon("document"))
            item.setToolTip(str(path))
            self._label_item(item)
        self._show_password_row()
        self._update_buttons()

    def ask_password(self, path: Path, text: str, problem: str = "") -> None:
        """The document `path` opens only with a password: mark it with `problem` (`text` when
        none is given), and ask with `text` in the password row (after any document asked about
        before it). The answer comes back as `password_entered`; nothing here waits for it."""
        if not self._items(path):
            return
        self._locked[path] = text
        self.set_document_problem(path, problem or text)
        self._show_password_row()

    def password_path(self) -> Path | None:
        """The document the password row asks about, or None while it is hidden."""
        return next(iter(self._locked), None)

    def document_problems(self) -> list[str]:
        """What is wrong with the listed documents, one text per problem document."""
        return [
            problem
            for row in range(self.documents_list.count())
            if (problem := self.documents_list.item(row).data(_PROBLEM_ROLE))
        ]

    def selected_document(self) -> Path | None:
        item = self.documents_list.currentItem()
        return item.data(_PATH_ROLE) if item is not None and item.isSelected() else None

    def set_busy(self, busy: bool, text: str = "") -> None:
        """Lock the form while the fax is being handed over, with `text` (default "Sending…")."""
        self._busy = busy
        # Cancel too: closing the form while the fax is written down would hide the outcome.
        for widget in (
            self.documents_list,
            self.add_button,
            self.recipients,
            self.options,
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

    def show_documents_message(self, text: str) -> None:
        """Say under the documents what could not be added, and why."""
        self._show_message(self.documents_message, text)

    def show_error(self, text: str) -> None:
        """Show `text` in the message area at the bottom (selectable, so it can be copied)."""
        self._show_message(self.message_label, text)

    def reset(self) -> None:
        """Empty the form for the next fax (the options go back to their defaults)."""
        self.documents_list.clear()
        self._locked.clear()
        self._show_password_row()
        self.recipients.clear()
        self.options.set_defaults(self._defaults)
        self.options.labels_edit.clear()
        self.options.cover_combo.setCurrentIndex(0)
        self._show_message(self.documents_message, "")
        self._show_message(self.message_label, "")
        self.preview.show_message("Select a document to see its pages.")
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
        event.acceptProposedAction()
        self._add_urls(event.mimeData().urls())

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

    def _on_up_button_clicked(self) -> None:
        self._move_selected(-1)

    def _on_down_button_clicked(self) -> None:
        self._move_selected(1)

    def _on_send_button_clicked(self) -> None:
        self._request_send()

    def _on_send_shortcut_activated(self) -> None:
        self._request_send()

    def _on_password_button_clicked(self) -> None:
        self._enter_password()

    def _on_password_edit_return_pressed(self) -> None:
        self._enter_password()

    def _on_paste_shortcut_activated(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if self._busy or mime is None:
            return
        if mime.hasUrls():
            self._add_urls(mime.urls())
        elif mime.hasImage():
            self._on_recipients_image_pasted(mime.imageData())

    def _on_recipients_files_pasted(self, paths: list[Path]) -> None:
        if not self._busy:
            self.add_paths(paths)

    def _on_recipients_image_pasted(self, image: object) -> None:
        if not self._busy and isinstance(image, QImage) and not image.isNull():
            self.image_pasted.emit(image)

    def _on_documents_list_urls_dropped(self, mime: object) -> None:
        urls = getattr(mime, "urls", None)
        if not self._busy and callable(urls):
            self._add_urls(urls())

    def _on_documents_selection_changed(self) -> None:
        self._update_buttons()
        self.document_selected.emit(self.selected_document())

    def _on_file_dialog_files_selected(self, files: list[str]) -> None:
        paths = [Path(name) for name in files]
        if paths:
            self._last_directory = str(paths[0].parent)
        self.add_paths(paths)

    # -- helpers -------------------------------------------------------------------------------

    def _add_urls(self, urls: Sequence[QUrl]) -> None:
        paths, remote = local_paths(urls)
        self.add_paths(paths)
        if remote:
            extra = "\n".join(f"Only files on this computer can be added: {url}" for url in remote)
            current = self.documents_message.text()
            self._show_message(self.documents_message, f"{current}\n{extra}".strip())

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
            self._file_dialog.setNameFilters(list(DOCUMENT_FILTERS))
            self._file_dialog.filesSelected.connect(self._on_file_dialog_files_selected)
        elif self._last_directory:
            self._file_dialog.setDirectory(self._last_directory)
        self._file_dialog.open()

    def _request_send(self) -> None:
        if not self.send_button.isEnabled():
            return
        self._show_message(self.message_label, "")
        self.send_requested.emit(self.request())

    def _items(self, path: Path) -> list[QListWidgetItem]:
        return [
            self.documents_list.item(row)
            for row in range(self.documents_list.count())
            if self.documents_list.item(row).data(_PATH_ROLE) == path
        ]

    def _add_item(self, path: Path) -> None:
        item = QListWidgetItem(icon("document"), path.name)
        item.setData(_PATH_ROLE, path)
        item.setToolTip(str(path))
        self.documents_list.addItem(item)

    def _label_item(self, item: QListWidgetItem) -> None:
        path: Path = item.data(_PATH_ROLE)
        problem = item.data(_PROBLEM_ROLE) or ""
        info = item.data(_INFO_ROLE) or ""
        if problem:
            # Problems usually start with the file name already.
            item.setText(problem if problem.startswith(path.name) else f"{path.name}  —  {problem}")
        else:
            item.setText(f"{path.name}  —  {info}" if info else path.name)

    def _remove_selected(self) -> None:
        for item in self.documents_list.selectedItems():
            self._locked.pop(item.data(_PATH_ROLE), None)
            self.documents_list.takeItem(self.documents_list.row(item))
        self._show_password_row()
        self._update_buttons()

    def _enter_password(self) -> None:
        path = self.password_path()
        password = self.password_edit.text()
        # No copy stays in the form: the field is cleared before anyone acts on the password.
        self.password_edit.clear()
        if path is None or not password or self._busy:
            return
        self.password_label.setText(f"Opening {path.name}…")
        self.password_edit.setEnabled(False)
        self.password_button.setEnabled(False)
        self.password_entered.emit(path, password)

    def _show_password_row(self) -> None:
        path = self.password_path()
        self._password_row.setVisible(path is not None)
        if path is None:
            return
        self.password_label.setText(self._locked[path])
        self.password_edit.setEnabled(True)
        self.password_button.setEnabled(True)
        if self.isVisible():
            self.password_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _move_selected(self, step: int) -> None:
        if self._busy:
            return
        row = self.documents_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.documents_list.count():
            return
        item = self.documents_list.takeItem(row)
        self.documents_list.insertItem(target, item)
        self.documents_list.setCurrentRow(target)
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self._busy
        row = self.documents_list.currentRow()
        selected = bool(self.documents_list.selectedItems())
        self.remove_button.setEnabled(idle and selected)
        self.up_button.setEnabled(idle and selected and row > 0)
        self.down_button.setEnabled(
            idle and selected and 0 <= row < self.documents_list.count() - 1
        )
        too_long = pages_problem(self.page_total(), max_pages=self._max_pages)
        if too_long != self.pages_message.text():
            self._show_message(self.pages_message, too_long)
        self.send_button.setEnabled(
            idle
            and self.documents_list.count() > 0
            and not self.document_problems()
            and not too_long
            and self.recipients.is_ready()
            and not self.options.problems()
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
        for label in (
            self.documents_message,
            self.pages_message,
            self.message_label,
            self.options.problem_label,
        ):
            palette = label.palette()
            palette.setColor(QPalette.ColorRole.WindowText, colours.error_text)
            label.setPalette(palette)

    def _apply_icons(self) -> None:
        self.add_button.setIcon(icon("add-document"))
        self.remove_button.setIcon(icon("remove"))
        self.up_button.setIcon(icon("page-up"))
        self.down_button.setIcon(icon("page-down"))
        self.send_button.setIcon(icon("send"))
        for row in range(self.documents_list.count()):
            item = self.documents_list.item(row)
            thumbnail = item.data(_THUMBNAIL_ROLE)
            if item.data(_PROBLEM_ROLE):
                item.setIcon(icon("status-failed"))
            elif isinstance(thumbnail, QImage):
                item.setIcon(_thumbnail_icon(thumbnail))
            else:
                item.setIcon(icon("document"))


def _thumbnail_icon(image: QImage) -> QIcon:
    scaled = image.scaled(
        THUMBNAIL_SIZE,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    ).convertToFormat(QImage.Format.Format_RGB32)
    # A thin edge, so a page of little text still reads as a page on a white list.
    painter = QPainter(scaled)
    painter.setPen(QColor(150, 150, 150))
    painter.drawRect(scaled.rect().adjusted(0, 0, -1, -1))
    painter.end()
    return QIcon(QPixmap.fromImage(scaled))


_MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
}


def _media_type(path: Path) -> str:
    """The media type the file's name claims ("" when it claims none); conversion checks it."""
    return _MEDIA_TYPES.get(path.suffix.lower(), "")
