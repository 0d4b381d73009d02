"""The phonebook for the GUI: contacts saved, found by number, imported and exported.

Wraps the `ContactBook` store so every SQLite and file call runs off the event loop, turns typed
numbers into E.164 (in the default region) before they are stored, and reads contacts from CSV
files (as spreadsheets and mail programs export them) and vCard files (through `vobject`), and
writes them to CSV. Rows that cannot be imported are reported, one reason each, never silently
dropped. No Qt here.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import vobject

from faxdesk.core.contacts import Contact
from faxdesk.core.errors import FaxDeskError, ValidationError
from faxdesk.core.phone import fax_number
from faxdesk.store.contacts import ContactBook

#: The columns of an exported file, and the ones an import looks for first.
CSV_COLUMNS = ("Name", "Company", "Fax", "Notes")

#: Header words an import understands, lower case; the first column matching wins.
_NAME_HEADERS = ("name", "full name", "display name", "contact", "contact name")
_FIRST_HEADERS = ("first name", "given name")
_LAST_HEADERS = ("last name", "family name", "surname")
_COMPANY_HEADERS = ("company", "organization", "organisation", "organization 1 - name", "office")
_NOTES_HEADERS = ("notes", "note", "comments")

#: Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ContactImportError(FaxDeskError):
    """A file that cannot be read as contacts at all (its rows are never half imported)."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: contacts added, how many were already saved, and rows left out.

    Attributes:
        added: the new contacts, with their ids.
        already_saved: rows whose name and number were in the phonebook already.
        problems: one plain sentence per row that was left out, naming the row.
    """

    added: tuple[Contact, ...]
    already_saved: int
    problems: tuple[str, ...]

    def summary(self) -> str:
        parts = [f"{len(self.added)} contact{'s' if len(self.added) != 1 else ''} imported"]
        if self.already_saved:
            parts.append(f"{self.already_saved} already saved")
        if self.problems:
            parts.append(f"{len(self.problems)} left out")
        return ", ".join(parts) + "."


class ContactsService:
    """The phonebook, for code on the event loop.

    Attributes:
        default_region: the region numbers without a country code are read in.
    """

    def __init__(self, book: ContactBook, *, default_region: str = "US") -> None:
        self._book = book
        self.default_region = default_region

    async def all(self) -> list[Contact]:
        return await asyncio.to_thread(self._book.all)

    async def with_number(self, fax: str) -> list[Contact]:
        return await asyncio.to_thread(self._book.with_number, fax)

    async def save(self, contact: Contact) -> Contact:
        """Save `contact`, its number as typed; raises ValidationError for a bad number or a
        contact with neither name nor company."""
        checked = self.checked(contact)
        return await asyncio.to_thread(self._book.save, checked)

    async def delete(self, contact_id: int) -> None:
        await asyncio.to_thread(self._book.delete, contact_id)

    def checked(self, contact: Contact) -> Contact:
        """`contact` with its number in E.164, or ValidationError saying what is wrong."""
        if not contact.name.strip() and not contact.company.strip():
            raise ValidationError("Give the contact a name or a company.", field="name")
        return replace(
            contact,
            name=contact.name.strip(),
            company=contact.company.strip(),
            fax=fax_number(contact.fax, self.default_region).e164,
        )

    async def import_file(self, path: Path) -> ImportResult:
        """Import the contacts of a CSV or vCard file (told by its suffix, else its content)."""
        return await asyncio.to_thread(self._import_file, path)

    async def export_csv(self, path: Path, contacts: Sequence[Contact] | None = None) -> int:
        """Write `contacts` (default: all) to the CSV file `path` atomically; returns how many."""
        chosen = list(contacts) if contacts is not None else await self.all()
        await asyncio.to_thread(_write_atomically, path, contacts_to_csv(chosen))
        return len(chosen)

    def _import_file(self, path: Path) -> ImportResult:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ContactImportError(
                f"{path.name} could not be read ({exc.strerror or exc})."
            ) from exc
        text = _decode(data)
        is_vcard = path.suffix.lower() in (".vcf", ".vcard") or text.lstrip().upper().startswith(
            "BEGIN:VCARD"
        )
        rows = vcard_rows(text, path.name) if is_vcard else csv_rows(text, path.name)
        contacts: list[Contact] = []
        problems: list[str] = []
        for where, contact in rows:
            if isinstance(contact, str):
                problems.append(f"{where}: {contact}")
                continue
            try:
                contacts.append(self.checked(contact))
            except ValidationError as exc:
                problems.append(f"{where}: {exc}")
        unique = list({(c.name.casefold(), c.fax): c for c in contacts}.values())
        added = self._book.add_many(unique)
        return ImportResult(
            added=tuple(added),
            already_saved=len(contacts) - len(added),
            problems=tuple(problems),
        )


def contacts_to_csv(contacts: Iterable[Contact]) -> str:
    """The contacts as CSV text with the `CSV_COLUMNS` header.

    Text that a spreadsheet would run as a formula is prefixed with an apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for contact in contacts:
        name, company, notes = (
            _safe_cell(text) for text in (contact.name, contact.company, contact.notes)
        )
        writer.writerow([name, company, contact.fax, notes])
    return buffer.getvalue()


