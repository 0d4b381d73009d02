"""The durable outbox: sends faxes in the background, exactly once, and follows them to the end.

`Outbox.submit` copies the documents into the outbox folder and writes one journal entry per
recipient (`faxdesk.store.outbox`) before anything goes out; `Outbox.run` then sends the
entries one at a time, oldest first, and polls the service until each fax is delivered or has
failed. Every request carries the entry's submission label (`labels[faxdeskSubmission]`). When
an attempt ends without a clear answer (a timeout, a dropped connection, a server error, or
FaxDesk stopping mid-upload) the entry becomes UNCERTAIN and the outbox lists the faxes to that
number around the time of the attempt, sending again only if none carries the label. While the
service is unreachable or refuses the account, entries wait, the outbox says why
(`WaitingChanged`), and they go out in order when it answers again. The UI hears everything
through plain callbacks (`subscribe`) or an async iterator (`events`); nothing here knows about
Qt, and every journal and disk call runs off the event loop.

One entry per recipient, not per Send: a number the service rejects, a busy line or a resend to
a corrected number then concern that recipient alone, and each request creates exactly one fax,
so one label always matches at most one fax. The price is that a Send to several numbers
uploads its documents once per number.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from faxdesk.api.wire import validate_send_request
from faxdesk.core import phone
from faxdesk.core.errors import (
    ApiError,
    AuthError,
    ConnectionLost,
    DocumentError,
    FaxDeskError,
    InvalidRequest,
    NotFound,
    Offline,
    PaymentRequired,
    RateLimited,
    RequestTimeout,
    ServerError,
    ValidationError,
)
from faxdesk.core.failures import describe_failure
from faxdesk.core.models import Direction, Document, Fax, FaxQuery, FaxStatus, SendRequest
from faxdesk.core.outbox import (
    SUBMISSION_LABEL,
    EntryChanged,
    OutboxEntry,
    OutboxError,
    OutboxEvent,
    OutboxState,
    OutboxWaiting,
    StateChange,
    UploadProgress,
    WaitingChanged,
)
from faxdesk.core.ports import FaxApi
from faxdesk.store.outbox import NewEntry, OutboxStore, OutboxStoreError

log = logging.getLogger(__name__)

Listener = Callable[[OutboxEvent], None]

_PENDING = frozenset({OutboxState.QUEUED, OutboxState.UPLOADING, OutboxState.UNCERTAIN})
_PARTIAL_SUFFIX = ".partial"
#: Client errors that say "not now" rather than "not this request": 408 Request Timeout and
#: 425 Too Early. Any other 4xx refuses the fax as it is, and creates nothing.
_RETRIABLE_CLIENT_ERRORS = frozenset({408, 425})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OutboxTiming:
    """How long the outbox waits, in seconds. Tests shrink them; the defaults suit an office.

    Attributes:
        retry_base: the first wait after the service failed or could not be reached; it
            doubles with each failure in a row...
        retry_max: ...up to this. A Retry-After the service sends is honoured up to it too.
        account_retry: the wait after the service refused the account (key, balance, project),
            which waiting alone rarely fixes.
        reconcile_delay: how long after an unclear attempt the outbox looks for the fax, so a
            request the service is still working on has time to show up in its list.
        second_look: after an unclear attempt, how long after a search that found nothing
            the outbox looks once more before it sends the fax again: the service may still
            have been working on the fax, or list it late.
        poll_interval: how often the status of submitted faxes is asked for.
        search_margin: how far before the first attempt (and after now) the search for a
            fax's label reaches, for clocks that disagree.
    """

    retry_base: float = 2.0
    retry_max: float = 120.0
    account_retry: float = 60.0
    reconcile_delay: float = 5.0
    second_look: float = 30.0
    poll_interval: float = 2.0
    search_margin: timedelta = timedelta(minutes=15)

    def backoff(self, failures: int) -> float:
        """The wait after `failures` failures in a row (from 1): doubling, up to `retry_max`."""
        # The exponent is capped: a weekend offline is thousands of failures, and 2.0 ** 1024
        # overflows a float.
        doublings = min(max(failures - 1, 0), 32)
        return min(self.retry_max, self.retry_base * 2.0**doublings)


class Outbox:
    """The background sender for one account.

    Call `open()` once, then run `run()` as a task for as long as faxes should go out; the
    other methods may be called at any time after `open()`. Entries left unfinished by an
    earlier run (even one that was killed) are picked up by `run()`.

    Attributes:
        timing: the waits, see `OutboxTiming`.
        default_region: the country a corrected number typed for `resend` is read in.
    """

    def __init__(
        self,
        api: FaxApi,
        store: OutboxStore,
        documents_dir: Path,
        *,
        timing: OutboxTiming | None = None,
        default_region: str = "US",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.timing = timing or OutboxTiming()
        self._api = api
        self._store = store
        self._documents_dir = documents_dir
        self.default_region = default_region
        self._clock = clock
        self._active: dict[int, OutboxEntry] = {}
        self._progress: dict[int, tuple[int, int | None]] = {}
        self._listeners: list[Listener] = []
        self._wake = asyncio.Event()
        self._tracking = asyncio.Event()
        self._opened = False
        self._paused_until: datetime | None = None
        self._pause_reason = ""
        self._failures_in_a_row = 0
        self._waiting: OutboxWaiting | None = None
        #: Unclear entries not searched for yet: a first search that finds nothing is not the
        #: last word for them. Kept in memory only: after a restart, the search is late enough
        #: anyway.
        self._unsearched: set[int] = set()
        #: When to look again for an entry the first search did not find.
        self._look_again: dict[int, datetime] = {}

    # --- the public API ----------------------------------------------------------------------

    async def open(self) -> None:
        """Load the unfinished entries and tidy the outbox folder. Safe to call again."""
        if self._opened:
            return
        await asyncio.to_thread(self._documents_dir.mkdir, parents=True, exist_ok=True)
        for entry in await asyncio.to_thread(self._store.unfinished):
            self._active[entry.id] = entry
        await self._remove_unused_documents()
        self._opened = True

    async def run(self) -> None:
        """Send, reconcile and track entries until cancelled.

        Entries that were being uploaded when FaxDesk last stopped are treated as unclear
        first: the service is asked whether their fax exists before anything is sent again.
        """
        await self.open()
        await self._recover("FaxDesk stopped while this fax was being sent.")
        async with asyncio.TaskGroup() as group:
            group.create_task(self._send_loop())
            group.create_task(self._track_loop())

    async def submit(self, request: SendRequest, *, hold_seconds: float = 0.0) -> list[OutboxEntry]:
        """Write `request` to the journal, one entry per recipient, and return the entries.

        Nothing is sent before this returns: the documents are copied into the outbox folder
        (so later changes to the originals do not matter) and the entries are on disk. With
        `hold_seconds` the entries are HELD that long (the undo window) before they queue.
        A number given twice gets one entry. Raises `ValidationError` for a request the service
        would refuse and `DocumentError` for a document that cannot be read.
        """
        recipients = tuple(dict.fromkeys(request.to))
        validate_send_request(replace(request, to=recipients))
        if SUBMISSION_LABEL in request.labels:
            raise ValidationError(
                f"The label name {SUBMISSION_LABEL} is FaxDesk's own; choose another name.",
                field="labels",
            )
        batch_id = uuid.uuid4().hex
        documents = await asyncio.to_thread(self._copy_documents, request.documents, batch_id)
        now = self._clock()
        hold_until = now + timedelta(seconds=hold_seconds) if hold_seconds > 0 else None
        state = OutboxState.HELD if hold_until is not None else OutboxState.QUEUED
        new = [
            NewEntry(
                batch_id=batch_id,
                submission=str(uuid.uuid4()),
                to=number,
                request=replace(request, to=(number,), documents=documents),
                document_set=batch_id,
                state=state,
                hold_until=hold_until,
            )
            for number in recipients
        ]
        try:
            entries = await asyncio.to_thread(self._store.add, new, now)
        except BaseException:
            await asyncio.to_thread(self._remove_document_set, batch_id)
            raise
        for entry in entries:
            self._remember(entry)
        self._update_waiting()
        self._wake.set()
        return entries

    async def cancel(self, entry_id: int) -> OutboxEntry:
        """Cancel an entry that has not started to go out (HELD or QUEUED).

        Raises `OutboxError` saying why when it is too late (or the entry does not exist).
        """
        current = await self._get(entry_id)
        cancelled = await self._move(
            current, {OutboxState.HELD, OutboxState.QUEUED}, OutboxState.CANCELLED, last_error=""
        )
        if cancelled is None:
            raise OutboxError(_not_cancellable(await self._get(entry_id)))
        await self._release_documents(cancelled)
        self._update_waiting()
        return cancelled

    async def undo(self, batch_id: str) -> list[OutboxEntry]:
        """Cancel every entry of one Send that has not gone out yet; return those cancelled.

        Raises `OutboxError` when none could be (they are all on their way or done).
        """
        entries = await asyncio.to_thread(self._store.batch, batch_id)
        cancelled = []
        for entry in entries:
            moved = await self._move(
                entry, {OutboxState.HELD, OutboxState.QUEUED}, OutboxState.CANCELLED, last_error=""
            )
            if moved is not None:
                cancelled.append(moved)
        if not cancelled:
            if not entries:
                raise OutboxError("There is no such send in the outbox.")
            raise OutboxError("It is too late to undo: the fax is already on its way.")
        await self._release_documents(cancelled[0])
        self._update_waiting()
        return cancelled

    async def release(self, batch_id: str) -> list[OutboxEntry]:
        """End the undo window of one Send now: its HELD entries queue at once."""
        entries = await asyncio.to_thread(self._store.batch, batch_id)
        released = []
        for entry in entries:
            # Not durable: lost, the entry is HELD past its end and queues at the next start.
            moved = await self._move(entry, {OutboxState.HELD}, OutboxState.QUEUED, durable=False)
            if moved is not None:
                released.append(moved)
        self._update_waiting()
        self._wake.set()
        return released

    async def resend(self, entry_id: int, to: str | None = None) -> OutboxEntry:
        """Send a failed entry again, as a new entry, optionally to a corrected number.

        `to` is a number as typed (read in the outbox's default region). The failed entry keeps
        its history and is marked as resent, so it is not resent twice. Raises `OutboxError`
        when the entry did not fail or was resent already, `ValidationError` for a bad number.
        """
        original = await self._get(entry_id)
        number = phone.to_e164(to, self.default_region) if to is not None else original.to
        if not original.can_resend:
            raise OutboxError(_not_resendable(original))
        missing = await asyncio.to_thread(_missing_documents, original.request.documents)
        if missing:
            raise OutboxError(
                f"The fax to {phone.display(original.to)} cannot be sent again: its document "
                f"{missing.name} is no longer in the outbox."
            )
        document_set = await asyncio.to_thread(self._store.document_set, original.id)
        new = NewEntry(
            batch_id=uuid.uuid4().hex,
            submission=str(uuid.uuid4()),
            to=number,
            request=replace(original.request, to=(number,)),
            document_set=document_set,
            resend_of=original.id,
        )
        result = await asyncio.to_thread(self._store.resend, original.id, new, self._clock())
        if result is None:
            raise OutboxError(_not_resendable(await self._get(entry_id)))
        old, fresh = result
        self._remember(old)
        self._remember(fresh)
        self._update_waiting()
        self._wake.set()
        return fresh

    async def resend_all_failed(self) -> list[OutboxEntry]:
        """Resend every failed entry that has not been resent yet; return the new entries."""
        failed = await asyncio.to_thread(self._store.in_states, {OutboxState.FAILED})
        resent = []
        for entry in failed:
            if not entry.can_resend:
                continue
            try:
                resent.append(await self.resend(entry.id))
            except OutboxError as exc:
                log.info("Not resending outbox entry %s: %s", entry.id, exc)
        return resent

    async def entries(self, limit: int = 500) -> list[OutboxEntry]:
        """The newest `limit` entries in any state, newest first (for the Outbox view)."""
        return await asyncio.to_thread(self._store.recent, limit)

    async def history(self, entry_id: int) -> list[StateChange]:
        """Every state the entry went through and when, oldest first (for its details)."""
        return await asyncio.to_thread(self._store.history, entry_id)

    def active(self) -> list[OutboxEntry]:
        """The unfinished entries, oldest first, as last known (no journal read)."""
        return [self._active[key] for key in sorted(self._active)]

    @property
    def waiting(self) -> OutboxWaiting | None:
        """Why entries are waiting, or None when the outbox is not held up."""
        return self._waiting

    def progress(self, entry_id: int) -> tuple[int, int | None] | None:
        """(bytes done, total) of the upload in progress for `entry_id`, or None."""
        return self._progress.get(entry_id)

    def tracks(self, fax_id: str) -> bool:
        """Whether the outbox is following this fax to its final status."""
        return any(entry.fax_id == fax_id for entry in self._active.values())

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event, on the event loop; returns the unsubscriber.

        Listeners must return quickly (they run inside the sender); upload progress comes
        about every 64 KiB.
        """
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def events(self) -> AsyncIterator[OutboxEvent]:
        """Every event from now on, as an async iterator (it unsubscribes when closed)."""
        queue: asyncio.Queue[OutboxEvent] = asyncio.Queue()
        unsubscribe = self.subscribe(queue.put_nowait)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    async def fax_updated(self, fax: Fax) -> OutboxEntry | None:
        """Take news of a fax from elsewhere (a FAX_COMPLETED webhook, a list sync).

        Returns the entry it belongs to, updated, or None when the outbox is not tracking it.
        """
        for entry in self.active():
            if entry.fax_id == fax.id and entry.state is OutboxState.SUBMITTED:
                return await self._apply_fax(entry, fax)
        return None

    def retry_now(self) -> None:
        """Stop waiting and try the service again now (it is known to be back)."""
        self._paused_until = None
        self._failures_in_a_row = 0
        self._wake.set()

    # --- sending -----------------------------------------------------------------------------

    async def _recover(self, reason: str) -> None:
        """Take the journal's unfinished entries as they are; an upload cut short is unclear."""
        self._active = {
            entry.id: entry for entry in await asyncio.to_thread(self._store.unfinished)
        }
        for entry in self.active():
            if entry.state is OutboxState.UPLOADING:
                await self._move(
                    entry,
                    {OutboxState.UPLOADING},
                    OutboxState.UNCERTAIN,
                    durable=False,
                    last_error=reason,
                )

    async def _send_loop(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock()
            try:
                await self._release_due_holds(now)
                entry, due = self._next_due(now)
                if entry is not None and due <= now:
                    if entry.state is OutboxState.UNCERTAIN:
                        await self._reconcile(entry)
                    else:
                        await self._attempt(entry)
                    continue
            except OutboxStoreError as exc:
                # The journal cannot be written (a full disk, say): nothing goes out until it
                # can be, and an attempt whose outcome could not be written down is settled by
                # the label search once it can.
                log.error("The outbox journal failed: %s", exc)
                self._pause(exc, None)
                with contextlib.suppress(OutboxStoreError):
                    await self._recover(str(exc))
                continue
            finally:
                self._update_waiting()
            deadlines = [due] if entry is not None else []
            deadlines += [
                e.hold_until
                for e in self._active.values()
                if e.hold_until and e.state is OutboxState.HELD
            ]
            await self._sleep_until(min(deadlines) if deadlines else None)

    def _next_due(self, now: datetime) -> tuple[OutboxEntry | None, datetime]:
        """The oldest entry with work to do, and when it may be done."""
        for entry in self.active():
            if entry.state is OutboxState.QUEUED:
                due = now
            elif entry.state is OutboxState.UNCERTAIN:
                due = entry.updated_at + timedelta(seconds=self.timing.reconcile_delay)
                due = max(due, self._look_again.get(entry.id, due))
            else:
                continue
            if self._paused_until is not None:
                due = max(due, self._paused_until)
            return entry, due
        return None, now

    async def _sleep_until(self, deadline: datetime | None) -> None:
        timeout = None if deadline is None else (deadline - self._clock()).total_seconds()
        if timeout is not None and timeout <= 0:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def _release_due_holds(self, now: datetime) -> None:
        for entry in self.active():
            if entry.state is OutboxState.HELD and (
                entry.hold_until is None or entry.hold_until <= now
            ):
                await self._move(entry, {OutboxState.HELD}, OutboxState.QUEUED, durable=False)

    async def _attempt(self, entry: OutboxEntry) -> None:
        started = self._clock()
        # Durable before a byte goes out: whatever happens next, the journal knows to look for
        # the fax on the service before sending it again. Every change after this one is not.
        sending = await self._move(
            entry,
            {OutboxState.QUEUED},
            OutboxState.UPLOADING,
            attempts=entry.attempts + 1,
            first_attempt_at=entry.first_attempt_at or started,
        )
        if sending is None:
            return  # cancelled while it waited its turn
        labels = {**sending.request.labels, SUBMISSION_LABEL: sending.submission}
        request = replace(sending.request, labels=labels)
        self._on_progress(sending.id, 0, None)
        try:
            faxes = await self._api.send(
                request, progress=lambda done, total: self._on_progress(sending.id, done, total)
            )
        except RateLimited as exc:
            # Refused before anything was created: send it again once the wait is over.
            await self._not_sent(sending, exc)
        except Offline as exc:
            if isinstance(exc, RequestTimeout | ConnectionLost):
                await self._unclear(sending, exc, exc)
            else:
                # The connection never opened: the fax did not reach the service, so it goes
                # again once the service can be reached, with no search first.
                await self._not_sent(sending, exc)
        except (AuthError, PaymentRequired, NotFound) as exc:
            # The account or address is wrong: nothing was created, and waiting alone rarely
            # helps, so it is tried again only now and then.
            await self._not_sent(sending, exc)
        except (InvalidRequest, ValidationError, DocumentError) as exc:
            # The service (or the check before it) refused this fax: it is for the user to fix.
            await self._refused_fax(sending, exc)
        except FaxDeskError as exc:
            if _refused(exc):
                # Any other answer in the 4xx range (a body too large, say) refused this fax:
                # nothing was created, and sending it again as it is would be refused again.
                await self._refused_fax(sending, exc)
            else:
                await self._unclear(sending, exc, exc)
        except Exception as exc:
            # A defect, not the network: log it, and treat the attempt as unclear so the fax
            # is neither lost nor sent twice.
            log.exception("Sending outbox entry %s failed unexpectedly", sending.id)
            await self._unclear(sending, exc, FaxDeskError(f"Sending failed unexpectedly: {exc}"))
        else:
            fax = _fax_for(faxes, sending)
            if fax is None:
                problem = FaxDeskError("The fax service's answer named no fax.")
                await self._unclear(sending, problem, problem)
            else:
                self._service_answered()
                await self._submitted(sending, {OutboxState.UPLOADING}, fax)
        finally:
            self._progress.pop(sending.id, None)

    async def _not_sent(self, entry: OutboxEntry, cause: FaxDeskError) -> None:
        """The attempt created nothing: back in the queue, the whole outbox waiting as
        `cause` asks."""
        await self._move(
            entry, {OutboxState.UPLOADING}, OutboxState.QUEUED, durable=False, last_error=str(cause)
        )
        self._pause(cause, self._asked_wait(cause))

    async def _refused_fax(self, entry: OutboxEntry, cause: FaxDeskError) -> None:
        """The service (or the check before it) refused this fax as it is: failed, for the
        user to fix; the service itself answered, so the others go on."""
        await self._move(
            entry, {OutboxState.UPLOADING}, OutboxState.FAILED, durable=False, last_error=str(cause)
        )
        self._service_answered()

    async def _unclear(self, entry: OutboxEntry, cause: BaseException, shown: Exception) -> None:
        log.info("Outbox entry %s: unclear whether the fax was created (%s)", entry.id, cause)
        # Whatever cut the answer off (a timeout, a dropped connection, a gateway's error),
        # the service may have taken the fax and list it only later.
        self._unsearched.add(entry.id)
        await self._move(
            entry,
            {OutboxState.UPLOADING},
            OutboxState.UNCERTAIN,
            durable=False,
            last_error=str(shown),
        )
        self._pause(shown, self._asked_wait(shown))

    async def _reconcile(self, entry: OutboxEntry) -> None:
        try:
            fax = await self._find_on_service(entry)
        except FaxDeskError as exc:
            self._pause(exc, self._asked_wait(exc))
            return
        self._service_answered()
        if fax is not None:
            self._unsearched.discard(entry.id)
            self._look_again.pop(entry.id, None)
            log.info(
                "Outbox entry %s was created as fax %s; not sending it again", entry.id, fax.id
            )
            await self._submitted(entry, {OutboxState.UNCERTAIN}, fax)
        elif entry.id in self._unsearched:
            # The service may have been slow rather than never given the fax: it may list it
            # late, so one more look before sending it again.
            self._unsearched.discard(entry.id)
            self._look_again[entry.id] = self._clock() + timedelta(seconds=self.timing.second_look)
            log.info("Outbox entry %s is not on the service yet; looking again later", entry.id)
        else:
            self._look_again.pop(entry.id, None)
            log.info("Outbox entry %s is not on the service; sending it again", entry.id)
            await self._move(entry, {OutboxState.UNCERTAIN}, OutboxState.QUEUED, durable=False)

    async def _find_on_service(self, entry: OutboxEntry) -> Fax | None:
        """The fax carrying the entry's submission label, if the service has one."""
        margin = self.timing.search_margin
        since = (entry.first_attempt_at or entry.created_at) - margin
        query = FaxQuery(
            direction=Direction.OUTBOUND,
            to_prefix=entry.to,
            created_after=since,
            created_before=self._clock() + margin,
            page_size=100,
        )
        matches: list[Fax] = []
        page = 1
        while True:
            result = await self._api.list_faxes(query, page)
            matches += [
                f for f in result.faxes if f.labels.get(SUBMISSION_LABEL) == entry.submission
            ]
            if not result.has_more or not result.faxes:
                break
            page += 1
        if len(matches) > 1:
            log.warning("Outbox entry %s matches %d faxes on the service", entry.id, len(matches))
        earliest = datetime.max.replace(tzinfo=UTC)
        return min(matches, key=lambda fax: fax.create_time or earliest) if matches else None

    async def _submitted(
        self, entry: OutboxEntry, from_states: Collection[OutboxState], fax: Fax
    ) -> None:
        moved = await self._move(
            entry,
            from_states,
            OutboxState.SUBMITTED,
            fax=fax,
            durable=False,
            fax_id=fax.id,
            fax_status=fax.status,
            number_of_pages=fax.number_of_pages,
            pages_sent=fax.pages_sent_successfully,
            last_error="",
        )
        if moved is not None:
            self._tracking.set()
            if fax.status.is_final:
                await self._apply_fax(moved, fax)

    def _on_progress(self, entry_id: int, done: int, total: int | None) -> None:
        self._progress[entry_id] = (done, total)
        self._emit(UploadProgress(entry_id, done, total))

    # --- waiting -----------------------------------------------------------------------------

    def _pause(self, cause: Exception, asked: float | None) -> None:
        self._failures_in_a_row += 1
        backoff = self.timing.backoff(self._failures_in_a_row)
        delay = min(asked, self.timing.retry_max) if asked is not None else backoff
        self._paused_until = self._clock() + timedelta(seconds=delay)
        self._pause_reason = str(cause)
        self._update_waiting()

    def _asked_wait(self, error: Exception) -> float | None:
        """The wait `error` calls for, or None for the usual growing backoff."""
        if isinstance(error, RateLimited | ServerError):
            return error.retry_after
        if isinstance(error, AuthError | PaymentRequired | NotFound):
            return self.timing.account_retry
        return None

    def _service_answered(self) -> None:
        self._failures_in_a_row = 0
        self._paused_until = None
        self._update_waiting()

    def _update_waiting(self) -> None:
        pending = any(entry.state in _PENDING for entry in self._active.values())
        if self._paused_until is None or not pending:
            waiting = None
        else:
            since = self._waiting.since if self._waiting is not None else self._clock()
            waiting = OutboxWaiting(self._pause_reason, self._paused_until, since)
        if waiting != self._waiting:
            self._waiting = waiting
            self._emit(WaitingChanged(waiting))

    # --- tracking ----------------------------------------------------------------------------

    async def _track_loop(self) -> None:
        while True:
            submitted = [e for e in self.active() if e.state is OutboxState.SUBMITTED]
            if not submitted:
                self._tracking.clear()
                await self._tracking.wait()
                continue
            await asyncio.sleep(self.timing.poll_interval)
            for entry in submitted:
                current = self._active.get(entry.id)
                if current is None or current.state is not OutboxState.SUBMITTED:
                    continue
                try:
                    fax = await self._api.get_fax(current.fax_id)
                    await self._apply_fax(current, fax)
                except NotFound:
                    await self._lost_on_service(current)
                except OutboxStoreError as exc:
                    # The news is asked for again once the journal can take it.
                    log.error("The outbox journal failed: %s", exc)
                    break
                except FaxDeskError as exc:
                    # Offline or a passing error: the next round asks again.
                    log.info("Could not check fax %s: %s", current.fax_id, exc)
                    break

    async def _lost_on_service(self, entry: OutboxEntry) -> None:
        """The service says the entry's fax does not exist (deleted, or another project's)."""
        log.warning("Fax %s of outbox entry %s is not on the service", entry.fax_id, entry.id)
        await self._move(
            entry,
            {OutboxState.SUBMITTED},
            OutboxState.FAILED,
            durable=False,
            last_error=(
                "The fax service no longer knows this fax, so whether it was delivered cannot "
                "be told. Send it again if it is still needed."
            ),
        )

    async def _apply_fax(self, entry: OutboxEntry, fax: Fax) -> OutboxEntry:
        if fax.status is FaxStatus.COMPLETED:
            state, reason = OutboxState.DELIVERED, ""
        elif fax.status is FaxStatus.FAILURE:
            failure = describe_failure(fax)
            state, reason = OutboxState.FAILED, str(failure) if failure else ""
        else:
            state, reason = OutboxState.SUBMITTED, ""
        unchanged = (
            state is entry.state
            and fax.status == entry.fax_status
            and fax.number_of_pages == entry.number_of_pages
            and fax.pages_sent_successfully == entry.pages_sent
        )
        if unchanged:
            return entry
        moved = await self._move(
            entry,
            {OutboxState.SUBMITTED},
            state,
            fax=fax,
            durable=False,
            fax_status=fax.status,
            number_of_pages=fax.number_of_pages,
            pages_sent=fax.pages_sent_successfully,
            last_error=reason,
        )
        if moved is None:
            return await self._get(entry.id)
        if moved.state is OutboxState.DELIVERED:
            await self._release_documents(moved)
        return moved

    # --- bookkeeping -------------------------------------------------------------------------

    async def _get(self, entry_id: int) -> OutboxEntry:
        entry = await asyncio.to_thread(self._store.get, entry_id)
        if entry is None:
            raise OutboxError("There is no such fax in the outbox.")
        return entry

    async def _move(
        self,
        entry: OutboxEntry,
        from_states: Collection[OutboxState],
        to: OutboxState,
        *,
        fax: Fax | None = None,
        durable: bool = True,
        **changes: Any,
    ) -> OutboxEntry | None:
        """Move `entry` in the journal, then here; None when it was no longer in `from_states`.

        `durable=False` only where losing the change to a power cut is harmless (see
        `faxdesk.store.outbox`): once an attempt has started, the label search settles an entry
        whatever the journal last knew.
        """
        moved = await asyncio.to_thread(
            functools.partial(
                self._store.transition,
                entry.id,
                from_states,
                to,
                self._clock(),
                durable=durable,
                **changes,
            )
        )
        if moved is None:
            fresh = await asyncio.to_thread(self._store.get, entry.id)
            if fresh is not None:
                self._remember(fresh, announce=False)
            return None
        self._remember(moved, fax)
        return moved

    def _remember(
        self, entry: OutboxEntry, fax: Fax | None = None, *, announce: bool = True
    ) -> None:
        known = self._active.get(entry.id)
        if known is not None and known.revision > entry.revision:
            return  # a later change already arrived
        if entry.is_final:
            self._active.pop(entry.id, None)
        else:
            self._active[entry.id] = entry
        if announce or known != entry:
            self._emit(EntryChanged(entry, fax))

    def _emit(self, event: OutboxEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # A broken listener must not stop faxes from going out; the log names it.
                log.exception("An outbox listener failed on %s", type(event).__name__)

    # --- documents ---------------------------------------------------------------------------

    def _copy_documents(
        self, documents: Sequence[Document], document_set: str
    ) -> tuple[Document, ...]:
        """Copy the documents into a new set folder, durably; blocking (runs in a thread).

        Each file keeps its name (it is the file name the service sees), in a numbered folder
        of its own so two documents may share a name. The folder appears under its final name
        only once every copy is on disk.
        """
        final = self._documents_dir / document_set
        partial = final.with_name(final.name + _PARTIAL_SUFFIX)
        partial.mkdir(parents=True)
        try:
            copies = []
            for index, document in enumerate(documents):
                folder = partial / str(index)
                folder.mkdir()
                target = folder / document.path.name
                try:
                    shutil.copyfile(document.path, target)
                except OSError as exc:
                    reason = exc.strerror or "it could not be read"
                    raise DocumentError(
                        f"{document.filename} could not be read ({reason}).",
                        path=str(document.path),
                    ) from exc
                _fsync(target)
                copies.append(
                    Document(
                        path=final / str(index) / document.path.name, media_type=document.media_type
                    )
                )
            partial.rename(final)
            _fsync_folder(self._documents_dir)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return tuple(copies)

    def _remove_document_set(self, document_set: str) -> None:
        if document_set:
            shutil.rmtree(self._documents_dir / document_set, ignore_errors=True)

    async def _release_documents(self, entry: OutboxEntry) -> None:
        """Delete the entry's document copies once no entry can need them again."""
        document_set = await asyncio.to_thread(self._store.document_set, entry.id)
        if document_set and not await asyncio.to_thread(
            self._store.document_set_in_use, document_set
        ):
            await asyncio.to_thread(self._remove_document_set, document_set)

    async def _remove_unused_documents(self) -> None:
        def tidy() -> None:
            named = self._store.document_sets()
            for folder in self._documents_dir.iterdir():
                name = folder.name
                unused = name.endswith(_PARTIAL_SUFFIX) or name not in named
                if unused or not self._store.document_set_in_use(name):
                    shutil.rmtree(folder, ignore_errors=True)

        await asyncio.to_thread(tidy)


def _fax_for(faxes: Iterable[Fax], entry: OutboxEntry) -> Fax | None:
    """The fax the service created for `entry` (one recipient, so one fax), by label first."""
    found = list(faxes)
    for fax in found:
        if fax.labels.get(SUBMISSION_LABEL) == entry.submission:
            return fax
    return found[0] if found else None


def _refused(error: FaxDeskError) -> bool:
    """Whether `error` is the service's own refusal of the request (a 4xx it answered)."""
    status = error.status_code if isinstance(error, ApiError) else None
    return status is not None and 400 <= status < 500 and status not in _RETRIABLE_CLIENT_ERRORS


def _missing_documents(documents: Iterable[Document]) -> Path | None:
    return next((d.path for d in documents if not d.path.is_file()), None)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(path: Path) -> None:
    # Makes the rename durable on POSIX; Windows cannot open a folder, and needs no such step.
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _not_cancellable(entry: OutboxEntry) -> str:
    who = phone.display(entry.to)
    if entry.state is OutboxState.DELIVERED:
        return f"The fax to {who} was delivered already."
    if entry.state is OutboxState.FAILED:
        return f"The fax to {who} has failed already; there is nothing to cancel."
    if entry.state is OutboxState.CANCELLED:
        return f"The fax to {who} was cancelled already."
    return f"The fax to {who} is already on its way to the service and can no longer be cancelled."


def _not_resendable(entry: OutboxEntry) -> str:
    who = phone.display(entry.to)
    if entry.state is OutboxState.FAILED:
        return f"The fax to {who} has been sent again already."
    return f"Only a failed fax can be sent again; the fax to {who} is {entry.state.value}."
