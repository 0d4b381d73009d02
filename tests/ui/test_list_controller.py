"""The fax list driven through its real widgets, on a real archive and an in-process sandbox.

Filters typed and picked, scrolling to load more, sorting by a header and then acting on the
row the user sees, the details pane, flags, and the actions that go to the service. Faults the
sandbox never gives on its own (a service that cannot be reached, a slow answer) come from
`tests.fakes.faults.FaultyTransport`.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.api.retries import RetryPolicy
from faxdesk.api.wire import fax_from_wire
from faxdesk.config.paths import Paths
from faxdesk.core.contacts import Contact
from faxdesk.core.models import (
    TEST_NUMBER,
    Direction,
    ErrorType,
    Fax,
    FaxStatus,
    ListFilter,
)
from faxdesk.core.outbox import SUBMISSION_LABEL
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from faxdesk.services.contacts import ContactsService
from faxdesk.services.faxes import FaxService
from faxdesk.services.outbox import Outbox
from faxdesk.services.previews import PageRenderer
from faxdesk.store.archive import Archive
from faxdesk.store.contacts import ContactBook
from faxdesk.store.outbox import OutboxStore
from faxdesk.ui.fax_list import Column
from faxdesk.ui.list_controller import PAGE_SIZE, FaxListController
from faxdesk.ui.main_window import MainWindow, View
from faxdesk.ui.tasks import TaskKeeper
from tests.fakes.faults import Fault, FaultyTransport
from tests.services.outbox_support import FAST
from tests.waiting import until


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


QUICK_RETRIES = RetryPolicy(attempts=2, base_delay=0, max_delay=0, sleep=_no_sleep)


@dataclass
class Desk:
    window: MainWindow
    controller: FaxListController
    archive: Archive
    local: LocalSandbox
    faults: FaultyTransport
    outbox: Outbox
    errors: list[BaseException]
    contacts: ContactsService
    opened: list[Path] = field(default_factory=list)

    @property
    def model(self):
        return self.window.fax_list.model

    def ids(self) -> list[str]:
        return list(self.model.ids())

    async def inject(self, **body) -> list[Fax]:
        async with httpx.AsyncClient(transport=self.local.transport, auth=self.local.auth) as http:
            answer = await http.post(f"{self.local.origin}/sandbox/inbound", json=body)
        assert answer.status_code == 200, answer.text
        return [fax_from_wire(fax) for fax in answer.json()["faxes"]]

    async def settled(self) -> None:
        """Wait until the list has asked the service and merged what came back."""
        await until(lambda: self.controller._tasks._keyed.get("list") is None)


@pytest.fixture
def desk(qtbot, qloop, paths: Paths, tmp_path: Path) -> Iterator[Desk]:
    stack = contextlib.AsyncExitStack()
    local = qloop.run_until_complete(
        stack.enter_async_context(in_process_sandbox(SandboxConfig(time_scale=0.01)))
    )
    faults = FaultyTransport(local.transport, sends_only=False)
    http = create_http_client(transport=faults)
    api = FaxApiClient(
        http,
        base_url=local.origin,
        project_id=local.config.project_id,
        auth=BasicAuth(local.config.key_id, local.config.key_secret),
        retry=QUICK_RETRIES,
    )
    archive = Archive(paths.archive_db("test"))
    book = ContactBook(paths.contacts_db)
    contacts = ContactsService(book)
    outbox_store = OutboxStore(paths.outbox_db("test"))
    outbox = Outbox(api, outbox_store, paths.outbox_dir("test"), timing=FAST)
    renderer = PageRenderer()
    errors: list[BaseException] = []
    tasks = TaskKeeper(on_error=errors.append)
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    faxes = FaxService(api, archive, paths.documents_dir)
    controller = FaxListController(window, faxes, renderer, tasks, outbox=outbox, contacts=contacts)
    built = Desk(window, controller, archive, local, faults, outbox, errors, contacts)
    controller.open_file = lambda path: built.opened.append(path) or True
    controller.downloads = tmp_path / "Downloads"
    yield built
    controller.stop()
    qloop.run_until_complete(tasks.close())
    qloop.run_until_complete(http.aclose())
    qloop.run_until_complete(stack.aclose())
    renderer.shutdown()
    archive.close()
    book.close()
    outbox_store.close()
    assert errors == []


def _sent(fax_id: str, minutes_ago: float, **fields) -> Fax:
    values = {
        "direction": Direction.OUTBOUND,
        "status": FaxStatus.COMPLETED,
        "to": "+14155550100",
        "from_": "+19898989898",
        "create_time": datetime.now(UTC) - timedelta(minutes=minutes_ago),
        "number_of_pages": 1,
    }
    values.update(fields)
    return Fax(id=fax_id, **values)


def _click_header(qtbot, window: MainWindow, column: Column) -> None:
    header = window.fax_list.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def _click_row(qtbot, window: MainWindow, row: int) -> None:
    table = window.fax_list.table
    rect = table.visualRect(window.fax_list.proxy.index(row, Column.TIME))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _visible(kind: type[QWidget]) -> QWidget | None:
    return next(
        (w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()),
        None,
    )


def test_the_archive_answers_first_and_offline(desk: Desk, qloop) -> None:
    desk.archive.upsert([_sent("known-1", 60), _sent("known-2", 30)])
    desk.faults.down = True

    async def scenario() -> None:
        desk.controller.start()
        await until(lambda: desk.ids() == ["known-2", "known-1"])
        await desk.settled()

    qloop.run_until_complete(scenario())
    assert desk.ids() == ["known-2", "known-1"]
    assert desk.faults.counts[Fault.REFUSED] > 0


def test_the_service_fills_in_what_the_archive_lacks(desk: Desk, qloop) -> None:
    desk.archive.upsert([_sent("known", 1)])

    async def scenario() -> None:
        arrived = await desk.inject(count=3)
        desk.controller.start()
        await until(lambda: len(desk.ids()) == 4)
        assert set(desk.ids()) == {"known", *(fax.id for fax in arrived)}
        # Newest first across both.
        times = [desk.model.fax_at(row).create_time for row in range(4)]
        assert times == sorted(times, reverse=True)
        # Received since this desk started: unread, counted beside the views.
        await until(lambda: desk.window.view_count(View.INBOX) == 3)
        assert desk.window.view_count(View.ALL) == 3

    qloop.run_until_complete(scenario())


def test_views_and_filters_choose_the_rows(desk: Desk, qloop, qtbot) -> None:
    failed = _sent(
        "failed",
        5,
        status=FaxStatus.FAILURE,
        error_type=ErrorType.CALL_ERROR,
        error_code=17,
        error_message="Busy",
        to="+442079460123",
    )
    desk.archive.upsert([_sent("sent", 10), failed])
    fax_list = desk.window.fax_list

    async def scenario() -> None:
        [received] = await desk.inject(count=1, **{"from": "+14155550123"})
        desk.controller.start()
        await until(lambda: len(desk.ids()) == 3)

        desk.window.set_current_view(View.INBOX)
        await until(lambda: desk.ids() == [received.id])
        # An empty phonebook: no Contact column taking the numbers' room.
        assert fax_list.visible_columns() == [
            Column.TIME,
            Column.FROM,
            Column.PAGES,
            Column.STATUS,
            Column.HANDLED,
        ]
        desk.window.set_current_view(View.FAILED)
        await until(lambda: desk.ids() == ["failed"])
        assert Column.REASON in fax_list.visible_columns()
        assert Column.NUMBER in fax_list.visible_columns()
        assert desk.window.view_count(View.FAILED) == 0  # made before the desk started

        desk.window.set_current_view(View.ALL)
        # A number typed as people say it: the national form of +44 20 7946...
        qtbot.keyClicks(fax_list.search_edit, "+44 20 7946")
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        await until(lambda: desk.ids() == ["failed"])
        fax_list.search_edit.clear()
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        await until(lambda: len(desk.ids()) == 3)
        fax_list.status_combo.setCurrentIndex(fax_list.status_combo.findText("Failed"))
        await until(lambda: desk.ids() == ["failed"])

    qloop.run_until_complete(scenario())


def test_scrolling_loads_the_archive_then_the_service(desk: Desk, qloop) -> None:
    # 450 faxes this desk knows, and 30 older ones only the service has.
    desk.archive.upsert([_sent(f"known-{n:03d}", n) for n in range(450)])
    scroll = desk.window.fax_list.table.verticalScrollBar()

    async def scenario() -> None:
        await desk.inject(
            count=30,
            createdAt=(datetime.now(UTC) - timedelta(days=60)).isoformat(),
            spreadDays=5,
        )
        desk.controller.start()
        await until(lambda: len(desk.ids()) == PAGE_SIZE)
        await desk.settled()
        assert len(desk.ids()) == PAGE_SIZE  # the service's newest are all known already

        def scrolled_to_the_end(count: int) -> bool:
            # As a user drags the bar down: to wherever the end is once the rows are laid out.
            scroll.setValue(scroll.maximum())
            return len(desk.ids()) > count

        while len(desk.ids()) < 480:
            count = len(desk.ids())
            await until(lambda count=count: scrolled_to_the_end(count))
        await desk.settled()
        assert not desk.model.has_more

    qloop.run_until_complete(scenario())
    ids = desk.ids()
    assert len(ids) == len(set(ids)) == 480
    assert ids[:2] == ["known-000", "known-001"]
    assert not any(fax_id.startswith("known") for fax_id in ids[450:])


def test_sorting_then_acting_on_the_selected_row(desk: Desk, qloop, qtbot, tmp_path) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(1))

    async def scenario() -> None:
        arrived = await desk.inject(count=4, spreadDays=1)
        pages = {fax.id: fax.number_of_pages for fax in arrived}
        desk.controller.start()
        await until(lambda: len(desk.ids()) == 4)
        senders = {fax.id: fax.from_ for fax in arrived}
        # Sort by the sender's number, high to low, by clicking the header (twice if needed).
        _click_header(qtbot, desk.window, Column.NUMBER)
        await until(lambda: desk.model.sort_column.value == "number")
        if not desk.model.descending:
            _click_header(qtbot, desk.window, Column.NUMBER)
            await until(lambda: desk.model.descending)
        await until(
            lambda: [senders[i] for i in desk.ids()] == sorted(senders.values(), reverse=True)
        )
        expected = max(arrived, key=lambda fax: fax.from_)
        assert pages[expected.id] >= 1
        _click_row(qtbot, desk.window, 0)
        assert desk.window.fax_list.current_fax().id == expected.id

        desk.window.copy_number_action.trigger()
        assert QGuiApplication.clipboard().text() == expected.from_

        desk.window.fetch_action.trigger()
        folder = desk.controller.downloads
        # The copy is made under a temporary name beside it, then moved into place.
        await until(lambda: desk.window.statusBar().currentMessage().startswith("Saved "))
        [saved] = list(folder.iterdir())
        assert desk.window.statusBar().currentMessage() == f"Saved {saved}."
        assert saved.name.endswith(f"{expected.from_.lstrip('+')} {expected.id}.pdf")
        assert saved.read_bytes().startswith(b"%PDF")

        desk.window.open_action.trigger()
        await until(lambda: desk.opened)
        assert desk.opened[0].is_file()

    qloop.run_until_complete(scenario())


def test_saving_and_printing_several_selected_faxes(desk: Desk, qloop, qtbot, tmp_path) -> None:
    from PySide6.QtPrintSupport import QPrintDialog
    from PySide6.QtWidgets import QLineEdit

    from faxdesk.documents.pages import count_pages_in_file

    folder = tmp_path / "kept"
    folder.mkdir()
    printed = tmp_path / "printed.pdf"

    async def scenario() -> None:
        [one, two, three] = await desk.inject(count=3, spreadDays=1)
        desk.controller.start()
        await until(lambda: len(desk.ids()) == 3)
        # The oldest and the newest, with Ctrl held for the second.
        _click_row(qtbot, desk.window, 0)
        table = desk.window.fax_list.table
        rect = table.visualRect(desk.window.fax_list.proxy.index(2, Column.TIME))
        qtbot.mouseClick(
            table.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            rect.center(),
        )
        chosen = {fax.id for fax in desk.window.fax_list.selected_faxes()}
        assert chosen == {desk.ids()[0], desk.ids()[2]}

        desk.window.download_action.trigger()
        await until(lambda: _visible(QFileDialog) is not None)
        dialog = _visible(QFileDialog)
        assert dialog.fileMode() == QFileDialog.FileMode.Directory
        dialog.setDirectory(str(folder))
        dialog.accept()
        await until(lambda: desk.window.statusBar().currentMessage().startswith("Saved "))
        assert desk.window.statusBar().currentMessage() == f"Saved 2 faxes to {folder}."
        saved = sorted(folder.iterdir())
        assert sorted(path.name.rsplit(" ", 1)[1] for path in saved) == sorted(
            f"{fax_id}.pdf" for fax_id in chosen
        )
        assert all(path.read_bytes().startswith(b"%PDF") for path in saved)

        desk.window.print_action.trigger()
        await until(lambda: _visible(QPrintDialog) is not None)
        printing = _visible(QPrintDialog)
        printing.printer().setOutputFormat(printing.printer().OutputFormat.PdfFormat)
        file_field = printing.findChild(QLineEdit, "filename")
        if file_field is not None:  # the dialog's own field wins over the printer's setting
            file_field.setText(str(printed))
        printing.printer().setOutputFileName(str(printed))
        printing.accept()
        await until(lambda: desk.window.statusBar().currentMessage() == "Sent to the printer.")
        pages = {fax.id: fax.number_of_pages for fax in (one, two, three)}
        assert count_pages_in_file(printed) == sum(pages[fax_id] for fax_id in chosen)

    qloop.run_until_complete(scenario())


def test_the_details_pane_tells_everything_and_opening_marks_read(desk: Desk, qloop, qtbot):
    details = desk.window.details

    async def scenario() -> None:
        [received] = await desk.inject(count=1, **{"from": "+14155550123"})
        desk.controller.start()
        await until(lambda: desk.ids() == [received.id])
        assert desk.model.row_at(0).unread
        await until(lambda: desk.window.view_count(View.INBOX) == 1)
        _click_row(qtbot, desk.window, 0)
        await until(lambda: not desk.model.row_at(0).unread)
        await until(lambda: desk.window.view_count(View.INBOX) == 0)
        assert details.value("from") == "+1 415-555-0123"
        assert details.value("status") == "Received"
        assert details.value("id") == received.id
        await until(lambda: "→ received" in details.value("timeline"))

        # Handled, with a note, from the pane: kept in the archive and findable.
        qtbot.mouseClick(details.handled_check, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(details.note_edit, "Passed to Dr. Okafor")
        qtbot.keyClick(details.note_edit, Qt.Key.Key_Return)
        await until(lambda: desk.model.row_at(0).note == "Passed to Dr. Okafor")
        assert desk.model.row_at(0).handled
        row = desk.archive.row(received.id)
        assert (row.handled, row.note) == (True, "Passed to Dr. Okafor")
        fax_list = desk.window.fax_list
        fax_list.search_edit.setText("okafor")
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        await desk.settled()
        assert desk.ids() == [received.id]

        # Unread again on request.
        desk.window.unread_action.trigger()
        await until(lambda: desk.model.row_at(0).unread)

    qloop.run_until_complete(scenario())


def test_deleting_a_document_on_the_service_asks_first_and_keeps_the_row(
    desk: Desk, qloop, qtbot
) -> None:
    async def scenario() -> None:
        [received] = await desk.inject(count=1)
        desk.controller.start()
        await until(lambda: desk.ids() == [received.id])
        _click_row(qtbot, desk.window, 0)

        desk.window.delete_content_action.trigger()
        await until(lambda: _visible(QMessageBox) is not None)
        box = _visible(QMessageBox)
        assert "Delete the document of the fax from" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()
        await asyncio.sleep(0.05)
        assert desk.local.sandbox.state.has_file(received.id)

        desk.window.delete_content_action.trigger()
        await until(lambda: _visible(QMessageBox) is not None)
        box = _visible(QMessageBox)
        delete = next(b for b in box.buttons() if b.text() == "Delete")
        delete.click()
        await until(lambda: not desk.local.sandbox.state.has_file(received.id))
        await until(lambda: desk.model.row_at(0).content_deleted is not None)
        assert desk.ids() == [received.id]
        status = desk.model.index(0, Column.STATUS).data()
        assert status == "Received · document deleted"
        assert desk.window.details.value("document").startswith("Deleted from the fax service")

    qloop.run_until_complete(scenario())


def test_sending_again_goes_through_the_outbox(desk: Desk, qloop, qtbot, tmp_path) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(1))

    async def scenario() -> None:
        from faxdesk.core.models import Document, SendRequest

        [first] = await desk.controller._faxes.api.send(
            SendRequest(to=(TEST_NUMBER,), documents=(Document(pdf),))
        )
        desk.controller.start()
        await until(lambda: desk.ids() == [first.id])
        _click_row(qtbot, desk.window, 0)
        outbox_run = asyncio.get_running_loop().create_task(desk.outbox.run())
        try:
            desk.window.resend_action.trigger()
            await until(lambda: _visible(QMessageBox) is not None)
            box = _visible(QMessageBox)
            assert "again to +1 989-898-9898" in box.text()
            next(b for b in box.buttons() if b.text() == "Send again").click()

            def sent_to_test_number() -> int:
                state = desk.local.sandbox.state
                return len(state.all_faxes(desk.local.config.project_id, _outbound()))

            await until(lambda: sent_to_test_number() == 2)
        finally:
            outbox_run.cancel()
            await asyncio.gather(outbox_run, return_exceptions=True)

    qloop.run_until_complete(scenario())


def _outbound():
    from faxdesk.sandbox.state import FaxFilter

    return FaxFilter(direction="OUTBOUND")


def test_exporting_the_list_writes_every_matching_fax(desk: Desk, qloop, tmp_path) -> None:
    labels = {SUBMISSION_LABEL: "52a1c0de", "ticket": "T-42"}
    desk.archive.upsert([_sent(f"sent-{n:03d}", n, labels=labels) for n in range(250)])
    folder = tmp_path / "exported"
    folder.mkdir()

    async def scenario() -> None:
        desk.faults.down = True  # the archive alone answers
        desk.controller.start()
        await until(lambda: len(desk.ids()) == PAGE_SIZE)
        desk.window.export_action.trigger()
        await until(lambda: _visible(QFileDialog) is not None)
        dialog = _visible(QFileDialog)
        dialog.setDirectory(str(folder))
        dialog.accept()
        # The file is written beside its target under a temporary name, then moved there:
        # the export is over when the window says so.
        await until(lambda: desk.window.statusBar().currentMessage().startswith("Exported"))

    qloop.run_until_complete(scenario())
    [target] = list(folder.iterdir())
    assert target.name.startswith("faxes ")
    assert desk.window.statusBar().currentMessage() == f"Exported 250 faxes to {target}."
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["Time", "Direction", "From", "To"]
    assert len(rows) == 251  # every fax, not only the 200 loaded
    assert rows[1][12] == "sent-000"
    assert rows[1][3] == "+14155550100"
    assert rows[0][9] == "Labels"
    assert rows[1][9] == "ticket=T-42"  # FaxDesk's own label is no one's to read


class _ListRecorder(httpx.AsyncBaseTransport):
    """Notes the query of every `GET /faxes` on its way to the service."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.queries: list[dict[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/faxes"):
            pairs = [pair.partition("=") for pair in request.url.query.decode().split("&")]
            self.queries.append({key: value for key, _, value in pairs})
        return await self.inner.handle_async_request(request)


