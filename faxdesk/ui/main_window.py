"""The main window, laid out like a mail client: views on the left, faxes in the middle, the
selected fax's preview and details on the right.

A passive view: every toolbar button, menu item, shortcut and drop becomes an intent signal
(`new_fax_requested`, `download_requested(faxes)`, `files_dropped(paths)`...) for the controller,
which does the work and reports back through `show_status_message`, `show_error`,
`set_connection` and the child views. The only thing it does by itself is keep the details pane
on the selected fax, which needs nothing but the Fax.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QEvent, QPoint, QSize, Qt, Signal, SignalInstance
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import faxdesk
from faxdesk.core.models import Direction, Fax
from faxdesk.ui.composer import local_paths
from faxdesk.ui.details import FaxDetails
from faxdesk.ui.fax_list import FaxListView
from faxdesk.ui.icons import icon, pixmap
from faxdesk.ui.outbox_view import OutboxView
from faxdesk.ui.preview import PreviewPane
from faxdesk.ui.theme import message_colours


class View(StrEnum):
    INBOX = "inbox"
    SENT = "sent"
    ALL = "all"
    OUTBOX = "outbox"
    FAILED = "failed"


_VIEWS: tuple[tuple[View, str, str, str], ...] = (
    # view, label, icon, shortcut
    (View.INBOX, "Inbox", "inbox", "Ctrl+1"),
    (View.SENT, "Sent", "sent", "Ctrl+2"),
    (View.ALL, "All faxes", "all-faxes", "Ctrl+3"),
    (View.OUTBOX, "Outbox", "outbound", "Ctrl+4"),
    (View.FAILED, "Failed", "failed", "Ctrl+5"),
)

_CONNECTION_STATES = {
    "online": ("connected", "Connected"),
    "offline": ("disconnected", "Offline"),
    "checking": ("refresh", "Connecting…"),
}

_VIEW_ROLE = Qt.ItemDataRole.UserRole + 1


class MessageBar(QFrame):
    """A dismissible one-message bar (errors that need no dialog).

    Attributes:
        label: the message text (selectable).
        close_button: hides the bar.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._icon = QLabel(self)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss message")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button.clicked.connect(self.hide)
        self._apply_look()
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_look()
        super().changeEvent(event)

    def _apply_look(self) -> None:
        colours = message_colours(self.palette())
        # A style sheet rather than a palette: Fusion ignores Window colours on a QFrame panel.
        sheet = (
            f"#messageBar {{ background: {colours.error_background.name()};"
            f" border: 1px solid {colours.error_border.name()}; border-radius: 4px; }}"
            f" #messageBar QLabel {{ color: {colours.error_text.name()}; }}"
        )
        if sheet != self.styleSheet():  # setting it causes a palette change: do not loop
            self.setStyleSheet(sheet)
        self._icon.setPixmap(pixmap("status-failed", 18))
        self.close_button.setIcon(icon("close"))


