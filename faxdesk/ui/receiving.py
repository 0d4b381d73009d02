"""Telling the desk that faxes arrived: the tray icon, its messages, a sound, and auto-print.

`ArrivalNotifier.announce` is what sync calls once for each fax received since the archive
started. Arrivals close together are told in one message ("3 new faxes"), naming the sender
(contact name, else number) and the pages; a sound plays if one is chosen, and with auto-print
on each fax is printed once on the chosen printer, without a dialog (the archive remembers what
was printed, so a restart prints nothing twice). `TrayIcon` keeps FaxDesk in the system tray:
closing the window only hides it while receiving is on, and the tray's menu brings it back or
quits. Without a system tray (some desktops, tests) the window's status bar says it instead.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from faxdesk.config.settings import Receiving
from faxdesk.core.models import Fax
from faxdesk.core.phone import display
from faxdesk.store.archive import PRINTED, Archive
from faxdesk.ui.icons import icon
from faxdesk.ui.list_controller import FaxListController
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.tasks import TaskKeeper

log = logging.getLogger(__name__)

#: Faxes that arrive within this many milliseconds of each other are told in one message.
GATHER_MS = 300

#: Players tried for a chosen sound file on Linux and other Unix desktops, in order.
_PLAYERS = ("pw-play", "paplay", "aplay")


def arrival_text(faxes: list[tuple[Fax, str]]) -> tuple[str, str]:
    """The title and body of the message for these (fax, contact name) arrivals."""
    if len(faxes) == 1:
        fax, contact = faxes[0]
        sender = contact or (display(fax.from_) if fax.from_ else "an unknown number")
        pages = fax.number_of_pages
        body = f"{pages} page{'s' if pages != 1 else ''}" if pages else "A new fax"
        return f"New fax from {sender}", body
    senders = []
    for fax, contact in faxes:
        name = contact or (display(fax.from_) if fax.from_ else "")
        if name and name not in senders:
            senders.append(name)
    shown = ", ".join(senders[:3]) + (" and others" if len(senders) > 3 else "")
    body = f"From {shown}" if shown else "In the Inbox"
    pages = sum(fax.number_of_pages for fax, _contact in faxes)
    if pages:
        body += f"; {pages} page{'s' if pages != 1 else ''} in all"
    return f"{len(faxes)} new faxes", body


def default_printer(name: str) -> QPrinter | None:
    """The printer called `name` ("" is the system's default); None when there is none."""
    if name and name not in QPrinterInfo.availablePrinterNames():
        return None
    if not name and QPrinterInfo.defaultPrinter().isNull():
        return None
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if name:
        printer.setPrinterName(name)
    return printer


class TrayIcon(QObject):
    """FaxDesk's icon in the system tray, with Open, New fax and Quit.

    Signals:
        open_requested(): the user clicked the icon or chose Open FaxDesk.
        new_fax_requested(): New fax… from the tray's menu.
        quit_requested(): Quit from the tray's menu.

    Attributes:
        icon: the QSystemTrayIcon (shown only where the desktop has a tray).
    """

    open_requested = Signal()
    new_fax_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icon("faxdesk"), self)
        self.icon.setToolTip("FaxDesk")
        self._menu = QMenu()
        self.open_action = QAction("&Open FaxDesk", self._menu)
        self.new_fax_action = QAction("&New fax…", self._menu)
        self.quit_action = QAction("&Quit", self._menu)
        self._menu.addAction(self.open_action)
        self._menu.addAction(self.new_fax_action)
        self._menu.addSeparator()
        self._menu.addAction(self.quit_action)
        self.icon.setContextMenu(self._menu)
        self.open_action.triggered.connect(self.open_requested)
        self.new_fax_action.triggered.connect(self.new_fax_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        self.icon.activated.connect(self._on_icon_activated)

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        if self.available():
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def is_shown(self) -> bool:
        return self.icon.isVisible()

    def show_message(self, title: str, body: str) -> None:
        self.icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, 8000)

    def close(self) -> None:
        self.icon.hide()
        self._menu.deleteLater()

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_requested.emit()


class ArrivalNotifier(QObject):
    """Tells the desk about new faxes and, if asked to, prints them.

    Attributes:
        settings: what to do on arrival (`Receiving`); replace it to change that.
        make_printer: the printer for auto-print by name, or None when there is none (tests
            hand in one that prints to a PDF file).
    """

    def __init__(
        self,
        window: MainWindow,
        fax_list: FaxListController,
        archive: Archive,
        tasks: TaskKeeper,
        settings: Receiving,
        tray: TrayIcon | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._list = fax_list
        self._archive = archive
        self._tasks = tasks
        self._tray = tray
        self.settings = settings
        self.make_printer: Callable[[str], QPrinter | None] = default_printer
        self._waiting: list[Fax] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(GATHER_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def announce(self, fax: Fax, _path: Path | None) -> None:
        """A fax arrived (sync calls this once per fax)."""
        self._waiting.append(fax)
        self._timer.start()
        if self.settings.auto_print:
            self._tasks.start(self._print(fax))

    def stop(self) -> None:
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        faxes, self._waiting = self._waiting, []
        if faxes:
            self._tasks.start(self._tell(faxes))

    async def _tell(self, faxes: list[Fax]) -> None:
        rows = [await asyncio.to_thread(self._archive.row, fax.id) for fax in faxes]
        named = [
            (fax, row.contact_name if row else "") for fax, row in zip(faxes, rows, strict=True)
        ]
        title, body = arrival_text(named)
        if self.settings.notify:
            if self._tray is not None and self._tray.is_shown():
                self._tray.show_message(title, body)
            else:
                self._window.show_status_message(f"{title}: {body}.", 15_000)
        if self.settings.sound:
            await play_sound(self.settings.sound)

    async def _print(self, fax: Fax) -> None:
        if await asyncio.to_thread(self._archive.is_done, fax.id, PRINTED):
            return
        printer = self.make_printer(self.settings.printer)
        if printer is None:
            name = self.settings.printer
            which = f"the printer “{name}”" if name else "a printer"
            self._window.show_error(
                f"A new fax was not printed: {which} is not available on this computer. "
                "Choose another in Settings, Receiving."
            )
            return
        if await self._list.print_on(printer, [fax]):
            await asyncio.to_thread(self._archive.mark_done, fax.id, PRINTED)


async def play_sound(sound: str) -> None:
    """Play the chosen sound: "beep" is the system's, anything else a WAV file's path."""
    if sound == "beep":
        QApplication.beep()
        return
    path = await asyncio.to_thread(lambda: Path(sound).expanduser())
    if not await asyncio.to_thread(path.is_file):
        log.warning("The sound file %s is not there; beeping instead", path)
        QApplication.beep()
        return
    if sys.platform == "win32":
        import winsound

        # SND_ASYNC returns at once; the sound plays on its own.
        winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_ASYNC)
        return
    players = ("afplay",) if sys.platform == "darwin" else _PLAYERS
    for player in players:
        found = await asyncio.to_thread(shutil.which, player)
        if found is None:
            continue
        process = await asyncio.create_subprocess_exec(
            found,
            str(path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await process.wait()
        return
    QApplication.beep()
