"""Trying an idempotent request again after a failure that may pass: backoff and Retry-After.

`RetryPolicy` says how often and how long to wait; `with_retries` runs a coroutine function
under it. What may be tried again is decided on core errors, after `faxdesk.api.errors` has
mapped the answer: the service could not be reached (`Offline`), asked us to slow down
(`RateLimited`, 429), or its gateway failed (`ServerError` 502, 503, 504). A service that took
the request and then did not answer in time (`RequestTimeout`) is not asked again: the person
waiting has already waited one whole timeout, and an untrusted certificate (`CertificateError`)
stays untrusted.
This module must only ever be used for requests that change nothing or change the same thing
however often they arrive (GET, DELETE): the client never hands it a send, which creates faxes.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from faxdesk.core.errors import (
    CertificateError,
    FaxDeskError,
    Offline,
    RateLimited,
    RequestTimeout,
    ServerError,
)

_T = TypeVar("_T")

_log = logging.getLogger(__name__)

#: Gateway failures that say nothing about the request itself: the next try may well succeed.
RETRYABLE_SERVER_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How an idempotent request is tried again.

    Attributes:
        attempts: tries in all, the first included; 1 means never try again.
        base_delay: the wait before the first retry, in seconds; it doubles for each one after.
        max_delay: the longest wait backoff grows to, in seconds.
        max_retry_after: the longest wait the service may ask for with Retry-After; if it asks
            for more, the error is raised at once (with its `retry_after`) for the caller to
            decide, rather than leaving the person at the desk waiting on a silent request.
        sleep: waits the given seconds; tests pass a recorder instead of `asyncio.sleep`.
        jitter: returns a number in [0, 1) that spreads the waits of clients that failed
            together; tests pass a constant.
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    jitter: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("A retry policy needs at least one attempt.")
        if min(self.base_delay, self.max_delay, self.max_retry_after) < 0:
            raise ValueError("Retry delays cannot be negative.")

    def backoff(self, retry: int) -> float:
        """The wait before retry number `retry` (from 1) when the service named none.

        Exponential, capped at `max_delay`, and "equal jitter": between half and all of the step,
        so waits still grow while clients that failed at the same moment drift apart.
        """
        step = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return step / 2 + step / 2 * self.jitter()

    def delay_after(self, error: FaxDeskError, retry: int) -> float | None:
        """Seconds to wait before retry number `retry` after `error`; None means give up."""
        if retry >= self.attempts or not is_retryable(error):
            return None
        asked = error.retry_after if isinstance(error, RateLimited | ServerError) else None
        if asked is None:
            return self.backoff(retry)
        if asked > self.max_retry_after:
            return None
        return asked


#: Never try again: one attempt.
NO_RETRIES = RetryPolicy(attempts=1)


def is_retryable(error: FaxDeskError) -> bool:
    """Whether an idempotent request that failed with `error` may succeed when tried again."""
    if isinstance(error, RequestTimeout | CertificateError):
        return False
    if isinstance(error, Offline | RateLimited):
        return True
    return isinstance(error, ServerError) and error.status_code in RETRYABLE_SERVER_STATUSES


async def with_retries(
    policy: RetryPolicy, attempt: Callable[[], Awaitable[_T]], *, what: str = "request"
) -> _T:
    """Run `attempt` until it succeeds, fails for good, or `policy` says to stop.

    Each call of `attempt` must start the request from scratch. The last error is raised as
    it was. `what` names the request in the log (no credentials: a method and a path).
    """
    retry = 0
    while True:
        try:
            return await attempt()
        except FaxDeskError as error:
            retry += 1
            delay = policy.delay_after(error, retry)
            if delay is None:
                raise
            _log.info(
                "%s failed (%s); trying again in %.1f s (attempt %d of %d)",
                what,
                error,
                delay,
                retry + 1,
                policy.attempts,
            )
        await policy.sleep(delay)
