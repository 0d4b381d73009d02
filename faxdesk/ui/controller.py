"""The main window's controller: turns the widgets' intents into service calls.

Widgets only announce what the user wants (signals carrying domain objects); this QObject owns
the async work, feeds the list model, the preview and the details, and reports failures next
to where the user acted. All network and disk work runs as tasks on the qasync loop, and
rendering runs in worker processes (`PageRenderer`), so the window never freezes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QFileDialog

from faxdesk.config import settings as settings_io
from faxdesk.config.settings import Settings
from faxdesk.core.errors import (
    AuthError,
    DocumentError,
    FaxDeskError,
    NotFound,
    Offline,
)
from faxdesk.core.failures import describe_failure
from faxdesk.core.models import Direction, Fax, FaxQuery, FaxStatus, SendRequest
from faxdesk.core.outbox import (
    EntryChanged,
    OutboxEntry,
    OutboxEvent,
    OutboxState,
    UploadProgress,
    WaitingChanged,
)
from faxdesk.core.phone import display, search_prefix
from faxdesk.services.contacts import ContactsService
from faxdesk.services.faxes import FaxService
from faxdesk.services.outbox import Outbox
from faxdesk.services.previews import PageRenderer
from faxdesk.services.tracking import StatusTracker
from faxdesk.ui.composer import ComposerDialog
from faxdesk.ui.composer_support import ComposerSupport
from faxdesk.ui.contacts_dialog import ContactsPresenter
from faxdesk.ui.main_window import MainWindow, View
from faxdesk.ui.outbox_view import OutboxPresenter
from faxdesk.ui.preview_feed import PreviewFeed
from faxdesk.ui.printing import PrintJob, choose_printer, to_qimage
from faxdesk.ui.settings_dialog import SettingsDialog
from faxdesk.ui.tasks import TaskKeeper, dialog_result

log = logging.getLogger(__name__)

#: How far back the list looks. The service answers only the prior week without a range.
HISTORY = timedelta(days=90)


@dataclass
class _Pager:
    """One server-side query and the next page to ask for."""

    query: FaxQuery
    next_page: int = 1
    has_more: bool = True


class MainController(QObject):
    """Drives a MainWindow from a FaxService, and sends through the Outbox.

    Attributes:
        tracker: follows unfinished faxes to their final status (the outbox follows its own).
        outbox: the durable background sender every Send goes through.
        settings: the preferences in force; the Settings dialog changes them, and they are
            saved to `settings_file` (not saved when that is None).
        preview: feeds the window's preview pane with rendered pages.
    """

    def __init__(
        self,
        window: MainWindow,
        faxes: FaxService,
        renderer: PageRenderer,
        tasks: TaskKeeper,
        outbox: Outbox,
        *,
        default_region: str = "US",
        refresh_interval: float = 15.0,
        tracking_interval: float = 1.0,
        settings: Settings | None = None,
        settings_file: Path | None = None,
        contacts: ContactsService | None = None,
    ) -> None:
        super().__init__(window)
        self.settings = (
            settings if settings is not None else Settings(default_region=default_region)
        )
        self._settings_file = settings_file
        self._settings_dialog: SettingsDialog | None = None
        default_region = self.settings.default_region
        self._window = window
        self._faxes = faxes
        self._renderer = renderer
        self._tasks = tasks
        self.outbox = outbox
        #: Sends from this window whose first fax is shown once the service has taken it.
        self._to_show: set[str] = set()
        self._upload_percent: dict[int, int] = {}
        self.tracker = StatusTracker(faxes, self._on_tracker_update, interval=tracking_interval)
        self._default_region = default_region
        self._composer = ComposerDialog(window, default_region=default_region)
        self._composer.set_sending_defaults(self.settings.sending)
        self._composer_support = ComposerSupport(
            self._composer,
            renderer,
            tasks,
            paper=str(self.settings.paper_size),
            max_pages=self.settings.max_pages,
            max_bytes=self.settings.max_upload_mb * 1_000_000,
        )
        self._generation = 0
        self._pagers: list[_Pager] = []
        self._status_filter: FaxStatus | None = None
        self._text_filter = ""
        self._selected: Fax | None = None
        self._select_after_reload: str | None = None
        self._online: bool | None = None
        self.preview = PreviewFeed(window.preview, renderer, tasks, self)
        self.outbox_presenter = OutboxPresenter(window.outbox_view, outbox, tasks, self)
        self.contacts = (
            ContactsPresenter(window, self._composer, contacts, faxes, tasks)
            if contacts is not None
            else None
        )
        self.preview.report = self._on_preview_report
        self._refresh_timer = QTimer(self, interval=int(refresh_interval * 1000))
        self._refresh_timer.timeout.connect(self._on_refresh_timer_timeout)
        self._connect()

    # -- wiring ---------------------------------------------------------------------------

    def _connect(self) -> None:
        w = self._window
        self._connections = [
            (w.new_fax_requested, self._on_window_new_fax_requested),
            (w.settings_requested, self._on_window_settings_requested),
            (w.contacts_requested, self._on_window_contacts_requested),
            (w.files_dropped, self._on_window_files_dropped),
            (w.refresh_requested, self._on_window_refresh_requested),
            (w.view_changed, self._on_window_view_changed),
            (w.filter_changed, self._on_window_filter_changed),
            (w.status_filter_changed, self._on_window_status_filter_changed),
            (w.more_requested, self._on_window_more_requested),
            (w.fax_selected, self._on_window_fax_selected),
            (w.download_requested, self._on_window_download_requested),
            (w.print_requested, self._on_window_print_requested),
            (self._composer.send_requested, self._on_composer_send_requested),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        self._unsubscribe_outbox = self.outbox.subscribe(self._on_outbox_event)

    def start(self) -> None:
        """Show the archive at once, then load from the service and keep it fresh.

        The outbox starts sending too, beginning with whatever an earlier run left unfinished.
        """
        self._tasks.start(self.outbox.run(), key="outbox")
        self._tasks.start(self.outbox_presenter.load(), key="outbox-view")
        self._tasks.start(self.tracker.run(), key="tracker")
        self._tasks.start(self._renderer.warm_up(), key="warm-up")
        self._tasks.start(self._composer_support.load_services(self._faxes.api), key="services")
        self._tasks.start(self._composer_support.load_time_zones(), key="time-zones")
        self._window.preview.show_message("Select a fax to preview it.")
        self.reload()
        self._refresh_timer.start()

    def stop(self) -> None:
        """Stop listening to the window and its timers; the session then closes the tasks."""
        self._refresh_timer.stop()
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        self._unsubscribe_outbox()
        self.outbox_presenter.stop()
        if self.contacts is not None:
            self.contacts.close()
        self.preview.stop()
        self._composer.close()
        self._composer_support.close()
        if self._settings_dialog is not None:
            self._settings_dialog.close()

    @property
    def settings_dialog(self) -> SettingsDialog | None:
        return self._settings_dialog

    @property
    def composer(self) -> ComposerDialog:
        return self._composer

    @property
    def composer_support(self) -> ComposerSupport:
        return self._composer_support

    # -- list -----------------------------------------------------------------------------

    def _queries(self) -> list[FaxQuery]:
        view = self._window.current_view()
        direction = {View.INBOX: Direction.INBOUND, View.SENT: Direction.OUTBOUND}.get(view)
        base = FaxQuery(
            direction=direction,
            status=self._status_filter,
            created_after=datetime.now(UTC) - HISTORY,
        )
        prefix = search_prefix(self._text_filter, self._default_region)
        if not prefix:
            # Text without digits names no number, so it matches no fax.
            return [] if self._text_filter.strip() else [base]
        # The list endpoint filters "to" and "from" separately; the other party of a fax is
        # the sender for inbound and the recipient for outbound faxes.
        queries = []
        if direction in (None, Direction.OUTBOUND):
            queries.append(replace(base, direction=Direction.OUTBOUND, to_prefix=prefix))
        if direction in (None, Direction.INBOUND):
            queries.append(replace(base, direction=Direction.INBOUND, from_prefix=prefix))
        return queries

    def _empty_text(self) -> str:
        """What the list says when it has no rows, in the words of the current view."""
        if self._text_filter.strip() and not any(ch.isdigit() for ch in self._text_filter):
            return "Type digits of a fax number to filter the list."
        if self._text_filter.strip() or self._status_filter is not None:
            return "No faxes match this filter."
        view = self._window.current_view()
        if view is View.INBOX:
            return "No faxes received yet. Faxes sent to your numbers appear here."
        if view is View.SENT:
            return "No faxes sent yet. Press Ctrl+N to send one, or drop a PDF here."
        return "No faxes yet. Press Ctrl+N to send one, or drop a PDF here."

    def _matches_view(self, fax: Fax) -> bool:
        queries = [pager.query for pager in self._pagers] or self._queries()
        return any(
            (q.direction is None or q.direction == fax.direction)
            and (q.status is None or q.status == fax.status)
            and (not q.to_prefix or fax.to.startswith(q.to_prefix))
            and (not q.from_prefix or fax.from_.startswith(q.from_prefix))
            for q in queries
        )

    def reload(self) -> None:
        """Start the current view over: archive rows at once, then the service's first page."""
        self._generation += 1
        self._pagers = [_Pager(query) for query in self._queries()]
        self._window.fax_list.set_placeholder(self._empty_text())
        self._tasks.start(self._reload(self._generation), key="list")

    async def _reload(self, generation: int) -> None:
        direction = self._pagers[0].query.direction if len(self._pagers) == 1 else None
        cached = [fax for fax in await self._faxes.cached(direction) if self._matches_view(fax)]
        if generation == self._generation:
            self._window.fax_list.model.set_faxes(cached)
            self._select_pending()
        await self._load_more(generation, replace_rows=True)
        if generation == self._generation:
            self._select_pending()

    def _select_pending(self) -> None:
        fax_id = self._select_after_reload
        if fax_id is not None and self._window.fax_list.select_fax(fax_id):
            self._select_after_reload = None

    async def _load_more(self, generation: int, *, replace_rows: bool = False) -> None:
        faxes: list[Fax] = []
        try:
            for pager in self._pagers:
                if not pager.has_more:
                    continue
                page = await self._faxes.load_page(pager.query, pager.next_page)
                if generation != self._generation:
                    return  # a late page for an old filter
                pager.next_page = page.page + 1
                pager.has_more = page.has_more
                faxes.extend(page.faxes)
        except FaxDeskError as exc:
            self._report_connection_error(exc)
            return
        self._set_connection_online()
        faxes.sort(
            key=lambda fax: fax.create_time or datetime.min.replace(tzinfo=UTC), reverse=True
        )
        model = self._window.fax_list.model
        has_more = any(pager.has_more for pager in self._pagers)
        if replace_rows:
            model.set_faxes(faxes, has_more)
        else:
            model.append_page(faxes, has_more)
        for fax in faxes:
            self._watch(fax)

    def _watch(self, fax: Fax) -> None:
        # The outbox follows the faxes it sent; asking for them twice would only cost requests.
        if not self.outbox.tracks(fax.id):
            self.tracker.watch(fax)

    async def _refresh_first_page(self, generation: int) -> None:
        """Merge the newest faxes into the list without disturbing selection or scrolling."""
        try:
            for pager in self._pagers:
                page = await self._faxes.load_page(pager.query, 1)
                if generation != self._generation:
                    return
                for fax in page.faxes:
                    self._window.fax_list.model.upsert(fax)
                    self._watch(fax)
        except FaxDeskError as exc:
            self._report_connection_error(exc)
            return
        self._set_connection_online()

    def _on_window_more_requested(self) -> None:
        self._tasks.start(self._load_more(self._generation), key="list")

    def _on_window_view_changed(self, view: View) -> None:
        if view is View.OUTBOX:
            return  # the outbox view is fed by the outbox, not the list endpoint
        self.reload()

    def _on_window_filter_changed(self, text: str) -> None:
        self._text_filter = text
        self.reload()

    def _on_window_status_filter_changed(self, status: FaxStatus | None) -> None:
        self._status_filter = status
        self.reload()

    def _on_window_refresh_requested(self) -> None:
        self.reload()
        self._tasks.start(self.check_connection(), key="ping")

    def _on_refresh_timer_timeout(self) -> None:
        self._tasks.start(self._refresh_first_page(self._generation), key="refresh")

    def _on_tracker_update(self, fax: Fax) -> None:
        if self._matches_view(fax):
            self._window.fax_list.model.upsert(fax)
        if self._selected is not None and self._selected.id == fax.id:
            had_file = self._selected.has_file
            self._selected = fax
            self._window.details.set_fax(fax)
            if fax.has_file and not had_file and self._window.preview.key != fax.id:
                # The service stores a fax's document only once sending starts.
                self._tasks.start(self._show_preview(fax), key="preview")
        if fax.status is FaxStatus.COMPLETED:
            self._window.show_status_message(f"Fax to {display(fax.to)} delivered.")
        elif fax.status is FaxStatus.FAILURE:
            reason = describe_failure(fax)
            self._window.show_status_message(
                f"Fax to {display(fax.to)} failed: {reason}"
                if reason
                else f"Fax to {display(fax.to)} failed."
            )

    # -- connection -----------------------------------------------------------------------

    async def check_connection(self) -> None:
        self._window.set_connection("checking")
        try:
            await self._faxes.check_connection()
        except FaxDeskError as exc:
            self._report_connection_error(exc)
        else:
            self._set_connection_online()

    def _set_connection_online(self) -> None:
        if not self._online:
            log.info("Connected to the fax service")
        if self._online is False:
            # Replace the outage message, which would otherwise linger beside "Connected".
            self._window.show_status_message("The fax service answers again.")
        self._online = True
        self._window.set_connection("online")

    def _report_connection_error(self, exc: FaxDeskError) -> None:
        if isinstance(exc, Offline | AuthError):
            if self._online is not False:
                log.warning("The fax service is not reachable: %s", exc)
                if isinstance(exc, AuthError):
                    # Waiting will not fix this one: the account settings must change.
                    self._window.show_error(
                        f"{exc} Check the account with 'faxdesk account', then restart FaxDesk."
                    )
            self._online = False
            self._window.set_connection("offline", str(exc))
        self._window.show_status_message(str(exc), 10_000)

    # -- settings -------------------------------------------------------------------------

    def _on_window_settings_requested(self) -> None:
        if self._settings_dialog is None:
            self._settings_dialog = SettingsDialog(self.settings, self._window)
            self._settings_dialog.settings_accepted.connect(
                self._on_settings_dialog_settings_accepted
            )
        else:
            self._settings_dialog.set_settings(self.settings)
        # The sending defaults offer what the composer offers.
        form = self._settings_dialog.sending_page.form
        form.set_services(self._composer_support.services)
        form.set_time_zones(self._composer_support.time_zones)
        form.set_defaults(self.settings.sending)
        self._settings_dialog.open()

    def _on_settings_dialog_settings_accepted(self, edited: Settings) -> None:
        self.apply_settings(edited)
        if self._settings_file is not None:
            self._tasks.start(self._save_settings(edited, self._settings_file), key="settings")

    def apply_settings(self, settings: Settings) -> None:
        """Use `settings` from now on (the next fax, the list's number search)."""
        self.settings = settings
        self._default_region = settings.default_region
        self._composer.default_region = settings.default_region
        self._composer_support.paper = str(settings.paper_size)
        self._composer_support.max_pages = settings.max_pages
        self._composer_support.max_bytes = settings.max_upload_mb * 1_000_000
        if not self._composer.isVisible():
            self._composer.set_sending_defaults(settings.sending)
        self.outbox.default_region = settings.default_region
        if self.contacts is not None:
            self.contacts.default_region = settings.default_region

    async def _save_settings(self, edited: Settings, path: Path) -> None:
        try:
            # The account may have been changed on the command line meanwhile: keep that.
            on_disk = await asyncio.to_thread(settings_io.load, path)
            await asyncio.to_thread(
                settings_io.save, replace(edited, account=on_disk.account), path
            )
        except OSError as exc:
            self._window.show_error(
                f"The settings could not be saved to {path}: {exc.strerror or exc}. They apply "
                "until FaxDesk is closed."
            )
            return
        self._window.show_status_message("Settings saved.")

    # -- composer -------------------------------------------------------------------------

    def _on_window_contacts_requested(self) -> None:
        if self.contacts is not None:
            self.contacts.open_manager()
        else:
            self._window.show_status_message("The phonebook is not available.")

    def _show_composer(self) -> None:
        if self.contacts is not None and not self._composer.isVisible():
            # The completer and the warnings see the phonebook and the archive as they are now.
            self._tasks.start(self.contacts.refresh(), key="contacts")
        self._composer.show()
        self._composer.raise_()
        self._composer.activateWindow()

    def _on_window_new_fax_requested(self) -> None:
        self._show_composer()

    def _on_window_files_dropped(self, paths: Sequence[Path]) -> None:
        self._composer.add_paths(list(paths))
        self._show_composer()

    def _on_composer_send_requested(self, request: SendRequest) -> None:
        # No key: a second Send must not cancel the first one halfway into the outbox.
        self._tasks.start(self._send(request))

    async def _send(self, request: SendRequest) -> None:
        """Hand the fax to the outbox; the composer is free again as soon as it is written down."""
        self._composer.set_busy(True, "Adding to the outbox…")
        # The fax PDFs that were checked and previewed, converted again if a file changed.
        prepared = await self._composer_support.prepare(request)
        if prepared is None:
            self._composer.set_busy(False)
            return
        request = prepared
        if self.settings.confirm_before_send:
            self._composer.set_busy(True, "Waiting for you to confirm…")
            try:
                confirmed = await self._composer_support.confirm(
                    request, self._composer.recipients.recipients()
                )
            except DocumentError as exc:
                self._composer.set_busy(False)
                self._composer.show_error(f"The fax cannot be shown before sending: {exc}")
                return
            if not confirmed:
                self._composer.set_busy(False)
                return
            self._composer.set_busy(True, "Adding to the outbox…")
        undo_seconds = max(0.0, self.settings.undo_send_seconds)
        try:
            entries = await self.outbox.submit(request, hold_seconds=undo_seconds)
        except FaxDeskError as exc:
            self._composer.set_busy(False)
            self._composer.show_error(str(exc))
            return
        self._composer.set_busy(False)
        self._composer.reset()
        self._composer.hide()
        # Keyboard focus goes back to the list, where the new fax will be.
        self._window.activateWindow()
        if not entries:
            return
        self._to_show.add(entries[0].batch_id)
        numbers = ", ".join(display(entry.to) for entry in entries)
        if undo_seconds:
            self._window.show_status_message(
                f"Fax to {numbers} goes out in {undo_seconds:g} s; it can be undone until then."
            )
        else:
            self._window.show_status_message(f"Fax to {numbers} is in the outbox.")

    # -- outbox ---------------------------------------------------------------------------

    def _on_outbox_event(self, event: OutboxEvent) -> None:
        if isinstance(event, EntryChanged):
            self._on_outbox_entry_changed(event.entry, event.fax)
        elif isinstance(event, UploadProgress):
            self._on_outbox_upload_progress(event)
        elif isinstance(event, WaitingChanged) and event.waiting is not None:
            self._window.show_status_message(
                f"Faxes are waiting to go out: {event.waiting.reason}", 10_000
            )

    def _on_outbox_entry_changed(self, entry: OutboxEntry, fax: Fax | None) -> None:
        if entry.state is not OutboxState.UPLOADING:
            self._upload_percent.pop(entry.id, None)
        if entry.state is OutboxState.FAILED and fax is None:
            # Refused by the service before it became a fax: no list row to show it on.
            self._window.show_status_message(
                f"Fax to {display(entry.to)} failed: {entry.last_error}"
            )
        if fax is None:
            return
        self._tasks.start(self._faxes.remember([fax]))
        if entry.batch_id in self._to_show:
            self._to_show.discard(entry.batch_id)
            self._window.show_status_message(f"Fax to {display(fax.to)} accepted by the service.")
            self._show_sent(fax)
        self._on_tracker_update(fax)

    def _show_sent(self, fax: Fax) -> None:
        """Select the fax the user just sent, switching to Sent if the view does not show it."""
        if self._matches_view(fax):
            self._window.fax_list.model.upsert(fax)
            self._window.fax_list.select_fax(fax.id)
        else:
            # Show the user the fax they just sent: it is in Sent, not in the Inbox.
            self._select_after_reload = fax.id
            self._window.set_current_view(View.SENT)

    def _on_outbox_upload_progress(self, event: UploadProgress) -> None:
        if not event.total:
            return
        percent = event.done * 100 // event.total
        if self._upload_percent.get(event.entry_id) == percent:
            return
        self._upload_percent[event.entry_id] = percent
        self._window.show_status_message(f"Sending a fax… {percent} %")

    # -- selection and preview ------------------------------------------------------------

    def _on_window_fax_selected(self, fax: Fax | None) -> None:
        self._selected = fax
        self._window.details.set_fax(fax)
        if fax is None:
            self.preview.show_message("Select a fax to preview it.")
            return
        self._tasks.start(self._show_preview(fax), key="preview")

    async def _show_preview(self, fax: Fax) -> None:
        preview = self.preview
        preview.show_message("Loading…")
        try:
            path = await self._faxes.document(fax)
            await preview.show(fax.id, [path], suggested_filename(fax))
        except NotFound:
            if fax.status.is_final:
                preview.show_message("This fax has no stored document.")
            else:
                preview.show_message("The pages appear here once the fax starts sending.")
            return
        except FaxDeskError as exc:
            preview.show_message(f"The preview is not available: {exc}")

    def _on_preview_report(self, text: str, *, error: bool = False) -> None:
        if error:
            self._window.show_error(text)
        else:
            self._window.show_status_message(text)

    # -- download and print ---------------------------------------------------------------

    def _on_window_download_requested(self, faxes: Sequence[Fax]) -> None:
        if faxes:
            self._tasks.start(self._download(list(faxes)), key="download")

    async def _download(self, faxes: list[Fax]) -> None:
        dialog = QFileDialog(self._window, "Save fax as PDF")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        if len(faxes) == 1:
            dialog.setNameFilter("PDF documents (*.pdf)")
            dialog.setDefaultSuffix("pdf")
            dialog.selectFile(suggested_filename(faxes[0]))
        else:
            dialog.setWindowTitle(f"Save {len(faxes)} faxes to a folder")
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
            return
        target = Path(dialog.selectedFiles()[0])
        saved = 0
        for fax in faxes:
            destination = target if len(faxes) == 1 else target / suggested_filename(fax)
            try:
                await self._faxes.save_as(fax, destination)
            except (FaxDeskError, OSError) as exc:
                self._window.show_error(f"Could not save the fax to {destination}: {exc}")
                continue
            saved += 1
        if saved:
            where = target if len(faxes) == 1 else f"{saved} faxes to {target}"
            self._window.show_status_message(f"Saved {where}.")

    def _on_window_print_requested(self, faxes: Sequence[Fax]) -> None:
        if faxes:
            self._tasks.start(self._print(list(faxes)), key="print")

    async def _print(self, faxes: list[Fax]) -> None:
        name = suggested_filename(faxes[0]) if len(faxes) == 1 else "faxes.pdf"
        printer = await choose_printer(self._window, name)
        if printer is None:
            return
        self._window.show_status_message("Printing…")
        job = PrintJob(printer)
        if not job.begin():
            self._window.show_error(
                "The printer could not be opened. Check that it is on, or when printing to a "
                "file, that the file name is one you may write."
            )
            return
        try:
            for fax in faxes:
                path = await self._faxes.document(fax)
                info = await self._renderer.document_info(path)

                async def render(
                    index: int, width: int, rotation: int, path: Path = path
                ) -> QImage:
                    return to_qimage(await self._renderer.render(path, index, width, rotation))

                await job.add_pages(info.page_sizes, render)
        except FaxDeskError as exc:
            self._window.show_error(f"Printing stopped: {exc}")
            return
        finally:
            job.end()
        self._window.show_status_message("Sent to the printer.")


def suggested_filename(fax: Fax) -> str:
    when = fax.create_time.strftime("%Y-%m-%d %H%M") if fax.create_time else "fax"
    other = fax.from_ if fax.direction is Direction.INBOUND else fax.to
    return f"{when} {other.lstrip('+')} {fax.id}.pdf"
