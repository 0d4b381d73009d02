"""Glue between Qt slots and asyncio tasks on the qasync loop.

Slots stay synchronous and thin: they hand a coroutine to `TaskKeeper.start`, which keeps a
strong reference to the task (asyncio only keeps weak ones), replaces an older task started
under the same key (a newer selection supersedes an older preview), reports failures, and
cancels everything on shutdown. Dialogs are awaited through `dialog_result`, never `exec()`,
so no nested event loop ever runs inside a coroutine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtWidgets import QDialog

log = logging.getLogger(__name__)

T = TypeVar("T")


class TaskKeeper:
    """Owns the background tasks of the window.

    Attributes:
        on_error: called with every exception a task ends with, except cancellation.
    """

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self.on_error = on_error
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keyed: dict[str, asyncio.Task[Any]] = {}
        self._closed = False

    def __len__(self) -> int:
        return len(self._tasks)

    def start(
        self, coro: Coroutine[Any, Any, T], *, key: str | None = None
    ) -> asyncio.Task[T] | None:
        """Run `coro` as a task; under `key`, an older task with the same key is cancelled.

        Returns None, and never runs `coro`, once the keeper is closed.
        """
        if self._closed:
            coro.close()
            return None
        if key is not None:
            previous = self._keyed.pop(key, None)
            if previous is not None:
                previous.cancel()
        task = asyncio.get_event_loop().create_task(coro)
        self._tasks.add(task)
        if key is not None:
            self._keyed[key] = task
        task.add_done_callback(lambda done: self._finished(done, key))
        return task

    def cancel(self, key: str) -> None:
        """Cancel the task started under `key`, if one is running."""
        task = self._keyed.pop(key, None)
        if task is not None:
            task.cancel()

    def _finished(self, task: asyncio.Task[Any], key: str | None) -> None:
        self._tasks.discard(task)
        if key is not None and self._keyed.get(key) is task:
            del self._keyed[key]
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self.on_error(error)

    async def close(self) -> None:
        """Cancel every task and start no more: whatever they would update is going away."""
        self._closed = True
        await self.cancel_all()

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def dialog_result(dialog: QDialog) -> int:
    """Show `dialog` window-modally with `open()` and wait for its result without nesting."""
    future: asyncio.Future[int] = asyncio.get_event_loop().create_future()

    def finished(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(finished)
    # QDialog.open, called through the base class: QPrintDialog and QFileDialog overload
    # open(receiver, member), which hides the plain form in PySide6.
    QDialog.open(dialog)
    try:
        return await future
    finally:
        dialog.finished.disconnect(finished)
