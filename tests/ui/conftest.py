"""Fixtures for the widget tests: offscreen Qt, a light theme per test, faxes and PDF files."""

from __future__ import annotations

import os

# Before the QApplication exists (Qt reads it then): the widget tests never open a real window.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from faxdesk.core.models import Direction, Fax, FaxStatus
from faxdesk.ui.theme import apply_theme

_HERE = Path(__file__).parent


@pytest.fixture(autouse=True)
def empty_clipboard(qapp: QApplication) -> Iterator[None]:
    """Clear the clipboard after each test: mime data a test put there would otherwise be
    freed by Qt's exit handlers after Python has gone, which crashes the run at exit."""
    yield
    QApplication.clipboard().clear()


@pytest.fixture(autouse=True)
def light_theme(qapp: QApplication) -> Iterator[QApplication]:
    """Every test starts in the light theme (the palette is application-wide state)."""
    apply_theme(qapp, "light")
    yield qapp
    apply_theme(qapp, "light")


NOW = datetime(2024, 12, 3, 15, 30, tzinfo=UTC)


@pytest.fixture
def make_fax() -> Callable[..., Fax]:
    """Build a Fax with readable defaults; any field can be overridden."""

    def make(fax_id: str = "01HFAX0001", **fields: Any) -> Fax:
        values: dict[str, Any] = {
            "direction": Direction.OUTBOUND,
            "status": FaxStatus.COMPLETED,
            "to": "+14155550123",
            "from_": "+19898989898",
            "create_time": NOW,
            "number_of_pages": 2,
            "pages_sent_successfully": 2,
        }
        values.update(fields)
        return Fax(id=fax_id, **values)

    return make


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    """A tiny file that looks like a PDF by name and header (widgets never parse it)."""
    path = tmp_path / "letter.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    return path


def _file_mime(*paths: Path | str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls(
        [QUrl(path) if isinstance(path, str) else QUrl.fromLocalFile(str(path)) for path in paths]
    )
    return mime


def _drop_files(target: QWidget, mime: QMimeData, pos: QPoint | None = None) -> tuple[bool, bool]:
    pos = pos or target.rect().center()
    actions = Qt.DropAction.CopyAction | Qt.DropAction.LinkAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    try:
        enter = QDragEnterEvent(pos, actions, mime, buttons, modifiers)
    except TypeError:  # PySide6 6.12 takes the position as QPointF
        enter = QDragEnterEvent(QPointF(pos), actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(
        QPointF(pos), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, drop)
    return enter.isAccepted(), drop.isAccepted()


@pytest.fixture
def file_mime() -> Callable[..., QMimeData]:
    """MIME data as a file manager sends it: one URL per file (a str is a non-local URL)."""
    return _file_mime


@pytest.fixture
def drop_files() -> Callable[..., tuple[bool, bool]]:
    """Drag MIME data onto a widget and drop it, as Qt delivers a real drop.

    Returns whether the drag enter and the drop were accepted. The events go to the widget
    through QApplication.sendEvent, which hands them up to the first parent accepting drops.
    """
    return _drop_files
