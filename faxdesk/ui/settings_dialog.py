"""The Settings dialog: FaxDesk's preferences, one page per topic, listed on the left.

Each page is a `SettingsPage` that shows a `Settings` value and returns it with its own fields
changed; `SettingsDialog.add_page()` adds one, so a new topic is a new page class and one call.
The dialog only edits values: on OK it announces the new Settings with `settings_accepted`, and
whoever opened it saves them (off the event loop) and applies them. Account and secrets are not
here: they belong to `faxdesk account` and the keyring.
"""

from __future__ import annotations

import dataclasses

import phonenumbers
from PySide6.QtCore import QLocale, QMargins, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from faxdesk.config.settings import PaperSize, Settings
from faxdesk.ui.send_options import SendOptionsForm
from faxdesk.ui.theme import message_colours

UNDO_RANGE = (0, 60)
#: Room left on the screen for a window's title bar and frame.
_WINDOW_FRAME = 48
#: The ranges the settings file accepts for the page and upload limits.
PAGES_RANGE = (1, 2000)
UPLOAD_MB_RANGE = (1, 500)


def country_name(region: str) -> str:
    """The name of the country or territory with ISO code `region`, in the user's language."""
    territory = QLocale.codeToTerritory(region)
    if territory == QLocale.Country.AnyTerritory:
        return region
    return QLocale.territoryToString(territory)


class SettingsPage(QWidget):
    """One page of the Settings dialog.

    Attributes:
        title: the page's name in the list on the left.
    """

    title = ""

    def load(self, settings: Settings) -> None:
        """Show `settings`."""
        raise NotImplementedError

    def store(self, settings: Settings) -> Settings:
        """`settings` with this page's fields as the user left them."""
        raise NotImplementedError

    def problems(self) -> list[str]:
        """What keeps this page's values from being saved, in words."""
        return []


class GeneralPage(SettingsPage):
    """Default country, the confirmation step, the undo window, the paper size and the limits.

    Attributes:
        region_combo, confirm_check, undo_spin, paper_combo, pages_spin, upload_spin: the
            page's widgets.
    """

    title = "General"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.region_combo = QComboBox(self)
        self.region_combo.setEditable(True)
        self.region_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        regions = sorted(phonenumbers.SUPPORTED_REGIONS, key=country_name)
        for region in regions:
            code = phonenumbers.country_code_for_region(region)
            self.region_combo.addItem(f"{country_name(region)} (+{code})", region)
        completer = QCompleter(self.region_combo.model(), self.region_combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.region_combo.setCompleter(completer)
        self.region_combo.setToolTip(
            "The country a fax number typed without a country code belongs to: with the "
            "United States, (415) 555-0123 means +1 415 555 0123."
        )
        self.confirm_check = QCheckBox("&Show the whole fax once more before sending", self)
        self.confirm_check.setToolTip(
            "Before a fax goes out, show every page as the recipient's machine prints it, the "
            "page count and the recipients, and send only after you confirm."
        )
        low, high = UNDO_RANGE
        self.undo_spin = QSpinBox(self)
        self.undo_spin.setRange(low, high)
        self.undo_spin.setSuffix(" s")
        self.undo_spin.setSpecialValueText("Off: send at once")
        self.undo_spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.undo_spin.setToolTip(
            "Hold each fax this many seconds after Send, so Undo in the Outbox can still take "
            f"it back before anything is uploaded ({low} to {high} seconds)."
        )
        self.paper_combo = QComboBox(self)
        self.paper_combo.addItem("US Letter (8.5 by 11 inches)", PaperSize.LETTER)
        self.paper_combo.addItem("A4 (210 by 297 mm)", PaperSize.A4)
        self.paper_combo.setToolTip(
            "The paper documents are fitted to before sending: what the recipient's fax "
            "machine most likely prints on."
        )
        self.pages_spin = QSpinBox(self)
        self.pages_spin.setRange(*PAGES_RANGE)
        self.pages_spin.setSuffix(" pages")
        self.pages_spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.pages_spin.setToolTip(
            "The most pages one fax may have, its cover page included; a longer one is "
            "refused before anything is uploaded."
        )
        self.upload_spin = QSpinBox(self)
        self.upload_spin.setRange(*UPLOAD_MB_RANGE)
        self.upload_spin.setSuffix(" MB")
        self.upload_spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.upload_spin.setToolTip(
            "The most megabytes of documents one fax may upload; a larger one is refused "
            "before anything is uploaded."
        )
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_buddy("Default &country:", self.region_combo, self), self.region_combo)
        form.addRow(_buddy("&Paper:", self.paper_combo, self), self.paper_combo)
        form.addRow(_buddy("Page &limit:", self.pages_spin, self), self.pages_spin)
        form.addRow(_buddy("Upload li&mit:", self.upload_spin, self), self.upload_spin)
        form.addRow(_buddy("&Undo window:", self.undo_spin, self), self.undo_spin)
        form.addRow("", self.confirm_check)

    def load(self, settings: Settings) -> None:
        index = self.region_combo.findData(settings.default_region.upper())
        self.region_combo.setCurrentIndex(max(index, 0))
        self.confirm_check.setChecked(settings.confirm_before_send)
        self.undo_spin.setValue(round(settings.undo_send_seconds))
        self.paper_combo.setCurrentIndex(max(self.paper_combo.findData(settings.paper_size), 0))
        self.pages_spin.setValue(settings.max_pages)
        self.upload_spin.setValue(settings.max_upload_mb)

    def store(self, settings: Settings) -> Settings:
        return dataclasses.replace(
            settings,
            default_region=self._region() or settings.default_region,
            confirm_before_send=self.confirm_check.isChecked(),
            undo_send_seconds=float(self.undo_spin.value()),
            paper_size=PaperSize(self.paper_combo.currentData()),
            max_pages=self.pages_spin.value(),
            max_upload_mb=self.upload_spin.value(),
        )

    def problems(self) -> list[str]:
        if self._region() is None:
            return [f"“{self.region_combo.currentText()}” is not a country in the list."]
        return []

    def _region(self) -> str | None:
        # The edit text may have been typed over without picking an entry.
        index = self.region_combo.findText(self.region_combo.currentText())
        return self.region_combo.itemData(index) if index >= 0 else None


