"""The main window's controller: turns the widgets' intents into service calls.

Widgets only announce what the user wants (signals carrying domain objects); this QObject owns
the async work, feeds the preview, and reports failures next to where the user acted. The fax
list, its views, the details pane and the actions on rows belong to `FaxListController`, which
this one starts and tells about faxes that changed. All network and disk work runs as tasks on
the qasync loop, and rendering runs in worker processes (`PageRenderer`), so the window never
freezes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from faxdesk.config import settings as settings_io
from faxdesk.config.secrets import keyring_available, set_webhook_password
from faxdesk.config.settings import Settings
from faxdesk.core.errors import (
    AuthError,
    ConfigError,
    DocumentError,
    FaxDeskError,
    NotFound,
    Offline,
)
from faxdesk.core.failures import describe_failure
from faxdesk.core.models import Fax, FaxStatus, SendRequest
from faxdesk.core.outbox import (
    EntryChanged,
    OutboxEntry,
    OutboxEvent,
    OutboxState,
    UploadProgress,
    WaitingChanged,
)
from faxdesk.core.phone import display
from faxdesk.services.contacts import ContactsService
from faxdesk.services.faxes import FaxService
from faxdesk.services.outbox import Outbox
from faxdesk.services.previews import PageRenderer, PreviewJob
from faxdesk.services.sync import FaxSync
from faxdesk.services.tracking import StatusTracker
from faxdesk.ui.composer import ComposerDialog
from faxdesk.ui.composer_support import ComposerSupport
from faxdesk.ui.contacts_dialog import ContactsPresenter
from faxdesk.ui.list_controller import FaxListController, suggested_filename
from faxdesk.ui.main_window import MainWindow, View
from faxdesk.ui.outbox_view import OutboxPresenter, UndoSendBar
from faxdesk.ui.preview_feed import PreviewFeed
from faxdesk.ui.receiving_page import ReceivingPage
from faxdesk.ui.settings_dialog import SettingsDialog
from faxdesk.ui.tasks import TaskKeeper

log = logging.getLogger(__name__)

#: A preview begun for a fax, and the width its first page is rendered at.
PreviewStarted = tuple[PreviewJob, int | None]


class MainController(QObject):
    """Drives a MainWindow from a FaxService, and sends through the Outbox.

    Attributes:
        tracker: follows unfinished faxes to their final status (the outbox follows its own).
        outbox: the durable background sender every Send goes through.
        settings: the preferences in force; the Settings dialog changes them, and they are
            saved to `settings_file` (not saved when that is None).
        preview: feeds the window's preview pane with rendered pages.
        fax_list: feeds the fax list, the view counts and the details, and acts on rows.
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
        sync: FaxSync | None = None,
    ) -> None:
        super().__init__(window)
        #: Keeps the archive in step with the service; without it the list asks on a timer.
        self.sync = sync
        #: Told about settings the user changed, after the controller's own parts are.
        self.settings_listeners: list[Callable[[Settings], None]] = []
        self.settings = (
            settings if settings is not None else Settings(default_region=default_region)
        )
        self._settings_file = settings_file
        self._settings_dialog: SettingsDialog | None = None
        #: The Settings dialog's Receiving page, once the dialog was opened.
        self.receiving_page: ReceivingPage | None = None
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
        self._selected: Fax | None = None
        #: The first page of the fax selected last, begun at once (see `_start_preview`).
        self._preview_started: PreviewStarted | None = None
        #: Whether the preview and details follow the Outbox view (not the list) just now.
        self._showing_outbox = window.current_view() is View.OUTBOX
        self._online: bool | None = None
        self.preview = PreviewFeed(window.preview, renderer, tasks, self)
        #: Undo for the Send just made, in the status bar while its undo window lasts.
        self.undo_bar = UndoSendBar(window)
        window.statusBar().insertPermanentWidget(0, self.undo_bar)
        self.outbox_presenter = OutboxPresenter(
            window.outbox_view, outbox, tasks, self, undo_bar=self.undo_bar
        )
        self.contacts = (
            ContactsPresenter(window, self._composer, contacts, faxes, tasks)
            if contacts is not None
            else None
        )
        self.preview.report = self._on_preview_report
        self.fax_list = FaxListController(
            window,
            faxes,
            renderer,
            tasks,
            outbox=outbox,
            contacts=contacts,
            default_region=default_region,
        )
        self.fax_list.watch = self._watch
        self.fax_list.on_service_error = self._report_connection_error
        self.fax_list.on_service_answered = self._set_connection_online
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
            (w.fax_selected, self._on_window_fax_selected),
            (w.view_changed, self._on_window_view_changed),
            (w.outbox_view.entry_selected, self._on_outbox_view_entry_selected),
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
        self.fax_list.start()
        self._refresh_timer.start()

    def stop(self) -> None:
        """Stop listening to the window and its timers; the session then closes the tasks."""
        self._refresh_timer.stop()
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        self.fax_list.stop()
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

    # -- the list -------------------------------------------------------------------------

    def reload(self) -> None:
        """Show the current view over again, from the archive and then the service."""
        self.fax_list.reload()

    def _watch(self, fax: Fax) -> None:
        # The outbox follows the faxes it sent; asking for them twice would only cost requests.
        if not self.outbox.tracks(fax.id):
            self.tracker.watch(fax)

    def _on_window_refresh_requested(self) -> None:
        self.reload()
        # Refresh means "try now": faxes waiting for the service stop waiting too, and new
        # faxes are fetched without waiting for the next check.
        self.outbox.retry_now()
        if self.sync is not None:
            self.sync.trigger()
        self._tasks.start(self.check_connection(), key="ping")

    def _on_refresh_timer_timeout(self) -> None:
        # Without sync (tests, a session that has none), the list asks the service itself.
        if self.sync is None:
            self.reload()

    def _on_tracker_update(self, fax: Fax) -> None:
        self.fax_list.refresh([fax.id])
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

    def fax_completed(self, fax: Fax) -> None:
        """The service said a fax finished (a FAX_COMPLETED webhook): the outbox may track it."""
        self._tasks.start(self.outbox.fax_updated(fax))
        self._on_tracker_update(fax)

    def report_sync_error(self, exc: FaxDeskError) -> None:
        """A sync pass failed: the connection indicator says so (the next pass tries again)."""
        if isinstance(exc, Offline | AuthError):
            self._report_connection_error(exc)
        else:
            log.warning("Sync failed: %s", exc)
            self._window.show_status_message(f"Checking for new faxes failed: {exc}", 10_000)

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
            # Faxes waiting for the service go now, not when their backoff ends.
            self.outbox.retry_now()
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
            self.receiving_page = ReceivingPage()
            self._settings_dialog.add_page(self.receiving_page)
            self._tasks.start(self._check_keyring(self.receiving_page), key="keyring")
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
        password = self.receiving_page.take_password() if self.receiving_page else ""
        if password:
            username = edited.receiving.webhook.username
            self._tasks.start(self._save_webhook_password(username, password))

    async def _check_keyring(self, page: ReceivingPage) -> None:
        # Asking the keyring may wait on the desktop's secret service: off the loop.
        page.set_keyring_available(await asyncio.to_thread(keyring_available))

    async def _save_webhook_password(self, username: str, password: str) -> None:
        try:
            await asyncio.to_thread(set_webhook_password, username, password)
        except ConfigError as exc:
            self._window.show_error(str(exc))
            return
        self._window.show_status_message(
            "The webhook password is kept in the system keyring; it applies when FaxDesk "
            "starts again."
        )

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
        self._window.outbox_view.default_region = settings.default_region
        if self.contacts is not None:
            self.contacts.default_region = settings.default_region
        self.fax_list.default_region = settings.default_region
        for listener in self.settings_listeners:
            listener(settings)

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
            # The undo bar counts down and offers Undo (Alt+U) until the fax goes out.
            self.outbox_presenter.offer_undo(entries)
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
        # Select the new fax in the list, unless the user is watching it in the Outbox.
        shown = entry.batch_id in self._to_show and self._window.current_view() is not View.OUTBOX
        self._to_show.discard(entry.batch_id)
        self._tasks.start(self._remember_sent(fax, shown))

    async def _remember_sent(self, fax: Fax, show: bool) -> None:
        # Into the archive first: the list shows what the archive holds.
        await self._faxes.remember([fax])
        if show:
            self._window.show_status_message(f"Fax to {display(fax.to)} accepted by the service.")
            self._show_sent(fax)
        self._on_tracker_update(fax)

    def _show_sent(self, fax: Fax) -> None:
        """Select the fax the user just sent, switching to Sent if the view does not show it."""
        self.fax_list.show_fax(fax)

    def _on_outbox_upload_progress(self, event: UploadProgress) -> None:
        if not event.total:
            return
        percent = event.done * 100 // event.total
        if self._upload_percent.get(event.entry_id) == percent:
            return
        self._upload_percent[event.entry_id] = percent
        self._window.show_status_message(f"Sending a fax… {percent} %")

    # -- selection and preview ------------------------------------------------------------

    def _on_window_view_changed(self, view: View) -> None:
        if view is View.OUTBOX:
            # The preview and details speak of the Outbox's selection, not the list's.
            self._showing_outbox = True
            self._on_outbox_view_entry_selected(self._window.outbox_view.selected_entry())
        elif self._showing_outbox:
            # Back in a list: they follow its selection again.
            self._showing_outbox = False
            self._on_window_fax_selected(self._window.fax_list.current_fax())

    def _on_outbox_view_entry_selected(self, entry: OutboxEntry | None) -> None:
        if self._window.current_view() is not View.OUTBOX:
            return
        self._tasks.start(self._show_entry(entry), key="preview")

    async def _show_entry(self, entry: OutboxEntry | None) -> None:
        """Show the Outbox's selected entry: its fax once there is one, else its documents."""
        fax = None
        if entry is not None and entry.fax_id:
            fax = await asyncio.to_thread(self._faxes.archive.get, entry.fax_id)
        if fax is not None:
            self._selected = fax
            self._window.details.set_fax(fax)
            if self._window.preview.key != fax.id:
                await self._show_preview(fax)
            return
        self._selected = None
        self._window.details.set_fax(None)
        preview = self.preview
        if entry is None:
            preview.show_message("Select a fax to preview it.")
            return
        if self._window.preview.key == f"outbox-{entry.id}":
            return  # shown already; its state changed, not its pages
        paths = [document.path for document in entry.request.documents]
        exist = await asyncio.to_thread(lambda: all(path.is_file() for path in paths))
        if not exist:
            preview.show_message("The documents of this fax are no longer in the outbox.")
            return
        try:
            await preview.show(f"outbox-{entry.id}", paths)
        except FaxDeskError as exc:
            preview.show_message(f"The preview is not available: {exc}")

    def _on_window_fax_selected(self, fax: Fax | None) -> None:
        self._selected = fax
        if fax is None:
            self._window.details.set_fax(fax)
            self._drop_preview_started()
            self.preview.show_message("Select a fax to preview it.")
            return
        # The first page is rendered while the details are filled in and the window repaints.
        self._tasks.start(self._show_preview(fax, self._start_preview(fax)), key="preview")
        self._window.details.set_fax(fax)

    def _start_preview(self, fax: Fax) -> PreviewStarted:
        """Begin rendering the first page of `fax` in the worker now, in place of the last."""
        self._drop_preview_started()
        # This also stops rendering the fax shown before: the worker's next job is this one.
        self.preview.show_message("Loading…")
        width = self.preview.first_page_width()
        job = self._renderer.start_preview(partial(self._faxes.stored_file, fax.id), width)
        self._preview_started = (job, width)
        return job, width

    def _drop_preview_started(self) -> None:
        if self._preview_started is not None:
            self._preview_started[0].cancel()
            self._preview_started = None

    async def _show_preview(self, fax: Fax, started: PreviewStarted | None = None) -> None:
        """Show the fax's pages: from the archive, else once downloaded."""
        preview = self.preview
        job, width = started or self._start_preview(fax)
        name = suggested_filename(fax)
        try:
            found = await job.result()
            if found is not None:
                path, start = found
                if not preview.show_started(fax.id, path, start, width, name):
                    await preview.show(fax.id, [path], name)
                return
            path = await self._faxes.document(fax)
            await preview.show(fax.id, [path], name)
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
