"""The phonebook: contacts (name, company, fax number, notes) in their own SQLite file.

One file for every account, apart from the archive and the outbox, in WAL mode, its schema
versioned with `PRAGMA user_version` and migrated forward on open. A name and number pair is
stored once, so importing the same file twice adds nothing. Methods are synchronous and short
and safe to call from worker threads, one at a time; code on the event loop calls them through
`asyncio.to_thread`. The store keeps what it is given: numbers arrive in E.164, already checked,
and reading CSV or vCard files is the contacts service's work.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from faxdesk.core.contacts import Contact
from faxdesk.core.errors import FaxDeskError

_MIGRATIONS = (
    """
    CREATE TABLE contact (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        company TEXT NOT NULL DEFAULT '',
        fax TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX contact_name_fax ON contact (name COLLATE NOCASE, fax);
    CREATE INDEX contact_fax ON contact (fax);
    """,
)

_COLUMNS = "id, name, company, fax, notes"


class ContactsFileError(FaxDeskError):
    """The phonebook file cannot be used (written by a newer FaxDesk, or damaged)."""


def _contact(row: tuple[int, str, str, str, str]) -> Contact:
    contact_id, name, company, fax, notes = row
    return Contact(id=contact_id, name=name, company=company, fax=fax, notes=notes)


class ContactBook:
    """Contacts by id, listed by name. Safe to call from worker threads, one call at a time."""

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate(str(path))
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ContactsFileError(f"The phonebook {path} cannot be opened: {exc}.") from exc
        except BaseException:
            self._db.close()
            raise

    def _migrate(self, path: str) -> None:
        with self._lock:
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version > len(_MIGRATIONS):
                raise ContactsFileError(
                    f"The phonebook {path} was written by a newer FaxDesk; update FaxDesk to "
                    "use it."
                )
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                self._db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def all(self) -> list[Contact]:
        """Every contact, by name (case-insensitively), then company."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM contact "
                "ORDER BY name COLLATE NOCASE, company COLLATE NOCASE, id"
            ).fetchall()
        return [_contact(row) for row in rows]

    def get(self, contact_id: int) -> Contact | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM contact WHERE id = ?", (contact_id,)
            ).fetchone()
        return _contact(row) if row else None

    def with_number(self, fax: str) -> list[Contact]:
        """The contacts saved with the E.164 number `fax`."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM contact WHERE fax = ? ORDER BY name COLLATE NOCASE, id",
                (fax,),
            ).fetchall()
        return [_contact(row) for row in rows]

    def save(self, contact: Contact) -> Contact:
        """Add `contact` (id 0) or change the saved one with its id; returns it as saved.

        Raises ContactsFileError when another contact already has this name and number.
        """
        values = (contact.name.strip(), contact.company.strip(), contact.fax, contact.notes)
        with self._lock:
            try:
                if contact.id:
                    cursor = self._db.execute(
                        "UPDATE contact SET name = ?, company = ?, fax = ?, notes = ? WHERE id = ?",
                        (*values, contact.id),
                    )
                    if cursor.rowcount == 0:
                        raise ContactsFileError(f"There is no contact {contact.id} to change.")
                    contact_id = contact.id
                else:
                    cursor = self._db.execute(
                        "INSERT INTO contact (name, company, fax, notes) VALUES (?, ?, ?, ?)",
                        values,
                    )
                    contact_id = int(cursor.lastrowid or 0)
            except sqlite3.IntegrityError:
                raise ContactsFileError(
                    f"{contact.name or 'A contact'} is already saved with this number."
                ) from None
        saved = self.get(contact_id)
        assert saved is not None
        return saved

    def add_many(self, contacts: Iterable[Contact]) -> list[Contact]:
        """Add every contact whose name and number are not saved yet, in one transaction.

        Returns the contacts added, with their ids; the others were already there.
        """
        added: list[int] = []
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for contact in contacts:
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO contact (name, company, fax, notes) "
                        "VALUES (?, ?, ?, ?)",
                        (contact.name.strip(), contact.company.strip(), contact.fax, contact.notes),
                    )
                    if cursor.rowcount:
                        added.append(int(cursor.lastrowid or 0))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        found = (self.get(contact_id) for contact_id in added)
        return [contact for contact in found if contact is not None]

    def delete(self, contact_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM contact WHERE id = ?", (contact_id,))
