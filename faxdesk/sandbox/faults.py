"""Fault injection: the sandbox misbehaving on purpose, like a service and a network on a bad day.

`FaultInjector` is ASGI middleware in front of the API paths (`/v3/...`; the token and control
endpoints are left alone). By the shares in its `FaultSettings` it answers a request with 500 or
503 before the request does anything, with 429 and `Retry-After`, adds latency to every answer,
and, hardest for a client, drops the connection of a send after the fax was recorded, so the
client never learns that it was. Settings come from the command line and can be changed at run
time through the control endpoint (`read_fault_settings` validates its body). Over a socket the
drop is a real abort of the TCP connection (the server installs `DROP_CONNECTION_EXTENSION` in
each request's scope); in-process it is the error httpx raises for a connection closed without
an answer. This module knows nothing of faxes beyond which request is a send.
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
        if self.retry_after_seconds < 0 or self.latency_seconds < 0:
            raise ValueError("retry_after_seconds and latency_seconds must not be negative")

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


def read_fault_settings(body: Mapping[str, Any], current: FaultSettings) -> FaultSettings:
    """`current` changed by the fields of a control request; 422 naming each bad field."""
    changes: dict[str, Any] = {}
    invalid: list[FieldViolation] = []
    for key, value in body.items():
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
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                invalid.append(
                    FieldViolation(str(key), f"{key} must be a whole number, 0 or more.")
                )
            else:
                changes[name] = value
        else:
            high = None if name == "latency_seconds" else 1
            number_ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
            if not number_ok or value < 0 or (high is not None and value > high):
                limit = "0 or more" if high is None else "from 0 to 1"
                invalid.append(FieldViolation(str(key), f"{key} must be a number {limit}."))
            else:
                changes[name] = float(value)
    if invalid:
        raise ApiProblemError(422, "Some fault settings are invalid.", invalid)
    return dataclasses.replace(current, **changes)


class FaultControl:
    """The fault settings in force, shared by the middleware and the control endpoint.

    Attributes:
        settings: replaced whole to change what goes wrong; the next request uses them.
        random: the dice (seeded in tests that need a repeatable run).
        sleep: how latency is waited for (tests record it instead).
    """

    def __init__(
        self,
        settings: FaultSettings | None = None,
        seed: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings or FaultSettings()
        self.random = random.Random(seed)
        self.sleep = sleep


class FaultInjector:
    """The middleware, in front of the app it is given."""

    def __init__(self, app: ASGIApp, control: FaultControl) -> None:
        self.app = app
        self._control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v3/"):
            await self.app(scope, receive, send)
            return
        settings = self._control.settings
        if settings.latency_seconds:
            await self._control.sleep(settings.latency_seconds)
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
