"""Sync against the real sandbox (in-process, through the real client and a real archive).

Received faxes are made with the sandbox's control endpoint (`POST /sandbox/inbound`). Faults
the sandbox never gives on its own come from `tests.fakes.faults.FaultyTransport`; a counting
transport between it and the client records every list request and every PDF the client
received whole, so "downloaded once" is checked where it matters: at FaxDesk.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.api.retries import RetryPolicy
from faxdesk.api.wire import fax_from_wire
from faxdesk.config.settings import Receiving
from faxdesk.core.errors import FaxDeskError
from faxdesk.core.models import Direction, Fax, FaxStatus, ListFilter
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from faxdesk.services.faxes import FaxService
from faxdesk.services.folders import CLAIMS_DIR, FaxFolder
from faxdesk.services.sync import HIGH, LOW, FaxSync, SyncOptions, SyncReport, desk_id
from faxdesk.store.archive import COPIED, FILE_EXPIRED, FILE_NONE, FILE_UNAVAILABLE, Archive
from tests.fakes.faults import Fault, FaultyTransport
from tests.waiting import until


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


QUICK_RETRIES = RetryPolicy(attempts=3, base_delay=0, max_delay=0, sleep=_no_sleep)


class _CountingStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._inner = inner
        self._done = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk
        self._done()

    async def aclose(self) -> None:
        await self._inner.aclose()


class CountingTransport(httpx.AsyncBaseTransport):
    """Records list queries, and each PDF the client read to its end (by fax id)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.list_queries: list[str] = []
        self.pdfs: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.endswith("/faxes"):
            self.list_queries.append(request.url.query.decode())
        response = await self.inner.handle_async_request(request)
        if request.method == "GET" and path.endswith("/file") and response.status_code == 200:
            fax_id = path.rsplit("/", 2)[-2]
            assert isinstance(response.stream, httpx.AsyncByteStream)
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=_CountingStream(response.stream, lambda: self.pdfs.update([fax_id])),
                extensions=response.extensions,
            )
        return response


@dataclass
class Desk:
    """One FaxDesk: its client, archive and sync, on a shared sandbox."""

    api: FaxApiClient
    http: httpx.AsyncClient
    counting: CountingTransport
    faults: FaultyTransport
    archive: Archive
    sync: FaxSync
    reports: list[SyncReport] = field(default_factory=list)
    announced: list[tuple[Fax, Path | None]] = field(default_factory=list)

    @staticmethod
    def api_fax(wire: dict) -> Fax:
        return fax_from_wire(wire)


@pytest.fixture
async def local() -> AsyncIterator[LocalSandbox]:
    async with in_process_sandbox(SandboxConfig(time_scale=0.01)) as sandbox:
        yield sandbox


@pytest.fixture
async def desks(local: LocalSandbox, tmp_path: Path):
    """Make desks on the one sandbox: `await desks(name, **options)`; all closed at the end."""
    made: list[Desk] = []

    async def make(name: str = "desk", *, archive_path: Path | None = None, **options) -> Desk:
        faults = FaultyTransport(local.transport, sends_only=False, retry_after="0")
        counting = CountingTransport(faults)
        http = create_http_client(transport=counting)
        api = FaxApiClient(
            http,
            base_url=local.origin,
            project_id=local.config.project_id,
            auth=BasicAuth(local.config.key_id, local.config.key_secret),
            retry=QUICK_RETRIES,
        )
        archive = Archive(archive_path or tmp_path / f"{name}.sqlite3")
        options.setdefault("folder", tmp_path / "received")
        desk = Desk(api, http, counting, faults, archive, None)  # type: ignore[arg-type]
        desk.sync = FaxSync(
            api,
            archive,
            SyncOptions(**options),
            desk=desk_id(archive),
            on_report=desk.reports.append,
            on_new_fax=lambda fax, path: desk.announced.append((fax, path)),
        )
        made.append(desk)
        return desk

    yield make
    for desk in made:
        await desk.sync.close()
        await desk.http.aclose()
        desk.archive.close()


async def inject(local: LocalSandbox, **body) -> list[dict]:
    """Have the sandbox receive faxes (count, createdAt, spreadDays, from...)."""
    async with httpx.AsyncClient(transport=local.transport, auth=local.auth) as control:
        response = await control.post(f"{local.origin}/sandbox/inbound", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()["faxes"]


def _received_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".pdf")