def csv_rows(text: str, name: str) -> list[tuple[str, Contact | str]]:
    """(where, Contact or the reason it is left out) for each data row of a CSV text."""
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if header is None:
        raise ContactImportError(f"{name} is empty.")
    columns = [cell.strip().lower() for cell in header]

    def find(options: Sequence[str]) -> int | None:
        for option in options:
            if option in columns:
                return columns.index(option)
        return None

    fax_column = next((i for i, title in enumerate(columns) if "fax" in title), None)
    if fax_column is None:
        raise ContactImportError(
            f"{name} has no fax number column: its first row must name the columns, "
            "one of them Fax (for example Name, Company, Fax, Notes)."
        )
    name_column = find(_NAME_HEADERS)
    first_column, last_column = find(_FIRST_HEADERS), find(_LAST_HEADERS)
    company_column, notes_column = find(_COMPANY_HEADERS), find(_NOTES_HEADERS)

    def cell(row: list[str], column: int | None) -> str:
        if column is None or column >= len(row):
            return ""
        value = row[column].strip()
        # An exported formula guard, put back as it was.
        return value[1:] if value.startswith("'") and value[1:2] in _FORMULA_STARTS else value

    rows: list[tuple[str, Contact | str]] = []
    for line, row in enumerate(reader, start=2):
        if not any(value.strip() for value in row):
            continue
        person = cell(row, name_column) or " ".join(
            part for part in (cell(row, first_column), cell(row, last_column)) if part
        )
        fax = cell(row, fax_column)
        where = f"Row {line}" + (f" ({person})" if person else "")
        if not fax:
            rows.append((where, "it has no fax number."))
            continue
        contact = Contact(
            name=person, company=cell(row, company_column), fax=fax, notes=cell(row, notes_column)
        )
        rows.append((where, contact))
    return rows


def vcard_rows(text: str, name: str) -> list[tuple[str, Contact | str]]:
    """(where, Contact or the reason it is left out) for each fax number of each vCard."""
    rows: list[tuple[str, Contact | str]] = []
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as exc:  # vobject raises its own ParseError and plain exceptions
        raise ContactImportError(f"{name} is not a readable vCard file ({exc}).") from exc
    for number, card in enumerate(cards, start=1):
        if card.name.upper() != "VCARD":
            continue
        person = _vcard_name(card)
        where = f"Card {number}" + (f" ({person})" if person else "")
        company = _vcard_company(card)
        notes = "\n".join(str(line.value).strip() for line in card.contents.get("note", []))
        faxes = [
            value
            for line in card.contents.get("tel", [])
            if _is_fax(line) and (value := _tel_value(line))
        ]
        if not faxes:
            rows.append((where, "it has no fax number (a TEL of type FAX)."))
            continue
        for fax in faxes:
            rows.append((where, Contact(name=person, company=company, fax=fax, notes=notes)))
    return rows


def _vcard_name(card: Any) -> str:
    if "fn" in card.contents:
        return str(card.fn.value).strip()
    if "n" in card.contents:
        parts = card.n.value
        return " ".join(p for p in (parts.prefix, parts.given, parts.family) if p).strip()
    return ""


def _vcard_company(card: Any) -> str:
    if "org" not in card.contents:
        return ""
    value = card.org.value
    parts = value if isinstance(value, list) else [value]
    return ", ".join(str(part).strip() for part in parts if str(part).strip())


def _tel_value(line: Any) -> str:
    # vCard 4 may write the number as a tel: URI (RFC 3966), "tel:+49-30-1234567".
    value = str(line.value).strip()
    return value[4:] if value.lower().startswith("tel:") else value


def _is_fax(line: Any) -> bool:
    """Whether a TEL line is a fax number: TYPE=FAX (vCard 3/4) or a bare FAX (vCard 2.1)."""
    types: list[str] = []
    for key, values in line.params.items():
        if key.upper() == "TYPE":
            for value in values:
                types.extend(part.strip().upper() for part in str(value).split(","))
        else:
            types.append(key.upper())
    singletons = getattr(line, "singletonparams", [])
    types.extend(str(value).upper() for value in singletons)
    return "FAX" in types


def _decode(data: bytes) -> str:
    # Spreadsheets write UTF-8 with a byte order mark, older ones Latin-1 (Windows-1252).
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _write_atomically(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=".faxdesk-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
