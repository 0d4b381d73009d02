"""Rows for the fax list, made by a real archive: the list shows what the archive hands it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from faxdesk.core.models import Fax, ListFilter, SortColumn
from faxdesk.store.archive import Archive, ArchivedFax

#: Faxes created at or after this are news (unread when received).
ARCHIVE_START = datetime(2024, 1, 1, tzinfo=UTC)


class Rows:
    """An archive in a temporary folder that turns faxes into list rows, in its own order."""

    def __init__(self, folder: Path) -> None:
        self.archive = Archive(folder / "rows.sqlite3", now=lambda: ARCHIVE_START)

    def close(self) -> None:
        self.archive.close()

    def store(self, faxes: Iterable[Fax]) -> None:
        self.archive.upsert(list(faxes))

    def of(
        self,
        faxes: Sequence[Fax] = (),
        *,
        sort: SortColumn = SortColumn.TIME,
        descending: bool = True,
        query: ListFilter | None = None,
    ) -> list[ArchivedFax]:
        """Store `faxes` and return the archive's rows of them (every row if none given)."""
        if faxes:
            self.store(faxes)
        wanted = query or ListFilter(sort=sort, descending=descending)
        rows = self.archive.query(wanted, limit=10_000)
        if faxes:
            ids = {fax.id for fax in faxes}
            rows = [row for row in rows if row.fax.id in ids]
        return rows

    def one(self, fax: Fax, *, sort: SortColumn = SortColumn.TIME) -> ArchivedFax:
        self.store([fax])
        [row] = self.archive.matching(ListFilter(sort=sort), [fax.id])
        return row
