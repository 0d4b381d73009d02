"""Fault injection: the sandbox misbehaving on purpose, like a service and a network on a bad day.

`FaultInjector` is ASGI middleware in front of the API paths (`/v3/...`; the token and control
endpoints are left alone, and so are requests without the right key, which the app refuses at
once). By the shares in its `FaultSettings` it answers a request with 500 or 503 before the
request does anything, with 429 and `Retry-After`, adds latency to every answer, and, hardest
for a client, drops the connection of a send after the fax was recorded, so the client never
learns that it was. Settings come from the command line and can be changed at run time through
the control endpoint (`read_fault_settings` validates its body); a request waiting out latency
follows a change at once, stops when its client leaves and goes on when the server stops
(`FaultControl.stop`), so shutdown never has to cut one off. Over a socket the drop is a real
abort of the TCP connection (the server installs `DROP_CONNECTION_EXTENSION` in each request's
scope); in-process it is the error httpx raises for a connection closed without an answer.
This module knows nothing of faxes beyond which request is a send.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import random
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import httpx

from faxdesk.core.errors import FieldViolation
from faxdesk.sandbox.problems import ApiProblemError, error_body

#: The ASGI scope extension under which the server puts a callable that aborts the connection.
DROP_CONNECTION_EXTENSION = "faxdesk.drop_connection"

ERROR_STATUSES = (500, 503)
#: The most latency that can be asked for: enough to trip any client's timeout, and short
#: enough that a sandbox set to it still answers.
MAX_LATENCY_SECONDS = 60.0
#: The longest Retry-After the sandbox asks for (an hour).
MAX_RETRY_AFTER_SECONDS = 3600
#: While latency holds a request, its body is read ahead (to notice a client that gives up)
#: up to this many bytes; a larger upload is left to wait unread.
_READ_AHEAD_BYTES = 1 << 20

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """What goes wrong, and how often (shares from 0 to 1 of the API requests).

    Attributes:
        error_rate: share answered with a server error, one of `error_statuses` at random.
        error_statuses: which server errors (500, 503 or both).
        rate_limit_rate: share answered 429 with `Retry-After: retry_after_seconds`.
        retry_after_seconds: what 429 (and 503) answers ask the client to wait.
        latency_seconds: added before every API answer.
        drop_rate: share of sends whose connection is dropped after the fax was recorded.
    """

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = ERROR_STATUSES
    rate_limit_rate: float = 0.0
    retry_after_seconds: int = 1
    latency_seconds: float = 0.0
    drop_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "drop_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be from 0 to 1")
        if not self.error_statuses or not set(self.error_statuses) <= set(ERROR_STATUSES):
            raise ValueError("error_statuses must be 500, 503 or both")
        if not 0 <= self.retry_after_seconds <= MAX_RETRY_AFTER_SECONDS:
            raise ValueError(f"retry_after_seconds must be from 0 to {MAX_RETRY_AFTER_SECONDS}")
        if not 0 <= self.latency_seconds <= MAX_LATENCY_SECONDS:
            raise ValueError(f"latency_seconds must be from 0 to {MAX_LATENCY_SECONDS:g}")

    def as_json(self) -> dict[str, Any]:
        return {
            "errorRate": self.error_rate,
            "errorStatuses": list(self.error_statuses),
            "rateLimitRate": self.rate_limit_rate,
            "retryAfterSeconds": self.retry_after_seconds,
            "latencySeconds": self.latency_seconds,
            "dropRate": self.drop_rate,
        }


_JSON_FIELDS = {
    "errorrate": "error_rate",
    "errorstatuses": "error_statuses",
    "ratelimitrate": "rate_limit_rate",
    "retryafterseconds": "retry_after_seconds",
    "latencyseconds": "latency_seconds",
    "droprate": "drop_rate",
}


#: Shown beside the settings by `GET /sandbox/faults`, and ignored when sent back.
WAITING_FIELD = "waitingRequests"


def read_fault_settings(body: Mapping[str, Any], current: FaultSettings) -> FaultSettings:
    """`current` changed by the fields of a control request; 422 naming each bad field."""
    changes: dict[str, Any] = {}
    invalid: list[FieldViolation] = []
    for key, value in body.items():
        if str(key).lower() == WAITING_FIELD.lower():
            continue  # not a setting: what GET showed, sent back with the rest
        name = _JSON_FIELDS.get(str(key).lower())
        if name is None:
            invalid.append(FieldViolation(str(key), f"{key} is not a fault setting."))
            continue
        if name == "error_statuses":
            ok = (
                isinstance(value, list)
                and value
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                and set(value) <= set(ERROR_STATUSES)
            )
            if not ok:
                invalid.append(
                    FieldViolation(str(key), "errorStatuses must list 500, 503 or both.")
                )
            else:
                changes[name] = tuple(sorted(set(value)))
        elif name == "retry_after_seconds":
            whole = isinstance(value, int) and not isinstance(value, bool)
            if not whole or not 0 <= value <= MAX_RETRY_AFTER_SECONDS:
                invalid.append(
                    FieldViolation(
                        str(key),
                        f"{key} must be a whole number of seconds from 0 to "
                        f"{MAX_RETRY_AFTER_SECONDS}.",
                    )
                )
            else:
                changes[name] = value
        else:
            latency = name == "latency_seconds"
            high = MAX_LATENCY_SECONDS if latency else 1.0
            number_ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
            if not number_ok or not 0 <= value <= high:
                limit = f"of seconds from 0 to {high:g}" if latency else "from 0 to 1"
                invalid.append(FieldViolation(str(key), f"{key} must be a number {limit}."))
            else:
                changes[name] = float(value)
    if invalid:
        raise ApiProblemError(422, "Some fault settings are invalid.", invalid)
    return dataclasses.replace(current, **changes)


class FaultControl:
    """The fault settings in force, shared by the middleware and the control endpoint.

    Attributes:
        settings: replaced whole to change what goes wrong; the next request uses them, and a
            request waiting out latency waits only as long as the new latency says.
        random: the dice (seeded in tests that need a repeatable run).
        sleep: how latency is waited for (tests record it instead).
    """

    def __init__(
        self,
        settings: FaultSettings | None = None,
        seed: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings or FaultSettings()
        self.random = random.Random(seed)
        self.sleep = sleep
        self._stopping = False
        self._wakers: set[asyncio.Future[None]] = set()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many requests are waiting out latency now."""
        return self._waiting

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: FaultSettings) -> None:
        self._settings = settings
        self._wake()

    def stop(self) -> None:
        """The server is stopping: end every wait for latency now, and add none from here on."""
        self._stopping = True
        self._wake()

    async def wait_latency(self, gone: asyncio.Future[None] | None = None) -> bool:
        """Wait out the latency in force; False when `gone` (the client left) ends it first.

        Measured from the start of the request, against the latency in force at each moment:
        set lower (or to 0) while a request waits, it goes on at once; so it does when the
        server stops.
        """
        self._waiting += 1
        try:
            return await self._wait(gone)
        finally:
            self._waiting -= 1

    async def _wait(self, gone: asyncio.Future[None] | None) -> bool:
        loop = asyncio.get_running_loop()
        start = loop.time()
        waited = 0.0
        while not self._stopping:
            remaining = self._settings.latency_seconds - waited
            if remaining <= 0:
                return True
            waker: asyncio.Future[None] = loop.create_future()
            self._wakers.add(waker)
            sleeper = asyncio.ensure_future(self.sleep(remaining))
            waits: set[asyncio.Future[Any]] = {sleeper, waker}
            if gone is not None:
                waits.add(gone)
            try:
                done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                self._wakers.discard(waker)
                sleeper.cancel()
            if sleeper in done and not sleeper.cancelled():
                return True
            if gone is not None and gone in done:
                return False
            waited = loop.time() - start
        return True

    def _wake(self) -> None:
        for waker in self._wakers:
            if not waker.done():
                waker.set_result(None)


