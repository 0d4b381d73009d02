"""The Settings dialog's Receiving page: checking for faxes, where they go, what happens next.

Shows and edits `Settings.receiving`: how often FaxDesk asks the service and how far back the
first sync reaches, the receiving folder and its file names, a copy folder, how long local
copies are kept, the tray message, sound and auto-print, staying in the tray, and the optional
webhook listener. The listener's password is not a setting: the page hands it over once with
`take_password()` for the keyring. Folders are chosen with non-modal file dialogs.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSize, Qt
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from faxdesk.config.secrets import WEBHOOK_PASSWORD_ENV
from faxdesk.config.settings import MAX_HISTORY_DAYS, Receiving, Settings, WebhookListener
from faxdesk.core.errors import ValidationError
from faxdesk.services.folders import PATTERN_FIELDS, check_pattern
from faxdesk.ui.settings_dialog import SettingsPage

#: The sound choices: (shown, setting); a file is its own choice.
#: The width the page is laid out at when the Settings dialog sizes itself to it.
PAGE_WIDTH = 600

KEYRING_PLACEHOLDER = "Unchanged (kept in the system keyring)"
NO_KEYRING_PLACEHOLDER = f"No keyring on this computer: set {WEBHOOK_PASSWORD_ENV} instead"

_SOUNDS = (("No sound", ""), ("The system's sound", "beep"), ("A sound file…", "file"))


def _spin(low: int, high: int, suffix: str, special: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    if special:
        spin.setSpecialValueText(special)
    spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return spin


class _FolderField(QWidget):
    """A folder's path with a Choose… button (an empty path means FaxDesk's own choice)."""

    def __init__(self, placeholder: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.button = QPushButton("Choose…", self)
        self._title = title
        self._dialog: QFileDialog | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.button.clicked.connect(self._on_button_clicked)

    def text(self) -> str:
        return self.edit.text().strip()

    def _on_button_clicked(self) -> None:
        dialog = QFileDialog(self, self._title, self.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        dialog.fileSelected.connect(self.edit.setText)
        dialog.finished.connect(dialog.deleteLater)
        self._dialog = dialog
        dialog.open()


class ReceivingPage(SettingsPage):
    """What FaxDesk does to receive faxes and when one arrives.

    Attributes:
        poll_spin, history_spin, folder, pattern_edit, copy_folder, keep_inbound_spin,
        keep_outbound_spin, notify_check, sound_combo, sound_edit, print_check,
        printer_combo, tray_check, webhook_box, host_edit, port_spin, path_edit,
        username_edit, password_edit, size_spin, address_label: the page's widgets.
    """

    title = "Receiving"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._password = ""

        self.poll_spin = _spin(5, 3600, " s")
        self.poll_spin.setToolTip(
            "How often FaxDesk asks the fax service for new faxes and changes. With the "
            "webhook listener on, a fax arriving is fetched at once anyway."
        )
        self.history_spin = _spin(1, MAX_HISTORY_DAYS, " days")
        self.history_spin.setToolTip(
            "How far back the first check reaches: the faxes of those days are listed and "
            f"received ones fetched. The service keeps faxes {MAX_HISTORY_DAYS} days."
        )
        checking = QGroupBox("Checking for faxes", self)
        form = QFormLayout(checking)
        form.addRow("Ask the service &every:", self.poll_spin)
        form.addRow("The first check &reaches back:", self.history_spin)

        self.folder = _FolderField("FaxDesk's own data folder", "Folder for received faxes")
        self.folder.setToolTip(
            "Where received faxes are saved as PDF files. Several desks may share one network "
            "folder: each fax is saved there once."
        )
        self.pattern_edit = QLineEdit(self)
        fields = "\n".join(f"{{{name}}}: {meaning}" for name, meaning in PATTERN_FIELDS.items())
        self.pattern_edit.setToolTip(f"File names of received faxes, made of:\n{fields}")
        self.copy_folder = _FolderField("No copy", "Folder to copy new faxes to")
        self.copy_folder.setToolTip("Also copy each new fax into this folder, once.")
        self.keep_inbound_spin = _spin(0, 3650, " days", "For ever")
        self.keep_outbound_spin = _spin(0, 3650, " days", "For ever")
        for spin, what in ((self.keep_inbound_spin, "received"), (self.keep_outbound_spin, "sent")):
            spin.setToolTip(
                f"Delete this computer's copies of {what} faxes older than this. The fax "
                "service keeps its own copy for 13 months either way."
            )
        received = QGroupBox("Received faxes", self)
        form = QFormLayout(received)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Save them &in:", self.folder)
        form.addRow("File &names:", self.pattern_edit)
        form.addRow("Also &copy them to:", self.copy_folder)
        form.addRow("Keep received faxes &here:", self.keep_inbound_spin)
        form.addRow("Keep sent &faxes here:", self.keep_outbound_spin)

        self.notify_check = QCheckBox("Say so in the system &tray", self)
        self.sound_combo = QComboBox(self)
        for text, value in _SOUNDS:
            self.sound_combo.addItem(text, value)
        self.sound_edit = QLineEdit(self)
        self.sound_edit.setPlaceholderText("Path of a WAV file")
        self.print_check = QCheckBox("&Print each new fax on:", self)
        self.printer_combo = QComboBox(self)
        self.printer_combo.addItem("The default printer", "")
        for name in QPrinterInfo.availablePrinterNames():
            self.printer_combo.addItem(name, name)
        self.tray_check = QCheckBox("&Keep receiving in the tray when the window is closed", self)
        arrival = QGroupBox("When a fax arrives", self)
        form = QFormLayout(arrival)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("", self.notify_check)
        sound_row = QHBoxLayout()
        sound_row.addWidget(self.sound_combo)
        sound_row.addWidget(self.sound_edit, 1)
        sound_label = QLabel("&Sound:", arrival)
        sound_label.setBuddy(self.sound_combo)
        form.addRow(sound_label, sound_row)
        print_row = QHBoxLayout()
        print_row.addWidget(self.print_check)
        print_row.addWidget(self.printer_combo, 1)
        form.addRow("", print_row)
        form.addRow("", self.tray_check)

        self.webhook_box = QGroupBox("Webhook listener (optional)", self)
        self.webhook_box.setCheckable(True)
        self.webhook_box.setToolTip(
            "Let the fax service tell FaxDesk at once when a fax arrives or finishes. The "
            "service must be able to reach this computer: a public address, a port forward "
            "or a tunnel. Polling receives every fax without it."
        )
        self.host_edit = QLineEdit(self)
        self.port_spin = _spin(1, 65535, "")
        self.path_edit = QLineEdit(self)
        self.username_edit = QLineEdit(self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        # Where the password is kept is known once `set_keyring_available()` is called.
        self.password_edit.setPlaceholderText("Unchanged")
        self.size_spin = _spin(1, 500, " MB")
        self.address_label = QLabel(self)
        self.address_label.setWordWrap(True)
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout(self.webhook_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Two short fields a row, so the page fits a small screen without scrolling.
        for text, wide, narrow_text, narrow in (
            ("Listen on &address:", self.host_edit, "P&ort:", self.port_spin),
            ("Pat&h:", self.path_edit, "Largest &body:", self.size_spin),
        ):
            label = QLabel(text, self.webhook_box)
            label.setBuddy(wide)
            form.addRow(label, self._pair(wide, narrow_text, narrow))
        form.addRow("&User name:", self.username_edit)
        form.addRow("Pass&word:", self.password_edit)
        form.addRow(self.address_label)

        content = QWidget()
        self._column = column = QVBoxLayout(content)
        self._boxes = (checking, received, arrival, self.webhook_box)
        for box in self._boxes:
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

        self.sound_combo.currentIndexChanged.connect(self._on_choices_changed)
        self.print_check.toggled.connect(self._on_choices_changed)
        for edit in (self.host_edit, self.path_edit, self.username_edit):
            edit.textChanged.connect(self._on_choices_changed)
        self.port_spin.valueChanged.connect(self._on_choices_changed)

    def _pair(self, wide: QWidget, text: str, narrow: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(wide, 1)
        label = QLabel(text, self)
        label.setBuddy(narrow)
        row.addWidget(label)
        row.addWidget(narrow)
        return row

    def sizeHint(self) -> QSize:
        # The scroll area's own hint is small: the dialog sizes itself to what the page holds,
        # laid out at a width where the folder fields show their placeholders whole. The boxes
        # are measured one by one, since a layout not shown yet caches the wrapped address's
        # height for a narrow guess of its width.
        margins = self._column.contentsMargins()
        inner = PAGE_WIDTH - margins.left() - margins.right()
        heights = [
            box.heightForWidth(inner) if box.hasHeightForWidth() else box.sizeHint().height()
            for box in self._boxes
        ]
        height = sum(heights) + self._column.spacing() * (len(heights) - 1)
        width = max(PAGE_WIDTH, *(box.sizeHint().width() for box in self._boxes))
        return QSize(width, height + margins.top() + margins.bottom())

    def load(self, settings: Settings) -> None:
        receiving = settings.receiving
        self.poll_spin.setValue(round(receiving.poll_interval))
        self.history_spin.setValue(receiving.history_days)
        self.folder.edit.setText(receiving.folder)
        self.pattern_edit.setText(receiving.file_pattern)
        self.copy_folder.edit.setText(receiving.copy_folder)
        self.keep_inbound_spin.setValue(receiving.keep_inbound_days)
        self.keep_outbound_spin.setValue(receiving.keep_outbound_days)
        self.notify_check.setChecked(receiving.notify)
        sound = receiving.sound
        choice = sound if sound in ("", "beep") else "file"
        self.sound_combo.setCurrentIndex(self.sound_combo.findData(choice))
        self.sound_edit.setText(sound if choice == "file" else "")
        self.print_check.setChecked(receiving.auto_print)
        index = self.printer_combo.findData(receiving.printer)
        if index < 0:
            # A printer not installed (any more) stays chosen, and says so.
            self.printer_combo.addItem(f"{receiving.printer} (not found)", receiving.printer)
            index = self.printer_combo.count() - 1
        self.printer_combo.setCurrentIndex(index)
        self.tray_check.setChecked(receiving.keep_running_in_tray)
        webhook = receiving.webhook
        self.webhook_box.setChecked(webhook.enabled)
        self.host_edit.setText(webhook.host)
        self.port_spin.setValue(webhook.port)
        self.path_edit.setText(webhook.path)
        self.username_edit.setText(webhook.username)
        self.password_edit.clear()
        self.size_spin.setValue(webhook.max_body_mb)
        self._on_choices_changed()

    def store(self, settings: Settings) -> Settings:
        choice = self.sound_combo.currentData()
        sound = self.sound_edit.text().strip() if choice == "file" else choice
        typed = self.password_edit.text()
        if typed:
            self._password = typed
        return dataclasses.replace(
            settings,
            receiving=Receiving(
                poll_interval=float(self.poll_spin.value()),
                history_days=self.history_spin.value(),
                folder=self.folder.text(),
                file_pattern=self.pattern_edit.text().strip(),
                copy_folder=self.copy_folder.text(),
                notify=self.notify_check.isChecked(),
                sound=sound,
                auto_print=self.print_check.isChecked(),
                printer=self.printer_combo.currentData() or "",
                keep_running_in_tray=self.tray_check.isChecked(),
                keep_inbound_days=self.keep_inbound_spin.value(),
                keep_outbound_days=self.keep_outbound_spin.value(),
                webhook=WebhookListener(
                    enabled=self.webhook_box.isChecked(),
                    host=self.host_edit.text().strip() or "127.0.0.1",
                    port=self.port_spin.value(),
                    path="/" + self.path_edit.text().strip().lstrip("/"),
                    username=self.username_edit.text().strip(),
                    max_body_mb=self.size_spin.value(),
                ),
            ),
        )

    def problems(self) -> list[str]:
        found = []
        try:
            check_pattern(self.pattern_edit.text().strip())
        except ValidationError as exc:
            found.append(str(exc))
        if self.sound_combo.currentData() == "file" and not self.sound_edit.text().strip():
            found.append("Choose the sound file to play, or no sound.")
        if self.webhook_box.isChecked() and not self.username_edit.text().strip():
            found.append("The webhook listener needs a user name.")
        return found

    def set_keyring_available(self, available: bool) -> None:
        """Say where a password typed here is kept: the system keyring, or, on a computer
        without one, nowhere (the field is disabled and names the variable to set instead)."""
        self.password_edit.setEnabled(available)
        if available:
            self.password_edit.setPlaceholderText(KEYRING_PLACEHOLDER)
            self.password_edit.setToolTip("")
        else:
            self.password_edit.setPlaceholderText(NO_KEYRING_PLACEHOLDER)
            self.password_edit.setToolTip(
                "This computer has no system keyring to keep the password in. Set "
                f"{WEBHOOK_PASSWORD_ENV} in the environment FaxDesk starts in instead."
            )

    def take_password(self) -> str:
        """The listener password typed since the last call ("" if none): for the keyring."""
        password, self._password = self._password, ""
        return password

    def _on_choices_changed(self, *_args: object) -> None:
        self.sound_edit.setEnabled(self.sound_combo.currentData() == "file")
        self.printer_combo.setEnabled(self.print_check.isChecked())
        host = self.host_edit.text().strip() or "127.0.0.1"
        path = "/" + self.path_edit.text().strip().lstrip("/")
        user = self.username_edit.text().strip() or "USER"
        self.address_label.setText(
            f"Give the fax service http://{user}:PASSWORD@{host}:{self.port_spin.value()}{path} "
            "as its webhook address (the address others reach this computer at, if it is "
            "behind a port forward or a tunnel). A change here applies when FaxDesk starts "
            "again."
        )
