"""The local fax archive: every fax FaxDesk has seen, so the list shows at once and offline.

A single SQLite file in WAL mode. Methods are synchronous and short; code on the event loop
calls them through `asyncio.to_thread`, so the connection is shared across threads behind a
lock. The archive stores what the service said; it never talks to the service itself.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from faxdesk.core.models import (
    Direction,
    ErrorType,
    Fax,
    FaxStatus,
    ImageConversionMethod,
    Money,
    Resolution,
)

_MIGRATIONS = (
    """
    CREATE TABLE fax (
        id TEXT PRIMARY KEY,
        direction TEXT NOT NULL,
        status TEXT NOT NULL,
        create_time TEXT,
        record TEXT NOT NULL
    );
    CREATE INDEX fax_create_time ON fax (create_time DESC);
    """,
)

_ENUMS: dict[str, type[Any]] = {
    "direction": Direction,
    "status": FaxStatus,
    "error_type": ErrorType,
    "resolution": Resolution,
    "image_conversion_method": ImageConversionMethod,
}
_TIMES = ("create_time", "completed_time")


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


class Archive:
    """Faxes by id, newest first. Safe to call from worker threads, one call at a time."""

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

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError:
            self._db.close()
            raise

    def _migrate(self) -> None:
        with self._lock:
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def upsert(self, faxes: Iterable[Fax]) -> None:
        rows = [
            (
                fax.id,
                str(fax.direction),
                str(fax.status),
                fax.create_time.isoformat() if fax.create_time else None,
                _to_record(fax),
            )
            for fax in faxes
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO fax (id, direction, status, create_time, record) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "direction=excluded.direction, status=excluded.status, "
                "create_time=excluded.create_time, record=excluded.record",
                rows,
            )
            self._db.execute("COMMIT")

    def recent(self, limit: int = 500, direction: Direction | None = None) -> list[Fax]:
        sql = "SELECT record FROM fax"
        params: list[object] = []
        if direction is not None:
            sql += " WHERE direction = ?"
            params.append(str(direction))
        sql += " ORDER BY create_time DESC LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [_from_record(record) for (record,) in rows]

    def get(self, fax_id: str) -> Fax | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM fax WHERE id = ?", (fax_id,)).fetchone()
        return _from_record(row[0]) if row else None
