"""Feeds a PreviewPane with pages rendered in the worker processes, and prints and saves them.

A `PreviewFeed` turns the pane's requests into `PageRenderer` calls on the event loop and hands
the images back; a newer request list cancels the renders it no longer names, so scrolling
through a long fax never queues pages nobody will look at. A failed page says why on the page
itself. With a fax mode set (`set_fax_mode`) the pages are rendered as the recipient's machine
prints them instead. It also answers the pane's Print and Save as PDF, in the view shown. It
never opens a document in this process: PyMuPDF runs in the workers only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QObject
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPdfWriter, QTransform
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from faxdesk.core.errors import DocumentError, FaxDeskError
from faxdesk.documents.fax_previews import fax_page_size
from faxdesk.documents.faxmode import X_DPI, FaxMode
from faxdesk.documents.pages import DocumentInfo, PreviewStart
from faxdesk.services.previews import PageRenderer
from faxdesk.ui.preview import PageRequest, PageSize, PreviewPane
from faxdesk.ui.printing import PrintJob, choose_printer, to_qimage
from faxdesk.ui.tasks import TaskKeeper, dialog_result


@dataclass(frozen=True, slots=True)
class _Shown:
    """The document on the pane: its files, and where each of its pages comes from."""

    key: str
    paths: tuple[Path, ...]
    pages: tuple[tuple[Path, int], ...]
    sizes: tuple[PageSize, ...]
    name: str
    #: The caller's key for the document; `key` also names the view, so that a late image
    #: of the other view is dropped.
    document_key: str
    mode: FaxMode | None = None


class PreviewFeed(QObject):
    """Keeps one PreviewPane supplied with page images from a PageRenderer.

    Signals: none; outcomes of Print and Save as PDF are reported through `report`.

    Attributes:
        pane: the PreviewPane fed.
        report: called with a sentence for the user when printing or saving ends, and with
            `error=True` when it failed.
    """

    def __init__(
        self,
        pane: PreviewPane,
        renderer: PageRenderer,
        tasks: TaskKeeper,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.pane = pane
        self.report = _ignore_report
        self._renderer = renderer
        self._tasks = tasks
        self._shown: _Shown | None = None
        self._fax_mode: FaxMode | None = None
        self._renders: dict[PageRequest, asyncio.Task[None]] = {}
        self._sizes_task: asyncio.Task[None] | None = None
        self._connections = [
            (pane.pages_requested, self._on_pane_pages_requested),
            (pane.print_requested, self._on_pane_print_requested),
            (pane.save_requested, self._on_pane_save_requested),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)

    @property
    def fax_mode(self) -> FaxMode | None:
        return self._fax_mode

    def set_fax_mode(self, mode: FaxMode | None) -> None:
        """Render the pages as faxed in `mode` from now on, or as the document has them (None).

        The document shown is shown again in the new view, at the same page.
        """
        if mode == self._fax_mode:
            return
        self._fax_mode = mode
        shown = self._shown
        if shown is not None:
            self._tasks.start(self._show_again(shown), key=f"preview-view:{id(self)}")

    async def _show_again(self, shown: _Shown) -> None:
        page = self.pane.current_page
        try:
            await self.show(shown.document_key, shown.paths, shown.name)
        except DocumentError as exc:
            self.show_message(f"The pages cannot be shown: {exc}")
            return
        self.pane.go_to_page(page)

    async def show(self, key: str, paths: Sequence[Path], name: str = "") -> None:
        """Show the pages of `paths`, one after the other, as document `key`.

        The first page is rendered while the first document is opened, and shown before the
        sizes of the other pages are read. `name` is the file name offered by Save as PDF.
        Raises DocumentError, leaving the pane as it was, when a file cannot be read.
        """
        name = name or (paths[0].name if len(paths) == 1 else "fax.pdf")
        if self._fax_mode is not None:
            await self._show_as_faxed(key, paths, name, self._fax_mode)
            return
        first_request = self.pane.first_page_request()
        start = await self._renderer.preview_start(
            paths[0], first_request.width if first_request is not None else None
        )
        infos = [await self._renderer.document_info(path) for path in paths[1:]]
        self._show_started(key, paths, name, start, first_request, infos)

    def first_page_width(self) -> int | None:
        """The width to render the first page of the next document at, for `start_preview`;
        None when the first page cannot be rendered before the document is shown (in a fax
        mode, or when the zoom depends on the page's size)."""
        if self._fax_mode is not None:
            return None
        request = self.pane.first_page_request()
        return request.width if request is not None else None

    def show_started(
        self, key: str, path: Path, start: PreviewStart, width: int | None, name: str = ""
    ) -> bool:
        """Show the PDF at `path` as document `key` from its `start`, made by the worker with
        the first page `width` wide (`first_page_width()` when it began; see
        `PageRenderer.start_preview`). Returns False, showing nothing, when the pane wants
        another first page by now (in a fax mode, or at another width): `show()` it then."""
        first_request = self.pane.first_page_request()
        if (
            self._fax_mode is not None
            or first_request is None
            or start.first_page is None
            or first_request.width != width
        ):
            return False
        self._show_started(key, [path], name or path.name, start, first_request, [])
        return True

    def _show_started(
        self,
        key: str,
        paths: Sequence[Path],
        name: str,
        start: PreviewStart,
        first_request: PageRequest | None,
        infos: Sequence[DocumentInfo],
    ) -> None:
        pages = [(paths[0], index) for index in range(start.page_count)]
        # Until they are read, the other pages are taken to be the size of the first.
        sizes = [start.first_size] * start.page_count
        for path, info in zip(paths[1:], infos, strict=True):
            pages.extend((path, index) for index in range(info.page_count))
            sizes.extend(info.page_sizes)
        self._cancel_renders()
        shown = _Shown(key, tuple(paths), tuple(pages), tuple(sizes), name, key)
        self._shown = shown
        self.pane.max_render_dpi = PreviewPane.MAX_RENDER_DPI
        images = {}
        if first_request is not None and start.first_page is not None:
            images[first_request] = to_qimage(start.first_page)
        self.pane.show_document(key, sizes, images)
        if start.page_count > 1:
            self._sizes_task = self._tasks.start(self._read_sizes(shown, start.page_count))

    async def _show_as_faxed(
        self, key: str, paths: Sequence[Path], name: str, mode: FaxMode
    ) -> None:
        pages: list[tuple[Path, int]] = []
        for path in paths:
            count = (await self._renderer.preview_start(path)).page_count
            pages.extend((path, index) for index in range(count))
        # Every fax page is the fax line wide and the paper tall, whatever the document's.
        sizes = (fax_page_size(mode),) * len(pages)
        self._cancel_renders()
        shown = _Shown(f"{key} as faxed", tuple(paths), tuple(pages), sizes, name, key, mode)
        self._shown = shown
        # A fax page has no more detail than the fax line's 204 dots an inch to show.
        self.pane.max_render_dpi = X_DPI
        self.pane.show_document(shown.key, sizes)

    async def _read_sizes(self, shown: _Shown, count: int) -> None:
        """Replace the guessed sizes of the first document's pages by their real ones."""
        try:
            info = await self._renderer.document_info(shown.paths[0])
        except DocumentError:
            return  # the pages say so themselves when they cannot be rendered
        if self._shown is not shown or info.page_count != count:
            return
        sizes = info.page_sizes + shown.sizes[count:]
        self._shown = dataclasses.replace(shown, sizes=sizes)
        self.pane.set_page_sizes(shown.key, sizes)

    def show_message(self, text: str) -> None:
        """Forget the document and show `text` on the pane."""
        self._cancel_renders()
        self._shown = None
        self.pane.show_message(text)

    def stop(self) -> None:
        """Stop listening to the pane and cancel every render (the window is closing)."""
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        self._cancel_renders()

    # -- rendering ----------------------------------------------------------------------------

    def _on_pane_pages_requested(self, key: str, requests: list[PageRequest]) -> None:
        shown = self._shown
        if shown is None or key != shown.key:
            return
        wanted = set(requests)
        for request, running in list(self._renders.items()):
            if request not in wanted:
                running.cancel()
                del self._renders[request]
        for request in requests:
            if request not in self._renders and 0 <= request.index < len(shown.pages):
                task = self._tasks.start(self._render(shown, request))
                if task is not None:
                    self._renders[request] = task

    async def _render(self, shown: _Shown, request: PageRequest) -> None:
        try:
            image = await self._image(shown, request.index, request.width, request.rotation)
        except FaxDeskError as exc:  # a DocumentError, or a header time zone that is not one
            self.pane.set_page_error(shown.key, request.index, str(exc))
            return
        finally:
            if self._renders.get(request) is asyncio.current_task():
                del self._renders[request]
        self.pane.set_page_image(shown.key, request, image)

    async def _image(self, shown: _Shown, index: int, width: int, rotation: int) -> QImage:
        """Page `index` of what is shown, in its view, `width` wide once turned `rotation`."""
        path, local = shown.pages[index]
        if shown.mode is None:
            return to_qimage(await self._renderer.render(path, local, width, rotation))
        turned = rotation % 180 != 0
        page = await self._renderer.fax_preview(path, local, width, shown.mode, turned=turned)
        image = to_qimage(page)
        # Turned here, not in the worker: a preview-sized grey image turns in a millisecond.
        return image.transformed(QTransform().rotate(rotation)) if rotation else image

    def _cancel_renders(self) -> None:
        for task in self._renders.values():
            task.cancel()
        self._renders.clear()
        if self._sizes_task is not None:
            self._sizes_task.cancel()
            self._sizes_task = None

    # -- print and save -----------------------------------------------------------------------

    def _on_pane_print_requested(self, key: str) -> None:
        if self._shown is not None and self._shown.key == key:
            self._tasks.start(self._print(self._shown), key=f"print:{id(self)}")

    def _on_pane_save_requested(self, key: str) -> None:
        if self._shown is not None and self._shown.key == key:
            self._tasks.start(self._save(self._shown), key=f"save:{id(self)}")

    async def _print(self, shown: _Shown) -> None:
        printer = await choose_printer(self._dialog_parent(), shown.name)
        if printer is None:
            return
        sizes_task = self._sizes_task
        if sizes_task is not None and not sizes_task.done():
            await asyncio.wait([sizes_task])  # each page is printed at its own size
        if self._shown is not None and self._shown.key == shown.key:
            shown = self._shown
        job = PrintJob(printer)
        if not job.begin():
            self.report(
                "The printer could not be opened. Check that it is on, or when printing to a "
                "file, that the file name is one you may write.",
                error=True,
            )
            return

        async def render(index: int, width: int, rotation: int) -> QImage:
            return await self._image(shown, index, width, rotation)

        try:
            await job.add_pages(shown.sizes, render)
        except FaxDeskError as exc:
            self.report(f"Printing stopped: {exc}", error=True)
            return
        finally:
            job.end()
        self.report("Sent to the printer.")

    async def _save(self, shown: _Shown) -> None:
        dialog = QFileDialog(self._dialog_parent(), "Save as PDF")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("PDF documents (*.pdf)")
        dialog.setDefaultSuffix("pdf")
        dialog.selectFile(shown.name)
        try:
            if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
                return
            target = Path(dialog.selectedFiles()[0])
        finally:
            dialog.deleteLater()
        try:
            if shown.mode is None:
                await self._renderer.save_pdf(shown.paths, target)
            else:
                await self._save_as_faxed(shown, shown.mode, target)
        except FaxDeskError as exc:
            self.report(str(exc), error=True)
            return
        except OSError as exc:
            self.report(f"{target.name} could not be saved: {exc.strerror or exc}.", error=True)
            return
        self.report(f"Saved {target}.")

    async def _save_as_faxed(self, shown: _Shown, mode: FaxMode, target: Path) -> None:
        """Write the fax pages, as the far end prints them, into a PDF at `target`."""
        fd, name = await asyncio.to_thread(
            tempfile.mkstemp, prefix=".faxdesk-", suffix=".part", dir=target.parent
        )
        await asyncio.to_thread(os.close, fd)
        temp = Path(name)
        try:
            writer = QPdfWriter(str(temp))
            writer.setResolution(204)
            paper = QPageSize.PageSizeId.A4 if mode.paper == "a4" else QPageSize.PageSizeId.Letter
            writer.setPageLayout(
                QPageLayout(QPageSize(paper), QPageLayout.Orientation.Portrait, QMarginsF())
            )
            writer.setTitle(shown.name)
            job = PrintJob(writer)
            if not job.begin():
                raise OSError(f"{target.name} cannot be written")
            try:

                async def render(index: int, width: int, rotation: int) -> QImage:
                    return await self._image(shown, index, width, rotation)

                await job.add_pages(shown.sizes, render)
            finally:
                job.end()
                del writer
            await asyncio.to_thread(os.replace, temp, target)
        finally:
            await asyncio.to_thread(temp.unlink, missing_ok=True)

    def _dialog_parent(self) -> QWidget:
        return self.pane.window()


def _ignore_report(_text: str, *, error: bool = False) -> None:
    del error
