"""Protocols the services depend on; concrete classes are injected by the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from faxdesk.core.models import Fax, FaxPage, FaxQuery, SendRequest


class FaxApi(Protocol):
    """What the services need from a Sinch Fax API client."""

    async def send(self, request: SendRequest) -> list[Fax]: ...

    async def list_faxes(self, query: FaxQuery, page: int = 1) -> FaxPage: ...

    async def get_fax(self, fax_id: str) -> Fax: ...

    async def download(self, fax_id: str, destination: Path) -> Path: ...

    async def ping(self) -> None:
        """Raise the mapped error when the service is unreachable or refuses the account."""
