"""The Settings dialog: pages on the left, values edited by keyboard, saved on OK."""

from __future__ import annotations

import dataclasses
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QVBoxLayout
from pytestqt.qtbot import QtBot

from faxdesk.config import settings as settings_io
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Account, PaperSize, SendingDefaults, Settings
from faxdesk.core.models import Resolution
from faxdesk.ui.controller import MainController
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.settings_dialog import SettingsDialog, SettingsPage, country_name
from tests.waiting import until


@pytest.fixture
def dialog(qtbot: QtBot) -> SettingsDialog:
    built = SettingsDialog(Settings())
    qtbot.addWidget(built)
    built.show()
    qtbot.waitExposed(built)
    return built


def _ok(qtbot: QtBot, dialog: SettingsDialog) -> None:
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )


def test_shows_the_current_settings(qtbot: QtBot) -> None:
    current = Settings(
        default_region="GB",
        confirm_before_send=False,
        undo_send_seconds=8,
        paper_size=PaperSize.A4,
        sending=SendingDefaults(header_text="Mercy Clinic", max_retries=2),
    )
    dialog = SettingsDialog(current)
    qtbot.addWidget(dialog)
    general = dialog.general_page
    assert general.region_combo.currentText() == "United Kingdom (+44)"
    assert not general.confirm_check.isChecked()
    assert general.undo_spin.value() == 8
    assert general.paper_combo.currentData() == PaperSize.A4
    form = dialog.sending_page.form
    assert form.header_edit.text() == "Mercy Clinic"
    assert form.header_counter.text() == "12/50"
    assert form.retries_spin.value() == 2
    # Only the defaults: labels and cover pages belong to one fax.
    assert not form.labels_edit.isVisibleTo(dialog)
    assert dialog.edited_settings() == current


def test_edited_values_are_announced_on_ok(dialog: SettingsDialog, qtbot: QtBot) -> None:
    general = dialog.general_page
    general.region_combo.setFocus()
    general.region_combo.lineEdit().selectAll()
    qtbot.keyClicks(general.region_combo.lineEdit(), "Germany (+49)")
    general.confirm_check.setFocus()
    qtbot.keyClick(general.confirm_check, Qt.Key.Key_Space)
    general.undo_spin.lineEdit().selectAll()
    qtbot.keyClicks(general.undo_spin.lineEdit(), "15")
    dialog.pages_list.setCurrentRow(1)
    form = dialog.sending_page.form
    qtbot.keyClicks(form.header_edit, "Radiology")
    form.resolution_combo.setCurrentIndex(form.resolution_combo.findData(Resolution.SUPERFINE))
    with qtbot.waitSignal(dialog.settings_accepted) as accepted:
        _ok(qtbot, dialog)
    edited = accepted.args[0]
    assert edited.default_region == "DE"
    assert edited.confirm_before_send is False
    assert edited.undo_send_seconds == 15
    assert edited.sending.header_text == "Radiology"
    assert edited.sending.resolution is Resolution.SUPERFINE
    assert not dialog.isVisible()


def test_an_unknown_country_keeps_the_dialog_open(dialog: SettingsDialog, qtbot: QtBot) -> None:
    general = dialog.general_page
    general.region_combo.lineEdit().selectAll()
    qtbot.keyClicks(general.region_combo.lineEdit(), "Atlantis")
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        _ok(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.problem_label.text() == "General: “Atlantis” is not a country in the list."


def test_a_bad_sender_number_shows_on_the_sending_page(
    dialog: SettingsDialog, qtbot: QtBot
) -> None:
    form = dialog.sending_page.form
    qtbot.keyClicks(form.from_combo.lineEdit(), "12")
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        _ok(qtbot, dialog)
    assert dialog.pages_list.currentRow() == 1
    assert dialog.problem_label.text().startswith("Sending: Sender number:")


def test_a_page_can_be_added(dialog: SettingsDialog) -> None:
    class ThemePage(SettingsPage):
        title = "Look"

        def __init__(self) -> None:
            super().__init__()
            self.loaded: list[Settings] = []
            QVBoxLayout(self).addWidget(QLabel("Theme"))

        def load(self, settings: Settings) -> None:
            self.loaded.append(settings)

        def store(self, settings: Settings) -> Settings:
            return Settings(**{**settings_dict(settings), "theme": "dark"})

    page = ThemePage()
    dialog.add_page(page)
    assert [dialog.pages_list.item(row).text() for row in range(3)] == [
        "General",
        "Sending",
        "Look",
    ]
    assert page.loaded == [Settings()]
    assert dialog.edited_settings().theme == "dark"


def settings_dict(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in Settings.__dataclass_fields__}


def test_country_names_come_from_the_locale() -> None:
    assert country_name("FR") == "France"


def test_the_window_opens_settings_and_the_controller_saves_them(
    qtbot: QtBot, qloop, paths: Paths
) -> None:
    from tests.ui.controller_support import controller_for

    # The account on disk was changed elsewhere after start: saving must keep it.
    settings_io.save(Settings(account=Account(project_id="p-2", key_id="k-2")), paths.settings_file)
    window = MainWindow()
    qtbot.addWidget(window)
    with controller_for(window, paths, qloop, settings=Settings()) as controller:
        assert isinstance(controller, MainController)
        window.settings_action.trigger()
        dialog = controller.settings_dialog
        assert dialog is not None
        assert dialog.isVisible()
        dialog.general_page.undo_spin.setValue(5)
        _ok(qtbot, dialog)
        assert controller.settings.undo_send_seconds == 5

        async def saved() -> None:
            await until(lambda: 'undo_send_seconds": 5.0' in _text(paths))

        qloop.run_until_complete(saved())
        data = json.loads(_text(paths))
        assert data["undo_send_seconds"] == 5
        assert data["account"]["project_id"] == "p-2"


def _text(paths: Paths) -> str:
    return paths.settings_file.read_text() if paths.settings_file.exists() else ""


def test_the_page_and_upload_limits_are_set_on_the_general_page(qtbot: QtBot) -> None:
    current = Settings(max_pages=40, max_upload_mb=12)
    dialog = SettingsDialog(current)
    qtbot.addWidget(dialog)
    general = dialog.general_page
    assert (general.pages_spin.value(), general.upload_spin.value()) == (40, 12)
    # The ranges are those the settings file accepts.
    fields = {field.name: field for field in dataclasses.fields(Settings)}
    for spin, name in ((general.pages_spin, "max_pages"), (general.upload_spin, "max_upload_mb")):
        assert (spin.minimum(), spin.maximum()) == fields[name].metadata["range"]
    general.pages_spin.lineEdit().selectAll()
    qtbot.keyClicks(general.pages_spin.lineEdit(), "25")
    general.upload_spin.lineEdit().selectAll()
    qtbot.keyClicks(general.upload_spin.lineEdit(), "5")
    edited = dialog.edited_settings()
    assert (edited.max_pages, edited.max_upload_mb) == (25, 5)
