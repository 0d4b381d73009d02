"""The fax list and sync benchmarks, with 100 000 faxes in the archive.

`list_first_paint`: from building the window to the list's first painted rows, with the
archive answering (the service is not asked: it answers nothing). Its baseline is the same
window over an empty archive, so the ratio is what the 100 000 faxes cost. `list_filter`: from
a search typed into the list to its rows shown, against the same rows read by a bare SQLite
query. `list_data_per_screen`: one screenful of the table painted from the model, against the
same texts and icons painted from a QStandardItemModel. `sync_throughput`: a first sync of
10 000 faxes from a sandbox process over loopback (listing and storing, PDFs left out; each
answer delayed 0.1 s as the service's would be), against a bare httpx loop asking for the
same pages one after the other and parsing them. Run through
`benchmarks/run.py`.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import qasync
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView
from timing import median_time

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.core.models import Direction, Fax, FaxStatus, ListFilter, Money
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.faults import FaultSettings
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process
from faxdesk.services.faxes import FaxService
from faxdesk.services.previews import PageRenderer
from faxdesk.services.sync import FaxSync, SyncOptions
from faxdesk.store.archive import Archive
from faxdesk.ui.fax_list import Column, FaxListView
from faxdesk.ui.list_controller import FaxListController
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.tasks import TaskKeeper

ARCHIVE_FAXES = 100_000
SYNC_FAXES = 10_000
#: Seconds each answer of the sandbox waits in the sync benchmark.
SERVICE_LATENCY = 0.1
RUNS = 5
_EMPTY = {"faxes": [], "page": 1, "pageSize": 100, "totalItems": 0, "totalPages": 0}


def _app() -> QApplication:
    # Qt reads the platform when the application is made: no window needs a screen here.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    # Each run closes its window; that must not end the event loop the runs share.
    app.setQuitOnLastWindowClosed(False)
    return app


def _office_faxes(count: int) -> list[Fax]:
    """A year of an office's faxes: mostly received, some sent, a few failed."""
    now = datetime.now(UTC)
    faxes = []
    for n in range(count):
        inbound = n % 3 != 0
        failed = n % 17 == 0
        number = f"+1415555{n % 9000 + 1000:04d}"
        faxes.append(
            Fax(
                id=f"01BENCH{n:012d}",
                direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                status=FaxStatus.FAILURE if failed else FaxStatus.COMPLETED,
                from_=number if inbound else "+12125550100",
                to="+12125550100" if inbound else number,
                create_time=now - timedelta(minutes=5 * n),
                number_of_pages=1 + n % 7,
                price=Money("0.0700", "USD"),
                labels={"ticket": f"T-{n}"} if n % 50 == 0 else {},
                has_file=True,
            )
        )
    return faxes


def office_archive(workdir: Path) -> Path:
    """An archive of 100 000 faxes (made once per benchmark run, then reused)."""
    path = workdir / "office.sqlite3"
    if path.exists():
        return path
    archive = Archive(path)
    try:
        faxes = _office_faxes(ARCHIVE_FAXES)
        for start in range(0, len(faxes), 5000):
            archive.upsert(faxes[start : start + 5000])
    finally:
        archive.close()
    return path


class _Painted(QObject):
    """Notes when the watched viewport first paints (with rows, when rows are expected)."""

    def __init__(self, table: QTableView, expect_rows: bool) -> None:
        super().__init__()
        self._table = table
        self._expect_rows = expect_rows
        self.at: float | None = None
        self.seen = asyncio.Event()
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        shown = self._table.model().rowCount() > 0 or not self._expect_rows
        if event.type() == QEvent.Type.Paint and self.at is None and shown:
            self.at = time.perf_counter()
            watched.removeEventFilter(self)
            self.seen.set()
        return False


class _ListDesk:
    """A window and list controller over an archive, the service answering nothing."""

    def __init__(self, archive_path: Path, workdir: Path) -> None:
        self.archive = Archive(archive_path)
        self.http = create_http_client(
            transport=httpx.MockTransport(lambda _request: httpx.Response(200, json=_EMPTY))
        )
        api = FaxApiClient(
            self.http, base_url="http://fax.test", project_id="p", auth=BasicAuth("k", "s")
        )
        self.faxes = FaxService(api, self.archive, workdir / "docs")
        self.renderer = PageRenderer()
        self.tasks = TaskKeeper(on_error=lambda exc: print(f"task failed: {exc!r}"))

    def window(self) -> tuple[MainWindow, FaxListController]:
        window = MainWindow()
        window.resize(1280, 800)
        controller = FaxListController(window, self.faxes, self.renderer, self.tasks)
        return window, controller

    async def close(self) -> None:
        await self.tasks.close()
        await self.http.aclose()
        self.renderer.shutdown()
        self.archive.close()


