"""The preview pane: the pages of one document, rendered elsewhere, in a zoomable scroll area.

The pane never opens a document. `show_document(key, page_sizes)` lays the pages out at their
sizes, as placeholders, and asks with `pages_requested(key, requests)` for the images of the
pages (and thumbnails) the user can see or is about to; whoever renders answers with
`set_page_image()`. Each request list replaces the one before, so a renderer may drop the work
for pages scrolled past. The pane holds images only for the pages it asks for plus a small
cache of recent ones, so its memory stays flat however long the document is. It announces
printing and saving (`print_requested`, `save_requested`) and does neither itself.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPalette,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from faxdesk.ui.icons import icon
from faxdesk.ui.theme import is_dark

#: (width, height) in points of a US Letter page, assumed until a document says otherwise.
LETTER = (612.0, 792.0)

DEFAULT_MESSAGE = "Select a fax to preview it."

PageSize = tuple[float, float]


class ZoomMode(enum.Enum):
    FIT_WIDTH = "fit-width"
    FIT_PAGE = "fit-page"
    FIXED = "fixed"


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One image the pane wants: page `index` turned `rotation` degrees clockwise, `width`
    device pixels wide; a small one for the thumbnail list when `thumbnail` is set."""

    index: int
    width: int
    rotation: int = 0
    thumbnail: bool = False


@dataclass(slots=True)
class _Page:
    size: PageSize = LETTER
    image: QImage | None = None
    image_request: PageRequest | None = None
    thumbnail: QImage | None = None
    thumbnail_request: PageRequest | None = None
    error: str = ""
    #: The image holds fewer pixels than the page is shown with on purpose (the finest the
    #: pane renders): magnified, it is drawn pixel for pixel, not smoothed.
    at_finest: bool = False
    #: When the page was last wanted on screen, for evicting the least recent images first.
    last_wanted: int = 0


def _turned(size: PageSize, rotation: int) -> PageSize:
    width, height = size
    return (height, width) if rotation % 180 else (width, height)


def _paint_image(painter: QPainter, rect: QRect, image: QImage, turn: int) -> None:
    """Draw `image` into `rect`, turned `turn` degrees clockwise (an image rendered before the
    view was rotated stands in, turned, until its replacement arrives)."""
    target = QRectF(rect)
    if turn % 360 == 0:
        painter.drawImage(target, image)
        return
    painter.save()
    painter.translate(target.center())
    painter.rotate(turn)
    if turn % 180:
        target = QRectF(0, 0, target.height(), target.width())
    target.moveCenter(QPointF(0, 0))
    painter.drawImage(target, image)
    painter.restore()


class _PageStrip(QWidget):
    """Paints the pages one under the other; only the pages inside the exposed area."""

    MARGIN = 16
    SPACING = 14

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pages: list[_Page] = []
        self.rotation = 0
        self._sizes: list[tuple[int, int]] = []
        self._tops: list[int] = []
        self._bottoms: list[int] = []
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def relayout(self, sizes: list[tuple[int, int]], min_width: int) -> None:
        """Lay the pages out at `sizes` (logical pixels, as shown) and resize to fit them."""
        self._sizes = sizes
        self._tops = []
        self._bottoms = []
        y = self.MARGIN
        for _width, height in sizes:
            self._tops.append(y)
            self._bottoms.append(y + height)
            y += height + self.SPACING
        widest = max((width for width, _height in sizes), default=0)
        height = y - self.SPACING + self.MARGIN if sizes else 0
        self.resize(max(min_width, widest + 2 * self.MARGIN), height)
        self.update()

    def page_rect(self, index: int) -> QRect:
        width, height = self._sizes[index]
        x = max(self.MARGIN, (self.width() - width) // 2)
        return QRect(x, self._tops[index], width, height)

    def page_top(self, index: int) -> int:
        return self._tops[index]

    @property
    def laid_out(self) -> int:
        """How many pages the last layout placed."""
        return len(self._sizes)

    def pages_between(self, top: int, bottom: int) -> range:
        """The pages any part of which lies between heights `top` and `bottom`."""
        first = bisect.bisect_right(self._bottoms, top)
        last = bisect.bisect_left(self._tops, bottom)
        return range(first, max(first, last))

    def page_at(self, y: int) -> int:
        """The page at height `y`, or the next one when `y` falls between two pages."""
        if not self._tops:
            return 0
        return min(bisect.bisect_left(self._bottoms, y - self.SPACING), len(self._tops) - 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        dark = is_dark(palette)
        painter.fillRect(event.rect(), _backdrop(palette))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        exposed = event.rect()
        for index in self.pages_between(exposed.top(), exposed.bottom() + 1):
            self._paint_page(painter, index, dark)
        painter.end()

    def _paint_page(self, painter: QPainter, index: int, dark: bool) -> None:
        rect = self.page_rect(index)
        painter.fillRect(rect.translated(2, 3), QColor(0, 0, 0, 90 if dark else 45))
        painter.fillRect(rect.translated(1, 1), QColor(0, 0, 0, 40 if dark else 25))
        painter.fillRect(rect, QColor("#ffffff"))
        page = self.pages[index]
        if page.image is not None and page.image_request is not None:
            turn = self.rotation - page.image_request.rotation
            # Shown larger than the finest render, a page shows its pixels: the dots a fax
            # machine prints, rather than a blur of them.
            crisp = page.at_finest and rect.width() * self.devicePixelRatioF() > max(
                page.image.width(), page.image.height()
            )
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not crisp)
            _paint_image(painter, rect, page.image, turn)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        else:
            painter.setPen(QColor("#5f6670"))
            text = f"Page {index + 1}\n" + (page.error or "Loading…")
            painter.drawText(
                rect.adjusted(12, 12, -12, -12),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                text,
            )
        painter.setPen(QColor(0, 0, 0, 150 if dark else 70))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))