async def _sync_until_settled(desk: Desk, passes: int = 30) -> None:
    """Run passes, shrugging off the injected faults, until nothing is left to fetch."""
    for _ in range(passes):
        try:
            await desk.sync.sync_once()
        except FaxDeskError:
            continue
        pending = await asyncio.to_thread(desk.archive.pending_downloads)
        if not pending and await asyncio.to_thread(desk.archive.cursor, LOW):
            return
    raise AssertionError("sync did not settle")


async def test_the_first_sync_fetches_the_history_with_explicit_ranges(local, desks, tmp_path):
    await inject(local, count=40, spreadDays=80)
    await inject(local, count=5, createdAt=(datetime.now(UTC) - timedelta(days=95)).isoformat())
    desk = await desks(history=timedelta(days=90), window=timedelta(days=7), page_size=10)
    report = await desk.sync.sync_once()

    assert len(report.new) == 40
    assert await asyncio.to_thread(desk.archive.count, ListFilter()) == 40
    # Every list request names a createTime range: without one the service lists a week.
    assert desk.counting.list_queries
    assert all(
        "createTime>=" in query and "createTime<=" in query for query in desk.counting.list_queries
    )
    # One step back per window, paged: 90 days in 7-day windows, 10 faxes a page.
    assert len(desk.counting.list_queries) >= 14
    low = datetime.strptime(desk.archive.cursor(LOW), "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(low.replace(tzinfo=UTC) - (datetime.now(UTC) - timedelta(days=90))) < timedelta(
        minutes=1
    )
    # The PDFs are in the folder, one each, named by the pattern.
    files = _received_files(tmp_path / "received")
    assert len(files) == 40
    assert all(count == 1 for count in desk.counting.pdfs.values())
    assert len(desk.counting.pdfs) == 40
    sample = files[0].name
    assert sample.endswith(".pdf")
    assert sample.count("_") >= 3
    # History is not news: nothing announced, nothing unread.
    assert desk.announced == []
    assert desk.archive.unread_counts().total == 0

    # A longer history reaches further back on the next pass.
    desk.sync.options = replace(desk.sync.options, history=timedelta(days=100))
    report = await desk.sync.sync_once()
    assert len(report.new) == 5


