"""The outbox journal: every fax the user asked to send, written down before anything goes out.

One SQLite file per account, apart from the archive, in WAL mode. A change that decides whether
a fax goes out (a new entry, an attempt about to start, a cancel) is durable: on disk before the
call returns, even across a power cut (`synchronous=FULL`), because the journal is what keeps a
fax from being sent twice or never. Other changes may be written `durable=False` (synced with
the next durable one): a power cut then only loses news the outbox can work out again. The
schema is versioned (`PRAGMA user_version`) and migrated forward on open; a file from a newer
FaxDesk is refused rather than damaged. State changes are conditional (`transition` names the
states it may start from), so a cancel and the sender racing for the same entry cannot both
win. Methods are synchronous and short and safe to call from worker threads, one at a time;
code on the event loop calls them through `asyncio.to_thread`. The journal stores what it is
told; it never talks to the service and never copies documents (the outbox service does).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faxdesk.core.errors import FaxDeskError
from faxdesk.core.models import (
    Document,
    FaxStatus,
    ImageConversionMethod,
    Resolution,
    SendRequest,
)
from faxdesk.core.outbox import UNFINISHED_STATES, OutboxEntry, OutboxState, StateChange

_MIGRATIONS = (
    """
    CREATE TABLE entry (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        batch_id TEXT NOT NULL,
        submission TEXT NOT NULL UNIQUE,
        recipient TEXT NOT NULL,
        request TEXT NOT NULL,
        document_set TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        hold_until TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        first_attempt_at TEXT,
        fax_id TEXT NOT NULL DEFAULT '',
        fax_status TEXT,
        number_of_pages INTEGER NOT NULL DEFAULT 0,
        pages_sent INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        resend_of INTEGER REFERENCES entry (id),
        resent_as INTEGER REFERENCES entry (id),
        revision INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX entry_state ON entry (state);
    CREATE INDEX entry_batch ON entry (batch_id);
    CREATE INDEX entry_fax ON entry (fax_id);
    CREATE INDEX entry_document_set ON entry (document_set);
    """,
    # 2: every state an entry went through, and when. Entries from before it get their state
    # at the time as their one known step.
    """
    CREATE TABLE entry_history (
        entry_id INTEGER NOT NULL REFERENCES entry (id),
        state TEXT NOT NULL,
        at TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX entry_history_entry ON entry_history (entry_id);
    INSERT INTO entry_history (entry_id, state, at, detail)
        SELECT id, state, updated_at, last_error FROM entry;
    """,
)

#: The schema version this FaxDesk writes.
SCHEMA_VERSION = len(_MIGRATIONS)

#: Columns `transition` may change, besides the state (and updated_at/revision, always).
_CHANGEABLE = frozenset(
    {
        "hold_until",
        "attempts",
        "first_attempt_at",
        "fax_id",
        "fax_status",
        "number_of_pages",
        "pages_sent",
        "last_error",
        "resent_as",
    }
)


class OutboxStoreError(FaxDeskError):
    """The journal file cannot be used: written by a newer FaxDesk, damaged, or it could not be
    read or written just now (a full disk, say)."""


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to write: everything but what the journal assigns (id, times, revision)."""

    batch_id: str
    submission: str
    to: str
    request: SendRequest
    document_set: str
    state: OutboxState = OutboxState.QUEUED
    hold_until: datetime | None = None
    resend_of: int | None = None


class OutboxStore:
    """The journal of outbox entries, oldest first. Safe to call from threads, one at a time."""

    def __init__(self, path: Path | str) -> None:
        self._path = path
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise OutboxStoreError(f"The outbox file {path} cannot be opened ({exc}).") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # Durable at every commit: the journal must not forget that a send was started.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate(path)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            # Never set aside or replaced automatically: it may hold faxes not yet sent.
            raise OutboxStoreError(
                f"The outbox file {path} is damaged ({exc}). FaxDesk left it as it is; move it "
                "elsewhere to start with an empty outbox (faxes waiting in it are then not sent)."
            ) from exc
        except BaseException:
            self._db.close()
            raise

    def _migrate(self, path: Path | str) -> None:
        with self._lock:
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise OutboxStoreError(
                    f"The outbox file {path} was written by a newer FaxDesk (version {version}); "
                    "update FaxDesk to send the faxes waiting in it."
                )
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rollback(self) -> None:
        # SQLite has rolled back already after some errors (a full disk): a second ROLLBACK
        # would fail and hide the error that matters.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the lock; a failure of the database (disk full, file gone) in words."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise OutboxStoreError(
                    f"The outbox file {self._path} could not be read or written ({exc})."
                ) from exc

    # --- writing ---------------------------------------------------------------------------

    def add(self, entries: Sequence[NewEntry], now: datetime) -> list[OutboxEntry]:
        """Write `entries` in one transaction (all or none) and return them as stored."""
        stamp = _time(now)
        with self._locked():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                ids = []
                for new in entries:
                    cursor = self._db.execute(
                        "INSERT INTO entry (batch_id, submission, recipient, request, "
                        "document_set, state, created_at, updated_at, hold_until, resend_of) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            new.batch_id,
                            new.submission,
                            new.to,
                            request_to_json(new.request),
                            new.document_set,
                            str(new.state),
                            stamp,
                            stamp,
                            _time(new.hold_until),
                            new.resend_of,
                        ),
                    )
                    ids.append(cursor.lastrowid)
                    self._db.execute(
                        "INSERT INTO entry_history (entry_id, state, at) VALUES (?, ?, ?)",
                        (cursor.lastrowid, str(new.state), stamp),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            return [self._get(entry_id) for entry_id in ids if entry_id is not None]

    def transition(
        self,
        entry_id: int,
        from_states: Collection[OutboxState],
        to: OutboxState,
        now: datetime,
        *,
        durable: bool = True,
        **changes: Any,
    ) -> OutboxEntry | None:
        """Move the entry to `to` (and set `changes`) if it is in one of `from_states`.

        Returns the entry as stored afterwards, or None when it was in another state (someone
        else moved it first) or does not exist. With `durable=False` the change survives a
        crash of FaxDesk but not necessarily of the computer.
        """
        unknown = set(changes) - _CHANGEABLE
        if unknown:
            raise ValueError(f"Outbox entries have no changeable field {sorted(unknown)}.")
        columns = ["state = ?", "updated_at = ?", "revision = revision + 1"]
        values: list[Any] = [str(to), _time(now)]
        for name, value in changes.items():
            columns.append(f"{name} = ?")
            values.append(_column_value(value))
        states = [str(state) for state in from_states]
        marks = ", ".join("?" for _ in states)
        update = f"UPDATE entry SET {', '.join(columns)} WHERE id = ? AND state IN ({marks})"
        detail = str(changes.get("last_error", ""))
        with self._locked():
            if not durable:
                self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                changed = self._update(
                    update, [*values, entry_id, *states], entry_id, to, now, detail
                )
            finally:
                if not durable:
                    self._db.execute("PRAGMA synchronous=FULL")
            return self._get(entry_id) if changed else None

    def _update(
        self,
        update: str,
        params: Sequence[Any],
        entry_id: int,
        to: OutboxState,
        now: datetime,
        detail: str,
    ) -> bool:
        """Run `update` and note a change of state in the history, in one transaction."""
        # Called with the lock held.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            before = self._db.execute(
                "SELECT state FROM entry WHERE id = ?", (entry_id,)
            ).fetchone()
            changed = self._db.execute(update, params).rowcount > 0
            if changed and before[0] != to:
                self._db.execute(
                    "INSERT INTO entry_history (entry_id, state, at, detail) VALUES (?, ?, ?, ?)",
                    (entry_id, str(to), _time(now), detail),
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return changed

    def resend(
        self, original_id: int, new: NewEntry, now: datetime
    ) -> tuple[OutboxEntry, OutboxEntry] | None:
        """Write `new` as the resend of a FAILED entry and mark the original, atomically.

        Returns (original, new), or None when the original is not FAILED or was resent already.
        """
        stamp = _time(now)
        with self._locked():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT state, resent_as FROM entry WHERE id = ?", (original_id,)
                ).fetchone()
                if row is None or row[0] != OutboxState.FAILED or row[1] is not None:
                    self._rollback()
                    return None
                cursor = self._db.execute(
                    "INSERT INTO entry (batch_id, submission, recipient, request, "
                    "document_set, state, created_at, updated_at, hold_until, resend_of) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                    (
                        new.batch_id,
                        new.submission,
                        new.to,
                        request_to_json(new.request),
                        new.document_set,
                        str(new.state),
                        stamp,
                        stamp,
                        original_id,
                    ),
                )
                new_id = cursor.lastrowid
                self._db.execute(
                    "INSERT INTO entry_history (entry_id, state, at) VALUES (?, ?, ?)",
                    (new_id, str(new.state), stamp),
                )
                self._db.execute(
                    "UPDATE entry SET resent_as = ?, updated_at = ?, revision = revision + 1 "
                    "WHERE id = ?",
                    (new_id, stamp, original_id),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
            assert new_id is not None
            return self._get(original_id), self._get(new_id)

    # --- reading ---------------------------------------------------------------------------

    def get(self, entry_id: int) -> OutboxEntry | None:
        with self._locked():
            row = self._db.execute(f"{_SELECT} WHERE id = ?", (entry_id,)).fetchone()
        return _from_row(row) if row else None

    def history(self, entry_id: int) -> list[StateChange]:
        """Every state the entry went through, oldest first."""
        with self._locked():
            rows = self._db.execute(
                "SELECT state, at, detail FROM entry_history WHERE entry_id = ? ORDER BY rowid",
                (entry_id,),
            ).fetchall()
        return [
            StateChange(OutboxState(state), _parse_time(at) or _EPOCH, detail)
            for state, at, detail in rows
        ]

    def unfinished(self) -> list[OutboxEntry]:
        """Every entry that is not delivered, failed or cancelled, oldest first."""
        return self._where(
            f"state IN ({', '.join('?' for _ in UNFINISHED_STATES)}) ORDER BY id",
            [str(state) for state in UNFINISHED_STATES],
        )

    def recent(self, limit: int = 500) -> list[OutboxEntry]:
        """The newest `limit` entries in any state, newest first."""
        return self._where("1 ORDER BY id DESC LIMIT ?", [limit])

    def in_states(self, states: Iterable[OutboxState]) -> list[OutboxEntry]:
        wanted = [str(state) for state in states]
        return self._where(f"state IN ({', '.join('?' for _ in wanted)}) ORDER BY id", wanted)

    def batch(self, batch_id: str) -> list[OutboxEntry]:
        return self._where("batch_id = ? ORDER BY id", [batch_id])

    def by_fax_id(self, fax_id: str) -> OutboxEntry | None:
        found = self._where("fax_id = ? ORDER BY id LIMIT 1", [fax_id]) if fax_id else []
        return found[0] if found else None

    def document_set(self, entry_id: int) -> str:
        with self._locked():
            row = self._db.execute(
                "SELECT document_set FROM entry WHERE id = ?", (entry_id,)
            ).fetchone()
        return str(row[0]) if row else ""

    def document_set_in_use(self, document_set: str) -> bool:
        """Whether an entry may still need the documents: unfinished, or failed and not resent."""
        marks = ", ".join("?" for _ in UNFINISHED_STATES)
        with self._locked():
            row = self._db.execute(
                f"SELECT 1 FROM entry WHERE document_set = ? AND (state IN ({marks}) "
                "OR (state = ? AND resent_as IS NULL)) LIMIT 1",
                [document_set, *(str(s) for s in UNFINISHED_STATES), str(OutboxState.FAILED)],
            ).fetchone()
        return row is not None

    def document_sets(self) -> set[str]:
        """Every document set an entry names."""
        with self._locked():
            rows = self._db.execute("SELECT DISTINCT document_set FROM entry").fetchall()
        return {str(name) for (name,) in rows}

    def _where(self, condition: str, params: Sequence[Any]) -> list[OutboxEntry]:
        with self._locked():
            rows = self._db.execute(f"{_SELECT} WHERE {condition}", params).fetchall()
        return [_from_row(row) for row in rows]

    def _get(self, entry_id: int) -> OutboxEntry:
        # Called with the lock held.
        row = self._db.execute(f"{_SELECT} WHERE id = ?", (entry_id,)).fetchone()
        return _from_row(row)


_FIELDS = (
    "id",
    "batch_id",
    "submission",
    "recipient",
    "request",
    "state",
    "created_at",
    "updated_at",
    "hold_until",
    "attempts",
    "first_attempt_at",
    "fax_id",
    "fax_status",
    "number_of_pages",
    "pages_sent",
    "last_error",
    "resend_of",
    "resent_as",
    "revision",
)
_SELECT = f"SELECT {', '.join(_FIELDS)} FROM entry"


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _from_row(row: Sequence[Any]) -> OutboxEntry:
    data = dict(zip(_FIELDS, row, strict=True))
    return OutboxEntry(
        id=data["id"],
        batch_id=data["batch_id"],
        submission=data["submission"],
        to=data["recipient"],
        request=request_from_json(data["request"]),
        state=OutboxState(data["state"]),
        created_at=_parse_time(data["created_at"]) or _EPOCH,
        updated_at=_parse_time(data["updated_at"]) or _EPOCH,
        hold_until=_parse_time(data["hold_until"]),
        attempts=data["attempts"],
        first_attempt_at=_parse_time(data["first_attempt_at"]),
        fax_id=data["fax_id"],
        fax_status=FaxStatus(data["fax_status"]) if data["fax_status"] else None,
        number_of_pages=data["number_of_pages"],
        pages_sent=data["pages_sent"],
        last_error=data["last_error"],
        resend_of=data["resend_of"],
        resent_as=data["resent_as"],
        revision=data["revision"],
    )


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _column_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _time(value)
    if isinstance(value, FaxStatus | OutboxState):
        return str(value)
    return value


# --- the request as JSON -----------------------------------------------------------------------


def request_to_json(request: SendRequest) -> str:
    """`request` as the JSON the journal keeps; `request_from_json` reads it back equal."""
    data: dict[str, Any] = {
        "to": list(request.to),
        "documents": [
            {"path": str(document.path), "media_type": document.media_type}
            for document in request.documents
        ],
        "content_urls": list(request.content_urls),
        "from": request.from_,
        "header_text": request.header_text,
        "header_page_numbers": request.header_page_numbers,
        "header_time_zone": request.header_time_zone,
        "retry_delay_seconds": request.retry_delay_seconds,
        "max_retries": request.max_retries,
        "resolution": str(request.resolution) if request.resolution else None,
        "image_conversion_method": (
            str(request.image_conversion_method) if request.image_conversion_method else None
        ),
        "labels": dict(request.labels),
        "callback_url": request.callback_url,
        "service_id": request.service_id,
        "callback_url_content_type": request.callback_url_content_type,
        "cover_page_id": request.cover_page_id,
        "cover_page_data": dict(request.cover_page_data),
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def request_from_json(text: str) -> SendRequest:
    data: dict[str, Any] = json.loads(text)
    resolution = data.get("resolution")
    method = data.get("image_conversion_method")
    return SendRequest(
        to=tuple(data.get("to", ())),
        documents=tuple(
            Document(path=Path(item["path"]), media_type=item["media_type"])
            for item in data.get("documents", ())
        ),
        content_urls=tuple(data.get("content_urls", ())),
        from_=data.get("from"),
        header_text=data.get("header_text"),
        header_page_numbers=data.get("header_page_numbers"),
        header_time_zone=data.get("header_time_zone"),
        retry_delay_seconds=data.get("retry_delay_seconds"),
        max_retries=data.get("max_retries"),
        resolution=Resolution(resolution) if resolution else None,
        image_conversion_method=ImageConversionMethod(method) if method else None,
        labels=_strings(data.get("labels")),
        callback_url=data.get("callback_url"),
        service_id=data.get("service_id"),
        callback_url_content_type=data.get("callback_url_content_type"),
        cover_page_id=data.get("cover_page_id"),
        cover_page_data=_strings(data.get("cover_page_data")),
    )


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}
