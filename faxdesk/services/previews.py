"""Renders fax pages for the preview in worker processes, off the event loop.

PyMuPDF is not thread-safe and rendering is CPU-bound, so pages are rendered in a small process
pool. Workers are started with "spawn" so they never inherit the GUI's Qt state.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from faxdesk.documents import pages
from faxdesk.documents.pages import RenderedPage


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end the worker when FaxDesk is gone.

    A pool worker holds both ends of its task queue, so it never sees end-of-file when the
    GUI is killed and would wait forever; a watchdog thread notices the new parent instead.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class PageRenderer:
    def __init__(self, workers: int = 1) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )

    async def warm_up(self) -> None:
        """Start a worker now, so the first preview does not wait for a process to boot."""
        await asyncio.get_running_loop().run_in_executor(self._pool, int)

    async def page_count(self, path: Path) -> int:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, pages.count_pages_in_file, path)

    async def render(self, path: Path, index: int, width: int) -> RenderedPage:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, pages.render_page, path, index, width)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