async def test_a_failure_deep_in_the_history_keeps_the_weeks_listed_before_it(local, desks):
    now = datetime.now(UTC)
    for days_ago in (1, 8, 15, 22):
        await inject(local, count=2, createdAt=(now - timedelta(days=days_ago)).isoformat())
    desk = await desks(history=timedelta(days=28), fetch_documents=False)
    # The first pass lists the last minutes, then weeks one and two; week three fails,
    # however often the client asks.
    desk.faults.plan = [Fault.NONE] * 3 + [Fault.ERROR_500] * 3
    with pytest.raises(FaxDeskError):
        await desk.sync.sync_once()
    assert await asyncio.to_thread(desk.archive.count, ListFilter()) == 4
    low = datetime.strptime(desk.archive.cursor(LOW), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(low - (now - timedelta(days=14))) < timedelta(minutes=1)

    # The next pass starts where the failed one stopped: the last minutes, weeks three and four.
    desk.faults.plan = []
    desk.counting.list_queries.clear()
    report = await desk.sync.sync_once()
    assert len(report.new) == 4
    assert len(desk.counting.list_queries) == 3
    assert await asyncio.to_thread(desk.archive.count, ListFilter()) == 8


async def test_a_pass_lists_only_since_the_last_one_with_an_overlap(local, desks):
    desk = await desks(history=timedelta(days=2))
    await desk.sync.sync_once()
    high = datetime.strptime(desk.archive.cursor(HIGH), "%Y-%m-%dT%H:%M:%S.%fZ")
    desk.counting.list_queries.clear()

    # A fax whose createTime is a little before the last pass ended still comes in.
    late = await inject(
        local,
        count=1,
        createdAt=(high.replace(tzinfo=UTC) - timedelta(minutes=3)).isoformat(),
    )
    fresh = await inject(local, count=2)
    report = await desk.sync.sync_once()
    assert set(report.new) == {late[0]["id"], *(fax["id"] for fax in fresh)}
    [query] = desk.counting.list_queries
    assert "createTime>=" in query
    # Listing the overlap again stores nothing twice.
    again = await desk.sync.sync_once()
    assert again.new == ()
    assert await asyncio.to_thread(desk.archive.count, ListFilter()) == 3


async def test_new_faxes_are_announced_once_with_their_pdf(local, desks):
    desk = await desks(history=timedelta(days=1))
    await desk.sync.sync_once()
    arrived = await inject(local, count=3, **{"from": "+14155550123"})
    await desk.sync.sync_once()
    await desk.sync.sync_once()

    assert sorted(fax.id for fax, _ in desk.announced) == sorted(f["id"] for f in arrived)
    for fax, path in desk.announced:
        assert fax.direction is Direction.INBOUND
        assert path is not None
        assert path.read_bytes().startswith(b"%PDF")
        assert "14155550123" in path.name
    assert desk.archive.unread_counts().inbound == 3
    assert any(report.announced for report in desk.reports)


async def test_2500_faxes_over_120_days_arrive_once_across_restarts_and_faults(
    local, desks, tmp_path
):
    await inject(local, count=2500, spreadDays=120)
    folder = tmp_path / "received"
    archive_path = tmp_path / "desk.sqlite3"
    options = {"history": timedelta(days=125), "page_size": 100, "archive_path": archive_path}
    kinds = (
        Fault.ERROR_503,
        Fault.TOO_MANY,
        Fault.DROP_AFTER,
        Fault.TIMEOUT_AFTER,
        Fault.REFUSED,
        Fault.ERROR_500,
    )
    # A PDF that had fully arrived but was not yet on disk when the program stopped is
    # fetched again: it was never stored. Those are the ones in flight at a stop.
    in_flight: set[str] = set()
    made: list[Desk] = []

    async def start(name: str) -> Desk:
        desk = await desks(name, **options)
        desk.faults.rate = 0.1
        desk.faults.kinds = kinds
        made.append(desk)
        return desk

    async def run_until_stopped(desk: Desk, stop: Callable[[Desk], bool]) -> None:
        """Sync, shrugging off failures, until `stop` says so; then the program is killed."""

        async def passes() -> None:
            while True:
                try:
                    await desk.sync.sync_once()
                except FaxDeskError:
                    continue

        task = asyncio.get_running_loop().create_task(passes())
        await until(lambda: stop(desk) or task.done(), 60)
        in_flight.update(desk.sync.inbound.fetching)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await desk.sync.close()
        desk.archive.close()

    def listed(desk: Desk) -> int:
        return sum(len(report.new) for report in desk.reports)

    def fetched(desk: Desk) -> int:
        return sum(len(report.stored) for report in desk.reports)

    # Stopped while the history is still being listed...
    await run_until_stopped(await start("first"), lambda desk: listed(desk) >= 600)
    # ...then, started again (received faxes already listed are fetched before the history
    # goes on), stopped while the PDFs are being fetched...
    await run_until_stopped(await start("second"), lambda desk: fetched(desk) >= 700)
    # ...and started once more, to run until everything is in.
    last = await start("third")
    await _sync_until_settled(last)

    first, second = made[0], made[1]
    assert 600 <= listed(first) < 2500, "the first stop came mid-history"
    assert fetched(second) >= 700
    # The history was taken up where the first stop left it: no fax is new twice.
    assert listed(last) > 0
    new = [fax_id for desk in made for report in desk.reports for fax_id in report.new]
    assert len(new) == len(set(new))
    assert await asyncio.to_thread(last.archive.count, ListFilter()) == 2500
    faults = sum((desk.faults.counts for desk in made), Counter())
    assert faults[Fault.NONE] > 0
    assert sum(n for kind, n in faults.items() if kind != Fault.NONE) > 0
    downloads = sum((desk.counting.pdfs for desk in made), Counter())
    assert len(downloads) == 2500
    twice = {fax_id for fax_id, count in downloads.items() if count > 1}
    assert twice <= in_flight, "a stored PDF was downloaded again"
    assert max(downloads.values()) <= 2
    assert len(_received_files(folder)) == 2500
    # No temporary files or claims without a file are left behind.
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]
    assert len(list((folder / CLAIMS_DIR).iterdir())) == 2500


