"""Sync: the archive mirrors the service's faxes, and every received fax is fetched once.

The list endpoint returns only the prior week unless it is given a createTime range, so sync
always asks with one. Two cursors in the archive say what is covered: everything created
between `sync.low` and `sync.high` has been listed. Each pass lists from a little before
`sync.high` (an overlap, for faxes that appear in the list a moment after their createTime and
for a clock that differs from the service's) up to now, then, while the covered span is shorter
than the configured history, one more window back in time, so the first run fetches 90 days
(up to the 13 months the service keeps) and resumes after a restart where it stopped. Faxes are
stored by id, so whatever the overlap lists twice is stored once.

Received faxes then have their PDF fetched into the receiving folder (`InboundStore`: named by
the pattern, claimed so that desks sharing the folder fetch each fax once), copied to a copy
folder if one is set, and announced through `on_new_fax` once, when they arrived since the
archive started (the history fetched on the first run is not news). Old local copies are
deleted when a retention period is set. No Qt: the app runs `FaxSync.run()` as a task and the
window hears about changes through the callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from faxdesk.config.settings import Receiving
from faxdesk.core.errors import (
    AuthError,
    FaxDeskError,
    NotFound,
    Offline,
    PaymentRequired,
    RateLimited,
    ServerError,
)
from faxdesk.core.models import Direction, Fax, FaxQuery
from faxdesk.core.ports import FaxApi
from faxdesk.services.folders import DEFAULT_PATTERN, Busy, FaxFolder, file_name
from faxdesk.services.folders import write_atomically as _write_atomically
from faxdesk.store.archive import (
    ANNOUNCED,
    COPIED,
    Archive,
    UpsertResult,
    utc_text,
)

log = logging.getLogger(__name__)

#: Archive cursors: everything created from LOW up to HIGH (UTC text) has been listed.
HIGH = "sync.high"
LOW = "sync.low"
#: This desk's name in claims on shared folders, made once per archive.
DESK = "desk.id"
#: When old local copies were last deleted.
EXPIRED = "retention.last"

#: How long a fax waits for another desk that is writing it into the shared folder.
BUSY_WAIT_SECONDS = 60.0

#: Failures of the service or the way to it, not of one fax's document: they count against
#: no fax.
_SERVICE_DOWN = (Offline, ServerError, RateLimited, AuthError, PaymentRequired)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How sync runs; `SyncOptions.from_settings` reads them from the user's settings.

    Attributes:
        folder: where received PDFs go (may be shared with other desks).
        history: how far back the first sync lists.
        overlap: how far before the last pass's end the next pass starts.
        window: the span of one step back through the history.
        page_size: faxes asked for per page (the service allows 1000).
        poll_interval: seconds between passes when nothing triggers one sooner.
        file_pattern: names of received PDFs (`faxdesk.services.folders`).
        copy_folder: also copy every new fax here, or None.
        keep_inbound, keep_outbound: delete local copies older than this, or None to keep.
        fetch_documents: fetch received PDFs at all (off only to measure listing alone).
        max_download_attempts: give up on a fax's PDF after this many failures.
        downloads_at_once: PDFs fetched in parallel.
        pages_at_once: list pages asked for in parallel (after the first).
        unfinished_per_pass: older unfinished faxes asked about per pass.
    """

    folder: Path
    history: timedelta = timedelta(days=90)
    overlap: timedelta = timedelta(minutes=10)
    window: timedelta = timedelta(days=7)
    page_size: int = 1000
    poll_interval: float = 30.0
    file_pattern: str = DEFAULT_PATTERN
    copy_folder: Path | None = None
    keep_inbound: timedelta | None = None
    keep_outbound: timedelta | None = None
    fetch_documents: bool = True
    max_download_attempts: int = 5
    downloads_at_once: int = 4
    pages_at_once: int = 3
    unfinished_per_pass: int = 50

    @classmethod
    def from_settings(cls, receiving: Receiving, default_folder: Path) -> SyncOptions:
        return cls(
            folder=Path(receiving.folder).expanduser() if receiving.folder else default_folder,
            history=timedelta(days=receiving.history_days),
            poll_interval=receiving.poll_interval,
            file_pattern=receiving.file_pattern,
            copy_folder=Path(receiving.copy_folder).expanduser() if receiving.copy_folder else None,
            keep_inbound=timedelta(days=receiving.keep_inbound_days)
            if receiving.keep_inbound_days
            else None,
            keep_outbound=timedelta(days=receiving.keep_outbound_days)
            if receiving.keep_outbound_days
            else None,
        )


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a step of sync changed in the archive.

    Attributes:
        new, changed: ids of faxes added to or changed in the archive.
        stored: ids of faxes whose PDF is now on this computer.
        announced: new received faxes, handed to `on_new_fax`.
        problems: what went wrong that the user can fix, in words (a folder not writable).
    """

    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    stored: tuple[str, ...] = ()
    announced: tuple[Fax, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def touched(self) -> tuple[str, ...]:
        """Every fax id this report is about, once each."""
        ids = [*self.new, *self.changed, *self.stored, *(fax.id for fax in self.announced)]
        return tuple(dict.fromkeys(ids))

    def __bool__(self) -> bool:
        return bool(self.touched or self.problems)


@dataclass
class _Totals:
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    announced: list[Fax] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Received faxes whose PDF this pass does not ask for again (another desk is writing
    #: it, or it failed on its own).
    fetched: set[str] = field(default_factory=set)

    def add(self, report: SyncReport) -> None:
        self.new.extend(report.new)
        self.changed.extend(report.changed)
        self.stored.extend(report.stored)
        self.announced.extend(report.announced)
        self.problems.extend(report.problems)

    def report(self) -> SyncReport:
        return SyncReport(
            new=tuple(dict.fromkeys(self.new)),
            changed=tuple(dict.fromkeys(self.changed)),
            stored=tuple(dict.fromkeys(self.stored)),
            announced=tuple(self.announced),
            problems=tuple(dict.fromkeys(self.problems)),
        )


def desk_id(archive: Archive) -> str:
    """This desk's name in shared-folder claims (made on first use, kept in the archive)."""
    known = archive.cursor(DESK)
    if known:
        return known
    made = secrets.token_hex(8)
    archive.set_cursor(DESK, made)
    return made


