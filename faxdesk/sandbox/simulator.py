"""Moves outbound faxes through QUEUED -> IN_PROGRESS -> COMPLETED/FAILURE on a scaled timer.

Every transition is written to the state as it happens, so a GET in between sees the real
status, and a sandbox restarted on the same database resumes unfinished faxes (at the retry they
had reached) and catches up with the time that passed while it was stopped: each step's start is
kept in the fax's plan and the next step starts when the last one was due to end, so a fax sent
by one `faxdesk send --sandbox` has been delivered by the time the next command looks. How each
attempt goes is the recipient's `numbers.Line`; a failed attempt is tried again after
`retryDelaySeconds`, `maxRetries` times, counting `retryCount`. When a fax ends the
`on_finished` hook gets it (the app sends FAX_COMPLETED from there). One asyncio task per fax,
owned by the `Simulator`, which keeps strong references and cancels them on shutdown. It does not
parse requests or know about HTTP.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from faxdesk.core.models import ErrorType, FaxStatus
from faxdesk.sandbox.numbers import MAX_TRANSMISSION_SECONDS, SECONDS_PER_PAGE, line_for
from faxdesk.sandbox.state import SandboxState
from faxdesk.sandbox.wire import format_time

__all__ = ["MAX_TRANSMISSION_SECONDS", "QUEUED_SECONDS", "SECONDS_PER_PAGE", "Simulator"]

_log = logging.getLogger(__name__)

#: Seconds a fax waits in the queue (where the documents are "converted"), at time scale 1.
QUEUED_SECONDS = 1.0
#: What the sandbox charges per page sent. The real test number is free; a price that is not
#: zero shows where the price appears in the UI.
PRICE_PER_PAGE = Decimal("0.0700")
CURRENCY = "USD"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def price_for(pages: int) -> dict[str, str]:
    amount = (PRICE_PER_PAGE * pages).quantize(Decimal("0.0001"))
    return {"amount": str(amount), "currencyCode": CURRENCY}


class Simulator:
    """Runs the lifecycle of each fax as a task.

    Attributes:
        time_scale: multiplies every duration (0 makes transitions immediate).
    """

    def __init__(
        self,
        state: SandboxState,
        *,
        time_scale: float = 1.0,
        clock: Clock = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_finished: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.time_scale = time_scale
        self._state = state
        self._clock = clock
        # Replaceable so tests can hold a fax in a state and release it step by step.
        self._sleep_for = sleep
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._on_finished = on_finished

    def start(self, fax_id: str) -> None:
        """Start (or resume) the lifecycle of `fax_id`; must be called on the running loop."""
        if fax_id in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(
            self._run(fax_id), name=f"faxdesk-sandbox-fax-{fax_id}"
        )
        self._tasks[fax_id] = task
        task.add_done_callback(lambda done: self._finished(fax_id, done))

    def resume(self) -> int:
        """Start a task for every fax a previous run left unfinished; return how many."""
        unfinished = self._state.unfinished()
        for fax_id in unfinished:
            self.start(fax_id)
        return len(unfinished)

    async def wait(self, fax_id: str) -> None:
        """Wait until the lifecycle of `fax_id` is over (returns at once if none is running)."""
        task = self._tasks.get(fax_id)
        if task is not None:
            await asyncio.shield(task)

    async def wait_all(self) -> None:
        """Wait until every running lifecycle is over."""
        while self._tasks:
            await asyncio.gather(*(asyncio.shield(t) for t in list(self._tasks.values())))

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def aclose(self) -> None:
        """Cancel every lifecycle; their faxes stay unfinished in the state, to be resumed."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _finished(self, fax_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(fax_id) is task:
            del self._tasks[fax_id]
        if not task.cancelled() and task.exception() is not None:
            # A bug in the simulator must be loud, not a fax stuck in QUEUED forever.
            _log.error("The sandbox lifecycle of fax %s failed", fax_id, exc_info=task.exception())

    async def _step(self, fax_id: str, seconds: float) -> None:
        """Wait out a step of `seconds` (scaled) that began when the previous one was due to end.

        The step's start is read from the plan (the fax's creation for its first step); after
        a restart some or all of the step has already passed, and only the rest is waited.
        """
        plan = self._state.get_plan(fax_id)
        started = _parse_time(plan.get(_STEP_STARTED)) or self._created(fax_id) or self._clock()
        duration = seconds * self.time_scale
        passed = (self._clock() - started).total_seconds()
        await self._sleep_for(max(0.0, duration - max(0.0, passed)))
        due = started + timedelta(seconds=duration)
        self._state.update_plan(fax_id, {_STEP_STARTED: due.isoformat()})

    async def _retry_wait(self, fax_id: str, seconds: float) -> None:
        await self._step(fax_id, seconds)
        self._state.update_plan(fax_id, {_RETRY_PENDING: False})

    def _created(self, fax_id: str) -> datetime | None:
        fax = self._state.get_fax(fax_id)
        return None if fax is None else _parse_time(fax.get("createTime"))

    async def _run(self, fax_id: str) -> None:
        fax = self._state.get_fax(fax_id)
        if fax is None:
            return
        if fax["status"] == FaxStatus.QUEUED:
            await self._step(fax_id, QUEUED_SECONDS)
            failure = self._state.get_plan(fax_id).get("conversionFailure")
            if failure is not None:
                self._finish(
                    fax_id,
                    {
                        "status": FaxStatus.FAILURE.value,
                        "errorType": ErrorType.DOCUMENT_CONVERSION_ERROR.value,
                        "errorCode": failure["code"],
                        "errorMessage": failure["message"],
                        "pagesSentSuccessfully": 0,
                        "completedTime": format_time(self._clock()),
                    },
                )
                return
            # Conversion done: the content is now stored with the fax (unless deleted meanwhile).
            fax = self._state.update_fax(
                fax_id,
                {"status": FaxStatus.IN_PROGRESS.value, "hasFile": self._state.has_file(fax_id)},
            )
        if fax["status"] != FaxStatus.IN_PROGRESS:
            return
        await self._transmit(fax)

    async def _transmit(self, fax: dict[str, Any]) -> None:
        fax_id = fax["id"]
        line = line_for(fax["to"])
        pages = int(fax.get("numberOfPages", 0))
        max_retries = int(fax.get("maxRetries", 0))
        retry_delay = float(fax.get("retryDelaySeconds", 60))
        if self._state.get_plan(fax_id).get(_RETRY_PENDING):
            # Stopped during the wait before a retry: the rest of that wait comes first.
            await self._retry_wait(fax_id, retry_delay)
        while True:
            retries = int(fax.get("retryCount", 0))
            attempt = line.attempt(retries, pages)
            await self._step(fax_id, attempt.seconds)
            if attempt.failure is None:
                self._finish(
                    fax_id,
                    {
                        "status": FaxStatus.COMPLETED.value,
                        "completedTime": format_time(self._clock()),
                        "pagesSentSuccessfully": attempt.pages_sent,
                        "price": price_for(attempt.pages_sent),
                        "hasFile": self._state.has_file(fax_id),
                    },
                )
                return
            if retries >= max_retries:
                failure = attempt.failure
                changes: dict[str, Any] = {
                    "status": FaxStatus.FAILURE.value,
                    "pagesSentSuccessfully": attempt.pages_sent,
                    "errorType": failure.error_type.value,
                    "errorCode": failure.error_code,
                    "errorMessage": failure.error_message,
                    "hasFile": self._state.has_file(fax_id),
                    # The service sets it when the fax ends, whichever way it ends.
                    "completedTime": format_time(self._clock()),
                }
                if attempt.pages_sent:
                    # The pages that did go through are charged, as on the service.
                    changes["price"] = price_for(attempt.pages_sent)
                self._finish(fax_id, changes)
                return
            # Counted when the retry is scheduled, so a GET during the wait shows it coming.
            self._state.update_plan(fax_id, {_RETRY_PENDING: True})
            fax = self._state.update_fax(fax_id, {"retryCount": retries + 1})
            await self._retry_wait(fax_id, retry_delay)

    def _finish(self, fax_id: str, changes: dict[str, Any]) -> None:
        fax = self._state.update_fax(fax_id, changes)
        if self._on_finished is not None:
            self._on_finished(fax)


#: The plan key holding when the fax's current step began (ISO 8601, UTC).
_STEP_STARTED = "stepStartedAt"
#: The plan key saying the fax is waiting `retryDelaySeconds` before its next attempt.
_RETRY_PENDING = "retryPending"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
