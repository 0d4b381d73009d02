"""The sandbox's durable state in SQLite (in memory unless a path is given).

A fax row keeps the Fax object exactly as the API serves it (JSON) plus copies of the columns the
list endpoint filters on, and a private `plan` (JSON) the simulator needs but clients never see.
Files are blobs in their own table. Services and cover pages are stored the same way (JSON plus
the columns queries need; a cover page's PDF as a blob), and OAuth2 tokens only as SHA-256
digests with their expiry. This module answers queries and applies changes; it does not decide
what a fax's next status is (`simulator`), what a valid service is (`service_wire`) nor how
requests look on the wire (`wire`).

Schema 2 added the services, cover page and token tables; opening a schema 1 file adds them.

The calls are made straight from the async handlers on the event-loop thread: each is one short
statement on a local database, far cheaper than a hop to a worker thread, and one thread touching
the connection keeps SQLite's locking out of the picture.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2

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
CREATE TABLE IF NOT EXISTS services (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    service TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS services_by_project ON services (project_id, created_at, id);
CREATE TABLE IF NOT EXISTS cover_pages (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    created_time TEXT NOT NULL,
    cover_page TEXT NOT NULL,
    pdf BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS cover_pages_by_service ON cover_pages (service_id, created_time, id);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);
"""

_UNFINISHED = ("QUEUED", "IN_PROGRESS")


