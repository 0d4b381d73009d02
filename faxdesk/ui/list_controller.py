"""The fax list's controller: feeds the list, the view counts and the details, and acts on rows.

The archive answers first: a reload shows its first page of the current view and criteria at
once (offline too), then asks the fax service's list endpoint the same question with explicit
createTime ranges and its own filters (direction, status, number prefix, service), stores what
comes back and merges it in. Scrolling to the end loads the next page: the archive's first, the
service's when the archive has no more. Every load carries a generation number, so a late page
for an old filter is dropped. Whatever else changes a fax (sync, the status tracker, the outbox,
a webhook, the user's flags) comes in through `refresh(ids)`, which asks the archive which of
those faxes the list now shows and where. The actions on selected rows (open, download, save,
print, delete on the service, send again, copy the number, flags, CSV export) run here as tasks;
dialogs are awaited with `open()`, never `exec()`.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from faxdesk.core.contacts import Contact
from faxdesk.core.errors import FaxDeskError, NotFound
from faxdesk.core.models import (
    Direction,
    Document,
    Fax,
    FaxQuery,
    FaxStatus,
    ListFilter,
    SendRequest,
    SortColumn,
)
from faxdesk.core.outbox import user_labels
from faxdesk.core.phone import display, search_prefix
from faxdesk.services.contacts import ContactsService
from faxdesk.services.faxes import FaxService
from faxdesk.services.outbox import Outbox
from faxdesk.services.previews import PageRenderer
from faxdesk.services.sync import SyncReport
from faxdesk.store.archive import Archive, ArchivedFax, failure_text, labels_text
from faxdesk.ui.fax_list import (
    Column,
    ListCriteria,
    format_full_time,
    other_party,
    status_text,
)
from faxdesk.ui.main_window import MainWindow, View
from faxdesk.ui.printing import PrintJob, choose_printer, to_qimage
from faxdesk.ui.tasks import TaskKeeper, dialog_result

log = logging.getLogger(__name__)

#: Rows read from the archive at a time (a few screens).
PAGE_SIZE = 200
#: The service keeps faxes 13 months: asking it further back finds nothing.
SERVICE_HISTORY = timedelta(days=396)
#: An open-ended range still goes to the service with an end (without one it may list only
#: the prior week), this far ahead of the desk's clock, for a service clock that runs ahead.
SERVICE_CLOCK_MARGIN = timedelta(days=1)
#: A name searched for asks the service about this many of the matching contacts' numbers.
MAX_CONTACT_QUERIES = 5

#: The columns each view starts with: what matters there.
VIEW_COLUMNS: dict[View, tuple[Column, ...]] = {
    View.INBOX: (Column.TIME, Column.CONTACT, Column.FROM, Column.PAGES, Column.STATUS),
    View.SENT: (Column.TIME, Column.CONTACT, Column.TO, Column.PAGES, Column.STATUS),
    View.FAILED: (
        Column.TIME,
        Column.DIRECTION,
        Column.CONTACT,
        Column.NUMBER,
        Column.PAGES,
        Column.REASON,
    ),
    # Received and sent together: the number at the other end, whichever way it went.
    View.ALL: (
        Column.TIME,
        Column.DIRECTION,
        Column.CONTACT,
        Column.NUMBER,
        Column.PAGES,
        Column.STATUS,
    ),
}
_ALWAYS = (Column.HANDLED,)

_CSV_HEADER = (
    "Time",
    "Direction",
    "From",
    "To",
    "Contact",
    "Pages",
    "Status",
    "Reason",
    "Price",
    "Labels",
    "Handled",
    "Note",
    "Fax id",
)


@dataclass
class _Pager:
    """One question to the service's list endpoint and the next page to ask for."""

    query: FaxQuery
    next_page: int = 1
    has_more: bool = True


def suggested_filename(fax: Fax) -> str:
    when = fax.create_time.astimezone().strftime("%Y-%m-%d %H%M") if fax.create_time else "fax"
    return f"{when} {other_party(fax).lstrip('+')} {fax.id}.pdf"


