"""A whole fax from the composer, by keyboard and real drops, on the sandbox child process.

Two documents dropped from the file manager (a PDF and an image), three recipients typed (one
wrong, then corrected in place), options set, the last look, Send, the upload's progress in the
Outbox, and every fax delivered with the chosen options, against `faxdesk sandbox` over
loopback with a short --time-scale.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter
from pytestqt.qtbot import QtBot

from faxdesk.app import open_session
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.core.models import TEST_NUMBER, Resolution
from faxdesk.core.outbox import OutboxState, UploadProgress
from faxdesk.documents.pages import make_test_pdf
from faxdesk.ui.main_window import MainWindow, View
from tests.waiting import until


def _png(path: Path) -> Path:
    image = QImage(850, 1100, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.fillRect(100, 100, 650, 300, QColor("#777777"))
    painter.drawText(120, 500, "Lab results: all within range")
    painter.end()
    assert image.save(str(path), "PNG")
    return path


def test_compose_send_and_deliver_a_fax_to_three_numbers(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path, drop_files, file_mime
) -> None:
    letter = tmp_path / "referral.pdf"
    letter.write_bytes(make_test_pdf(2, "Referral for J. Doe"))
    scan = _png(tmp_path / "lab-results.png")
    window = MainWindow(sandbox=True)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    settings = Settings(refresh_interval=60.0, tracking_interval=0.1)
    progress: list[UploadProgress] = []

    async def scenario() -> None:
        session = await open_session(window, paths, settings, sandbox_time_scale=0.05)
        try:
            controller = session.controller
            assert controller is not None
            controller.outbox.subscribe(
                lambda event: progress.append(event) if isinstance(event, UploadProgress) else None
            )
            await until(lambda: window.connection_text() == "Connected")

            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
            composer = controller.composer
            await until(composer.isVisible)

            # Two documents at once, as a file manager drops them.
            assert drop_files(composer.documents_list.viewport(), file_mime(letter, scan)) == (
                True,
                True,
            )
            assert composer.document_paths() == [letter, scan]
            await until(lambda: composer.documents_list.item(1).text().endswith("1 page"))
            await until(lambda: composer.documents_list.item(0).text().endswith("pages"))
            assert composer.documents_list.item(0).text() == "referral.pdf  —  2 pages"
            assert composer.documents_list.item(1).text() == "lab-results.png  —  1 page"
            # Each shows its first page, rendered in the worker pool.
            await until(lambda: composer.document_thumbnail(scan) is not None)
            await until(lambda: composer.document_thumbnail(letter) is not None)
            thumbnail = composer.document_thumbnail(scan)
            assert thumbnail.width() == 88
            assert thumbnail.pixelColor(44, 30).value() < 200  # the grey box of the scan
            # The account's services are offered (the sandbox has its default one).
            await until(lambda: composer.options.service_combo.count() == 2)

            # Three recipients; the second one typed wrong.
            edit = composer.recipient_edit
            edit.setFocus()
            for number in ("+1 989 898 9898", "415 555", "(415) 555-0123"):
                qtbot.keyClicks(edit, number)
                qtbot.keyClick(edit, Qt.Key.Key_Return)
            recipients = composer.recipients
            assert recipients.problems() == ["415 555: “415 555” has too few or too many digits."]
            assert not composer.send_button.isEnabled()
            # Corrected in place: F2 on it, type the missing digits, Enter.
            recipients.list.setFocus()
            recipients.list.setCurrentRow(1)
            qtbot.keyClick(recipients.list, Qt.Key.Key_F2)
            assert edit.hasFocus()
            edit.end(False)
            qtbot.keyClicks(edit, " 0124")
            qtbot.keyClick(edit, Qt.Key.Key_Return)
            assert recipients.numbers() == [TEST_NUMBER, "+14155550123", "+14155550124"]

            # Options.
            options = composer.options
            qtbot.keyClicks(options.header_edit, "Mercy Clinic Radiology")
            assert options.header_counter.text() == "22/50"
            options.resolution_combo.setFocus()
            options.resolution_combo.setCurrentIndex(
                options.resolution_combo.findData(Resolution.SUPERFINE)
            )
            # The header's time zone, searched by part of its name.
            await until(lambda: options.time_zone_combo.count() > 400)
            options.time_zone_combo.setFocus()
            qtbot.keyClicks(options.time_zone_combo.lineEdit(), "Europe/Berlin")
            qtbot.keyClicks(options.labels_edit, "ticket=T-42")
            assert composer.send_button.isEnabled()

            # Send (Ctrl+Return), then the last look: both documents, three pages, in fax mode.
            qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            support = controller.composer_support
            await until(lambda: support.confirm_dialog is not None)
            confirm = support.confirm_dialog
            await until(lambda: confirm.pages_shown() == 3)
            assert confirm.summary_label.text() == "3 pages to 3 recipients"
            qtbot.keyClick(confirm.send_button, Qt.Key.Key_Space)

            # The composer is free at once; the faxes go out in the background.
            await until(lambda: not composer.isVisible())
            outbox_row = window.navigation.visualItemRect(window.navigation.item(3))
            qtbot.mouseClick(
                window.navigation.viewport(), Qt.MouseButton.LeftButton, pos=outbox_row.center()
            )
            assert window.current_view() is View.OUTBOX
            model = window.outbox_view.model
            await until(lambda: model.rowCount() == 3)
            await until(lambda: all(e.state is OutboxState.DELIVERED for e in model.entries()), 60)
            assert {event.entry_id for event in progress} == {e.id for e in model.entries()}
            assert all(event.done == event.total for event in progress[-1:])
            assert model.index(0, 1).data() == "Delivered"

            api = session.controller._faxes.api
            for entry in model.entries():
                assert entry.request.header_text == "Mercy Clinic Radiology", entry.request
                fax = await api.get_fax(entry.fax_id)
                assert fax.header_text == "Mercy Clinic Radiology"
                assert fax.resolution is Resolution.SUPERFINE
                assert fax.labels["ticket"] == "T-42"
                assert fax.header_time_zone == "Europe/Berlin"
                assert fax.number_of_pages == 3
            assert sorted(e.to for e in model.entries()) == sorted(
                [TEST_NUMBER, "+14155550123", "+14155550124"]
            )

            # The Settings' sending defaults offer the same services.
            window.settings_action.trigger()
            dialog = controller.settings_dialog
            assert dialog.sending_page.form.service_combo.count() == 2
            assert dialog.sending_page.form.time_zone_combo.count() > 400
            dialog.reject()
        finally:
            await session.close()

    qloop.run_until_complete(scenario())
