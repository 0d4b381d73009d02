"""Which files the fax service takes as they are, told by their name and their first bytes.

The service converts PDF, Word (.docx), TIFF, JPEG, PNG, plain text and HTML itself. A file is
sent as one of those only when its suffix says so and its first bytes agree, so a renamed
spreadsheet or an empty download is refused here, in words, instead of failing on the service
minutes later as a conversion error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from faxdesk.core.errors import DocumentError

#: Bytes read from the start of a file to tell its kind.
_SNIFF_SIZE = 4096


def _is_pdf(head: bytes) -> bool:
    # PDF readers accept the header anywhere in the first kilobyte.
    return b"%PDF-" in head[:1024]


def _is_text(head: bytes) -> bool:
    # A NUL byte does not occur in UTF-8 or Latin-1 text; anything else decodes as Latin-1.
    return b"\x00" not in head


@dataclass(frozen=True, slots=True)
class FileKind:
    """A kind of document the service takes: its name for people and its media type."""

    name: str
    media_type: str
    suffixes: tuple[str, ...]
    looks_right: Callable[[bytes], bool]


PDF = FileKind("PDF", "application/pdf", (".pdf",), _is_pdf)

SENDABLE_KINDS = (
    PDF,
    FileKind(
        "Word document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
        lambda head: head.startswith(b"PK\x03\x04"),
    ),
    FileKind(
        "TIFF image",
        "image/tiff",
        (".tif", ".tiff"),
        lambda head: head.startswith((b"II*\x00", b"MM\x00*")),
    ),
    FileKind(
        "JPEG image", "image/jpeg", (".jpg", ".jpeg"), lambda h: h.startswith(b"\xff\xd8\xff")
    ),
    FileKind("PNG image", "image/png", (".png",), lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    FileKind("text file", "text/plain", (".txt",), _is_text),
    FileKind("HTML page", "text/html", (".html", ".htm"), _is_text),
)

_BY_SUFFIX = {suffix: kind for kind in SENDABLE_KINDS for suffix in kind.suffixes}


def sendable_kind(path: Path) -> FileKind:
    """The kind `path` is sent as; raises `DocumentError` naming the file and what is wrong.

    Blocking (it reads the first bytes of the file): call it off the event loop.
    """
    kind = _BY_SUFFIX.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(
            f"{path.name} cannot be faxed: use a PDF, Word (.docx), TIFF, JPEG, PNG, "
            "text or HTML file.",
            path=str(path),
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_SIZE)
    except OSError as exc:
        reason = exc.strerror or "it could not be opened"
        raise DocumentError(f"{path.name} could not be read ({reason}).", path=str(path)) from exc
    if not head:
        raise DocumentError(f"{path.name} is empty.", path=str(path))
    if not kind.looks_right(head):
        raise DocumentError(
            f"{path.name} is named like a {kind.name} but is not one.", path=str(path)
        )
    return kind