class SendingPage(SettingsPage):
    """The options every new fax starts with.

    Attributes:
        form: the SendOptionsForm holding them.
    """

    title = "Sending"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = SendOptionsForm(self, full=False)
        intro = QLabel(
            "New faxes start with these options; each can be changed in the composer. "
            "“Service default” leaves the choice to your Sinch fax service.",
            self,
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addStretch(1)

    def load(self, settings: Settings) -> None:
        self.form.default_region = settings.default_region
        self.form.set_defaults(settings.sending)

    def store(self, settings: Settings) -> Settings:
        return dataclasses.replace(settings, sending=self.form.sending_defaults())

    def problems(self) -> list[str]:
        return self.form.problems()


class SettingsDialog(QDialog):
    """FaxDesk's preferences. Non-modal use: `open()` or `show()`, never `exec()`.

    Signals:
        settings_accepted(object): the edited Settings, on OK.

    Attributes:
        pages_list: the page names on the left; `stack` the pages.
        general_page, sending_page: the built-in pages.
        problem_label: why OK did not close the dialog.
    """

    settings_accepted = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self._pages: list[SettingsPage] = []
        self.pages_list = QListWidget(self)
        self.pages_list.setAccessibleName("Settings pages")
        self.pages_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.pages_list.setSpacing(2)
        self.stack = QStackedWidget(self)
        self.problem_label = QLabel(self)
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )

        body = QHBoxLayout()
        body.addWidget(self.pages_list)
        body.addWidget(self.stack, 1)
        self._body = body
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)

        self.pages_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

        self.general_page = GeneralPage(self)
        self.sending_page = SendingPage(self)
        self.add_page(self.general_page)
        self.add_page(self.sending_page)
        self.pages_list.setCurrentRow(0)
        self._fit_to_pages()

    def add_page(self, page: SettingsPage) -> None:
        """Add `page` at the end of the list, showing the current settings."""
        page.setParent(self.stack)
        self._pages.append(page)
        self.stack.addWidget(page)
        self.pages_list.addItem(page.title)
        page.load(self._settings)
        self._fit_to_pages()

    def pages(self) -> list[SettingsPage]:
        return list(self._pages)

    def set_settings(self, settings: Settings) -> None:
        """Show `settings` on every page (when opened again after a change)."""
        self._settings = settings
        for page in self._pages:
            page.load(settings)
        self.problem_label.hide()

    def edited_settings(self) -> Settings:
        edited = self._settings
        for page in self._pages:
            edited = page.store(edited)
        return edited

    def _fit_to_pages(self) -> None:
        """As large as the largest page needs, so none scrolls, within the screen (less room
        for the window's title bar)."""
        self.pages_list.setFixedWidth(
            self.pages_list.sizeHintForColumn(0) + 2 * self.pages_list.frameWidth() + 24
        )
        if self.isVisible():
            return  # a size the user chose stays
        # Summed here: before the dialog shows, its layout keeps the hints it cached first.
        page = QSize(0, 0)
        for each in self._pages:
            page = page.expandedTo(each.sizeHint())
        margins = self.layout().contentsMargins()
        width = (
            self.pages_list.width()
            + self._body.spacing()
            + page.width()
            + margins.left()
            + margins.right()
        )
        height = (
            page.height()
            + self.layout().spacing()
            + self.buttons.sizeHint().height()
            + margins.top()
            + margins.bottom()
        )
        screen = self.screen().availableGeometry()
        room = screen.size().shrunkBy(QMargins(0, 0, _WINDOW_FRAME, _WINDOW_FRAME))
        self.resize(QSize(width, height).boundedTo(room))

    def _on_buttons_accepted(self) -> None:
        for row, page in enumerate(self._pages):
            problems = page.problems()
            if problems:
                self.pages_list.setCurrentRow(row)
                self.problem_label.setText(f"{page.title}: {' '.join(problems)}")
                palette = self.problem_label.palette()
                palette.setColor(
                    self.problem_label.foregroundRole(),
                    message_colours(self.palette()).error_text,
                )
                self.problem_label.setPalette(palette)
                self.problem_label.show()
                return
        self._settings = self.edited_settings()
        self.settings_accepted.emit(self._settings)
        self.accept()


def _buddy(text: str, buddy: QWidget, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(buddy)
    return label
