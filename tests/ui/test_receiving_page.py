"""The Receiving page of the Settings dialog, alone and opened from the window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from keyring.backends import fail, null
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QScrollArea
from pytestqt.qtbot import QtBot

from faxdesk.config import secrets
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Receiving, Settings, WebhookListener
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.receiving_page import (
    KEYRING_PLACEHOLDER,
    NO_KEYRING_PLACEHOLDER,
    ReceivingPage,
)
from faxdesk.ui.settings_dialog import SettingsDialog
from tests.waiting import until

CHOSEN = Receiving(
    poll_interval=60.0,
    history_days=200,
    folder="/srv/faxes",
    file_pattern="{date} {contact} {id}.pdf",
    copy_folder="/srv/scans",
    notify=False,
    sound="/usr/share/sounds/ding.wav",
    auto_print=True,
    printer="",
    keep_running_in_tray=False,
    keep_inbound_days=30,
    keep_outbound_days=365,
    webhook=WebhookListener(
        enabled=True, host="0.0.0.0", port=9000, path="/in", username="desk", max_body_mb=80
    ),
)


@pytest.fixture
def page(qtbot: QtBot) -> Iterator[ReceivingPage]:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    made = ReceivingPage()
    dialog.add_page(made)
    dialog.show()
    yield made  # the dialog, which owns the page, lives until the test ends
    dialog.close()


def test_every_receiving_setting_is_shown_and_kept(page: ReceivingPage) -> None:
    page.load(Settings(receiving=CHOSEN))
    assert page.poll_spin.value() == 60
    assert page.history_spin.value() == 200
    assert page.folder.text() == "/srv/faxes"
    assert page.sound_combo.currentData() == "file"
    assert page.sound_edit.isEnabled()
    assert page.printer_combo.isEnabled()
    assert page.webhook_box.isChecked()
    assert "http://desk:PASSWORD@0.0.0.0:9000/in" in page.address_label.text()
    assert page.store(Settings()).receiving == CHOSEN
    assert page.problems() == []

    page.load(Settings())
    assert page.store(Settings()).receiving == Receiving()
    assert page.keep_inbound_spin.text() == "For ever"
    assert not page.webhook_box.isChecked()


def test_what_keeps_the_page_from_being_saved_is_said(page: ReceivingPage, qtbot) -> None:
    page.load(Settings())
    page.pattern_edit.setText("{date}/{id}")
    page.sound_combo.setCurrentIndex(page.sound_combo.findData("file"))
    page.webhook_box.setChecked(True)
    page.username_edit.clear()
    assert page.problems() == [
        "The file name pattern makes a file name, not a folder: leave out / and \\.",
        "Choose the sound file to play, or no sound.",
        "The webhook listener needs a user name.",
    ]


def test_the_password_is_handed_over_once(page: ReceivingPage) -> None:
    page.load(Settings())
    assert page.take_password() == ""
    page.password_edit.setText("s3cret")
    page.store(Settings())
    assert page.take_password() == "s3cret"
    assert page.take_password() == ""


def test_the_window_saves_receiving_settings_and_keeps_the_password_in_the_keyring(
    qtbot: QtBot, qloop, paths: Paths, monkeypatch
) -> None:
    from tests.ui.controller_support import controller_for

    kept: dict[tuple[str, str], str] = {}
    monkeypatch.setattr(secrets.keyring, "get_keyring", null.Keyring)  # any working keyring
    monkeypatch.setattr(secrets.keyring, "set_password", lambda s, k, v: kept.update({(s, k): v}))
    window = MainWindow()
    qtbot.addWidget(window)
    heard: list[Settings] = []
    with controller_for(window, paths, qloop, settings=Settings()) as controller:
        controller.settings_listeners.append(heard.append)
        window.settings_action.trigger()
        dialog = controller.settings_dialog
        page = controller.receiving_page
        assert page in dialog.pages()
        dialog.pages_list.setCurrentRow(dialog.pages().index(page))
        qloop.run_until_complete(
            until(lambda: page.password_edit.placeholderText() == KEYRING_PLACEHOLDER)
        )
        assert page.password_edit.isEnabled()
        page.poll_spin.setValue(45)
        page.webhook_box.setChecked(True)
        page.password_edit.setText("pa55 word")
        qtbot.mouseClick(
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
        )
        assert controller.settings.receiving.poll_interval == 45
        assert heard[-1].receiving.webhook.enabled

        async def saved() -> None:
            await until(lambda: kept and paths.settings_file.exists())
            await until(lambda: '"poll_interval": 45.0' in paths.settings_file.read_text())

        qloop.run_until_complete(saved())
    assert kept == {("FaxDesk", "webhook:faxdesk"): "pa55 word"}
    assert "pa55" not in paths.settings_file.read_text()


def test_without_a_keyring_the_password_field_says_what_to_do_instead(
    qtbot: QtBot, qloop, paths: Paths, monkeypatch
) -> None:
    from tests.ui.controller_support import controller_for

    monkeypatch.setattr(secrets.keyring, "get_keyring", fail.Keyring)
    window = MainWindow()
    qtbot.addWidget(window)
    with controller_for(window, paths, qloop, settings=Settings()) as controller:
        window.settings_action.trigger()
        page = controller.receiving_page
        qloop.run_until_complete(
            until(lambda: page.password_edit.placeholderText() == NO_KEYRING_PLACEHOLDER)
        )
        assert NO_KEYRING_PLACEHOLDER == (
            "No keyring on this computer: set FAXDESK_WEBHOOK_PASSWORD instead"
        )
        assert not page.password_edit.isEnabled()
        assert "no system keyring" in page.password_edit.toolTip()
        controller.settings_dialog.reject()


def test_the_dialog_opens_large_enough_for_the_receiving_page(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    page = ReceivingPage()
    dialog.add_page(page)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.pages_list.setCurrentRow(dialog.pages().index(page))
    [scroll] = page.findChildren(QScrollArea)
    qtbot.waitUntil(lambda: scroll.widget().height() >= scroll.widget().minimumSizeHint().height())
    assert scroll.verticalScrollBar().maximum() == 0  # nothing to scroll to
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= min(1280, screen.width())
    assert dialog.height() <= min(800, screen.height())
    # Each folder field shows its placeholder whole.
    for edit in (page.folder.edit, page.copy_folder.edit):
        text = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
        assert text < edit.contentsRect().width() - 8
