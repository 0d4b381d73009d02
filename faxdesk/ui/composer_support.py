"""The composer's work behind the form: converting documents, thumbnails, preview, cover pages
and the last look before sending.

Every document added to the composer is converted to the fax PDF (`convert_to_pdf`, in its own
bounded child process, waited for off the event loop) into a folder of this window's, so its
page count and any problem show on it, its first page becomes its thumbnail (rendered in the
worker pool), and selecting it shows its pages in the composer's preview. On Send, `prepare()`
turns the request's documents into those fax PDFs, converting any not done yet, so what is
sent is what was previewed, with a local cover page filled in and put first, and a fax over
the page or upload limit of the settings is refused; `confirm()` shows the whole fax in fax
mode before it goes. The preview can also show the selected document as faxed, in the options
chosen. An encrypted PDF is asked for its password in the composer's own password row; the
password goes into that one conversion and is never kept (the decrypted fax PDF is, until
`close()`). Nothing here sends: the main controller hands the prepared request to the outbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog

from faxdesk.core.errors import DocumentError, FaxDeskError
from faxdesk.core.models import (
    CoverPage,
    Document,
    ImageConversionMethod,
    Resolution,
    SendRequest,
    Service,
)
from faxdesk.core.phone import display
from faxdesk.core.ports import FaxApi
from faxdesk.documents import cover
from faxdesk.documents.convert import PasswordRequired, WrongPassword, convert_to_pdf
from faxdesk.documents.faxmode import DEFAULT_TIME_ZONE, FaxHeader, FaxMode
from faxdesk.services.limits import check_limits
from faxdesk.services.previews import PageRenderer
from faxdesk.ui.composer import ComposerDialog
from faxdesk.ui.confirm_send import ConfirmSendDialog, fax_page_image
from faxdesk.ui.preview_feed import PreviewFeed
from faxdesk.ui.printing import to_qimage
from faxdesk.ui.recipients import Recipient
from faxdesk.ui.tasks import TaskKeeper, dialog_result

#: The local cover page template FaxDesk ships, by the name the composer offers it under.
STANDARD_TEMPLATE = "Standard"

#: Width in pixels the thumbnails are rendered at (twice their shown size, for sharp screens).
THUMBNAIL_WIDTH = 88

FAX_PDF = "application/pdf"


@dataclass(frozen=True, slots=True)
class FaxDocument:
    """One composer document converted: the fax PDF and what the conversion said."""

    pdf: Path
    page_count: int
    notices: tuple[str, ...] = ()


def pages_text(count: int) -> str:
    return "1 page" if count == 1 else f"{count} pages"


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


class ComposerSupport(QObject):
    """Converts, inspects and previews the documents of one ComposerDialog.

    Attributes:
        paper: the paper documents are fitted to ("letter" or "a4").
        max_pages, max_bytes: the limits a fax is checked against before it is sent.
    """

    def __init__(
        self,
        composer: ComposerDialog,
        renderer: PageRenderer,
        tasks: TaskKeeper,
        *,
        paper: str = "letter",
        max_pages: int = 100,
        max_bytes: int = 20_000_000,
    ) -> None:
        super().__init__(composer)
        self.paper = paper
        self._composer = composer
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self._renderer = renderer
        self._tasks = tasks
        self._folder = Path(tempfile.mkdtemp(prefix="faxdesk-composer-"))
        self._converted: dict[Path, tuple[tuple[int, int], str, FaxDocument]] = {}
        self._serial = 0
        self.feed = PreviewFeed(composer.preview, renderer, tasks, self)
        # The preview can show the documents as faxed, in the options chosen; typing in the
        # header field re-renders once the typing pauses.
        self._preview_sent_at: datetime | None = None
        self._preview_mode_timer = QTimer(self, singleShot=True, interval=400)
        self._preview_mode_timer.timeout.connect(self._update_preview_mode)
        composer.preview.enable_fax_view()
        composer.preview.fax_view_changed.connect(self._on_preview_fax_view_changed)
        composer.options.changed.connect(self._on_options_changed)
        self.confirm_dialog: ConfirmSendDialog | None = None
        self.templates: dict[str, Path] = {STANDARD_TEMPLATE: cover.default_template_path()}
        composer.documents_added.connect(self._on_composer_documents_added)
        composer.document_selected.connect(self._on_composer_document_selected)
        self._api: FaxApi | None = None
        self.time_zones: list[str] = []
        self._services: list[Service] = []
        self._cover_pages: list[CoverPage] = []
        self._cover_files: dict[tuple[str, str], Path] = {}
        # MuPDF in this process is used by one thread at a time (reading a template's fields).
        self._mupdf = asyncio.Lock()
        composer.options.cover_changed.connect(self._on_options_cover_changed)
        composer.options.service_combo.currentIndexChanged.connect(self._on_service_changed)
        composer.options.set_cover_pages(list(self.templates), [])
        composer.password_entered.connect(self._on_composer_password_entered)
        composer.image_pasted.connect(self._on_composer_image_pasted)
        self._pasted = 0

    @property
    def max_pages(self) -> int:
        return self._max_pages

    @max_pages.setter
    def max_pages(self, value: int) -> None:
        # The form says at once when the documents' pages are over it.
        self._max_pages = value
        self._composer.set_page_limit(value)

    def close(self) -> None:
        """Forget the converted files (the outbox keeps its own copies of what was sent)."""
        self.feed.stop()
        # Small and at shutdown only: a few files in a folder of our own.
        shutil.rmtree(self._folder, ignore_errors=True)

    async def load_time_zones(self) -> list[str]:
        """Offer every tz database name for the header's time zone (read once, off the loop)."""
        names = sorted(await asyncio.to_thread(zoneinfo.available_timezones))
        self.time_zones = names
        self._composer.options.set_time_zones(names)
        return names

    @property
    def services(self) -> list[Service]:
        return list(self._services)

    async def load_services(self, api: FaxApi) -> None:
        """Offer the account's services, their sender numbers and their cover pages."""
        self._api = api
        try:
            self._services = await api.list_services()
        except FaxDeskError as exc:
            # The options still work without the list: every choice left to the service.
            self._composer.options.problem_label.setToolTip(f"Services not loaded: {exc}")
            return
        self._composer.options.set_services(self._services)
        await self._load_cover_pages()

    def _service_for_covers(self) -> str:
        chosen = self._composer.options.service_id()
        if chosen:
            return chosen
        default = next((s for s in self._services if s.default_for_project), None)
        return default.id if default is not None else ""

    async def _load_cover_pages(self) -> None:
        service_id = self._service_for_covers()
        pages: list[CoverPage] = []
        if self._api is not None and service_id:
            try:
                pages = await self._api.list_cover_pages(service_id)
            except FaxDeskError:
                pages = []
        self._cover_pages = pages
        self._composer.options.set_cover_pages(list(self.templates), pages)

    def _on_service_changed(self, _index: int) -> None:
        if self._api is not None:
            self._tasks.start(self._load_cover_pages(), key="cover-pages")

    async def _service_cover_file(self, service_id: str, cover_page_id: str) -> Path:
        """The service cover page's template PDF, fetched once (for its fields and the look)."""
        key = (service_id, cover_page_id)
        known = self._cover_files.get(key)
        if known is not None:
            return known
        assert self._api is not None
        page = await self._api.get_cover_page(service_id, cover_page_id)
        self._serial += 1
        target = self._folder / str(self._serial) / "service-cover-page.pdf"
        await asyncio.to_thread(_write, target, page.pdf)
        self._cover_files[key] = target
        return target

    async def converted(self, path: Path, password: str | None = None) -> FaxDocument:
        """The fax PDF of `path`, converted now unless it was, unchanged, for this paper.

        `password` opens an encrypted PDF for this conversion only.
        """
        stamp = await asyncio.to_thread(_stamp, path)
        known = self._converted.get(path)
        if known is not None and known[0] == stamp and known[1] == self.paper:
            return known[2]
        content = await asyncio.to_thread(path.read_bytes)
        result = await asyncio.to_thread(
            convert_to_pdf, content, filename=path.name, paper=self.paper, password=password
        )
        self._serial += 1
        folder = self._folder / str(self._serial)
        target = folder / f"{path.stem}.pdf"
        await asyncio.to_thread(_write, target, result.pdf)
        document = FaxDocument(target, result.page_count, result.notices)
        self._converted[path] = (stamp, self.paper, document)
        return document

    async def prepare(self, request: SendRequest) -> SendRequest | None:
        """`request` with its documents as fax PDFs; None (and the problem shown on the
        document) when one cannot be converted."""
        documents: list[Document] = []
        pages = size = 0
        for document in request.documents:
            try:
                fax = await self.converted(document.path)
            except (PasswordRequired, WrongPassword) as exc:
                self._ask_password(document.path, exc)
                return None
            except (DocumentError, OSError) as exc:
                self._composer.set_document_problem(document.path, _problem_text(document, exc))
                return None
            documents.append(Document(fax.pdf, FAX_PDF))
            pages += fax.page_count
            size += await asyncio.to_thread(_size, fax.pdf)
        choice = self._composer.options.cover_choice()
        if choice.template:
            try:
                page = await self._cover_page(request, self.templates[choice.template], pages)
            except (DocumentError, OSError) as exc:
                self._composer.show_error(f"The cover page cannot be made: {exc}")
                return None
            documents.insert(0, Document(page, FAX_PDF))
            pages += await self._page_count(page)
            size += await asyncio.to_thread(_size, page)
        try:
            check_limits(pages, size, max_pages=self.max_pages, max_bytes=self.max_bytes)
        except DocumentError as exc:
            self._composer.show_error(str(exc))
            return None
        return dataclasses.replace(request, documents=tuple(documents))

    async def _cover_page(self, request: SendRequest, path: Path, pages: int) -> Path:
        """The cover page of template `path` filled for a fax whose documents have `pages`
        pages (counted on their fax PDFs: the chosen files may be of kinds the renderer
        cannot open)."""
        content = await asyncio.to_thread(path.read_bytes)
        names = [r.describe() for r in self._composer.recipients.recipients() if r.e164]
        fields = {
            "from": display(request.from_) if request.from_ else "",
            "to": ", ".join(names),
            "date": date.today().strftime("%d %B %Y"),
            **self._composer.options.cover_data(),
        }
        result = await asyncio.to_thread(
            cover.make_cover_page,
            content,
            filename=path.name,
            fields=fields,
            document_pages=pages,
            paper=self.paper,
        )
        self._serial += 1
        target = self._folder / str(self._serial) / "cover-page.pdf"
        await asyncio.to_thread(_write, target, result.pdf)
        return target

    async def confirm(self, request: SendRequest, recipients: Sequence[Recipient]) -> bool:
        """Show the whole fax (already `prepare()`d) as the far end prints it; True to send."""
        whole = self._folder / "confirm" / "fax.pdf"
        await asyncio.to_thread(whole.parent.mkdir, parents=True, exist_ok=True)
        paths = [document.path for document in request.documents]
        service_cover = bool(request.cover_page_id) and self._api is not None
        if service_cover:
            # The service fills and adds its cover page: shown here filled with the same
            # fields, the way the service fills its {{tag}} fields.
            service_id = request.service_id or self._service_for_covers()
            try:
                template = await self._service_cover_file(service_id, request.cover_page_id)
                pages = sum([await self._page_count(path) for path in paths])
                paths.insert(0, await self._cover_page(request, template, pages))
            except (FaxDeskError, OSError):
                service_cover = False
        await self._renderer.save_pdf(paths, whole)
        info = await self._renderer.document_info(whole)
        has_cover = bool(self._composer.options.cover_choice().template) or service_cover
        mode = fax_mode_of(request, self.paper)
        dialog = ConfirmSendDialog(
            info.page_count,
            recipients,
            self._composer,
            cover_pages=int(has_cover),
            resolution=mode.resolution,
        )
        self.confirm_dialog = dialog
        pages = self._tasks.start(self._fax_pages(dialog, whole, info.page_count, mode))
        try:
            return await dialog_result(dialog) == QDialog.DialogCode.Accepted
        finally:
            if pages is not None:
                pages.cancel()
            self.confirm_dialog = None
            dialog.deleteLater()

    async def _fax_pages(
        self, dialog: ConfirmSendDialog, pdf: Path, count: int, mode: FaxMode
    ) -> None:
        for index in range(count):
            try:
                page, coded = await self._renderer.coded_fax_page(pdf, index, mode)
            except DocumentError as exc:
                dialog.show_problem(f"Page {index + 1} cannot be shown: {exc}")
                return
            # Scaling a whole fax page takes tens of milliseconds: not on the event loop.
            dialog.add_page(await asyncio.to_thread(fax_page_image, page), coded_bytes=coded)

    def _on_options_cover_changed(self, choice: object) -> None:
        template = getattr(choice, "template", "")
        page_id = getattr(choice, "id", "")
        if template in self.templates:
            self._tasks.start(self._ask_cover_fields(self.templates[template]), key="cover")
        elif page_id and self._api is not None:
            service_id = getattr(choice, "service_id", "") or self._service_for_covers()
            self._tasks.start(self._ask_service_cover_fields(service_id, page_id), key="cover")

    async def _ask_service_cover_fields(self, service_id: str, page_id: str) -> None:
        try:
            path = await self._service_cover_file(service_id, page_id)
        except FaxDeskError as exc:
            self._composer.show_error(f"The cover page cannot be loaded: {exc}")
            return
        await self._ask_cover_fields(path)

    async def _ask_cover_fields(self, path: Path) -> None:
        content = await asyncio.to_thread(path.read_bytes)
        try:
            async with self._mupdf:
                names = await asyncio.to_thread(cover.template_fields, content, filename=path.name)
        except DocumentError as exc:
            self._composer.show_error(f"The cover page template cannot be read: {exc}")
            return
        self._composer.options.set_cover_fields(names)

    async def _page_count(self, pdf: Path) -> int:
        return (await self._renderer.document_info(pdf)).page_count

    async def inspect(self, path: Path, password: str | None = None) -> None:
        """Show the page count (or the problem) and the thumbnail of the document `path`;
        `password` is the one just typed for it, if any."""
        self._composer.set_document_info(path, "checking…")
        try:
            fax = await self.converted(path, password)
        except (PasswordRequired, WrongPassword) as exc:
            self._ask_password(path, exc)
            return
        except (DocumentError, OSError) as exc:
            self._composer.set_document_problem(path, _problem_text(Document(path), exc))
            return
        # A problem it had before (no password yet, a file since replaced) is gone.
        self._composer.clear_document_problem(path)
        info = pages_text(fax.page_count)
        if fax.notices:
            info += f" ({' '.join(fax.notices)})"
        self._composer.set_document_info(path, info)
        self._composer.set_document_pages(path, fax.page_count)
        try:
            page = await self._renderer.render(fax.pdf, 0, THUMBNAIL_WIDTH)
        except DocumentError:
            return  # the count is there; a missing thumbnail is no problem
        self._composer.set_document_thumbnail(path, to_qimage(page))
        if self._composer.selected_document() == path:
            await self._show(path, fax)

    def _on_preview_fax_view_changed(self, fax_view: bool) -> None:
        # One send time for every page shown, as when the fax goes.
        self._preview_sent_at = datetime.now(UTC) if fax_view else None
        self._update_preview_mode()

    def _on_options_changed(self) -> None:
        if self._composer.preview.fax_view:
            self._preview_mode_timer.start()

    def _update_preview_mode(self) -> None:
        self._preview_mode_timer.stop()
        if not self._composer.preview.fax_view:
            self.feed.set_fax_mode(None)
            return
        options = self._composer.options.sending_defaults()
        self.feed.set_fax_mode(fax_mode_of(options, self.paper, self._preview_sent_at))

    def _on_composer_documents_added(self, paths: Sequence[Path]) -> None:
        for path in paths:
            self._tasks.start(self.inspect(path), key=f"inspect:{path}")

    def _on_composer_image_pasted(self, image: QImage) -> None:
        self._pasted += 1
        path = self._folder / "pasted" / f"Pasted picture {self._pasted}.png"
        self._tasks.start(self._add_pasted(image, path))

    async def _add_pasted(self, image: QImage, path: Path) -> None:
        """Save a pasted picture as a PNG file (off the loop) and add it as a document."""

        def save() -> bool:
            path.parent.mkdir(parents=True, exist_ok=True)
            return image.save(str(path), "PNG")

        try:
            saved = await asyncio.to_thread(save)
        except OSError as exc:
            saved, reason = False, exc.strerror or str(exc)
        else:
            reason = "the disk refused it"
        if not saved:
            self._composer.show_documents_message(
                f"The pasted picture could not be saved in {path.parent} ({reason})."
            )
            return
        self._composer.add_paths([path])

    def _on_composer_password_entered(self, path: Path, password: str) -> None:
        self._tasks.start(self.inspect(path, password), key=f"inspect:{path}")

    def _ask_password(self, path: Path, exc: DocumentError) -> None:
        self._composer.set_document_info(path, "")
        # The password row asks the question; the document itself only says what is wrong, in
        # words that do not repeat its name beside it.
        if isinstance(exc, WrongPassword):
            question = f"{exc} Try again:"
            problem = "That password is not right; type it again below."
        else:
            question = f"{exc} Type its password to send it:"
            problem = f"{exc} Type it below."
        self._composer.ask_password(path, question, problem)

    def _on_composer_document_selected(self, path: Path | None) -> None:
        if path is None:
            self.feed.show_message("Select a document to see its pages.")
            return
        known = self._converted.get(path)
        if known is None:
            self.feed.show_message("The pages appear once the document is checked.")
            return
        self._tasks.start(self._show(path, known[2]), key="composer-preview")

    async def _show(self, path: Path, fax: FaxDocument) -> None:
        try:
            await self.feed.show(_key(path), [fax.pdf], fax.pdf.name)
        except DocumentError as exc:
            self.feed.show_message(f"The pages cannot be shown: {exc}")


