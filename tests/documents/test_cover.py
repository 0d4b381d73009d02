"""Local cover pages: templates filled with the fax's fields, in any script, fitted to the paper."""

from __future__ import annotations

import pymupdf
import pytest

from faxdesk.documents.convert import (
    DocumentKind,
    UnsupportedDocumentKind,
    content_rect,
)
from faxdesk.documents.cover import default_template_path, make_cover_page, template_fields
from tests.fakes.documents import page_layout

FIELDS = {
    "from": "Clínica São José",
    "to": "田中 太郎, Dr. Ünal",
    "date": "4 December 2026",
    "subject": "Überweisung — 転院のお知らせ",
    "message": "Please call back.\nSecond line",
}


def fonts_of(pdf: bytes) -> set[str]:
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return {font[3] for page in doc for font in page.get_fonts()}


def test_the_default_template_ships_with_the_standard_fields():
    template = default_template_path().read_bytes()
    fields = template_fields(template, filename="default.html")
    assert fields[:4] == ["to", "from", "date", "pageCount"]
    assert {"subject", "message"} <= set(fields)


def test_the_default_cover_page_is_filled_in_any_script_and_counts_itself():
    result = make_cover_page(
        default_template_path().read_bytes(),
        filename="default.html",
        fields=FIELDS,
        document_pages=3,
    )
    assert (result.page_count, result.kind, result.notices) == (1, DocumentKind.HTML, ())
    [layout] = page_layout(result.pdf)
    assert (layout.width, layout.height) == (612, 792)
    assert content_rect("letter").contains(layout.content)
    for value in ("Clínica São José", "田中 太郎, Dr. Ünal", "4 December 2026", "転院のお知らせ"):
        assert value in layout.text
    assert "4, this page included" in layout.text
    assert "Second line" in layout.text
    assert "{{" not in layout.text
    # Japanese needs a CJK font: MuPDF's own is used for it.
    assert "Droid Sans Fallback Regular" in fonts_of(result.pdf)


def test_a_field_without_a_value_is_left_blank_and_named():
    template = b"<p>To {{to}}</p><p>Ward {{ward}}</p><p>Bed {{ Bed }}</p>"
    result = make_cover_page(template, filename="ward.html", fields={"to": "Ada"}, document_pages=1)
    text = page_layout(result.pdf)[0].text
    assert "To Ada" in text
    assert "{{" not in text
    assert result.notices == (
        "The cover page's fields {{ward}}, {{Bed}} have no value and were left blank.",
    )


def test_user_fields_fill_and_tags_match_whatever_their_case():
    template = b"<p>Ward {{ward}} of {{PAGECOUNT}}</p>"
    result = make_cover_page(template, filename="t.htm", fields={"Ward": "4B"}, document_pages=9)
    assert "Ward 4B of 10" in page_layout(result.pdf)[0].text


def test_a_long_cover_page_counts_all_its_pages():
    template = b"<p>{{pageCount}} pages in all</p>" + b"<p>Terms and conditions.</p>" * 40
    result = make_cover_page(template, filename="long.html", fields={}, document_pages=5)
    assert result.page_count == 2
    assert "7 pages in all" in page_layout(result.pdf)[0].text


def test_a_pdf_template_has_its_tags_replaced_where_they_stand():
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)  # an A4 template, faxed on Letter
    page.insert_text((72, 100), "To: {{to}}", fontsize=14)
    page.insert_text((72, 130), "Pages: {{pageCount}}   Ward: {{ward}}", fontsize=12)
    page.draw_line((72, 140), (400, 140))
    template = doc.tobytes()
    result = make_cover_page(
        template, filename="clinic.pdf", fields={"to": "Dr. Ünal 김민수"}, document_pages=2
    )
    assert result.page_count == 1
    [layout] = page_layout(result.pdf)
    assert (layout.width, layout.height) == (612, 792)
    assert "Dr. Ünal 김민수" in layout.text
    assert "3" in layout.text
    assert "{{" not in layout.text
    assert result.notices == (
        "The cover page's fields {{ward}} have no value and were left blank.",
    )
    # The value stands where its tag stood: right of "To:", near the top of the page.
    with pymupdf.open(stream=result.pdf, filetype="pdf") as filled:
        [to_label] = filled[0].search_for("To:")
        [value] = filled[0].search_for("Ünal")
    assert value.x0 > to_label.x1
    assert abs(value.y1 - to_label.y1) < 6


def test_a_template_must_be_pdf_or_html():
    with pytest.raises(UnsupportedDocumentKind, match="cannot be a cover page template"):
        make_cover_page(b"just text", filename="cover.txt", fields={}, document_pages=1)
