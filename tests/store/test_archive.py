from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from faxdesk.core.models import Direction, ErrorType, Fax, FaxStatus, Money, Resolution
from faxdesk.store.archive import Archive

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _fax(fax_id: str, minutes: int, **kwargs) -> Fax:
    values = {
        "direction": Direction.OUTBOUND,
        "status": FaxStatus.QUEUED,
        "to": "+19898989898",
        "create_time": T0 + timedelta(minutes=minutes),
    }
    values.update(kwargs)
    return Fax(id=fax_id, **values)


def test_round_trip_keeps_every_field(tmp_path):
    archive = Archive(tmp_path / "a.sqlite3")
    fax = _fax(
        "01A",
        0,
        status=FaxStatus.FAILURE,
        completed_time=T0 + timedelta(minutes=2),
        price=Money("0.0700", "USD"),
        content_urls=("https://example.com/a.pdf",),
        labels={"ticket": "T-42"},
        resolution=Resolution.SUPERFINE,
        error_type=ErrorType.CALL_ERROR,
        error_code=17,
        error_message="Busy",
        extra={"barCodes": [{"type": "CODE_128", "page": 1, "value": "X"}]},
    )
    archive.upsert([fax])
    assert archive.get("01A") == fax
    archive.close()


def test_unknown_enum_values_survive(tmp_path):
    archive = Archive(tmp_path / "a.sqlite3")
    archive.upsert([_fax("01A", 0, status=FaxStatus("ON_HOLD"))])
    assert archive.get("01A").status == "ON_HOLD"
    archive.close()


def test_upsert_replaces_by_id_and_recent_is_newest_first(tmp_path):
    archive = Archive(tmp_path / "a.sqlite3")
    archive.upsert([_fax("01A", 0), _fax("01B", 5), _fax("01C", 2, direction=Direction.INBOUND)])
    archive.upsert([_fax("01A", 0, status=FaxStatus.COMPLETED)])
    assert [f.id for f in archive.recent()] == ["01B", "01C", "01A"]
    assert archive.get("01A").status is FaxStatus.COMPLETED
    assert [f.id for f in archive.recent(direction=Direction.INBOUND)] == ["01C"]
    assert [f.id for f in archive.recent(limit=1)] == ["01B"]
    archive.close()


def test_survives_reopening_and_does_not_migrate_twice(tmp_path):
    path = tmp_path / "a.sqlite3"
    archive = Archive(path)
    archive.upsert([_fax("01A", 0)])
    archive.close()
    reopened = Archive(path)
    assert reopened.get("01A") is not None
    reopened.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_missing_fax_is_none(tmp_path):
    archive = Archive(tmp_path / "a.sqlite3")
    assert archive.get("nope") is None
    archive.close()


def test_a_damaged_archive_is_set_aside_and_a_new_one_started(tmp_path):
    path = tmp_path / "a.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    archive, aside = Archive.open_or_recover(path)
    try:
        assert aside is not None
        assert aside.read_bytes().startswith(b"this is not a database")
        archive.upsert([_fax("01A", 0)])
        assert [fax.id for fax in archive.recent()] == ["01A"]
    finally:
        archive.close()


def test_a_healthy_archive_is_opened_as_it_is(tmp_path):
    path = tmp_path / "a.sqlite3"
    first = Archive(path)
    first.upsert([_fax("01A", 0)])
    first.close()
    archive, aside = Archive.open_or_recover(path)
    assert aside is None
    assert archive.get("01A") is not None
    archive.close()
