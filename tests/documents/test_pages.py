from __future__ import annotations

import pymupdf
import pytest

from faxdesk.core.errors import DocumentError
from faxdesk.documents.pages import (
    count_pages,
    count_pages_in_file,
    make_test_pdf,
    merge_pdfs,
    render_page,
)


def test_counts_pages_in_memory_and_on_disk(tmp_path):
    data = make_test_pdf(3)
    path = tmp_path / "three.pdf"
    path.write_bytes(data)
    assert count_pages(data) == 3
    assert count_pages_in_file(path) == 3


def test_render_fits_the_requested_width_with_letter_proportions(tmp_path):
    path = tmp_path / "one.pdf"
    path.write_bytes(make_test_pdf(2))
    page = render_page(path, 1, 850)
    assert (page.index, page.page_count, page.width) == (1, 2, 850)
    assert page.height == 1100
    assert len(page.samples) == page.stride * page.height
    # The page is white paper with black text: both must be present.
    assert max(page.samples) == 255
    assert min(page.samples) < 64


def test_page_out_of_range_names_the_page(tmp_path):
    path = tmp_path / "one.pdf"
    path.write_bytes(make_test_pdf(1))
    with pytest.raises(DocumentError, match="there is no page 2"):
        render_page(path, 1, 100)


def test_garbage_is_not_a_readable_pdf():
    with pytest.raises(DocumentError, match=r"report\.pdf is not a readable PDF"):
        count_pages(b"this is not a pdf", "report.pdf")


def test_missing_file_says_so(tmp_path):
    with pytest.raises(DocumentError, match=r"gone\.pdf does not exist"):
        count_pages_in_file(tmp_path / "gone.pdf")


def test_password_protected_pdf_is_refused(tmp_path):
    doc = pymupdf.open(stream=make_test_pdf(1), filetype="pdf")
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    doc.close()
    with pytest.raises(DocumentError, match="password"):
        count_pages(data, "locked.pdf")


def test_merge_keeps_every_page_in_order():
    merged = merge_pdfs(
        [("a.pdf", make_test_pdf(2, "First")), ("b.pdf", make_test_pdf(1, "Second"))]
    )
    with pymupdf.open(stream=merged, filetype="pdf") as doc:
        texts = [page.get_text() for page in doc]
    assert len(texts) == 3
    assert "First" in texts[0]
    assert "Page 2 of 2" in texts[1]
    assert "Second" in texts[2]


def test_merge_of_one_document_returns_it_unchanged():
    data = make_test_pdf(1)
    assert merge_pdfs([("only.pdf", data)]) == data


def test_merge_names_the_unreadable_document():
    with pytest.raises(DocumentError, match=r"broken\.pdf is not a readable PDF"):
        merge_pdfs([("good.pdf", make_test_pdf(1)), ("broken.pdf", b"%PDF-1.4 garbage")])


def test_merge_of_nothing_is_an_error():
    with pytest.raises(DocumentError, match="nothing to join"):
        merge_pdfs([])


def test_an_empty_file_is_called_empty(tmp_path):
    path = tmp_path / "blank.pdf"
    path.write_bytes(b"")
    with pytest.raises(DocumentError, match=r"^blank\.pdf is empty\.$"):
        count_pages_in_file(path)
    with pytest.raises(DocumentError, match=r"^scan\.pdf is empty\.$"):
        count_pages(b"", "scan.pdf")
