from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from faxdesk.core.errors import NotFound, ValidationError
from faxdesk.core.models import (
    TEST_NUMBER,
    Direction,
    Document,
    Fax,
    FaxQuery,
    FaxStatus,
    SendRequest,
)
from faxdesk.documents.pages import count_pages_in_file, make_test_pdf
from faxdesk.services.faxes import FaxService
from faxdesk.services.tracking import StatusTracker
from faxdesk.store.archive import Archive


@pytest.fixture
def pdf(tmp_path):
    path = tmp_path / "letter.pdf"
    path.write_bytes(make_test_pdf(2))
    return path


def _request(pdf, to=TEST_NUMBER) -> SendRequest:
    return SendRequest(to=(to,), documents=(Document(pdf),))


async def test_send_records_the_fax_in_the_archive(faxes: FaxService, archive: Archive, pdf):
    [fax] = await faxes.send(_request(pdf))
    assert fax.to == TEST_NUMBER
    assert fax.direction is Direction.OUTBOUND
    assert fax.number_of_pages == 2
    assert archive.get(fax.id) == fax


async def test_send_to_a_bad_number_is_refused_before_anything_is_archived(
    faxes: FaxService, archive: Archive, pdf
):
    with pytest.raises(ValidationError) as caught:
        await faxes.send(_request(pdf, to="12"))
    assert caught.value.field == "to"
    assert archive.recent() == []


async def test_load_page_archives_what_the_service_lists(faxes: FaxService, pdf):
    sent = [fax for _ in range(3) for fax in await faxes.send(_request(pdf))]
    query = FaxQuery(page_size=2, created_after=datetime.now(UTC) - timedelta(days=1))
    first = await faxes.load_page(query)
    second = await faxes.load_page(query, 2)
    assert (first.total_items, first.total_pages, len(first.faxes), len(second.faxes)) == (
        3,
        2,
        2,
        1,
    )
    listed = {fax.id for fax in first.faxes + second.faxes}
    assert listed == {fax.id for fax in sent}
    assert {fax.id for fax in await faxes.cached()} == listed


async def test_document_is_downloaded_once_and_then_read_from_disk(faxes: FaxService, local, pdf):
    [fax] = await faxes.send(_request(pdf))
    await local.sandbox.simulator.wait(fax.id)
    path = await faxes.document(fax)
    assert count_pages_in_file(path) == 2
    stamp = path.stat().st_mtime_ns
    again = await faxes.document(fax)
    assert again == path
    assert path.stat().st_mtime_ns == stamp


async def test_document_of_an_unknown_fax_is_not_found(faxes: FaxService):
    ghost = Fax(
        id="01JZZZZZZZZZZZZZZZZZZZZZZZ", direction=Direction.OUTBOUND, status=FaxStatus.QUEUED
    )
    with pytest.raises(NotFound):
        await faxes.document(ghost)
    assert not faxes.document_path(ghost).exists()


async def test_tracker_follows_a_fax_to_completed(faxes: FaxService, pdf):
    updates: list[Fax] = []
    finished = asyncio.Event()

    def on_update(fax: Fax) -> None:
        updates.append(fax)
        if fax.status.is_final:
            finished.set()

    tracker = StatusTracker(faxes, on_update, interval=0.01)
    [fax] = await faxes.send(_request(pdf))
    tracker.watch(fax)
    runner = asyncio.create_task(tracker.run())
    try:
        await asyncio.wait_for(finished.wait(), 10)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    assert updates[-1].status is FaxStatus.COMPLETED
    assert updates[-1].pages_sent_successfully == 2
    assert tracker.watched == frozenset()
    # Each report is a change: the same state is never reported twice in a row.
    assert all(a != b for a, b in itertools.pairwise(updates))


async def test_tracker_ignores_faxes_that_are_already_final(faxes: FaxService):
    tracker = StatusTracker(faxes, lambda _: None)
    done = Fax(id="01A", direction=Direction.OUTBOUND, status=FaxStatus.COMPLETED)
    tracker.watch(done)
    assert tracker.watched == frozenset()


async def test_save_as_copies_the_pdf_and_leaves_no_partial_file(
    faxes: FaxService, local, pdf, tmp_path
):
    [fax] = await faxes.send(_request(pdf))
    await local.sandbox.simulator.wait(fax.id)
    target = tmp_path / "out" / "copy.pdf"
    target.parent.mkdir()
    assert await faxes.save_as(fax, target) == target
    assert count_pages_in_file(target) == 2
    assert [p.name for p in target.parent.iterdir()] == ["copy.pdf"]


async def test_save_as_into_a_missing_folder_fails_cleanly(faxes: FaxService, local, pdf, tmp_path):
    [fax] = await faxes.send(_request(pdf))
    await local.sandbox.simulator.wait(fax.id)
    with pytest.raises(FileNotFoundError):
        await faxes.save_as(fax, tmp_path / "missing" / "copy.pdf")
    assert not (tmp_path / "missing").exists()
