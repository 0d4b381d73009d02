"""FaxDesk as a whole program: it starts its sandbox, and closing it leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faxdesk import app
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.ui.main_window import MainWindow
from tests.waiting import until


def _children(pid: int) -> list[int]:
    """Live descendants of `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def _app_children(pid: int) -> list[str]:
    """Command lines of the sandboxes and preview workers still running under `pid`."""
    lines = []
    for child in _children(pid):
        try:
            line = Path(f"/proc/{child}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        # The sandbox child and the preview workers; not multiprocessing's resource tracker,
        # whose command line names the checkout's venv, which may well contain "faxdesk".
        if "resource_tracker" in line:
            continue
        if " sandbox " in f"{line} " or "spawn_main" in line:
            lines.append(line)
    return lines


def _wait_for(predicate, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.1)


pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")


def test_faxdesk_starts_the_sandbox_and_exits_cleanly_on_sigterm(tmp_path):
    env = {**os.environ, "FAXDESK_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen(
        [sys.executable, "-m", "faxdesk"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = tmp_path / "cache" / "faxdesk.log"
    try:
        _wait_for(lambda: log.exists() and "Connected to the fax service" in log.read_text())
        children = _children(process.pid)
        assert children, "the sandbox and preview workers run as child processes"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert (out, err) == ("", "")
    assert "FaxDesk closed cleanly" in log.read_text()
    # The sandbox prints its credentials; none of that may reach the log.
    assert "secret" not in log.read_text().lower()
    _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), 10)


def test_closing_the_window_cancels_every_task_and_stops_the_sandbox(qapp, qloop, paths: Paths):
    def connected_window() -> MainWindow | None:
        return next(
            (
                widget
                for widget in qapp.topLevelWidgets()
                if isinstance(widget, MainWindow) and widget.connection_text() == "Connected"
            ),
            None,
        )

    async def close_when_connected() -> None:
        await until(connected_window, limit=60)
        connected_window().close()

    closer = qloop.create_task(close_when_connected())
    handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    result = qloop.run_until_complete(app._run(qapp, paths, Settings()))
    pending = [task for task in asyncio.all_tasks(qloop) if not task.done()]
    assert closer.done()
    assert result == 0
    assert pending == []
    assert _app_children(os.getpid()) == []
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers


def test_without_a_secret_the_window_says_why_wherever_the_user_asks(
    qtbot, qloop, paths: Paths, monkeypatch
):
    from faxdesk.app import open_session
    from faxdesk.config import secrets
    from faxdesk.config.settings import Account

    monkeypatch.setattr(secrets.keyring, "get_password", lambda *_: None)
    window = MainWindow()
    qtbot.addWidget(window)
    settings = Settings(account=Account(project_id="p-1", key_id="key-1"))
    session = qloop.run_until_complete(open_session(window, paths, settings))
    try:
        expected = (
            "No key secret is stored for key id 'key-1'. Store it with 'faxdesk account "
            "--key-id key-1' or set FAXDESK_KEY_SECRET. Fix this and start FaxDesk again."
        )
        assert window.message_bar.label.text() == expected
        assert window.connection_text() == "Offline"
        window.hide_error()
        window.new_fax_action.trigger()
        assert window.message_bar.isVisibleTo(window)
        assert window.message_bar.label.text() == expected
    finally:
        qloop.run_until_complete(session.close())


def test_a_damaged_archive_is_replaced_and_the_user_told(qtbot, qloop, paths: Paths):
    from faxdesk.app import open_session

    paths.archive_db("sandbox").write_bytes(b"garbage" * 1000)
    window = MainWindow()
    qtbot.addWidget(window)
    session = qloop.run_until_complete(open_session(window, paths, Settings()))
    try:
        assert "was damaged, so it started a new one" in window.message_bar.label.text()
        assert session.archive is not None
        assert session.archive.recent() == []
        assert [p.name.split(".damaged-")[0] for p in paths.data_dir.glob("*.damaged-*")] == [
            "archive-sandbox.sqlite3"
        ]
    finally:
        qloop.run_until_complete(session.close())


def _offline_api():
    """A client that must never be used: every request fails the test."""
    import httpx

    from faxdesk.api.auth import BasicAuth
    from faxdesk.api.client import FaxApiClient

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    return http, FaxApiClient(
        http, base_url="http://unused.test", project_id="p", auth=BasicAuth("k", "s")
    )


def test_faxes_left_in_the_outbox_go_out_when_faxdesk_starts(qtbot, qloop, paths: Paths, tmp_path):
    from faxdesk.app import open_session
    from faxdesk.core.models import TEST_NUMBER, Document, SendRequest
    from faxdesk.core.outbox import OutboxState
    from faxdesk.documents.pages import make_test_pdf
    from faxdesk.services.outbox import Outbox
    from faxdesk.store.outbox import OutboxStore

    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(1))

    async def left_behind() -> int:
        # An earlier FaxDesk wrote the fax down and stopped before sending it.
        http, api = _offline_api()
        store = OutboxStore(paths.outbox_db("sandbox"))
        try:
            outbox = Outbox(api, store, paths.outbox_dir("sandbox"))
            await outbox.open()
            [entry] = await outbox.submit(
                SendRequest(to=(TEST_NUMBER,), documents=(Document(pdf),))
            )
            return entry.id
        finally:
            store.close()
            await http.aclose()

    entry_id = qloop.run_until_complete(left_behind())
    window = MainWindow(sandbox=True)
    qtbot.addWidget(window)

    async def scenario() -> None:
        session = await open_session(
            window, paths, Settings(tracking_interval=0.1), sandbox_time_scale=0.1
        )
        try:
            store = session.outbox_store
            assert store is not None
            await until(lambda: store.get(entry_id).state is OutboxState.DELIVERED, limit=60)
            fax_id = store.get(entry_id).fax_id
            # The list shows it, and the archive has it for the next start.
            await until(lambda: session.archive.get(fax_id) is not None)
        finally:
            await session.close()

    qloop.run_until_complete(scenario())


def test_a_damaged_outbox_is_left_alone_and_the_user_told(qtbot, qloop, paths: Paths):
    from faxdesk.app import open_session

    damaged = paths.outbox_db("sandbox")
    damaged.write_bytes(b"garbage" * 1000)
    window = MainWindow()
    qtbot.addWidget(window)
    session = qloop.run_until_complete(open_session(window, paths, Settings()))
    try:
        message = window.message_bar.label.text()
        assert f"The outbox file {damaged} is damaged" in message
        assert "FaxDesk left it as it is" in message
        assert damaged.read_bytes() == b"garbage" * 1000
    finally:
        qloop.run_until_complete(session.close())
