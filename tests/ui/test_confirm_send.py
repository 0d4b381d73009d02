"""The last look before sending: the whole fax in fax mode, cover page first, then Send or Back."""

from __future__ import annotations

import base64
import contextlib
import re
from pathlib import Path

import httpx
import pymupdf
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.core.models import TEST_NUMBER, Resolution
from faxdesk.documents.faxmode import FaxPage
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.testing import in_process_sandbox
from faxdesk.ui.composer_support import STANDARD_TEMPLATE
from faxdesk.ui.confirm_send import ConfirmSendDialog, fax_page_image
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.recipients import Recipient
from tests.ui.controller_support import controller_for
from tests.waiting import until


def test_a_fax_page_keeps_its_true_shape_and_its_black() -> None:
    # 16 x 8 fax pixels at 204 x 98 dpi (standard resolution): twice as tall as they are wide.
    bits = bytes([0xFF, 0x00] * 4 + [0x00, 0x00] * 4)
    page = FaxPage(
        index=0, page_count=1, width=16, height=8, x_dpi=204, y_dpi=98, stride=2, bits=bits
    )
    image = fax_page_image(page, width=160)
    assert (image.width(), image.height()) == (160, round(8 * 204 / 98 * 10))
    assert image.pixelColor(20, 5).value() < 60  # top left quarter is black
    assert image.pixelColor(140, 5).value() > 200
    assert image.pixelColor(20, image.height() - 5).value() > 200


def test_the_dialog_says_what_goes_to_whom(qtbot: QtBot) -> None:
    recipients = [
        Recipient(text="415 555 0123", e164="+14155550123", name="Dr. Smith"),
        Recipient(text="+44 20 7946 0123", e164="+442079460123", warnings=("Never faxed.",)),
    ]
    dialog = ConfirmSendDialog(3, recipients, cover_pages=1)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.summary_label.text() == "3 pages with the cover page to 2 recipients"
    assert dialog.recipients_label.text() == (
        "Dr. Smith  —  +1 415-555-0123\n+44 20 7946 0123 — Never faxed."
    )
    assert dialog.send_button.isDefault()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_size_on_the_line_is_shown_once_every_page_came_with_its_size(qtbot: QtBot) -> None:
    recipient = Recipient(text="415 555 0123", e164="+14155550123")
    dialog = ConfirmSendDialog(2, [recipient], resolution=Resolution.SUPERFINE)
    qtbot.addWidget(dialog)
    page = QImage(20, 26, QImage.Format.Format_Grayscale8)
    page.fill(255)
    dialog.add_page(page, coded_bytes=41_000)
    assert dialog.size_label.text() == ""
    dialog.add_page(page, coded_bytes=83_000)
    assert dialog.size_label.text() == "2 pages at SUPERFINE, 124 KB to transmit."
    # Pages shown without their size give no estimate rather than a wrong one.
    unsized = ConfirmSendDialog(1, [recipient])
    qtbot.addWidget(unsized)
    unsized.add_page(page)
    assert unsized.size_label.text() == ""


def test_send_shows_the_whole_fax_with_its_cover_page_first(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path
) -> None:
    pdf = tmp_path / "results.pdf"
    pdf.write_bytes(make_test_pdf(2, "Lab results"))
    window = MainWindow()
    qtbot.addWidget(window)
    with controller_for(window, paths, qloop, settings=Settings()) as controller:
        composer = controller.composer
        support = controller.composer_support
        sent: list[object] = []
        composer.send_requested.connect(sent.append)

        async def scenario() -> None:
            composer.show()
            composer.add_paths([pdf])
            qtbot.keyClicks(composer.recipient_edit, TEST_NUMBER)
            options = composer.options
            options.cover_combo.setCurrentIndex(
                options.cover_combo.findText(f"{STANDARD_TEMPLATE} (template)")
            )
            options.resolution_combo.setCurrentIndex(
                options.resolution_combo.findData(Resolution.SUPERFINE)
            )
            await until(lambda: composer.documents_list.item(0).text().endswith("2 pages"))
            qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
            await until(lambda: support.confirm_dialog is not None)
            dialog = support.confirm_dialog
            await until(lambda: dialog.pages_shown() == 3)
            assert dialog.summary_label.text() == "3 pages with the cover page to 1 recipient"
            # The estimate of what the pages take on the line, before anything is sent.
            assert re.fullmatch(
                r"3 pages at SUPERFINE, \d+ KB to transmit\.", dialog.size_label.text()
            )
            assert composer.is_busy()
            qtbot.mouseClick(dialog.back_button, Qt.MouseButton.LeftButton)
            await until(lambda: not composer.is_busy())

        qloop.run_until_complete(scenario())
        # Back: nothing went to the outbox, and the form is as it was.
        assert controller.outbox.active() == []
        assert composer.isVisible()
        assert composer.document_paths() == [pdf]
        assert len(sent) == 1


def test_a_service_cover_page_is_shown_filled_as_the_service_fills_it(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path
) -> None:
    pdf = tmp_path / "results.pdf"
    pdf.write_bytes(make_test_pdf(2, "Lab results"))
    template = make_test_pdf(1, "To {{to}} ({{pageCount}} pages) re {{subject}}")
    window = MainWindow()
    qtbot.addWidget(window)

    async def add_cover_page(local) -> None:
        async with httpx.AsyncClient(transport=local.transport, auth=local.auth) as http:
            services = await http.get(f"{local.api_base_url}/services")
            service_id = services.json()["services"][0]["id"]
            added = await http.post(
                f"{local.api_base_url}/services/{service_id}/coverPages",
                json={
                    "name": "Referral",
                    "file": {"fileContent": base64.b64encode(template).decode(), "fileType": "PDF"},
                },
            )
            assert added.status_code in (200, 201), added.text

    stack = contextlib.AsyncExitStack()
    local = qloop.run_until_complete(stack.enter_async_context(in_process_sandbox()))
    qloop.run_until_complete(add_cover_page(local))
    try:
        with controller_for(window, paths, qloop, sandbox=local, settings=Settings()) as c:
            composer = c.composer
            support = c.composer_support

            async def scenario() -> None:
                c.start()  # loads the account's services and their cover pages
                composer.show()
                composer.add_paths([pdf])
                qtbot.keyClicks(composer.recipient_edit, TEST_NUMBER)
                options = composer.options
                label = "Referral (service cover page)"
                await until(lambda: options.cover_combo.findText(label) >= 0)
                options.cover_combo.setCurrentIndex(options.cover_combo.findText(label))
                await until(lambda: options.findChild(QLineEdit, "cover_subject") is not None)
                qtbot.keyClicks(options.findChild(QLineEdit, "cover_subject"), "J. Doe")
                await until(lambda: composer.documents_list.item(0).text().endswith("2 pages"))
                qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
                await until(lambda: support.confirm_dialog is not None)
                dialog = support.confirm_dialog
                await until(lambda: dialog.pages_shown() == 3)
                with pymupdf.open(support._folder / "confirm" / "fax.pdf") as whole:
                    first = whole[0].get_text()
                # Each tag's value is written where the tag was: the number, the fax's pages
                # (the cover page included) and the field typed in the composer.
                assert "{{" not in first
                assert {"+1 989-898-9898", "3", "J. Doe"} <= set(first.splitlines())
                qtbot.mouseClick(dialog.back_button, Qt.MouseButton.LeftButton)
                await until(lambda: not composer.is_busy())

            qloop.run_until_complete(scenario())
    finally:
        qloop.run_until_complete(stack.aclose())