@dataclass(frozen=True, slots=True)
class FaxFilter:
    """List filters; None means "no filter".

    Times are `wire.format_time` strings: `created_from` is inclusive, `created_before`
    exclusive. Prefixes match the start of the E.164 number, "+" included. Countries are
    upper-case ISO codes; `labels` are (key, value) pairs the fax must all have.
    """

    direction: str | None = None
    status: str | None = None
    to_prefix: str | None = None
    from_prefix: str | None = None
    service_id: str | None = None
    from_country: str | None = None
    to_country: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
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
        try:
            self._migrate(db_path)
        except BaseException:
            self._db.close()
            raise

    def _migrate(self, db_path: Path | None) -> None:
        # Every table is created "IF NOT EXISTS", so the script brings any older schema up to
        # date; a change to an existing table would need its own step here.
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

    def update_plan(self, fax_id: str, changes: Mapping[str, Any]) -> None:
        """Apply `changes` to the fax's private plan."""
        with self._db:
            plan = self.get_plan(fax_id)
            plan.update(changes)
            self._db.execute("UPDATE faxes SET plan = ? WHERE id = ?", (json.dumps(plan), fax_id))

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
        condition, params = _fax_condition(project_id, where)
        total = self._db.execute(
            f"SELECT count(*) FROM faxes WHERE {condition}", params
        ).fetchone()[0]
        rows = self._db.execute(
            f"SELECT fax FROM faxes WHERE {condition} ORDER BY create_time DESC, id DESC"
            " LIMIT ? OFFSET ?",
            [*params, page_size, (page - 1) * page_size],
        ).fetchall()
        return [json.loads(row["fax"]) for row in rows], int(total)

    def all_faxes(self, project_id: str, where: FaxFilter) -> list[dict[str, Any]]:
        """Every fax matching `where`, newest first (for exports, which are not paged)."""
        condition, params = _fax_condition(project_id, where)
        rows = self._db.execute(
            f"SELECT fax FROM faxes WHERE {condition} ORDER BY create_time DESC, id DESC", params
        ).fetchall()
        return [json.loads(row["fax"]) for row in rows]

    # -- services ---------------------------------------------------------------------------

    def add_service(self, service: Mapping[str, Any]) -> None:
        """Store a new Service object; if it says `defaultForProject`, it becomes the default."""
        with self._db:
            self._db.execute(
                "INSERT INTO services (id, project_id, created_at, service) VALUES (?, ?, ?, ?)",
                (
                    service["id"],
                    service["projectId"],
                    service["createdAt"],
                    json.dumps(_without_default_flag(service)),
                ),
            )
            if service.get("defaultForProject"):
                self._make_default(service["projectId"], service["id"], service["createdAt"])

    def add_default_service(self, service: Mapping[str, Any]) -> dict[str, Any]:
        """Store `service` as its project's default and return the project's default service.

        Several sandboxes may share one database (a window and a `faxdesk ... --sandbox`
        command); when another one created the default first, that one is returned.
        """
        with contextlib.suppress(sqlite3.IntegrityError):
            self.add_service(service)
        default = self.default_service(service["projectId"])
        if default is None:
            raise KeyError(f"no default service for project {service['projectId']}")
        return default

    def get_service(self, service_id: str, project_id: str) -> dict[str, Any] | None:
        """The stored Service object (webhook credentials unmasked), or None."""
        row = self._db.execute(
            "SELECT is_default, service FROM services WHERE id = ? AND project_id = ?",
            (service_id, project_id),
        ).fetchone()
        return None if row is None else _service_from_row(row)

    def default_service(self, project_id: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT is_default, service FROM services WHERE project_id = ? AND is_default = 1",
            (project_id,),
        ).fetchone()
        return None if row is None else _service_from_row(row)

    def has_service(self, service_id: str) -> bool:
        """Whether any project has a service with this id."""
        row = self._db.execute("SELECT 1 FROM services WHERE id = ?", (service_id,)).fetchone()
        return row is not None

    def list_services(
        self, project_id: str, *, page: int, page_size: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page (1-based) of the project's services, oldest first, and the total count."""
        total = self._db.execute(
            "SELECT count(*) FROM services WHERE project_id = ?", (project_id,)
        ).fetchone()[0]
        rows = self._db.execute(
            "SELECT is_default, service FROM services WHERE project_id = ?"
            " ORDER BY created_at, id LIMIT ? OFFSET ?",
            (project_id, page_size, (page - 1) * page_size),
        ).fetchall()
        return [_service_from_row(row) for row in rows], int(total)

    def replace_service(self, service: Mapping[str, Any]) -> None:
        """Store the new version of an existing service (same id and project).

        `defaultForProject` true makes it the project's default, taking the flag (and a new
        `updatedAt`) from the previous default; false is ignored here, a project always keeps
        a default (the caller refuses to unset it).
        """
        with self._db:
            self._db.execute(
                "UPDATE services SET service = ? WHERE id = ?",
                (json.dumps(_without_default_flag(service)), service["id"]),
            )
            if service.get("defaultForProject"):
                self._make_default(service["projectId"], service["id"], service["updatedAt"])

    def delete_service(self, service_id: str) -> None:
        """Forget a service and its cover pages; faxes sent with it keep its id."""
        with self._db:
            self._db.execute("DELETE FROM services WHERE id = ?", (service_id,))

    def _make_default(self, project_id: str, service_id: str, now: str) -> None:
        # Inside the caller's transaction.
        previous = self._db.execute(
            "SELECT id, service FROM services WHERE project_id = ? AND is_default = 1 AND id != ?",
            (project_id, service_id),
        ).fetchall()
        for row in previous:
            # The former default changes too (it no longer is one), so it was updated now.
            stored = json.loads(row["service"])
            stored["updatedAt"] = now
            self._db.execute(
                "UPDATE services SET is_default = 0, service = ? WHERE id = ?",
                (json.dumps(stored), row["id"]),
            )
        self._db.execute("UPDATE services SET is_default = 1 WHERE id = ?", (service_id,))

    # -- cover pages ------------------------------------------------------------------------

    def add_cover_page(self, cover_page: Mapping[str, Any], pdf: bytes) -> None:
        """Store a CoverPage object (without its file content) and its PDF."""
        with self._db:
            self._db.execute(
                "INSERT INTO cover_pages (id, service_id, created_time, cover_page, pdf)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    cover_page["id"],
                    cover_page["serviceId"],
                    cover_page["createdTime"],
                    json.dumps(cover_page),
                    pdf,
                ),
            )

    def get_cover_page(
        self, service_id: str, cover_page_id: str
    ) -> tuple[dict[str, Any], bytes] | None:
        """The CoverPage object (without file content) and its PDF, or None."""
        row = self._db.execute(
            "SELECT cover_page, pdf FROM cover_pages WHERE id = ? AND service_id = ?",
            (cover_page_id, service_id),
        ).fetchone()
        if row is None:
            return None
        cover_page: dict[str, Any] = json.loads(row["cover_page"])
        return cover_page, bytes(row["pdf"])

    def list_cover_pages(
        self, service_id: str, *, page: int, page_size: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page (1-based) of a service's cover pages, oldest first, and the total count."""
        total = self._db.execute(
            "SELECT count(*) FROM cover_pages WHERE service_id = ?", (service_id,)
        ).fetchone()[0]
        rows = self._db.execute(
            "SELECT cover_page FROM cover_pages WHERE service_id = ?"
            " ORDER BY created_time, id LIMIT ? OFFSET ?",
            (service_id, page_size, (page - 1) * page_size),
        ).fetchall()
        return [json.loads(row["cover_page"]) for row in rows], int(total)

    def delete_cover_page(self, service_id: str, cover_page_id: str) -> None:
        with self._db:
            self._db.execute(
                "DELETE FROM cover_pages WHERE id = ? AND service_id = ?",
                (cover_page_id, service_id),
            )

    # -- OAuth2 tokens ----------------------------------------------------------------------

    def add_token(self, digest: str, expires_at: str) -> None:
        """Remember a token by its digest until `expires_at` (a `wire.format_time` string)."""
        with self._db:
            self._db.execute(
                "INSERT INTO tokens (digest, expires_at) VALUES (?, ?)", (digest, expires_at)
            )

    def token_expiry(self, digest: str) -> str | None:
        """When the token with this digest expires (or expired), or None if it is unknown."""
        row = self._db.execute(
            "SELECT expires_at FROM tokens WHERE digest = ?", (digest,)
        ).fetchone()
        return None if row is None else str(row["expires_at"])

    def forget_tokens(self, expired_before: str) -> None:
        """Drop tokens that expired before `expired_before`."""
        with self._db:
            self._db.execute("DELETE FROM tokens WHERE expires_at < ?", (expired_before,))


def _without_default_flag(service: Mapping[str, Any]) -> dict[str, Any]:
    # The `is_default` column is the one record of which service is the default.
    return {key: value for key, value in service.items() if key != "defaultForProject"}


def _service_from_row(row: sqlite3.Row) -> dict[str, Any]:
    service: dict[str, Any] = json.loads(row["service"])
    service["defaultForProject"] = bool(row["is_default"])
    return service


def _fax_condition(project_id: str, where: FaxFilter) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) selecting the project's faxes matching `where`."""
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
    for path, country in (("$.fromCountry", where.from_country), ("$.toCountry", where.to_country)):
        if country is not None:
            clauses.append("json_extract(fax, ?) = ?")
            params.extend((path, country))
    for key, value in where.labels:
        # json_each, not a JSON path: a label's key may hold any character.
        clauses.append(
            "EXISTS (SELECT 1 FROM json_each(faxes.fax, '$.labels') AS label"
            " WHERE label.key = ? AND label.value = ?)"
        )
        params.extend((key, value))
    if where.created_from is not None:
        clauses.append("create_time >= ?")
        params.append(where.created_from)
    if where.created_before is not None:
        clauses.append("create_time < ?")
        params.append(where.created_before)
    return " AND ".join(clauses), params