class FaultInjector:
    """The middleware, in front of the app it is given.

    Faults hit only requests that `admits` lets in (right credentials, right project): a
    client with a wrong key is told so at once, however slow or failing the sandbox is set to
    be, as a real service checks credentials before anything else goes wrong for the caller.
    """

    def __init__(
        self,
        app: ASGIApp,
        control: FaultControl,
        admits: Callable[[Scope], bool] | None = None,
    ) -> None:
        self.app = app
        self._control = control
        self._admits = admits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v3/"):
            await self.app(scope, receive, send)
            return
        if self._admits is not None and not self._admits(scope):
            await self.app(scope, receive, send)
            return
        if self._control.settings.latency_seconds:
            reader = _ReadAhead(receive)
            # Only a real connection can be left by its client (in-process, the caller that
            # gives up cancels the request itself); it is what can abort its transport.
            watching = DROP_CONNECTION_EXTENSION in scope.get("extensions", {})
            gone = asyncio.ensure_future(reader.until_gone()) if watching else None
            try:
                still_there = await self._control.wait_latency(gone)
            finally:
                if gone is not None:
                    gone.cancel()
            if not still_there:
                return  # nobody to answer
            receive = reader.receive
        settings = self._control.settings
        if self._happens(settings.rate_limit_rate):
            await _answer(
                send,
                429,
                "Rate limit exceeded, please back off.",
                {"retry-after": str(settings.retry_after_seconds)},
            )
            return
        if self._happens(settings.error_rate):
            status = self._control.random.choice(settings.error_statuses)
            headers = {"retry-after": str(settings.retry_after_seconds)} if status == 503 else {}
            message = "The service is unavailable." if status == 503 else "Internal error."
            await _answer(send, status, message, headers)
            return
        if _is_send(scope) and self._happens(settings.drop_rate):
            await self._send_then_drop(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _happens(self, share: float) -> bool:
        # A share of 0 never rolls the dice, so a sandbox without faults stays deterministic.
        return share > 0 and self._control.random.random() < share

    async def _send_then_drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        started = next((m for m in held if m["type"] == "http.response.start"), None)
        if started is None or started["status"] != 200:
            # Nothing was recorded (the send was refused): answer it as it is.
            for message in held:
                await send(message)
            return
        drop = scope.get("extensions", {}).get(DROP_CONNECTION_EXTENSION)
        if drop is None:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        drop()
        # Let the server notice the connection is gone before the request ends, so it neither
        # answers nor complains that nobody did.
        await asyncio.sleep(0)
        await asyncio.sleep(0)


class _ReadAhead:
    """A request's `receive`, read ahead while the request waits, to notice a client leaving.

    What was read is handed to the app afterwards, in order, before anything newer. Reading
    stops at the end of the body once `_READ_AHEAD_BYTES` are held, and at a disconnect.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._held: list[Message] = []
        self._held_bytes = 0

    async def until_gone(self) -> None:
        """Return when the client has gone; run until cancelled otherwise."""
        while True:
            if self._held_bytes > _READ_AHEAD_BYTES:
                await asyncio.Event().wait()  # hold no more: wait to be cancelled
            message = await self._receive()
            self._held.append(message)
            if message["type"] == "http.disconnect":
                return
            self._held_bytes += len(message.get("body", b""))

    async def receive(self) -> Message:
        if self._held:
            return self._held.pop(0)
        return await self._receive()


def _is_send(scope: Scope) -> bool:
    path = str(scope.get("path", "")).rstrip("/")
    return scope.get("method") == "POST" and path.endswith("/faxes")


async def _answer(send: Send, status: int, message: str, headers: Mapping[str, str]) -> None:
    body = json.dumps(error_body(status, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *((k.encode(), v.encode()) for k, v in headers.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
