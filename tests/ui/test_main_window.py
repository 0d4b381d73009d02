from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

import faxdesk
from faxdesk.core.models import Fax, FaxStatus
from faxdesk.ui.fax_list import Column
from faxdesk.ui.main_window import MainWindow, View
from faxdesk.ui.theme import apply_theme

MakeFax = Callable[..., Fax]
DropFiles = Callable[..., tuple[bool, bool]]
FileMime = Callable[..., QMimeData]
NOW = datetime(2024, 12, 3, 15, 30, tzinfo=UTC)


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitActive(window)
    return window


@pytest.fixture
def faxes(make_fax: MakeFax) -> list[Fax]:
    return [
        make_fax("newest", number_of_pages=4, create_time=NOW),
        make_fax("oldest", number_of_pages=1, create_time=NOW - timedelta(days=1)),
    ]


def _press(
    qtbot: QtBot,
    window: MainWindow,
    key: Qt.Key,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    qtbot.keyClick(window.fax_list.table, key, modifier)


def test_window_basics(window: MainWindow) -> None:
    assert window.windowTitle() == "FaxDesk"
    assert not window.windowIcon().isNull()
    assert (window.width(), window.height()) == (1280, 800)
    assert window.minimumWidth() >= 800
    assert window.current_view() == View.ALL
    assert [window.navigation.item(row).text() for row in range(3)] == [
        "Inbox",
        "Sent",
        "All faxes",
    ]


def test_ctrl_n_asks_for_a_new_fax(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.new_fax_requested, timeout=1000):
        _press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)


@pytest.mark.parametrize(
    ("key", "modifier"),
    [
        (Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier),
    ],
)
def test_refresh_shortcuts(
    window: MainWindow, qtbot: QtBot, key: Qt.Key, modifier: Qt.KeyboardModifier
) -> None:
    with qtbot.waitSignal(window.refresh_requested, timeout=1000):
        _press(qtbot, window, key, modifier)


