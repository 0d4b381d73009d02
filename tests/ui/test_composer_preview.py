"""The composer's preview: the selected document as it is, or as the far end's machine prints
it in the options chosen, switched with the view buttons above the pages."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.core.models import ImageConversionMethod
from faxdesk.ui.main_window import MainWindow
from tests.fakes.documents import grey_form_pdf
from tests.ui.controller_support import controller_for
from tests.waiting import until


def _values(image, box) -> list[int]:
    x0, y0, x1, y1 = box
    return [image.pixelColor(x, y).value() for x in range(x0, x1, 2) for y in range(y0, y1, 2)]


def test_the_composer_previews_a_document_as_faxed_in_the_options_chosen(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path
) -> None:
    pdf = tmp_path / "referral.pdf"
    pdf.write_bytes(grey_form_pdf(grey=0.6, title="Referral form"))
    window = MainWindow()
    qtbot.addWidget(window)
    with controller_for(window, paths, qloop, settings=Settings()) as controller:
        composer = controller.composer
        preview = composer.preview

        async def scenario() -> None:
            composer.show()
            assert preview.fax_view_button.isVisible()
            assert preview.document_view_button.isChecked()
            composer.add_paths([pdf])
            await until(lambda: preview.page_image(0) is not None)
            document_key = preview.key
            document = preview.page_image(0)
            band = (10, 2, document.width() - 10, 12)
            assert min(_values(document, band)) > 250  # nothing at the top of the document

            qtbot.mouseClick(preview.fax_view_button, Qt.MouseButton.LeftButton)
            await until(lambda: preview.key != document_key and preview.page_image(0) is not None)
            faxed = preview.page_image(0)
            # The header line the service prints is there, above the document.
            assert min(_values(faxed, band)) < 160
            field = (faxed.width() // 4, faxed.height() // 2, faxed.width() // 2, 0)
            field = (field[0], field[1], field[2], field[1] + 30)
            # Halftone (the service's default) keeps the field grey on average.
            assert 90 < sum(_values(faxed, field)) / len(_values(faxed, field)) < 200

            # Monochrome thresholds it: a 60 % grey prints white.
            options = composer.options
            options.conversion_combo.setCurrentIndex(
                options.conversion_combo.findData(ImageConversionMethod.MONOCHROME)
            )
            await until(lambda: preview.page_image(0) is not faxed and preview.page_image(0))
            thresholded = preview.page_image(0)
            assert min(_values(thresholded, field)) > 240

            qtbot.mouseClick(preview.document_view_button, Qt.MouseButton.LeftButton)
            await until(lambda: preview.key == document_key and preview.page_image(0))

        qloop.run_until_complete(scenario())
