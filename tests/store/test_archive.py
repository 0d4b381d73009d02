from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from faxdesk.core.models import (
    Direction,
    ErrorType,
    Fax,
    FaxStatus,
    ListFilter,
    Money,
    Resolution,
    SortColumn,
)
from faxdesk.core.outbox import SUBMISSION_LABEL
from faxdesk.store.archive import (
    ANNOUNCED,
    FILE_EXPIRED,
    FILE_NONE,
    FILE_STORED,
    FILE_UNAVAILABLE,
    SCHEMA_VERSION,
    Archive,
    NewerArchive,
    UnreadCounts,
    UpsertResult,
    _to_record,
    labels_text,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
#: The archives below start at T0: faxes created from then on are news.
START = T0


def _fax(fax_id: str, minutes: int, **kwargs) -> Fax:
    values = {
        "direction": Direction.OUTBOUND,
        "status": FaxStatus.QUEUED,
        "to": "+19898989898",
        "create_time": T0 + timedelta(minutes=minutes),
    }
    values.update(kwargs)
    return Fax(id=fax_id, **values)


def _inbound(fax_id: str, minutes: int, **kwargs) -> Fax:
    values = {
        "direction": Direction.INBOUND,
        "status": FaxStatus.COMPLETED,
        "from_": "+14155550123",
        "to": "+12125550100",
        "has_file": True,
    }
    values.update(kwargs)
    return _fax(fax_id, minutes, **values)


@pytest.fixture
def archive(tmp_path):
    result = Archive(tmp_path / "a.sqlite3", now=lambda: START)
    yield result
    result.close()


def _ids(rows) -> list[str]:
    return [row.fax.id for row in rows]


def test_round_trip_keeps_every_field(archive):
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
    assert archive.row("01A").fax == fax


def test_unknown_enum_values_survive(archive):
    archive.upsert([_fax("01A", 0, status=FaxStatus("ON_HOLD"))])
    assert archive.get("01A").status == "ON_HOLD"
    # An unknown status sorts after the known ones.
    archive.upsert([_fax("01B", 1, status=FaxStatus.FAILURE)])
    rows = archive.query(ListFilter(sort=SortColumn.STATUS, descending=False))
    assert _ids(rows) == ["01B", "01A"]


def test_upsert_replaces_by_id_and_recent_is_newest_first(archive):
    archive.upsert([_fax("01A", 0), _fax("01B", 5), _fax("01C", 2, direction=Direction.INBOUND)])
    archive.upsert([_fax("01A", 0, status=FaxStatus.COMPLETED)])
    assert [f.id for f in archive.recent()] == ["01B", "01C", "01A"]
    assert archive.get("01A").status is FaxStatus.COMPLETED
    assert [f.id for f in archive.recent(direction=Direction.INBOUND)] == ["01C"]
    assert [f.id for f in archive.recent(limit=1)] == ["01B"]


def test_upsert_says_what_is_new_and_what_changed(archive):
    assert archive.upsert([_fax("01A", 0), _fax("01B", 1)]) == UpsertResult(new=("01A", "01B"))
    result = archive.upsert(
        [_fax("01A", 0), _fax("01B", 1, status=FaxStatus.COMPLETED), _fax("01C", 2)]
    )
    assert result == UpsertResult(new=("01C",), changed=("01B",))
    assert archive.upsert([]) == UpsertResult()


def test_times_in_other_zones_sort_as_instants(archive):
    later_but_written_in_new_york = datetime(2026, 11, 30, 5, 30, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    archive.upsert(
        [
            _fax("utc", 0, create_time=datetime(2026, 11, 30, 5, 0, tzinfo=UTC)),
            _fax("ny", 0, create_time=later_but_written_in_new_york),
        ]
    )
    assert _ids(archive.query(ListFilter())) == ["ny", "utc"]


def test_survives_reopening_and_does_not_migrate_twice(tmp_path):
    path = tmp_path / "a.sqlite3"
    archive = Archive(path)
    archive.upsert([_fax("01A", 0)])
    archive.set_handled("01A", True, "called back")
    archive.close()
    reopened = Archive(path)
    assert reopened.get("01A") is not None
    assert reopened.row("01A").note == "called back"
    reopened.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_a_first_version_archive_is_migrated_with_its_faxes(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = [
        _inbound("01A", 0, from_="+442079460123"),
        _fax("01B", 5, status=FaxStatus.FAILURE, labels={"ticket": "T-7"}),
    ]
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE fax (id TEXT PRIMARY KEY, direction TEXT NOT NULL, status TEXT NOT NULL,"
        " create_time TEXT, record TEXT NOT NULL);"
        "CREATE INDEX fax_create_time ON fax (create_time DESC); PRAGMA user_version = 1;"
    )
    db.executemany(
        "INSERT INTO fax VALUES (?, ?, ?, ?, ?)",
        [
            (f.id, str(f.direction), str(f.status), f.create_time.isoformat(), _to_record(f))
            for f in old
        ],
    )
    db.commit()
    db.close()

    archive = Archive(path, now=lambda: T0 + timedelta(days=1))
    try:
        assert _ids(archive.query(ListFilter())) == ["01B", "01A"]
        assert _ids(archive.query(ListFilter(search="4420794"))) == ["01A"]
        assert _ids(archive.query(ListFilter(search="t-7"))) == ["01B"]
        # What was there before the upgrade is not news.
        assert archive.unread_counts() == UnreadCounts()
        assert archive.new_since == T0 + timedelta(days=1)
    finally:
        archive.close()


def test_an_archive_from_a_newer_version_is_left_alone(tmp_path):
    path = tmp_path / "a.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(NewerArchive, match="newer version of FaxDesk"):
        Archive.open_or_recover(path)
    assert path.exists()
    assert not list(tmp_path.glob("*.damaged-*"))


def test_missing_fax_is_none(archive):
    assert archive.get("nope") is None
    assert archive.row("nope") is None


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


# -- the list's queries ------------------------------------------------------------------------


@pytest.fixture
def office(archive):
    """A small day at the office: two received, three sent (one failed)."""
    archive.upsert(
        [
            _inbound("in-1", 10, from_="+14155550123", labels={"dept": "Billing"}),
            _inbound("in-2", 40, from_="+442079460123", service_id="svc-uk", number_of_pages=7),
            _fax(
                "out-1",
                20,
                to="+14155550199",
                status=FaxStatus.COMPLETED,
                number_of_pages=2,
                price=Money("0.1400", "USD"),
            ),
            _fax(
                "out-2",
                30,
                to="+19898989898",
                status=FaxStatus.FAILURE,
                error_type=ErrorType.CALL_ERROR,
                error_code=17,
                error_message="Busy",
                number_of_pages=1,
            ),
            _fax("out-3", 50, to="+33123456789", status=FaxStatus.IN_PROGRESS, number_of_pages=3),
        ]
    )
    archive.set_contact_names({"+14155550123": "Dr. Ávila", "+33123456789": "Cabinet Martin"})
    return archive


def test_filters_by_direction_status_service_and_time(office):
    assert _ids(office.query(ListFilter(direction=Direction.INBOUND))) == ["in-2", "in-1"]
    assert _ids(office.query(ListFilter(status=FaxStatus.FAILURE))) == ["out-2"]
    assert _ids(office.query(ListFilter(service_id="svc-uk"))) == ["in-2"]
    window = ListFilter(
        created_after=T0 + timedelta(minutes=20), created_before=T0 + timedelta(minutes=40)
    )
    # From inclusive, until exclusive.
    assert _ids(office.query(window)) == ["out-2", "out-1"]
    assert office.count(window) == 2
    assert office.count(ListFilter()) == 5


@pytest.mark.parametrize(
    ("search", "prefixes", "expected"),
    [
        ("415", (), ["out-1", "in-1"]),  # digits anywhere in either number
        ("+1 415", (), ["out-1", "in-1"]),
        ("(415) 555-0199", (), ["out-1"]),
        ("", ("+44207",), ["in-2"]),  # a national fragment, as an E.164 prefix
        ("ávila", (), ["in-1"]),  # the contact name, without regard to case
        ("MARTIN", (), ["out-3"]),
        ("billing", (), ["in-1"]),  # a label value
        ("dept", (), ["in-1"]),  # a label key
        ("busy", (), []),  # the failure reason is not searched
        ("out-2", (), ["out-2"]),  # the fax id, for support, not its digits
        ("nobody", (), []),
    ],
)
def test_quick_search(office, search, prefixes, expected):
    query = ListFilter(search=search, number_prefixes=prefixes)
    assert _ids(office.query(query)) == expected


def test_search_finds_notes(office):
    office.set_handled("out-1", True, "Sent again after the phone call")
    assert _ids(office.query(ListFilter(search="PHONE call"))) == ["out-1"]
    assert office.row("out-1").handled is True
    office.set_handled("out-1", False)
    assert office.row("out-1").note == "Sent again after the phone call"
    assert office.row("out-1").handled is False


@pytest.mark.parametrize(
    ("column", "ascending"),
    [
        (SortColumn.TIME, ["in-1", "out-1", "out-2", "in-2", "out-3"]),
        (SortColumn.DIRECTION, ["in-1", "in-2", "out-1", "out-2", "out-3"]),
        (SortColumn.FROM, ["out-1", "out-2", "out-3", "in-1", "in-2"]),
        (SortColumn.TO, ["in-1", "in-2", "out-1", "out-2", "out-3"]),
        (SortColumn.CONTACT, ["out-1", "out-2", "in-2", "out-3", "in-1"]),
        (SortColumn.NUMBER, ["in-1", "out-1", "out-2", "out-3", "in-2"]),
        (SortColumn.PAGES, ["in-1", "out-2", "out-1", "out-3", "in-2"]),
        (SortColumn.STATUS, ["out-3", "in-1", "out-1", "in-2", "out-2"]),
        (SortColumn.REASON, ["in-1", "out-1", "in-2", "out-3", "out-2"]),
        (SortColumn.PRICE, ["in-1", "out-2", "in-2", "out-3", "out-1"]),
        (SortColumn.LABELS, ["out-1", "out-2", "in-2", "out-3", "in-1"]),
    ],
)
def test_every_column_sorts_both_ways_with_time_breaking_ties(office, column, ascending):
    up = office.query(ListFilter(sort=column, descending=False))
    down = office.query(ListFilter(sort=column, descending=True))
    assert _ids(up) == ascending
    assert _ids(down) == ascending[::-1]
    # The sort keys the archive hands out order the rows the way it did.
    assert [row.sort_key for row in up] == sorted(row.sort_key for row in up)


def test_sorting_by_handled(office):
    office.set_handled("out-1", True)
    rows = office.query(ListFilter(sort=SortColumn.HANDLED, descending=True))
    assert _ids(rows)[0] == "out-1"


def test_pages_and_matching(office):
    first = office.query(ListFilter(), limit=2)
    second = office.query(ListFilter(), offset=2, limit=2)
    rest = office.query(ListFilter(), offset=4, limit=2)
    assert _ids(first) + _ids(second) + _ids(rest) == ["out-3", "in-2", "out-2", "out-1", "in-1"]
    matched = office.matching(ListFilter(direction=Direction.OUTBOUND), ["in-1", "out-1", "zz"])
    assert _ids(matched) == ["out-1"]
    assert matched[0].sort_key == (
        "2026-11-30T09:20:00.000000Z",
        "2026-11-30T09:20:00.000000Z",
        "out-1",
    )
    assert office.row("in-1").contact_name == "Dr. Ávila"


def test_contact_names_are_replaced_as_a_whole(office):
    office.set_contact_names({"+19898989898": "Test line"})
    assert office.row("in-1").contact_name == ""
    assert office.row("out-2").contact_name == "Test line"


# -- unread, handled, history ------------------------------------------------------------------


def test_what_arrives_or_fails_after_the_start_is_unread(archive):
    archive.upsert(
        [
            _inbound("old", -60),  # fetched with the history: not news
            _inbound("new", 5),
            _fax("sent", 5, status=FaxStatus.COMPLETED),
            _fax("failed", 6, status=FaxStatus.FAILURE),
            _fax("sending", 7, status=FaxStatus.IN_PROGRESS),
        ]
    )
    unread = {fax_id for fax_id in ("old", "new", "sent", "failed", "sending")}
    unread = {fax_id for fax_id in unread if archive.row(fax_id).unread}
    assert unread == {"new", "failed"}
    assert archive.unread_counts() == UnreadCounts(inbound=1, failed=1, total=2)

    archive.upsert([_fax("sending", 7, status=FaxStatus.FAILURE, error_message="Busy")])
    assert archive.row("sending").unread
    archive.set_unread(["sending"], False)
    # A failure already seen does not turn unread again when the record changes.
    archive.upsert([_fax("sending", 7, status=FaxStatus.FAILURE, error_message="Busy!")])
    assert not archive.row("sending").unread


def test_marking_read(archive):
    archive.upsert([_inbound("a", 1), _inbound("b", 2), _inbound("c", 3, from_="+33100000000")])
    assert archive.set_unread(["a", "a", "zz"], False) == ["a"]
    assert archive.set_unread(["a"], False) == []
    assert archive.mark_all_read(ListFilter(search="+331")) == 1
    assert archive.unread_counts().inbound == 1
    assert [row.fax.id for row in archive.query(ListFilter()) if row.unread] == ["b"]


def test_each_status_is_stamped_when_first_seen(tmp_path):
    clock = [T0]
    archive = Archive(tmp_path / "a.sqlite3", now=lambda: clock[0])
    try:
        archive.upsert([_fax("01A", 0)])
        clock[0] = T0 + timedelta(seconds=30)
        archive.upsert([_fax("01A", 0, status=FaxStatus.IN_PROGRESS)])
        clock[0] = T0 + timedelta(seconds=45)
        archive.upsert([_fax("01A", 0, status=FaxStatus.IN_PROGRESS, number_of_pages=2)])
        clock[0] = T0 + timedelta(seconds=90)
        archive.upsert([_fax("01A", 0, status=FaxStatus.COMPLETED)])
        assert archive.status_history("01A") == [
            (FaxStatus.QUEUED, T0),
            (FaxStatus.IN_PROGRESS, T0 + timedelta(seconds=30)),
            (FaxStatus.COMPLETED, T0 + timedelta(seconds=90)),
        ]
    finally:
        archive.close()


def test_content_deleted_is_remembered(archive):
    archive.upsert([_inbound("a", 1)])
    archive.set_content_deleted("a")
    assert archive.row("a").content_deleted == START


# -- local files and once-only actions ---------------------------------------------------------


def test_received_faxes_wait_for_their_pdf_until_stored_or_given_up(archive, tmp_path):
    archive.upsert(
        [
            _inbound("a", 1),
            _inbound("b", 2),
            _inbound("no-file", 3, has_file=False),
            _inbound("receiving", 4, status=FaxStatus.IN_PROGRESS),
            _fax("sent", 5, status=FaxStatus.COMPLETED, has_file=True),
            _inbound("old", -600),
        ]
    )
    assert [f.id for f in archive.pending_downloads()] == ["b", "a", "old"]
    assert [f.id for f in archive.pending_downloads(created_after=T0)] == ["b", "a"]
    archive.set_local_file("b", tmp_path / "b.pdf")
    assert archive.local_file("b") == tmp_path / "b.pdf"
    assert archive.file_state("b") == (FILE_STORED, "")
    # The service being down uses up none of the fax's attempts, but is noted.
    problem = "The fax service could not be reached."
    assert archive.record_file_problem("a", problem, permanent=False, counted=False) == 0
    assert archive.file_state("a") == (FILE_NONE, problem)
    assert [f.id for f in archive.pending_downloads(max_attempts=1)] == ["a", "old"]
    assert archive.record_file_problem("a", "The service did not answer.", permanent=False) == 1
    assert archive.record_file_problem("a", "The service did not answer.", permanent=False) == 2
    assert [f.id for f in archive.pending_downloads(max_attempts=2)] == ["old"]
    archive.record_file_problem("old", "The fax has no stored document.", permanent=True)
    assert archive.file_state("old") == (FILE_UNAVAILABLE, "The fax has no stored document.")
    assert [f.id for f in archive.pending_downloads()] == ["a"]
    archive.forget_local_file("b", expired=True)
    assert archive.local_file("b") is None
    assert archive.file_state("b")[0] == FILE_EXPIRED
    assert archive.file_state("unknown") == (FILE_NONE, "")


def test_stored_files_by_direction_and_age(archive, tmp_path):
    archive.upsert([_inbound("in-old", -100), _inbound("in-new", 1), _fax("out-old", -100)])
    for fax_id in ("in-old", "in-new", "out-old"):
        archive.set_local_file(fax_id, tmp_path / f"{fax_id}.pdf")
    assert archive.stored_files(Direction.INBOUND, T0) == [("in-old", tmp_path / "in-old.pdf")]
    assert archive.stored_files(Direction.OUTBOUND, T0) == [("out-old", tmp_path / "out-old.pdf")]


def test_announcements_are_for_news_and_wait_for_the_pdf(archive, tmp_path):
    archive.upsert(
        [
            _inbound("history", -60),
            _inbound("new", 5),
            _inbound("no-file", 6, has_file=False),
            _inbound("receiving", 7, status=FaxStatus.IN_PROGRESS),
        ]
    )
    assert [f.id for f in archive.pending_announcements()] == ["no-file"]
    # Its PDF could not be fetched (the service was down): it is announced without it.
    archive.record_file_problem("new", "down", permanent=False, counted=False)
    assert [f.id for f in archive.pending_announcements()] == ["new", "no-file"]
    archive.set_local_file("new", tmp_path / "new.pdf")
    assert [f.id for f in archive.pending_announcements()] == ["new", "no-file"]
    assert archive.mark_done("new", ANNOUNCED) is True
    assert archive.mark_done("new", ANNOUNCED) is False
    assert archive.is_done("new", ANNOUNCED)
    assert [f.id for f in archive.pending_announcements()] == ["no-file"]


def test_cursors_and_webhook_deliveries(archive):
    assert archive.cursor("sync") is None
    archive.set_cursor("sync", "a")
    archive.set_cursor("sync", "b")
    assert archive.cursor("sync") == "b"
    assert archive.record_event("INCOMING_FAX:01A") is True
    assert archive.record_event("INCOMING_FAX:01A") is False
    archive.forget_event("INCOMING_FAX:01A")
    assert archive.record_event("INCOMING_FAX:01A") is True


def test_unfinished_and_newest(archive):
    archive.upsert(
        [
            _fax("q", 1),
            _fax("p", 2, status=FaxStatus.IN_PROGRESS),
            _fax("done", 3, status=FaxStatus.COMPLETED),
        ]
    )
    assert [f.id for f in archive.unfinished()] == ["q", "p"]
    assert [f.id for f in archive.unfinished(created_before=T0 + timedelta(minutes=2))] == ["q"]
    assert archive.newest_create_time() == T0 + timedelta(minutes=3)


def test_records_are_plain_json(archive, tmp_path):
    archive.upsert([_fax("01A", 0, labels={"k": "v"})])
    db = sqlite3.connect(tmp_path / "a.sqlite3")
    (record,) = db.execute("SELECT record FROM fax_record").fetchone()
    db.close()
    assert json.loads(record)["labels"] == {"k": "v"}


def test_stored_news_waiting_for_an_action(archive, tmp_path):
    from faxdesk.store.archive import COPIED

    archive.upsert([_inbound("history", -60), _inbound("a", 5), _inbound("b", 6)])
    for fax_id in ("history", "a", "b"):
        archive.set_local_file(fax_id, tmp_path / f"{fax_id}.pdf")
    assert [(f.id, p.name) for f, p in archive.stored_news_without(COPIED)] == [
        ("a", "a.pdf"),
        ("b", "b.pdf"),
    ]
    archive.mark_done("a", COPIED)
    assert [f.id for f, _ in archive.stored_news_without(COPIED)] == ["b"]


def test_sent_numbers_are_the_outbound_recipients_only(archive):
    archive.upsert(
        [
            _fax("a", 1, to="+14155550123"),
            _fax("b", 2, to="+14155550123"),
            _fax("c", 3, to="+442079460123"),
            _inbound("d", 4),
        ]
    )
    assert archive.sent_numbers() == {"+14155550123", "+442079460123"}


def test_the_next_page_starts_after_the_last_row_shown(office):
    for n, query in enumerate((ListFilter(), ListFilter(sort=SortColumn.PAGES, descending=False))):
        everything = office.query(query, limit=10)
        first = office.query(query, limit=2)
        # A fax stored meanwhile that sorts before the last row shown does not shift the page.
        office.upsert([_fax(f"late-{n}", 100 if query.descending else -100, number_of_pages=0)])
        rest = office.query(query, limit=10, after=first[-1].sort_key)
        assert _ids(first) + _ids(rest) == _ids(everything)


def test_a_second_version_archive_keeps_its_flags_when_records_move_out(tmp_path):
    path = tmp_path / "v2.sqlite3"
    archive = Archive(path, now=lambda: START)
    archive.upsert([_inbound("a", 5), _fax("b", 6)])
    archive.set_handled("a", True, "done")
    archive.set_local_file("a", tmp_path / "a.pdf")
    archive.close()
    # Put the file back as schema 2 left it: the record inside the fax table.
    db = sqlite3.connect(path)
    db.executescript(
        "ALTER TABLE fax ADD COLUMN record TEXT NOT NULL DEFAULT '';"
        "UPDATE fax SET record = (SELECT record FROM fax_record r WHERE r.id = fax.id);"
        "DROP TABLE fax_record; PRAGMA user_version = 2;"
    )
    db.close()

    archive = Archive(path, now=lambda: START)
    try:
        row = archive.row("a")
        assert (row.fax.id, row.handled, row.note, row.unread) == ("a", True, "done", True)
        assert archive.local_file("a") == tmp_path / "a.pdf"
        assert _ids(archive.query(ListFilter())) == ["b", "a"]
    finally:
        archive.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        columns = [row[1] for row in db.execute("PRAGMA table_info(fax)")]
    db.close()
    assert "record" not in columns


def test_faxdesk_s_submission_label_is_kept_but_neither_shown_searched_nor_sorted(archive):
    labels = {SUBMISSION_LABEL: "52a1c0de", "ticket": "T-42"}
    archive.upsert([_fax("01A", 0, labels=labels), _fax("01B", 1)])
    assert archive.get("01A").labels == labels
    assert labels_text(archive.get("01A").labels) == "ticket=T-42"
    assert _ids(archive.query(ListFilter(search="t-42"))) == ["01A"]
    assert _ids(archive.query(ListFilter(search="faxdesksubmission"))) == []
    assert _ids(archive.query(ListFilter(search="52a1c0de"))) == []


def test_a_third_version_archive_stops_finding_the_submission_label(tmp_path):
    path = tmp_path / "v3.sqlite3"
    archive = Archive(path, now=lambda: START)
    archive.upsert([_fax("a", 5, labels={SUBMISSION_LABEL: "52a1c0de", "ticket": "T-42"})])
    archive.close()
    # Put the labels column back as schema 3 derived it: every label, the submission's too.
    db = sqlite3.connect(path)
    db.executescript(
        "UPDATE fax SET labels = 'faxdesksubmission=52a1c0de, ticket=t-42';PRAGMA user_version = 3;"
    )
    db.close()

    archive = Archive(path, now=lambda: START)
    try:
        assert _ids(archive.query(ListFilter(search="52a1c0de"))) == []
        assert _ids(archive.query(ListFilter(search="t-42"))) == ["a"]
        assert archive.get("a").labels[SUBMISSION_LABEL] == "52a1c0de"
    finally:
        archive.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    db.close()
