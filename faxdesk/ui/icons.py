"""FaxDesk's SVG icons, tinted for the current palette.

Finds the resources directory (installed wheel or source checkout), loads `icons/{name}.svg`,
replaces `currentColor` with the palette's text colour and renders the result into pixmaps, so the
same line icons read in light and dark themes. It never touches the network or any other layer.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

import faxdesk

#: Every icon the UI uses; the tests load each one in both palettes.
ICON_NAMES: tuple[str, ...] = (
    "new-fax",
    "send",
    "refresh",
    "download",
    "print",
    "inbox",
    "sent",
    "all-faxes",
    "failed",
    "handled",
    "open",
    "export",
    "delete",
    "document",
    "add-document",
    "remove",
    "page-up",
    "page-down",
    "zoom-fit",
    "zoom-fit-page",
    "zoom-in",
    "zoom-out",
    "rotate-left",
    "rotate-right",
    "thumbnails",
    "close",
    "inbound",
    "outbound",
    "status-queued",
    "status-in-progress",
    "status-completed",
    "status-failed",
    "connected",
    "disconnected",
    "sandbox",
    "faxdesk",
)

#: Pixel sizes rendered into each icon (logical sizes and their 2x counterparts).
ICON_SIZES: tuple[int, ...] = (16, 20, 24, 32, 40, 48, 64)

_cache: dict[tuple[str, str, str], QIcon] = {}


def resources_dir() -> Path:
    """Return the directory holding FaxDesk's resources.

    An installed wheel carries them inside the package (`faxdesk/resources`); a source checkout
    keeps them next to the package (`resources/`).
    """
    package_dir = Path(faxdesk.__file__).parent
    installed = package_dir / "resources"
    if installed.is_dir():
        return installed
    return package_dir.parent / "resources"


def icon_path(name: str) -> Path:
    """Return the path of the SVG for `name`; raise FileNotFoundError if there is none."""
    path = resources_dir() / "icons" / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"No icon named {name!r} in {path.parent}")
    return path


@cache
def _svg_source(name: str) -> bytes:
    return icon_path(name).read_bytes()


def _palette_colours() -> tuple[QColor, QColor]:
    palette = QGuiApplication.palette()
    normal = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    return normal, disabled


def _render(source: bytes, colour: QColor, size: int) -> QPixmap:
    tinted = source.replace(b"currentColor", colour.name().encode("ascii"))
    renderer = QSvgRenderer(QByteArray(tinted))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


def icon(name: str, colour: QColor | None = None) -> QIcon:
    """Return the icon `name`, its strokes drawn in `colour` (default: the palette's text colour).

    The disabled state is drawn in the palette's disabled text colour. Icons are cached per
    (name, colours); a widget that outlives a palette change asks again (see `changeEvent` in the
    windows) to get the icon in the new colours.
    """
    normal, disabled = _palette_colours()
    if colour is not None:
        normal = colour
    key = (name, normal.name(), disabled.name())
    cached = _cache.get(key)
    if cached is not None:
        return cached
    source = _svg_source(name)
    result = QIcon()
    for size in ICON_SIZES:
        result.addPixmap(_render(source, normal, size), QIcon.Mode.Normal)
        result.addPixmap(_render(source, disabled, size), QIcon.Mode.Disabled)
    _cache[key] = result
    return result


def pixmap(name: str, size: int) -> QPixmap:
    """Return the icon `name` as a pixmap of `size` logical pixels for the primary screen."""
    screen = QGuiApplication.primaryScreen()
    ratio = screen.devicePixelRatio() if screen is not None else 1.0
    return icon(name).pixmap(QSize(size, size), ratio)


def clear_cache() -> None:
    """Forget every rendered icon (tests use it; the cache is otherwise bounded by the palettes)."""
    _cache.clear()
