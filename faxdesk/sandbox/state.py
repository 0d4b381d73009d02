"""The sandbox's durable state: faxes and their files in SQLite (in memory unless a path is given).

A fax row keeps the Fax object exactly as the API serves it (JSON) plus copies of the columns the
list endpoint filters on, and a private `plan` (JSON) the simulator needs but clients never see.
Files are blobs in their own table. This module answers queries and applies changes; it does not
decide what a fax's next status is (`simulator`) nor how requests look on the wire (`wire`).

The calls are made straight from the async handlers on the event-loop thread: each is one short
statement on a local database, far cheaper than a hop to a worker thread, and one thread touching
the connection keeps SQLite's locking out of the picture.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS faxes (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    status TEXT NOT NULL,
    to_number TEXT NOT NULL,
    from_number TEXT NOT NULL,
    create_time TEXT NOT NULL,
    fax TEXT NOT NULL,
    plan TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS faxes_by_time ON faxes (project_id, create_time DESC, id DESC);
CREATE INDEX IF NOT EXISTS faxes_by_status ON faxes (status);
CREATE TABLE IF NOT EXISTS fax_files (
    fax_id TEXT PRIMARY KEY REFERENCES faxes (id) ON DELETE CASCADE,
    pdf BLOB NOT NULL
);
"""

_UNFINISHED = ("QUEUED", "IN_PROGRESS")


@dataclass(frozen=True, slots=True)
class FaxFilter:
    """List filters; None means "no filter".

    Times are `wire.format_time` strings: `created_from` is inclusive, `created_before`
    exclusive. Prefixes match the start of the E.164 number, "+" included.
    """

    direction: str | None = None
    status: str | None = None
    to_prefix: str | None = None
    from_prefix: str | None = None
    service_id: str | None = None
    created_from: str | None = None
    created_before: str | None = None


class SandboxState:
    """Faxes and files of every project the sandbox serves."""

    def __init__(self, db_path: Path | None = None) -> None:
        # check_same_thread is off because the app may be built on one thread and served on
        # another (tests, the runner); all use still happens on one thread at a time.
        self._db = sqlite3.connect(
            ":memory:" if db_path is None else str(db_path), check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        with self._db:
            self._db.execute("PRAGMA foreign_keys = ON")
            if db_path is not None:
                self._db.execute("PRAGMA journal_mode = WAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{db_path} was written by a newer sandbox (schema {version}).")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def add_fax(
        self, fax: Mapping[str, Any], *, plan: Mapping[str, Any], pdf: bytes | None
    ) -> None:
        """Store a new fax (a Fax object as served), its private plan and its file, if any."""
        with self._db:
            self._db.execute(
                "INSERT INTO faxes (id, project_id, service_id, direction, status, to_number,"
                " from_number, create_time, fax, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fax["id"],
                    fax["projectId"],
                    fax["serviceId"],
                    fax["direction"],
                    fax["status"],
                    fax["to"],
                    fax["from"],
                    fax["createTime"],
                    json.dumps(fax),
                    json.dumps(plan),
                ),
            )
            if pdf is not None:
                self._db.execute(
                    "INSERT INTO fax_files (fax_id, pdf) VALUES (?, ?)", (fax["id"], pdf)
                )

    def get_fax(self, fax_id: str, project_id: str | None = None) -> dict[str, Any] | None:
        """The Fax object, or None if there is none with that id (in that project)."""
        row = self._db.execute(
            "SELECT project_id, fax FROM faxes WHERE id = ?", (fax_id,)
        ).fetchone()
        if row is None or (project_id is not None and row["project_id"] != project_id):
            return None
        fax: dict[str, Any] = json.loads(row["fax"])
        return fax

    def get_plan(self, fax_id: str) -> dict[str, Any]:
        row = self._db.execute("SELECT plan FROM faxes WHERE id = ?", (fax_id,)).fetchone()
        if row is None:
            raise KeyError(fax_id)
        plan: dict[str, Any] = json.loads(row["plan"])
        return plan

    def update_fax(
        self, fax_id: str, changes: Mapping[str, Any], *, drop: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Apply `changes` to the stored Fax object (removing the `drop` keys); return it."""
        with self._db:
            row = self._db.execute("SELECT fax FROM faxes WHERE id = ?", (fax_id,)).fetchone()
            if row is None:
                raise KeyError(fax_id)
            fax: dict[str, Any] = json.loads(row["fax"])
            fax.update(changes)
            for key in drop:
                fax.pop(key, None)
            self._db.execute(
                "UPDATE faxes SET status = ?, fax = ? WHERE id = ?",
                (fax["status"], json.dumps(fax), fax_id),
            )
        return fax

    def has_file(self, fax_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM fax_files WHERE fax_id = ?", (fax_id,)).fetchone()
        return row is not None

    def get_file(self, fax_id: str) -> bytes | None:
        row = self._db.execute("SELECT pdf FROM fax_files WHERE fax_id = ?", (fax_id,)).fetchone()
        return None if row is None else bytes(row["pdf"])

    def delete_file(self, fax_id: str) -> None:
        """Forget the fax's content; the record stays, with `hasFile` false."""
        with self._db:
            self._db.execute("DELETE FROM fax_files WHERE fax_id = ?", (fax_id,))
        self.update_fax(fax_id, {"hasFile": False})

    def unfinished(self) -> list[str]:
        """Ids of faxes still QUEUED or IN_PROGRESS, oldest first (to resume after a restart)."""
        rows = self._db.execute(
            "SELECT id FROM faxes WHERE status IN (?, ?) ORDER BY create_time, id", _UNFINISHED
        ).fetchall()
        return [row["id"] for row in rows]

    def list_faxes(
        self, project_id: str, where: FaxFilter, *, page: int, page_size: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page (1-based) of faxes matching `where`, newest first, and the total count."""
        clauses = ["project_id = ?"]
        params: list[Any] = [project_id]
        for column, value in (
            ("direction", where.direction),
            ("status", where.status),
            ("service_id", where.service_id),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        for column, prefix in (("to_number", where.to_prefix), ("from_number", where.from_prefix)):
            if prefix:
                # substr() instead of LIKE: nothing in a number needs LIKE's escaping rules.
                clauses.append(f"substr({column}, 1, ?) = ?")
                params.extend((len(prefix), prefix))
        if where.created_from is not None:
            clauses.append("create_time >= ?")
            params.append(where.created_from)
        if where.created_before is not None:
            clauses.append("create_time < ?")
            params.append(where.created_before)
        condition = " AND ".join(clauses)
        total = self._db.execute(
            f"SELECT count(*) FROM faxes WHERE {condition}", params
        ).fetchone()[0]
        rows = self._db.execute(
            f"SELECT fax FROM faxes WHERE {condition} ORDER BY create_time DESC, id DESC"
            " LIMIT ? OFFSET ?",
            [*params, page_size, (page - 1) * page_size],
        ).fetchall()
        return [json.loads(row["fax"]) for row in rows], int(total)
