from __future__ import annotations

import pymupdf
import pytest

from faxdesk.core.errors import DocumentError
from faxdesk.documents.pages import (
    count_pages,
    count_pages_in_file,
    document_info,
    make_test_pdf,
    merge_pdfs,
    preview_start,
    render_page,
    save_pdf,
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


def _mixed_pdf(path):
    """Letter portrait, A4 landscape, and a Letter page whose /Rotate turns it landscape."""
    doc = pymupdf.open()
    doc.new_page(width=612, height=792)
    doc.new_page(width=842, height=595)
    rotated = doc.new_page(width=612, height=792)
    # A black band along the top edge of the unrotated page shows where the top went.
    rotated.draw_rect(pymupdf.Rect(0, 0, 612, 60), fill=(0, 0, 0))
    rotated.set_rotation(90)
    doc.save(path)
    doc.close()


def test_document_info_gives_each_page_its_shown_size(tmp_path):
    path = tmp_path / "mixed.pdf"
    _mixed_pdf(path)
    info = document_info(path)
    assert info.page_count == 3
    assert info.page_sizes == ((612, 792), (842, 595), (792, 612))


def test_document_info_of_garbage_names_the_file(tmp_path):
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"junk")
    with pytest.raises(DocumentError, match=r"junk\.pdf is not a readable PDF"):
        document_info(path)


def _dark(page, x, y) -> bool:
    return page.samples[y * page.stride + x] < 128


@pytest.mark.parametrize(
    ("rotation", "size", "dark_edge"),
    [
        # The page's own /Rotate 90 already put its top band on the right.
        (0, (200, 155), "right"),
        (90, (200, 259), "bottom"),
        (180, (200, 155), "left"),
        (270, (200, 259), "top"),
    ],
)
def test_view_rotation_turns_the_page_clockwise_at_the_asked_width(
    tmp_path, rotation, size, dark_edge
):
    path = tmp_path / "mixed.pdf"
    _mixed_pdf(path)
    page = render_page(path, 2, 200, rotation)
    assert (page.width, page.height) == size
    w, h = page.width, page.height
    edges = {
        "top": (w // 2, 2),
        "bottom": (w // 2, h - 3),
        "left": (2, h // 2),
        "right": (w - 3, h // 2),
    }
    assert {name for name, (x, y) in edges.items() if _dark(page, x, y)} == {dark_edge}


def test_only_quarter_turns_are_rendered(tmp_path):
    path = tmp_path / "one.pdf"
    path.write_bytes(make_test_pdf(1))
    with pytest.raises(ValueError, match="rotation"):
        render_page(path, 0, 100, 45)


def test_save_pdf_copies_one_and_joins_several(tmp_path):
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    first.write_bytes(make_test_pdf(1, "First"))
    second.write_bytes(make_test_pdf(2, "Second"))
    save_pdf([first], tmp_path / "copy.pdf")
    assert (tmp_path / "copy.pdf").read_bytes() == first.read_bytes()
    save_pdf([first, second], tmp_path / "joined.pdf")
    assert count_pages_in_file(tmp_path / "joined.pdf") == 3
    # No temporary file is left behind.
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "a.pdf",
        "b.pdf",
        "copy.pdf",
        "joined.pdf",
    ]


def test_save_pdf_says_what_went_wrong_and_leaves_nothing(tmp_path):
    good = tmp_path / "good.pdf"
    good.write_bytes(make_test_pdf(1))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 cut")
    with pytest.raises(DocumentError, match=r"out\.pdf cannot be written in .*missing"):
        save_pdf([good], tmp_path / "missing" / "out.pdf")
    with pytest.raises(DocumentError, match=r"broken\.pdf is not a readable PDF"):
        save_pdf([good, broken], tmp_path / "out.pdf")
    with pytest.raises(DocumentError, match=r"broken\.pdf is not a readable PDF"):
        save_pdf([broken], tmp_path / "out.pdf")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken.pdf", "good.pdf"]


def test_preview_start_gives_the_count_the_first_size_and_the_first_page(tmp_path):
    path = tmp_path / "mixed.pdf"
    _mixed_pdf(path)
    start = preview_start(path, 300)
    assert (start.page_count, start.first_size) == (3, (612, 792))
    assert start.first_page is not None
    assert (start.first_page.index, start.first_page.width, start.first_page.height) == (
        0,
        300,
        389,
    )
    assert preview_start(path).first_page is None
    with pytest.raises(DocumentError, match=r"gone\.pdf does not exist"):
        preview_start(tmp_path / "gone.pdf", 300)
