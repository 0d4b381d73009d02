"""Deliver the service's webhooks: FAX_COMPLETED and INCOMING_FAX, multipart or JSON, retried.

A delivery is a POST to the configured URL. Multipart bodies have the parts `event`,
`eventTime`, `fax` (the Fax object as JSON text, typed application/json) and `file` (the PDF);
JSON bodies carry the PDF as base64, in `files[]` for FAX_COMPLETED and as `file` + `fileType`
for INCOMING_FAX, as the service sends them. Credentials in the URL's userinfo are sent as Basic
auth, never in the URL. Anything but a 200 (or no answer) is tried again on the service's
schedule, 16 retries from 5 minutes to 6 hours apart, every wait multiplied by the time scale.
Each delivery is an asyncio task owned by the `WebhookSender`, cancelled on shutdown; the last
attempts are kept for the control endpoint. This module does not decide which URL a fax's
webhook goes to (the app does) nor touch the state.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from faxdesk.sandbox.intake import split_credentials
from faxdesk.sandbox.problems import scrub_json
from faxdesk.sandbox.wire import format_time, mask_url

_log = logging.getLogger(__name__)

#: Seconds between one try and the next, at time scale 1: the service's 16 retries.
RETRY_SCHEDULE_SECONDS = (300.0, 600.0, 1200.0, 1800.0, *(6 * 3600.0,) * 12)
#: How long a receiver has to answer one try ("200 within 60 s"), at time scale 1 ...
ANSWER_TIMEOUT_SECONDS = 60.0
#: ... but never less than this, however compressed the time: a loopback answer takes a moment.
MIN_ANSWER_TIMEOUT_SECONDS = 2.0
#: How many attempts the control endpoint remembers.
KEPT_ATTEMPTS = 200

JSON_CONTENT_TYPE = "application/json"
MULTIPART_CONTENT_TYPE = "multipart/form-data"


class WebhookEvent(enum.StrEnum):
    INCOMING_FAX = "INCOMING_FAX"
    FAX_COMPLETED = "FAX_COMPLETED"


@dataclass(frozen=True, slots=True)
class Webhook:
    """One webhook to deliver.

    Attributes:
        url: where to, credentials included (they become Basic auth).
        content_type: `multipart/form-data` or `application/json`.
        event: which event.
        fax: the Fax object as the API serves it.
        pdf: the fax's document, if it has one.
        event_time: when the event happened.
    """

    url: str
    content_type: str
    event: WebhookEvent
    fax: Mapping[str, Any]
    pdf: bytes | None
    event_time: datetime


def build_request(webhook: Webhook) -> tuple[str, httpx.BasicAuth | None, dict[str, Any]]:
    """(URL without credentials, its Basic auth, keyword arguments for httpx's `post`)."""
    target, auth = split_credentials(webhook.url)
    event_time = format_time(webhook.event_time)
    # A fax an older sandbox stored with text UTF-8 cannot hold must not stop its webhook.
    fax = scrub_json(dict(webhook.fax))
    if webhook.content_type == JSON_CONTENT_TYPE:
        body: dict[str, Any] = {
            "event": webhook.event.value,
            "eventTime": event_time,
            "fax": fax,
        }
        if webhook.pdf is not None:
            encoded = base64.b64encode(webhook.pdf).decode("ascii")
            if webhook.event is WebhookEvent.FAX_COMPLETED:
                body["files"] = [{"file": encoded, "fileType": "PDF"}]
            else:
                body["file"] = encoded
                body["fileType"] = "PDF"
        return str(target), auth, {"json": body}
    parts: list[tuple[str, tuple[str | None, bytes | str] | tuple[str | None, bytes | str, str]]]
    parts = [
        ("event", (None, webhook.event.value)),
        ("eventTime", (None, event_time)),
        ("fax", (None, json.dumps(fax), JSON_CONTENT_TYPE)),
    ]
    if webhook.pdf is not None:
        parts.append(("file", (f"{webhook.fax['id']}.pdf", webhook.pdf, "application/pdf")))
    return str(target), auth, {"files": parts}


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One try of one webhook, as the control endpoint shows it (credentials masked)."""

    event: str
    fax_id: str
    url: str
    attempt: int
    time: str
    status_code: int | None
    error: str

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "faxId": self.fax_id,
            "url": self.url,
            "attempt": self.attempt,
            "time": self.time,
            "statusCode": self.status_code,
            "error": self.error,
        }


class WebhookSender:
    """Delivers webhooks in the background and retries them on the service's schedule.

    Attributes:
        time_scale: multiplies every wait between tries.
    """

    def __init__(
        self,
        *,
        time_scale: float,
        clock: Callable[[], datetime],
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.time_scale = time_scale
        self._clock = clock
        self._transport = transport
        self._sleep = sleep
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._attempts: deque[AttemptRecord] = deque(maxlen=KEPT_ATTEMPTS)

    def send(self, webhook: Webhook) -> None:
        """Start delivering `webhook`; must be called on the running loop."""
        task = asyncio.get_running_loop().create_task(
            self._deliver(webhook), name=f"faxdesk-sandbox-webhook-{webhook.fax.get('id')}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    @property
    def attempts(self) -> list[AttemptRecord]:
        """The latest tries, oldest first."""
        return list(self._attempts)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def wait_all(self) -> None:
        """Wait until every delivery has succeeded or run out of retries."""
        while self._tasks:
            await asyncio.gather(*(asyncio.shield(t) for t in list(self._tasks)))

    async def aclose(self) -> None:
        """Cancel every delivery still waiting and close the HTTP client."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("A sandbox webhook delivery failed", exc_info=task.exception())

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = max(ANSWER_TIMEOUT_SECONDS * self.time_scale, MIN_ANSWER_TIMEOUT_SECONDS)
            # The receiver must answer the webhook itself: a redirect is not followed.
            self._client = httpx.AsyncClient(transport=self._transport, timeout=timeout)
        return self._client

    async def _deliver(self, webhook: Webhook) -> None:
        url, auth, body = build_request(webhook)
        shown = mask_url(webhook.url)
        for attempt, wait in enumerate((*RETRY_SCHEDULE_SECONDS, None)):
            status_code: int | None = None
            error = ""
            try:
                response = await self._http().post(url, auth=auth, **body)
                status_code = response.status_code
                with contextlib.suppress(httpx.HTTPError):
                    await response.aread()
            except httpx.HTTPError as exc:
                error = str(exc) or type(exc).__name__
            self._attempts.append(
                AttemptRecord(
                    event=webhook.event.value,
                    fax_id=str(webhook.fax.get("id", "")),
                    url=shown,
                    attempt=attempt + 1,
                    time=format_time(self._clock()),
                    status_code=status_code,
                    error=error,
                )
            )
            if status_code == 200 or wait is None:
                return
            await self._sleep(wait * self.time_scale)