def _backdrop(palette: QPalette) -> QColor:
    """The grey the pages lie on: darker than the window, so white paper stands out."""
    if is_dark(palette):
        return palette.color(QPalette.ColorRole.Base).darker(125)
    return palette.color(QPalette.ColorRole.Window).darker(112)


class _ThumbnailModel(QAbstractListModel):
    """One row per page of the shown document; the decoration is its thumbnail, if rendered."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pages: list[_Page] = []

    def set_pages(self, pages: list[_Page]) -> None:
        self.beginResetModel()
        self.pages = pages
        self.endResetModel()

    def page_updated(self, index: int) -> None:
        row = self.index(index, 0)
        self.dataChanged.emit(row, row, [Qt.ItemDataRole.DecorationRole])

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.pages)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.pages):
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return str(row + 1)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"Page {row + 1}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pages[row].thumbnail
        return None


class _ThumbnailDelegate(QStyledItemDelegate):
    """Draws a thumbnail as a small sheet of paper, with the page number under it."""

    def __init__(self, pane: PreviewPane) -> None:
        super().__init__(pane)
        self._pane = pane

    def sizeHint(
        self, option: QStyleOptionViewItem, _index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        box = self._pane.THUMBNAIL_BOX
        return QSize(box.width() + 16, box.height() + option.fontMetrics.height() + 18)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        palette = option.palette
        cell = QRect(option.rect).adjusted(3, 3, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        if selected:
            wash = QColor(highlight)
            wash.setAlpha(60)
            painter.fillRect(cell, wash)
        box = self._pane.THUMBNAIL_BOX
        size = self._pane.thumbnail_size(index.row())
        sheet = QRect(0, 0, size.width(), size.height())
        sheet.moveCenter(QPoint(cell.center().x(), cell.top() + 5 + box.height() // 2))
        painter.fillRect(sheet.translated(1, 2), QColor(0, 0, 0, 50))
        painter.fillRect(sheet, QColor("#ffffff"))
        page = self._pane.thumbnail_page(index.row())
        if page is not None and page.thumbnail is not None and page.thumbnail_request is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            turn = self._pane.rotation - page.thumbnail_request.rotation
            _paint_image(painter, sheet, page.thumbnail, turn)
        painter.setPen(QColor(0, 0, 0, 90))
        painter.drawRect(sheet.adjusted(0, 0, -1, -1))
        font = painter.font()
        font.setBold(selected)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        text_top = sheet.bottom() + 5
        painter.drawText(
            QRect(cell.left(), text_top, cell.width(), cell.bottom() - text_top),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            str(index.row() + 1),
        )
        if selected or option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(highlight)
            painter.drawRect(cell)
        painter.restore()


class PreviewPane(QWidget):
    """Shows the pages of one document, lazily, with zoom, rotation and thumbnails.

    Signals:
        pages_requested(str, list): render these PageRequests of document `key`, in this order,
            and call `set_page_image()` with each result. Each list replaces the previous one:
            work for a page no longer listed may be dropped.
        page_changed(int): the current page (0-based) changed.
        print_requested(str): the user asked to print document `key`.
        save_requested(str): the user asked to save document `key` as a PDF.
        fax_view_changed(bool): the user chose the fax-mode view (True) or the document view;
            only once `enable_fax_view()` offered the choice.

    Attributes:
        scroll_area: the scroll area holding the pages (it has the keyboard focus).
        toolbar: the controls above the pages; a caller may add its own widgets at the end.
        thumbnails: the list of page thumbnails, beside the pages when shown.
        page_spin: the current page number, editable; page_count_label: "of N".
        zoom_combo: Fit width, Fit page or a percentage (editable).
        thumbnails_action, previous_action, next_action, zoom_in_action, zoom_out_action,
        fit_width_action, fit_page_action, rotate_left_action, rotate_right_action,
        print_action, save_action: the pane's actions (their shortcuts work anywhere in it).
        document_view_button, fax_view_button: the choice between the document as it is and
            the pages as the recipient's fax machine prints them (hidden unless enabled).
    """

    pages_requested = Signal(str, list)
    page_changed = Signal(int)
    print_requested = Signal(str)
    save_requested = Signal(str)
    fax_view_changed = Signal(bool)

    RESIZE_DELAY_MS = 150
    MIN_ZOOM = 50
    MAX_ZOOM = 400
    ZOOM_STEPS = (50, 67, 75, 90, 100, 110, 125, 150, 175, 200, 250, 300, 400)
    #: Pages are never rendered finer than this by default (a fax is 204 dpi): at 400 % a page
    #: would otherwise be tens of megabytes of pixels. `max_render_dpi` may lower it.
    MAX_RENDER_DPI = 300
    #: Images of pages out of view kept for going back, beyond the pages in view.
    CACHE_BYTES = 16 * 1024 * 1024
    THUMBNAIL_CACHE_BYTES = 2 * 1024 * 1024
    THUMBNAIL_BOX = QSize(96, 124)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key: str | None = None
        self._pages: list[_Page] = []
        self._current = 0
        self._zoom_mode = ZoomMode.FIT_WIDTH
        self._zoom_percent = 100.0
        self._rotation = 0
        self._navigating = False
        self._tick = 0
        self._wanted: set[int] = set()
        self._wanted_thumbnails: set[int] = set()
        self._last_requests: list[PageRequest] = []
        self._wheel_rest = 0
        #: The finest pages are rendered, in dots per inch of the page as shown.
        self.max_render_dpi = self.MAX_RENDER_DPI

        self._strip = _PageStrip()
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidget(self._strip)
        self.scroll_area.setWidgetResizable(False)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        # Always there, so the fit width does not change (and re-render) when it would appear.
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scroll_area.setAccessibleName("Pages")

        self._thumbnail_model = _ThumbnailModel(self)
        self.thumbnails = QListView(self)
        self.thumbnails.setModel(self._thumbnail_model)
        self.thumbnails.setItemDelegate(_ThumbnailDelegate(self))
        self.thumbnails.setUniformItemSizes(True)
        self.thumbnails.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.thumbnails.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.thumbnails.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.thumbnails.setFrameShape(QFrame.Shape.NoFrame)
        self.thumbnails.setAccessibleName("Page thumbnails")
        self.thumbnails.setFixedWidth(self.THUMBNAIL_BOX.width() + 16 + 14)
        self.thumbnails.hide()

        self._message = QLabel(DEFAULT_MESSAGE, self)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._message.setMargin(24)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._pages_view = QWidget(self)
        pages_row = QHBoxLayout(self._pages_view)
        pages_row.setContentsMargins(0, 0, 0, 0)
        pages_row.setSpacing(0)
        pages_row.addWidget(self.thumbnails)
        pages_row.addWidget(self.scroll_area, 1)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._message)
        self._stack.addWidget(self._pages_view)
        self._stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self._create_actions()
        self._create_toolbar()
        self._create_view_choice()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._view_row)
        layout.addWidget(self.toolbar)
        layout.addWidget(self._stack, 1)
        self.setFocusProxy(self.scroll_area)

        self._request_timer = QTimer(self)
        self._request_timer.setSingleShot(True)
        self._request_timer.setInterval(self.RESIZE_DELAY_MS)

        self._request_timer.timeout.connect(self._on_request_timer_timeout)
        self.scroll_area.verticalScrollBar().valueChanged.connect(self._on_scroll_value_changed)
        self.thumbnails.verticalScrollBar().valueChanged.connect(
            self._on_thumbnails_scroll_value_changed
        )
        self.thumbnails.clicked.connect(self._on_thumbnails_clicked)
        self.thumbnails.activated.connect(self._on_thumbnails_clicked)
        self.page_spin.editingFinished.connect(self._on_page_spin_editing_finished)
        self.zoom_combo.activated.connect(self._on_zoom_combo_activated)
        edit = self.zoom_combo.lineEdit()
        assert edit is not None  # the combo is editable
        self._zoom_edit: QLineEdit = edit
        self._zoom_edit.editingFinished.connect(self._on_zoom_combo_editing_finished)
        self.scroll_area.installEventFilter(self)
        self.scroll_area.viewport().installEventFilter(self)
        self.thumbnails.viewport().installEventFilter(self)
        self._apply_icons()
        self._update_controls()

    # -- properties ----------------------------------------------------------------------------

    @property
    def key(self) -> str | None:
        """The key of the document shown, or None while a message is shown."""
        return self._key

    @property
    def page_count(self) -> int:
        return len(self._pages)

    @property
    def current_page(self) -> int:
        """The page (0-based) the user is looking at."""
        return self._current

    @property
    def zoom_mode(self) -> ZoomMode:
        return self._zoom_mode

    @property
    def zoom_percent(self) -> float:
        """The zoom of the current page, in percent of its printed size on this screen."""
        if self._zoom_mode is ZoomMode.FIXED or not self._pages:
            return self._zoom_percent
        return self._scale(self._current) * 72 / self._dpi() * 100

    @property
    def rotation(self) -> int:
        """The view rotation, clockwise in degrees (0, 90, 180 or 270)."""
        return self._rotation

    # -- public API ----------------------------------------------------------------------------

    def first_page_request(self) -> PageRequest | None:
        """The image of the first page the next document shown will ask for first, when it does
        not depend on that page's size (at fit width): a renderer may make it while it opens the
        document and hand it to `show_document`, saving a round trip before the first paint."""
        if self._zoom_mode is not ZoomMode.FIT_WIDTH:
            return None
        # From the stack, which is always laid out: the page view behind a message is not.
        width = self._stack.width() - self.scroll_area.verticalScrollBar().sizeHint().width()
        if self.thumbnails_action.isChecked():
            width -= self.thumbnails.width()
        width -= 2 * _PageStrip.MARGIN
        return PageRequest(0, max(1, round(width * self.devicePixelRatioF())))

    def show_document(
        self,
        key: str,
        page_sizes: Sequence[PageSize],
        images: Mapping[PageRequest, QImage] | None = None,
    ) -> None:
        """Lay out the pages of `key`, (width, height) in points each, and request those in view.

        `images` are page images already rendered (see `first_page_request`); they are shown
        at once and not asked for. The zoom mode is kept from the document before; the rotation
        starts upright.
        """
        if not page_sizes:
            self.show_message("This document has no pages.")
            return
        self._key = key
        self._rotation = 0
        self._strip.rotation = 0
        self._pages = [_Page(size=(float(w), float(h))) for w, h in page_sizes]
        for request, image in (images or {}).items():
            if 0 <= request.index < len(self._pages) and not image.isNull():
                page = self._pages[request.index]
                if request.thumbnail:
                    page.thumbnail, page.thumbnail_request = image, request
                else:
                    page.image, page.image_request = image, request
        self._strip.pages = self._pages
        self._thumbnail_model.set_pages(self._pages)
        self._last_requests = []
        self._wanted = set()
        self._wanted_thumbnails = set()
        # Showing the pages view may resize the viewport, which lays the pages out (eventFilter).
        self._stack.setCurrentWidget(self._pages_view)
        self._relayout()
        self._navigating = True
        self.scroll_area.verticalScrollBar().setValue(0)
        self.scroll_area.horizontalScrollBar().setValue(0)
        self._navigating = False
        self._set_current(0, force_signal=True)
        self._request_visible()

    def set_page_image(self, key: str, request: PageRequest, image: QImage) -> bool:
        """Show `image`, rendered for `request`, in document `key`.

        Returns False (and drops the image) when `key` is no longer shown or the page does not
        exist. An image for a page out of view is kept in the cache while it has room.
        """
        if key != self._key or not 0 <= request.index < len(self._pages) or image.isNull():
            return False
        page = self._pages[request.index]
        if request.thumbnail:
            page.thumbnail = image
            page.thumbnail_request = request
            self._thumbnail_model.page_updated(request.index)
            self._trim_cache()
            return True
        page.image = image
        page.image_request = request
        page.error = ""
        shown = self._strip.page_rect(request.index).width() * self.devicePixelRatioF()
        page.at_finest = request.width < round(shown)
        self._learn_size(page, request, image)
        self._trim_cache()
        if page.image is not None:
            self._strip.update(self._strip.page_rect(request.index))
        return True

    def set_page_sizes(self, key: str, page_sizes: Sequence[PageSize]) -> bool:
        """Replace the page sizes of `key` (shown with guessed sizes until they were read),
        keeping the page in view where it is. False when `key` is not shown or the count
        differs."""
        if key != self._key or len(page_sizes) != len(self._pages):
            return False
        sizes = [(float(w), float(h)) for w, h in page_sizes]
        if sizes == [page.size for page in self._pages]:
            return True
        anchor = self._anchor()
        for page, size in zip(self._pages, sizes, strict=True):
            page.size = size
        self._relayout()
        self._restore_anchor(anchor)
        self.thumbnails.viewport().update()
        self._request_visible()
        return True

    def set_page_error(self, key: str, index: int, text: str) -> bool:
        """Say on page `index` of `key` why it cannot be shown; it is not requested again."""
        if key != self._key or not 0 <= index < len(self._pages):
            return False
        self._pages[index].error = text
        self._strip.update(self._strip.page_rect(index))
        return True

    def page_image(self, index: int) -> QImage | None:
        """The rendered image of page `index`, or None while it is a placeholder."""
        if not 0 <= index < len(self._pages):
            return None
        return self._pages[index].image

    def thumbnail_image(self, index: int) -> QImage | None:
        if not 0 <= index < len(self._pages):
            return None
        return self._pages[index].thumbnail

    def page_error(self, index: int) -> str:
        return self._pages[index].error if 0 <= index < len(self._pages) else ""

    def show_message(self, text: str) -> None:
        """Drop the document (late images for it are ignored) and show `text` instead."""
        self._key = None
        self._pages = []
        self._strip.pages = self._pages
        self._strip.relayout([], 0)
        self._thumbnail_model.set_pages(self._pages)
        self._last_requests = []
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
        if not self._pages:
            return
        index = max(0, min(index, len(self._pages) - 1))
        self._scroll_to(index, 0.0)
        self._set_current(index)
        self._request_visible()

    def next_page(self) -> None:
        self.go_to_page(self._current + 1)

    def previous_page(self) -> None:
        self.go_to_page(self._current - 1)

    def set_zoom_percent(self, percent: float) -> None:
        """Show pages at `percent` (clamped to MIN_ZOOM..MAX_ZOOM) of their printed size."""
        percent = max(self.MIN_ZOOM, min(float(percent), self.MAX_ZOOM))
        self._set_zoom(ZoomMode.FIXED, percent)

    def fit_width(self) -> None:
        """Scale each page to the width of the pane."""
        self._set_zoom(ZoomMode.FIT_WIDTH, self._zoom_percent)

    def fit_page(self) -> None:
        """Scale each page to fit the pane whole; the wheel then turns pages one by one."""
        self._set_zoom(ZoomMode.FIT_PAGE, self._zoom_percent)

    def zoom_in(self) -> None:
        """Go to the next zoom step above the current zoom."""
        current = self.zoom_percent
        bigger = [step for step in self.ZOOM_STEPS if step > current * 1.001]
        if bigger:
            self.set_zoom_percent(bigger[0])

    def zoom_out(self) -> None:
        """Go to the next zoom step below the current zoom."""
        current = self.zoom_percent
        smaller = [step for step in self.ZOOM_STEPS if step < current / 1.001]
        if smaller:
            self.set_zoom_percent(smaller[-1])

    def rotate_right(self) -> None:
        """Turn every page a quarter clockwise (the view only: the document is unchanged)."""
        self._set_rotation(self._rotation + 90)

    def rotate_left(self) -> None:
        self._set_rotation(self._rotation - 90)

    @property
    def fax_view(self) -> bool:
        """Whether the pages are shown as faxed (the caller renders them so)."""
        return self.fax_view_button.isChecked()

    def enable_fax_view(self, enabled: bool = True) -> None:
        """Offer the choice between the document view and the fax-mode view above the pages."""
        self._view_row.setVisible(enabled)
        if not enabled:
            self.document_view_button.setChecked(True)

    def set_fax_view(self, fax_view: bool) -> None:
        """Choose the view as the user would (emits `fax_view_changed` when it changes)."""
        (self.fax_view_button if fax_view else self.document_view_button).setChecked(True)

    def set_thumbnails_visible(self, visible: bool) -> None:
        self.thumbnails_action.setChecked(visible)

    def thumbnail_size(self, index: int) -> QSize:
        """The size, in logical pixels, of page `index`'s sheet in the thumbnail list."""
        if not 0 <= index < len(self._pages):
            return self.THUMBNAIL_BOX
        width, height = _turned(self._pages[index].size, self._rotation)
        box = self.THUMBNAIL_BOX
        scale = min(box.width() / width, box.height() / height)
        return QSize(max(1, round(width * scale)), max(1, round(height * scale)))

    def thumbnail_page(self, index: int) -> _Page | None:
        return self._pages[index] if 0 <= index < len(self._pages) else None

    # -- Qt overrides --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.scroll_area and kind == QEvent.Type.KeyPress:
            if isinstance(event, QKeyEvent):
                return self._handle_key(event)
        elif watched is self.scroll_area.viewport():
            if kind == QEvent.Type.Resize and self._key is not None:
                anchor = self._anchor()
                self._relayout()
                self._restore_anchor(anchor)
                self._request_timer.start()
            elif kind == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
                return self._handle_wheel(event)
        elif (
            watched is self.thumbnails.viewport()
            and kind == QEvent.Type.Resize
            and self._key is not None
        ):
            self._request_timer.start()
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_icons()
        super().changeEvent(event)

    # -- handlers ------------------------------------------------------------------------------

    def _on_request_timer_timeout(self) -> None:
        self._request_visible()

    def _on_scroll_value_changed(self, value: int) -> None:
        if self._key is None:
            return
        if not self._navigating:
            bar = self.scroll_area.verticalScrollBar()
            if bar.maximum() > 0 and value >= bar.maximum():
                self._set_current(len(self._pages) - 1)
            else:
                viewport_height = self.scroll_area.viewport().height()
                self._set_current(self._strip.page_at(value + viewport_height // 3))
        self._request_visible()

    def _on_thumbnails_scroll_value_changed(self, _value: int) -> None:
        self._request_visible()

    def _on_thumbnails_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.go_to_page(index.row())

    def _on_page_spin_editing_finished(self) -> None:
        if self._pages and self.page_spin.value() - 1 != self._current:
            self.go_to_page(self.page_spin.value() - 1)

    def _on_zoom_combo_activated(self, row: int) -> None:
        choice = self.zoom_combo.itemData(row)
        if choice == ZoomMode.FIT_WIDTH.value:
            self.fit_width()
        elif choice == ZoomMode.FIT_PAGE.value:
            self.fit_page()
        elif isinstance(choice, int):
            self.set_zoom_percent(choice)
        self.scroll_area.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_zoom_combo_editing_finished(self) -> None:
        text = self.zoom_combo.currentText().strip().rstrip("%").strip()
        try:
            percent = float(text.replace(",", "."))
        except ValueError:
            self._update_controls()  # not a number: show the zoom as it is
            return
        self.set_zoom_percent(percent)
        self._update_controls()

    def _on_fax_view_button_toggled(self, checked: bool) -> None:
        self.fax_view_changed.emit(checked)

    def _on_thumbnails_action_toggled(self, visible: bool) -> None:
        self.thumbnails.setVisible(visible)
        if visible:
            self._sync_thumbnail_selection()
        self._request_timer.start()

    # -- building ------------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        shortcuts: Sequence[str],
        slot: Callable[[], None] | None = None,
        *,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(shortcut) for shortcut in shortcuts])
        # Only while the keyboard is in this pane: the window has shortcuts of its own.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        tooltip = tip or text.rstrip("…")
        if shortcuts:
            hint = QKeySequence(shortcuts[0]).toString(QKeySequence.SequenceFormat.NativeText)
            tooltip = f"{tooltip} ({hint})"
        action.setToolTip(tooltip)
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _create_actions(self) -> None:
        self.thumbnails_action = self._action("Thumbnails", ["F9"], tip="Show page thumbnails")
        self.thumbnails_action.setCheckable(True)
        self.thumbnails_action.toggled.connect(self._on_thumbnails_action_toggled)
        self.previous_action = self._action("Previous page", ["PgUp"], self.previous_page)
        self.next_action = self._action("Next page", ["PgDown"], self.next_page)
        self.zoom_in_action = self._action("Zoom in", ["Ctrl++", "Ctrl+=", "+", "="], self.zoom_in)
        self.zoom_out_action = self._action("Zoom out", ["Ctrl+-", "-"], self.zoom_out)
        self.fit_width_action = self._action("Fit width", ["Ctrl+0", "W"], self.fit_width)
        self.fit_page_action = self._action("Fit page", ["F"], self.fit_page)
        self.rotate_left_action = self._action(
            "Rotate left", ["Ctrl+Left"], self.rotate_left, tip="Rotate the view left"
        )
        self.rotate_right_action = self._action(
            "Rotate right", ["Ctrl+Right"], self.rotate_right, tip="Rotate the view right"
        )
        self.print_action = self._action(
            "Print…", [], self._request_print, tip="Print this document"
        )
        self.save_action = self._action(
            "Save as PDF…", [], self._request_save, tip="Save this document as a PDF file"
        )

    def _create_toolbar(self) -> None:
        self.toolbar = QToolBar(self)
        self.toolbar.setIconSize(QSize(18, 18))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.toolbar.setAccessibleName("Preview controls")

        self.page_spin = QSpinBox(self)
        self.page_spin.setRange(1, 1)
        self.page_spin.setAccessibleName("Page number")
        self.page_spin.setToolTip("Page number: type one and press Enter")
        self.page_spin.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.page_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.page_spin.setKeyboardTracking(False)
        self.page_count_label = QLabel(self)
        self.page_count_label.setAccessibleName("Page count")
        page_box = QWidget(self)
        page_row = QHBoxLayout(page_box)
        page_row.setContentsMargins(4, 0, 4, 0)
        page_row.setSpacing(4)
        page_row.addWidget(self.page_spin)
        page_row.addWidget(self.page_count_label)

        self.zoom_combo = QComboBox(self)
        self.zoom_combo.setEditable(True)
        self.zoom_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zoom_combo.setAccessibleName("Zoom")
        self.zoom_combo.setToolTip("Zoom: fit the width, fit the page, or a percentage")
        self.zoom_combo.addItem("Fit width", ZoomMode.FIT_WIDTH.value)
        self.zoom_combo.addItem("Fit page", ZoomMode.FIT_PAGE.value)
        for step in self.ZOOM_STEPS:
            self.zoom_combo.addItem(f"{step} %", step)
        self.zoom_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.zoom_combo.setMinimumContentsLength(len("Fit width"))

        bar = self.toolbar
        bar.addAction(self.thumbnails_action)
        bar.addSeparator()
        bar.addAction(self.previous_action)
        bar.addWidget(page_box)
        bar.addAction(self.next_action)
        bar.addSeparator()
        bar.addAction(self.zoom_out_action)
        bar.addWidget(self.zoom_combo)
        bar.addAction(self.zoom_in_action)
        bar.addSeparator()
        bar.addAction(self.rotate_left_action)
        bar.addAction(self.rotate_right_action)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addAction(self.print_action)
        bar.addAction(self.save_action)
        for action in bar.actions():
            button = bar.widgetForAction(action)
            if isinstance(button, QToolButton):
                # Toolbar buttons take no focus by default; these must be reachable by Tab.
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
                button.setAccessibleName(action.text().rstrip("…"))

    def _create_view_choice(self) -> None:
        self._view_row = QWidget(self)
        row = QHBoxLayout(self._view_row)
        row.setContentsMargins(4, 2, 4, 0)
        row.setSpacing(0)
        self.document_view_button = QToolButton(self._view_row)
        self.document_view_button.setText("Document")
        self.document_view_button.setToolTip("Show the pages as the document has them")
        self.fax_view_button = QToolButton(self._view_row)
        self.fax_view_button.setText("As faxed")
        self.fax_view_button.setToolTip(
            "Show the pages as the recipient's fax machine prints them: black and white at "
            "the fax resolution, with the header line"
        )
        self._view_group = QButtonGroup(self)
        for button in (self.document_view_button, self.fax_view_button):
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setAccessibleName(f"{button.text()} view")
            self._view_group.addButton(button)
            row.addWidget(button)
        row.addStretch(1)
        self.document_view_button.setChecked(True)
        self._view_row.hide()
        self.fax_view_button.toggled.connect(self._on_fax_view_button_toggled)

    def _apply_icons(self) -> None:
        for action, name in (
            (self.thumbnails_action, "thumbnails"),
            (self.previous_action, "page-up"),
            (self.next_action, "page-down"),
            (self.zoom_out_action, "zoom-out"),
            (self.zoom_in_action, "zoom-in"),
            (self.fit_width_action, "zoom-fit"),
            (self.fit_page_action, "zoom-fit-page"),
            (self.rotate_left_action, "rotate-left"),
            (self.rotate_right_action, "rotate-right"),
            (self.print_action, "print"),
            (self.save_action, "download"),
        ):
            action.setIcon(icon(name))

    # -- helpers -------------------------------------------------------------------------------

    def _request_print(self) -> None:
        if self._key is not None:
            self.print_requested.emit(self._key)

    def _request_save(self) -> None:
        if self._key is not None:
            self.save_requested.emit(self._key)

    def _handle_key(self, event: QKeyEvent) -> bool:
        if self._key is None or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        # Not shortcuts: in the page number and zoom fields these keys move the text cursor.
        actions = {
            Qt.Key.Key_Home: lambda: self.go_to_page(0),
            Qt.Key.Key_End: lambda: self.go_to_page(len(self._pages) - 1),
        }
        action = actions.get(Qt.Key(event.key()))
        if action is None:
            return False
        action()
        event.accept()
        return True

    def _handle_wheel(self, event: QWheelEvent) -> bool:
        if self._key is None:
            return False
        control = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if not control and self._zoom_mode is not ZoomMode.FIT_PAGE:
            return False  # plain scrolling
        # Touchpads send many small deltas; a step is taken for each full notch (120).
        self._wheel_rest += event.angleDelta().y()
        steps = int(self._wheel_rest / 120)
        self._wheel_rest -= steps * 120
        for _ in range(abs(steps)):
            if control:
                self.zoom_in() if steps > 0 else self.zoom_out()
            else:
                self.previous_page() if steps > 0 else self.next_page()
        event.accept()
        return True

    def _dpi(self) -> float:
        return float(self.logicalDpiX() or 96)

    def _available(self) -> tuple[int, int]:
        viewport = self.scroll_area.viewport()
        margin = 2 * _PageStrip.MARGIN
        return max(40, viewport.width() - margin), max(40, viewport.height() - margin)

    def _scale(self, index: int) -> float:
        """Logical pixels per point for page `index` in the current zoom mode."""
        return self._scaler()(_turned(self._pages[index].size, self._rotation))

    def _scaler(self) -> Callable[[PageSize], float]:
        """Logical pixels per point for a page of a (shown) size, in the current zoom mode."""
        if self._zoom_mode is ZoomMode.FIXED:
            fixed = self._zoom_percent / 100 * self._dpi() / 72
            return lambda _size: fixed
        available_width, available_height = self._available()
        if self._zoom_mode is ZoomMode.FIT_WIDTH:
            return lambda size: available_width / size[0]
        return lambda size: min(available_width / size[0], available_height / size[1])

    def _relayout(self) -> None:
        scale = self._scaler()
        sizes = []
        for page in self._pages:
            shown = _turned(page.size, self._rotation)
            factor = scale(shown)
            sizes.append((max(1, round(shown[0] * factor)), max(1, round(shown[1] * factor))))
        self._strip.relayout(sizes, self.scroll_area.viewport().width())

    def _anchor(self) -> tuple[int, float]:
        """The page at the top of the view and how far down it the view starts (0..1)."""
        if not self._pages or self._strip.laid_out != len(self._pages):
            return (0, 0.0)
        top = self.scroll_area.verticalScrollBar().value()
        index = self._strip.page_at(top)
        rect = self._strip.page_rect(index)
        return index, max(0.0, min(1.0, (top - rect.top()) / max(1, rect.height())))

    def _restore_anchor(self, anchor: tuple[int, float]) -> None:
        if self._pages and self._strip.laid_out == len(self._pages):
            self._scroll_to(*anchor)

    def _scroll_to(self, index: int, fraction: float) -> None:
        rect = self._strip.page_rect(index)
        top = rect.top() + round(fraction * rect.height()) if fraction else rect.top()
        if index == 0 and not fraction:
            top = 0
        else:
            top -= 0 if fraction else _PageStrip.SPACING // 2
        self._navigating = True
        self.scroll_area.verticalScrollBar().setValue(max(0, top))
        self._navigating = False

    def _set_zoom(self, mode: ZoomMode, percent: float) -> None:
        if mode is self._zoom_mode and abs(percent - self._zoom_percent) < 1e-6:
            self._update_controls()
            return
        anchor = self._anchor()
        self._zoom_mode = mode
        self._zoom_percent = percent
        if self._pages:
            self._relayout()
            self._restore_anchor(anchor)
            self._request_timer.start()
        self._update_controls()

    def _set_rotation(self, degrees: int) -> None:
        if not self._pages:
            return
        anchor = self._anchor()
        self._rotation = degrees % 360
        self._strip.rotation = self._rotation
        self._relayout()
        self._restore_anchor(anchor)
        self.thumbnails.viewport().update()
        self._request_timer.start()

    def _learn_size(self, page: _Page, request: PageRequest, image: QImage) -> None:
        """Correct a guessed page size from the proportions of its first image."""
        width, height = _turned(page.size, request.rotation)
        aspect = image.height() / image.width()
        if abs(aspect - height / width) > 0.01 * height / width:
            shown = (width, width * aspect)
            page.size = _turned(shown, request.rotation)
            anchor = self._anchor()
            self._relayout()
            self._restore_anchor(anchor)

    def _render_width(self, index: int, logical_width: int) -> int:
        ratio = self.devicePixelRatioF()
        width_points = _turned(self._pages[index].size, self._rotation)[0]
        finest = round(width_points / 72 * self.max_render_dpi)
        return max(1, min(round(logical_width * ratio), finest))

    def _visible_thumbnails(self) -> list[int]:
        if not self.thumbnails.isVisible() or not self._pages:
            return []
        viewport = self.thumbnails.viewport().rect()
        first = self.thumbnails.indexAt(viewport.topLeft() + QPoint(4, 4))
        last = self.thumbnails.indexAt(viewport.bottomLeft() + QPoint(4, -4))
        start = first.row() if first.isValid() else 0
        end = last.row() if last.isValid() else len(self._pages) - 1
        # A few more than fit, so a short scroll finds them ready.
        return list(range(max(0, start - 2), min(len(self._pages), end + 3)))

    def _request_visible(self) -> None:
        """Ask for the images of the pages within about a screen of the view that lack them."""
        if self._key is None or not self._pages:
            return
        self._request_timer.stop()
        viewport_height = max(1, self.scroll_area.viewport().height())
        top = self.scroll_area.verticalScrollBar().value()
        bottom = top + viewport_height
        in_view = set(self._strip.pages_between(top, bottom))
        near = self._strip.pages_between(top - viewport_height // 2, bottom + viewport_height // 2)
        self._tick += 1
        self._wanted = set(near)
        for index in near:
            self._pages[index].last_wanted = self._tick
        seen: list[PageRequest] = []
        coming: list[PageRequest] = []
        for index in sorted(near, key=lambda i: abs(i - self._current)):
            page = self._pages[index]
            width = self._render_width(index, self._strip.page_rect(index).width())
            wanted = PageRequest(index, width, self._rotation)
            if not page.error and page.image_request != wanted:
                (seen if index in in_view else coming).append(wanted)
        thumbnails: list[PageRequest] = []
        self._wanted_thumbnails = set(self._visible_thumbnails())
        ratio = self.devicePixelRatioF()
        for index in sorted(self._wanted_thumbnails):
            page = self._pages[index]
            width = max(1, round(self.thumbnail_size(index).width() * ratio))
            wanted = PageRequest(index, width, self._rotation, thumbnail=True)
            if not page.error and page.thumbnail_request != wanted:
                thumbnails.append(wanted)
        # What is on screen first, then the thumbnails beside it, then what is about to be.
        requests = seen + thumbnails + coming
        self._trim_cache()
        if requests != self._last_requests:
            self._last_requests = requests
            self.pages_requested.emit(self._key, list(requests))

    def _trim_cache(self) -> None:
        """Drop the images of the least recently wanted pages out of view beyond the budget."""
        for thumbnails, budget, wanted in (
            (False, self.CACHE_BYTES, self._wanted),
            (True, self.THUMBNAIL_CACHE_BYTES, self._wanted_thumbnails),
        ):
            held = [
                (page.last_wanted, index, page)
                for index, page in enumerate(self._pages)
                if index not in wanted
                and (page.thumbnail if thumbnails else page.image) is not None
            ]
            total = sum(
                _image_bytes(page.thumbnail if thumbnails else page.image)
                for _tick, _index, page in held
            )
            for _tick, index, page in sorted(held, key=lambda item: item[:2]):
                if total <= budget:
                    break
                if thumbnails:
                    total -= _image_bytes(page.thumbnail)
                    page.thumbnail, page.thumbnail_request = None, None
                    self._thumbnail_model.page_updated(index)
                else:
                    total -= _image_bytes(page.image)
                    page.image, page.image_request = None, None

    def _set_current(self, index: int, *, force_signal: bool = False) -> None:
        changed = index != self._current
        self._current = index
        self._update_controls()
        self._sync_thumbnail_selection()
        if changed or force_signal:
            self.page_changed.emit(index)

    def _sync_thumbnail_selection(self) -> None:
        if not self._pages or not self.thumbnails.isVisibleTo(self):
            return
        row = self._thumbnail_model.index(self._current, 0)
        if self.thumbnails.currentIndex() != row:
            self.thumbnails.setCurrentIndex(row)
            self.thumbnails.scrollTo(row)

    def _update_controls(self) -> None:
        has_document = self._key is not None and bool(self._pages)
        self.previous_action.setEnabled(has_document and self._current > 0)
        self.next_action.setEnabled(has_document and self._current < len(self._pages) - 1)
        zoom = self.zoom_percent if has_document else self._zoom_percent
        self.zoom_in_action.setEnabled(has_document and zoom < self.MAX_ZOOM / 1.001)
        self.zoom_out_action.setEnabled(has_document and zoom > self.MIN_ZOOM * 1.001)
        for action in (
            self.fit_width_action,
            self.fit_page_action,
            self.rotate_left_action,
            self.rotate_right_action,
            self.print_action,
            self.save_action,
            self.thumbnails_action,
        ):
            action.setEnabled(has_document)
        for widget in (self.page_spin, self.zoom_combo):
            widget.setEnabled(has_document)
        self.page_spin.blockSignals(True)
        self.page_spin.setRange(1, max(1, len(self._pages)))
        self.page_spin.setValue(self._current + 1)
        self.page_spin.blockSignals(False)
        digits = max(2, len(str(len(self._pages))))
        metrics = self.page_spin.fontMetrics()
        self.page_spin.setFixedWidth(metrics.horizontalAdvance("8" * digits) + 14)
        self.page_count_label.setText(f"of {len(self._pages)}" if has_document else "")
        if self._zoom_mode is ZoomMode.FIT_WIDTH:
            text = "Fit width"
        elif self._zoom_mode is ZoomMode.FIT_PAGE:
            text = "Fit page"
        else:
            text = f"{round(self._zoom_percent)} %"
        if not self._zoom_edit.hasFocus():
            self.zoom_combo.setEditText(text)


def _image_bytes(image: QImage | None) -> int:
    return image.sizeInBytes() if image is not None else 0
