"""A picture pasted into the composer (a screenshot, say) becomes a document like any file."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.ui.main_window import MainWindow
from tests.ui.controller_support import controller_for
from tests.waiting import until


def test_a_pasted_picture_is_listed_converted_and_shown(qtbot: QtBot, qloop, paths: Paths) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    picture = QImage(800, 600, QImage.Format.Format_RGB32)
    picture.fill(QColor("white"))
    with controller_for(window, paths, qloop, settings=Settings()) as controller:
        composer = controller.composer

        async def scenario() -> None:
            window.new_fax_requested.emit()
            await until(composer.isActiveWindow)
            QApplication.clipboard().setImage(picture)
            composer.documents_list.setFocus()
            qtbot.keyClick(
                composer.documents_list, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier
            )
            await until(lambda: composer.documents_list.count() == 1)
            [path] = composer.document_paths()
            assert path.name == "Pasted picture 1.png"
            assert QImage(str(path)).size() == picture.size()
            await until(lambda: composer.documents_list.item(0).text().endswith("1 page"))
            assert composer.documents_list.item(0).text() == "Pasted picture 1.png  —  1 page"
            await until(lambda: composer.document_thumbnail(path) is not None)
            # A second picture gets a name of its own.
            qtbot.keyClick(
                composer.documents_list, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier
            )
            await until(lambda: composer.documents_list.count() == 2)
            assert composer.document_paths()[1].name == "Pasted picture 2.png"
            await controller._tasks.cancel_all()

        qloop.run_until_complete(scenario())