def test_the_service_is_asked_the_same_question(desk: Desk, qloop, qtbot) -> None:
    recorder = _ListRecorder(desk.faults.inner)
    desk.faults.inner = recorder
    fax_list = desk.window.fax_list

    def asked() -> dict[str, str]:
        assert recorder.queries
        return recorder.queries[-1]

    async def scenario() -> None:
        desk.controller.start()
        await desk.settled()
        # Every question names both ends of the created range: without them the service
        # lists only the prior week.
        first = asked()
        assert {"createTime>", "createTime<"} <= set(first)
        assert "direction" not in first
        await until(lambda: desk.controller._tasks._keyed.get("list-services") is None)
        fax_list.set_services([("svc-main", "Main line"), ("svc-xray", "Radiology")])

        desk.window.set_current_view(View.INBOX)
        await desk.settled()
        fax_list.status_combo.setCurrentIndex(fax_list.status_combo.findText("Failed"))
        await desk.settled()
        fax_list.period_combo.setCurrentIndex(fax_list.period_combo.findText("Last 7 days"))
        await desk.settled()
        fax_list.service_combo.setCurrentIndex(fax_list.service_combo.findText("Radiology"))
        await desk.settled()
        recorder.queries.clear()
        qtbot.keyClicks(fax_list.search_edit, "(415) 555-01")
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        await until(lambda: recorder.queries)
        await desk.settled()

    qloop.run_until_complete(scenario())
    [query] = recorder.queries
    assert query["direction"] == "INBOUND"
    assert query["status"] == "FAILURE"
    assert query["serviceId"] == "svc-xray"
    # The number as the service stores it, as the sender of received faxes.
    assert query["from"] == "%2B141555501"
    assert "to" not in query
    start = datetime.strptime(query["createTime>"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    end = datetime.strptime(query["createTime<"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    now = datetime.now(UTC)
    assert abs(start - (now - timedelta(days=7))) < timedelta(minutes=1)
    assert now <= end <= now + timedelta(days=2)


def test_a_late_page_for_an_old_filter_is_dropped(desk: Desk, qloop, qtbot) -> None:
    desk.faults.latency = 0.5
    fax_list = desk.window.fax_list

    async def scenario() -> None:
        await desk.inject(count=2, **{"from": "+14155550123"})
        [wanted] = await desk.inject(count=1, **{"from": "+33123456789"})
        desk.faults.plan = [Fault.LATENCY]  # the first question answers late
        desk.controller.start()
        # Before that answer comes, the user searches for something else.
        fax_list.search_edit.setText("+33 1 23")
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        await until(lambda: desk.ids() == [wanted.id])
        await asyncio.sleep(0.7)  # the late page has arrived by now, and was dropped
        assert desk.ids() == [wanted.id]

    qloop.run_until_complete(scenario())


def test_archive_answers_reflect_what_the_sync_reports(desk: Desk, qloop) -> None:
    desk.archive.upsert([_sent("sending", 1, status=FaxStatus.IN_PROGRESS)])

    async def scenario() -> None:
        desk.faults.down = True
        desk.controller.start()
        desk.window.fax_list.status_combo.setCurrentIndex(
            desk.window.fax_list.status_combo.findText("Sending or receiving")
        )
        await until(lambda: desk.ids() == ["sending"])
        # Sync stored the final status: the row leaves a list of faxes still sending.
        desk.archive.upsert([_sent("sending", 1, status=FaxStatus.COMPLETED)])
        desk.controller.refresh(["sending"])
        await until(lambda: desk.ids() == [])
        assert desk.archive.count(ListFilter(status=FaxStatus.COMPLETED)) == 1

    qloop.run_until_complete(scenario())


def test_the_timeline_of_the_selected_fax_gains_each_new_status(desk: Desk, qloop, qtbot) -> None:
    desk.archive.upsert([_sent("sending", 1, status=FaxStatus.IN_PROGRESS)])
    details = desk.window.details

    async def scenario() -> None:
        desk.faults.down = True
        desk.controller.start()
        await until(lambda: desk.ids() == ["sending"])
        _click_row(qtbot, desk.window, 0)
        await until(lambda: "→ sending" in details.value("timeline"))
        assert "delivered" not in details.value("timeline")
        # The fax is delivered while the user looks at it.
        desk.archive.upsert([_sent("sending", 1, status=FaxStatus.COMPLETED)])
        desk.controller.refresh(["sending"])
        await until(lambda: "→ delivered" in details.value("timeline"))

    qloop.run_until_complete(scenario())


def test_contact_names_show_and_are_searched_here_and_on_the_service(
    desk: Desk, qloop, qtbot
) -> None:
    fax_list = desk.window.fax_list
    desk.archive.upsert([_sent("to-clinic", 30, to="+14155550199"), _sent("other", 20)])

    async def scenario() -> None:
        await desk.contacts.save(
            Contact(name="Dr. Jane Smith", company="Mercy Clinic", fax="+14155550199")
        )
        [received] = await desk.inject(count=1, **{"from": "+14155550199"})
        desk.controller.start()
        await until(lambda: len(desk.ids()) == 3)
        assert Column.CONTACT in fax_list.visible_columns()
        await until(lambda: desk.model.row_at(desk.model.row_of("to-clinic")).contact_name)
        row = desk.model.row_of("to-clinic")
        assert desk.model.index(row, Column.CONTACT).data() == "Dr. Jane Smith (Mercy Clinic)"
        qtbot.keyClicks(fax_list.search_edit, "mercy")
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        await until(lambda: set(desk.ids()) == {"to-clinic", received.id})
        await desk.settled()
        assert set(desk.ids()) == {"to-clinic", received.id}

    qloop.run_until_complete(scenario())
    # The service is asked about the contact's number, as sender and as recipient.
    queries = [
        q
        for q in desk.controller.service_queries()
        if q.to_prefix == "+14155550199" or q.from_prefix == "+14155550199"
    ]
    assert {(q.direction, bool(q.to_prefix)) for q in queries} == {
        (Direction.OUTBOUND, True),
        (Direction.INBOUND, False),
    }


def test_the_model_stays_sound_through_a_session(desk: Desk, qloop, qtbot) -> None:
    # Qt's own checks of every model change: a broken invariant is a Qt warning, which fails
    # the test (qt_log_level_fail). Rows arrive, move, change and leave as in a day's work.
    tester = QAbstractItemModelTester(
        desk.window.fax_list.proxy, QAbstractItemModelTester.FailureReportingMode.Warning
    )
    desk.archive.upsert([_sent(f"sent-{n}", n, status=FaxStatus.IN_PROGRESS) for n in range(5)])
    fax_list = desk.window.fax_list

    async def scenario() -> None:
        desk.controller.start()
        await until(lambda: len(desk.ids()) == 5)
        received = await desk.inject(count=3)
        desk.controller.reload()
        await until(lambda: len(desk.ids()) == 8)
        _click_header(qtbot, desk.window, Column.STATUS)
        await until(lambda: desk.model.sort_column.value == "status")
        # Two finish, one fails: they move in the status order; then one is no longer listed.
        desk.archive.upsert(
            [
                _sent("sent-1", 1, status=FaxStatus.COMPLETED),
                _sent("sent-2", 2, status=FaxStatus.FAILURE),
                _sent("sent-3", 3, status=FaxStatus.COMPLETED),
            ]
        )
        desk.controller.refresh(["sent-1", "sent-2", "sent-3"])
        await until(lambda: desk.model.fax_at(len(desk.ids()) - 1).id == "sent-2")
        fax_list.status_combo.setCurrentIndex(fax_list.status_combo.findText("Failed"))
        await until(lambda: desk.ids() == ["sent-2"])
        fax_list.status_combo.setCurrentIndex(0)
        await until(lambda: len(desk.ids()) == 8)
        desk.window.set_current_view(View.INBOX)
        await until(lambda: set(desk.ids()) == {fax.id for fax in received})

    qloop.run_until_complete(scenario())
    del tester