class FaxOptions(Protocol):
    """The options that decide how the far end prints a fax (a SendRequest or the defaults)."""

    @property
    def resolution(self) -> Resolution | None: ...
    @property
    def image_conversion_method(self) -> ImageConversionMethod | None: ...
    @property
    def header_text(self) -> str | None: ...
    @property
    def header_page_numbers(self) -> bool | None: ...
    @property
    def header_time_zone(self) -> str | None: ...


def fax_mode_of(options: FaxOptions, paper: str, sent_at: datetime | None = None) -> FaxMode:
    """How the pages print at the far end with `options`; the service's defaults for any left
    unset (FINE, HALFTONE, page numbers, its header time zone)."""
    return FaxMode(
        resolution=options.resolution or Resolution.FINE,
        conversion=options.image_conversion_method or ImageConversionMethod.HALFTONE,
        paper=paper,
        header=FaxHeader(
            text=options.header_text or "",
            page_numbers=options.header_page_numbers is not False,
            time_zone=options.header_time_zone or DEFAULT_TIME_ZONE,
            sent_at=sent_at,
        ),
    )


def _key(path: Path) -> str:
    return f"composer:{path}"


def _problem_text(document: Document, exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{document.path.name} could not be read ({exc.strerror or exc})."
    return str(exc)


def _size(path: Path) -> int:
    return path.stat().st_size


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
