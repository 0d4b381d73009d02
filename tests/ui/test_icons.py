from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from faxdesk.ui import icons
from faxdesk.ui.theme import apply_theme

# Icons whose colours carry meaning and are fixed in the SVG.
FIXED_COLOUR = {"status-queued", "status-in-progress", "status-completed", "status-failed"}


def _colours(icon: QIcon, size: int = 48, mode: QIcon.Mode = QIcon.Mode.Normal) -> set[str]:
    image = icon.pixmap(QSize(size, size), 1.0, mode).toImage()
    return {
        QColor.fromRgba(image.pixel(x, y)).name()
        for x in range(image.width())
        for y in range(image.height())
        if QColor.fromRgba(image.pixel(x, y)).alpha() == 255
    }


def test_every_svg_is_listed_and_every_listed_icon_exists() -> None:
    on_disk = {path.stem for path in (icons.resources_dir() / "icons").glob("*.svg")}
    assert on_disk == set(icons.ICON_NAMES)


@pytest.mark.parametrize("name", [name for name in icons.ICON_NAMES if name != "faxdesk"])
def test_icons_follow_the_house_style(name: str) -> None:
    text = icons.icon_path(name).read_text()
    assert 'viewBox="0 0 24 24"' in text
    assert 'stroke-linecap="round"' in text
    assert re.search(r"<(image|script|style)\b", text) is None


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", icons.ICON_NAMES)
def test_icon_loads_in_both_palettes(qapp: QApplication, scheme: str, name: str) -> None:
    apply_theme(qapp, scheme)
    icon = icons.icon(name)
    assert not icon.isNull()
    for size in (16, 24, 48):
        pixmap = icon.pixmap(QSize(size, size), 1.0)
        assert not pixmap.isNull()
        assert pixmap.width() == size
    assert _colours(icon), f"{name} draws nothing opaque"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", sorted(set(icons.ICON_NAMES) - FIXED_COLOUR - {"faxdesk"}))
def test_line_icons_are_drawn_in_the_palette_text_colour(
    qapp: QApplication, scheme: str, name: str
) -> None:
    apply_theme(qapp, scheme)
    palette = qapp.palette()
    text = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText).name()
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText).name()
    icon = icons.icon(name)
    assert text in _colours(icon)
    assert disabled in _colours(icon, mode=QIcon.Mode.Disabled)


def test_status_icons_keep_their_colour_in_the_dark(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    assert "#2f9e44" in _colours(icons.icon("status-completed"))
    assert "#d64545" in _colours(icons.icon("status-failed"))


def test_icons_are_cached_per_palette(qapp: QApplication) -> None:
    apply_theme(qapp, "light")
    light = icons.icon("send")
    assert icons.icon("send").cacheKey() == light.cacheKey()
    apply_theme(qapp, "dark")
    dark = icons.icon("send")
    assert dark.cacheKey() != light.cacheKey()


def test_explicit_colour_overrides_the_palette(qapp: QApplication) -> None:
    assert "#ff0000" in _colours(icons.icon("close", QColor("#ff0000")))


def test_unknown_icon_is_an_error() -> None:
    with pytest.raises(FileNotFoundError, match="no-such-icon"):
        icons.icon_path("no-such-icon")


def test_icon_licence_is_stated() -> None:
    licence = (icons.resources_dir() / "icons" / "LICENSE").read_text()
    assert "CC0" in licence