async def _settled(tasks: TaskKeeper) -> None:
    """Wait for the list's loading task (the benchmark's own keeper: its insides are ours)."""
    running = tasks._keyed.get("list")
    if running is not None:
        await asyncio.gather(running, return_exceptions=True)


async def _all_settled(tasks: TaskKeeper) -> None:
    """Wait for every task the window started (counts, services...), so none of them
    touches the window once it is deleted."""
    while tasks._tasks:
        await asyncio.gather(*tasks._tasks, return_exceptions=True)


async def _first_paint(desk: _ListDesk, expect_rows: bool) -> float:
    start = time.perf_counter()
    window, controller = desk.window()
    painted = _Painted(window.fax_list.table, expect_rows)
    controller.start()
    window.show()
    await painted.seen.wait()
    assert painted.at is not None
    elapsed = painted.at - start
    controller.stop()
    await _all_settled(desk.tasks)
    window.close()
    window.deleteLater()
    return elapsed


def _run(coroutine_factory, runs: int = RUNS) -> float:
    """The median of `runs` timed coroutines after a warm-up, on a qasync loop."""
    app = _app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            values = loop.run_until_complete(_gather_runs(coroutine_factory, runs))
    finally:
        asyncio.set_event_loop(None)
    return statistics.median(values)


async def _gather_runs(coroutine_factory, runs: int) -> list[float]:
    measure = await coroutine_factory()
    await measure()  # warm-up
    values = [await measure() for _ in range(runs)]
    await measure.close()
    return values


class _Measure:
    def __init__(self, desk: _ListDesk, run) -> None:
        self._desk = desk
        self._run = run

    async def __call__(self) -> float:
        return await self._run(self._desk)

    async def close(self) -> None:
        await self._desk.close()


def list_first_paint(workdir: Path) -> dict[str, object]:
    """The list's first rows on screen with 100 000 faxes in the archive."""
    full = office_archive(workdir)
    empty = workdir / "empty.sqlite3"
    Archive(empty).close()

    async def over(path: Path, rows: bool) -> _Measure:
        desk = _ListDesk(path, workdir)
        return _Measure(desk, lambda d: _first_paint(d, rows))

    value = _run(lambda: over(full, True))
    baseline = _run(lambda: over(empty, False))
    return {
        "name": "list_first_paint",
        "value": round(value, 4),
        "unit": "s",
        "baseline": "the same window over an empty archive",
        "baseline_value": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "goal": "value < 1 s",
    }


def list_filter(workdir: Path) -> dict[str, object]:
    """A search typed into the list (a number fragment, matching 1 fax in 9000) until shown."""
    path = office_archive(workdir)
    text = "555 1234"

    async def typed(desk: _ListDesk) -> float:
        window, controller = desk.window()
        window.show()
        controller.start()
        await _settled(desk.tasks)
        start = time.perf_counter()
        window.fax_list.search_edit.setText(text)
        window.fax_list.search_edit.returnPressed.emit()
        await _settled(desk.tasks)
        elapsed = time.perf_counter() - start
        assert window.fax_list.model.rowCount() > 0
        controller.stop()
        await _all_settled(desk.tasks)
        window.close()
        window.deleteLater()
        return elapsed

    async def make() -> _Measure:
        return _Measure(_ListDesk(path, workdir), typed)

    value = _run(make)

    def bare() -> float:
        db = sqlite3.connect(path)
        try:
            start = time.perf_counter()
            db.execute(
                "SELECT r.record FROM fax f JOIN fax_record r ON r.id = f.id"
                " WHERE instr(f.from_number, ?) > 0 OR instr(f.to_number, ?) > 0"
                " ORDER BY f.create_time DESC LIMIT 200",
                ("5551234", "5551234"),
            ).fetchall()
            return time.perf_counter() - start
        finally:
            db.close()

    bare()
    baseline = statistics.median(bare() for _ in range(RUNS))
    return {
        "name": "list_filter",
        "value": round(value, 4),
        "unit": "s",
        "baseline": "bare SQLite query for the same rows",
        "baseline_value": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "goal": "value < 0.1 s",
    }


