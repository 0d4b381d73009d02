"""The controller against answers the sandbox never gives (timeouts), through the real client.

Requests go through `httpx.MockTransport`, so each test sees exactly what was asked of the
service; everything else (client, service, archive, widgets) is real.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from PySide6.QtCore import Qt

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.core.models import TEST_NUMBER
from faxdesk.documents.pages import make_test_pdf
from faxdesk.services.faxes import FaxService
from faxdesk.services.outbox import Outbox
from faxdesk.services.previews import PageRenderer
from faxdesk.store.archive import Archive
from faxdesk.store.outbox import OutboxStore
from faxdesk.ui.controller import MainController
from faxdesk.ui.main_window import MainWindow, View
from faxdesk.ui.tasks import TaskKeeper
from tests.services.outbox_support import FAST
from tests.waiting import until

EMPTY_PAGE = {"faxes": [], "page": 1, "pageSize": 100, "totalItems": 0, "totalPages": 0}


@dataclass
class Harness:
    window: MainWindow
    controller: MainController
    tasks: TaskKeeper
    requests: list[httpx.Request] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    #: When set, every request is answered with this status and an empty body.
    refuse_with: int | None = None

    def list_queries(self) -> list[str]:
        return [
            request.url.query.decode()
            for request in self.requests
            if request.method == "GET" and request.url.path.endswith("/faxes")
        ]


@pytest.fixture
def harness(qtbot, qloop, paths: Paths) -> Iterator[Harness]:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if built.refuse_with is not None:
            return httpx.Response(built.refuse_with)
        if request.method == "POST":
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(200, json=EMPTY_PAGE)

    http = create_http_client(transport=httpx.MockTransport(answer))
    api = FaxApiClient(http, base_url="http://fax.test", project_id="p-1", auth=BasicAuth("k", "s"))
    archive = Archive(paths.archive_db("test"))
    outbox_store = OutboxStore(paths.outbox_db("test"))
    outbox = Outbox(api, outbox_store, paths.outbox_dir("test"), timing=FAST)
    renderer = PageRenderer()
    errors: list[BaseException] = []
    tasks = TaskKeeper(on_error=errors.append)
    window = MainWindow()
    qtbot.addWidget(window)
    controller = MainController(
        window,
        FaxService(api, archive, paths.documents_dir),
        renderer,
        tasks,
        outbox,
        # These tests are about what happens after Send; the last look has its own tests.
        settings=Settings(confirm_before_send=False),
    )
    built = Harness(window, controller, tasks, requests, errors)
    yield built
    controller.stop()
    qloop.run_until_complete(tasks.close())
    qloop.run_until_complete(http.aclose())
    renderer.shutdown()
    archive.close()
    outbox_store.close()
    assert errors == []


def test_a_national_number_fragment_filters_by_its_e164_prefix(harness: Harness, qloop, qtbot):
    harness.window.set_current_view(View.SENT)
    qtbot.keyClicks(harness.window.fax_list.search_edit, "989-898")
    qtbot.keyClick(harness.window.fax_list.search_edit, Qt.Key.Key_Return)
    qloop.run_until_complete(until(lambda: any("to=" in q for q in harness.list_queries())))
    [query] = [q for q in harness.list_queries() if "to=" in q]
    assert "to=%2B1989898" in query
    assert "direction=OUTBOUND" in query
    assert "createTime>=" in query


def test_in_all_faxes_a_number_filter_asks_for_senders_and_recipients(
    harness: Harness, qloop, qtbot
):
    assert harness.window.current_view() is View.ALL
    qtbot.keyClicks(harness.window.fax_list.search_edit, "+44 20")
    qtbot.keyClick(harness.window.fax_list.search_edit, Qt.Key.Key_Return)
    qloop.run_until_complete(until(lambda: len(harness.list_queries()) >= 2))
    queries = harness.list_queries()[-2:]
    assert any("direction=OUTBOUND" in q and "to=%2B4420" in q for q in queries)
    assert any("direction=INBOUND" in q and "from=%2B4420" in q for q in queries)


def test_the_empty_list_speaks_of_the_view_and_the_filter(harness: Harness, qloop, qtbot):
    fax_list = harness.window.fax_list

    async def scenario() -> None:
        harness.window.set_current_view(View.INBOX)
        assert fax_list.placeholder_text().startswith("No faxes received yet.")
        harness.window.set_current_view(View.SENT)
        assert fax_list.placeholder_text().startswith("No faxes sent yet.")
        qtbot.keyClicks(fax_list.search_edit, "415")
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        assert fax_list.placeholder_text() == "No faxes match this search or filter."
        # Each change supersedes the load before it: the last query is the one that counts.
        await until(lambda: any("to=%2B1415" in q for q in harness.list_queries()))

    qloop.run_until_complete(scenario())


def test_a_send_without_an_answer_is_looked_for_before_it_goes_again(
    harness: Harness, qloop, qtbot, tmp_path
):
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(1))
    composer = harness.controller.composer

    def posts() -> list[httpx.Request]:
        return [request for request in harness.requests if request.method == "POST"]

    async def scenario() -> None:
        harness.controller.start()
        harness.window.new_fax_requested.emit()
        composer.add_paths([pdf])
        qtbot.keyClicks(composer.recipient_edit, TEST_NUMBER)
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
        # The composer is free for the next fax once the outbox has the fax written down.
        await until(lambda: not composer.isVisible())
        assert composer.document_paths() == []
        await until(lambda: len(posts()) >= 2)
        # Stop the busy outbox while the loop runs: between run_until_complete calls, work
        # finishing in threads would resume its tasks with no running loop.
        await harness.tasks.cancel_all()

    qloop.run_until_complete(scenario())
    first, second = posts()[:2]
    # Between the unanswered send and the next one, the service was asked whether it had the fax.
    between = harness.requests[harness.requests.index(first) + 1 : harness.requests.index(second)]
    searches = [r for r in between if r.method == "GET" and "to=%2B19898989898" in str(r.url)]
    assert searches
    assert "createTime>=" in searches[0].url.query.decode()
    assert b"faxdeskSubmission" in first.content
    [entry] = harness.controller.outbox.active()
    assert entry.attempts >= 2


def test_refused_credentials_are_shown_where_they_cannot_be_missed(harness: Harness, qloop):
    harness.refuse_with = 401
    qloop.run_until_complete(harness.controller.check_connection())
    window = harness.window
    assert window.connection_text() == "Offline"
    assert window.message_bar.isVisibleTo(window)
    assert window.message_bar.label.text().endswith(
        "Check the account with 'faxdesk account', then restart FaxDesk."
    )


def test_send_checks_the_documents_again_and_sends_nothing_broken(
    harness: Harness, qloop, qtbot, tmp_path
):
    broken = tmp_path / "scan.pdf"
    broken.write_bytes(b"%PDF-1.4 cut off")
    composer = harness.controller.composer

    async def scenario() -> None:
        harness.window.new_fax_requested.emit()
        composer.add_paths([broken])
        qtbot.keyClicks(composer.recipient_edit, TEST_NUMBER)
        # Pressed before the check that started on adding the file has finished.
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
        await until(lambda: composer.document_problems() and not composer.is_busy())
        # The check started on adding the file may still be out; it must land before the
        # window goes away at the end of the test.
        await until(lambda: len(harness.tasks) == 0)

    qloop.run_until_complete(scenario())
    assert composer.document_problems() == [
        "scan.pdf is incomplete: the PDF ends before its last page (was the download cut off?)."
    ]
    assert [request for request in harness.requests if request.method == "POST"] == []


def test_words_are_searched_in_the_archive_only(harness: Harness, qloop, qtbot):
    fax_list = harness.window.fax_list

    async def scenario() -> None:
        # A label or a note: the service's list cannot filter by those.
        qtbot.keyClicks(fax_list.search_edit, "ticket T-42")
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        await until(lambda: fax_list.placeholder_visible())
        # A number asks the service; the words before it did not.
        qtbot.keyClicks(fax_list.search_edit, " ")
        fax_list.search_edit.setText("415")
        qtbot.keyClick(fax_list.search_edit, Qt.Key.Key_Return)
        await until(lambda: harness.list_queries())
        assert all("to=%2B1415" in q or "from=%2B1415" in q for q in harness.list_queries())

    qloop.run_until_complete(scenario())
    assert fax_list.placeholder_text() == "No faxes match this search or filter."
    assert harness.window.fax_list.model.rowCount() == 0


def test_refresh_checks_for_new_faxes_at_once(harness: Harness, qloop, tmp_path) -> None:
    from faxdesk.services.sync import FaxSync, SyncOptions

    faxes = harness.controller._faxes
    sync = FaxSync(faxes.api, faxes.archive, SyncOptions(folder=tmp_path), desk="desk")
    harness.controller.sync = sync

    def sync_passes() -> int:
        # Sync asks for pages of 1000 faxes, the list for fewer.
        return sum("pageSize=1000" in query for query in harness.list_queries())

    async def scenario() -> None:
        await sync.sync_once()
        done = sync_passes()
        running = harness.tasks.start(sync.run(), key="sync")
        await until(lambda: sync_passes() > done)  # its first pass
        done = sync_passes()
        harness.window.refresh_action.trigger()
        # Sync makes a pass now, not in 30 s.
        await until(lambda: sync_passes() > done)
        assert running is not None
        running.cancel()

    qloop.run_until_complete(scenario())
