"""The preview pane: the pages of one fax document, rendered elsewhere, stacked in a scroll area.

The pane never opens a document. `show_document(key, page_count)` lays out placeholder pages
(US Letter until a page's real size is known) and asks for the pages the user can (nearly) see
with `page_requested(key, index, width)`; whoever renders answers with `set_page_image()`. An
image for a document that is no longer shown is dropped. Resizing and zooming ask again at the
new width, debounced.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from faxdesk.ui.icons import icon
from faxdesk.ui.theme import is_dark

#: Height / width of a US Letter page, assumed until a page's image says otherwise.
LETTER_ASPECT = 11 / 8.5

DEFAULT_MESSAGE = "Select a fax to preview it."


@dataclass(slots=True)
class _Page:
    aspect: float = LETTER_ASPECT
    image: QImage | None = None
    requested_width: int = 0


class _PageStrip(QWidget):
    """Paints the pages one under the other; only the pages inside the exposed area."""

    MARGIN = 16
    SPACING = 14
    MIN_PAGE_WIDTH = 120

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pages: list[_Page] = []
        self.page_width = self.MIN_PAGE_WIDTH
        self._tops: list[int] = []
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def relayout(self, page_width: int, min_width: int) -> None:
        self.page_width = max(self.MIN_PAGE_WIDTH, page_width)
        self._tops = []
        y = self.MARGIN
        for page in self.pages:
            self._tops.append(y)
            y += self.page_height(page) + self.SPACING
        height = y - self.SPACING + self.MARGIN if self.pages else 0
        self.resize(max(min_width, self.page_width + 2 * self.MARGIN), height)
        self.update()

    def page_height(self, page: _Page) -> int:
        return round(self.page_width * page.aspect)

    def page_rect(self, index: int) -> QRect:
        x = max(self.MARGIN, (self.width() - self.page_width) // 2)
        return QRect(x, self._tops[index], self.page_width, self.page_height(self.pages[index]))

    def page_top(self, index: int) -> int:
        return self._tops[index]

    def pages_between(self, top: int, bottom: int) -> list[int]:
        return [
            index
            for index in range(len(self.pages))
            if self._tops[index] < bottom
            and self._tops[index] + self.page_height(self.pages[index]) > top
        ]

    def page_at(self, y: int) -> int:
        """The page at height `y`, or the next one when `y` falls between two pages."""
        for index in range(len(self.pages)):
            if y < self._tops[index] + self.page_height(self.pages[index]) + self.SPACING:
                return index
        return max(0, len(self.pages) - 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        dark = is_dark(palette)
        background = (
            palette.color(QPalette.ColorRole.Base).darker(125)
            if dark
            else palette.color(QPalette.ColorRole.Window).darker(112)
        )
        painter.fillRect(event.rect(), background)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        exposed = event.rect()
        for index in self.pages_between(exposed.top(), exposed.bottom() + 1):
            self._paint_page(painter, index, dark)
        painter.end()

    def _paint_page(self, painter: QPainter, index: int, dark: bool) -> None:
        rect = self.page_rect(index)
        shadow = QColor(0, 0, 0, 90 if dark else 45)
        painter.fillRect(rect.translated(2, 3), shadow)
        painter.fillRect(rect.translated(1, 1), QColor(0, 0, 0, 40 if dark else 25))
        painter.fillRect(rect, QColor("#ffffff"))
        page = self.pages[index]
        if page.image is not None:
            painter.drawImage(QRectF(rect), page.image)
        else:
            painter.setPen(QColor("#8a9099"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"Page {index + 1}\nLoading…")
        painter.setPen(QColor(0, 0, 0, 150 if dark else 70))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))


class PreviewPane(QWidget):
    """Shows the pages of one fax document, lazily, fit to width by default.

    Signals:
        page_requested(str, int, int): render page `index` (0-based) of document `key` at
            `width` device pixels and call `set_page_image()` with the result.
        page_changed(int): the current page (0-based) changed.

    Attributes:
        scroll_area: the scroll area holding the pages (it has the keyboard focus).
        previous_button, next_button, zoom_out_button, zoom_in_button, fit_button: the
            navigation buttons above the pages.
        page_label: "Page n of N".
    """

    page_requested = Signal(str, int, int)
    page_changed = Signal(int)

    RESIZE_DELAY_MS = 150
    MIN_ZOOM = 0.25
    MAX_ZOOM = 4.0
    ZOOM_STEP = 1.25

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key: str | None = None
        self._current = 0
        self._zoom = 1.0
        self._navigating = False

        self.previous_button = self._tool_button("Previous page (Page Up)")
        self.next_button = self._tool_button("Next page (Page Down)")
        self.page_label = QLabel(self)
        self.page_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("Page 888 of 888"))
        self.zoom_out_button = self._tool_button("Zoom out (Ctrl+-)")
        self.zoom_in_button = self._tool_button("Zoom in (Ctrl++)")
        self.fit_button = self._tool_button("Fit width (Ctrl+0)")

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.setSpacing(2)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addSpacing(6)
        bar.addWidget(self.page_label)
        bar.addStretch(1)
        bar.addWidget(self.zoom_out_button)
        bar.addWidget(self.zoom_in_button)
        bar.addWidget(self.fit_button)

        self._strip = _PageStrip()
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidget(self._strip)
        self.scroll_area.setWidgetResizable(False)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        # Always there, so the fit width does not change (and re-render) when it would appear.
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scroll_area.setAccessibleName("Fax pages")

        self._message = QLabel(DEFAULT_MESSAGE, self)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._message.setMargin(24)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._message)
        self._stack.addWidget(self.scroll_area)
        self._stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self._stack, 1)
        self.setFocusProxy(self.scroll_area)

        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(self.RESIZE_DELAY_MS)

        self.previous_button.clicked.connect(self._on_previous_button_clicked)
        self.next_button.clicked.connect(self._on_next_button_clicked)
        self.zoom_out_button.clicked.connect(self._on_zoom_out_button_clicked)
        self.zoom_in_button.clicked.connect(self._on_zoom_in_button_clicked)
        self.fit_button.clicked.connect(self._on_fit_button_clicked)
        self._resize_timer.timeout.connect(self._on_resize_timer_timeout)
        self.scroll_area.verticalScrollBar().valueChanged.connect(self._on_scroll_value_changed)
        self.scroll_area.installEventFilter(self)
        self.scroll_area.viewport().installEventFilter(self)
        self._apply_icons()
        self._update_controls()

    # -- properties ----------------------------------------------------------------------------

    @property
    def key(self) -> str | None:
        """The key of the document shown, or None while a message is shown."""
        return self._key

    @property
    def page_count(self) -> int:
        return len(self._strip.pages)

    @property
    def current_page(self) -> int:
        """The page (0-based) the user is looking at."""
        return self._current

    @property
    def zoom(self) -> float:
        """Zoom relative to fit-to-width (1.0)."""
        return self._zoom

    # -- public API ----------------------------------------------------------------------------

    def show_document(self, key: str, page_count: int) -> None:
        """Show `page_count` placeholder pages for `key` and request the visible ones."""
        if page_count <= 0:
            self.show_message("This document has no pages.")
            return
        self._key = key
        self._zoom = 1.0
        self._strip.pages = [_Page() for _ in range(page_count)]
        self._stack.setCurrentWidget(self.scroll_area)
        self._relayout()
        self._navigating = True
        self.scroll_area.verticalScrollBar().setValue(0)
        self.scroll_area.horizontalScrollBar().setValue(0)
        self._navigating = False
        self._set_current(0, force_signal=True)
        self._request_visible()

    def set_page_image(self, key: str, index: int, image: QImage) -> bool:
        """Show `image` as page `index` of `key`; False (and dropped) if `key` is not shown."""
        if key != self._key or not 0 <= index < self.page_count or image.isNull():
            return False
        page = self._strip.pages[index]
        page.image = image
        aspect = image.height() / image.width()
        if abs(aspect - page.aspect) > 0.001:
            page.aspect = aspect
            self._relayout()
        self._strip.update(self._strip.page_rect(index))
        return True

    def page_image(self, index: int) -> QImage | None:
        """The rendered image of page `index`, or None while it is a placeholder."""
        if not 0 <= index < self.page_count:
            return None
        return self._strip.pages[index].image

    def show_message(self, text: str) -> None:
        """Drop the document (late images for it are ignored) and show `text` instead."""
        self._key = None
        self._strip.pages = []
        self._strip.relayout(self._strip.page_width, 0)
        self._message.setText(text)
        self._stack.setCurrentWidget(self._message)
        self._set_current(0)
        self._update_controls()

    def message(self) -> str:
        """The message shown, or "" while a document is shown."""
        return self._message.text() if self._key is None else ""

    def clear(self) -> None:
        """Show nothing but the "select a fax" hint."""
        self.show_message(DEFAULT_MESSAGE)

    def go_to_page(self, index: int) -> None:
        """Scroll so that page `index` (clamped) is at the top, and make it current."""
        if not self.page_count:
            return
        index = max(0, min(index, self.page_count - 1))
        self._navigating = True
        top = self._strip.page_top(index) - _PageStrip.SPACING // 2 if index else 0
        self.scroll_area.verticalScrollBar().setValue(max(0, top))
        self._navigating = False
        self._set_current(index)
        self._request_visible()

    def next_page(self) -> None:
        self.go_to_page(self._current + 1)

    def previous_page(self) -> None:
        self.go_to_page(self._current - 1)

    def set_zoom(self, zoom: float) -> None:
        """Zoom relative to fit-to-width, clamped to [MIN_ZOOM, MAX_ZOOM]; re-renders later."""
        zoom = max(self.MIN_ZOOM, min(zoom, self.MAX_ZOOM))
        if abs(zoom - self._zoom) < 1e-6:
            return
        self._zoom = zoom
        bar = self.scroll_area.verticalScrollBar()
        old_height = max(1, self._strip.height())
        fraction = bar.value() / old_height
        self._relayout()
        self._navigating = True
        bar.setValue(round(fraction * self._strip.height()))
        self._navigating = False
        self._resize_timer.start()

    def zoom_in(self) -> None:
        self.set_zoom(self._zoom * self.ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self._zoom / self.ZOOM_STEP)

    def zoom_fit(self) -> None:
        self.set_zoom(1.0)

    # -- Qt overrides --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._handle_key(event)
        if watched is self.scroll_area.viewport():
            if kind == QEvent.Type.Resize and self._key is not None:
                self._relayout()
                self._resize_timer.start()
            elif kind == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
                return self._handle_wheel(event)
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_icons()
        super().changeEvent(event)

    # -- handlers ------------------------------------------------------------------------------

    def _on_previous_button_clicked(self) -> None:
        self.previous_page()

    def _on_next_button_clicked(self) -> None:
        self.next_page()

    def _on_zoom_out_button_clicked(self) -> None:
        self.zoom_out()

    def _on_zoom_in_button_clicked(self) -> None:
        self.zoom_in()

    def _on_fit_button_clicked(self) -> None:
        self.zoom_fit()

    def _on_resize_timer_timeout(self) -> None:
        self._request_visible()

    def _on_scroll_value_changed(self, value: int) -> None:
        if self._key is None:
            return
        if not self._navigating:
            bar = self.scroll_area.verticalScrollBar()
            if bar.maximum() > 0 and value >= bar.maximum():
                self._set_current(self.page_count - 1)
            else:
                viewport_height = self.scroll_area.viewport().height()
                self._set_current(self._strip.page_at(value + viewport_height // 3))
        self._request_visible()

    # -- helpers -------------------------------------------------------------------------------

    def _tool_button(self, tooltip: str) -> QToolButton:
        button = QToolButton(self)
        button.setAutoRaise(True)
        button.setToolTip(tooltip)
        button.setAccessibleName(tooltip.split(" (")[0])
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def _apply_icons(self) -> None:
        self.previous_button.setIcon(icon("page-up"))
        self.next_button.setIcon(icon("page-down"))
        self.zoom_out_button.setIcon(icon("zoom-out"))
        self.zoom_in_button.setIcon(icon("zoom-in"))
        self.fit_button.setIcon(icon("zoom-fit"))

    def _handle_key(self, event: QKeyEvent) -> bool:
        if self._key is None:
            return False
        key = event.key()
        actions = {
            Qt.Key.Key_PageDown: self.next_page,
            Qt.Key.Key_PageUp: self.previous_page,
            Qt.Key.Key_Home: lambda: self.go_to_page(0),
            Qt.Key.Key_End: lambda: self.go_to_page(self.page_count - 1),
            Qt.Key.Key_Plus: self.zoom_in,
            Qt.Key.Key_Equal: self.zoom_in,
            Qt.Key.Key_Minus: self.zoom_out,
            Qt.Key.Key_0: self.zoom_fit,
        }
        action = actions.get(key)
        if action is None:
            return False
        action()
        event.accept()
        return True

    def _handle_wheel(self, event: QWheelEvent) -> bool:
        if not event.modifiers() & Qt.KeyboardModifier.ControlModifier or self._key is None:
            return False
        steps = event.angleDelta().y() / 120
        if steps:
            self.set_zoom(self._zoom * self.ZOOM_STEP**steps)
        event.accept()
        return True

    def _fit_width(self) -> int:
        return self.scroll_area.viewport().width() - 2 * _PageStrip.MARGIN

    def _relayout(self) -> None:
        width = round(self._fit_width() * self._zoom)
        self._strip.relayout(width, self.scroll_area.viewport().width())

    def _device_width(self) -> int:
        return round(self._strip.page_width * self.devicePixelRatioF())

    def _request_visible(self) -> None:
        """Ask for the pages within about a screen of the viewport that lack the current width."""
        if self._key is None or not self.page_count:
            return
        viewport_height = max(1, self.scroll_area.viewport().height())
        top = self.scroll_area.verticalScrollBar().value()
        wanted = self._strip.pages_between(
            top - viewport_height // 2, top + viewport_height + viewport_height // 2
        )
        width = self._device_width()
        requests = []
        for index in sorted(wanted, key=lambda index: abs(index - self._current)):
            page = self._strip.pages[index]
            have = page.image.width() if page.image is not None else 0
            if width not in (have, page.requested_width):
                page.requested_width = width
                requests.append(index)
        key = self._key
        for index in requests:
            self.page_requested.emit(key, index, width)

    def _set_current(self, index: int, *, force_signal: bool = False) -> None:
        changed = index != self._current
        self._current = index
        self._update_controls()
        if changed or force_signal:
            self.page_changed.emit(index)

    def _update_controls(self) -> None:
        has_document = self._key is not None and self.page_count > 0
        self.previous_button.setEnabled(has_document and self._current > 0)
        self.next_button.setEnabled(has_document and self._current < self.page_count - 1)
        for button in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            button.setEnabled(has_document)
        self.page_label.setText(
            f"Page {self._current + 1} of {self.page_count}" if has_document else ""
        )
