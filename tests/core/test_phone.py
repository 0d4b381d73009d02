from __future__ import annotations

import pytest

from faxdesk.core.errors import ValidationError
from faxdesk.core.phone import (
    FaxNumber,
    display,
    fax_number,
    international_e164,
    search_prefix,
    to_e164,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("(415) 555-0123", "+14155550123"),
        ("415.555.0123", "+14155550123"),
        ("+44 20 7946 0123", "+442079460123"),
        ("+1 989 898 9898", "+19898989898"),
    ],
)
def test_typed_numbers_become_e164(typed, expected):
    assert to_e164(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a fax number"),
        ("hello", "“hello” has letters in it"),
        ("+1 989 898 9898 ext 12", "has an extension"),
        ("+1 989 898 9898 x12", "has an extension"),
        ("9898989898 9898989898", "too many digits for one number"),
        ("+19898989898abc", "has letters in it"),
        ("+1 989 898 9898\n+1 415 555 0123", "Enter one fax number"),
        ("+1 989 898 9898; +1 415 555 0123", "Enter one fax number"),
        ("12", "“12” has too few or too many digits"),
        ("+1 555 555 5555", "“\\+1 555 555 5555” is not a valid number"),
    ],
)
def test_bad_numbers_say_why(typed, message):
    with pytest.raises(ValidationError, match=message) as caught:
        to_e164(typed)
    assert caught.value.field == "to"


def test_region_changes_how_local_numbers_read():
    assert to_e164("020 7946 0123", "GB") == "+442079460123"


def test_display_formats_and_passes_garbage_through():
    assert display("+14155550123") == "+1 415-555-0123"
    assert display("anonymous") == "anonymous"


@pytest.mark.parametrize(
    ("typed", "region", "prefix"),
    [
        ("+44 20", "US", "+4420"),
        ("989-898-9898", "US", "+19898989898"),
        ("989", "US", "+1989"),
        ("1 989", "US", "+1989"),
        ("(415) 555", "US", "+1415555"),
        ("020 7946", "GB", "+44207946"),
        ("  +1 (989) ", "GB", "+1989"),
        ("abc", "US", ""),
        ("", "US", ""),
    ],
)
def test_search_prefix_reads_fragments_as_people_type_them(typed, region, prefix):
    assert search_prefix(typed, region) == prefix


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+1 555 555 0100", "+15555550100"),
        ("+1 (555) 555-0100", "+15555550100"),
        ("+44 20 7946 0123", "+442079460123"),
        ("+15551", None),  # too short for +1
        ("555-555-0100", None),  # national form: only `to_e164` reads it
        ("+0123456789", None),  # no country code starts with 0
        ("+1 555 CALL NOW", None),
        ("+1 415 555 0123 x12", None),
        ("+", None),
    ],
)
def test_international_e164_takes_only_full_international_form(typed, expected):
    assert international_e164(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("(415) 555-0123", FaxNumber("+14155550123", known=True)),
        ("+1 (555) 010-0000", FaxNumber("+15550100000", known=False)),
        ("+1 555 555 0100", FaxNumber("+15555550100", known=False)),
    ],
)
def test_fax_number_takes_possible_international_numbers_as_not_known(typed, expected):
    assert fax_number(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("(555) 010-0000", "is not a valid number"),  # national form must be known
        ("+15551", "too few or too many digits"),
        ("+1 415 555 0123 x12", "has an extension"),
    ],
)
def test_fax_number_refuses_what_cannot_be_a_number(typed, message):
    with pytest.raises(ValidationError, match=message):
        fax_number(typed)
