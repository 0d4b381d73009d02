"""Fax numbers as people type them, turned into E.164 with phonenumbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from faxdesk.core.errors import ValidationError

_EXTENSION = re.compile(r"(?:ext\.?|extension|x|#)\s*\d+\s*$", re.IGNORECASE)
_E164_MAX_DIGITS = 15
#: What people put between the digits of a number typed in international form.
_TYPED_SEPARATORS = " .-()/"


def to_e164(text: str, default_region: str = "US") -> str:
    """Return `text` as an E.164 number, or raise ValidationError saying what is wrong.

    Accepts the forms office staff type: `(415) 555-0123`, `415.555.0123`, `+44 20 7946 0123`.
    """
    raw = text.strip()
    if not raw:
        raise ValidationError("Enter a fax number.", field="to")
    if any(separator in raw for separator in "\n;,"):
        raise ValidationError("Enter one fax number.", field="to")
    if _EXTENSION.search(raw):
        raise ValidationError(
            f"“{raw}” has an extension; a fax number cannot have one.", field="to"
        )
    if sum(ch.isdigit() for ch in raw) > _E164_MAX_DIGITS:
        raise ValidationError(
            f"“{raw}” has too many digits for one number. Enter one fax number.", field="to"
        )
    if any(ch.isalpha() for ch in raw):
        raise ValidationError(
            f"“{raw}” has letters in it; a fax number has only digits.", field="to"
        )
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{raw}” is not a phone number.", field="to") from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(f"“{raw}” has too few or too many digits.", field="to")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(f"“{raw}” is not a valid number.", field="to")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def international_e164(text: str) -> str | None:
    """`text` as E.164 when typed in full international form, else None.

    Full form is a `+` and the digits, with any spaces, dots, dashes or brackets, of a number
    whose length is possible for its country code. It is given for numbers `to_e164` refuses
    as not valid because phonenumbers does not know their range as assigned (a new area code,
    a test range): that metadata ages with the installed package, so callers that let the fax
    service have the last word send such a number as it was typed.
    """
    raw = text.strip()
    if not raw.startswith("+") or any(
        not (ch.isdigit() or ch in _TYPED_SEPARATORS) for ch in raw[1:]
    ):
        return None
    digits = "".join(ch for ch in raw if ch.isdigit())
    if not digits or digits[0] == "0" or len(digits) > _E164_MAX_DIGITS:
        return None
    try:
        number = phonenumbers.parse(f"+{digits}", None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True, slots=True)
class FaxNumber:
    """A number someone typed that may be faxed.

    Attributes:
        e164: the number in E.164.
        known: phonenumbers knows the number's range as assigned; a number typed in full
            international form may go without that (see `international_e164`), and is worth a
            second look.
    """

    e164: str
    known: bool = True


def fax_number(text: str, default_region: str = "US") -> FaxNumber:
    """`text` as a number that may be faxed, or raise `ValidationError` saying what is wrong.

    The rule every place a recipient is typed follows: what `to_e164` takes is known; what it
    refuses but `international_e164` takes goes as typed, not known, for the service to judge;
    anything else raises `to_e164`'s error.
    """
    try:
        return FaxNumber(to_e164(text, default_region))
    except ValidationError:
        typed = international_e164(text)
        if typed is None:
            raise
        return FaxNumber(typed, known=False)


def display(e164: str) -> str:
    """Format an E.164 number for reading; anything unparseable is returned unchanged."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def search_prefix(text: str, default_region: str = "US") -> str:
    """The E.164 prefix a typed number fragment stands for, for "number starts with" searches.

    `+44 20`, `989-898` and `1 989` (in the US) become `+4420`, `+1989898` and `+1989`: a
    fragment without a plus is read as a national number of `default_region`, its trunk
    prefix dropped. Returns "" when there are no digits.
    """
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return ""
    if text.strip().startswith("+"):
        return f"+{digits}"
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(default_region.upper())
    trunk = metadata.national_prefix if metadata is not None else None
    if trunk and digits.startswith(trunk):
        digits = digits[len(trunk) :]
    country = phonenumbers.country_code_for_region(default_region.upper())
    return f"+{country}{digits}" if country else f"+{digits}"


def country_of(e164: str) -> str | None:
    """The ISO 3166-1 alpha-2 country of an E.164 number (`+14155550123` -> `US`), or None.

    None when the number cannot be parsed or its country code is shared by no single region
    (the international freephone `+800`, say).
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    if (not region or region == "001") and number.country_code is not None:
        region = phonenumbers.region_code_for_country_code(number.country_code)
    return None if not region or region in ("ZZ", "001") else str(region)
