from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from faxdesk.ui.preview import DEFAULT_MESSAGE, LETTER_ASPECT, PreviewPane

Request = tuple[str, int, int]


@pytest.fixture
def pane(qtbot: QtBot) -> PreviewPane:
    pane = PreviewPane()
    qtbot.addWidget(pane)
    pane.resize(600, 700)
    pane.show()
    qtbot.waitExposed(pane)
    return pane


@pytest.fixture
def requests(pane: PreviewPane) -> list[Request]:
    received: list[Request] = []
    pane.page_requested.connect(lambda key, index, width: received.append((key, index, width)))
    return received


def _page(width: int, aspect: float = LETTER_ASPECT) -> QImage:
    image = QImage(width, round(width * aspect), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    return image


def _answer(pane: PreviewPane, requests: list[Request]) -> None:
    """Render every outstanding request (a blank page of the requested width)."""
    while requests:
        key, index, width = requests.pop(0)
        pane.set_page_image(key, index, _page(width))


def test_starts_with_the_select_hint(pane: PreviewPane) -> None:
    assert pane.message() == DEFAULT_MESSAGE
    assert pane.key is None
    assert not pane.next_button.isEnabled()
    assert pane.page_label.text() == ""


def test_show_document_requests_only_the_visible_pages_at_fit_width(
    pane: PreviewPane, requests: list[Request]
) -> None:
    pane.show_document("fax-1", 20)
    assert requests, "nothing requested"
    keys = {key for key, _index, _width in requests}
    indexes = [index for _key, index, _width in requests]
    widths = {width for _key, _index, width in requests}
    assert keys == {"fax-1"}
    assert indexes[0] == 0
    assert len(indexes) <= 3  # a 20-page fax: only what is (nearly) on screen
    viewport = pane.scroll_area.viewport().width()
    (width,) = widths
    assert viewport - 60 <= width / pane.devicePixelRatioF() <= viewport
    assert pane.page_label.text() == "Page 1 of 20"
    assert pane.current_page == 0


def test_rendered_pages_are_not_requested_again(
    pane: PreviewPane, requests: list[Request], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", 2)
    _answer(pane, requests)
    with qtbot.assertNotEmitted(pane.page_requested, wait=2 * PreviewPane.RESIZE_DELAY_MS):
        pane.go_to_page(1)


def test_a_late_image_for_an_old_document_is_dropped(
    pane: PreviewPane, requests: list[Request]
) -> None:
    pane.show_document("old", 2)
    old_width = requests[0][2]
    pane.show_document("new", 2)
    assert not pane.set_page_image("old", 0, _page(old_width))
    assert pane._strip.pages[0].image is None
    assert pane.set_page_image("new", 0, _page(old_width))
    assert pane._strip.pages[0].image is not None
    assert not pane.set_page_image("new", 7, _page(old_width))  # no such page


def test_a_message_drops_the_document(pane: PreviewPane, requests: list[Request]) -> None:
    pane.show_document("fax-1", 3)
    pane.show_message("Loading…")
    assert pane.message() == "Loading…"
    assert pane.key is None
    assert not pane.set_page_image("fax-1", 0, _page(requests[0][2]))
    pane.clear()
    assert pane.message() == DEFAULT_MESSAGE
    pane.show_document("empty", 0)
    assert pane.message() == "This document has no pages."


def test_page_down_moves_one_page(pane: PreviewPane, requests: list[Request], qtbot: QtBot) -> None:
    pane.show_document("fax-1", 5)
    _answer(pane, requests)
    with qtbot.waitSignal(pane.page_changed) as changed:
        qtbot.keyClick(pane.scroll_area, Qt.Key.Key_PageDown)
    assert changed.args == [1]
    assert pane.current_page == 1
    assert pane.page_label.text() == "Page 2 of 5"
    bar = pane.scroll_area.verticalScrollBar()
    assert bar.value() > 0
    assert any(index == 2 for _key, index, _width in requests), "next page not requested"

    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_End)
    assert pane.current_page == 4
    assert not pane.next_button.isEnabled()
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_PageUp)
    assert pane.current_page == 3
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Home)
    assert pane.current_page == 0
    assert bar.value() == 0
    assert not pane.previous_button.isEnabled()


def test_next_button(pane: PreviewPane, qtbot: QtBot) -> None:
    pane.show_document("fax-1", 3)
    with qtbot.waitSignal(pane.page_changed) as changed:
        qtbot.mouseClick(pane.next_button, Qt.MouseButton.LeftButton)
    assert changed.args == [1]


def test_scrolling_requests_pages_lazily(pane: PreviewPane, requests: list[Request]) -> None:
    pane.show_document("fax-1", 30)
    first = {index for _key, index, _width in requests}
    bar = pane.scroll_area.verticalScrollBar()
    bar.setValue(bar.maximum())
    later = {index for _key, index, _width in requests} - first
    assert 29 in later
    assert 15 not in first | later
    assert pane.current_page == 29


def test_resize_rerenders_at_the_new_width(
    pane: PreviewPane, requests: list[Request], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", 2)
    _answer(pane, requests)
    old = pane._strip.pages[0].image
    assert old is not None
    pane.resize(900, 700)
    qtbot.waitUntil(lambda: bool(requests), timeout=2000)
    key, index, width = requests[0]
    assert (key, index) == ("fax-1", 0)
    assert width > old.width()


def test_zoom_in_rerenders_wider(pane: PreviewPane, requests: list[Request], qtbot: QtBot) -> None:
    pane.show_document("fax-1", 2)
    fit = requests[0][2]
    _answer(pane, requests)
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert pane.zoom == pytest.approx(PreviewPane.ZOOM_STEP)
    qtbot.waitUntil(lambda: bool(requests), timeout=2000)
    assert requests[0][2] == pytest.approx(fit * PreviewPane.ZOOM_STEP, abs=2)
    qtbot.mouseClick(pane.fit_button, Qt.MouseButton.LeftButton)
    assert pane.zoom == 1.0


def test_real_page_size_replaces_the_letter_placeholder(
    pane: PreviewPane, requests: list[Request]
) -> None:
    pane.show_document("fax-1", 2)
    letter_height = pane._strip.height()
    width = requests[0][2]
    pane.set_page_image("fax-1", 0, _page(width, aspect=297 / 210))  # A4 is taller
    assert pane._strip.height() > letter_height
