"""Protocols the services depend on; concrete classes are injected by the composition root.

Also the small callable types those protocols take, such as `TransferProgress`. Nothing here
does any work: it only names what the services may ask of the layers below.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol, TypeAlias

from faxdesk.core.models import CoverPage, Fax, FaxPage, FaxQuery, SendRequest, Service

#: Told how far a transfer has come: `(bytes done, total bytes or None when unknown)`.
#: Called on the event loop, often (about every 64 KiB), so it must return quickly. When a
#: transfer starts over (a retried download, a send repeated after a token renewal) the count
#: goes back to 0.
TransferProgress: TypeAlias = Callable[[int, int | None], None]

#: How a send with documents travels: multipart parts, or base64 inside a JSON body.
SendEncoding: TypeAlias = Literal["multipart", "json"]


class FaxApi(Protocol):
    """What the services need from a Sinch Fax API client."""

    async def send(
        self,
        request: SendRequest,
        *,
        encoding: SendEncoding = "multipart",
        progress: TransferProgress | None = None,
    ) -> list[Fax]: ...

    async def list_faxes(self, query: FaxQuery, page: int = 1) -> FaxPage: ...

    async def get_fax(self, fax_id: str) -> Fax: ...

    async def download(
        self, fax_id: str, destination: Path, *, progress: TransferProgress | None = None
    ) -> Path: ...

    async def delete_content(self, fax_id: str) -> None:
        """Delete the fax's stored document on the service; the fax record stays."""

    async def export_csv(
        self, query: FaxQuery, destination: Path, *, progress: TransferProgress | None = None
    ) -> Path: ...

    async def list_services(self) -> list[Service]: ...

    async def get_service(self, service_id: str) -> Service: ...

    async def list_cover_pages(self, service_id: str) -> list[CoverPage]: ...

    async def get_cover_page(self, service_id: str, cover_page_id: str) -> CoverPage: ...

    async def ping(self) -> None:
        """Raise the mapped error when the service is unreachable or refuses the account."""
