"""The outbox journal on a real SQLite file: entries survive reopening, changes race safely."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faxdesk.core.models import Document, ImageConversionMethod, Resolution, SendRequest
from faxdesk.core.outbox import OutboxState
from faxdesk.store.outbox import (
    SCHEMA_VERSION,
    NewEntry,
    OutboxStore,
    OutboxStoreError,
    request_from_json,
    request_to_json,
)

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _request(number: str = "+19898989898") -> SendRequest:
    return SendRequest(
        to=(number,),
        documents=(Document(Path("/outbox/b1/0/letter.pdf")),),
        header_text="ACME",
        resolution=Resolution.SUPERFINE,
        image_conversion_method=ImageConversionMethod.MONOCHROME,
        max_retries=2,
        labels={"ticket": "T-42"},
        cover_page_data={"to_name": "Dr. Smith"},
    )


def _new(submission: str, number: str = "+19898989898", **fields) -> NewEntry:
    values = {
        "batch_id": "b1",
        "submission": submission,
        "to": number,
        "request": _request(number),
        "document_set": "b1",
    }
    values.update(fields)
    return NewEntry(**values)


@pytest.fixture
def store(tmp_path: Path):
    result = OutboxStore(tmp_path / "outbox.sqlite3")
    yield result
    result.close()


def test_a_request_reads_back_equal():
    request = _request()
    assert request_from_json(request_to_json(request)) == request


def test_entries_are_stored_in_order_and_survive_reopening(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path)
    first, second = store.add([_new("s-1"), _new("s-2", "+14155550123")], NOW)
    store.close()

    reopened = OutboxStore(path)
    try:
        assert [e.id for e in reopened.unfinished()] == [first.id, second.id]
        again = reopened.get(second.id)
        assert again is not None
        assert again.to == "+14155550123"
        assert again.request == _request("+14155550123")
        assert again.state is OutboxState.QUEUED
        assert again.created_at == NOW
    finally:
        reopened.close()


def test_a_transition_happens_only_from_the_states_it_names(store: OutboxStore):
    [entry] = store.add([_new("s-1")], NOW)
    later = NOW + timedelta(seconds=5)
    moved = store.transition(
        entry.id, {OutboxState.QUEUED}, OutboxState.UPLOADING, later, attempts=1,
        first_attempt_at=later,
    )  # fmt: skip
    assert moved is not None
    assert (moved.state, moved.attempts, moved.first_attempt_at) == (
        OutboxState.UPLOADING,
        1,
        later,
    )
    assert moved.revision == entry.revision + 1
    # A cancel that comes after the sender took the entry loses: nothing changes.
    assert store.transition(entry.id, {OutboxState.QUEUED}, OutboxState.CANCELLED, later) is None
    assert store.get(entry.id).state is OutboxState.UPLOADING


def test_a_transition_refuses_fields_it_does_not_know(store: OutboxStore):
    [entry] = store.add([_new("s-1")], NOW)
    with pytest.raises(ValueError, match="recipient"):
        store.transition(entry.id, {OutboxState.QUEUED}, OutboxState.QUEUED, NOW, recipient="x")


def test_submission_labels_are_unique(store: OutboxStore):
    store.add([_new("s-1")], NOW)
    with pytest.raises(OutboxStoreError, match="UNIQUE constraint failed"):
        store.add([_new("s-2"), _new("s-1")], NOW)
    # All or none: the good entry of the refused pair was not written either.
    assert [e.submission for e in store.recent()] == ["s-1"]


def test_final_entries_are_not_unfinished(store: OutboxStore):
    a, b, c = store.add([_new("a"), _new("b"), _new("c")], NOW)
    store.transition(a.id, {OutboxState.QUEUED}, OutboxState.CANCELLED, NOW)
    store.transition(b.id, {OutboxState.QUEUED}, OutboxState.SUBMITTED, NOW, fax_id="F-b")
    assert [e.id for e in store.unfinished()] == [b.id, c.id]
    assert store.by_fax_id("F-b").id == b.id
    assert [e.id for e in store.recent(limit=2)] == [c.id, b.id]


def test_a_resend_is_written_once_and_marks_the_original(store: OutboxStore):
    [entry] = store.add([_new("s-1")], NOW)
    store.transition(entry.id, {OutboxState.QUEUED}, OutboxState.FAILED, NOW, last_error="Busy")
    result = store.resend(entry.id, _new("s-2", batch_id="b2"), NOW)
    assert result is not None
    original, fresh = result
    assert original.resent_as == fresh.id
    assert fresh.resend_of == entry.id
    assert fresh.state is OutboxState.QUEUED
    assert store.resend(entry.id, _new("s-3", batch_id="b3"), NOW) is None


def test_documents_stay_in_use_while_an_entry_may_need_them(store: OutboxStore):
    [entry] = store.add([_new("s-1")], NOW)
    assert store.document_set_in_use("b1")
    store.transition(entry.id, {OutboxState.QUEUED}, OutboxState.FAILED, NOW)
    assert store.document_set_in_use("b1")  # a failed fax may be sent again
    _original, fresh = store.resend(entry.id, _new("s-2", batch_id="b2"), NOW)
    store.transition(fresh.id, {OutboxState.QUEUED}, OutboxState.DELIVERED, NOW)
    assert not store.document_set_in_use("b1")
    assert store.document_sets() == {"b1"}


def test_a_journal_from_a_newer_faxdesk_is_refused_and_left_alone(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    OutboxStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(OutboxStoreError, match="newer FaxDesk"):
        OutboxStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION + 1,)


def test_the_journal_is_in_wal_mode(store: OutboxStore, tmp_path):
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_damaged_journal_is_refused_in_words_and_left_as_it_is(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(OutboxStoreError, match="is damaged") as caught:
        OutboxStore(path)
    assert "faxes waiting in it are then not sent" in str(caught.value)
    assert path.read_bytes() == b"not a database" * 100


def test_a_change_written_without_waiting_for_the_disk_is_kept_all_the_same(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path)
    [entry] = store.add([_new("s-1")], NOW)
    store.transition(entry.id, {OutboxState.QUEUED}, OutboxState.UPLOADING, NOW)
    store.transition(
        entry.id, {OutboxState.UPLOADING}, OutboxState.SUBMITTED, NOW, durable=False, fax_id="F1"
    )
    # A durable change after it still works, on the same connection.
    assert store.transition(entry.id, {OutboxState.SUBMITTED}, OutboxState.DELIVERED, NOW)
    store.close()
    reopened = OutboxStore(path)
    try:
        again = reopened.get(entry.id)
        assert (again.state, again.fax_id) == (OutboxState.DELIVERED, "F1")
    finally:
        reopened.close()


def test_the_history_has_every_state_an_entry_went_through_and_when(store: OutboxStore):
    [entry] = store.add([_new("s-1")], NOW)
    steps = [NOW + timedelta(seconds=n) for n in range(1, 4)]
    store.transition(entry.id, {OutboxState.QUEUED}, OutboxState.UPLOADING, steps[0])
    store.transition(
        entry.id, {OutboxState.UPLOADING}, OutboxState.UNCERTAIN, steps[1], last_error="Timeout."
    )
    # News that does not change the state is not a step.
    store.transition(entry.id, {OutboxState.UNCERTAIN}, OutboxState.UNCERTAIN, steps[1])
    store.transition(entry.id, {OutboxState.UNCERTAIN}, OutboxState.SUBMITTED, steps[2])
    # A refused transition leaves no trace either.
    store.transition(entry.id, {OutboxState.QUEUED}, OutboxState.CANCELLED, steps[2])
    assert [(s.state, s.at, s.detail) for s in store.history(entry.id)] == [
        (OutboxState.QUEUED, NOW, ""),
        (OutboxState.UPLOADING, steps[0], ""),
        (OutboxState.UNCERTAIN, steps[1], "Timeout."),
        (OutboxState.SUBMITTED, steps[2], ""),
    ]


def test_a_journal_of_the_first_version_gains_a_history_from_its_current_states(tmp_path: Path):
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path)
    [entry] = store.add([_new("s-1")], NOW)
    store.transition(entry.id, {OutboxState.QUEUED}, OutboxState.FAILED, NOW, last_error="Busy.")
    store.close()
    # Back to the first schema, as FaxDesk wrote it before it kept a history.
    with sqlite3.connect(path) as db:
        db.executescript("DROP TABLE entry_history; PRAGMA user_version = 1;")

    migrated = OutboxStore(path)
    try:
        assert [(s.state, s.detail) for s in migrated.history(entry.id)] == [
            (OutboxState.FAILED, "Busy.")
        ]
        assert migrated.get(entry.id).last_error == "Busy."
    finally:
        migrated.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