def test_toolbar_new_fax_button(window: MainWindow, qtbot: QtBot) -> None:
    button = window.toolbar.widgetForAction(window.new_fax_action)
    assert button.text() == "New fax"  # the icon text drops the & and the ellipsis
    with qtbot.waitSignal(window.new_fax_requested, timeout=1000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon


def test_download_and_print_need_a_selection(
    window: MainWindow, faxes: list[Fax], qtbot: QtBot
) -> None:
    window.fax_list.model.set_faxes(faxes)
    assert not window.download_action.isEnabled()
    assert not window.print_action.isEnabled()
    with qtbot.assertNotEmitted(window.download_requested):
        _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    window.fax_list.table.sortByColumn(Column.PAGES, Qt.SortOrder.AscendingOrder)
    window.fax_list.table.selectRow(0)  # the one-page fax, model row 1
    assert window.download_action.isEnabled()
    assert window.print_action.isEnabled()
    with qtbot.waitSignal(window.download_requested, timeout=1000) as download:
        _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [fax.id for fax in download.args[0]] == ["oldest"]
    with qtbot.waitSignal(window.print_requested, timeout=1000) as printing:
        _press(qtbot, window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert [fax.id for fax in printing.args[0]] == ["oldest"]

    window.fax_list.table.clearSelection()
    assert not window.download_action.isEnabled()


def test_selection_fills_the_details_and_is_announced(
    window: MainWindow, faxes: list[Fax], qtbot: QtBot
) -> None:
    window.fax_list.model.set_faxes(faxes)
    with qtbot.waitSignal(window.fax_selected) as selected:
        window.fax_list.select_fax("oldest")
    assert selected.args[0].id == "oldest"
    assert window.details.fax is not None
    assert window.details.value("id") == "oldest"
    with qtbot.waitSignal(window.fax_selected) as selected:
        window.fax_list.model.set_faxes([])
    assert selected.args[0] is None
    assert window.details.is_empty()


def test_views_switch_by_shortcut_and_by_click(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.view_changed, timeout=1000) as changed:
        _press(qtbot, window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert changed.args == [View.SENT]
    assert window.current_view() == View.SENT
    assert window.view_actions[View.SENT].isChecked()

    rect = window.navigation.visualItemRect(window.navigation.item(2))
    with qtbot.waitSignal(window.view_changed) as changed:
        qtbot.mouseClick(window.navigation.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert changed.args == [View.ALL]
    assert window.view_actions[View.ALL].isChecked()


def test_view_counts(window: MainWindow) -> None:
    window.set_view_count(View.INBOX, 3)
    item = window.navigation.item(0)
    assert item.text() == "Inbox  (3)"
    assert item.font().bold()
    window.set_view_count(View.INBOX, 0)
    assert item.text() == "Inbox"
    assert not item.font().bold()
    assert window.view_count(View.INBOX) == 0


def test_files_dropped_anywhere_are_announced(
    window: MainWindow,
    pdf_file: Path,
    tmp_path: Path,
    qtbot: QtBot,
    drop_files: DropFiles,
    file_mime: FileMime,
) -> None:
    other = tmp_path / "scan.tiff"
    other.write_bytes(b"II*\x00")
    for target in (
        window.fax_list.table.viewport(),
        window.preview.scroll_area.viewport(),
        window.navigation.viewport(),
    ):
        with qtbot.waitSignal(window.files_dropped) as dropped:
            entered, accepted = drop_files(target, file_mime(pdf_file, other))
        assert (entered, accepted) == (True, True)
        assert dropped.args[0] == [pdf_file, other]


def test_a_drop_without_local_files_is_refused(
    window: MainWindow, qtbot: QtBot, drop_files: DropFiles, file_mime: FileMime
) -> None:
    with qtbot.assertNotEmitted(window.files_dropped):
        entered, _accepted = drop_files(
            window.fax_list.table.viewport(), file_mime("https://example.org/a.pdf")
        )
    assert not entered


def test_errors_show_in_a_dismissible_bar_not_a_dialog(window: MainWindow, qtbot: QtBot) -> None:
    assert not window.message_bar.isVisible()
    window.show_error("Could not reach the fax service.")
    assert window.message_bar.isVisible()
    assert window.message_bar.label.text() == "Could not reach the fax service."
    assert QApplication.activeModalWidget() is None
    qtbot.mouseClick(window.message_bar.close_button, Qt.MouseButton.LeftButton)
    assert not window.message_bar.isVisible()


def test_status_bar(window: MainWindow) -> None:
    window.show_status_message("Fax sent to +1 989-898-9898")
    assert window.statusBar().currentMessage() == "Fax sent to +1 989-898-9898"

    window.set_account("Sandbox", sandbox=True)
    assert window.account_text() == "Sandbox"
    assert window.windowTitle() == "FaxDesk — Sandbox"
    assert not window._account.icon_label.isHidden()
    window.set_account("Project 1234…", sandbox=False)
    assert window.windowTitle() == "FaxDesk"
    assert window._account.icon_label.isHidden()

    expected = {"online": "Connected", "offline": "Offline", "checking": "Connecting…"}
    for state, word in expected.items():
        window.set_connection(state, f"detail for {state}")
        assert window.connection_text() == word
        assert window._connection.toolTip() == f"detail for {state}"
        assert window._connection.icon_label.pixmap() is not None
    with pytest.raises(ValueError, match="sideways"):
        window.set_connection("sideways")


def test_a_sandbox_window_says_so_from_the_start(qtbot: QtBot) -> None:
    window = MainWindow(sandbox=True)
    qtbot.addWidget(window)
    assert window.windowTitle() == "FaxDesk — Sandbox"
    window.set_account("Sandbox")
    assert window.is_sandbox()
    assert window.windowTitle() == "FaxDesk — Sandbox"
    assert not window._account.icon_label.isHidden()
    assert window.account_text() == "Sandbox"


def test_details_follow_updates_of_the_selected_fax(
    window: MainWindow, faxes: list[Fax], qtbot: QtBot
) -> None:
    window.fax_list.model.set_faxes(faxes)
    window.fax_list.select_fax("oldest")
    failed = dataclasses.replace(faxes[1], status=FaxStatus.FAILURE, error_message="Busy")
    with qtbot.assertNotEmitted(window.fax_selected):
        window.fax_list.model.upsert(failed)
    assert window.details.value("status") == "Failed — Busy"


def test_filters_and_paging_pass_through(
    window: MainWindow, make_fax: MakeFax, qtbot: QtBot
) -> None:
    with qtbot.waitSignal(window.filter_changed, timeout=2000) as changed:
        qtbot.keyClicks(window.fax_list.filter_edit, "415")
    assert changed.args == ["415"]
    with qtbot.waitSignal(window.status_filter_changed) as status:
        window.fax_list.status_combo.setCurrentIndex(2)
    assert status.args == [FaxStatus.IN_PROGRESS]
    window.fax_list.model.set_faxes([make_fax()], has_more=True)
    with qtbot.waitSignal(window.more_requested, timeout=2000):
        window.fax_list.model.fetchMore(QModelIndex())


def test_ctrl_f_focuses_the_filter(window: MainWindow, qtbot: QtBot) -> None:
    window.fax_list.table.setFocus()
    _press(qtbot, window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.fax_list.filter_edit.hasFocus, timeout=1000)


def test_about_is_non_modal_and_shows_the_version(window: MainWindow, qtbot: QtBot) -> None:
    window.about_action.trigger()
    box = window.findChild(QMessageBox)
    assert box is not None
    qtbot.waitUntil(box.isVisible, timeout=1000)
    assert faxdesk.__version__ in box.text()
    assert box.windowModality() == Qt.WindowModality.WindowModal  # open(): not application-wide
    box.close()


def test_icons_follow_a_palette_change(window: MainWindow, qtbot: QtBot) -> None:
    before = window.new_fax_action.icon().cacheKey()
    apply_theme(QApplication.instance(), "dark")
    qtbot.waitUntil(lambda: window.new_fax_action.icon().cacheKey() != before, timeout=1000)


def test_menus(window: MainWindow) -> None:
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    assert list(menus) == ["&File", "&View", "&Help"]
    file_items = [action.text() for action in menus["&File"].actions() if action.text()]
    assert file_items == [
        "&New fax…",
        "&Download…",
        "&Print…",
        "&Contacts…",
        "S&ettings…",
        "&Quit",
    ]
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert window.view_actions[View.ALL].shortcut().toString() == "Ctrl+3"


def test_settings_action_asks_for_the_settings(window: MainWindow, qtbot) -> None:
    with qtbot.waitSignal(window.settings_requested):
        window.settings_action.trigger()


def test_the_outbox_view_takes_the_list_s_place(window: MainWindow, qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.view_changed, timeout=1000) as changed:
        _press(qtbot, window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert changed.args == [View.OUTBOX]
    assert window.outbox_view.isVisible()
    assert not window.fax_list.isVisible()
    window.set_current_view(View.SENT)
    assert window.fax_list.isVisible()
    assert not window.outbox_view.isVisible()