class InboundStore:
    """Puts received faxes' PDFs into the receiving folder, once, and records where.

    Whoever needs a received fax's PDF (sync, the preview, the webhook receiver) goes
    through here, so the same fax is fetched once even when asked for twice at the same time,
    and desks sharing the folder fetch it once between them.
    """

    def __init__(self, api: FaxApi, archive: Archive, folder: FaxFolder, pattern: str) -> None:
        self._api = api
        self._archive = archive
        self.folder = folder
        self.pattern = pattern
        self._in_flight: dict[str, asyncio.Task[Path]] = {}

    async def fetch(self, fax: Fax) -> Path:
        """The fax's PDF in the folder, downloaded unless it is there already.

        Raises `Busy` while another desk is writing it, the API's errors (`NotFound` when
        the service holds no document), and OSError when the folder cannot be written.
        """
        return await self._once(fax, None)

    async def put(self, fax: Fax, pdf: bytes) -> Path:
        """Store PDF bytes the service pushed (a webhook) as the fax's file, unless it is
        there already."""
        return await self._once(fax, pdf)

    async def fetch_waiting(self, fax: Fax, limit: float = BUSY_WAIT_SECONDS) -> Path:
        """As `fetch`, but wait (up to `limit` seconds) for another desk that is writing it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            try:
                return await self.fetch(fax)
            except Busy:
                if loop.time() >= deadline:
                    raise
                await asyncio.sleep(0.5)

    @property
    def fetching(self) -> frozenset[str]:
        """Ids of the faxes whose PDF is being fetched or stored right now."""
        return frozenset(self._in_flight)

    async def close(self) -> None:
        """Cancel the PDFs being fetched (the program is closing)."""
        running = list(self._in_flight.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def _once(self, fax: Fax, pdf: bytes | None) -> Path:
        running = self._in_flight.get(fax.id)
        if running is None:
            running = asyncio.get_running_loop().create_task(self._place(fax, pdf))
            self._in_flight[fax.id] = running
            running.add_done_callback(lambda _task: self._in_flight.pop(fax.id, None))
        return await asyncio.shield(running)

    async def _place(self, fax: Fax, pdf: bytes | None) -> Path:
        known = await asyncio.to_thread(self._archive.local_file, fax.id)
        if known is not None and await asyncio.to_thread(known.is_file):
            return known
        row = await asyncio.to_thread(self._archive.row, fax.id)
        name = file_name(self.pattern, fax, row.contact_name if row else "")
        folder = self.folder  # the settings may point it elsewhere meanwhile
        await asyncio.to_thread(folder.path.mkdir, parents=True, exist_ok=True)
        claim = await asyncio.to_thread(folder.claim, fax.id, name)
        if claim.mine:
            try:
                if pdf is None:
                    await self._api.download(fax.id, claim.path)
                else:
                    await asyncio.to_thread(_write_atomically, claim.path, pdf)
            except asyncio.CancelledError:
                # Closing (or killed): the file may still land this instant. The claim stays,
                # so the next start finds the file, or takes its own unfinished claim over.
                raise
            except BaseException:
                await asyncio.to_thread(folder.release, fax.id)
                raise
        await asyncio.to_thread(self._archive.set_local_file, fax.id, claim.path)
        return claim.path


class FaxSync:
    """Keeps the archive in step with the service and handles faxes that arrive.

    Attributes:
        inbound: fetches received PDFs into the folder (shared with the preview and receiver).
        last_synced: when the last pass finished without an error.
        last_error: why the last pass failed, or None.

    Callbacks (attributes; called on the event loop, must return quickly):
        on_report(SyncReport): after each page stored and each batch of PDFs fetched.
        on_new_fax(Fax, Path | None): once per fax received since the archive started, with
            its PDF when the service holds one.
    """

    def __init__(
        self,
        api: FaxApi,
        archive: Archive,
        options: SyncOptions,
        *,
        desk: str,
        on_report: Callable[[SyncReport], None] | None = None,
        on_new_fax: Callable[[Fax, Path | None], None] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._api = api
        self._archive = archive
        self._desk = desk
        self.on_report = on_report
        self.on_new_fax = on_new_fax
        self._now = now or (lambda: datetime.now(UTC))
        self.inbound = InboundStore(
            api, archive, FaxFolder(options.folder, desk), options.file_pattern
        )
        self._copies: FaxFolder | None = None
        self._options = options
        self.options = options
        self._pass = asyncio.Lock()
        self._wake = asyncio.Event()
        self.last_synced: datetime | None = None
        self.last_error: FaxDeskError | None = None

    @property
    def options(self) -> SyncOptions:
        """How sync runs. Set new options (the user changed the settings) and they apply from
        the next fax on: its folder, file name and copy folder; faxes already stored stay."""
        return self._options

    @options.setter
    def options(self, options: SyncOptions) -> None:
        self._options = options
        if options.folder != self.inbound.folder.path:
            self.inbound.folder = FaxFolder(options.folder, self._desk)
        self.inbound.pattern = options.file_pattern
        copies = options.copy_folder
        if copies is None:
            self._copies = None
        elif self._copies is None or self._copies.path != copies:
            self._copies = FaxFolder(copies, self._desk)

    # -- running -------------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop fetching PDFs; call after cancelling `run`."""
        await self.inbound.close()

    def trigger(self) -> None:
        """Start a pass now (a webhook said something happened), or right after this one."""
        self._wake.set()

    async def run(self, on_error: Callable[[FaxDeskError], None] | None = None) -> None:
        """Sync every `poll_interval` seconds, or sooner when triggered, until cancelled."""
        while True:
            self._wake.clear()
            try:
                await self.sync_once()
            except FaxDeskError as exc:
                log.info("Sync failed: %s", exc)
                if on_error is not None:
                    on_error(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.options.poll_interval)

    async def sync_once(self) -> SyncReport:
        """One pass: list what is new, reach further back into the history if it is not all
        there yet, then fetch, copy and announce received faxes. Returns what changed.

        Raises the API's errors (`Offline`...) after reporting what was done before them.
        """
        totals = _Totals()
        async with self._pass:
            try:
                now = self._now()
                await self._forward(now, totals)
                await self._handle_received(totals)
                await self._history(now, totals)
                await self._refresh_unfinished(now, totals)
                await self._handle_received(totals)
                await self._expire(now)
            except FaxDeskError as exc:
                self.last_error = exc
                raise
            self.last_synced = now
            self.last_error = None
        return totals.report()

    def _emit(self, totals: _Totals, report: SyncReport) -> None:
        totals.add(report)
        if report and self.on_report is not None:
            self.on_report(report)

    # -- listing -------------------------------------------------------------------------------

    async def _forward(self, now: datetime, totals: _Totals) -> None:
        high_text = await asyncio.to_thread(self._archive.cursor, HIGH)
        if high_text is None:
            # First run: nothing is covered yet; the history steps start from now.
            high = now
            await asyncio.to_thread(self._archive.set_cursor, LOW, utc_text(now))
        else:
            high = _parse(high_text)
        await self._list_range(high - self.options.overlap, now, totals)
        await asyncio.to_thread(self._archive.set_cursor, HIGH, utc_text(now))

    async def _history(self, now: datetime, totals: _Totals) -> None:
        """Step back through the history one window at a time, until it is all covered.

        Each window is stored (off the event loop) while the next one is listed, so the
        service is not kept waiting on the disk; the `LOW` cursor moves past a window only
        once it is stored, so a pass cut short resumes after the last window kept.
        """
        target = now - self.options.history
        low_text = await asyncio.to_thread(self._archive.cursor, LOW)
        low = _parse(low_text) if low_text else now
        behind: tuple[datetime, asyncio.Task[None]] | None = None
        storing: asyncio.Task[None] | None = None
        try:
            while low > target:
                start = max(target, low - self.options.window)
                storing = await self._start_range(start, low + self.options.overlap, totals)
                if behind is not None:
                    await self._covered_from(*behind)
                behind = (start, storing)
                low = start
        except FaxDeskError:
            # Keep the window listed before the failure: the next pass starts after it.
            if behind is not None:
                await self._covered_from(*behind)
            raise
        except BaseException:
            for task in (storing, behind[1] if behind is not None else None):
                if task is not None:
                    task.cancel()
            raise
        if behind is not None:
            await self._covered_from(*behind)

    async def _covered_from(self, start: datetime, storing: asyncio.Task[None]) -> None:
        await storing
        await asyncio.to_thread(self._archive.set_cursor, LOW, utc_text(start))

    async def _list_range(self, after: datetime, before: datetime, totals: _Totals) -> None:
        """Store every fax created in [after, before], page by page."""
        await (await self._start_range(after, before, totals))

    async def _start_range(
        self, after: datetime, before: datetime, totals: _Totals
    ) -> asyncio.Task[None]:
        """List every fax created in [after, before]; returns once every page has come, with
        the task that stores them (in order, off the event loop) and ends once they are stored.

        Once the first page says how many there are, `pages_at_once` pages are asked for at a
        time, each stored while the others are on their way. When a page fails, the pages
        that came before it are stored all the same before the error is raised.
        """
        # The service takes whole seconds: round the end up, or the last second is missed.
        if before.microsecond:
            before = before.replace(microsecond=0) + timedelta(seconds=1)
        query = FaxQuery(
            created_after=after, created_before=before, page_size=self.options.page_size
        )
        # Bounded, so pages that come faster than the disk takes them wait on the network.
        pages: asyncio.Queue[Sequence[Fax] | None] = asyncio.Queue(self.options.pages_at_once + 1)
        storing = asyncio.get_running_loop().create_task(self._store_pages(pages, totals))
        try:
            first = await self._api.list_faxes(query, 1)
            await pages.put(first.faxes)
            # As the client's own iterator: an empty page or the last one ends the walk, so a
            # service that miscounts cannot keep us asking.
            if first.faxes and first.total_pages > 1:
                await self._remaining_pages(query, first.total_pages, pages)
        except FaxDeskError:
            await pages.put(None)
            await storing
            raise
        except BaseException:
            storing.cancel()
            raise
        await pages.put(None)
        return storing

    async def _store_pages(
        self, pages: asyncio.Queue[Sequence[Fax] | None], totals: _Totals
    ) -> None:
        failed: Exception | None = None
        while (faxes := await pages.get()) is not None:
            if failed is not None:
                continue  # keep taking pages, so the listing never waits on a full queue
            try:
                self._stored(await asyncio.to_thread(self._archive.upsert, faxes), totals)
            except Exception as exc:
                failed = exc
        if failed is not None:
            raise failed

    async def _remaining_pages(
        self, query: FaxQuery, total_pages: int, stored: asyncio.Queue[Sequence[Fax] | None]
    ) -> None:
        pages = iter(range(2, total_pages + 1))
        ended = False

        async def worker() -> None:
            nonlocal ended
            for page in pages:  # shared: each page is taken by one worker
                if ended:
                    return
                result = await self._api.list_faxes(query, page)
                if not result.faxes:
                    ended = True
                    return
                await stored.put(result.faxes)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, self.options.pages_at_once)):
                    group.create_task(worker())
        except* FaxDeskError as failed:
            # One page failed: the others were cancelled; the pass fails as a whole.
            raise failed.exceptions[0] from None

    def _stored(self, result: UpsertResult, totals: _Totals) -> None:
        self._emit(totals, SyncReport(new=result.new, changed=result.changed))

    async def _refresh_unfinished(self, now: datetime, totals: _Totals) -> None:
        """Ask about faxes older than the forward window that are still queued or sending."""
        older = await asyncio.to_thread(
            self._archive.unfinished,
            created_before=now - self.options.overlap,
            limit=self.options.unfinished_per_pass,
        )
        fresh = []
        for fax in older:
            try:
                fresh.append(await self._api.get_fax(fax.id))
            except NotFound:
                continue
        if fresh:
            self._stored(await asyncio.to_thread(self._archive.upsert, fresh), totals)

    # -- received faxes ------------------------------------------------------------------------

    async def _handle_received(self, totals: _Totals) -> None:
        try:
            if self.options.fetch_documents:
                await self._fetch_pending(totals)
        except FaxDeskError:
            # The PDFs could not be fetched: the faxes are news all the same.
            await self._announce(totals)
            raise
        await self._copy_new(totals)
        await self._announce(totals)

    async def _fetch_pending(self, totals: _Totals) -> None:
        """Fetch each received PDF not on this computer yet.

        A failure of one fax's document counts one attempt, and that fax waits for the next
        pass; after `max_download_attempts` passes it is given up. A failure of the service or
        the network counts against no fax: the others go on, and when nothing at all could be
        fetched the pass stops and raises it, so an outage never uses up a fax's attempts.
        """
        keep = self.options.keep_inbound
        cutoff = self._now() - keep if keep is not None else None
        skip = totals.fetched
        limit = asyncio.Semaphore(self.options.downloads_at_once)
        while True:
            pending = [
                fax
                for fax in await asyncio.to_thread(
                    self._archive.pending_downloads,
                    created_after=cutoff,
                    max_attempts=self.options.max_download_attempts,
                    limit=len(skip) + 50,
                )
                if fax.id not in skip
            ]
            if not pending:
                return
            outcomes = await asyncio.gather(*(self._fetch_one(fax, limit) for fax in pending))
            skip.update(
                fax.id for fax, outcome in zip(pending, outcomes, strict=True) if outcome is False
            )
            stored = tuple(
                fax.id for fax, outcome in zip(pending, outcomes, strict=True) if outcome is True
            )
            problems = tuple({outcome for outcome in outcomes if isinstance(outcome, str)})
            self._emit(totals, SyncReport(stored=stored, problems=problems))
            if problems:
                return  # the folder cannot be written: the next pass tries again
            down = [outcome for outcome in outcomes if isinstance(outcome, FaxDeskError)]
            if down and not stored:
                raise down[0]

    async def _fetch_one(self, fax: Fax, limit: asyncio.Semaphore) -> bool | str | FaxDeskError:
        """True when stored; False when it waits for the next pass (another desk is writing
        it, or it failed on its own); a problem text when the folder cannot be written; the
        error when the service or the network failed (no attempt is counted)."""
        async with limit:
            try:
                await self.inbound.fetch(fax)
            except Busy:
                return False  # another desk is writing it: the next pass finds it there
            except NotFound:
                await asyncio.to_thread(
                    self._archive.record_file_problem,
                    fax.id,
                    "The service holds no document for this fax.",
                    permanent=True,
                )
                return False
            except _SERVICE_DOWN as exc:
                log.info("Could not fetch the PDF of fax %s: %s", fax.id, exc)
                await asyncio.to_thread(
                    self._archive.record_file_problem,
                    fax.id,
                    str(exc),
                    permanent=False,
                    counted=False,
                )
                return exc
            except FaxDeskError as exc:
                log.info("Could not fetch the PDF of fax %s: %s", fax.id, exc)
                await asyncio.to_thread(
                    self._archive.record_file_problem, fax.id, str(exc), permanent=False
                )
                return False
            except OSError as exc:
                return _folder_problem(self.inbound.folder.path, exc)
            return True

    async def _copy_new(self, totals: _Totals) -> None:
        copies = self._copies
        if copies is None:
            return
        waiting = await asyncio.to_thread(self._archive.stored_news_without, COPIED)
        for fax, source in waiting:
            row = await asyncio.to_thread(self._archive.row, fax.id)
            name = file_name(self.options.file_pattern, fax, row.contact_name if row else "")
            try:
                await asyncio.to_thread(_copy_into, copies, fax.id, name, source)
            except Busy:
                continue
            except OSError as exc:
                self._emit(totals, SyncReport(problems=(_folder_problem(copies.path, exc),)))
                return
            await asyncio.to_thread(self._archive.mark_done, fax.id, COPIED)

    async def _announce(self, totals: _Totals) -> None:
        waiting = await asyncio.to_thread(self._archive.pending_announcements)
        announced = []
        for fax in waiting:
            path = await asyncio.to_thread(self._archive.local_file, fax.id)
            if not await asyncio.to_thread(self._archive.mark_done, fax.id, ANNOUNCED):
                continue
            announced.append(fax)
            if self.on_new_fax is not None:
                self.on_new_fax(fax, path)
        if announced:
            self._emit(totals, SyncReport(announced=tuple(announced)))

    # -- retention -----------------------------------------------------------------------------

    async def _expire(self, now: datetime) -> None:
        """Delete local copies past their retention period, at most once an hour."""
        rules: Sequence[tuple[Direction, timedelta | None]] = (
            (Direction.INBOUND, self.options.keep_inbound),
            (Direction.OUTBOUND, self.options.keep_outbound),
        )
        if all(keep is None for _direction, keep in rules):
            return
        last = await asyncio.to_thread(self._archive.cursor, EXPIRED)
        if last is not None and now - _parse(last) < timedelta(hours=1):
            return
        for direction, keep in rules:
            if keep is not None:
                await asyncio.to_thread(self._expire_direction, direction, now - keep)
        await asyncio.to_thread(self._archive.set_cursor, EXPIRED, utc_text(now))

    def _expire_direction(self, direction: Direction, before: datetime) -> None:
        for fax_id, path in self._archive.stored_files(direction, before):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("Could not delete the old copy %s: %s", path, exc)
                continue
            if path.parent == self.inbound.folder.path:
                self.inbound.folder.forget(fax_id)
            self._archive.forget_local_file(fax_id, expired=True)


def _copy_into(folder: FaxFolder, fax_id: str, name: str, source: Path) -> None:
    folder.path.mkdir(parents=True, exist_ok=True)
    claim = folder.claim(fax_id, name)
    if not claim.mine:
        return
    try:
        temp = claim.path.with_name(f".{claim.path.name}.part")
        shutil.copyfile(source, temp)
        temp.replace(claim.path)
    except BaseException:
        folder.release(fax_id)
        raise


def _folder_problem(folder: Path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"FaxDesk cannot write received faxes into {folder}: {reason}."


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


#: For callers that only need to await a received fax's PDF (the preview).
FetchReceived = Callable[[Fax], Awaitable[Path]]