async def test_two_desks_sharing_a_folder_download_each_fax_once(local, desks, tmp_path):
    await inject(local, count=60, spreadDays=5)
    shared = tmp_path / "shared"
    a = await desks("a", folder=shared, history=timedelta(days=6), downloads_at_once=3)
    b = await desks("b", folder=shared, history=timedelta(days=6), downloads_at_once=3)
    assert desk_id(a.archive) != desk_id(b.archive)

    for _ in range(3):
        await asyncio.gather(a.sync.sync_once(), b.sync.sync_once())
        await asyncio.gather(_sync_until_settled(a), _sync_until_settled(b))

    downloads = a.counting.pdfs + b.counting.pdfs
    assert len(downloads) == 60
    assert set(downloads.values()) == {1}
    assert len(_received_files(shared)) == 60
    # Both desks know every file, whoever fetched it.
    for desk in (a, b):
        rows = await asyncio.to_thread(desk.archive.query, ListFilter(), limit=100)
        for row in rows:
            path = desk.archive.local_file(row.fax.id)
            assert path is not None
            assert path.parent == shared
            assert path.is_file()


async def test_a_desk_that_died_mid_download_does_not_block_the_other_for_ever(
    local, desks, tmp_path
):
    [fax] = await inject(local, count=1)
    shared = tmp_path / "shared"
    a = await desks("a", folder=shared, history=timedelta(days=1))
    b = await desks("b", folder=shared, history=timedelta(days=1))
    # Desk a claimed the fax and died before writing it.
    FaxFolder(shared, desk_id(a.archive)).claim(fax["id"], "fax.pdf")
    os.utime(shared / CLAIMS_DIR / f"{fax['id']}.json", (0, 0))
    await b.sync.sync_once()
    assert b.counting.pdfs[fax["id"]] == 1
    assert b.archive.local_file(fax["id"]).is_file()


async def test_a_fax_without_a_stored_document_is_not_asked_for_again(local, desks):
    [fax] = await inject(local, count=1)
    desk = await desks(history=timedelta(days=1))
    local.sandbox.state.delete_file(fax["id"])
    # The list still says it has a file (as a stale listing would).
    local.sandbox.state.update_fax(fax["id"], {"hasFile": True})
    await desk.sync.sync_once()
    await desk.sync.sync_once()
    assert desk.archive.file_state(fax["id"]) == (
        FILE_UNAVAILABLE,
        "The service holds no document for this fax.",
    )