def _reads_as_number(text: str) -> bool:
    return any(ch.isdigit() for ch in text) and all(ch.isdigit() or ch in "+-(). /" for ch in text)


def _open_with_system(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _downloads_folder() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return Path(found) if found else Path.home()


class FaxListController(QObject):
    """Drives the window's fax list, view counts and details pane.

    Attributes:
        open_file: opens a PDF in the system's viewer; False when nothing can.
        downloads: the folder Download PDF saves into.
        make_printer: the printer new faxes are printed on without asking (auto-print).
        watch: told about each unfinished fax loaded, to follow its status.
        on_service_error, on_service_answered: told how the service's list answered.
    """

    def __init__(
        self,
        window: MainWindow,
        faxes: FaxService,
        renderer: PageRenderer,
        tasks: TaskKeeper,
        *,
        outbox: Outbox | None = None,
        contacts: ContactsService | None = None,
        default_region: str = "US",
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._faxes = faxes
        self._archive: Archive = faxes.archive
        self._renderer = renderer
        self._tasks = tasks
        self._outbox = outbox
        self._contacts = contacts
        self.default_region = default_region
        self._now = now or (lambda: datetime.now(UTC))
        self.open_file: Callable[[Path], bool] = _open_with_system
        self.downloads: Path = _downloads_folder()
        self.watch: Callable[[Fax], None] = lambda _fax: None
        self.on_service_error: Callable[[FaxDeskError], None] = lambda _exc: None
        self.on_service_answered: Callable[[], None] = lambda: None
        self._generation = 0
        #: The generation of the rows the model holds: until a reload's first page is in, the
        #: model's rows are in the old order, and changes wait for that page instead.
        self._shown = 0
        #: Held from an archive query to the model change it leads to, so the loaded rows
        #: stay the first rows of the archive's answer whatever else changes them meanwhile.
        self._lock = asyncio.Lock()
        self._filter = ListFilter()
        self._pagers: list[_Pager] = []
        self._archive_more = False
        self._select_after_reload: str | None = None
        self._contact_list: list[Contact] = []
        self._contact_names: dict[str, str] = {}
        self._view = window.current_view()
        self._criteria = window.fax_list.criteria
        self._connections: list[tuple[object, Callable[..., None]]] = []
        self._connect()

    # -- wiring --------------------------------------------------------------------------------

    def _connect(self) -> None:
        w = self._window
        self._connections = [
            (w.view_changed, self._on_window_view_changed),
            (w.fax_list.criteria_changed, self._on_fax_list_criteria_changed),
            (w.fax_list.model.sort_requested, self._on_model_sort_requested),
            (w.more_requested, self._on_window_more_requested),
            (w.fax_selected, self._on_window_fax_selected),
            (w.fax_list.current_fax_updated, self._on_fax_list_current_fax_updated),
            (w.fax_activated, self._on_window_fax_activated),
            (w.open_requested, self._on_window_open_requested),
            (w.fetch_requested, self._on_window_fetch_requested),
            (w.download_requested, self._on_window_download_requested),
            (w.print_requested, self._on_window_print_requested),
            (w.delete_content_requested, self._on_window_delete_content_requested),
            (w.resend_requested, self._on_window_resend_requested),
            (w.copy_number_requested, self._on_window_copy_number_requested),
            (w.read_requested, self._on_window_read_requested),
            (w.all_read_requested, self._on_window_all_read_requested),
            (w.handled_requested, self._on_window_handled_requested),
            (w.export_requested, self._on_window_export_requested),
            (w.details.handled_changed, self._on_details_handled_changed),
            (w.details.note_changed, self._on_details_note_changed),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)  # type: ignore[attr-defined]

    def start(self) -> None:
        """Show the current view, the unread counts, and the services to filter by."""
        self._show_columns()
        self.reload()
        self.update_counts()
        self._tasks.start(self._load_services(), key="list-services")

    def stop(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)  # type: ignore[attr-defined]
        self._connections = []

    # -- what the list shows -------------------------------------------------------------------

    def list_filter(self) -> ListFilter:
        """What the archive is asked for: the view, the criteria and the sort order."""
        model = self._window.fax_list.model
        criteria = self._criteria
        after, before = criteria.time_range(self._now())
        text = criteria.text.strip()
        prefixes: tuple[str, ...] = ()
        if _reads_as_number(text):
            prefix = search_prefix(text, self.default_region)
            prefixes = (prefix,) if prefix else ()
        return ListFilter(
            direction=_view_direction(self._view),
            status=FaxStatus.FAILURE if self._view is View.FAILED else criteria.status,
            created_after=after,
            created_before=before,
            service_id=criteria.service_id,
            search=text,
            number_prefixes=prefixes,
            sort=model.sort_column,
            descending=model.descending,
        )

    def service_queries(self) -> list[FaxQuery]:
        """The same question for the service's list endpoint (several for a number or name).

        The endpoint filters "to" and "from" separately and knows nothing of contacts, labels
        or notes: a number asks for it as sender of received and recipient of sent faxes, a
        name for its contacts' numbers, other text only the archive can answer.
        """
        wanted = self.list_filter()
        now = self._now()
        base = FaxQuery(
            direction=wanted.direction,
            status=wanted.status,
            created_after=wanted.created_after or now - SERVICE_HISTORY,
            created_before=wanted.created_before or now + SERVICE_CLOCK_MARGIN,
            service_id=wanted.service_id,
        )
        text = wanted.search
        if not text:
            return [base]
        if wanted.number_prefixes:
            numbers = list(wanted.number_prefixes)
        else:
            key = text.casefold()
            numbers = [
                contact.fax
                for contact in self._contact_list
                if key in contact.name.casefold() or key in contact.company.casefold()
            ][:MAX_CONTACT_QUERIES]
        queries = []
        for number in numbers:
            if base.direction in (None, Direction.OUTBOUND):
                queries.append(replace(base, direction=Direction.OUTBOUND, to_prefix=number))
            if base.direction in (None, Direction.INBOUND):
                queries.append(replace(base, direction=Direction.INBOUND, from_prefix=number))
        return queries

    def empty_text(self) -> str:
        """What the list says when it has no rows, in the words of the current view."""
        if self._criteria.is_filtered:
            return "No faxes match this search or filter."
        match self._view:
            case View.INBOX:
                return "No faxes received yet. Faxes sent to your numbers appear here."
            case View.SENT:
                return "No faxes sent yet. Press Ctrl+N to send one, or drop a PDF here."
            case View.FAILED:
                return "No failed faxes. Faxes that could not be sent or received appear here."
        return "No faxes yet. Press Ctrl+N to send one, or drop a PDF here."

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Start the current view over: the archive's rows at once, then the service's."""
        if self._view is View.OUTBOX:
            return
        self._generation += 1
        self._filter = self.list_filter()
        self._pagers = [_Pager(query) for query in self.service_queries()]
        self._window.fax_list.set_placeholder(self.empty_text())
        self._window.fax_list.set_sort_indicator(self._filter.sort, self._filter.descending)
        self._tasks.cancel("list-more")
        self._tasks.start(self._reload(self._generation), key="list")

    async def _reload(self, generation: int) -> None:
        await self._refresh_contact_names()
        async with self._lock:
            rows = await asyncio.to_thread(self._archive.query, self._filter, limit=PAGE_SIZE)
            if generation != self._generation:
                return
            self._archive_more = len(rows) == PAGE_SIZE
            model = self._window.fax_list.model
            model.set_rows(
                rows,
                self._has_more(),
                sort=self._filter.sort,
                descending=self._filter.descending,
            )
            self._shown = generation
        self._select_pending()
        await self._from_service(generation)
        self._select_pending()

    def _current(self, generation: int) -> bool:
        """Whether `generation` is the one asked for and the one the model shows."""
        return generation == self._generation == self._shown

    def _has_more(self) -> bool:
        return self._archive_more or any(pager.has_more for pager in self._pagers)

    async def _from_service(self, generation: int) -> None:
        """The next page of each question to the service, stored and merged in."""
        fresh: list[Fax] = []
        try:
            for pager in self._pagers:
                if not pager.has_more:
                    continue
                page = await self._faxes.load_page(pager.query, pager.next_page)
                if generation != self._generation:
                    return  # a late page for an old filter
                pager.next_page = page.page + 1
                pager.has_more = page.has_more
                fresh.extend(page.faxes)
        except FaxDeskError as exc:
            if generation == self._generation:
                # The archive's rows stay; scrolling may try the service again.
                self._window.fax_list.model.set_has_more(self._archive_more)
                self.on_service_error(exc)
            return
        self.on_service_answered()
        for fax in fresh:
            if not fax.status.is_final:
                self.watch(fax)
        await self._merge(generation, [fax.id for fax in fresh])

    async def _merge(self, generation: int, fax_ids: Sequence[str]) -> None:
        if not fax_ids:
            if self._current(generation):
                self._window.fax_list.model.set_has_more(self._has_more())
            return
        async with self._lock:
            await self._merge_locked(generation, fax_ids)

    async def _merge_locked(self, generation: int, fax_ids: Sequence[str]) -> None:
        rows = await asyncio.to_thread(self._archive.matching, self._filter, fax_ids)
        if not self._current(generation):
            return
        model = self._window.fax_list.model
        # Those that sort among the loaded rows go in now; the others come after them.
        model.apply(rows)
        if fax_ids:
            self.update_counts()  # what came may be news
        if self._archive_more:
            model.set_has_more(self._has_more())
            return
        # The archive had nothing beyond the loaded rows before: now it may.
        tail = await asyncio.to_thread(
            self._archive.query, self._filter, limit=PAGE_SIZE, after=model.last_key()
        )
        if self._current(generation):
            self._archive_more = len(tail) == PAGE_SIZE
            model.append_rows(tail, self._has_more())

    async def _load_more(self, generation: int) -> None:
        model = self._window.fax_list.model
        async with self._lock:
            rows = await asyncio.to_thread(
                self._archive.query, self._filter, limit=PAGE_SIZE, after=model.last_key()
            )
            if not self._current(generation):
                return
            self._archive_more = len(rows) == PAGE_SIZE
            model.append_rows(rows, self._has_more())
        if self._archive_more or not any(pager.has_more for pager in self._pagers):
            return
        await self._from_service(generation)

    def refresh(self, fax_ids: Iterable[str]) -> None:
        """These faxes changed in the archive: show them as they are now, where they belong."""
        ids = list(dict.fromkeys(fax_ids))
        if ids and self._view is not View.OUTBOX:
            self._tasks.start(self._refresh(self._generation, ids))
        self.update_counts()

    async def _refresh(self, generation: int, fax_ids: list[str]) -> None:
        async with self._lock:
            rows = await asyncio.to_thread(self._archive.matching, self._filter, fax_ids)
            if not self._current(generation):
                return  # the reload in progress reads these as they are now
            found = {row.fax.id for row in rows}
            self._window.fax_list.model.apply(
                rows, removed=[fax_id for fax_id in fax_ids if fax_id not in found]
            )
        current = self._window.fax_list.current_row()
        if current is not None and current.fax.id in found:
            self._window.details.set_row(current)

    def apply_report(self, report: SyncReport) -> None:
        """What sync changed: refresh those rows; say what the user can fix."""
        self.refresh(report.touched)
        for problem in report.problems:
            self._window.show_error(problem)

    def show_fax(self, fax: Fax) -> None:
        """Select `fax` (just sent), switching to Sent when the current view does not show it."""
        self._tasks.start(self._show_fax(fax))

    async def _show_fax(self, fax: Fax) -> None:
        generation = self._generation
        async with self._lock:
            shown = await asyncio.to_thread(self._archive.matching, self._filter, [fax.id])
            if self._current(generation) and shown and self._view is not View.OUTBOX:
                self._window.fax_list.model.apply(shown)
                self._window.fax_list.select_fax(fax.id)
                return
        self._select_after_reload = fax.id
        self._window.set_current_view(View.SENT)

    def _select_pending(self) -> None:
        fax_id = self._select_after_reload
        if fax_id is not None and self._window.fax_list.select_fax(fax_id):
            self._select_after_reload = None

    def update_counts(self) -> None:
        """Show the unread counts beside the views (they change with anything that arrives)."""
        self._tasks.start(self._update_counts(), key="counts")

    async def _update_counts(self) -> None:
        counts = await asyncio.to_thread(self._archive.unread_counts)
        self._window.set_view_count(View.INBOX, counts.inbound)
        self._window.set_view_count(View.FAILED, counts.failed)
        self._window.set_view_count(View.ALL, counts.total)

    async def _refresh_contact_names(self) -> None:
        if self._contacts is None:
            return
        try:
            self._contact_list = await self._contacts.all()
        except FaxDeskError as exc:
            log.warning("The phonebook could not be read: %s", exc)
            return
        names = {contact.fax: contact.label for contact in self._contact_list if contact.fax}
        if names != self._contact_names:
            had_names = bool(self._contact_names)
            self._contact_names = names
            await asyncio.to_thread(self._archive.set_contact_names, names)
            if had_names != bool(names):
                self._show_columns()

    async def _load_services(self) -> None:
        try:
            services = await self._faxes.api.list_services()
        except FaxDeskError as exc:
            log.info("The services could not be listed for the filter: %s", exc)
            return
        pairs = [(service.id, service.name) for service in services]
        self._window.fax_list.set_services(pairs)
        self._window.details.set_service_names(dict(pairs))

    def _show_columns(self) -> None:
        columns = VIEW_COLUMNS.get(self._view)
        if columns is None:
            return
        if not self._contact_names:
            # An empty phonebook would leave the column empty: the numbers need the room.
            columns = tuple(column for column in columns if column != Column.CONTACT)
        self._window.fax_list.set_visible_columns((*columns, *_ALWAYS))

    # -- the window's signals ------------------------------------------------------------------

    def _on_window_view_changed(self, view: View) -> None:
        self._view = view
        if view is View.OUTBOX:
            return  # the outbox view is fed by the outbox, not by the list
        self._window.fax_list.status_combo.setEnabled(view is not View.FAILED)
        self._show_columns()
        self.reload()

    def _on_fax_list_criteria_changed(self, criteria: ListCriteria) -> None:
        self._criteria = criteria
        self.reload()

    def _on_model_sort_requested(self, _sort: SortColumn, _descending: bool) -> None:
        self.reload()

    def _on_window_more_requested(self) -> None:
        self._tasks.start(self._load_more(self._generation), key="list-more")

    def _on_window_fax_selected(self, fax: Fax | None) -> None:
        if fax is None:
            return
        row = self._window.fax_list.current_row()
        self._window.details.set_row(row)
        self._tasks.start(self._opened(fax.id, row), key="opened")

    def _on_fax_list_current_fax_updated(self, fax: Fax) -> None:
        self._window.details.set_row(self._window.fax_list.current_row())
        # A new status is a new step of the timeline.
        self._tasks.start(self._show_history(fax.id), key="history")

    async def _opened(self, fax_id: str, row: ArchivedFax | None) -> None:
        """A fax was opened: mark it read, and show what this desk saw happen to it."""
        if row is not None and row.unread:
            await asyncio.to_thread(self._archive.set_unread, [fax_id], False)
            self.refresh([fax_id])
        await self._show_history(fax_id)

    async def _show_history(self, fax_id: str) -> None:
        history = await asyncio.to_thread(self._archive.status_history, fax_id)
        self._window.details.set_history(fax_id, history)

    def _on_window_fax_activated(self, fax: Fax) -> None:
        self._tasks.start(self._open([fax]), key="open")

    def _on_window_open_requested(self, faxes: Sequence[Fax]) -> None:
        self._tasks.start(self._open(list(faxes)), key="open")

    def _on_window_fetch_requested(self, faxes: Sequence[Fax]) -> None:
        self._tasks.start(self._fetch(list(faxes)), key="fetch")

    def _on_window_download_requested(self, faxes: Sequence[Fax]) -> None:
        if faxes:
            self._tasks.start(self._save_as(list(faxes)), key="download")

    def _on_window_print_requested(self, faxes: Sequence[Fax]) -> None:
        if faxes:
            self._tasks.start(self._print(list(faxes)), key="print")

    def _on_window_delete_content_requested(self, faxes: Sequence[Fax]) -> None:
        self._tasks.start(self._delete_content(list(faxes)), key="delete-content")

    def _on_window_resend_requested(self, faxes: Sequence[Fax]) -> None:
        self._tasks.start(self._resend(list(faxes)), key="resend")

    def _on_window_copy_number_requested(self, faxes: Sequence[Fax]) -> None:
        numbers = list(dict.fromkeys(other_party(fax) for fax in faxes if other_party(fax)))
        if not numbers:
            return
        QGuiApplication.clipboard().setText("\n".join(numbers))
        shown = ", ".join(display(number) for number in numbers)
        self._window.show_status_message(f"Copied {shown}.")

    def _on_window_read_requested(self, faxes: Sequence[Fax], read: bool) -> None:
        self._tasks.start(self._set_read([fax.id for fax in faxes], read))

    def _on_window_all_read_requested(self) -> None:
        self._tasks.start(self._all_read())

    def _on_window_handled_requested(self, faxes: Sequence[Fax], handled: bool) -> None:
        self._tasks.start(self._set_handled([fax.id for fax in faxes], handled))

    def _on_window_export_requested(self) -> None:
        self._tasks.start(self._export(), key="export")

    def _on_details_handled_changed(self, fax_id: str, handled: bool) -> None:
        self._tasks.start(self._set_handled([fax_id], handled))

    def _on_details_note_changed(self, fax_id: str, note: str) -> None:
        self._tasks.start(self._set_note(fax_id, note))

    # -- flags ---------------------------------------------------------------------------------

    async def _set_read(self, fax_ids: list[str], read: bool) -> None:
        changed = await asyncio.to_thread(self._archive.set_unread, fax_ids, not read)
        self.refresh(changed)

    async def _all_read(self) -> None:
        count = await asyncio.to_thread(self._archive.mark_all_read, self._filter)
        plural = "es" if count != 1 else ""
        self._window.show_status_message(
            f"Marked {count} fax{plural} as read." if count else "Nothing here is unread."
        )
        self.reload()
        self.update_counts()

    async def _set_handled(self, fax_ids: list[str], handled: bool) -> None:
        for fax_id in fax_ids:
            await asyncio.to_thread(self._archive.set_handled, fax_id, handled)
        self.refresh(fax_ids)

    async def _set_note(self, fax_id: str, note: str) -> None:
        row = await asyncio.to_thread(self._archive.row, fax_id)
        if row is None:
            return
        await asyncio.to_thread(self._archive.set_handled, fax_id, row.handled, note)
        self.refresh([fax_id])

    # -- documents -----------------------------------------------------------------------------

    async def _document(self, fax: Fax) -> Path | None:
        """The fax's PDF on this computer, or None after saying why there is none."""
        try:
            return await self._faxes.document(fax)
        except NotFound:
            self._window.show_error(
                f"The fax {_named(fax)} has no document on the fax service"
                + (" (it was deleted)." if not fax.has_file else ".")
            )
        except FaxDeskError as exc:
            self._window.show_error(f"The document of the fax {_named(fax)} is not here: {exc}")
        return None

    async def _open(self, faxes: list[Fax]) -> None:
        for fax in faxes[:10]:
            path = await self._document(fax)
            if path is not None and not self.open_file(path):
                self._window.show_error(
                    f"No program on this computer opens PDF files; the fax is at {path}."
                )
                return

    async def _fetch(self, faxes: list[Fax]) -> None:
        """Download PDF: into the Downloads folder, without asking, never over another file."""
        saved: list[Path] = []
        for fax in faxes:
            if await self._document(fax) is None:
                continue
            target = await asyncio.to_thread(_free_name, self.downloads / suggested_filename(fax))
            try:
                await self._faxes.save_as(fax, target)
            except (FaxDeskError, OSError) as exc:
                self._window.show_error(f"Could not save the fax to {target}: {exc}")
                continue
            saved.append(target)
        if len(saved) == 1:
            self._window.show_status_message(f"Saved {saved[0]}.")
        elif saved:
            self._window.show_status_message(f"Saved {len(saved)} faxes to {self.downloads}.")

    async def _save_as(self, faxes: list[Fax]) -> None:
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
        try:
            if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
                return
            target = Path(dialog.selectedFiles()[0])
        finally:
            dialog.deleteLater()
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

    async def _print(self, faxes: list[Fax]) -> None:
        name = suggested_filename(faxes[0]) if len(faxes) == 1 else "faxes.pdf"
        printer = await choose_printer(self._window, name)
        if printer is not None:
            await self.print_on(printer, faxes)

    async def print_on(self, printer: QPrinter, faxes: Sequence[Fax]) -> bool:
        """Print `faxes` on `printer` without asking; True when every page went out."""
        paths = []
        for fax in faxes:
            path = await self._document(fax)
            if path is not None:
                paths.append(path)
        if not paths:
            return False
        self._window.show_status_message("Printing…")
        job = PrintJob(printer)
        if not job.begin():
            self._window.show_error(
                "The printer could not be opened. Check that it is on, or when printing to a "
                "file, that the file name is one you may write."
            )
            return False
        try:
            for path in paths:
                info = await self._renderer.document_info(path)

                async def render(
                    index: int, width: int, rotation: int, source: Path = path
                ) -> QImage:
                    return to_qimage(await self._renderer.render(source, index, width, rotation))

                await job.add_pages(info.page_sizes, render)
        except FaxDeskError as exc:
            self._window.show_error(f"Printing stopped: {exc}")
            return False
        finally:
            job.end()
        self._window.show_status_message("Sent to the printer.")
        return True

    # -- on the service ------------------------------------------------------------------------

    async def _confirm(self, title: str, text: str, detail: str, action: str) -> bool:
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setText(text)
        box.setInformativeText(detail)
        go = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        try:
            await dialog_result(box)
            return box.clickedButton() is go
        finally:
            box.deleteLater()

    async def _delete_content(self, faxes: list[Fax]) -> None:
        stored = [fax for fax in faxes if fax.has_file]
        if not stored:
            self._window.show_status_message("The fax service holds no document for these faxes.")
            return
        what = f"the fax {_named(stored[0])}" if len(stored) == 1 else f"{len(stored)} faxes"
        if not await self._confirm(
            "Delete on the fax service",
            f"Delete the document of {what} on the fax service?",
            "The fax stays in the list with its details, but the service no longer keeps its "
            "pages. The copy on this computer, if there is one, is kept. This cannot be undone.",
            "Delete",
        ):
            return
        deleted = []
        for fax in stored:
            try:
                await self._faxes.delete_content(fax)
            except FaxDeskError as exc:
                self._window.show_error(f"The document of {_named(fax)} was not deleted: {exc}")
                continue
            deleted.append(fax.id)
        self.refresh(deleted)
        if deleted:
            self._window.show_status_message(
                "Deleted the document on the fax service."
                if len(deleted) == 1
                else f"Deleted the documents of {len(deleted)} faxes on the fax service."
            )

    async def _resend(self, faxes: list[Fax]) -> None:
        outbox = self._outbox
        sent = [fax for fax in faxes if fax.direction == Direction.OUTBOUND]
        if outbox is None or not sent:
            self._window.show_status_message("Only sent faxes can be sent again.")
            return
        numbers = ", ".join(dict.fromkeys(display(fax.to) for fax in sent))
        if not await self._confirm(
            "Send again",
            f"Send {'this fax' if len(sent) == 1 else f'these {len(sent)} faxes'} again to "
            f"{numbers}?",
            "Each goes out as a new fax, through the Outbox, and is charged again.",
            "Send again",
        ):
            return
        entries = {entry.fax_id: entry for entry in await outbox.entries() if entry.fax_id}
        queued = 0
        for fax in sent:
            try:
                entry = entries.get(fax.id)
                if entry is not None and entry.can_resend:
                    # A failed fax of this desk's outbox: its documents are still there.
                    await outbox.resend(entry.id)
                else:
                    path = await self._document(fax)
                    if path is None:
                        continue
                    await outbox.submit(_again(fax, path))
            except FaxDeskError as exc:
                self._window.show_error(f"The fax to {display(fax.to)} was not sent again: {exc}")
                continue
            queued += 1
        if queued:
            self._window.show_status_message(
                f"{queued} fax{'es are' if queued > 1 else ' is'} in the Outbox to go again."
            )

    # -- export --------------------------------------------------------------------------------

    async def _export(self) -> None:
        dialog = QFileDialog(self._window, "Export this list to CSV")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(f"faxes {self._now().astimezone():%Y-%m-%d}.csv")
        try:
            if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
                return
            target = Path(dialog.selectedFiles()[0])
        finally:
            dialog.deleteLater()
        try:
            count = await asyncio.to_thread(export_csv, self._archive, self._filter, target)
        except OSError as exc:
            self._window.show_error(f"The list could not be written to {target}: {exc}")
            return
        self._window.show_status_message(
            f"Exported {count} fax{'es' if count != 1 else ''} to {target}."
        )


def export_csv(archive: Archive, query: ListFilter, target: Path) -> int:
    """Write every fax `query` selects (not only the loaded rows) to a CSV file, atomically.

    Blocking: call it off the event loop. Returns how many faxes were written.
    """
    fd, temp = tempfile.mkstemp(prefix=".faxdesk-", suffix=".csv", dir=target.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(_CSV_HEADER)
            offset = 0
            while rows := archive.query(query, offset=offset, limit=2000):
                for row in rows:
                    writer.writerow(_csv_row(row))
                count += len(rows)
                offset += len(rows)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count


def _csv_row(row: ArchivedFax) -> tuple[str, ...]:
    fax = row.fax
    when = fax.create_time.astimezone().isoformat(timespec="seconds") if fax.create_time else ""
    return tuple(
        _safe_cell(value)
        for value in (
            when,
            "received" if fax.direction == Direction.INBOUND else "sent",
            fax.from_,
            fax.to,
            row.contact_name,
            str(fax.number_of_pages),
            status_text(fax),
            failure_text(fax) if fax.status == FaxStatus.FAILURE else "",
            str(fax.price) if fax.price else "",
            labels_text(fax.labels),
            "yes" if row.handled else "",
            row.note,
            fax.id,
        )
    )


def _safe_cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula; numbers start with +.
    if text[:1] in ("=", "@") or (text[:1] in ("+", "-") and not text[1:].isdigit()):
        return f"'{text}"
    return text


def _view_direction(view: View) -> Direction | None:
    return {View.INBOX: Direction.INBOUND, View.SENT: Direction.OUTBOUND}.get(view)


def _named(fax: Fax) -> str:
    when = format_full_time(fax.create_time)
    other = display(other_party(fax)) if other_party(fax) else fax.id
    return f"{'from' if fax.direction == Direction.INBOUND else 'to'} {other}" + (
        f" of {when}" if when else ""
    )


def _free_name(path: Path) -> Path:
    """`path`, or "name (2).pdf" and so on when a file is already there."""
    candidate = path
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        number += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    return candidate


def _again(fax: Fax, document: Path) -> SendRequest:
    """A new send of a sent fax's document to the same number, with its options."""
    # The outbox gives the new send a submission label of its own.
    labels = user_labels(fax.labels)
    return SendRequest(
        to=(fax.to,),
        documents=(Document(document),),
        from_=fax.from_ or None,
        header_text=fax.header_text or None,
        header_page_numbers=fax.header_page_numbers,
        header_time_zone=fax.header_time_zone or None,
        resolution=fax.resolution,
        image_conversion_method=fax.image_conversion_method,
        labels=labels,
        service_id=fax.service_id or None,
    )
