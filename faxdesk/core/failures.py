"""Why a fax failed, in words the person at the desk understands, from the service's error codes.

The service reports a failed fax with an error type, a numeric code and a terse message (its
failure catalogue). `failure_reason` turns those into a short sentence ("The line was busy."),
says whether sending again later may help, and mentions a partial transmission ("Only 2 of 5
pages went through."). Codes are looked up by the pair (type, code): the same number means
different things under different types. Pure Python; it knows nothing about HTTP or Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from faxdesk.core.models import ErrorType, Fax, FaxStatus


@dataclass(frozen=True, slots=True)
class FailureReason:
    """A failed fax explained.

    Attributes:
        summary: one or two plain sentences, fit to show as they are.
        may_retry: whether sending the same fax again later has a fair chance (a busy line,
            no answer); False when something must change first (the number, the document,
            the account).
        pages_sent: pages that did go through.
        number_of_pages: pages the fax had (0 when the service did not say).
    """

    summary: str
    may_retry: bool
    pages_sent: int = 0
    number_of_pages: int = 0

    @property
    def partial(self) -> bool:
        return 0 < self.pages_sent < self.number_of_pages

    def __str__(self) -> str:
        return self.summary


_BUSY = ("The line was busy.", True)
_NO_ANSWER = ("Nobody answered the call.", True)
_NO_FAX_ANSWER = ("No fax machine answered the call.", True)
_NO_FAX_TONE = ("No fax tone: the number answered, but not with a fax machine.", False)
_DROPPED = ("The call was cut off before the fax went through.", True)
_LINE_TROUBLE = ("There was trouble on the phone line.", True)
_NOT_IN_SERVICE = ("The number is not in service. Check the number.", False)
_INCOMPATIBLE = ("The receiving fax machine could not work with this fax.", True)
_FAR_END = ("The receiving fax machine stopped responding during the fax.", True)
_PROTOCOL = ("The fax machines could not understand each other.", True)
_CONVERSION = (
    "The service could not turn the document into fax pages. Try saving it as a PDF again.",
    False,
)
_DOCUMENT_STORE = ("The service could not store the document; try again later.", True)

#: (type, code) -> (summary, may_retry). Worded for the desk from the service's catalogue.
_CATALOGUE: dict[tuple[ErrorType, int], tuple[str, bool]] = {
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 4): _CONVERSION,
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 54): (
        "The service could not fetch the document from its web address.",
        False,
    ),
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 55): ("The document's web address is not valid.", False),
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 57): _DOCUMENT_STORE,
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 69): _DOCUMENT_STORE,
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 122): ("A simulated document problem (a test).", False),
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 128): (
        "The service could not tell what kind of file the document is.",
        False,
    ),
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 129): (
        "The service cannot fax this kind of file. Send a PDF instead.",
        False,
    ),
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 130): (
        "The service cannot fax XML files. Send a PDF instead.",
        False,
    ),
    (ErrorType.DOCUMENT_CONVERSION_ERROR, 133): _CONVERSION,
    (ErrorType.CALL_ERROR, 11): _DROPPED,
    (ErrorType.CALL_ERROR, 15): ("The phone network was congested.", True),
    (ErrorType.CALL_ERROR, 16): _NO_ANSWER,
    (ErrorType.CALL_ERROR, 17): _BUSY,
    (ErrorType.CALL_ERROR, 19): ("The number hung up as soon as it answered.", True),
    (ErrorType.CALL_ERROR, 30): _NO_FAX_ANSWER,
    (ErrorType.CALL_ERROR, 32): ("The number cannot receive faxes.", False),
    (ErrorType.CALL_ERROR, 34): _NOT_IN_SERVICE,
    (ErrorType.CALL_ERROR, 43): ("The call could not be connected.", True),
    (ErrorType.CALL_ERROR, 49): _NOT_IN_SERVICE,
    (ErrorType.FAX_ERROR, 6): _LINE_TROUBLE,
    (ErrorType.FAX_ERROR, 7): ("The receiving fax machine cannot take this page size.", False),
    (ErrorType.FAX_ERROR, 8): _FAR_END,
    (ErrorType.FAX_ERROR, 10): ("The call kept dropping; the service gave up.", True),
    (ErrorType.FAX_ERROR, 12): _FAR_END,
    (ErrorType.FAX_ERROR, 13): _FAR_END,
    (ErrorType.FAX_ERROR, 14): _FAR_END,
    (ErrorType.FAX_ERROR, 18): _PROTOCOL,
    (ErrorType.FAX_ERROR, 20): _LINE_TROUBLE,
    (ErrorType.FAX_ERROR, 21): ("The receiving fax machine hung up after a page.", True),
    (ErrorType.FAX_ERROR, 22): _PROTOCOL,
    (ErrorType.FAX_ERROR, 25): (
        "The receiving fax machine cannot take this resolution. Try Fine instead of Superfine.",
        False,
    ),
    (ErrorType.FAX_ERROR, 26): _FAR_END,
    (ErrorType.FAX_ERROR, 28): _INCOMPATIBLE,
    (ErrorType.FAX_ERROR, 29): _PROTOCOL,
    (ErrorType.FAX_ERROR, 31): _INCOMPATIBLE,
    (ErrorType.FAX_ERROR, 38): ("The receiving fax machine hung up during the fax.", True),
    (ErrorType.FAX_ERROR, 40): _LINE_TROUBLE,
    (ErrorType.FAX_ERROR, 41): _PROTOCOL,
    (ErrorType.FAX_ERROR, 44): _LINE_TROUBLE,
    (ErrorType.FAX_ERROR, 46): (
        "The account could not pay for the fax. Check the balance of your Sinch account.",
        False,
    ),
    (ErrorType.FAX_ERROR, 48): (
        "The receiving fax machine did not answer; it may be out of paper.",
        True,
    ),
    (ErrorType.FAX_ERROR, 53): _PROTOCOL,
    (ErrorType.FAX_ERROR, 60): ("The line failed between two pages.", True),
    (ErrorType.FAX_ERROR, 63): _PROTOCOL,
    (ErrorType.FAX_ERROR, 68): _INCOMPATIBLE,
    (ErrorType.FAX_ERROR, 75): ("The fax was cancelled.", False),
    (ErrorType.FAX_ERROR, 76): ("The fax took too long and was cancelled.", True),
    (ErrorType.FAX_ERROR, 77): _FAR_END,
    (ErrorType.FAX_ERROR, 79): ("The fax could not be cancelled: it had already finished.", False),
    (ErrorType.FAX_ERROR, 80): _PROTOCOL,
    (ErrorType.FAX_ERROR, 82): _LINE_TROUBLE,
    (ErrorType.FAX_ERROR, 84): _PROTOCOL,
    (ErrorType.FAX_ERROR, 113): (
        "The document was deleted from the service before it could be sent.",
        False,
    ),
    (ErrorType.FAX_ERROR, 117): ("The receiving fax machine got no pages.", True),
    (ErrorType.FAX_ERROR, 119): ("A simulated fax problem (a test).", False),
    (ErrorType.FAX_ERROR, 131): ("The fax did not go through completely.", True),
    (ErrorType.FAX_ERROR, 132): _NO_FAX_TONE,
    (ErrorType.FAX_ERROR, 133): (
        "The service does not permit faxes to this number.",
        False,
    ),
    (ErrorType.LINE_ERROR, 89): _LINE_TROUBLE,
}

#: What each type means when its code is not in the catalogue.
_BY_TYPE: dict[ErrorType, tuple[str, bool]] = {
    ErrorType.DOCUMENT_CONVERSION_ERROR: ("The service could not read the document.", False),
    ErrorType.CALL_ERROR: ("The call to the fax number did not go through.", True),
    ErrorType.FAX_ERROR: ("The fax machines could not complete the fax.", True),
    ErrorType.LINE_ERROR: _LINE_TROUBLE,
    ErrorType.FATAL_ERROR: ("The service could not send the fax.", False),
    ErrorType.GENERAL_ERROR: ("The service could not send the fax.", True),
}


def failure_reason(
    error_type: ErrorType | str | None,
    error_code: int | None,
    error_message: str = "",
    *,
    pages_sent: int = 0,
    number_of_pages: int = 0,
) -> FailureReason:
    """Explain a failure the service reported as `error_type`, `error_code`, `error_message`.

    Known (type, code) pairs get their own sentence; an unknown code falls back to its type and,
    when the service gave one, its own message in quotes; with nothing to go on the sentence is
    a generic one. When some but not all pages went through, that is said first.
    """
    kind = ErrorType(error_type) if error_type else None
    message = error_message.strip()
    known = (
        _CATALOGUE.get((kind, error_code)) if kind is not None and error_code is not None else None
    )
    if known is not None:
        summary, may_retry = known
    elif kind in _BY_TYPE:
        summary, may_retry = _BY_TYPE[kind]
        if message:
            summary = f"{summary} The service said: “{message}”."
    elif message:
        summary, may_retry = f"The fax could not be sent. The service said: “{message}”.", True
    else:
        summary, may_retry = "The fax could not be sent.", True
    if 0 < pages_sent < number_of_pages:
        noun = "page" if number_of_pages == 1 else "pages"
        summary = f"Only {pages_sent} of {number_of_pages} {noun} went through. {summary}"
    return FailureReason(summary, may_retry, pages_sent, number_of_pages)


def describe_failure(fax: Fax) -> FailureReason | None:
    """Why `fax` failed, or None when it has not (its status is not FAILURE)."""
    if fax.status is not FaxStatus.FAILURE:
        return None
    return failure_reason(
        fax.error_type,
        fax.error_code,
        fax.error_message,
        pages_sent=fax.pages_sent_successfully,
        number_of_pages=fax.number_of_pages,
    )
