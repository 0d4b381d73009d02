"""The preview pane fed by real worker processes: long documents, fast scrolling, failures,
printing to a PDF file and saving as PDF, all on the qasync loop the app runs on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pymupdf
import pytest
from PySide6.QtCore import QRect
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QWidget

from faxdesk.core.errors import DocumentError
from faxdesk.core.models import ImageConversionMethod, Resolution
from faxdesk.documents.fax_previews import fax_page_size
from faxdesk.documents.faxmode import FaxHeader, FaxMode
from faxdesk.documents.pages import RenderedPage, make_test_pdf
from faxdesk.services.previews import PageRenderer
from faxdesk.ui.preview import PreviewPane
from faxdesk.ui.preview_feed import PreviewFeed
from faxdesk.ui.tasks import TaskKeeper
from tests.fakes.documents import grey_form_pdf
from tests.waiting import until


class CountingRenderer(PageRenderer):
    """The real renderer, noting each page it finished rendering."""

    def __init__(self) -> None:
        super().__init__()
        self.rendered: list[tuple[Path, int, int]] = []

    async def render(self, path: Path, index: int, width: int, rotation: int = 0) -> RenderedPage:
        page = await super().render(path, index, width, rotation)
        self.rendered.append((path, index, width))
        return page


@pytest.fixture(scope="module")
def renderer() -> Iterator[CountingRenderer]:
    # One worker pool for the module: starting a spawned worker costs a second.
    result = CountingRenderer()
    yield result
    result.shutdown()


class Harness:
    def __init__(self, qtbot, qloop, renderer: CountingRenderer) -> None:
        self.errors: list[BaseException] = []
        self.reports: list[tuple[str, bool]] = []
        self.tasks = TaskKeeper(on_error=self.errors.append)
        self.pane = PreviewPane()
        qtbot.addWidget(self.pane)
        self.pane.resize(600, 700)
        self.pane.show()
        qtbot.waitExposed(self.pane)
        renderer.rendered.clear()
        self.renderer = renderer
        self.feed = PreviewFeed(self.pane, renderer, self.tasks)
        self.feed.report = lambda text, error=False: self.reports.append((text, error))
        self.loop = qloop

    def run(self, coro) -> None:
        self.loop.run_until_complete(coro)

    def rendered_pages(self) -> set[int]:
        return {index for _path, index, _width in self.renderer.rendered}


@pytest.fixture
def harness(qtbot, qloop, renderer) -> Iterator[Harness]:
    built = Harness(qtbot, qloop, renderer)
    yield built
    built.feed.stop()
    qloop.run_until_complete(built.tasks.close())
    assert built.errors == []


def _pdf(tmp_path: Path, name: str, pages: int, title: str = "FaxDesk test page") -> Path:
    path = tmp_path / name
    path.write_bytes(make_test_pdf(pages, title))
    return path


def _dark_pixels(image, rows: range) -> int:
    return sum(
        image.pixelColor(x, y).lightness() < 100
        for x in range(0, image.width(), 3)
        for y in rows
        if y < image.height()
    )


def test_a_300_page_fax_shows_its_first_page_and_renders_only_what_is_looked_at(
    harness: Harness, tmp_path
):
    path = _pdf(tmp_path, "long.pdf", 300)
    pane = harness.pane

    async def scenario() -> None:
        await harness.feed.show("fax-1", [path])
        assert pane.page_count == 300
        await until(lambda: pane.page_image(0) is not None)
        image = pane.page_image(0)
        assert image.width() == pane.scroll_area.viewport().width() - 32
        assert _dark_pixels(image, range(0, image.height() // 4, 3)) > 20  # the title
        assert harness.rendered_pages() <= {0, 1, 2}

        pane.go_to_page(299)
        await until(lambda: pane.page_image(299) is not None)
        assert 150 not in harness.rendered_pages()

    harness.run(scenario())


def test_scrolling_fast_drops_the_pages_scrolled_past(harness: Harness, tmp_path):
    path = _pdf(tmp_path, "long.pdf", 300)
    pane = harness.pane

    async def scenario() -> None:
        await harness.feed.show("fax-1", [path])
        await until(lambda: pane.page_image(0) is not None)
        harness.renderer.rendered.clear()
        visited = range(10, 300, 10)
        for index in visited:
            pane.go_to_page(index)
            # Let the render start and reach the worker pool before the next page replaces it.
            await asyncio.sleep(0)
        await until(lambda: pane.page_image(290) is not None)
        # Only the first pages reached the worker before they were dropped; the last is done.
        assert len(harness.renderer.rendered) < len(visited) // 2
        assert 290 in harness.rendered_pages()

    harness.run(scenario())


def test_the_first_page_comes_with_opening_and_the_real_sizes_follow(harness: Harness, tmp_path):
    path = tmp_path / "mixed.pdf"
    doc = pymupdf.open(stream=make_test_pdf(3), filetype="pdf")
    doc.new_page(width=842, height=595)
    doc.save(path)
    doc.close()
    pane = harness.pane

    async def scenario() -> None:
        pane.show_message("Loading…")
        await harness.feed.show("fax-1", [path])
        # Shown with the first page already there, before any other page is rendered.
        assert pane.page_image(0) is not None
        assert 0 not in harness.rendered_pages()
        landscape = pane._strip.page_rect(3)
        assert landscape.height() > landscape.width()  # guessed: the first page's size
        await until(lambda: pane._strip.page_rect(3).width() > pane._strip.page_rect(3).height())

    harness.run(scenario())


def test_documents_are_shown_one_after_the_other(harness: Harness, tmp_path):
    first = _pdf(tmp_path, "cover.pdf", 1, "Cover")
    second = _pdf(tmp_path, "letter.pdf", 2, "Letter")
    pane = harness.pane

    async def scenario() -> None:
        await harness.feed.show("draft", [first, second])
        assert pane.page_count == 3
        pane.fit_page()
        pane.go_to_page(2)
        await until(lambda: pane.page_image(2) is not None)
        assert (second, 1) in {(p, i) for p, i, _w in harness.renderer.rendered}

    harness.run(scenario())


def test_an_unreadable_document_is_refused_and_a_page_that_breaks_says_why(
    harness: Harness, tmp_path
):
    path = _pdf(tmp_path, "scan.pdf", 20)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 cut off")
    pane = harness.pane

    async def scenario() -> None:
        with pytest.raises(DocumentError, match=r"broken\.pdf is not a readable PDF"):
            await harness.feed.show("fax-2", [broken])
        assert pane.key is None
        await harness.feed.show("fax-1", [path])
        await until(lambda: pane.page_image(0) is not None)
        path.write_bytes(b"overwritten by something else")
        pane.go_to_page(12)
        await until(lambda: pane.page_error(12) != "")
        assert pane.page_error(12) == "scan.pdf is not a readable PDF."
        assert pane.key == "fax-1"  # the rest of the document stays up

    harness.run(scenario())


def test_print_puts_every_page_on_paper(harness: Harness, tmp_path):
    path = tmp_path / "mixed.pdf"
    doc = pymupdf.open(stream=make_test_pdf(2, "Printed"), filetype="pdf")
    landscape = doc.new_page(width=842, height=595)
    landscape.insert_text((72, 100), "Landscape", fontsize=40)
    doc.save(path)
    doc.close()
    printed = tmp_path / "printed.pdf"
    pane = harness.pane

    async def scenario() -> None:
        await harness.feed.show("fax-1", [path], "2024-12-03 fax.pdf")
        pane.print_action.trigger()
        await until(lambda: _visible(QPrintDialog) is not None)
        dialog = _visible(QPrintDialog)
        dialog.printer().setOutputFormat(dialog.printer().OutputFormat.PdfFormat)
        file_field = dialog.findChild(QLineEdit, "filename")
        if file_field is not None:  # the dialog's own field wins over the printer's setting
            assert file_field.text().endswith("2024-12-03 fax.pdf")
            file_field.setText(str(printed))
        dialog.printer().setOutputFileName(str(printed))
        dialog.accept()
        await until(lambda: harness.reports)

    harness.run(scenario())
    assert harness.reports == [("Sent to the printer.", False)]
    with pymupdf.open(printed) as result:
        assert result.page_count == 3
        sizes = {(round(page.rect.width), round(page.rect.height)) for page in result}
        assert len(sizes) == 1  # one paper size
        images = [page.get_images() for page in result]
        assert all(len(found) == 1 for found in images)
        # The landscape page went across the portrait paper: its image is taller than wide.
        last = result[2].get_image_info()[0]["bbox"]
        assert last[3] - last[1] > last[2] - last[0]


def test_save_as_pdf_copies_one_document_and_joins_several(harness: Harness, tmp_path):
    first = _pdf(tmp_path, "cover.pdf", 1, "Cover")
    second = _pdf(tmp_path, "letter.pdf", 2, "Letter")
    out = tmp_path / "out"
    out.mkdir()

    async def save(paths: list[Path], name: str) -> Path:
        await harness.feed.show(name, paths, name)
        harness.pane.save_action.trigger()
        await until(lambda: _visible(QFileDialog) is not None)
        dialog = _visible(QFileDialog)
        dialog.setDirectory(str(out))
        dialog.selectFile(name)
        dialog.accept()
        await until(lambda: len(harness.reports) == 1)
        harness.reports.clear()
        return out / name

    async def scenario() -> None:
        single = await save([second], "copy.pdf")
        assert single.read_bytes() == second.read_bytes()
        joined = await save([first, second], "joined.pdf")
        with pymupdf.open(joined) as result:
            texts = [page.get_text() for page in result]
        assert len(texts) == 3
        assert "Cover" in texts[0]
        assert "Letter" in texts[2]

    harness.run(scenario())
    assert sorted(path.name for path in out.iterdir()) == ["copy.pdf", "joined.pdf"]


FINE = FaxMode(
    Resolution.FINE,
    ImageConversionMethod.HALFTONE,
    header=FaxHeader("Northside Clinic", sent_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC)),
)


def _grey_form(tmp_path: Path, pages: int = 3) -> Path:
    path = tmp_path / "form.pdf"
    path.write_bytes(grey_form_pdf(pages))
    return path


def _greys_list(image, box) -> list[int]:
    x0, y0, x1, y1 = box
    return [image.pixelColor(x, y).value() for x in range(x0, x1, 2) for y in range(y0, y1, 2)]


def _greys(image, box) -> set[int]:
    return set(_greys_list(image, box))


def test_the_fax_view_shows_the_pages_as_faxed_and_back(harness: Harness, tmp_path):
    path = _grey_form(tmp_path)
    pane = harness.pane

    async def scenario() -> None:
        await harness.feed.show("draft", [path])
        pane.go_to_page(1)
        await until(lambda: pane.page_image(1) is not None)
        document = pane.page_image(1)
        # In the document the field is one flat grey.
        field = (document.width() // 4, document.height() // 2, document.width() // 2, 0)
        box = (field[0], field[1], field[2], field[1] + 40)
        assert len(_greys(document, box)) == 1

        harness.feed.set_fax_mode(FINE)
        await until(lambda: pane.key == "draft as faxed" and pane.page_image(1) is not None)
        assert pane.current_page == 1
        assert pane.page_count == 3
        faxed = pane.page_image(1)
        width, height = fax_page_size(FINE)
        assert faxed.height() == pytest.approx(faxed.width() * height / width, abs=1)
        # Halftoned, the field keeps its grey on average (a grey form stays readable)...
        mean = sum(_greys_list(faxed, box)) / len(_greys_list(faxed, box))
        assert 90 < mean < 170
        # ...and close up it is what the machine prints: black and white dots, pixel for pixel
        # (never rendered finer than the fax's own 204 dots an inch).
        pane.set_zoom_percent(400)
        await until(lambda: (i := pane.page_image(1)) is not None and i.width() == 1728)
        rect = pane._strip.page_rect(1)
        pane.scroll_area.ensureVisible(rect.left() + rect.width() // 3, rect.center().y(), 5, 5)
        shown = pane._strip.grab(QRect(rect.left() + rect.width() // 4, rect.center().y(), 200, 60))
        dots = _greys_list(shown.toImage(), (0, 0, 200, 60))
        assert sum(v < 40 or v > 215 for v in dots) > 0.9 * len(dots)
        assert min(dots) < 40 < 215 < max(dots)
        pane.fit_width()
        # The header line is printed in the band at the top; the document has nothing there.
        assert min(_greys(faxed, (10, 2, faxed.width() - 10, 12))) < 160
        assert min(_greys(document, (10, 2, document.width() - 10, 12))) > 250

        pane.go_to_page(2)
        harness.feed.set_fax_mode(None)
        await until(lambda: pane.key == "draft" and pane.page_image(2) is not None)
        assert pane.current_page == 2

    harness.run(scenario())


def test_a_header_time_zone_that_is_not_one_says_so_on_the_page(harness: Harness, tmp_path):
    path = _grey_form(tmp_path, 1)
    pane = harness.pane
    wrong = FaxMode(header=FaxHeader("x", time_zone="Mars/Olympus"))

    async def scenario() -> None:
        harness.feed.set_fax_mode(wrong)
        await harness.feed.show("draft", [path])
        await until(lambda: pane.page_error(0) != "")

    harness.run(scenario())
    assert "Mars/Olympus" in pane.page_error(0)


def test_a_turned_fax_view_and_its_pdf(harness: Harness, tmp_path):
    path = _grey_form(tmp_path, 2)
    pane = harness.pane
    out = tmp_path / "out"
    out.mkdir()

    async def scenario() -> None:
        harness.feed.set_fax_mode(FINE)
        await harness.feed.show("draft", [path], "faxed.pdf")
        pane.rotate_right()
        await until(
            lambda: (
                (image := pane.page_image(0)) is not None
                and image.width() > 0
                and pane._pages[0].image_request.rotation == 90
            )
        )
        turned = pane.page_image(0)
        assert turned.width() > turned.height()
        # The header band went to the right-hand edge with the page's top.
        assert (
            min(_greys(turned, (turned.width() - 5, 10, turned.width() - 1, turned.height() - 10)))
            < 128
        )

        pane.save_action.trigger()
        await until(lambda: _visible(QFileDialog) is not None)
        dialog = _visible(QFileDialog)
        dialog.setDirectory(str(out))
        dialog.accept()
        await until(lambda: harness.reports)

    harness.run(scenario())
    assert harness.reports == [(f"Saved {out / 'faxed.pdf'}.", False)]
    with pymupdf.open(out / "faxed.pdf") as saved:
        assert saved.page_count == 2
        assert round(saved[0].rect.width) == 612  # Letter, upright
        pixels = saved[0].get_pixmap(colorspace=pymupdf.csGRAY, dpi=50).samples
        # What was saved is the fax: its header line is at the top of the page.
        assert min(pixels[: 5 * saved[0].get_pixmap(dpi=50).width]) < 128
    assert sorted(path.name for path in out.iterdir()) == ["faxed.pdf"]


def _visible(kind: type[QWidget]) -> QWidget | None:
    return next(
        (
            widget
            for widget in QApplication.topLevelWidgets()
            if isinstance(widget, kind) and widget.isVisible()
        ),
        None,
    )


def test_a_preview_started_before_it_is_shown_is_shown_without_rendering_again(
    harness: Harness, tmp_path
):
    path = _pdf(tmp_path, "started.pdf", 3)
    pane, feed = harness.pane, harness.feed

    async def scenario() -> None:
        width = feed.first_page_width()
        assert width is not None
        found = await harness.renderer.start_preview(lambda: path, width).result()
        assert found is not None
        _path, start = found
        # At another width than the pane now wants, it is left for `show` to do.
        assert not feed.show_started("fax-s", path, start, width + 10)
        assert pane.key is None
        assert feed.show_started("fax-s", path, start, width, "started.pdf")
        assert pane.key == "fax-s"
        assert pane.page_count == 3
        image = pane.page_image(0)
        assert image is not None
        assert image.width() == width
        assert _dark_pixels(image, range(0, image.height() // 4, 3)) > 20  # the title
        await until(lambda: pane.page_image(1) is not None)
        assert (path, 0, width) not in harness.renderer.rendered

        # In a fax mode the pages are rendered as faxed: nothing is started before.
        feed.set_fax_mode(FINE)
        assert feed.first_page_width() is None
        assert not feed.show_started("fax-t", path, start, width)

    harness.run(scenario())
