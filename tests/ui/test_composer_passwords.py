"""The composer asks for the password of an encrypted PDF in the form itself, keeps faxes within
the limits of the settings, and hands the outbox the fitted fax PDFs. Real widgets, controller,
conversions and outbox; the outbox is not started, so what was handed over is read from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pymupdf
import pytest
from PySide6.QtCore import Qt

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.config.paths import Paths
from faxdesk.config.settings import PaperSize, Settings
from faxdesk.core.models import TEST_NUMBER
from faxdesk.services.faxes import FaxService
from faxdesk.services.outbox import Outbox
from faxdesk.services.previews import PageRenderer
from faxdesk.store.archive import Archive
from faxdesk.store.outbox import OutboxStore
from faxdesk.ui.composer import ComposerDialog
from faxdesk.ui.controller import MainController
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.tasks import TaskKeeper
from tests.fakes import documents as make
from tests.services.outbox_support import FAST
from tests.waiting import until

EMPTY_PAGE = {"faxes": [], "page": 1, "pageSize": 100, "totalItems": 0, "totalPages": 0}


@dataclass
class Desk:
    controller: MainController
    composer: ComposerDialog
    outbox: Outbox
    errors: list[BaseException]


#: Send goes straight to the outbox: the confirmation of the whole fax is tested elsewhere.
NO_CONFIRM = Settings(confirm_before_send=False)


@pytest.fixture
def settings() -> Settings:
    return NO_CONFIRM


@pytest.fixture
def desk(qtbot, qloop, paths: Paths, settings: Settings) -> Iterator[Desk]:
    http = create_http_client(
        transport=httpx.MockTransport(lambda _request: httpx.Response(200, json=EMPTY_PAGE))
    )
    api = FaxApiClient(http, base_url="http://fax.test", project_id="p-1", auth=BasicAuth("k", "s"))
    outbox = Outbox(
        api, OutboxStore(paths.outbox_db("test")), paths.outbox_dir("test"), timing=FAST
    )
    errors: list[BaseException] = []
    tasks = TaskKeeper(on_error=errors.append)
    window = MainWindow()
    qtbot.addWidget(window)
    renderer = PageRenderer()
    controller = MainController(
        window,
        FaxService(api, Archive(paths.archive_db("test")), paths.documents_dir),
        renderer,
        tasks,
        outbox,
        settings=settings,
    )
    window.new_fax_requested.emit()
    yield Desk(controller, controller.composer, outbox, errors)
    controller.stop()
    # Thumbnails may still be rendering: end those tasks while their loop is there.
    qloop.run_until_complete(tasks.close())
    renderer.shutdown()


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def item_texts(composer: ComposerDialog) -> list[str]:
    return [
        composer.documents_list.item(row).text() for row in range(composer.documents_list.count())
    ]


def settled(composer: ComposerDialog) -> bool:
    return not any("checking" in text or "Opening" in text for text in item_texts(composer))


def send(desk: Desk, qloop, qtbot) -> None:
    qtbot.keyClicks(desk.composer.recipient_edit, TEST_NUMBER)
    qloop.run_until_complete(until(lambda: settled(desk.composer)))
    qtbot.mouseClick(desk.composer.send_button, Qt.MouseButton.LeftButton)


def test_an_encrypted_pdf_asks_for_its_password_in_the_form(desk: Desk, qloop, qtbot, tmp_path):
    locked = write(tmp_path, "locked.pdf", make.encrypted_pdf(user_pw="s3cret"))
    composer = desk.composer
    composer.show()
    composer.add_paths([locked])
    qloop.run_until_complete(until(lambda: composer.password_path() == locked))
    assert composer.password_edit.isVisible()
    assert composer.password_label.text() == (
        "locked.pdf is protected by a password. Type its password to send it:"
    )
    assert item_texts(composer) == ["locked.pdf is protected by a password. Type it below."]
    assert composer.password_edit.hasFocus()
    qtbot.keyClicks(composer.recipient_edit, TEST_NUMBER)
    assert not composer.send_button.isEnabled()

    # A wrong password says so and asks again; the typed text never stays in the form.
    qtbot.keyClicks(composer.password_edit, "guess")
    qtbot.keyClick(composer.password_edit, Qt.Key.Key_Return)
    assert composer.password_edit.text() == ""
    qloop.run_until_complete(until(lambda: "not right" in composer.password_label.text()))
    assert composer.password_label.text() == (
        "The password for locked.pdf is not right. Try again:"
    )
    # The document says it once, without its name twice or a colon left hanging.
    assert item_texts(composer) == [
        "locked.pdf  —  That password is not right; type it again below."
    ]
    assert composer.password_edit.isEnabled()

    qtbot.keyClicks(composer.password_edit, "s3cret")
    qtbot.mouseClick(composer.password_button, Qt.MouseButton.LeftButton)
    qloop.run_until_complete(
        until(lambda: composer.password_path() is None and item_texts(composer)[0].endswith("page"))
    )
    assert not composer.password_edit.isVisible()
    assert item_texts(composer) == ["locked.pdf  —  1 page"]
    assert composer.document_problems() == []

    # Send hands the outbox the decrypted fax PDF; the password is written nowhere.
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    qloop.run_until_complete(until(lambda: bool(desk.outbox.active())))
    [entry] = desk.outbox.active()
    [document] = entry.request.documents
    with pymupdf.open(document.path) as doc:
        assert not doc.is_encrypted
        assert "Secret 1" in doc[0].get_text()
    home = document.path.parents[3]
    written = [path for path in home.rglob("*") if path.is_file()]
    assert written
    assert all(b"s3cret" not in path.read_bytes() for path in written)
    assert desk.errors == []


def test_removing_a_locked_document_takes_its_question_away(desk: Desk, qloop, qtbot, tmp_path):
    first = write(tmp_path, "first.pdf", make.encrypted_pdf(user_pw="a"))
    second = write(tmp_path, "second.pdf", make.encrypted_pdf(user_pw="b"))
    composer = desk.composer
    composer.add_paths([first, second])
    qloop.run_until_complete(until(lambda: len(composer.document_problems()) == 2))
    asked = composer.password_path()
    assert asked in (first, second)
    other = second if asked == first else first
    composer.documents_list.clearSelection()
    composer.documents_list.item(composer.document_paths().index(asked)).setSelected(True)
    qtbot.mouseClick(composer.remove_button, Qt.MouseButton.LeftButton)
    # The other locked document is asked about next.
    assert composer.password_path() == other
    assert composer.password_label.text().startswith(f"{other.name} is protected")
    composer.documents_list.clearSelection()
    composer.documents_list.item(0).setSelected(True)
    qtbot.mouseClick(composer.remove_button, Qt.MouseButton.LeftButton)
    assert composer.password_path() is None
    assert not composer.password_label.isVisibleTo(composer)


@pytest.mark.parametrize("settings", [replace(NO_CONFIRM, paper_size=PaperSize.A4)])
def test_send_hands_the_outbox_pages_fitted_to_the_paper_of_the_settings(
    desk: Desk, qloop, qtbot, tmp_path
):
    wide = write(tmp_path, "wide.pdf", make.pdf([(792.0, 612.0), make.LEGAL]))
    photo = write(tmp_path, "photo.jpg", make.image(format="JPEG"))
    desk.composer.add_paths([wide, photo])
    send(desk, qloop, qtbot)
    qloop.run_until_complete(until(lambda: bool(desk.outbox.active())))
    [entry] = desk.outbox.active()
    sizes = []
    for document in entry.request.documents:
        assert document.media_type == "application/pdf"
        with pymupdf.open(document.path) as doc:
            sizes += [(round(page.rect.width), round(page.rect.height)) for page in doc]
    assert sizes == [(595, 842)] * 3


OVER_TWO_PAGES = (
    "The fax has 3 pages; FaxDesk is set to send at most 2 in one fax. Send the documents "
    "as several faxes, or raise the page limit in the settings."
)


@pytest.mark.parametrize("settings", [replace(NO_CONFIRM, max_pages=2)])
def test_documents_over_the_page_limit_say_so_at_once_and_send_waits(
    desk: Desk, qloop, qtbot, tmp_path
):
    letter = write(tmp_path, "letter.pdf", make.pdf([make.LETTER]))
    report = write(tmp_path, "report.pdf", make.pdf([make.LETTER] * 2))
    desk.composer.add_paths([letter])
    qtbot.keyClicks(desk.composer.recipient_edit, TEST_NUMBER)
    qloop.run_until_complete(until(lambda: settled(desk.composer)))
    assert desk.composer.send_button.isEnabled()
    assert not desk.composer.pages_message.isVisible()

    desk.composer.add_paths([report])
    qloop.run_until_complete(until(lambda: desk.composer.pages_message.isVisible()))
    # Said as soon as the pages are counted, before anyone presses Send.
    assert desk.composer.pages_message.text() == OVER_TWO_PAGES
    assert item_texts(desk.composer) == ["letter.pdf  —  1 page", "report.pdf  —  2 pages"]
    assert not desk.composer.send_button.isEnabled()
    assert desk.composer.message_label.text() == ""

    desk.composer.documents_list.setCurrentRow(0)
    qtbot.mouseClick(desk.composer.remove_button, Qt.MouseButton.LeftButton)
    assert not desk.composer.pages_message.isVisible()
    assert desk.composer.send_button.isEnabled()


@pytest.mark.parametrize("settings", [replace(NO_CONFIRM, max_pages=2)])
def test_a_cover_page_that_takes_the_fax_over_the_limit_is_refused_at_send(
    desk: Desk, qloop, qtbot, tmp_path
):
    from faxdesk.ui.composer_support import STANDARD_TEMPLATE

    desk.composer.add_paths([write(tmp_path, "long.pdf", make.pdf([make.LETTER] * 2))])
    options = desk.composer.options
    options.cover_combo.setCurrentIndex(
        options.cover_combo.findText(f"{STANDARD_TEMPLATE} (template)")
    )
    send(desk, qloop, qtbot)
    qloop.run_until_complete(until(lambda: bool(desk.composer.message_label.text())))
    assert desk.composer.message_label.text() == OVER_TWO_PAGES
    assert not desk.composer.is_busy()
    assert desk.outbox.active() == []


@pytest.mark.parametrize("settings", [replace(NO_CONFIRM, max_upload_mb=1)])
def test_a_fax_over_the_upload_limit_is_refused_before_the_outbox(
    desk: Desk, qloop, qtbot, tmp_path
):
    import io
    import os

    from PIL import Image

    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    desk.composer.add_paths([write(tmp_path, "noise.png", buffer.getvalue())])
    send(desk, qloop, qtbot)
    qloop.run_until_complete(until(lambda: bool(desk.composer.message_label.text())))
    assert "FaxDesk is set to upload at most 1.0 MB for one fax" in (
        desk.composer.message_label.text()
    )
    assert desk.outbox.active() == []


def test_the_cover_page_counts_the_pages_of_the_fax_pdfs(desk: Desk, qloop, qtbot, tmp_path):
    from faxdesk.ui.composer_support import STANDARD_TEMPLATE

    # Two pages once converted (a form feed starts the second), whatever other readers make
    # of the text file itself.
    notes = write(tmp_path, "notes.txt", b"first page\fsecond page\n")
    desk.composer.add_paths([notes])
    options = desk.composer.options
    options.cover_combo.setCurrentIndex(
        options.cover_combo.findText(f"{STANDARD_TEMPLATE} (template)")
    )
    send(desk, qloop, qtbot)
    qloop.run_until_complete(until(lambda: bool(desk.outbox.active())))
    [entry] = desk.outbox.active()
    cover, text = entry.request.documents
    with pymupdf.open(cover.path) as doc:
        assert "3, this page included" in doc[0].get_text()
    with pymupdf.open(text.path) as doc:
        assert doc.page_count == 2
