"""Telling the desk about new faxes: the message, the sound, auto-print, and the tray.

Offscreen Qt has no system tray, so the tray's own messages are recorded by a small
`TrayIcon` subclass; everything else (the window, the archive, the printer writing a PDF file,
a sound player run as a real process) is real.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Receiving
from faxdesk.core.models import Direction, Fax, FaxStatus
from faxdesk.documents.pages import count_pages_in_file, make_test_pdf
from faxdesk.services.faxes import FaxService
from faxdesk.services.previews import PageRenderer
from faxdesk.store.archive import PRINTED, Archive
from faxdesk.ui.list_controller import FaxListController
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.receiving import ArrivalNotifier, TrayIcon, arrival_text, play_sound
from faxdesk.ui.tasks import TaskKeeper
from tests.waiting import until


class RecordingTray(TrayIcon):
    """A tray icon that is "shown" and keeps the messages it was asked to show."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, str]] = []

    def is_shown(self) -> bool:
        return True

    def show_message(self, title: str, body: str) -> None:
        self.messages.append((title, body))


@dataclass
class Harness:
    window: MainWindow
    notifier: ArrivalNotifier
    archive: Archive
    tasks: TaskKeeper
    errors: list[BaseException]


def _received(fax_id: str, sender: str = "+14155550123", pages: int = 2) -> Fax:
    return Fax(
        id=fax_id,
        direction=Direction.INBOUND,
        status=FaxStatus.COMPLETED,
        from_=sender,
        to="+12125550100",
        number_of_pages=pages,
        create_time=datetime.now(UTC),
        has_file=True,
    )


@pytest.fixture
def harness(qtbot: QtBot, qloop, paths: Paths, tmp_path: Path) -> Iterator[Harness]:
    http = create_http_client(transport=httpx.MockTransport(lambda _r: httpx.Response(404)))
    api = FaxApiClient(http, base_url="http://fax.test", project_id="p", auth=BasicAuth("k", "s"))
    archive = Archive(paths.archive_db("test"))
    renderer = PageRenderer()
    errors: list[BaseException] = []
    tasks = TaskKeeper(on_error=errors.append)
    window = MainWindow()
    qtbot.addWidget(window)
    fax_list = FaxListController(window, FaxService(api, archive, tmp_path), renderer, tasks)
    notifier = ArrivalNotifier(window, fax_list, archive, tasks, Receiving())
    yield Harness(window, notifier, archive, tasks, errors)
    notifier.stop()
    fax_list.stop()
    qloop.run_until_complete(tasks.close())
    qloop.run_until_complete(http.aclose())
    renderer.shutdown()
    archive.close()
    assert errors == []


def _store(harness: Harness, fax: Fax, folder: Path) -> Fax:
    harness.archive.upsert([fax])
    pdf = folder / f"{fax.id}.pdf"
    pdf.write_bytes(make_test_pdf(fax.number_of_pages, f"Fax {fax.id}"))
    harness.archive.set_local_file(fax.id, pdf)
    return fax


def test_the_message_names_the_sender_and_the_pages() -> None:
    one = _received("a", pages=3)
    assert arrival_text([(one, "")]) == ("New fax from +1 415-555-0123", "3 pages")
    assert arrival_text([(one, "Dr. Ávila")]) == ("New fax from Dr. Ávila", "3 pages")
    assert arrival_text([(replace(one, number_of_pages=1, from_=""), "")]) == (
        "New fax from an unknown number",
        "1 page",
    )
    several = [
        (_received("a"), "Dr. Ávila"),
        (_received("b", "+442079460123"), ""),
        (_received("c"), "Dr. Ávila"),
    ]
    assert arrival_text(several) == (
        "3 new faxes",
        "From Dr. Ávila, +44 20 7946 0123; 6 pages in all",
    )
    unknown = [(replace(fax, number_of_pages=0), name) for fax, name in several[:2]]
    assert arrival_text(unknown) == ("2 new faxes", "From Dr. Ávila, +44 20 7946 0123")


