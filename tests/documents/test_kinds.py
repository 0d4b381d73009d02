"""Telling the kinds of file the fax service takes from their names and first bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from faxdesk.core.errors import DocumentError
from faxdesk.documents.kinds import PDF, sendable_kind
from faxdesk.documents.pages import make_test_pdf

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("referral.pdf", make_test_pdf(1), "application/pdf"),
        ("scan.PNG", PNG_HEAD, "image/png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        ("fax.tif", b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        ("fax.tiff", b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (
            "letter.docx",
            b"PK\x03\x04\x14\x00",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", "Grüße, café\n".encode("latin-1"), "text/plain"),
        ("page.html", b"<!doctype html><p>Hi</p>", "text/html"),
    ],
)
def test_each_kind_the_service_takes_gets_its_media_type(tmp_path, name, content, media_type):
    path = tmp_path / name
    path.write_bytes(content)
    assert sendable_kind(path).media_type == media_type


def test_a_pdf_is_the_pdf_kind(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(make_test_pdf(1))
    assert sendable_kind(path) is PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("budget.xlsx", b"PK\x03\x04", "budget.xlsx cannot be faxed: use a PDF, Word (.docx)"),
        ("README", b"text", "README cannot be faxed"),
        ("empty.pdf", b"", "empty.pdf is empty."),
        ("fake.pdf", b"just some text", "fake.pdf is named like a PDF but is not one."),
        ("fake.png", b"\xff\xd8\xff\xe0", "fake.png is named like a PNG image but is not one."),
        ("binary.txt", b"ab\x00cd", "binary.txt is named like a text file but is not one."),
    ],
)
def test_a_file_the_service_would_not_take_is_named_with_the_reason(
    tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as refused:
        sendable_kind(path)
    assert str(refused.value).startswith(message)
    assert refused.value.path == str(path)


def test_an_unreadable_file_says_why(tmp_path):
    folder = tmp_path / "folder.pdf"
    folder.mkdir()
    with pytest.raises(DocumentError, match=r"folder\.pdf could not be read \(Is a directory\)"):
        sendable_kind(Path(folder))
