from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from faxdesk.ui.theme import (
    apply_theme,
    current_scheme,
    dark_palette,
    is_dark,
    message_colours,
    resolve_scheme,
)

Role = QPalette.ColorRole
Group = QPalette.ColorGroup


def test_dark_theme_uses_fusion_and_a_dark_palette(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    palette = qapp.palette()
    assert qapp.style().name().lower() == "fusion"
    assert palette.color(Role.Window).lightness() < 64
    assert palette.color(Role.Base).lightness() < 64
    assert palette.color(Role.WindowText).lightness() > 200
    assert palette.color(Role.Text).lightness() > 200
    assert is_dark(palette)
    assert current_scheme(qapp) == "dark"


def test_dark_palette_sets_disabled_highlight_link_and_placeholder(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    palette = qapp.palette()
    active_text = palette.color(Group.Active, Role.Text)
    disabled_text = palette.color(Group.Disabled, Role.Text)
    assert disabled_text != active_text
    assert disabled_text.lightness() < active_text.lightness()
    # Disabled text must still be visible on the dark base.
    assert disabled_text.lightness() - palette.color(Group.Disabled, Role.Base).lightness() > 60
    assert palette.color(Role.HighlightedText).lightness() > 200
    assert palette.color(Role.Link).lightness() > 150
    placeholder = palette.color(Role.PlaceholderText)
    assert palette.color(Role.Base).lightness() < placeholder.lightness() < active_text.lightness()


def test_light_theme_is_light(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    apply_theme(qapp, "light")
    palette = qapp.palette()
    assert palette.color(Role.Window).lightness() > 200
    assert palette.color(Role.Text).lightness() < 64
    assert not is_dark(palette)
    assert current_scheme(qapp) == "light"


def test_auto_follows_the_system_scheme(qapp: QApplication) -> None:
    system = qapp.styleHints().colorScheme()
    expected = "dark" if system == Qt.ColorScheme.Dark else "light"
    assert resolve_scheme(qapp, "auto") == expected
    apply_theme(qapp, "auto")
    assert current_scheme(qapp) == expected


def test_auto_reapplies_when_the_system_scheme_changes(qapp: QApplication) -> None:
    apply_theme(qapp, "auto")
    expected = current_scheme(qapp)
    # Something else changed the palette; a system scheme change must bring "auto" back.
    qapp.setPalette(dark_palette() if expected == "light" else QPalette())
    qapp.styleHints().colorSchemeChanged.emit(qapp.styleHints().colorScheme())
    assert is_dark(qapp.palette()) == (expected == "dark")


def test_an_explicit_scheme_ignores_system_changes(qapp: QApplication) -> None:
    apply_theme(qapp, "dark")
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert is_dark(qapp.palette())


def test_unknown_scheme_is_rejected(qapp: QApplication) -> None:
    with pytest.raises(ValueError, match="sepia"):
        apply_theme(qapp, "sepia")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_message_colours_contrast_in_both_schemes(qapp: QApplication, scheme: str) -> None:
    apply_theme(qapp, scheme)
    palette = qapp.palette()
    colours = message_colours(palette)
    assert abs(colours.error_text.lightness() - colours.error_background.lightness()) > 90
    window = palette.color(Role.Window).lightness()
    assert abs(colours.error_text.lightness() - window) > 60
    assert abs(colours.success_text.lightness() - window) > 60