class _StatusIndicator(QWidget):
    """An icon and a word in the status bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon_label = QLabel(self)
        self.text_label = QLabel(self)
        self._icon_name = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(5)
        layout.addWidget(self.icon_label)
        layout.addWidget(self.text_label)

    def set(self, icon_name: str, text: str, tooltip: str = "") -> None:
        self._icon_name = icon_name
        self.icon_label.setVisible(bool(icon_name))
        self.refresh_icon()
        self.text_label.setText(text)
        self.setToolTip(tooltip)
        self.setVisible(bool(text or icon_name))

    def refresh_icon(self) -> None:
        if self._icon_name:
            self.icon_label.setPixmap(pixmap(self._icon_name, 16))


class MainWindow(QMainWindow):
    """FaxDesk's main window.

    Signals:
        new_fax_requested(): New fax (Ctrl+N).
        settings_requested(): Settings (Ctrl+,).
        contacts_requested(): Contacts (Ctrl+Shift+K).
        refresh_requested(): Refresh (F5, Ctrl+R).
        download_requested(list): the selected Faxes, to save where the user says (Save as,
            Ctrl+S).
        fetch_requested(list): the selected Faxes, to download into the Downloads folder
            (Ctrl+D).
        open_requested(list): the selected Faxes, to open in the system's PDF viewer (Ctrl+O).
        print_requested(list): the selected Faxes, to print (Ctrl+P).
        delete_content_requested(list): the selected Faxes, whose documents to delete on the
            service (after asking).
        resend_requested(list): the selected Faxes, to send again (after asking).
        copy_number_requested(list): the selected Faxes, whose other party's number to copy.
        read_requested(list, bool): mark the selected Faxes read (True) or unread.
        all_read_requested(): mark everything the list shows as read.
        handled_requested(list, bool): mark the selected Faxes handled or not.
        export_requested(): export what the list shows to a CSV file.
        view_changed(object): the View the user switched to.
        fax_selected(object): a different Fax was selected, or None. Not emitted when only
            the selected fax's values change (the window updates `details` itself then).
        fax_activated(object): a Fax was double-clicked or Enter was pressed on it.
        files_dropped(list): local file Paths dropped anywhere on the window.
        more_requested(): the list wants the next page (its criteria and sort order come from
            `fax_list`'s own signals).
        closed(): the window closed for good: FaxDesk ends.
        hidden_to_tray(): closing only hid the window, as `keep_in_tray` asked.

    Attributes:
        fax_list: the FaxListView (its `.model` is what the controller feeds).
        outbox_view: the OutboxView, in the list's place while the Outbox view is current.
        preview: the PreviewPane.
        details: the FaxDetails (kept on the selected fax by the window itself).
        navigation: the list of views on the left.
        message_bar: the dismissible error bar above the panes.
        new_fax_action, refresh_action, download_action (Save as), fetch_action (Download),
        open_action, print_action, delete_content_action, resend_action, copy_number_action,
        read_action, unread_action, all_read_action, handled_action, export_action,
        quit_action, about_action, settings_action, contacts_action: the window's actions;
        `view_actions` maps each View to its action.
        fax_menu: the menu of actions on the selected faxes (also the rows' context menu).
        keep_in_tray: closing the window hides it instead (FaxDesk keeps receiving in the
            system tray); Quit still ends it.
    """

    new_fax_requested = Signal()
    settings_requested = Signal()
    contacts_requested = Signal()
    refresh_requested = Signal()
    download_requested = Signal(list)
    fetch_requested = Signal(list)
    open_requested = Signal(list)
    print_requested = Signal(list)
    delete_content_requested = Signal(list)
    resend_requested = Signal(list)
    copy_number_requested = Signal(list)
    read_requested = Signal(list, bool)
    all_read_requested = Signal()
    handled_requested = Signal(list, bool)
    export_requested = Signal()
    view_changed = Signal(object)
    fax_selected = Signal(object)
    fax_activated = Signal(object)
    files_dropped = Signal(list)
    more_requested = Signal()
    closed = Signal()
    hidden_to_tray = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, sandbox: bool = False, view: View = View.ALL
    ) -> None:
        super().__init__(parent)
        self._sandbox = sandbox
        self._about_box: QMessageBox | None = None
        self.keep_in_tray = False
        self._quitting = False
        self.setMinimumSize(880, 560)
        self.resize(1280, 800)
        self.setAcceptDrops(True)

        self.navigation = QListWidget(self)
        self.navigation.setAccessibleName("Views")
        self.navigation.setFrameShape(QFrame.Shape.NoFrame)
        self.navigation.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.navigation.setIconSize(QSize(20, 20))
        self.navigation.setSpacing(2)
        self.navigation.setAcceptDrops(False)
        self.navigation.setBackgroundRole(QPalette.ColorRole.Window)
        self._view_counts: dict[View, int] = {}
        for known, label, _icon, _shortcut in _VIEWS:
            item = QListWidgetItem(label, self.navigation)
            item.setData(_VIEW_ROLE, known)
            item.setSizeHint(QSize(0, max(32, self.fontMetrics().height() + 14)))

        self.fax_list = FaxListView(parent=self)
        self.outbox_view = OutboxView(self)
        # The Outbox view takes the list's place; the other views share the fax list.
        self._lists = QStackedWidget(self)
        self._lists.addWidget(self._padded(self.fax_list))
        self._lists.addWidget(self._padded(self.outbox_view))
        self.preview = PreviewPane(self)
        self.details = FaxDetails(self)
        self.message_bar = MessageBar(self)

        self._right = QSplitter(Qt.Orientation.Vertical, self)
        self._right.addWidget(self.preview)
        self._right.addWidget(self.details)
        self._right.setStretchFactor(0, 3)
        self._right.setStretchFactor(1, 1)
        self._right.setChildrenCollapsible(False)
        self._right.setSizes([500, 270])

        self._splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self._splitter.addWidget(self.navigation)
        self._splitter.addWidget(self._lists)
        self._splitter.addWidget(self._right)
        self._splitter.setStretchFactor(0, 0)
        self._splitter.setStretchFactor(1, 1)
        self._splitter.setStretchFactor(2, 1)
        self._splitter.setCollapsible(1, False)
        self._splitter.setCollapsible(2, False)
        self._splitter.setSizes([170, 600, 510])
        self.navigation.setMinimumWidth(140)

        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(6, 6, 6, 0)
        central_layout.setSpacing(6)
        central_layout.addWidget(self.message_bar)
        central_layout.addWidget(self._splitter, 1)
        self.setCentralWidget(central)

        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        self._create_status_bar()
        self._apply_icons()

        self.navigation.currentRowChanged.connect(self._on_navigation_current_row_changed)
        self.fax_list.selection_changed.connect(self._on_fax_list_selection_changed)
        self.fax_list.activated.connect(self.fax_activated)
        self.fax_list.context_menu_requested.connect(self._on_fax_list_context_menu_requested)
        self.fax_list.model.more_requested.connect(self.more_requested)
        self.fax_list.table.selectionModel().selectionChanged.connect(
            self._on_fax_table_selection_changed
        )
        self.fax_list.current_fax_updated.connect(self._on_fax_list_current_fax_updated)
        # Everything by default: a new user's first faxes are sent ones, not received.
        self.navigation.setCurrentRow([known for known, *_ in _VIEWS].index(view))
        self._update_selection_actions()
        self.set_account("", sandbox=sandbox)

    # -- public API ----------------------------------------------------------------------------

    def current_view(self) -> View:
        item = self.navigation.currentItem()
        # Qt hands the item data back as a plain str.
        return View(item.data(_VIEW_ROLE)) if item is not None else View.ALL

    def set_current_view(self, view: View) -> None:
        """Switch to `view` (emits view_changed when it changes)."""
        self.view_actions[view].trigger()

    def set_view_count(self, view: View, count: int) -> None:
        """Show `count` (e.g. unread faxes) beside the view's name; 0 shows just the name."""
        self._view_counts[view] = count
        for row in range(self.navigation.count()):
            item = self.navigation.item(row)
            if item.data(_VIEW_ROLE) != view:
                continue
            label = next(text for known, text, _icon, _key in _VIEWS if known == view)
            item.setText(f"{label}  ({count})" if count else label)
            font = QFont(self.navigation.font())
            font.setBold(count > 0)
            item.setFont(font)

    def view_count(self, view: View) -> int:
        return self._view_counts.get(view, 0)

    def show_status_message(self, text: str, timeout_ms: int = 5000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def show_error(self, text: str) -> None:
        """Show `text` in the dismissible message bar above the panes (never a modal dialog)."""
        self.message_bar.show_message(text)

    def hide_error(self) -> None:
        self.message_bar.hide()

    def set_account(self, text: str, *, sandbox: bool | None = None) -> None:
        """Name the account in the status bar; in the sandbox, say so there and in the title.

        `sandbox` None keeps what the window was built with (or last told).
        """
        if sandbox is not None:
            self._sandbox = sandbox
        self._account.set("sandbox" if self._sandbox else "", text)
        self._account.setToolTip(
            "The built-in sandbox: nothing is really sent" if self._sandbox else ""
        )
        self.setWindowTitle("FaxDesk — Sandbox" if self._sandbox else "FaxDesk")

    def is_sandbox(self) -> bool:
        return self._sandbox

    def set_connection(self, state: str, detail: str = "") -> None:
        """Show the connection state: "online", "offline" or "checking"; `detail` as tooltip."""
        if state not in _CONNECTION_STATES:
            raise ValueError(f"Unknown connection state {state!r}")
        icon_name, word = _CONNECTION_STATES[state]
        self._connection.set(icon_name, word, detail)

    def connection_text(self) -> str:
        return self._connection.text_label.text()

    def account_text(self) -> str:
        return self._account.text_label.text()

    # -- Qt overrides --------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _has_local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _has_local_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths, _remote = local_paths(event.mimeData().urls())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(paths)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_icons()
        super().changeEvent(event)

    def quit(self) -> None:
        """Close for good, even when closing would only hide the window in the tray."""
        self._quitting = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keep_in_tray and not self._quitting:
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        if self._about_box is not None:
            self._about_box.close()
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()

    # -- handlers ------------------------------------------------------------------------------

    def _on_new_fax_action_triggered(self) -> None:
        self.new_fax_requested.emit()

    def _on_settings_action_triggered(self) -> None:
        self.settings_requested.emit()

    def _on_contacts_action_triggered(self) -> None:
        self.contacts_requested.emit()

    def _on_refresh_action_triggered(self) -> None:
        self.refresh_requested.emit()

    def _on_download_action_triggered(self) -> None:
        self._emit_for_selection(self.download_requested)

    def _on_fetch_action_triggered(self) -> None:
        self._emit_for_selection(self.fetch_requested)

    def _on_open_action_triggered(self) -> None:
        self._emit_for_selection(self.open_requested)

    def _on_print_action_triggered(self) -> None:
        self._emit_for_selection(self.print_requested)

    def _on_delete_content_action_triggered(self) -> None:
        self._emit_for_selection(self.delete_content_requested)

    def _on_resend_action_triggered(self) -> None:
        self._emit_for_selection(self.resend_requested)

    def _on_copy_number_action_triggered(self) -> None:
        self._emit_for_selection(self.copy_number_requested)

    def _on_read_action_triggered(self) -> None:
        faxes = self.fax_list.selected_faxes()
        if faxes:
            self.read_requested.emit(faxes, True)

    def _on_unread_action_triggered(self) -> None:
        faxes = self.fax_list.selected_faxes()
        if faxes:
            self.read_requested.emit(faxes, False)

    def _on_all_read_action_triggered(self) -> None:
        self.all_read_requested.emit()

    def _on_handled_action_triggered(self, checked: bool) -> None:
        faxes = self.fax_list.selected_faxes()
        if faxes:
            self.handled_requested.emit(faxes, checked)

    def _on_export_action_triggered(self) -> None:
        self.export_requested.emit()

    def _on_fax_list_context_menu_requested(self, position: QPoint) -> None:
        self._update_selection_actions()
        self.fax_menu.popup(position)

    def _on_find_action_triggered(self) -> None:
        self.fax_list.focus_search()

    def _on_about_action_triggered(self) -> None:
        if self._about_box is None:
            box = QMessageBox(self)
            box.setWindowTitle("About FaxDesk")
            box.setIconPixmap(pixmap("faxdesk", 64))
            box.setTextFormat(Qt.TextFormat.RichText)
            box.setText(f"<h3>FaxDesk {faxdesk.__version__}</h3>")
            box.setInformativeText(
                "A desktop fax console for the Sinch Fax API, with a built-in sandbox.<br>"
                "Licensed under the GNU AGPL, version 3 or later."
            )
            box.setStandardButtons(QMessageBox.StandardButton.Close)
            self._about_box = box
        self._about_box.open()

    def _on_view_group_triggered(self, action: QAction) -> None:
        view = action.data()
        for row in range(self.navigation.count()):
            if self.navigation.item(row).data(_VIEW_ROLE) == view:
                self.navigation.setCurrentRow(row)

    def _on_navigation_current_row_changed(self, row: int) -> None:
        item = self.navigation.item(row)
        if item is None:
            return
        view = View(item.data(_VIEW_ROLE))
        self.view_actions[view].setChecked(True)
        self._lists.setCurrentIndex(1 if view is View.OUTBOX else 0)
        self.view_changed.emit(view)

    def _on_fax_list_selection_changed(self, fax: Fax | None) -> None:
        self.details.set_fax(fax)
        self._update_selection_actions()
        self.fax_selected.emit(fax)

    def _on_fax_list_current_fax_updated(self, fax: Fax) -> None:
        self.details.set_fax(fax)

    def _on_fax_table_selection_changed(self, *_args: object) -> None:
        self._update_selection_actions()

    # -- construction --------------------------------------------------------------------------

    def _create_actions(self) -> None:
        self.new_fax_action = self._action("&New fax…", [QKeySequence("Ctrl+N")])
        self.new_fax_action.setToolTip("Write a new fax (Ctrl+N)")
        self.refresh_action = self._action("&Refresh", [QKeySequence("F5"), QKeySequence("Ctrl+R")])
        self.refresh_action.setToolTip("Check for new faxes and status changes (F5)")
        self.download_action = self._action("Save &as PDF…", [QKeySequence("Ctrl+S")])
        self.download_action.setToolTip("Save the selected faxes as PDF where you choose (Ctrl+S)")
        self.fetch_action = self._action("&Download PDF", [QKeySequence("Ctrl+D")])
        self.fetch_action.setToolTip("Save the selected faxes into your Downloads folder (Ctrl+D)")
        self.open_action = self._action("&Open", [QKeySequence("Ctrl+O")])
        self.open_action.setToolTip("Open the selected faxes in your PDF viewer (Ctrl+O)")
        self.print_action = self._action("&Print…", [QKeySequence("Ctrl+P")])
        self.print_action.setToolTip("Print the selected faxes (Ctrl+P)")
        self.delete_content_action = self._action(
            "De&lete document on the service…", [QKeySequence("Shift+Del")]
        )
        self.delete_content_action.setToolTip(
            "Delete the selected faxes' documents on the fax service; the faxes stay listed"
        )
        self.resend_action = self._action("Send a&gain…", [QKeySequence("Ctrl+Shift+R")])
        self.resend_action.setToolTip("Send the selected sent faxes again, as new faxes")
        self.copy_number_action = self._action("&Copy number", [QKeySequence("Ctrl+Shift+C")])
        self.read_action = self._action("Mark as &read", [])
        self.unread_action = self._action("Mark as &unread", [QKeySequence("Ctrl+U")])
        self.all_read_action = self._action("Mark all as r&ead", [QKeySequence("Ctrl+Shift+U")])
        self.handled_action = self._action("&Handled", [QKeySequence("Ctrl+K")])
        self.handled_action.setCheckable(True)
        self.handled_action.setToolTip("Mark the selected faxes as dealt with (Ctrl+K)")
        self.export_action = self._action("&Export list to CSV…", [QKeySequence("Ctrl+E")])
        self.export_action.setToolTip("Save every fax the list shows, not only those loaded")
        self.quit_action = self._action("&Quit", [QKeySequence("Ctrl+Q")])
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.find_action = self._action("&Find…", [QKeySequence("Ctrl+F")])
        self.about_action = self._action("&About FaxDesk", [])
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.settings_action = self._action("S&ettings…", [QKeySequence("Ctrl+,")])
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.contacts_action = self._action("&Contacts…", [QKeySequence("Ctrl+Shift+K")])
        self.contacts_action.setToolTip("Your phonebook of fax numbers (Ctrl+Shift+K)")

        self.new_fax_action.triggered.connect(self._on_new_fax_action_triggered)
        self.refresh_action.triggered.connect(self._on_refresh_action_triggered)
        self.download_action.triggered.connect(self._on_download_action_triggered)
        self.fetch_action.triggered.connect(self._on_fetch_action_triggered)
        self.open_action.triggered.connect(self._on_open_action_triggered)
        self.print_action.triggered.connect(self._on_print_action_triggered)
        self.delete_content_action.triggered.connect(self._on_delete_content_action_triggered)
        self.resend_action.triggered.connect(self._on_resend_action_triggered)
        self.copy_number_action.triggered.connect(self._on_copy_number_action_triggered)
        self.read_action.triggered.connect(self._on_read_action_triggered)
        self.unread_action.triggered.connect(self._on_unread_action_triggered)
        self.all_read_action.triggered.connect(self._on_all_read_action_triggered)
        self.handled_action.triggered.connect(self._on_handled_action_triggered)
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.quit_action.triggered.connect(self.quit)
        self.find_action.triggered.connect(self._on_find_action_triggered)
        self.about_action.triggered.connect(self._on_about_action_triggered)
        self.settings_action.triggered.connect(self._on_settings_action_triggered)
        self.contacts_action.triggered.connect(self._on_contacts_action_triggered)

        self._view_group = QActionGroup(self)
        self._view_group.setExclusive(True)
        self.view_actions: dict[View, QAction] = {}
        for view, label, _icon, shortcut in _VIEWS:
            action = self._action(label, [QKeySequence(shortcut)])
            action.setCheckable(True)
            action.setData(view)
            self._view_group.addAction(action)
            self.view_actions[view] = action
        self._view_group.triggered.connect(self._on_view_group_triggered)

    def _action(self, text: str, shortcuts: list[QKeySequence]) -> QAction:
        action = QAction(text, self)
        action.setShortcuts(shortcuts)
        # Window-wide, so the shortcuts work wherever the focus is inside the window.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addAction(action)
        return action

    def _create_menus(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu("&File")
        file_menu.addAction(self.new_fax_action)
        file_menu.addSeparator()
        file_menu.addAction(self.download_action)
        file_menu.addAction(self.fetch_action)
        file_menu.addAction(self.print_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.contacts_action)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.fax_menu = menu_bar.addMenu("F&ax")
        for action in (
            self.open_action,
            self.fetch_action,
            self.download_action,
            self.print_action,
            None,
            self.read_action,
            self.unread_action,
            self.handled_action,
            None,
            self.copy_number_action,
            self.resend_action,
            self.delete_content_action,
            None,
            self.all_read_action,
            self.export_action,
        ):
            if action is None:
                self.fax_menu.addSeparator()
            else:
                self.fax_menu.addAction(action)
        self.fax_menu.aboutToShow.connect(self._update_selection_actions)
        view_menu = menu_bar.addMenu("&View")
        for action in self.view_actions.values():
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.find_action)
        view_menu.addAction(self.refresh_action)
        help_menu = menu_bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _create_toolbar(self) -> None:
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(22, 22))
        toolbar.setStyleSheet("QToolBar { spacing: 4px; padding: 3px 4px; }")
        toolbar.addAction(self.new_fax_action)
        toolbar.addSeparator()
        toolbar.addAction(self.refresh_action)
        toolbar.addSeparator()
        toolbar.addAction(self.download_action)
        toolbar.addAction(self.print_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _create_status_bar(self) -> None:
        status_bar = self.statusBar()
        self._account = _StatusIndicator(self)
        self._connection = _StatusIndicator(self)
        status_bar.addPermanentWidget(self._account)
        status_bar.addPermanentWidget(self._connection)
        self._account.set("", "")
        self._connection.set("", "")

    def _apply_icons(self) -> None:
        self.setWindowIcon(icon("faxdesk"))
        self.new_fax_action.setIcon(icon("new-fax"))
        self.refresh_action.setIcon(icon("refresh"))
        self.download_action.setIcon(icon("download"))
        self.fetch_action.setIcon(icon("download"))
        self.open_action.setIcon(icon("open"))
        self.print_action.setIcon(icon("print"))
        self.delete_content_action.setIcon(icon("delete"))
        self.resend_action.setIcon(icon("send"))
        self.export_action.setIcon(icon("export"))
        for row, (_view, _label, icon_name, _key) in enumerate(_VIEWS):
            self.navigation.item(row).setIcon(icon(icon_name))
            self.view_actions[_view].setIcon(icon(icon_name))
        self._account.refresh_icon()
        self._connection.refresh_icon()

    def _update_selection_actions(self) -> None:
        rows = self.fax_list.selected_rows()
        has_selection = bool(rows)
        for action in (
            self.download_action,
            self.fetch_action,
            self.open_action,
            self.print_action,
            self.copy_number_action,
            self.handled_action,
        ):
            action.setEnabled(has_selection)
        self.read_action.setEnabled(any(row.unread for row in rows))
        self.unread_action.setEnabled(any(not row.unread for row in rows))
        self.handled_action.setChecked(has_selection and all(row.handled for row in rows))
        self.delete_content_action.setEnabled(any(row.fax.has_file for row in rows))
        self.resend_action.setEnabled(any(row.fax.direction == Direction.OUTBOUND for row in rows))

    def _emit_for_selection(self, signal: SignalInstance) -> None:
        faxes = self.fax_list.selected_faxes()
        if faxes:
            signal.emit(faxes)

    @staticmethod
    def _padded(widget: QWidget) -> QWidget:
        # A little air between the list and the splitter handles.
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(widget)
        return holder


def _has_local_files(event: QDragEnterEvent | QDragMoveEvent) -> bool:
    mime = event.mimeData()
    return mime.hasUrls() and any(url.isLocalFile() for url in mime.urls())
