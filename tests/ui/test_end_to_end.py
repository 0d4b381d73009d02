"""The whole path a new user takes, on the real sandbox child process over loopback HTTP.

Drop a PDF on the composer, send it to the test number, watch the list row reach Delivered
without a manual refresh, select it, and find its pages rendered in the preview.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinterInfo
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QWidget

from faxdesk.app import open_session
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.core.models import TEST_NUMBER, Direction, FaxStatus
from faxdesk.documents.pages import count_pages_in_file, make_test_pdf
from faxdesk.ui.fax_list import Column
from faxdesk.ui.main_window import MainWindow, View
from tests.waiting import until


def test_a_dropped_pdf_is_sent_delivered_and_previewed(
    qtbot, qloop, paths: Paths, tmp_path, drop_files, file_mime
):
    pdf = tmp_path / "referral.pdf"
    pdf.write_bytes(make_test_pdf(2, "Referral for J. Doe"))
    window = MainWindow(sandbox=True, view=View.INBOX)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    settings = Settings(refresh_interval=60.0, tracking_interval=0.1)
    statuses: list[FaxStatus] = []
    first_status: list[FaxStatus] = []

    async def scenario() -> None:
        session = await open_session(window, paths, settings, sandbox_time_scale=0.5)
        try:
            controller = session.controller
            assert controller is not None
            await until(lambda: window.connection_text() == "Connected")

            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
            composer = controller.composer
            await until(composer.isVisible)
            assert drop_files(composer, file_mime(pdf)) == (True, True)
            assert composer.document_paths() == [pdf]
            qtbot.keyClicks(composer.recipient_edit, "+1 989 898 9898")
            assert composer.send_button.isEnabled()
            qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
            # The last look: both pages as the fax machine prints them, then Send.
            support = controller.composer_support
            await until(lambda: support.confirm_dialog is not None)
            confirm = support.confirm_dialog
            await until(lambda: confirm.pages_shown() == 2)
            assert confirm.summary_label.text() == "2 pages to 1 recipient"
            qtbot.mouseClick(confirm.send_button, Qt.MouseButton.LeftButton)
            await until(lambda: not composer.isVisible())

            model = window.fax_list.model
            model.dataChanged.connect(
                lambda *_: statuses.append(model.fax_at(0).status) if model.rowCount() else None
            )
            await until(lambda: model.rowCount() == 1)
            fax = model.fax_at(0)
            first_status.append(fax.status)
            assert (fax.to, fax.direction, fax.number_of_pages) == (
                TEST_NUMBER,
                Direction.OUTBOUND,
                2,
            )
            await until(lambda: model.fax_at(0).status is FaxStatus.COMPLETED)
            # Sent from the Inbox, the fax is shown where it is: in Sent.
            assert window.current_view() is View.SENT

            # The send selected the new fax; its pages show once the service has them.
            assert window.fax_list.current_fax().id == fax.id
            await until(lambda: window.preview.page_image(0) is not None)
            assert window.preview.key == fax.id

            # Select it again by clicking its row.
            table = window.fax_list.table
            table.clearSelection()
            await until(lambda: window.preview.message() != "")
            row = table.visualRect(window.fax_list.proxy.index(0, Column.TO))
            qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=row.center())
            assert window.details.fax.id == fax.id
            await until(lambda: window.preview.page_image(0) is not None)
            image = window.preview.page_image(0)
            assert window.preview.page_count == 2
            assert image.width() > 200
            assert image.height() / image.width() == pytest.approx(11 / 8.5, rel=0.02)
            # A real page: white paper with dark text on it.
            assert image.pixelColor(2, 2).lightness() > 240
            dark = sum(
                image.pixelColor(x, y).lightness() < 100
                for x in range(0, image.width(), 4)
                for y in range(0, image.height() // 4, 4)
            )
            assert dark > 20

            # Download (Ctrl+S) offers a telling file name and saves the PDF there.
            folder = tmp_path / "saved"
            folder.mkdir()
            # Keys go where the user's focus is: the list, after clicking the row.
            assert QApplication.focusWidget() is table
            qtbot.keyClick(table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: _visible(QFileDialog) is not None)
            dialog = _visible(QFileDialog)
            dialog.setDirectory(str(folder))
            dialog.accept()
            [saved] = [path async for path in _files_appearing_in(folder)]
            assert saved.name.endswith(f"19898989898 {fax.id}.pdf")
            assert count_pages_in_file(saved) == 2

            # Print (Ctrl+P) puts every page on the printer. Test machines have none, so the
            # dialog prints to a PDF file, which can be read back.
            if not QPrinterInfo.availablePrinters():
                printed = tmp_path / "printed.pdf"
                # The offscreen platform does not give focus back when a dialog closes.
                window.activateWindow()
                await until(lambda: QApplication.focusWidget() is table)
                qtbot.keyClick(table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
                await until(lambda: _visible(QPrintDialog) is not None)
                dialog = _visible(QPrintDialog)
                # "filename" is the object name of Qt's own file field in that dialog.
                file_field = dialog.findChild(QLineEdit, "filename")
                assert file_field.text().endswith(f"19898989898 {fax.id}.pdf")
                file_field.setText(str(printed))
                dialog.accept()
                await until(lambda: window.statusBar().currentMessage() == "Sent to the printer.")
                assert count_pages_in_file(printed) == 2
        finally:
            await session.close()

    qloop.run_until_complete(scenario())
    # The list showed the fax before it was delivered, then changed that same row in place.
    assert not first_status[0].is_final
    assert statuses[-1] is FaxStatus.COMPLETED


async def _files_appearing_in(folder):
    def saved():
        return [path for path in folder.iterdir() if not path.name.startswith(".")]

    await until(saved)
    for path in saved():
        yield path


def _visible(kind: type[QWidget]) -> QWidget | None:
    return next(
        (
            widget
            for widget in QApplication.topLevelWidgets()
            if isinstance(widget, kind) and widget.isVisible()
        ),
        None,
    )


def test_a_file_dropped_on_the_window_opens_the_composer_which_checks_it(
    qtbot, qloop, paths: Paths, tmp_path, drop_files, file_mime
):
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(make_test_pdf(1, "Invoice"))
    window = MainWindow(sandbox=True)
    qtbot.addWidget(window)
    window.show()

    async def scenario() -> None:
        session = await open_session(window, paths, Settings(), sandbox_time_scale=0.5)
        try:
            composer = session.controller.composer
            assert not composer.isVisible()
            assert drop_files(window.fax_list.table.viewport(), file_mime(pdf)) == (True, True)
            await until(composer.isVisible)
            assert composer.document_paths() == [pdf]
            # Each document is opened to count its pages, and a broken one is marked.
            broken = tmp_path / "scan.pdf"
            broken.write_bytes(b"%PDF-1.4 this file was cut off")
            composer.add_paths([broken])
            qtbot.keyClicks(composer.recipient_edit, "+1 989 898 9898")
            await until(lambda: composer.document_problems())
            await until(lambda: composer.documents_list.item(0).text().endswith("page"))
            assert composer.document_problems() == [
                "scan.pdf is incomplete: the PDF ends before its last page "
                "(was the download cut off?)."
            ]
            assert composer.documents_list.item(0).text() == "invoice.pdf  —  1 page"
            assert not composer.send_button.isEnabled()
            composer.documents_list.clearSelection()
            composer.documents_list.setCurrentRow(1)
            qtbot.mouseClick(composer.remove_button, Qt.MouseButton.LeftButton)
            assert composer.send_button.isEnabled()
        finally:
            await session.close()

    qloop.run_until_complete(scenario())