def test_arrivals_close_together_are_told_once_in_the_tray(harness, qloop, tmp_path) -> None:
    tray = RecordingTray()
    harness.notifier._tray = tray
    harness.archive.set_contact_names({"+14155550123": "Dr. Ávila"})
    first = _store(harness, _received("a"), tmp_path)
    second = _store(harness, _received("b", "+442079460123", pages=1), tmp_path)

    async def scenario() -> None:
        harness.notifier.announce(first, None)
        harness.notifier.announce(second, None)
        await until(lambda: tray.messages)
        await asyncio.sleep(0.4)

    qloop.run_until_complete(scenario())
    assert tray.messages == [("2 new faxes", "From Dr. Ávila, +44 20 7946 0123; 3 pages in all")]
    tray.close()


def test_without_a_tray_the_status_bar_tells(harness, qloop, tmp_path) -> None:
    fax = _store(harness, _received("a", pages=1), tmp_path)

    async def scenario() -> None:
        harness.notifier.announce(fax, None)
        await until(lambda: harness.window.statusBar().currentMessage())

    qloop.run_until_complete(scenario())
    assert harness.window.statusBar().currentMessage() == ("New fax from +1 415-555-0123: 1 page.")


def test_no_message_when_notifications_are_off(harness, qloop, tmp_path) -> None:
    tray = RecordingTray()
    harness.notifier._tray = tray
    harness.notifier.settings = Receiving(notify=False)
    fax = _store(harness, _received("a"), tmp_path)

    async def scenario() -> None:
        harness.notifier.announce(fax, None)
        await asyncio.sleep(0.5)

    qloop.run_until_complete(scenario())
    assert tray.messages == []
    tray.close()


def test_a_new_fax_is_printed_once_without_asking(harness, qloop, tmp_path) -> None:
    printed = tmp_path / "printed.pdf"

    def printer(name: str) -> QPrinter:
        assert name == "Front desk"
        made = QPrinter(QPrinter.PrinterMode.HighResolution)
        made.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        made.setOutputFileName(str(printed))
        return made

    harness.notifier.make_printer = printer
    harness.notifier.settings = Receiving(auto_print=True, printer="Front desk")
    fax = _store(harness, _received("a", pages=3), tmp_path)

    async def scenario() -> None:
        harness.notifier.announce(fax, None)
        await until(lambda: harness.archive.is_done("a", PRINTED))
        assert count_pages_in_file(printed) == 3
        printed.unlink()
        # Told again (another start): it was printed already.
        harness.notifier.announce(fax, None)
        await asyncio.sleep(0.5)

    qloop.run_until_complete(scenario())
    assert not printed.exists()


def test_a_missing_printer_is_said_in_words(harness, qloop, tmp_path) -> None:
    harness.notifier.make_printer = lambda _name: None
    harness.notifier.settings = Receiving(auto_print=True, printer="Upstairs")
    fax = _store(harness, _received("a"), tmp_path)

    async def scenario() -> None:
        harness.notifier.announce(fax, None)
        await until(lambda: harness.window.message_bar.isVisibleTo(harness.window))

    qloop.run_until_complete(scenario())
    assert harness.window.message_bar.label.text() == (
        "A new fax was not printed: the printer “Upstairs” is not available on this "
        "computer. Choose another in Settings, Receiving."
    )
    assert not harness.archive.is_done("a", PRINTED)


def test_a_chosen_sound_file_is_played_by_the_desktops_player(qloop, tmp_path, monkeypatch) -> None:
    heard = tmp_path / "heard.txt"
    player = tmp_path / "bin" / "pw-play"
    player.parent.mkdir()
    player.write_text(f'#!/bin/sh\necho "$1" > "{heard}"\n')
    player.chmod(player.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{player.parent}{os.pathsep}{os.environ['PATH']}")
    sound = tmp_path / "ding.wav"
    sound.write_bytes(b"RIFF....WAVE")

    qloop.run_until_complete(play_sound(str(sound)))
    assert heard.read_text().strip() == str(sound)


def test_closing_keeps_faxdesk_in_the_tray_and_quit_ends_it(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.keep_in_tray = True
    with qtbot.assertNotEmitted(window.closed), qtbot.waitSignal(window.hidden_to_tray):
        window.close()
    assert not window.isVisible()
    window.show()
    with qtbot.waitSignal(window.closed):
        window.quit_action.trigger()
    assert not window.isVisible()
