"""httpx transports for tests: an unreliable network in front of a real service, and a watcher.

`FaultyTransport` puts in front of the sandbox what it cannot do itself, or not on cue: a
refused connection, a timeout or a gateway error after the service recorded the fax, and faults
scripted one request at a time (`plan`) besides random ones with a seed, so a run can be
repeated exactly; `counts` tells the test what was injected. The sandbox's own fault injection
(server errors, 429s, dropped sends) is used where a random mix will do; `SendObserver` then
notes how each send ended."""

from __future__ import annotations

import asyncio
import enum
import random
from collections import Counter
from collections.abc import Iterable

import httpx


class Fault(enum.StrEnum):
    NONE = "none"
    #: Before the request reaches the service: nothing is created.
    REFUSED = "refused"  # the connection cannot be made
    ERROR_500 = "500"
    ERROR_503 = "503"
    TOO_MANY = "429"  # with Retry-After
    TOO_LARGE = "413"  # refused, as a service refuses a body over its limit
    REQUEST_TIMEOUT = "408"  # the service gave up waiting for the request
    LATENCY = "latency"  # slow, but answered
    #: After the service created the fax: the answer never arrives.
    DROP_AFTER = "drop-after"
    TIMEOUT_AFTER = "timeout-after"
    GATEWAY_AFTER = "502-after"


#: The faults that lose the answer of a request the service carried out.
AFTER_RECORDING = frozenset({Fault.DROP_AFTER, Fault.TIMEOUT_AFTER, Fault.GATEWAY_AFTER})


def is_send(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/faxes")


class FaultyTransport(httpx.AsyncBaseTransport):
    """Wraps `inner`; each request first draws a fault, then meets it.

    Attributes:
        plan: faults for the next requests, used up in order before any random draw.
        rate: the share of requests that draw a random fault from `kinds`.
        sends_only: random faults hit only sends (POST /faxes); planned ones hit any request.
        down: while true every request is refused, as with the network unplugged.
        retry_after: the Retry-After value of injected 429s, as sent.
        latency: seconds added by LATENCY.
        counts: how many of each fault were met, and how many sends the service recorded
            whose answer was then lost ("recorded-then-lost").
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        rate: float = 0.0,
        kinds: Iterable[Fault] = (),
        seed: int = 0,
        sends_only: bool = True,
        retry_after: str = "0",
        latency: float = 0.01,
    ) -> None:
        self.inner = inner
        self.plan: list[Fault] = []
        self.rate = rate
        self.kinds = tuple(kinds)
        self.sends_only = sends_only
        self.down = False
        self.retry_after = retry_after
        self.latency = latency
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)

    def _draw(self, request: httpx.Request) -> Fault:
        if self.plan:
            return self.plan.pop(0)
        if self.sends_only and not is_send(request):
            return Fault.NONE
        if self.kinds and self._random.random() < self.rate:
            return self._random.choice(self.kinds)
        return Fault.NONE

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = Fault.REFUSED if self.down else self._draw(request)
        self.counts[fault] += 1
        if fault is Fault.REFUSED:
            raise httpx.ConnectError("Connection refused", request=request)
        if fault in (Fault.ERROR_500, Fault.ERROR_503):
            await request.aread()
            status = 500 if fault is Fault.ERROR_500 else 503
            return httpx.Response(
                status, json={"code": status, "message": "injected"}, request=request
            )
        if fault in (Fault.TOO_LARGE, Fault.REQUEST_TIMEOUT):
            await request.aread()
            status = 413 if fault is Fault.TOO_LARGE else 408
            body = {"code": status, "message": "The request body is larger than allowed."}
            if status == 408:
                body["message"] = "The request took too long to arrive."
            return httpx.Response(status, json=body, request=request)
        if fault is Fault.TOO_MANY:
            await request.aread()
            return httpx.Response(429, headers={"Retry-After": self.retry_after}, request=request)
        if fault is Fault.LATENCY:
            await asyncio.sleep(self.latency)
        response = await self.inner.handle_async_request(request)
        if fault not in AFTER_RECORDING:
            return response
        await response.aread()
        await response.aclose()
        if response.is_success and is_send(request):
            self.counts["recorded-then-lost"] += 1
        if fault is Fault.DROP_AFTER:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if fault is Fault.TIMEOUT_AFTER:
            raise httpx.ReadTimeout("injected timeout", request=request)
        return httpx.Response(502, text="Bad gateway", request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class SendObserver(httpx.AsyncBaseTransport):
    """Passes every request to `inner` unchanged, and notes how each send (POST /faxes) ended.

    Attributes:
        outcomes: one per send, in order: the HTTP status, or the name of the httpx error that
            took the place of an answer (a dropped connection, a timeout).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.outcomes: list[int | str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_send(request):
            return await self.inner.handle_async_request(request)
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError as exc:
            self.outcomes.append(type(exc).__name__)
            raise
        self.outcomes.append(response.status_code)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
