"""Local cover pages: a template (PDF or HTML) whose `{{tag}}` fields are filled in for one fax.

The fields are `from`, `to`, `date`, `pageCount` (the pages of the whole fax, the cover page
included) and any field the user adds; values may be in any script, accents and CJK included
(MuPDF falls back to its built-in CJK font). An HTML template is laid out on the fax paper; in a
PDF template each tag's text is removed and the value written in its place, then the pages are
fitted to the paper like any document. Filling runs in the same bounded child process as
conversions. This module does not decide where templates live or what the sender's name is:
callers pass the template's bytes and every value.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from faxdesk.core.errors import DocumentError
from faxdesk.documents import convert
from faxdesk.documents.convert import (
    ConvertedDocument,
    DocumentKind,
    UnsupportedDocumentKind,
)
from faxdesk.documents.engine import pymupdf

#: A `{{tag}}` field of a template: letters, digits, `_`, `-` and `.`, spaces allowed inside.
TAG = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")

#: The fields FaxDesk fills itself.
STANDARD_FIELDS = ("from", "to", "date", "pageCount")


def default_template_path() -> Path:
    """The cover page FaxDesk ships: inside the package when installed, else the checkout."""
    package = Path(__file__).resolve().parent.parent
    for resources in (package / "resources", package.parent / "resources"):
        template = resources / "cover-pages" / "default.html"
        if template.is_file():
            return template
    return package.parent / "resources" / "cover-pages" / "default.html"


def template_fields(template: bytes, *, filename: str) -> list[str]:
    """The tags of the template, in the order they first appear."""
    kind = _template_kind(template, filename)
    if kind is DocumentKind.HTML:
        text = _html_text(template, filename)
    else:
        with _open_pdf(template, filename) as doc:
            text = "\n".join(page.get_text() for page in doc)
    return list(dict.fromkeys(match.group(1) for match in TAG.finditer(text)))


@dataclass(frozen=True, slots=True)
class _CoverRequest:
    template: bytes
    filename: str
    kind: DocumentKind
    fields: Mapping[str, str]
    document_pages: int
    paper: str


def make_cover_page(
    template: bytes,
    *,
    filename: str,
    fields: Mapping[str, str],
    document_pages: int,
    paper: str = "letter",
    time_limit: float = convert.DEFAULT_TIME_LIMIT,
    memory_limit: int = convert.DEFAULT_MEMORY_LIMIT,
) -> ConvertedDocument:
    """The cover page(s) for a fax of `document_pages` pages, from the template `filename`.

    `fields` holds `from`, `to`, `date` and the user's own fields; `pageCount` is filled here.
    A tag with no value is left blank, and `notices` says which. Raises `DocumentError` for a
    template that is not a readable PDF or HTML file, `UnsupportedDocumentKind` for any other.
    """
    convert.paper_size(paper)
    kind = _template_kind(template, filename)
    request = _CoverRequest(
        template, filename, kind, dict(fields), document_pages, paper.strip().lower()
    )
    return convert.run_bounded(
        fill_here, request, filename=filename, time_limit=time_limit, memory_limit=memory_limit
    )


def _template_kind(template: bytes, filename: str) -> DocumentKind:
    kind = convert.detect_kind(template, filename=filename)
    if kind not in (DocumentKind.PDF, DocumentKind.HTML):
        raise UnsupportedDocumentKind(
            f"{filename} cannot be a cover page template: use a PDF or an HTML file.",
            path=filename,
        )
    return kind


def fill_here(request: _CoverRequest) -> ConvertedDocument:
    """Fill the template in this process; `make_cover_page` runs this in its bounded child."""
    fill = _fill_html if request.kind is DocumentKind.HTML else _fill_pdf
    # The cover's own pages count in pageCount: guess one, and fill again if it makes more.
    cover_pages = 1
    for _ in range(3):
        values = {**request.fields, "pageCount": str(request.document_pages + cover_pages)}
        doc, missing = fill(request, values)
        if doc.page_count == cover_pages:
            break
        cover_pages = doc.page_count
        doc.close()
    with doc:
        if doc.page_count == 0:
            raise DocumentError(f"{request.filename} has no pages.", path=request.filename)
        notices = ()
        if missing:
            tags = ", ".join("{{" + tag + "}}" for tag in missing)
            notices = (f"The cover page's fields {tags} have no value and were left blank.",)
        pdf = doc.tobytes(garbage=3, deflate=True)
        return ConvertedDocument(pdf, doc.page_count, notices, request.kind)


def _value_of(values: Mapping[str, str], tag: str) -> str | None:
    if tag in values:
        return values[tag]
    folded = {key.casefold(): value for key, value in values.items()}
    return folded.get(tag.casefold())


def _html_text(template: bytes, filename: str) -> str:
    text = convert._decode_text(template, strict=False)
    if text is None:
        raise DocumentError(f"{filename} is not a readable HTML file.", path=filename)
    return text


def _fill_html(
    request: _CoverRequest, values: Mapping[str, str]
) -> tuple[pymupdf.Document, list[str]]:
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        value = _value_of(values, match.group(1))
        if value is None:
            missing.append(match.group(1))
            return ""
        return html.escape(value).replace("\n", "<br>")

    text = TAG.sub(replace, _html_text(request.template, request.filename))
    return convert.lay_out_html([text], request.paper), list(dict.fromkeys(missing))


def _open_pdf(template: bytes, filename: str) -> pymupdf.Document:
    try:
        doc = pymupdf.open(stream=template, filetype="pdf")
    except convert._mupdf_errors() as exc:
        raise DocumentError(f"{filename} is not a readable PDF.", path=filename) from exc
    if doc.needs_pass:
        doc.close()
        raise DocumentError(
            f"{filename} is protected by a password; a cover page template cannot be.",
            path=filename,
        )
    return doc


def _fill_pdf(
    request: _CoverRequest, values: Mapping[str, str]
) -> tuple[pymupdf.Document, list[str]]:
    missing: list[str] = []
    with _open_pdf(request.template, request.filename) as doc:
        for page in doc:
            places = _tag_places(page)
            for _, rect, _ in places:
                page.add_redact_annot(rect)
            if places:
                # Remove the tags' text only, never an image or a line under a field.
                page.apply_redactions(
                    images=pymupdf.PDF_REDACT_IMAGE_NONE,
                    graphics=pymupdf.PDF_REDACT_LINE_ART_NONE,
                )
            for tag, rect, size in places:
                value = _value_of(values, tag)
                if value is None:
                    missing.append(tag)
                    continue
                # Room to the right margin and for a few lines below; it shrinks to fit.
                box = pymupdf.Rect(
                    rect.x0, rect.y0, max(rect.x1, page.rect.x1 - 36), rect.y1 + 3 * size
                )
                page.insert_htmlbox(
                    box,
                    html.escape(value).replace("\n", "<br>"),
                    css=f"* {{font-family: sans-serif; font-size: {size:.1f}pt;}}",
                )
        filled = pymupdf.open(stream=doc.tobytes(), filetype="pdf")
    fitted = convert.convert_here(
        convert._Request(
            filled.tobytes(), request.filename, DocumentKind.PDF, request.paper, None, 0
        )
    )
    filled.close()
    return pymupdf.open(stream=fitted.pdf, filetype="pdf"), list(dict.fromkeys(missing))


def _tag_places(page: pymupdf.Page) -> list[tuple[str, pymupdf.Rect, float]]:
    """Each `{{tag}}` on the page: its name, where it is drawn and its font size."""
    places = []
    for block in page.get_text("rawdict")["blocks"]:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                chars = span["chars"]
                text = "".join(char["c"] for char in chars)
                for match in TAG.finditer(text):
                    first, last = chars[match.start()], chars[match.end() - 1]
                    rect = pymupdf.Rect(first["bbox"]) | pymupdf.Rect(last["bbox"])
                    places.append((match.group(1), rect, float(span["size"])))
    return places
