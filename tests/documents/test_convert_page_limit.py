"""A PDF over the page limit is refused as soon as it is opened, not after every page of it
has been converted."""

from __future__ import annotations

import pytest

from faxdesk.documents.convert import TooManyPages, convert_to_pdf
from tests.fakes import documents as make


def test_a_pdf_over_the_limit_is_refused_naming_its_pages_and_the_limit():
    content = make.pdf([make.LETTER] * 3)
    with pytest.raises(TooManyPages) as raised:
        convert_to_pdf(content, filename="long.pdf", max_pages=2)
    assert str(raised.value) == (
        "long.pdf has 3 pages; FaxDesk is set to send at most 2 in one fax. Send it as several "
        "faxes, or raise the page limit in the settings."
    )
    assert raised.value.path == "long.pdf"


def test_a_pdf_at_the_limit_is_converted():
    converted = convert_to_pdf(make.pdf([make.LETTER] * 2), filename="two.pdf", max_pages=2)
    assert converted.page_count == 2


def test_without_a_limit_any_number_of_pages_is_converted():
    converted = convert_to_pdf(make.pdf([make.LETTER] * 3), filename="three.pdf")
    assert converted.page_count == 3
