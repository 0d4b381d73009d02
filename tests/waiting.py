"""Waiting for widget state from a coroutine on the qasync loop, without nesting event loops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

#: Seconds any one step may take before the test fails.
STEP_LIMIT = 20.0


async def until(predicate: Callable[[], object], limit: float = STEP_LIMIT) -> None:
    """Let the loop run until `predicate()` is true; fail after `limit` seconds."""
    async with asyncio.timeout(limit):
        # Widget state has nothing to await, so it is polled while the loop runs.
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
