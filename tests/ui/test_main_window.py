from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

import faxdesk
from faxdesk.core.models import Direction, Fax, FaxStatus, SortColumn
from faxdesk.ui.main_window import MainWindow, View
from faxdesk.ui.theme import apply_theme
from tests.ui.listing_support import Rows

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
def rows(tmp_path) -> Iterator[Rows]:
    made = Rows(tmp_path)
    yield made
    made.close()


@pytest.fixture
def faxes(make_fax: MakeFax, rows: Rows) -> list[Fax]:
    made = [
        make_fax("newest", number_of_pages=4, create_time=NOW),
        make_fax("oldest", number_of_pages=1, create_time=NOW - timedelta(days=1)),
    ]
    rows.store(made)
    return made


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
    window: MainWindow, faxes: list[Fax], rows: Rows, qtbot: QtBot
) -> None:
    window.fax_list.model.set_rows(rows.of())
    assert not window.download_action.isEnabled()
    assert not window.print_action.isEnabled()
    with qtbot.assertNotEmitted(window.download_requested):
        _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    by_pages = rows.of(sort=SortColumn.PAGES, descending=False)
    window.fax_list.model.set_rows(by_pages, sort=SortColumn.PAGES, descending=False)
    window.fax_list.table.selectRow(0)  # the one-page fax
    assert window.download_action.isEnabled()
    assert window.print_action.isEnabled()
    with qtbot.waitSignal(window.download_requested, timeout=1000) as download:
        _press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [fax.id for fax in download.args[0]] == ["oldest"]
    with qtbot.waitSignal(window.print_requested, timeout=1000) as printing:
        _press(qtbot, window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert [fax.id for fax in printing.args[0]] == ["oldest"]

    for key, signal in (
        (Qt.Key.Key_D, window.fetch_requested),
        (Qt.Key.Key_O, window.open_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000) as asked:
            _press(qtbot, window, key, Qt.KeyboardModifier.ControlModifier)
        assert [fax.id for fax in asked.args[0]] == ["oldest"]

    window.fax_list.table.clearSelection()
    assert not window.download_action.isEnabled()
    assert not window.fetch_action.isEnabled()


def test_the_fax_menu_acts_on_the_selection(
    window: MainWindow, make_fax: MakeFax, rows: Rows, qtbot: QtBot
) -> None:
    received = make_fax("in", direction=Direction.INBOUND, has_file=True, create_time=NOW)
    sent = make_fax("out", has_file=False, create_time=NOW - timedelta(hours=1))
    rows.store([received, sent])
    window.fax_list.model.set_rows(rows.of())
    window.fax_list.select_fax("in")
    window.fax_menu.aboutToShow.emit()
    assert window.unread_action.isEnabled() is False  # it is unread already
    assert window.read_action.isEnabled()
    assert window.delete_content_action.isEnabled()
    assert not window.resend_action.isEnabled()  # a received fax cannot be sent again
    with qtbot.waitSignal(window.read_requested) as read:
        window.read_action.trigger()
    assert ([fax.id for fax in read.args[0]], read.args[1]) == (["in"], True)
    with qtbot.waitSignal(window.handled_requested) as handled:
        window.handled_action.trigger()
    assert handled.args[1] is True
    with qtbot.waitSignal(window.copy_number_requested) as copied:
        window.copy_number_action.trigger()
    assert [fax.id for fax in copied.args[0]] == ["in"]

    window.fax_list.select_fax("out")
    window.fax_menu.aboutToShow.emit()
    assert window.resend_action.isEnabled()
    assert not window.delete_content_action.isEnabled()  # nothing stored on the service
    for action, signal in (
        (window.resend_action, window.resend_requested),
        (window.delete_content_action, window.delete_content_requested),
    ):
        action.setEnabled(True)
        with qtbot.waitSignal(signal) as asked:
            action.trigger()
        assert [fax.id for fax in asked.args[0]] == ["out"]
    with qtbot.waitSignal(window.export_requested):
        window.export_action.trigger()
    with qtbot.waitSignal(window.all_read_requested):
        window.all_read_action.trigger()


def test_the_rows_context_menu_is_the_fax_menu(window, faxes, rows, qtbot: QtBot) -> None:
    window.fax_list.model.set_rows(rows.of())
    window.fax_list.select_fax("newest")
    window.fax_list.context_menu_requested.emit(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(window.fax_menu.isVisible, timeout=1000)
    assert window.open_action in window.fax_menu.actions()
    window.fax_menu.close()


def test_selection_fills_the_details_and_is_announced(
    window: MainWindow, faxes: list[Fax], rows: Rows, qtbot: QtBot
) -> None:
    window.fax_list.model.set_rows(rows.of())
    with qtbot.waitSignal(window.fax_selected) as selected:
        window.fax_list.select_fax("oldest")
    assert selected.args[0].id == "oldest"
    assert window.details.fax is not None
    assert window.details.value("id") == "oldest"
    with qtbot.waitSignal(window.fax_selected) as selected:
        window.fax_list.model.set_rows([])
    assert selected.args[0] is None
    assert window.details.is_empty()


def _texts_beside_the_list(window: MainWindow) -> list[str]:
    return [
        label.text()
        for pane in (window.preview, window.details)
        for label in pane.findChildren(QLabel)
        if label.isVisible() and label.text()
    ]


def test_without_a_selection_one_text_asks_for_a_fax(
    window: MainWindow, faxes: list[Fax], rows: Rows, qtbot: QtBot
) -> None:
    window.preview.show_message("Select a fax to preview it.")
    assert _texts_beside_the_list(window) == ["Select a fax to preview it."]
    window.fax_list.model.set_rows(rows.of())
    window.fax_list.select_fax("oldest")
    assert "oldest" in _texts_beside_the_list(window)  # the details describe it
    with qtbot.waitSignal(window.fax_selected):
        window.fax_list.model.set_rows([])
    assert window.details.is_empty()
    assert "oldest" not in _texts_beside_the_list(window)


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
    window: MainWindow, faxes: list[Fax], rows: Rows, qtbot: QtBot
) -> None:
    window.fax_list.model.set_rows(rows.of())
    window.fax_list.select_fax("oldest")
    failed = dataclasses.replace(faxes[1], status=FaxStatus.FAILURE, error_message="Busy")
    with qtbot.assertNotEmitted(window.fax_selected):
        window.fax_list.model.apply([rows.one(failed)])
    assert window.details.value("status") == "Failed — Busy"


def test_paging_passes_through(
    window: MainWindow, make_fax: MakeFax, rows: Rows, qtbot: QtBot
) -> None:
    window.fax_list.model.set_rows(rows.of([make_fax()]), has_more=True)
    with qtbot.waitSignal(window.more_requested, timeout=2000):
        window.fax_list.model.fetchMore(QModelIndex())


def test_ctrl_f_focuses_the_search(window: MainWindow, qtbot: QtBot) -> None:
    window.fax_list.table.setFocus()
    _press(qtbot, window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.fax_list.search_edit.hasFocus, timeout=1000)


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
    assert list(menus) == ["&File", "F&ax", "&View", "&Help"]
    file_items = [action.text() for action in menus["&File"].actions() if action.text()]
    assert file_items == [
        "&New fax…",
        "Save &as PDF…",
        "&Download PDF",
        "&Print…",
        "&Export list to CSV…",
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


@pytest.mark.parametrize("view", [View.ALL, View.OUTBOX])
def test_no_two_things_in_view_share_an_alt_key(
    window: MainWindow, faxes: list[Fax], rows: Rows, view: View
) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    window.fax_list.model.set_rows(rows.of())
    window.fax_list.select_fax("oldest")
    assert window.details.handled_check.isVisibleTo(window)
    window.set_current_view(view)
    texts = [action.text() for action in window.menuBar().actions()]
    for kind in (QAbstractButton, QLabel):
        texts += [
            widget.text()
            for widget in window.findChildren(kind)
            if widget.isVisibleTo(window) and "&" in widget.text().replace("&&", "")
        ]
    letters = [
        text.replace("&&", "")[text.replace("&&", "").index("&") + 1].lower() for text in texts
    ]
    assert len(set(letters)) == len(letters), sorted(zip(letters, texts, strict=True))