class _FilesFail(httpx.AsyncBaseTransport):
    """Between the client and the service: while `down`, PDF downloads fail as `down` says
    (the listing still answers); `bad` fax ids get a web page instead of their PDF."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down: str | None = None
        self.bad: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if "/file" in path:
            if self.down == "refused":
                raise httpx.ConnectError("Connection refused", request=request)
            if self.down == "503":
                return httpx.Response(503, json={"code": 503, "message": "down"}, request=request)
            if path.split("/faxes/")[1].split("/")[0] in self.bad:
                return httpx.Response(200, text="<html>Sign in</html>", request=request)
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("outage", ["refused", "503"])
async def test_an_outage_while_fetching_pdfs_gives_up_on_no_fax(local, desks, outage):
    desk = await desks(history=timedelta(days=1), max_download_attempts=2)
    await desk.sync.sync_once()
    arrived = await inject(local, count=3)
    files = _FilesFail(desk.faults.inner)
    desk.faults.inner = files
    files.down = outage
    # The listing works, the PDFs do not: the passes fail, and say why.
    for _ in range(4):
        with pytest.raises(FaxDeskError):
            await desk.sync.sync_once()
    assert desk.sync.last_error is not None
    assert await asyncio.to_thread(desk.archive.count, ListFilter()) == 3
    assert desk.counting.pdfs == Counter()
    # The new faxes are announced all the same, without their PDF, once.
    assert sorted(fax.id for fax, _path in desk.announced) == sorted(f["id"] for f in arrived)
    assert all(path is None for _fax, path in desk.announced)
    # No fax was counted as failing: once the service is back, each arrives, once.
    files.down = None
    await desk.sync.sync_once()
    assert desk.sync.last_error is None
    assert sorted(desk.counting.pdfs) == sorted(fax["id"] for fax in arrived)
    assert set(desk.counting.pdfs.values()) == {1}
    assert all(desk.archive.local_file(fax["id"]).is_file() for fax in arrived)
    assert len(desk.announced) == 3


async def test_a_fax_whose_pdf_fails_is_tried_once_a_pass_then_given_up(local, desks):
    [broken, fine] = await inject(local, count=2)
    desk = await desks(history=timedelta(days=1), max_download_attempts=3)
    files = _FilesFail(desk.faults.inner)
    desk.faults.inner = files
    files.bad = {broken["id"]}
    await desk.sync.sync_once()
    # The other fax is in; the broken one was asked for once, and counted once.
    assert desk.archive.local_file(fine["id"]).is_file()
    state, problem = desk.archive.file_state(broken["id"])
    assert state == FILE_NONE  # not given up yet
    assert "instead of the fax's PDF" in problem
    assert len(await asyncio.to_thread(desk.archive.pending_downloads, max_attempts=3)) == 1
    await desk.sync.sync_once()
    assert len(await asyncio.to_thread(desk.archive.pending_downloads, max_attempts=3)) == 1
    await desk.sync.sync_once()
    # Three passes, three attempts: given up.
    assert await asyncio.to_thread(desk.archive.pending_downloads, max_attempts=3) == []
    await desk.sync.sync_once()
    assert desk.archive.local_file(broken["id"]) is None


async def test_a_folder_that_cannot_be_written_is_reported_in_words(local, desks, tmp_path):
    await inject(local, count=2)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    desk = await desks(folder=blocked, history=timedelta(days=1))
    report = await desk.sync.sync_once()
    assert report.problems
    assert report.problems[0].startswith(f"FaxDesk cannot write received faxes into {blocked}:")
    assert len(await asyncio.to_thread(desk.archive.pending_downloads)) == 2


async def test_new_faxes_are_copied_to_the_copy_folder_once(local, desks, tmp_path):
    copies = tmp_path / "copies"
    desk = await desks(history=timedelta(days=1), copy_folder=copies)
    await desk.sync.sync_once()
    arrived = await inject(local, count=2)
    await desk.sync.sync_once()
    await desk.sync.sync_once()
    copied = _received_files(copies)
    assert len(copied) == 2
    assert all(path.read_bytes().startswith(b"%PDF") for path in copied)
    assert all(desk.archive.is_done(fax["id"], COPIED) for fax in arrived)


async def test_new_folders_and_file_names_apply_from_the_next_fax(local, desks, tmp_path):
    desk = await desks(history=timedelta(days=1), file_pattern="{id}.pdf")
    [before] = await inject(local, count=1)
    await desk.sync.sync_once()
    assert [path.name for path in _received_files(tmp_path / "received")] == [f"{before['id']}.pdf"]

    # The user picks another folder, file names and a copy folder in Settings.
    elsewhere = tmp_path / "shared"
    copies = tmp_path / "copies"
    desk.sync.options = replace(
        desk.sync.options,
        folder=elsewhere,
        file_pattern="{sender}-{id}.pdf",
        copy_folder=copies,
    )
    [after] = await inject(local, count=1, **{"from": "+14155550123"})
    await desk.sync.sync_once()
    await desk.sync.sync_once()
    expected = f"14155550123-{after['id']}.pdf"
    assert [path.name for path in _received_files(elsewhere)] == [expected]
    assert desk.archive.local_file(after["id"]) == elsewhere / expected
    # Received faxes not copied anywhere yet go to the new copy folder, by the new names.
    assert [path.name for path in _received_files(copies)] == sorted(
        [expected, f"{before['from'].lstrip('+')}-{before['id']}.pdf"]
    )
    # What was stored before stays where it is.
    assert desk.archive.local_file(before["id"]) == tmp_path / "received" / f"{before['id']}.pdf"
    assert desk.counting.pdfs[before["id"]] == 1

    # And no copy folder any more: nothing else is copied.
    desk.sync.options = replace(desk.sync.options, copy_folder=None)
    await inject(local, count=1)
    await desk.sync.sync_once()
    assert len(_received_files(copies)) == 2
    assert len(_received_files(elsewhere)) == 2


async def test_old_local_copies_are_deleted_when_a_retention_is_set(local, desks, tmp_path):
    now = datetime.now(UTC)
    await inject(local, count=3, createdAt=(now - timedelta(days=40)).isoformat())
    [recent] = await inject(local, count=1)
    desk = await desks(history=timedelta(days=60))
    await desk.sync.sync_once()
    assert len(_received_files(tmp_path / "received")) == 4
    old_ids = [
        row.fax.id
        for row in desk.archive.query(ListFilter(created_before=now - timedelta(days=30)))
    ]

    desk.sync.options = replace(desk.sync.options, keep_inbound=timedelta(days=30))
    await desk.sync.sync_once()
    remaining = _received_files(tmp_path / "received")
    assert [path.name for path in remaining] == [desk.archive.local_file(recent["id"]).name]
    assert all(desk.archive.file_state(fax_id)[0] == FILE_EXPIRED for fax_id in old_ids)
    # Nothing deleted is fetched again.
    await desk.sync.sync_once()
    assert len(_received_files(tmp_path / "received")) == 1
    assert all(desk.counting.pdfs[fax_id] == 1 for fax_id in old_ids)


async def test_retention_is_off_by_default_and_set_apart_for_sent_faxes(local, desks, tmp_path):
    assert SyncOptions.from_settings(Receiving(), tmp_path).keep_inbound is None
    assert SyncOptions.from_settings(Receiving(), tmp_path).keep_outbound is None
    chosen = SyncOptions.from_settings(Receiving(keep_outbound_days=30), tmp_path / "received")
    assert (chosen.keep_inbound, chosen.keep_outbound) == (None, timedelta(days=30))

    now = datetime.now(UTC)
    [received] = await inject(local, count=1, createdAt=(now - timedelta(days=40)).isoformat())
    desk = await desks(history=timedelta(days=60), keep_outbound=chosen.keep_outbound)
    # Two sent faxes whose PDFs this desk keeps: one from 40 days ago, one from yesterday.
    sent = tmp_path / "documents"
    sent.mkdir()
    for fax_id, days_ago in (("sent-old", 40), ("sent-new", 1)):
        fax = Fax(
            id=fax_id,
            direction=Direction.OUTBOUND,
            status=FaxStatus.COMPLETED,
            from_="+19898989898",
            to="+14155550100",
            create_time=now - timedelta(days=days_ago),
            number_of_pages=1,
        )
        await asyncio.to_thread(desk.archive.upsert, [fax])
        (sent / f"{fax_id}.pdf").write_bytes(b"%PDF-1.4 sent")
        await asyncio.to_thread(desk.archive.set_local_file, fax_id, sent / f"{fax_id}.pdf")

    await desk.sync.sync_once()
    assert sorted(path.name for path in sent.iterdir()) == ["sent-new.pdf"]
    assert desk.archive.file_state("sent-old")[0] == FILE_EXPIRED
    assert desk.archive.get("sent-old") is not None  # the record stays
    # Received faxes have no retention here: the old one is kept.
    kept = desk.archive.local_file(received["id"])
    assert kept is not None
    assert kept.is_file()


async def test_older_unfinished_faxes_are_asked_about(local, desks):
    desk = await desks(history=timedelta(days=1))
    await desk.sync.sync_once()
    # Received two hours ago, after the history was listed; the archive last saw it arriving.
    [fax] = await inject(
        local, count=1, createdAt=(datetime.now(UTC) - timedelta(hours=2)).isoformat()
    )
    arriving = replace(
        desk.api_fax(fax), status=FaxStatus.IN_PROGRESS, number_of_pages=0, has_file=False
    )
    await asyncio.to_thread(desk.archive.upsert, [arriving])
    report = await desk.sync.sync_once()
    assert report.changed == (fax["id"],)
    assert desk.archive.get(fax["id"]).status is FaxStatus.COMPLETED
    assert desk.counting.pdfs[fax["id"]] == 1


async def test_a_trigger_starts_a_pass_at_once(local, desks):
    desk = await desks(history=timedelta(days=1), poll_interval=3600)
    errors: list[FaxDeskError] = []
    runner = asyncio.get_running_loop().create_task(desk.sync.run(errors.append))
    try:
        await until(lambda: desk.sync.last_synced is not None)
        [fax] = await inject(local, count=1)
        desk.sync.trigger()
        await until(lambda: desk.archive.get(fax["id"]) is not None)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert errors == []


async def test_the_preview_fetches_a_received_fax_through_the_receiving_folder(
    local, desks, tmp_path
):
    [fax] = await inject(local, count=1, **{"from": "+14155550123"})
    desk = await desks(history=timedelta(days=1), fetch_documents=False)
    await desk.sync.sync_once()
    service = FaxService(desk.api, desk.archive, tmp_path / "docs", inbound=desk.sync.inbound)
    received = desk.archive.get(fax["id"])
    first, second = await asyncio.gather(service.document(received), service.document(received))
    assert first == second
    assert first.parent == tmp_path / "received"
    assert "14155550123" in first.name
    assert desk.counting.pdfs[fax["id"]] == 1
    assert await service.document(received) == first
    assert desk.counting.pdfs[fax["id"]] == 1
