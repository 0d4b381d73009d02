"""Renders fax pages for the preview in worker processes, off the event loop.

PyMuPDF is not thread-safe and rendering is CPU-bound, so pages are rendered in a small process
pool. Workers are started with "spawn" so they never inherit the GUI's Qt state. Each call opens
the document afresh in the worker (MuPDF reads the cross-reference table lazily: well under a
millisecond even for 500 pages), so no open document is held between calls and a worker's memory
stays flat however many pages are previewed. Cancelling an awaited call drops the work when the
worker has not started it yet, which keeps fast scrolling from queueing pages nobody looks at.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from faxdesk.documents import fax_previews, faxmode, pages
from faxdesk.documents.faxmode import FaxMode, FaxPage
from faxdesk.documents.pages import DocumentInfo, PreviewStart, RenderedPage


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


class PreviewJob:
    """The start of a preview (see `PageRenderer.start_preview`), begun before it is awaited.

    `result()` is the file found and its `PreviewStart`, or None when no file was found;
    `cancel()` drops the render if the worker has not begun it.
    """

    def __init__(self, located: Future[tuple[Path, Future[PreviewStart]] | None]) -> None:
        self._located = located

    async def result(self) -> tuple[Path, PreviewStart] | None:
        """Wait for the file and its first page; raises DocumentError for an unreadable file."""
        found = await asyncio.wrap_future(self._located)
        if found is None:
            return None
        path, render = found
        try:
            return path, await asyncio.wrap_future(render)
        except asyncio.CancelledError:
            render.cancel()
            raise

    def cancel(self) -> None:
        self._located.cancel()
        # Now if the file was found already, else as soon as it is.
        self._located.add_done_callback(_cancel_render)


def _cancel_render(located: Future[tuple[Path, Future[PreviewStart]] | None]) -> None:
    if located.cancelled() or located.exception() is not None:
        return
    found = located.result()
    if found is not None:
        found[1].cancel()


class PageRenderer:
    """Opens and renders fax documents in worker processes; every method raises DocumentError
    for a document it cannot read."""

    def __init__(self, workers: int = 1) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        # Finds the file a preview is of (a database read, say) off the event loop, and hands
        # it to a worker from there, without waiting for the event loop in between.
        self._locator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview-locate")

    async def warm_up(self) -> None:
        """Start a worker now, so the first preview does not wait for a process to boot."""
        await asyncio.get_running_loop().run_in_executor(self._pool, int)

    async def page_count(self, path: Path) -> int:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, pages.count_pages_in_file, path)

    async def preview_start(self, path: Path, width: int | None = None) -> PreviewStart:
        """The page count and first page of `path`, rendered `width` wide when given."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, pages.preview_start, path, width)

    def start_preview(self, locate: Callable[[], Path | None], width: int | None) -> PreviewJob:
        """Begin a preview now, without waiting for the event loop: call `locate` on a thread
        for the file to show (None when there is none), and give that file to a worker for its
        `preview_start` at once. Call it from the event loop's thread."""

        def locate_and_submit() -> tuple[Path, Future[PreviewStart]] | None:
            path = locate()
            if path is None:
                return None
            return path, self._pool.submit(pages.preview_start, path, width)

        return PreviewJob(self._locator.submit(locate_and_submit))

    async def document_info(self, path: Path) -> DocumentInfo:
        """The page sizes of the PDF at `path`; raises DocumentError."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, pages.document_info, path)

    async def render(self, path: Path, index: int, width: int, rotation: int = 0) -> RenderedPage:
        """Page `index` of `path`, turned clockwise by `rotation` degrees, `width` pixels wide."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, pages.render_page, path, index, width, rotation
        )

    async def fax_preview(
        self, path: Path, index: int, width: int, mode: FaxMode, *, turned: bool = False
    ) -> RenderedPage:
        """Page `index` of `path` as faxed in `mode`, scaled to `width` pixels in the worker
        (see `fax_previews.render_fax_preview`); raises DocumentError or ValidationError."""
        loop = asyncio.get_running_loop()
        render = functools.partial(
            fax_previews.render_fax_preview, path, index, width, mode, turned=turned
        )
        return await loop.run_in_executor(self._pool, render)

    async def fax_page(self, path: Path, index: int, mode: FaxMode) -> FaxPage:
        """Page `index` of the fax PDF at `path` as the receiving machine prints it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, faxmode.render_fax_page, path, index, mode)

    async def coded_fax_page(self, path: Path, index: int, mode: FaxMode) -> tuple[FaxPage, int]:
        """`fax_page`, with the bytes the page takes on the line (see `TransmissionEstimate`)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, faxmode.render_coded_fax_page, path, index, mode
        )

    async def save_pdf(self, paths: Sequence[Path], destination: Path) -> None:
        """Write the PDFs at `paths`, joined, to `destination` (see `pages.save_pdf`)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, pages.save_pdf, list(paths), destination)

    def shutdown(self) -> None:
        self._locator.shutdown(wait=True, cancel_futures=True)
        self._pool.shutdown(wait=True, cancel_futures=True)
