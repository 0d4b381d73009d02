"""Helpers for the outbox tests: fast timings, a running outbox, and what the sandbox holds."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.api.retries import RetryPolicy
from faxdesk.core.models import Direction, Document, Fax, FaxQuery, SendRequest
from faxdesk.core.outbox import OutboxEntry, OutboxEvent, OutboxState
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.testing import LocalSandbox
from faxdesk.services.outbox import Outbox, OutboxTiming
from faxdesk.store.outbox import OutboxStore
from tests.fakes.faults import FaultyTransport
from tests.waiting import until

#: Waits short enough for a test, in the same proportions as the defaults.
FAST = OutboxTiming(
    retry_base=0.01,
    retry_max=0.05,
    account_retry=0.05,
    reconcile_delay=0.02,
    second_look=0.1,
    poll_interval=0.02,
)


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


#: The client's own retries of reads, without their waits.
QUICK_RETRIES = RetryPolicy(attempts=3, base_delay=0, max_delay=0, sleep=_no_sleep)


def write_pdf(folder: Path, name: str = "letter.pdf", pages: int = 1) -> Path:
    path = folder / name
    path.write_bytes(make_test_pdf(pages))
    return path


def request_for(pdf: Path, *numbers: str, **options) -> SendRequest:
    return SendRequest(to=numbers, documents=(Document(pdf),), **options)


@contextlib.asynccontextmanager
async def api_through(
    local: LocalSandbox, faults: FaultyTransport | None = None
) -> AsyncIterator[FaxApiClient]:
    http = create_http_client(transport=faults or local.transport)
    try:
        yield FaxApiClient(
            http,
            base_url=local.origin,
            project_id=local.config.project_id,
            auth=BasicAuth(local.config.key_id, local.config.key_secret),
            retry=QUICK_RETRIES,
        )
    finally:
        await http.aclose()


class Recorder:
    """Collects an outbox's events."""

    def __init__(self, outbox: Outbox) -> None:
        self.events: list[OutboxEvent] = []
        self.stop = outbox.subscribe(self.events.append)

    def of(self, kind: type) -> list:
        return [event for event in self.events if isinstance(event, kind)]


@contextlib.asynccontextmanager
async def running(outbox: Outbox) -> AsyncIterator[Outbox]:
    """The outbox's `run()` as a task for the block; cancelled (like at shutdown) afterwards."""
    await outbox.open()
    task = asyncio.create_task(outbox.run())
    try:
        yield outbox
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def make_outbox(api: FaxApiClient, folder: Path, **kwargs) -> tuple[Outbox, OutboxStore]:
    folder.mkdir(parents=True, exist_ok=True)
    store = OutboxStore(folder / "outbox.sqlite3")
    kwargs.setdefault("timing", FAST)
    return Outbox(api, store, folder / "outbox", **kwargs), store


async def until_final(store: OutboxStore, count: int, limit: float = 60.0) -> list[OutboxEntry]:
    """Wait until the journal holds `count` entries, all final; return them oldest first."""

    def done() -> bool:
        entries = store.recent(count + 1)
        return len(entries) == count and all(entry.is_final for entry in entries)

    await until(done, limit)
    return sorted(store.recent(count), key=lambda entry: entry.id)


async def until_state(
    store: OutboxStore, entry_id: int, state: OutboxState, limit: float = 20.0
) -> OutboxEntry:
    """Wait until the journal has entry `entry_id` in `state`; return it."""
    await until(lambda: (entry := store.get(entry_id)) is not None and entry.state is state, limit)
    found = store.get(entry_id)
    assert found is not None
    return found


async def sandbox_faxes(api: FaxApiClient, number: str | None = None) -> list[Fax]:
    """Every outbound fax the sandbox holds (to `number`), through the list endpoint."""
    now = datetime.now(UTC)
    query = FaxQuery(
        direction=Direction.OUTBOUND,
        to_prefix=number,
        created_after=now - timedelta(days=1),
        created_before=now + timedelta(days=1),
        page_size=1000,
    )
    return [fax async for fax in api.iter_faxes(query)]


def padded_pdf(path: Path, size: int) -> Path:
    """A one-page PDF of about `size` bytes: the page is tiny, an attachment makes up the rest.

    The padding is random, so no compression on the way shrinks it, and the page stays cheap
    for the sandbox to convert however large the file is.
    """
    import os

    import pymupdf

    doc = pymupdf.open(stream=make_test_pdf(1), filetype="pdf")
    doc.embfile_add("padding.bin", os.urandom(size))
    path.write_bytes(doc.tobytes())
    doc.close()
    return path
