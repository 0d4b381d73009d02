"""Fax-mode preview pages: bi-level pages scaled in the worker, at their true shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from faxdesk.core.errors import DocumentError
from faxdesk.core.models import ImageConversionMethod, Resolution
from faxdesk.documents import faxmode
from faxdesk.documents.fax_previews import fax_page_size, render_fax_preview
from faxdesk.documents.pages import render_page
from tests.fakes.documents import grey_form_pdf

FINE = faxmode.FaxMode(
    Resolution.FINE,
    ImageConversionMethod.HALFTONE,
    "letter",
    faxmode.FaxHeader("Northside Clinic", sent_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC)),
)


@pytest.fixture
def grey_form(tmp_path):
    """A Letter page: a title and a large 50 % grey field."""
    path = tmp_path / "form.pdf"
    path.write_bytes(grey_form_pdf())
    return path


def _mean(page, box) -> float:
    x0, y0, x1, y1 = box
    values = [page.samples[y * page.stride + x] for y in range(y0, y1) for x in range(x0, x1)]
    return sum(values) / len(values)


def test_a_fax_page_is_the_fax_line_wide_and_the_paper_tall():
    width, height = fax_page_size(FINE)
    assert width == pytest.approx(1728 * 72 / 204)
    assert height == pytest.approx(792, abs=0.5)
    a4 = fax_page_size(faxmode.FaxMode(paper="a4"))
    assert a4[1] == pytest.approx(842, abs=0.5)


def test_the_preview_keeps_the_true_shape_and_shows_the_header(grey_form):
    page = render_fax_preview(grey_form, 0, 400, FINE)
    width, height = fax_page_size(FINE)
    assert (page.width, page.height) == (400, round(400 * height / width))
    # The header line is dark ink in the top band; the document's own top margin is not.
    assert _mean(page, (10, 1, 390, 6)) < 250
    assert _mean(page, (10, 12, 390, 30)) > 250
    # The halftoned 50 % field averages out to grey again when scaled down, not to black.
    field = _mean(page, (100, 220, 300, 330))
    assert 60 < field < 190
    # In document view the same field is a flat 50 % grey.
    document = render_page(grey_form, 0, 400)
    assert abs(_mean(document, (100, 220, 300, 330)) - 128) < 4


def test_superfine_is_the_same_shape_as_fine(grey_form):
    superfine = faxmode.FaxMode(Resolution.SUPERFINE, header=None)
    fine = render_fax_preview(grey_form, 0, 300, faxmode.FaxMode(header=None))
    finer = render_fax_preview(grey_form, 0, 300, superfine)
    assert (finer.width, finer.height) == (fine.width, fine.height)


def test_a_page_to_be_turned_comes_upright_and_the_asked_width_tall(grey_form):
    page = render_fax_preview(grey_form, 0, 300, FINE, turned=True)
    assert page.height == 300
    assert page.width == round(300 * (1728 * 72 / 204) / fax_page_size(FINE)[1])


def test_a_missing_page_is_a_document_error(grey_form):
    with pytest.raises(DocumentError, match="there is no page 3"):
        render_fax_preview(grey_form, 2, 300, FINE)
