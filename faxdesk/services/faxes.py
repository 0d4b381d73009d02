"""Sending, listing and fetching faxes for the GUI: the service API plus the local archive.

Everything the service says is written to the archive, so the next start shows the last known
state at once and offline. Fax documents are downloaded once and read from disk afterwards:
received faxes through the sync's `InboundStore` (named by the user's pattern, in the receiving
folder), others into the documents folder; the archive records where each one is. No Qt here:
the controller in `faxdesk.ui` calls these coroutines.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from faxdesk.core.models import Direction, Fax, FaxPage, FaxQuery, SendRequest
from faxdesk.core.ports import FaxApi
from faxdesk.services.sync import InboundStore
from faxdesk.store.archive import Archive


class FaxService:
    """The service's faxes through the archive.

    Attributes:
        archive: the local archive (the list reads it directly).
        api: the fax service's client.
    """

    def __init__(
        self,
        api: FaxApi,
        archive: Archive,
        documents_dir: Path,
        *,
        inbound: InboundStore | None = None,
    ) -> None:
        self._api = api
        self._archive = archive
        self._documents_dir = documents_dir
        self._inbound = inbound

    @property
    def archive(self) -> Archive:
        return self._archive

    @property
    def api(self) -> FaxApi:
        return self._api

    async def send(self, request: SendRequest) -> list[Fax]:
        faxes = await self._api.send(request)
        await asyncio.to_thread(self._archive.upsert, faxes)
        return faxes

    async def sent_numbers(self) -> set[str]:
        """Every number a fax in the archive was sent to."""
        return await asyncio.to_thread(self._archive.sent_numbers)

    async def set_contact_names(self, names: Mapping[str, str]) -> None:
        """Let the list show these contact names for their numbers (E.164 -> name)."""
        await asyncio.to_thread(self._archive.set_contact_names, names)

    async def remember(self, faxes: Sequence[Fax]) -> None:
        """Write what the service said about `faxes` (heard elsewhere) to the archive."""
        await asyncio.to_thread(self._archive.upsert, faxes)

    async def load_page(self, query: FaxQuery, page: int = 1) -> FaxPage:
        result = await self._api.list_faxes(query, page)
        await asyncio.to_thread(self._archive.upsert, result.faxes)
        return result

    async def cached(self, direction: Direction | None = None, limit: int = 500) -> list[Fax]:
        return await asyncio.to_thread(self._archive.recent, limit, direction)

    async def refresh(self, fax_id: str) -> Fax:
        fax = await self._api.get_fax(fax_id)
        await asyncio.to_thread(self._archive.upsert, [fax])
        return fax

    def document_path(self, fax: Fax) -> Path:
        return self._documents_dir / f"{fax.id}.pdf"

    async def document(self, fax: Fax) -> Path:
        """The fax's PDF on disk, downloaded on first use."""
        # One trip to a thread, not two: this runs each time a fax is selected.
        known = await asyncio.to_thread(self.stored_file, fax.id)
        if known is not None:
            return known
        if fax.direction == Direction.INBOUND and self._inbound is not None:
            return await self._inbound.fetch_waiting(fax)
        path = self.document_path(fax)
        if not await asyncio.to_thread(path.exists):
            await asyncio.to_thread(self._documents_dir.mkdir, parents=True, exist_ok=True)
            await self._api.download(fax.id, path)
        await asyncio.to_thread(self._archive.set_local_file, fax.id, path)
        return path

    def stored_file(self, fax_id: str) -> Path | None:
        """The fax's PDF if it is on this computer already, else None. It reads the archive
        and the disk: call it off the event loop."""
        known = self._archive.local_file(fax_id)
        return known if known is not None and known.is_file() else None

    async def delete_content(self, fax: Fax) -> Fax:
        """Delete the fax's document on the service; the record stays, and says so.

        The copy on this computer is kept. Returns the fax as the service now describes it.
        """
        await self._api.delete_content(fax.id)
        await asyncio.to_thread(self._archive.set_content_deleted, fax.id)
        return await self.refresh(fax.id)

    async def save_as(self, fax: Fax, destination: Path) -> Path:
        """Copy the fax's PDF to `destination`; a half-written copy never appears there."""
        source = await self.document(fax)
        await asyncio.to_thread(_copy_atomically, source, destination)
        return destination

    async def check_connection(self) -> None:
        """Raise the mapped error when the service cannot be reached or refuses the account."""
        await self._api.ping()


def _copy_atomically(source: Path, destination: Path) -> None:
    fd, temp = tempfile.mkstemp(prefix=".faxdesk-", suffix=".part", dir=destination.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, temp)
        os.replace(temp, destination)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