def list_data_per_screen(workdir: Path) -> dict[str, object]:
    """One screenful of rows painted from the fax list model (every role a view asks for)."""
    path = office_archive(workdir)
    app = _app()
    archive = Archive(path)
    rows = archive.query(ListFilter(), limit=200)
    archive.close()
    view = FaxListView()
    view.resize(900, 800)
    view.show()
    model = view.model

    model.set_rows(rows)

    def paint_fax_list() -> object:
        # As rows seen for the first time: the model makes every text it shows again.
        model._texts.clear()
        return view.table.viewport().grab(view.table.viewport().rect())

    plain = QStandardItemModel(len(rows), len(Column))
    for r in range(len(rows)):
        for c in range(len(Column)):
            index = model.index(r, c)
            item = QStandardItem(index.data() or "")
            decoration = index.data(Qt.ItemDataRole.DecorationRole)
            if decoration is not None:
                item.setIcon(decoration)
            plain.setItem(r, c, item)
    bare_table = QTableView()
    bare_table.setModel(plain)
    bare_table.resize(view.table.size())
    bare_table.verticalHeader().hide()
    for column in range(len(Column)):
        bare_table.setColumnWidth(column, view.table.columnWidth(column))
        bare_table.setColumnHidden(column, view.table.isColumnHidden(column))
    row_height = view.table.verticalHeader().defaultSectionSize()
    bare_table.verticalHeader().setDefaultSectionSize(row_height)
    bare_table.show()

    def paint_bare() -> object:
        return bare_table.viewport().grab(bare_table.viewport().rect())

    app.processEvents()
    value = median_time(paint_fax_list, repeats=15)
    baseline = median_time(paint_bare, repeats=15)
    view.close()
    bare_table.close()
    return {
        "name": "list_data_per_screen",
        "value": round(value, 4),
        "unit": "s",
        "baseline": "the same screen painted from a QStandardItemModel",
        "baseline_value": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        # A model in Python answers each of the ~1600 role questions of a screen in Python;
        # the goal is that a whole screen still fits well within one frame.
        "goal": "value < 0.016 s",
    }


async def _inject(origin: str, auth: httpx.BasicAuth, count: int) -> None:
    async with httpx.AsyncClient(auth=auth, timeout=300) as http:
        left = count
        newest = datetime.now(UTC)
        while left:
            batch = min(left, 5000)
            days = 30 * batch / count
            answer = await http.post(
                f"{origin}/sandbox/inbound",
                json={"count": batch, "createdAt": newest.isoformat(), "spreadDays": days},
            )
            answer.raise_for_status()
            newest -= timedelta(days=days)
            left -= batch


def sync_throughput(workdir: Path) -> dict[str, object]:
    """Faxes per second of a first sync (list and store), against a bare httpx loop."""
    # The service answers a page over the internet, not in a few milliseconds on loopback:
    # every API answer waits as long as a round trip to it and its database lookup may take.
    faults = FaultSettings(latency_seconds=SERVICE_LATENCY)
    with sandbox_process(SandboxConfig(port=0, time_scale=0.01, faults=faults)) as sandbox:
        config = sandbox.config
        auth = httpx.BasicAuth(config.key_id, config.key_secret)
        asyncio.run(_inject(sandbox.origin, auth, SYNC_FAXES))
        runs = [asyncio.run(_sync_and_bare(sandbox, workdir / f"run-{n}")) for n in range(RUNS + 1)]
    synced, bare = zip(*runs[1:], strict=True)  # the first run warms up
    value = SYNC_FAXES / statistics.median(synced)
    baseline = SYNC_FAXES / statistics.median(bare)
    return {
        "name": "sync_throughput",
        "value": round(value, 1),
        "unit": "faxes/s",
        "baseline": "bare httpx loop over the same pages",
        "baseline_value": round(baseline, 1),
        # Time taken relative to the bare loop: the goal is at most 1.2 times as long.
        "ratio": round(baseline / value, 2),
        "goal": "<= 1.2",
    }


async def _sync_and_bare(sandbox: SandboxProcess, folder: Path) -> tuple[float, float]:
    await asyncio.to_thread(folder.mkdir, parents=True)
    config = sandbox.config
    asked: list[httpx.URL] = []

    async def note(request: httpx.Request) -> None:
        if request.url.path.endswith("/faxes"):
            asked.append(request.url)

    http = create_http_client()
    http.event_hooks["request"].append(note)
    archive = Archive(folder / "archive.sqlite3")
    try:
        api = FaxApiClient(
            http,
            base_url=sandbox.origin,
            project_id=config.project_id,
            auth=BasicAuth(config.key_id, config.key_secret),
        )
        sync = FaxSync(
            api,
            archive,
            SyncOptions(folder=folder, history=timedelta(days=31), fetch_documents=False),
            desk="bench",
        )
        start = time.perf_counter()
        await sync.sync_once()
        synced = time.perf_counter() - start
        assert archive.count(ListFilter()) == SYNC_FAXES
    finally:
        archive.close()
        await http.aclose()

    async with httpx.AsyncClient(auth=httpx.BasicAuth(config.key_id, config.key_secret)) as raw:
        start = time.perf_counter()
        for url in asked:
            answer = await raw.get(url)
            answer.raise_for_status()
            answer.json()
        bare = time.perf_counter() - start
    return synced, bare
