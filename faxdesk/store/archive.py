"""The local fax archive: every fax FaxDesk has seen, so the list shows at once and offline.

A single SQLite file in WAL mode. Besides each fax as the service described it, the archive
keeps what only this desk knows: unread and handled flags, notes, the status changes it saw,
where the fax's PDF is on disk, which once-only actions (announce, copy, print) are done,
sync cursors, webhook deliveries already stored, and a copy of the contact names the list
sorts and searches by. The list is answered here, sorted and filtered in SQL, a page at a
time, so a hundred thousand faxes cost no more to show than a hundred.

Methods are synchronous and short; code on the event loop calls them through
`asyncio.to_thread`, so the connection is shared across threads behind a lock. The archive
stores what it is told; it never talks to the service and never touches the PDF files.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faxdesk.core.errors import FaxDeskError
from faxdesk.core.models import (
    Direction,
    ErrorType,
    Fax,
    FaxStatus,
    ImageConversionMethod,
    ListFilter,
    Money,
    Resolution,
    SortColumn,
)
from faxdesk.core.outbox import SUBMISSION_LABEL, user_labels

SCHEMA_VERSION = 4

#: Once-only actions for a fax (`mark_done`).
ANNOUNCED = "announced"
COPIED = "copied"
PRINTED = "printed"

#: Where a fax's PDF is (`file_state`): not on this computer yet, stored at `local_path`, not
#: available from the service (`file_problem` says why), or removed by the retention rule.
FILE_NONE = 0
FILE_STORED = 1
FILE_UNAVAILABLE = 2
FILE_EXPIRED = 3

#: The cursor holding the moment this archive started: faxes that arrive after it are news
#: (unread, announced); the history fetched on the first sync is not.
NEW_SINCE = "new_since"

_V1 = """
CREATE TABLE fax (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    status TEXT NOT NULL,
    create_time TEXT,
    record TEXT NOT NULL
);
CREATE INDEX fax_create_time ON fax (create_time DESC);
"""

_V2_TABLES = """
CREATE TABLE fax_v2 (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    status TEXT NOT NULL,
    create_time TEXT NOT NULL DEFAULT '',
    from_number TEXT NOT NULL DEFAULT '',
    to_number TEXT NOT NULL DEFAULT '',
    other_number TEXT NOT NULL DEFAULT '',
    pages INTEGER NOT NULL DEFAULT 0,
    status_rank INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    price REAL NOT NULL DEFAULT -1,
    labels TEXT NOT NULL DEFAULT '',
    service_id TEXT NOT NULL DEFAULT '',
    has_file INTEGER NOT NULL DEFAULT 0,
    unread INTEGER NOT NULL DEFAULT 0,
    handled INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    note_key TEXT NOT NULL DEFAULT '',
    content_deleted TEXT NOT NULL DEFAULT '',
    local_path TEXT NOT NULL DEFAULT '',
    file_state INTEGER NOT NULL DEFAULT 0,
    file_attempts INTEGER NOT NULL DEFAULT 0,
    file_problem TEXT NOT NULL DEFAULT '',
    record TEXT NOT NULL
);
CREATE TABLE fax_status (
    fax_id TEXT NOT NULL,
    status TEXT NOT NULL,
    time TEXT NOT NULL,
    PRIMARY KEY (fax_id, status)
) WITHOUT ROWID;
CREATE TABLE fax_done (
    fax_id TEXT NOT NULL,
    action TEXT NOT NULL,
    time TEXT NOT NULL,
    PRIMARY KEY (fax_id, action)
) WITHOUT ROWID;
CREATE TABLE sync_cursor (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE webhook_event (key TEXT PRIMARY KEY, time TEXT NOT NULL);
CREATE TABLE contact_name (
    number TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL
);
"""

#: Schema 3 keeps each fax's record (about a kilobyte of JSON) apart from the columns the list
#: filters and sorts on, so scanning those for a search reads a tenth of the file.
_V3 = """
CREATE TABLE fax_record (id TEXT PRIMARY KEY, record TEXT NOT NULL);
INSERT INTO fax_record (id, record) SELECT id, record FROM fax;
CREATE TABLE fax_v3 (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    status TEXT NOT NULL,
    create_time TEXT NOT NULL DEFAULT '',
    from_number TEXT NOT NULL DEFAULT '',
    to_number TEXT NOT NULL DEFAULT '',
    other_number TEXT NOT NULL DEFAULT '',
    pages INTEGER NOT NULL DEFAULT 0,
    status_rank INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    price REAL NOT NULL DEFAULT -1,
    labels TEXT NOT NULL DEFAULT '',
    service_id TEXT NOT NULL DEFAULT '',
    has_file INTEGER NOT NULL DEFAULT 0,
    unread INTEGER NOT NULL DEFAULT 0,
    handled INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    note_key TEXT NOT NULL DEFAULT '',
    content_deleted TEXT NOT NULL DEFAULT '',
    local_path TEXT NOT NULL DEFAULT '',
    file_state INTEGER NOT NULL DEFAULT 0,
    file_attempts INTEGER NOT NULL DEFAULT 0,
    file_problem TEXT NOT NULL DEFAULT ''
);
INSERT INTO fax_v3 SELECT id, direction, status, create_time, from_number, to_number,
    other_number, pages, status_rank, reason, price, labels, service_id, has_file, unread,
    handled, note, note_key, content_deleted, local_path, file_state, file_attempts,
    file_problem FROM fax;
DROP TABLE fax;
ALTER TABLE fax_v3 RENAME TO fax
"""

_V2_INDEXES = """
CREATE INDEX fax_by_time ON fax (create_time DESC, id DESC);
CREATE INDEX fax_by_direction ON fax (direction, create_time DESC, id DESC);
CREATE INDEX fax_by_status ON fax (status, create_time DESC, id DESC);
CREATE INDEX fax_unread ON fax (direction, status) WHERE unread = 1;
CREATE INDEX fax_to_download ON fax (create_time DESC)
    WHERE direction = 'INBOUND' AND status = 'COMPLETED' AND has_file = 1 AND file_state = 0;
"""

#: The columns derived from the record, in the order `_columns` returns them.
_DERIVED = (
    "direction",
    "status",
    "create_time",
    "from_number",
    "to_number",
    "other_number",
    "pages",
    "status_rank",
    "reason",
    "price",
    "labels",
    "service_id",
    "has_file",
)

_ENUMS: dict[str, type[Any]] = {
    "direction": Direction,
    "status": FaxStatus,
    "error_type": ErrorType,
    "resolution": Resolution,
    "image_conversion_method": ImageConversionMethod,
}
_TIMES = ("create_time", "completed_time")

_STATUS_RANK = {
    FaxStatus.QUEUED: 0,
    FaxStatus.IN_PROGRESS: 1,
    FaxStatus.COMPLETED: 2,
    FaxStatus.FAILURE: 3,
}

#: How each sort column orders in SQL (the value is also handed back as the row's sort key).
_SORT_SQL: dict[SortColumn, str] = {
    SortColumn.TIME: "f.create_time",
    SortColumn.DIRECTION: "f.direction",
    SortColumn.FROM: "f.from_number",
    SortColumn.TO: "f.to_number",
    SortColumn.CONTACT: "coalesce(c.name_key, '')",
    SortColumn.NUMBER: "f.other_number",
    SortColumn.PAGES: "f.pages",
    SortColumn.STATUS: "f.status_rank",
    SortColumn.REASON: "f.reason",
    SortColumn.PRICE: "f.price",
    SortColumn.LABELS: "f.labels",
    SortColumn.HANDLED: "f.handled",
}

#: SQLite allows 32766 parameters; stay far below for `IN (...)` lists.
_CHUNK = 500


def utc_text(moment: datetime) -> str:
    """A time as the archive stores it: UTC, fixed width, so text order is time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _from_utc_text(text: str) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class NewerArchive(FaxDeskError):
    """The archive file comes from a newer FaxDesk; it is left as it is."""


@dataclass(frozen=True, slots=True)
class ArchivedFax:
    """A fax as the list shows it: the service's record and what this desk knows about it.

    Attributes:
        fax: the fax as the service last described it.
        unread: a fax that arrived (or failed) since this desk started, not yet opened.
        handled: someone marked it dealt with; `note` says how, if they wrote anything.
        contact_name: the contact the other party's number belongs to, "" if none.
        content_deleted: when the document was deleted on the service from this desk.
        sort_key: where the archive ordered this row: (sort value, create time, id).
    """

    fax: Fax
    unread: bool = False
    handled: bool = False
    note: str = ""
    contact_name: str = ""
    content_deleted: datetime | None = None
    sort_key: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """Which faxes an upsert added and which it changed (ids, in the order given)."""

    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnreadCounts:
    inbound: int = 0
    failed: int = 0
    total: int = 0


def _to_record(fax: Fax) -> str:
    data: dict[str, Any] = {}
    for f in dataclasses.fields(fax):
        value = getattr(fax, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Money):
            value = {"amount": value.amount, "currency_code": value.currency_code}
        elif isinstance(value, tuple):
            value = list(value)
        elif f.name in ("labels", "extra"):
            value = dict(value)
        data[f.name] = value
    return json.dumps(data, sort_keys=True)


def _from_record(text: str) -> Fax:
    data: dict[str, Any] = json.loads(text)
    known = {f.name for f in dataclasses.fields(Fax)}
    data = {key: value for key, value in data.items() if key in known}
    for name, enum_type in _ENUMS.items():
        if data.get(name) is not None:
            data[name] = enum_type(data[name])
    for name in _TIMES:
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    if data.get("price"):
        data["price"] = Money(**data["price"])
    data["content_urls"] = tuple(data.get("content_urls", ()))
    return Fax(**data)


def failure_text(fax: Fax) -> str:
    """The service's failure in one line, e.g. "Busy (CALL_ERROR 17)"; "" when none."""
    code = " ".join(
        part
        for part in (
            fax.error_type.value if fax.error_type is not None else "",
            str(fax.error_code) if fax.error_code is not None else "",
        )
        if part
    )
    message = fax.error_message.strip()
    if message and code:
        return f"{message} ({code})"
    return message or code


def labels_text(labels: Mapping[str, str]) -> str:
    """The user's labels as one line, "key=value, key=value", sorted by key.

    FaxDesk's own submission label is left out (`user_labels`): it is no one's to read.
    """
    return ", ".join(f"{key}={value}" for key, value in sorted(user_labels(labels).items()))


def _price_value(price: Money | None) -> float:
    if price is None:
        return -1.0
    try:
        return float(price.amount)
    except ValueError:
        return -1.0


def _columns(fax: Fax) -> tuple[Any, ...]:
    other = fax.from_ if fax.direction == Direction.INBOUND else fax.to
    return (
        str(fax.direction),
        str(fax.status),
        utc_text(fax.create_time) if fax.create_time is not None else "",
        fax.from_,
        fax.to,
        other,
        fax.number_of_pages,
        _STATUS_RANK.get(fax.status, len(_STATUS_RANK)),
        failure_text(fax).casefold(),
        _price_value(fax.price),
        labels_text(fax.labels).casefold(),
        fax.service_id,
        int(fax.has_file),
    )


#: What a typed phone number may hold besides digits.
_NUMBER_PUNCTUATION = frozenset("+-(). /")


def _number_digits(text: str) -> str:
    """The digits of `text` if it reads as (part of) a phone number, else "".

    "T-42" is a label, not a number: matching its digits would find every number with a 42.
    """
    if not text or any(not (ch.isdigit() or ch in _NUMBER_PUNCTUATION) for ch in text):
        return ""
    return "".join(ch for ch in text if ch.isdigit())


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def _where(query: ListFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.direction is not None:
        clauses.append("f.direction = ?")
        params.append(str(query.direction))
    if query.status is not None:
        clauses.append("f.status = ?")
        params.append(str(query.status))
    if query.service_id:
        clauses.append("f.service_id = ?")
        params.append(query.service_id)
    if query.created_after is not None:
        clauses.append("f.create_time >= ?")
        params.append(utc_text(query.created_after))
    if query.created_before is not None:
        clauses.append("f.create_time < ?")
        params.append(utc_text(query.created_before))
    text = query.search.strip()
    if text or query.number_prefixes:
        either: list[str] = []
        digits = _number_digits(text)
        if digits:
            either.append("instr(f.from_number, ?) > 0 OR instr(f.to_number, ?) > 0")
            params.extend((digits, digits))
        for prefix in query.number_prefixes:
            either.append("substr(f.from_number, 1, ?) = ? OR substr(f.to_number, 1, ?) = ?")
            params.extend((len(prefix), prefix, len(prefix), prefix))
        if text and not digits:
            key = text.casefold()
            either.append(
                "instr(coalesce(c.name_key, ''), ?) > 0 OR instr(f.labels, ?) > 0"
                " OR instr(f.note_key, ?) > 0 OR f.id = ?"
            )
            params.extend((key, key, key, text))
        clauses.append("(" + " OR ".join(either) + ")")
    return clauses, params


_SELECT = (
    "SELECT r.record, f.unread, f.handled, f.note, coalesce(c.name, ''), f.content_deleted,"
    " {sort} AS sort_value, f.create_time, f.id"
    " FROM fax f JOIN fax_record r ON r.id = f.id"
    " LEFT JOIN contact_name c ON c.number = f.other_number"
)


#: One page of the list: chosen and ordered in the inner query, then given its records.
_PAGE = (
    "SELECT r.record, p.unread, p.handled, p.note, p.contact, p.content_deleted,"
    " p.sort_value, p.create_time, p.id FROM ("
    "SELECT f.id AS id, f.unread AS unread, f.handled AS handled, f.note AS note,"
    " coalesce(c.name, '') AS contact, f.content_deleted AS content_deleted,"
    " {sort} AS sort_value, f.create_time AS create_time"
    " FROM fax f LEFT JOIN contact_name c ON c.number = f.other_number{where}"
    " ORDER BY sort_value {direction}, f.create_time {direction}, f.id {direction}"
    " LIMIT ? OFFSET ?) p JOIN fax_record r ON r.id = p.id"
    " ORDER BY p.sort_value {direction}, p.create_time {direction}, p.id {direction}"
)


def _row(values: Sequence[Any]) -> ArchivedFax:
    record, unread, handled, note, contact, deleted, sort_value, create_time, fax_id = values
    return ArchivedFax(
        fax=_from_record(record),
        unread=bool(unread),
        handled=bool(handled),
        note=note,
        contact_name=contact,
        content_deleted=_from_utc_text(deleted),
        sort_key=(sort_value, create_time, fax_id),
    )


class Archive:
    """Faxes by id with this desk's flags. Safe to call from worker threads, one at a time.

    `now` is the clock used to stamp observations (tests pass a fixed one).
    """

    @classmethod
    def open_or_recover(cls, path: Path) -> tuple[Archive, Path | None]:
        """Open the archive at `path`; a damaged file is set aside and a new one started.

        The archive only mirrors what the service holds, so starting over loses nothing the
        next sync cannot bring back. Returns the archive and where a damaged file was moved.
        """
        try:
            return cls(path), None
        except sqlite3.DatabaseError:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = path.with_name(f"{path.name}.damaged-{stamp}")
            for suffix in ("", "-wal", "-shm"):
                damaged = Path(f"{path}{suffix}")
                if damaged.exists():
                    damaged.replace(Path(f"{aside}{suffix}"))
            return cls(path), aside

    def __init__(self, path: Path | str, *, now: Callable[[], datetime] | None = None) -> None:
        self._lock = threading.Lock()
        self._now = now or (lambda: datetime.now(UTC))
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            self._new_since = self._read_cursor(NEW_SINCE) or ""
        except (sqlite3.DatabaseError, NewerArchive):
            self._db.close()
            raise

    # -- schema --------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._lock:
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise NewerArchive(
                    "FaxDesk's archive of faxes was written by a newer version of FaxDesk, "
                    "which this one cannot read. Start the newer version again."
                )
            if version < 1:
                self._db.executescript(f"BEGIN; {_V1} PRAGMA user_version = 1; COMMIT;")
            if version < 2:
                self._migrate_to_2()
            if version < 3:
                self._migrate_to_3()
            if version < 4:
                self._migrate_to_4()

    def _migrate_to_2(self) -> None:
        """Derive the list's columns from each stored record and add this desk's tables."""
        db = self._db
        db.execute("BEGIN")
        try:
            for statement in _statements(_V2_TABLES):
                db.execute(statement)
            rows = db.execute("SELECT record FROM fax").fetchall()
            db.executemany(
                f"INSERT INTO fax_v2 (id, {', '.join(_DERIVED)}, record)"
                f" VALUES (?, {_placeholders(len(_DERIVED))}, ?)",
                [(fax.id, *_columns(fax), record) for fax, record in _parsed(rows)],
            )
            db.execute("DROP TABLE fax")
            db.execute("ALTER TABLE fax_v2 RENAME TO fax")
            for statement in _statements(_V2_INDEXES):
                db.execute(statement)
            db.execute(
                "INSERT INTO sync_cursor (name, value) VALUES (?, ?)",
                (NEW_SINCE, utc_text(self._now())),
            )
            db.execute("PRAGMA user_version = 2")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _migrate_to_3(self) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            for statement in (*_statements(_V3), *_statements(_V2_INDEXES)):
                db.execute(statement)
            db.execute("PRAGMA user_version = 3")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _migrate_to_4(self) -> None:
        """Drop FaxDesk's submission label from the labels column that search and sort read."""
        db = self._db
        db.execute("BEGIN")
        try:
            rows = db.execute(
                "SELECT r.record FROM fax f JOIN fax_record r ON r.id = f.id"
                " WHERE instr(f.labels, ?) > 0",
                (SUBMISSION_LABEL.casefold(),),
            ).fetchall()
            db.executemany(
                "UPDATE fax SET labels = ? WHERE id = ?",
                [(labels_text(fax.labels).casefold(), fax.id) for fax, _ in _parsed(rows)],
            )
            db.execute("PRAGMA user_version = 4")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- faxes ---------------------------------------------------------------------------------

    @property
    def new_since(self) -> datetime | None:
        """When this archive started; faxes created from then on are news."""
        return _from_utc_text(self._new_since)

    def upsert(self, faxes: Iterable[Fax]) -> UpsertResult:
        """Store what the service says about `faxes`; this desk's flags are kept.

        A fax not seen before starts unread when it is inbound, or an outbound failure, and
        was created since the archive started; an outbound fax that turns into a failure
        becomes unread again. Each status is stamped the first time it is seen.
        """
        latest = {fax.id: fax for fax in faxes}
        if not latest:
            return UpsertResult()
        ids = list(latest)
        stamp = utc_text(self._now())
        new: list[str] = []
        changed: list[str] = []
        with self._lock:
            self._db.execute("BEGIN")
            try:
                known: dict[str, tuple[str, str]] = {}
                for chunk in _chunks(ids):
                    for fax_id, status, record in self._db.execute(
                        f"SELECT f.id, f.status, r.record FROM fax f JOIN fax_record r"
                        f" ON r.id = f.id WHERE f.id IN ({_placeholders(len(chunk))})",
                        chunk,
                    ):
                        known[fax_id] = (status, record)
                inserts: list[tuple[Any, ...]] = []
                updates: list[tuple[Any, ...]] = []
                statuses: list[tuple[str, str, str]] = []
                for fax_id, fax in latest.items():
                    record = _to_record(fax)
                    columns = _columns(fax)
                    previous = known.get(fax_id)
                    if previous is None:
                        new.append(fax_id)
                        inserts.append((fax_id, *columns, int(self._starts_unread(fax)), record))
                        statuses.append((fax_id, str(fax.status), stamp))
                    elif previous[1] != record:
                        changed.append(fax_id)
                        failed_now = (
                            fax.status == FaxStatus.FAILURE
                            and previous[0] != str(FaxStatus.FAILURE)
                            and self._starts_unread(fax)
                        )
                        updates.append((*columns, int(failed_now), record, fax_id))
                        if previous[0] != str(fax.status):
                            statuses.append((fax_id, str(fax.status), stamp))
                if inserts:
                    self._db.executemany(
                        f"INSERT INTO fax (id, {', '.join(_DERIVED)}, unread)"
                        f" VALUES (?, {_placeholders(len(_DERIVED))}, ?)",
                        [row[:-1] for row in inserts],
                    )
                    self._db.executemany(
                        "INSERT INTO fax_record (id, record) VALUES (?, ?)",
                        [(row[0], row[-1]) for row in inserts],
                    )
                if updates:
                    assignments = ", ".join(f"{name} = ?" for name in _DERIVED)
                    self._db.executemany(
                        f"UPDATE fax SET {assignments},"
                        " unread = CASE WHEN ? THEN 1 ELSE unread END WHERE id = ?",
                        [(*row[:-2], row[-1]) for row in updates],
                    )
                    self._db.executemany(
                        "UPDATE fax_record SET record = ? WHERE id = ?",
                        [(row[-2], row[-1]) for row in updates],
                    )
                if statuses:
                    self._db.executemany(
                        "INSERT OR IGNORE INTO fax_status (fax_id, status, time) VALUES (?, ?, ?)",
                        statuses,
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return UpsertResult(new=tuple(new), changed=tuple(changed))

    def _starts_unread(self, fax: Fax) -> bool:
        if fax.direction != Direction.INBOUND and fax.status != FaxStatus.FAILURE:
            return False
        created = utc_text(fax.create_time) if fax.create_time is not None else ""
        # A fax without a time is taken as new: the service always sends one.
        return not created or created >= self._new_since

    def get(self, fax_id: str) -> Fax | None:
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM fax_record WHERE id = ?", (fax_id,)
            ).fetchone()
        return _from_record(row[0]) if row else None

    def row(self, fax_id: str, sort: SortColumn = SortColumn.TIME) -> ArchivedFax | None:
        """One fax with this desk's flags, or None."""
        sql = _SELECT.format(sort=_SORT_SQL[sort]) + " WHERE f.id = ?"
        with self._lock:
            values = self._db.execute(sql, (fax_id,)).fetchone()
        return _row(values) if values else None

    def recent(self, limit: int = 500, direction: Direction | None = None) -> list[Fax]:
        """The newest faxes (of one direction), newest first."""
        rows = self.query(ListFilter(direction=direction), limit=limit)
        return [row.fax for row in rows]

    def query(
        self,
        query: ListFilter,
        *,
        offset: int = 0,
        limit: int = 200,
        after: Sequence[Any] | None = None,
    ) -> list[ArchivedFax]:
        """One page of the faxes `query` selects, in its order.

        `after` is the sort key of the last row already shown: the page starts right after
        it, so faxes stored meanwhile before that row do not shift the page (they are the
        caller's to merge).
        """
        clauses, params = _where(query)
        sort_sql = _SORT_SQL[query.sort]
        if after is not None:
            beyond = "<" if query.descending else ">"
            clauses.append(f"({sort_sql}, f.create_time, f.id) {beyond} (?, ?, ?)")
            params.extend(after)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        direction = "DESC" if query.descending else "ASC"
        # The page is chosen from the small columns alone; only its rows' records are read.
        # Sorting with the records joined in would carry every fax's record through the sort.
        sql = _PAGE.format(sort=sort_sql, where=where, direction=direction)
        with self._lock:
            rows = self._db.execute(sql, [*params, limit, offset]).fetchall()
        return [_row(values) for values in rows]

    def matching(self, query: ListFilter, fax_ids: Iterable[str]) -> list[ArchivedFax]:
        """Those of `fax_ids` that `query` selects, with their sort keys (in no set order)."""
        ids = list(dict.fromkeys(fax_ids))
        clauses, params = _where(query)
        sql = _SELECT.format(sort=_SORT_SQL[query.sort])
        result: list[ArchivedFax] = []
        with self._lock:
            for chunk in _chunks(ids):
                where = " AND ".join([*clauses, f"f.id IN ({_placeholders(len(chunk))})"])
                rows = self._db.execute(f"{sql} WHERE {where}", [*params, *chunk]).fetchall()
                result.extend(_row(values) for values in rows)
        return result

    def count(self, query: ListFilter) -> int:
        clauses, params = _where(query)
        sql = "SELECT count(*) FROM fax f LEFT JOIN contact_name c ON c.number = f.other_number"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        with self._lock:
            (total,) = self._db.execute(sql, params).fetchone()
        return int(total)

    def newest_create_time(self) -> datetime | None:
        with self._lock:
            row = self._db.execute("SELECT max(create_time) FROM fax").fetchone()
        return _from_utc_text(row[0]) if row and row[0] else None

    def unfinished(self, *, created_before: datetime | None = None, limit: int = 100) -> list[Fax]:
        """Faxes still queued or in progress (created before a time), oldest first."""
        sql = "SELECT r.record FROM fax f JOIN fax_record r ON r.id = f.id WHERE f.status IN (?, ?)"
        params: list[Any] = [str(FaxStatus.QUEUED), str(FaxStatus.IN_PROGRESS)]
        if created_before is not None:
            sql += " AND create_time < ?"
            params.append(utc_text(created_before))
        sql += " ORDER BY f.create_time LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_from_record(record) for (record,) in rows]

    def status_history(self, fax_id: str) -> list[tuple[FaxStatus, datetime]]:
        """Each status of the fax with when this desk first saw it, in that order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT status, time FROM fax_status WHERE fax_id = ? ORDER BY time",
                (fax_id,),
            ).fetchall()
        history = []
        for status, time in rows:
            moment = _from_utc_text(time)
            if moment is not None:
                history.append((FaxStatus(status), moment))
        return history

    # -- this desk's flags ---------------------------------------------------------------------

    def set_unread(self, fax_ids: Iterable[str], unread: bool) -> list[str]:
        """Mark faxes read or unread; returns the ids whose flag changed."""
        ids = list(dict.fromkeys(fax_ids))
        changed: list[str] = []
        with self._lock:
            for chunk in _chunks(ids):
                rows = self._db.execute(
                    f"UPDATE fax SET unread = ? WHERE unread != ? AND id IN"
                    f" ({_placeholders(len(chunk))}) RETURNING id",
                    [int(unread), int(unread), *chunk],
                ).fetchall()
                changed.extend(fax_id for (fax_id,) in rows)
        return changed

    def mark_all_read(self, query: ListFilter) -> int:
        """Mark every unread fax `query` selects as read; returns how many there were."""
        clauses, params = _where(query)
        where = " AND ".join(["f.unread = 1", *clauses])
        with self._lock:
            cursor = self._db.execute(
                "UPDATE fax SET unread = 0 WHERE id IN (SELECT f.id FROM fax f"
                f" LEFT JOIN contact_name c ON c.number = f.other_number WHERE {where})",
                params,
            )
        return cursor.rowcount

    def set_handled(self, fax_id: str, handled: bool, note: str | None = None) -> None:
        """Mark a fax handled or not, and replace its note unless `note` is None."""
        with self._lock:
            if note is None:
                self._db.execute("UPDATE fax SET handled = ? WHERE id = ?", (int(handled), fax_id))
            else:
                self._db.execute(
                    "UPDATE fax SET handled = ?, note = ?, note_key = ? WHERE id = ?",
                    (int(handled), note, note.casefold(), fax_id),
                )

    def set_content_deleted(self, fax_id: str) -> None:
        """Record that the document was deleted on the service from this desk, now."""
        with self._lock:
            self._db.execute(
                "UPDATE fax SET content_deleted = ? WHERE id = ?", (utc_text(self._now()), fax_id)
            )

    def unread_counts(self) -> UnreadCounts:
        with self._lock:
            rows = self._db.execute(
                "SELECT direction, status, count(*) FROM fax WHERE unread = 1"
                " GROUP BY direction, status"
            ).fetchall()
        inbound = sum(n for direction, _status, n in rows if direction == Direction.INBOUND)
        failed = sum(n for _direction, status, n in rows if status == FaxStatus.FAILURE)
        return UnreadCounts(inbound=inbound, failed=failed, total=sum(n for *_, n in rows))

    # -- local files ---------------------------------------------------------------------------

    def local_file(self, fax_id: str) -> Path | None:
        with self._lock:
            row = self._db.execute(
                "SELECT local_path FROM fax WHERE id = ? AND file_state = ?",
                (fax_id, FILE_STORED),
            ).fetchone()
        return Path(row[0]) if row and row[0] else None

    def file_state(self, fax_id: str) -> tuple[int, str]:
        """(FILE_* state, problem text) of the fax's PDF; (FILE_NONE, "") if unknown."""
        with self._lock:
            row = self._db.execute(
                "SELECT file_state, file_problem FROM fax WHERE id = ?", (fax_id,)
            ).fetchone()
        return (int(row[0]), str(row[1])) if row else (FILE_NONE, "")

    def set_local_file(self, fax_id: str, path: Path) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE fax SET local_path = ?, file_state = ?, file_problem = '' WHERE id = ?",
                (str(path), FILE_STORED, fax_id),
            )

    def record_file_problem(
        self, fax_id: str, problem: str, *, permanent: bool, counted: bool = True
    ) -> int:
        """Note a failed download; a permanent problem stops further attempts. A problem not
        `counted` (the service was down, not this fax's document) uses up no attempt.

        Returns the number of attempts so far.
        """
        with self._lock:
            row = self._db.execute(
                "UPDATE fax SET file_attempts = file_attempts + ?, file_problem = ?,"
                " file_state = CASE WHEN ? THEN ? ELSE file_state END WHERE id = ?"
                " RETURNING file_attempts",
                (int(counted), problem, int(permanent), FILE_UNAVAILABLE, fax_id),
            ).fetchone()
        return int(row[0]) if row else 0

    def forget_local_file(self, fax_id: str, *, expired: bool = False) -> None:
        """The local copy is gone: by the retention rule (`expired`) or to be fetched again."""
        with self._lock:
            self._db.execute(
                "UPDATE fax SET local_path = '', file_state = ? WHERE id = ?",
                (FILE_EXPIRED if expired else FILE_NONE, fax_id),
            )

    def pending_downloads(
        self, *, created_after: datetime | None = None, max_attempts: int = 5, limit: int = 200
    ) -> list[Fax]:
        """Received faxes whose stored PDF is not on this computer yet, newest first."""
        sql = (
            "SELECT r.record FROM fax f JOIN fax_record r ON r.id = f.id"
            " WHERE f.direction = 'INBOUND' AND f.status = 'COMPLETED'"
            " AND f.has_file = 1 AND f.file_state = 0 AND f.file_attempts < ?"
        )
        params: list[Any] = [max_attempts]
        if created_after is not None:
            sql += " AND f.create_time >= ?"
            params.append(utc_text(created_after))
        sql += " ORDER BY f.create_time DESC LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_from_record(record) for (record,) in rows]

    def stored_files(
        self, direction: Direction, created_before: datetime
    ) -> list[tuple[str, Path]]:
        """(id, path) of the local PDFs of `direction` faxes created before a time."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, local_path FROM fax WHERE direction = ? AND file_state = ?"
                " AND create_time < ? AND create_time != ''",
                (str(direction), FILE_STORED, utc_text(created_before)),
            ).fetchall()
        return [(fax_id, Path(path)) for fax_id, path in rows if path]

    # -- once-only actions ---------------------------------------------------------------------

    def mark_done(self, fax_id: str, action: str) -> bool:
        """Record that `action` was done for the fax; False if it already was."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO fax_done (fax_id, action, time) VALUES (?, ?, ?)",
                (fax_id, action, utc_text(self._now())),
            )
        return cursor.rowcount == 1

    def is_done(self, fax_id: str, action: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM fax_done WHERE fax_id = ? AND action = ?", (fax_id, action)
            ).fetchone()
        return row is not None

    def pending_announcements(self, limit: int = 100) -> list[Fax]:
        """Received faxes that arrived since the archive started and were not announced.

        A fax waits while its PDF is still to be fetched, so the announcement can print it,
        but not once fetching it has failed (for whatever reason).
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT r.record FROM fax f JOIN fax_record r ON r.id = f.id"
                " WHERE f.direction = 'INBOUND' AND f.status = 'COMPLETED' AND f.create_time >= ?"
                " AND (f.file_state != 0 OR f.has_file = 0 OR f.file_attempts > 0"
                " OR f.file_problem != '')"
                " AND NOT EXISTS (SELECT 1 FROM fax_done d WHERE d.fax_id = f.id"
                " AND d.action = ?) ORDER BY create_time LIMIT ?",
                (self._new_since, ANNOUNCED, limit),
            ).fetchall()
        return [_from_record(record) for (record,) in rows]

    def stored_news_without(self, action: str, limit: int = 100) -> list[tuple[Fax, Path]]:
        """Received faxes that arrived since the archive started, whose PDF is stored here,
        and for which `action` is not done yet; oldest first, with the PDF's path."""
        with self._lock:
            rows = self._db.execute(
                "SELECT r.record, f.local_path FROM fax f JOIN fax_record r ON r.id = f.id"
                " WHERE f.direction = 'INBOUND' AND f.create_time >= ? AND f.file_state = ?"
                " AND NOT EXISTS (SELECT 1 FROM fax_done d WHERE d.fax_id = f.id"
                " AND d.action = ?) ORDER BY f.create_time LIMIT ?",
                (self._new_since, FILE_STORED, action, limit),
            ).fetchall()
        return [(_from_record(record), Path(path)) for record, path in rows]

    # -- sync cursors and webhook deliveries ---------------------------------------------------

    def cursor(self, name: str) -> str | None:
        with self._lock:
            return self._read_cursor(name)

    def _read_cursor(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM sync_cursor WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_cursor(self, name: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO sync_cursor (name, value) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def record_event(self, key: str) -> bool:
        """Remember a webhook delivery by `key`; False if it was already stored."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO webhook_event (key, time) VALUES (?, ?)",
                (key, utc_text(self._now())),
            )
        return cursor.rowcount == 1

    def forget_event(self, key: str) -> None:
        """Forget a delivery whose storing failed, so the service's next attempt is taken."""
        with self._lock:
            self._db.execute("DELETE FROM webhook_event WHERE key = ?", (key,))

    def sent_numbers(self) -> set[str]:
        """Every number a fax was sent to (E.164), to tell a number never faxed before."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT to_number FROM fax "
                "WHERE direction = 'OUTBOUND' AND to_number != ''"
            ).fetchall()
        return {number for (number,) in rows}

    # -- contact names -------------------------------------------------------------------------

    def set_contact_names(self, names: Mapping[str, str]) -> None:
        """Replace the names the list shows for numbers (E.164 number -> contact name)."""
        rows = [(number, name, name.casefold()) for number, name in names.items() if name]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute("DELETE FROM contact_name")
                self._db.executemany(
                    "INSERT OR REPLACE INTO contact_name (number, name, name_key) VALUES (?, ?, ?)",
                    rows,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise


def _statements(script: str) -> list[str]:
    # executescript() would commit the migration's open transaction before it runs.
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _parsed(rows: Iterable[tuple[str]]) -> Iterator[tuple[Fax, str]]:
    for (record,) in rows:
        yield _from_record(record), record
