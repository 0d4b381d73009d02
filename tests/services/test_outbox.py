"""The outbox against the real sandbox in this process, through the real client and journal.

Faults the sandbox never produces on its own (refused connections, lost answers, 429s) come
from `tests.fakes.faults.FaultyTransport` in front of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from faxdesk.api.client import FaxApiClient
from faxdesk.core.errors import ValidationError
from faxdesk.core.models import TEST_NUMBER, ErrorType, FaxStatus
from faxdesk.core.outbox import (
    SUBMISSION_LABEL,
    EntryChanged,
    OutboxError,
    OutboxState,
    UploadProgress,
    WaitingChanged,
)
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.numbers import BUSY_NUMBER, PARTIAL_NUMBER, SLOW_NUMBER
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from faxdesk.services.outbox import Outbox, OutboxTiming
from faxdesk.store.outbox import OutboxStore, OutboxStoreError
from tests.fakes.faults import Fault, FaultyTransport
from tests.services.outbox_support import (
    Recorder,
    api_through,
    make_outbox,
    request_for,
    running,
    sandbox_faxes,
    until_final,
    until_state,
    write_pdf,
)
from tests.waiting import until

OTHER = "+14155550123"
NO_SUCH_SERVICE = "01JNOSUCHSERV1CE0000000000"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
async def faults(local: LocalSandbox) -> FaultyTransport:
    return FaultyTransport(local.transport)


@pytest.fixture
async def api(local: LocalSandbox, faults: FaultyTransport) -> AsyncIterator[FaxApiClient]:
    async with api_through(local, faults) as client:
        yield client


@pytest.fixture
async def clean_api(local: LocalSandbox) -> AsyncIterator[FaxApiClient]:
    """A client without faults, to look at what the sandbox holds."""
    async with api_through(local) as client:
        yield client


@pytest.fixture
def outbox_and_store(api: FaxApiClient, tmp_path: Path):
    outbox, store = make_outbox(api, tmp_path / "data")
    yield outbox, store
    store.close()


@pytest.fixture
def outbox(outbox_and_store) -> Outbox:
    return outbox_and_store[0]


@pytest.fixture
def store(outbox_and_store) -> OutboxStore:
    return outbox_and_store[1]


def same_bytes(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


def size_of(path: Path) -> int:
    return path.stat().st_size


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    return write_pdf(tmp_path, pages=2)


async def test_submit_writes_the_journal_and_copies_the_documents_before_sending(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, pdf: Path
):
    await outbox.open()
    entries = await outbox.submit(request_for(pdf, TEST_NUMBER, OTHER, TEST_NUMBER))
    # Nothing went out: the outbox is not running.
    assert sum(faults.counts.values()) == 0
    # One entry per distinct recipient, sharing the Send's batch, each with its own label.
    assert [entry.to for entry in entries] == [TEST_NUMBER, OTHER]
    assert len({entry.batch_id for entry in entries}) == 1
    assert len({entry.submission for entry in entries}) == 2
    assert [entry.id for entry in store.unfinished()] == [entry.id for entry in entries]
    copy = entries[0].request.documents[0].path
    assert copy != pdf
    assert copy.name == pdf.name
    assert same_bytes(copy, pdf)
    # The original may change or go away now; the outbox sends its own copy.
    pdf.unlink(missing_ok=False)  # noqa: ASYNC240 - a quick local file operation in a test
    assert copy.is_file()


async def test_faxes_are_sent_with_their_label_and_followed_until_delivered(
    outbox: Outbox, store: OutboxStore, clean_api: FaxApiClient, pdf: Path
):
    recorder = Recorder(outbox)
    async with running(outbox):
        entries = await outbox.submit(request_for(pdf, TEST_NUMBER, OTHER, labels={"t": "42"}))
        done = await until_final(store, 2)
        # Delivered faxes need their copies no more.
        copy = entries[0].request.documents[0].path
        await until(lambda: not copy.exists())
    assert [entry.state for entry in done] == [OutboxState.DELIVERED] * 2
    on_service = {fax.id: fax for fax in await sandbox_faxes(clean_api)}
    assert set(on_service) == {entry.fax_id for entry in done}
    for entry in done:
        fax = on_service[entry.fax_id]
        assert fax.to == entry.to
        assert fax.labels == {"t": "42", SUBMISSION_LABEL: entry.submission}
        assert (entry.fax_status, entry.number_of_pages, entry.pages_sent) == (
            FaxStatus.COMPLETED,
            2,
            2,
        )
    states = [e.entry.state for e in recorder.of(EntryChanged) if e.entry.id == entries[0].id]
    assert states == [
        OutboxState.QUEUED,
        OutboxState.UPLOADING,
        OutboxState.SUBMITTED,
        *([OutboxState.SUBMITTED] * (len(states) - 4)),
        OutboxState.DELIVERED,
    ]
    delivered = recorder.of(EntryChanged)[-1]
    assert delivered.fax is not None
    assert delivered.fax.status is FaxStatus.COMPLETED


async def test_upload_progress_counts_up_to_the_whole_body(
    outbox: Outbox, store: OutboxStore, pdf: Path
):
    recorder = Recorder(outbox)
    async with running(outbox):
        [entry] = await outbox.submit(request_for(pdf, TEST_NUMBER))
        await until_state(store, entry.id, OutboxState.SUBMITTED)
    progress = [event for event in recorder.of(UploadProgress) if event.entry_id == entry.id]
    total = progress[-1].total
    assert total is not None
    assert total > size_of(pdf)  # the multipart framing counts too
    assert progress[-1].done == total
    done = [event.done for event in progress]
    assert done == sorted(done)


async def test_a_held_send_can_be_undone_and_nothing_goes_out(
    outbox: Outbox, faults: FaultyTransport, pdf: Path
):
    async with running(outbox):
        entries = await outbox.submit(request_for(pdf, TEST_NUMBER, OTHER), hold_seconds=30)
        assert {entry.state for entry in entries} == {OutboxState.HELD}
        cancelled = await outbox.undo(entries[0].batch_id)
        assert [entry.state for entry in cancelled] == [OutboxState.CANCELLED] * 2
        await asyncio.sleep(0.1)
    assert faults.counts == {}
    assert outbox.active() == []
    assert not entries[0].request.documents[0].path.exists()


async def test_a_held_send_goes_out_when_its_undo_window_ends(
    outbox: Outbox, store: OutboxStore, pdf: Path
):
    async with running(outbox):
        [entry] = await outbox.submit(request_for(pdf, TEST_NUMBER), hold_seconds=0.1)
        assert entry.state is OutboxState.HELD
        assert entry.hold_until == entry.created_at + timedelta(seconds=0.1)
        await until_state(store, entry.id, OutboxState.DELIVERED)
        with pytest.raises(OutboxError, match="too late to undo"):
            await outbox.undo(entry.batch_id)


async def test_send_now_ends_the_undo_window(outbox: Outbox, store: OutboxStore, pdf: Path):
    async with running(outbox):
        [entry] = await outbox.submit(request_for(pdf, TEST_NUMBER), hold_seconds=3600)
        [released] = await outbox.release(entry.batch_id)
        assert released.state is OutboxState.QUEUED
        await until_state(store, entry.id, OutboxState.DELIVERED)


async def test_a_queued_entry_can_be_cancelled_but_a_submitted_one_cannot(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, pdf: Path
):
    faults.down = True
    async with running(outbox):
        first, second = await outbox.submit(request_for(pdf, TEST_NUMBER, OTHER))
        await until(lambda: outbox.waiting is not None)
        cancelled = await outbox.cancel(second.id)
        assert cancelled.state is OutboxState.CANCELLED
        faults.down = False
        outbox.retry_now()
        submitted = await until_state(store, first.id, OutboxState.SUBMITTED)
        with pytest.raises(OutboxError, match=r"already on its way|delivered already"):
            await outbox.cancel(submitted.id)
        await until_state(store, first.id, OutboxState.DELIVERED)
    assert store.get(second.id).attempts == 0


async def test_offline_entries_wait_say_why_and_go_out_in_order_when_back(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, clean_api, pdf: Path
):
    recorder = Recorder(outbox)
    faults.down = True
    async with running(outbox):
        entries = [
            (await outbox.submit(request_for(pdf, number)))[0]
            for number in (TEST_NUMBER, OTHER, "+14155550124")
        ]
        await until(lambda: faults.counts["refused"] >= 3)
        waiting = outbox.waiting
        assert waiting is not None
        assert "could not be reached" in waiting.reason
        assert waiting.until is not None
        # Refused connections never carried a fax, and the entries are still in the queue.
        assert {e.state for e in outbox.active()} <= {OutboxState.QUEUED, OutboxState.UNCERTAIN}
        faults.down = False
        done = await until_final(store, 3)
    assert [entry.state for entry in done] == [OutboxState.DELIVERED] * 3
    faxes = sorted(await sandbox_faxes(clean_api), key=lambda fax: fax.create_time)
    assert [fax.to for fax in faxes] == [entry.to for entry in entries]
    # The wait was announced and then called off.
    changes = [event.waiting for event in recorder.of(WaitingChanged)]
    assert changes[0] is not None
    assert changes[-1] is None
    assert outbox.waiting is None


@pytest.mark.parametrize("fault", [Fault.DROP_AFTER, Fault.TIMEOUT_AFTER, Fault.GATEWAY_AFTER])
async def test_a_lost_answer_is_settled_by_the_label_without_a_second_fax(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, clean_api, pdf: Path, fault
):
    faults.plan = [fault]
    recorder = Recorder(outbox)
    async with running(outbox):
        [entry] = await outbox.submit(request_for(pdf, TEST_NUMBER))
        [done] = await until_final(store, 1)
    assert faults.counts["recorded-then-lost"] == 1
    assert done.state is OutboxState.DELIVERED
    assert done.attempts == 1
    history = await outbox.history(entry.id)
    assert [step.state for step in history] == [
        OutboxState.QUEUED,
        OutboxState.UPLOADING,
        OutboxState.UNCERTAIN,
        OutboxState.SUBMITTED,
        OutboxState.DELIVERED,
    ]
    assert history[2].detail == done_reason_for(fault)
    [fax] = await sandbox_faxes(clean_api)
    assert fax.id == done.fax_id
    states = [e.entry.state for e in recorder.of(EntryChanged) if e.entry.id == entry.id]
    assert states[:4] == [
        OutboxState.QUEUED,
        OutboxState.UPLOADING,
        OutboxState.UNCERTAIN,
        OutboxState.SUBMITTED,
    ]


class LateListing(httpx.AsyncBaseTransport):
    """A service that lists a new fax only some time after it answered (or failed to answer)
    its send: the first `hidden` lists after a send come back without it."""

    def __init__(self, inner: httpx.AsyncBaseTransport, hidden: int) -> None:
        self.inner = inner
        self.hidden = hidden
        self.lists = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        listing = request.method == "GET" and request.url.path.endswith("/faxes")
        if not listing:
            return response
        self.lists += 1
        if self.lists > self.hidden:
            return response
        await response.aread()
        page = {**response.json(), "faxes": [], "totalItems": 0, "totalPages": 0}
        return httpx.Response(200, json=page, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize(
    ("fault", "hidden", "attempts", "searches"),
    [
        # The answer was lost and the first search does not list the fax yet: whatever cut the
        # answer off, the service may have taken the fax and list it late. A second look finds it.
        (Fault.TIMEOUT_AFTER, 1, 1, 2),
        (Fault.DROP_AFTER, 1, 1, 2),
        (Fault.GATEWAY_AFTER, 1, 1, 2),
        # The service failed before it recorded the fax: neither look finds it, so it is sent
        # once more, and only once.
        (Fault.ERROR_500, 0, 2, 2),
        # A refused connection carried nothing to the service: there is nothing to look for.
        (Fault.REFUSED, 0, 2, 0),
    ],
)
async def test_an_unclear_send_is_looked_for_as_often_as_it_needs_before_it_goes_again(
    local: LocalSandbox,
    faults: FaultyTransport,
    clean_api,
    tmp_path: Path,
    pdf: Path,
    fault,
    hidden,
    attempts,
    searches,
):
    faults.plan = [fault]
    late = LateListing(faults, hidden=hidden)
    async with api_through(local, late) as api:
        outbox, store = make_outbox(api, tmp_path / "data")
        try:
            async with running(outbox):
                await outbox.submit(request_for(pdf, TEST_NUMBER))
                [done] = await until_final(store, 1)
        finally:
            store.close()
    assert done.state is OutboxState.DELIVERED
    assert done.attempts == attempts
    assert len(await sandbox_faxes(clean_api)) == 1
    assert late.lists == searches


def done_reason_for(fault: Fault) -> str:
    """What the outbox says about an attempt whose answer `fault` lost."""
    return {
        Fault.DROP_AFTER: "The fax service at sandbox.test closed the connection unexpectedly.",
        Fault.TIMEOUT_AFTER: "The fax service at sandbox.test did not answer in time.",
        Fault.GATEWAY_AFTER: "The fax service failed on its side (HTTP 502).",
    }[fault]


@pytest.mark.parametrize("fault", [Fault.ERROR_500, Fault.ERROR_503, Fault.REFUSED])
async def test_a_failure_before_the_fax_was_recorded_sends_it_once_more(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, clean_api, pdf: Path, fault
):
    faults.plan = [fault]
    async with running(outbox):
        await outbox.submit(request_for(pdf, TEST_NUMBER))
        [done] = await until_final(store, 1)
    assert done.state is OutboxState.DELIVERED
    assert done.attempts == 2
    assert len(await sandbox_faxes(clean_api)) == 1


async def test_too_many_requests_waits_as_asked_and_needs_no_search(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, pdf: Path
):
    faults.plan = [Fault.TOO_MANY]
    faults.retry_after = "0.05"
    recorder = Recorder(outbox)
    async with running(outbox):
        [entry] = await outbox.submit(request_for(pdf, TEST_NUMBER))
        await until_state(store, entry.id, OutboxState.DELIVERED)
    states = [e.entry.state for e in recorder.of(EntryChanged) if e.entry.id == entry.id]
    # Refused before anything was created: straight back to the queue, no uncertainty.
    assert states[:4] == [
        OutboxState.QUEUED,
        OutboxState.UPLOADING,
        OutboxState.QUEUED,
        OutboxState.UPLOADING,
    ]
    [waiting] = [e.waiting for e in recorder.of(WaitingChanged) if e.waiting is not None]
    assert "too many requests" in waiting.reason


async def test_a_request_the_service_rejects_fails_with_its_reason_and_is_not_retried(
    local: LocalSandbox, tmp_path: Path, pdf: Path
):
    # The service refuses a service id it does not know; the client cannot check that.
    async with api_through(local) as api:
        outbox, store = make_outbox(api, tmp_path / "data")
        try:
            async with running(outbox):
                [entry] = await outbox.submit(
                    request_for(pdf, TEST_NUMBER, service_id=NO_SUCH_SERVICE)
                )
                [done] = await until_final(store, 1)
        finally:
            store.close()
    assert done.state is OutboxState.FAILED
    assert done.attempts == 1
    assert done.last_error.startswith("The fax service ")
    assert done.can_resend
    assert entry.request.documents[0].path.exists()  # kept for a resend


async def test_a_fax_the_service_refuses_as_too_large_fails_at_once_and_holds_up_nothing(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, clean_api, pdf: Path
):
    faults.plan = [Fault.TOO_LARGE]
    async with running(outbox):
        [large, other] = await outbox.submit(request_for(pdf, TEST_NUMBER, OTHER))
        done = await until_final(store, 2)
    assert [(entry.id, entry.state, entry.attempts) for entry in done] == [
        (large.id, OutboxState.FAILED, 1),
        (other.id, OutboxState.DELIVERED, 1),
    ]
    assert done[0].last_error == (
        "The fax service refused the request as too large; send fewer or smaller documents: "
        "The request body is larger than allowed."
    )
    assert done[0].can_resend
    # Refused, not lost: no search for it, and only the other fax exists.
    assert [fax.to for fax in await sandbox_faxes(clean_api)] == [OTHER]
    assert faults.counts["413"] == 1


async def test_a_request_timeout_answer_is_tried_again(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, clean_api, pdf: Path
):
    faults.plan = [Fault.REQUEST_TIMEOUT]
    async with running(outbox):
        await outbox.submit(request_for(pdf, TEST_NUMBER))
        [done] = await until_final(store, 1)
    assert (done.state, done.attempts) == (OutboxState.DELIVERED, 2)
    assert len(await sandbox_faxes(clean_api)) == 1


async def test_a_bad_request_is_refused_at_submit(outbox: Outbox, store: OutboxStore, pdf: Path):
    await outbox.open()
    with pytest.raises(ValidationError, match="header text"):
        await outbox.submit(request_for(pdf, TEST_NUMBER, header_text="x" * 51))
    with pytest.raises(ValidationError, match="FaxDesk's own"):
        await outbox.submit(request_for(pdf, TEST_NUMBER, labels={SUBMISSION_LABEL: "mine"}))
    assert store.recent() == []


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (BUSY_NUMBER, "The line was busy."),
        (PARTIAL_NUMBER, "Only 1 of 2 pages went through. The fax did not go through completely."),
    ],
)
async def test_a_failed_transmission_says_why_in_plain_words(
    outbox: Outbox, store: OutboxStore, pdf: Path, number: str, reason: str
):
    async with running(outbox):
        await outbox.submit(request_for(pdf, number, max_retries=0))
        [done] = await until_final(store, 1)
    assert done.state is OutboxState.FAILED
    assert done.fax_status is FaxStatus.FAILURE
    assert done.last_error == reason


async def test_a_failed_fax_can_be_resent_to_a_corrected_number(
    outbox: Outbox, store: OutboxStore, clean_api: FaxApiClient, pdf: Path
):
    async with running(outbox):
        [entry] = await outbox.submit(request_for(pdf, BUSY_NUMBER, max_retries=0))
        await until_state(store, entry.id, OutboxState.FAILED)
        again = await outbox.resend(entry.id, to="(989) 898-9898")
        assert again.to == TEST_NUMBER
        assert again.resend_of == entry.id
        assert again.submission != entry.submission
        assert again.request.max_retries == 0  # the options go along
        with pytest.raises(OutboxError, match="sent again already"):
            await outbox.resend(entry.id)
        assert await outbox.resend_all_failed() == []
        delivered = await until_state(store, again.id, OutboxState.DELIVERED)
    assert store.get(entry.id).resent_as == again.id
    assert {fax.to for fax in await sandbox_faxes(clean_api)} == {BUSY_NUMBER, TEST_NUMBER}
    assert delivered.fax_id in {fax.id for fax in await sandbox_faxes(clean_api, TEST_NUMBER)}


async def test_a_resend_to_a_bad_number_is_refused(outbox: Outbox, store: OutboxStore, pdf):
    async with running(outbox):
        [entry] = await outbox.submit(request_for(pdf, BUSY_NUMBER, max_retries=0))
        await until_state(store, entry.id, OutboxState.FAILED)
        with pytest.raises(ValidationError, match="letters"):
            await outbox.resend(entry.id, to="call Bob")
    assert store.get(entry.id).can_resend


async def test_news_of_a_fax_from_a_webhook_settles_its_entry(tmp_path: Path, pdf: Path):
    # A slow line, so the report below arrives while the fax is still being transmitted.
    async with (
        in_process_sandbox(SandboxConfig(time_scale=1.0)) as slow,
        api_through(slow) as api,
    ):
        outbox, store = make_outbox(api, tmp_path / "data")
        try:
            async with running(outbox):
                [entry] = await outbox.submit(request_for(pdf, SLOW_NUMBER))
                submitted = await until_state(store, entry.id, OutboxState.SUBMITTED)
                # The journal changes first; the outbox's own view follows on the loop.
                await until(lambda: outbox.tracks(submitted.fax_id))
                fax = await api.get_fax(submitted.fax_id)
                busy = replace(
                    fax,
                    status=FaxStatus.FAILURE,
                    error_type=ErrorType.CALL_ERROR,
                    error_code=17,
                    error_message="Busy",
                )
                failed = await outbox.fax_updated(busy)
                assert failed is not None
                assert (failed.state, failed.last_error) == (
                    OutboxState.FAILED,
                    "The line was busy.",
                )
                assert not outbox.tracks(submitted.fax_id)
                assert await outbox.fax_updated(busy) is None
        finally:
            store.close()


async def test_resend_all_failed_resends_each_failed_entry_once(
    local: LocalSandbox, tmp_path: Path, pdf: Path
):
    async with api_through(local) as api:
        outbox, store = make_outbox(api, tmp_path / "data")
        try:
            await outbox.open()
            bad = request_for(pdf, TEST_NUMBER, OTHER, service_id=NO_SUCH_SERVICE)
            async with running(outbox):
                await outbox.submit(bad)
                failed = await until_final(store, 2)
            assert {entry.state for entry in failed} == {OutboxState.FAILED}
            resent = await outbox.resend_all_failed()
            assert sorted(entry.resend_of for entry in resent) == [e.id for e in failed]
            assert await outbox.resend_all_failed() == []
        finally:
            store.close()


async def test_only_failed_entries_can_be_resent(outbox: Outbox, pdf: Path):
    await outbox.open()
    [entry] = await outbox.submit(request_for(pdf, TEST_NUMBER))
    with pytest.raises(OutboxError, match="Only a failed fax can be sent again"):
        await outbox.resend(entry.id)


async def test_opening_removes_copies_nothing_can_send_again(
    api: FaxApiClient, tmp_path: Path, pdf: Path
):
    data = tmp_path / "data"
    outbox, store = make_outbox(api, data)
    try:
        await outbox.open()
        [delivered] = await outbox.submit(request_for(pdf, TEST_NUMBER))
        [failed] = await outbox.submit(request_for(pdf, OTHER))
        # As if FaxDesk stopped between a fax's last news and tidying up after it.
        store.transition(delivered.id, {OutboxState.QUEUED}, OutboxState.DELIVERED, NOW)
        store.transition(failed.id, {OutboxState.QUEUED}, OutboxState.FAILED, NOW)
        (data / "outbox" / "left-over").mkdir()
        (data / "outbox" / f"{delivered.batch_id}.partial").mkdir()
        again = Outbox(api, store, data / "outbox")
        await again.open()
        left = sorted(folder.name for folder in (data / "outbox").iterdir())
    finally:
        store.close()
    # Only the failed fax's copy stays: it may be resent.
    assert left == [failed.batch_id]


async def test_a_full_disk_refuses_the_send_in_words_and_leaves_nothing_behind(
    outbox: Outbox, store: OutboxStore, faults: FaultyTransport, tmp_path: Path, pdf: Path
):
    await outbox.open()
    # SQLite's own way to run out of room: the journal may not grow by a single page.
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages}")
    # A long label makes the entry larger than the room left in the journal's pages.
    with pytest.raises(OutboxStoreError) as caught:
        await outbox.submit(request_for(pdf, TEST_NUMBER, labels={"note": "x" * 20_000}))
    assert "could not be read or written (database or disk is full)" in str(caught.value)
    assert list((tmp_path / "data" / "outbox").iterdir()) == []
    assert faults.counts == {}


async def test_a_journal_that_fails_after_the_send_is_settled_at_the_next_start(
    local: LocalSandbox, faults: FaultyTransport, clean_api, tmp_path: Path, pdf: Path
):
    async with api_through(local, faults) as api:
        outbox, store = make_outbox(api, tmp_path / "data")
        real_handle = faults.handle_async_request

        async def then_lose_the_journal(request):
            response = await real_handle(request)
            if request.method == "POST":
                store.close()  # the disk goes away just as the service answers
            return response

        faults.handle_async_request = then_lose_the_journal
        async with running(outbox):
            await outbox.submit(request_for(pdf, TEST_NUMBER))
            await until(lambda: outbox.waiting is not None)
            assert "The outbox file" in outbox.waiting.reason
        faults.handle_async_request = real_handle
        # FaxDesk starts again on the same journal.
        again, store = make_outbox(api, tmp_path / "data")
        try:
            async with running(again):
                [done] = await until_final(store, 1)
        finally:
            store.close()
    assert done.state is OutboxState.DELIVERED
    assert done.attempts == 1
    [fax] = await sandbox_faxes(clean_api)
    assert fax.id == done.fax_id


def test_the_wait_doubles_up_to_its_ceiling_however_long_the_outage():
    timing = OutboxTiming(retry_base=2.0, retry_max=120.0)
    assert [timing.backoff(n) for n in (1, 2, 3, 6, 7)] == [2.0, 4.0, 8.0, 64.0, 120.0]
    # A weekend offline: thousands of failures in a row, and still a number.
    assert timing.backoff(10_000) == 120.0


async def test_a_fax_the_service_no_longer_knows_fails_and_holds_up_no_other(
    outbox: Outbox, store: OutboxStore, pdf: Path
):
    await outbox.open()
    [lost, fresh] = await outbox.submit(request_for(pdf, OTHER, TEST_NUMBER))
    # As if sent long ago, to a fax that has since gone from the service.
    store.transition(lost.id, {OutboxState.QUEUED}, OutboxState.UPLOADING, NOW)
    store.transition(
        lost.id,
        {OutboxState.UPLOADING},
        OutboxState.SUBMITTED,
        NOW,
        fax_id="01JNOSUCHFAX0000000000000",
    )
    async with running(outbox):
        entries = await until_final(store, 2)
    assert [(entry.id, entry.state) for entry in entries] == [
        (lost.id, OutboxState.FAILED),
        (fresh.id, OutboxState.DELIVERED),
    ]
    assert entries[0].last_error.startswith("The fax service no longer knows this fax")


async def test_events_come_as_an_async_iterator_too(outbox: Outbox, pdf: Path):
    await outbox.open()
    events = outbox.events()
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)  # the iterator subscribes when it starts
    [entry] = await outbox.submit(request_for(pdf, TEST_NUMBER), hold_seconds=60)
    event = await first
    assert isinstance(event, EntryChanged)
    assert (event.entry.id, event.entry.state) == (entry.id, OutboxState.HELD)
    await outbox.undo(entry.batch_id)
    second = await anext(events)
    assert (second.entry.id, second.entry.state) == (entry.id, OutboxState.CANCELLED)
    await events.aclose()
    # Closed, it hears nothing more (and holds no queue that grows).
    assert outbox._listeners == []
