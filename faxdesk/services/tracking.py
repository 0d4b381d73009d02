"""Follows faxes that are still queued or being sent until they reach a final status.

Without a webhook the service tells nobody when a fax finishes, so the tracker asks for each
unfinished fax on an interval and reports every change through a callback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from faxdesk.core.errors import FaxDeskError
from faxdesk.core.models import Fax
from faxdesk.services.faxes import FaxService

log = logging.getLogger(__name__)


class StatusTracker:
    def __init__(
        self,
        faxes: FaxService,
        on_update: Callable[[Fax], None],
        *,
        interval: float = 1.0,
    ) -> None:
        self._faxes = faxes
        self._on_update = on_update
        self._interval = interval
        self._watched: dict[str, Fax] = {}
        self._wake = asyncio.Event()

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self._watched)

    def watch(self, fax: Fax) -> None:
        if fax.status.is_final:
            self._watched.pop(fax.id, None)
            return
        self._watched[fax.id] = fax
        self._wake.set()

    async def run(self) -> None:
        """Poll until cancelled; sleeps without requests while nothing is unfinished."""
        while True:
            if not self._watched:
                self._wake.clear()
                await self._wake.wait()
            await asyncio.sleep(self._interval)
            await self.poll_once()

    async def poll_once(self) -> None:
        for fax_id, known in list(self._watched.items()):
            try:
                fresh = await self._faxes.refresh(fax_id)
            except FaxDeskError as exc:
                # Offline or a transient error: keep watching, the next round tries again.
                log.info("Could not refresh fax %s: %s", fax_id, exc)
                continue
            if fresh.status.is_final:
                self._watched.pop(fax_id, None)
            else:
                self._watched[fax_id] = fresh
            if fresh != known:
                self._on_update(fresh)
