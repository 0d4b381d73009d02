"""The preview pane on its own: what it asks to have rendered, and how it lays pages out.

Requests are answered here with plain QImages of the requested size, so each test controls
exactly which images the pane holds.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from faxdesk.ui.preview import (
    DEFAULT_MESSAGE,
    LETTER,
    PageRequest,
    PreviewPane,
    ZoomMode,
)

A4_LANDSCAPE = (842.0, 595.0)
Batch = tuple[str, list[PageRequest]]


@pytest.fixture
def pane(qtbot: QtBot) -> PreviewPane:
    pane = PreviewPane()
    qtbot.addWidget(pane)
    pane.resize(600, 700)
    pane.show()
    qtbot.waitExposed(pane)
    return pane


@pytest.fixture
def batches(pane: PreviewPane) -> list[Batch]:
    received: list[Batch] = []
    pane.pages_requested.connect(lambda key, requests: received.append((key, list(requests))))
    return received


def _image(width: int, aspect: float = LETTER[1] / LETTER[0]) -> QImage:
    image = QImage(width, round(width * aspect), QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    return image


def _pending(batches: list[Batch]) -> list[PageRequest]:
    """What the pane wants now: its latest request list."""
    return batches[-1][1] if batches else []


def _answer(pane: PreviewPane, batches: list[Batch]) -> list[PageRequest]:
    """Render the latest request list (blank pages of the asked width); return what was asked."""
    if not batches:
        return []
    key, requests = batches[-1]
    for request in requests:
        width, height = _shown_size(pane, request)
        pane.set_page_image(key, request, _image(request.width, height / width))
    return requests


def _shown_size(pane: PreviewPane, request: PageRequest) -> tuple[float, float]:
    width, height = pane._pages[request.index].size
    return (height, width) if request.rotation % 180 else (width, height)


def _indexes(requests: list[PageRequest], *, thumbnails: bool = False) -> list[int]:
    return [request.index for request in requests if request.thumbnail == thumbnails]


def _wheel(widget, delta: int, modifiers=Qt.KeyboardModifier.NoModifier) -> bool:
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def _fit_width(pane: PreviewPane) -> int:
    return pane.scroll_area.viewport().width() - 2 * 16


def test_starts_with_the_select_hint_and_nothing_to_press(pane: PreviewPane) -> None:
    assert pane.message() == DEFAULT_MESSAGE
    assert pane.key is None
    for action in (pane.next_action, pane.zoom_in_action, pane.print_action, pane.save_action):
        assert not action.isEnabled()
    assert not pane.page_spin.isEnabled()
    assert pane.page_count_label.text() == ""


def test_show_document_requests_only_the_pages_in_view_at_fit_width(
    pane: PreviewPane, batches: list[Batch]
) -> None:
    pane.show_document("fax-1", [LETTER] * 20)
    [(key, requests)] = batches
    assert key == "fax-1"
    indexes = _indexes(requests)
    assert indexes[0] == 0
    # A 600 x 700 pane shows about one fit-width page; half a screen more each way.
    assert set(indexes) <= {0, 1, 2}
    assert {request.width for request in requests} == {_fit_width(pane)}
    assert {request.rotation for request in requests} == {0}
    assert pane.page_spin.value() == 1
    assert pane.page_count_label.text() == "of 20"
    assert pane.current_page == 0


def test_rendered_pages_are_not_asked_for_again(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 2)
    answered = _answer(pane, batches)
    assert _indexes(answered) == [0, 1]
    pane.go_to_page(1)
    pane.go_to_page(0)
    qtbot.wait(2 * PreviewPane.RESIZE_DELAY_MS)  # a debounced request would have come by now
    assert all(_pending([batch]) == [] for batch in batches[1:])


def test_a_late_image_for_an_old_document_is_dropped(
    pane: PreviewPane, batches: list[Batch]
) -> None:
    pane.show_document("old", [LETTER] * 2)
    old = batches[0][1][0]
    pane.show_document("new", [LETTER] * 2)
    assert not pane.set_page_image("old", old, _image(old.width))
    assert pane.page_image(0) is None
    assert pane.set_page_image("new", old, _image(old.width))
    assert pane.page_image(0) is not None
    assert not pane.set_page_image("new", PageRequest(7, old.width), _image(old.width))


def test_a_message_drops_the_document(pane: PreviewPane, batches: list[Batch]) -> None:
    pane.show_document("fax-1", [LETTER] * 3)
    request = batches[0][1][0]
    pane.show_message("Loading…")
    assert pane.message() == "Loading…"
    assert pane.key is None
    assert not pane.set_page_image("fax-1", request, _image(request.width))
    assert not pane.next_action.isEnabled()
    pane.clear()
    assert pane.message() == DEFAULT_MESSAGE
    pane.show_document("empty", [])
    assert pane.message() == "This document has no pages."


def test_keyboard_moves_page_by_page(pane: PreviewPane, batches: list[Batch], qtbot: QtBot) -> None:
    pane.show_document("fax-1", [LETTER] * 5)
    _answer(pane, batches)
    pane.scroll_area.setFocus()
    with qtbot.waitSignal(pane.page_changed) as changed:
        qtbot.keyClick(pane.scroll_area, Qt.Key.Key_PageDown)
    assert changed.args == [1]
    assert pane.page_spin.value() == 2
    bar = pane.scroll_area.verticalScrollBar()
    assert bar.value() > 0
    assert 2 in _indexes(_pending(batches)), "the page coming into view was not asked for"

    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_End)
    assert pane.current_page == 4
    assert not pane.next_action.isEnabled()
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_PageUp)
    assert pane.current_page == 3
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Home)
    assert pane.current_page == 0
    assert bar.value() == 0
    assert not pane.previous_action.isEnabled()


def test_next_button_and_page_number_field(pane: PreviewPane, qtbot: QtBot) -> None:
    pane.show_document("fax-1", [LETTER] * 12)
    button = pane.toolbar.widgetForAction(pane.next_action)
    with qtbot.waitSignal(pane.page_changed) as changed:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert changed.args == [1]

    pane.page_spin.setFocus()
    pane.page_spin.selectAll()
    qtbot.keyClicks(pane.page_spin, "9")
    with qtbot.waitSignal(pane.page_changed) as changed:
        qtbot.keyClick(pane.page_spin, Qt.Key.Key_Return)
    assert changed.args == [8]
    assert pane.page_spin.value() == 9
    assert pane.scroll_area.verticalScrollBar().value() >= pane._strip.page_top(8) - 14


def test_scrolling_requests_pages_lazily(pane: PreviewPane, batches: list[Batch]) -> None:
    pane.show_document("fax-1", [LETTER] * 30)
    first = set(_indexes(_pending(batches)))
    bar = pane.scroll_area.verticalScrollBar()
    bar.setValue(bar.maximum())
    last = set(_indexes(_pending(batches)))
    assert 29 in last
    assert last.isdisjoint(first)  # pages scrolled past are no longer wanted
    asked = {index for _key, requests in batches for index in _indexes(requests)}
    assert 15 not in asked
    assert pane.current_page == 29


def test_plain_wheel_scrolls_and_the_current_page_follows(pane: PreviewPane, qtbot: QtBot) -> None:
    pane.show_document("fax-1", [LETTER] * 10)
    viewport = pane.scroll_area.viewport()
    for _ in range(15):
        _wheel(viewport, -120)
    assert pane.scroll_area.verticalScrollBar().value() > 0
    assert pane.current_page >= 1
    assert pane.zoom_mode is ZoomMode.FIT_WIDTH


def test_resize_rerenders_at_the_new_width(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 2)
    _answer(pane, batches)
    old = pane.page_image(0)
    assert old is not None
    count = len(batches)
    pane.resize(900, 700)
    qtbot.waitUntil(lambda: len(batches) > count, timeout=2000)
    request = _pending(batches)[0]
    assert request.index == 0
    assert request.width == _fit_width(pane) > old.width()
    # Until the new image comes, the old one stands in, stretched.
    assert pane.page_image(0) is old


def test_zoom_steps_up_to_the_limit_and_down_to_the_other(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 3)
    # A Letter page is 816 px wide at 100 % on a 96 dpi screen; this pane fits 554 px of it.
    fit = pane.zoom_percent
    assert fit == pytest.approx(_fit_width(pane) / 816 * 100)
    assert 67 < fit < 75
    pane.scroll_area.setFocus()
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert pane.zoom_mode is ZoomMode.FIXED
    assert pane.zoom_percent == 75
    assert pane.zoom_combo.currentText() == "75 %"
    qtbot.waitUntil(lambda: _pending(batches) and _pending(batches)[0].width == 612)

    seen = []
    while pane.zoom_in_action.isEnabled():
        pane.zoom_in_action.trigger()
        seen.append(pane.zoom_percent)
    assert seen == [90, 100, 110, 125, 150, 175, 200, 250, 300, 400]
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert pane.zoom_percent == PreviewPane.MAX_ZOOM
    # At 400 % the page is 3264 px wide on screen, but never rendered finer than 300 dpi.
    assert pane._strip.page_rect(0).width() == 3264
    qtbot.waitUntil(lambda: _pending(batches) and _pending(batches)[0].width == 2550)

    while pane.zoom_out_action.isEnabled():
        qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert pane.zoom_percent == PreviewPane.MIN_ZOOM
    assert pane._strip.page_rect(0).width() == 408
    pane.set_zoom_percent(10)
    assert pane.zoom_percent == PreviewPane.MIN_ZOOM
    pane.set_zoom_percent(1000)
    assert pane.zoom_percent == PreviewPane.MAX_ZOOM


def test_ctrl_wheel_zooms_one_step_a_notch(pane: PreviewPane) -> None:
    pane.show_document("fax-1", [LETTER] * 3)
    pane.set_zoom_percent(100)
    viewport = pane.scroll_area.viewport()
    assert _wheel(viewport, 120, Qt.KeyboardModifier.ControlModifier)
    assert pane.zoom_percent == 110
    _wheel(viewport, -240, Qt.KeyboardModifier.ControlModifier)
    assert pane.zoom_percent == 90
    # A touchpad's small deltas add up to a notch before the zoom moves.
    _wheel(viewport, 60, Qt.KeyboardModifier.ControlModifier)
    assert pane.zoom_percent == 90
    _wheel(viewport, 60, Qt.KeyboardModifier.ControlModifier)
    assert pane.zoom_percent == 100


def test_fit_page_shows_whole_pages_and_the_wheel_turns_them(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER, A4_LANDSCAPE, LETTER])
    pane.scroll_area.setFocus()
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_F)
    assert pane.zoom_mode is ZoomMode.FIT_PAGE
    assert pane.zoom_combo.currentText() == "Fit page"
    viewport = pane.scroll_area.viewport()
    for index in range(3):
        rect = pane._strip.page_rect(index)
        assert rect.height() <= viewport.height() - 32
        assert rect.width() <= viewport.width() - 32
    # The portrait page fills the height, the landscape page the width.
    assert pane._strip.page_rect(0).height() == viewport.height() - 32
    assert pane._strip.page_rect(1).width() == viewport.width() - 32

    assert _wheel(viewport, -120)
    assert pane.current_page == 1
    _wheel(viewport, -120)
    assert pane.current_page == 2
    _wheel(viewport, 120)
    assert pane.current_page == 1

    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_W)
    assert pane.zoom_mode is ZoomMode.FIT_WIDTH
    assert pane._strip.page_rect(0).width() == _fit_width(pane)
    assert pane._strip.page_rect(1).width() == _fit_width(pane)
    assert pane.current_page == 1  # the page in view stays in view


def test_zoom_field_takes_a_typed_percentage_or_a_fit_choice(
    pane: PreviewPane, qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 2)
    edit = pane.zoom_combo.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "130")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert pane.zoom_mode is ZoomMode.FIXED
    assert pane.zoom_percent == 130
    assert pane._strip.page_rect(0).width() == round(612 * 1.3 * 96 / 72)
    edit.selectAll()
    qtbot.keyClicks(edit, "nonsense")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert pane.zoom_percent == 130
    pane.zoom_combo.activated.emit(pane.zoom_combo.findText("Fit page"))
    assert pane.zoom_mode is ZoomMode.FIT_PAGE
    pane.zoom_combo.activated.emit(pane.zoom_combo.findText("Fit width"))
    assert pane.zoom_mode is ZoomMode.FIT_WIDTH


def test_fixed_zoom_keeps_the_true_proportions_of_mixed_pages(pane: PreviewPane) -> None:
    pane.show_document("fax-1", [LETTER, A4_LANDSCAPE])
    pane.set_zoom_percent(100)
    letter, landscape = pane._strip.page_rect(0), pane._strip.page_rect(1)
    assert (letter.width(), letter.height()) == (816, 1056)
    assert (landscape.width(), landscape.height()) == (1123, 793)


def test_rotating_the_view_turns_every_page_and_asks_for_turned_images(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 3)
    _answer(pane, batches)
    upright = pane._strip.page_rect(0)
    assert upright.height() > upright.width()
    pane.scroll_area.setFocus()
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert pane.rotation == 90
    turned = pane._strip.page_rect(0)
    assert turned.width() == upright.width()
    assert turned.height() == round(upright.width() * 612 / 792)
    qtbot.waitUntil(lambda: {request.rotation for request in _pending(batches)} == {90})
    _answer(pane, batches)
    assert pane._pages[0].image_request.rotation == 90

    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert pane.rotation == 270
    for _ in range(3):
        pane.rotate_right_action.trigger()
    assert pane.rotation == 180
    # A new document starts upright.
    pane.show_document("fax-2", [LETTER])
    assert pane.rotation == 0


def test_thumbnails_render_only_those_in_view_and_a_click_opens_the_page(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 50)
    assert not pane.thumbnails.isVisible()
    assert _indexes(_pending(batches), thumbnails=True) == []
    QAbstractItemModelTester(
        pane.thumbnails.model(), QAbstractItemModelTester.FailureReportingMode.Fatal
    )
    pane.scroll_area.setFocus()
    qtbot.keyClick(pane.scroll_area, Qt.Key.Key_F9)
    assert pane.thumbnails.isVisible()
    assert pane.thumbnails_action.isChecked()
    qtbot.waitUntil(lambda: bool(_indexes(_pending(batches), thumbnails=True)))
    wanted = _indexes(_pending(batches), thumbnails=True)
    # About five 140 px rows fit in the pane's height, plus a few either side.
    assert wanted[0] == 0
    assert 3 <= len(wanted) <= 10
    box = PreviewPane.THUMBNAIL_BOX
    assert {r.width for r in _pending(batches) if r.thumbnail} == {round(612 * box.height() / 792)}
    _answer(pane, batches)
    assert pane.thumbnail_image(0) is not None
    assert pane.thumbnail_image(30) is None

    index = pane.thumbnails.model().index(3, 0)
    rect = pane.thumbnails.visualRect(index)
    with qtbot.waitSignal(pane.page_changed) as changed:
        qtbot.mouseClick(pane.thumbnails.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert changed.args == [3]
    assert pane.scroll_area.verticalScrollBar().value() >= pane._strip.page_top(3) - 14

    # Going to a far page selects and scrolls to its thumbnail, which is then asked for.
    pane.go_to_page(40)
    assert pane.thumbnails.currentIndex().row() == 40
    qtbot.waitUntil(lambda: 40 in _indexes(_pending(batches), thumbnails=True))


def test_images_of_pages_out_of_view_are_kept_within_the_cache_budget(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 100)
    pane.set_thumbnails_visible(True)
    qtbot.waitUntil(lambda: bool(_pending(batches)))
    page_bytes = None
    for index in range(100):
        pane.go_to_page(index)
        for request in _answer(pane, batches):
            if not request.thumbnail:
                page_bytes = pane.page_image(request.index).sizeInBytes()
        held = [i for i in range(100) if pane.page_image(i) is not None]
        out_of_view = [i for i in held if i not in pane._wanted]
        assert sum(pane.page_image(i).sizeInBytes() for i in out_of_view) <= pane.CACHE_BYTES
        thumbs = [i for i in range(100) if pane.thumbnail_image(i) is not None]
        assert len(thumbs) * 12_000 <= pane.THUMBNAIL_CACHE_BYTES + 12 * 12_000
    assert page_bytes is not None
    held = [i for i in range(100) if pane.page_image(i) is not None]
    # Only the pages in view and the most recent ones before them are held.
    assert 99 in held
    assert len(held) <= pane.CACHE_BYTES // page_bytes + 3
    assert min(held) >= 100 - (pane.CACHE_BYTES // page_bytes + 3)


def test_an_image_of_another_shape_corrects_a_guessed_page_size(
    pane: PreviewPane, batches: list[Batch]
) -> None:
    pane.show_document("fax-1", [LETTER] * 2)
    letter_height = pane._strip.height()
    request = batches[0][1][0]
    pane.set_page_image("fax-1", request, _image(request.width, aspect=297 / 210))
    assert pane._strip.height() > letter_height


def test_a_page_that_fails_says_why_and_is_not_asked_for_again(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 3)
    assert pane.set_page_error("fax-1", 0, "scan.pdf is damaged.")
    assert pane.page_error(0) == "scan.pdf is damaged."
    assert not pane.set_page_error("other", 0, "no")
    pane.fit_page()  # new widths for every page: all are asked for again, but the failed one
    qtbot.waitUntil(lambda: len(batches) > 1)
    assert _indexes(_pending(batches)) == [1]


def test_print_and_save_announce_the_document(pane: PreviewPane, qtbot: QtBot) -> None:
    pane.show_document("fax-7", [LETTER])
    with qtbot.waitSignal(pane.print_requested) as printed:
        qtbot.mouseClick(pane.toolbar.widgetForAction(pane.print_action), Qt.MouseButton.LeftButton)
    assert printed.args == ["fax-7"]
    with qtbot.waitSignal(pane.save_requested) as saved:
        pane.save_action.trigger()
    assert saved.args == ["fax-7"]


def test_every_control_is_reachable_by_tab_and_named(pane: PreviewPane) -> None:
    pane.show_document("fax-1", [LETTER] * 2)
    buttons = [
        widget
        for action in pane.toolbar.actions()
        if isinstance(widget := pane.toolbar.widgetForAction(action), QToolButton)
    ]
    assert len(buttons) == 9
    for button in buttons:
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
        assert button.accessibleName()
        assert button.toolTip()
    assert "(Ctrl++)" in pane.zoom_in_action.toolTip()
    for widget in (pane.page_spin, pane.zoom_combo, pane.scroll_area, pane.thumbnails):
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        assert widget.accessibleName()


def test_a_first_page_rendered_ahead_is_shown_at_once_and_not_asked_for(
    pane: PreviewPane, batches: list[Batch]
) -> None:
    pane.show_message("Loading…")
    ahead = pane.first_page_request()
    pane.show_document("fax-1", [LETTER] * 5, {ahead: _image(ahead.width)})
    # The guess was right (the pane never showed pages before, so it came from its layout).
    assert ahead == PageRequest(0, _fit_width(pane))
    assert pane.page_image(0) is not None
    assert 0 not in _indexes(_pending(batches))
    assert 1 in _indexes(_pending(batches))
    pane.fit_page()
    assert pane.first_page_request() is None  # its width depends on the page's shape


def test_page_sizes_read_later_replace_the_guessed_ones_and_keep_the_view(
    pane: PreviewPane, batches: list[Batch], qtbot: QtBot
) -> None:
    pane.show_document("fax-1", [LETTER] * 6)
    pane.go_to_page(3)
    assert not pane.set_page_sizes("other", [LETTER] * 6)
    assert not pane.set_page_sizes("fax-1", [LETTER] * 5)
    assert pane.set_page_sizes("fax-1", [LETTER, A4_LANDSCAPE, A4_LANDSCAPE] + [LETTER] * 3)
    landscape = pane._strip.page_rect(1)
    assert landscape.width() > landscape.height()
    assert pane.current_page == 3
    top = pane.scroll_area.verticalScrollBar().value()
    assert pane._strip.page_top(3) - 14 <= top <= pane._strip.page_top(3)


def test_the_fax_view_choice_is_offered_only_when_enabled(pane: PreviewPane, qtbot: QtBot) -> None:
    assert not pane.fax_view_button.isVisible()
    pane.enable_fax_view()
    assert pane.fax_view_button.isVisible()
    assert pane.document_view_button.isChecked()
    assert not pane.fax_view
    with qtbot.waitSignal(pane.fax_view_changed) as changed:
        qtbot.mouseClick(pane.fax_view_button, Qt.MouseButton.LeftButton)
    assert changed.args == [True]
    assert pane.fax_view
    assert not pane.document_view_button.isChecked()
    # From the keyboard: the buttons are on the Tab chain and Space presses them.
    assert pane.document_view_button.focusPolicy() & Qt.FocusPolicy.TabFocus
    pane.document_view_button.setFocus()
    with qtbot.waitSignal(pane.fax_view_changed) as changed:
        qtbot.keyClick(pane.document_view_button, Qt.Key.Key_Space)
    assert changed.args == [False]
    pane.set_fax_view(True)
    pane.enable_fax_view(False)
    assert not pane.fax_view  # hiding the choice goes back to the document
