"""The application's look: Fusion style with a light or a dark palette, and a few shared colours.

`apply_theme()` is called once by the application (and again when the user changes the scheme);
in "auto" mode it follows the system colour scheme as it changes. Widgets that need a colour with
a meaning (an error message, a success hint) ask `message_colours()` for the current palette
instead of hard-coding one that is unreadable in the other scheme. No widgets are built here.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

SCHEMES = ("auto", "light", "dark")

_FOLLOWER_NAME = "faxdesk-theme-follower"

_Group = QPalette.ColorGroup
_Role = QPalette.ColorRole


@dataclass(frozen=True, slots=True)
class MessageColours:
    """Foreground and background colours for inline messages in the current scheme."""

    error_text: QColor
    error_background: QColor
    error_border: QColor
    success_text: QColor


def is_dark(palette: QPalette) -> bool:
    """True when `palette` draws light text on a dark window."""
    window = palette.color(_Role.Window)
    text = palette.color(_Role.WindowText)
    return window.lightness() < text.lightness()


def message_colours(palette: QPalette) -> MessageColours:
    """Return readable message colours for `palette` (light or dark)."""
    if is_dark(palette):
        return MessageColours(
            error_text=QColor("#ff9c9c"),
            error_background=QColor("#4a2326"),
            error_border=QColor("#8c3a3f"),
            success_text=QColor("#7fd48f"),
        )
    return MessageColours(
        error_text=QColor("#b3261e"),
        error_background=QColor("#fdecec"),
        error_border=QColor("#efb7b4"),
        success_text=QColor("#1e7a34"),
    )


def _fill(palette: QPalette, colours: dict[QPalette.ColorRole, str]) -> None:
    for role, name in colours.items():
        palette.setColor(role, QColor(name))


def dark_palette() -> QPalette:
    """A dark palette with readable disabled, highlight, link and placeholder colours."""
    palette = QPalette()
    _fill(
        palette,
        {
            _Role.Window: "#2b2d31",
            _Role.WindowText: "#e4e6eb",
            _Role.Base: "#1f2023",
            _Role.AlternateBase: "#27292d",
            _Role.ToolTipBase: "#3a3d42",
            _Role.ToolTipText: "#f0f1f3",
            _Role.PlaceholderText: "#8d9199",
            _Role.Text: "#e4e6eb",
            _Role.Button: "#35373c",
            _Role.ButtonText: "#e4e6eb",
            _Role.BrightText: "#ff8a80",
            _Role.Light: "#4a4d54",
            _Role.Midlight: "#3d4045",
            _Role.Mid: "#2a2c30",
            _Role.Dark: "#18191c",
            _Role.Shadow: "#000000",
            _Role.Highlight: "#3d6fd1",
            _Role.HighlightedText: "#ffffff",
            _Role.Link: "#79a8ff",
            _Role.LinkVisited: "#b99af5",
            _Role.Accent: "#3d6fd1",
        },
    )
    for role, name in {
        _Role.WindowText: "#7c8088",
        _Role.Text: "#7c8088",
        _Role.ButtonText: "#7c8088",
        _Role.PlaceholderText: "#5f636a",
        _Role.Highlight: "#3a3d43",
        _Role.HighlightedText: "#9a9ea6",
        _Role.Base: "#26282b",
        _Role.Button: "#2f3135",
        _Role.Link: "#5c7bb3",
    }.items():
        palette.setColor(_Group.Disabled, role, QColor(name))
    return palette


def light_palette() -> QPalette:
    """A light palette matching the dark one role for role."""
    palette = QPalette()
    _fill(
        palette,
        {
            _Role.Window: "#f2f3f5",
            _Role.WindowText: "#1d1f23",
            _Role.Base: "#ffffff",
            _Role.AlternateBase: "#f5f6f8",
            _Role.ToolTipBase: "#fffbe6",
            _Role.ToolTipText: "#1d1f23",
            _Role.PlaceholderText: "#767b84",
            _Role.Text: "#1d1f23",
            _Role.Button: "#eceef1",
            _Role.ButtonText: "#1d1f23",
            _Role.BrightText: "#c62828",
            _Role.Light: "#ffffff",
            _Role.Midlight: "#f7f8fa",
            _Role.Mid: "#c4c8ce",
            _Role.Dark: "#9ba1a9",
            _Role.Shadow: "#5a5f66",
            _Role.Highlight: "#2f65ca",
            _Role.HighlightedText: "#ffffff",
            _Role.Link: "#1a5fb4",
            _Role.LinkVisited: "#6a3fb5",
            _Role.Accent: "#2f65ca",
        },
    )
    for role, name in {
        _Role.WindowText: "#9599a0",
        _Role.Text: "#9599a0",
        _Role.ButtonText: "#9599a0",
        _Role.PlaceholderText: "#b3b7bd",
        _Role.Highlight: "#d5d8dd",
        _Role.HighlightedText: "#6b7078",
        _Role.Base: "#f4f5f7",
        _Role.Link: "#8aa6cf",
    }.items():
        palette.setColor(_Group.Disabled, role, QColor(name))
    return palette


def resolve_scheme(app: QApplication, scheme: str) -> str:
    """Return "light" or "dark" for `scheme`, asking the system when it is "auto"."""
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown colour scheme {scheme!r}; expected one of {SCHEMES}")
    if scheme != "auto":
        return scheme
    system = app.styleHints().colorScheme()
    return "dark" if system == Qt.ColorScheme.Dark else "light"


class _SchemeFollower(QObject):
    """Re-applies the theme when the system scheme changes while the user chose "auto".

    A child of the application (found again by object name), so there is no module state and
    it lives exactly as long as the application.

    Attributes:
        scheme: the scheme the user chose ("auto", "light" or "dark").
    """

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName(_FOLLOWER_NAME)
        self.scheme = "auto"
        self._app = app
        app.styleHints().colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)

    def _on_style_hints_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.scheme == "auto":
            _apply_palette(self._app, resolve_scheme(self._app, "auto"))


def _apply_palette(app: QApplication, resolved: str) -> None:
    palette = dark_palette() if resolved == "dark" else light_palette()
    app.setPalette(palette)
    app.setProperty("faxdeskColorScheme", resolved)


def _request_native_scheme(app: QApplication, scheme: str) -> None:
    # Qt 6.8+ can ask the platform to draw native parts (Windows title bars) in the chosen
    # scheme; older Qt simply keeps the system's. A no-op on platforms without support.
    hints = app.styleHints()
    if not hasattr(hints, "setColorScheme"):
        return
    if scheme == "auto":
        hints.unsetColorScheme()
    else:
        hints.setColorScheme(Qt.ColorScheme.Dark if scheme == "dark" else Qt.ColorScheme.Light)


def apply_theme(app: QApplication, scheme: str = "auto") -> None:
    """Use the Fusion style with a light or dark palette on `app`.

    No application style sheet: it would override the palette in places and slow every widget;
    the few paddings the windows want are set on those widgets.

    `scheme` is "light", "dark" or "auto" (follow the system colour scheme, now and when it
    changes). Raises ValueError for anything else.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown colour scheme {scheme!r}; expected one of {SCHEMES}")
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    follower = app.findChild(_SchemeFollower, _FOLLOWER_NAME)
    if follower is None:
        follower = _SchemeFollower(app)
    follower.scheme = scheme
    # Before resolving: leaving an explicit scheme for "auto" must read the system's again.
    _request_native_scheme(app, scheme)
    _apply_palette(app, resolve_scheme(app, scheme))


def current_scheme(app: QApplication) -> str:
    """The scheme `apply_theme()` last resolved to ("light" or "dark"), or "" if never applied."""
    value = app.property("faxdeskColorScheme")
    return value if isinstance(value, str) else ""
