"""Failed faxes explained in plain words, from the service's error catalogue."""

from __future__ import annotations

import pytest

from faxdesk.core.failures import describe_failure, failure_reason
from faxdesk.core.models import Direction, ErrorType, Fax, FaxStatus


@pytest.mark.parametrize(
    ("error_type", "code", "words", "may_retry"),
    [
        (ErrorType.CALL_ERROR, 17, "The line was busy.", True),
        (ErrorType.CALL_ERROR, 16, "Nobody answered the call.", True),
        (ErrorType.FAX_ERROR, 132, "No fax tone", False),
        (ErrorType.CALL_ERROR, 34, "not in service", False),
        (ErrorType.DOCUMENT_CONVERSION_ERROR, 129, "cannot fax this kind of file", False),
    ],
)
def test_known_codes_get_their_own_sentence(error_type, code, words, may_retry):
    reason = failure_reason(error_type, code, "Busy")
    assert words in reason.summary
    assert reason.may_retry is may_retry
    # The catalogue's own terse message is not repeated when there is a sentence for the code.
    assert "The service said" not in reason.summary


def test_the_same_code_means_different_things_under_different_types():
    document = failure_reason(ErrorType.DOCUMENT_CONVERSION_ERROR, 133)
    number = failure_reason(ErrorType.FAX_ERROR, 133)
    assert "fax pages" in document.summary
    assert "does not permit faxes to this number" in number.summary


def test_a_partial_transmission_says_how_many_pages_went_through():
    reason = failure_reason(ErrorType.FAX_ERROR, 131, pages_sent=2, number_of_pages=5)
    assert reason.summary.startswith("Only 2 of 5 pages went through.")
    assert reason.partial


def test_no_pages_sent_is_not_called_partial():
    reason = failure_reason(ErrorType.CALL_ERROR, 17, pages_sent=0, number_of_pages=5)
    assert not reason.partial
    assert reason.summary == "The line was busy."


def test_an_unknown_code_falls_back_to_its_type_and_quotes_the_service():
    reason = failure_reason("CALL_ERROR", 999, "Carrier said no")
    assert reason.summary == (
        "The call to the fax number did not go through. The service said: “Carrier said no”."
    )


def test_an_unknown_type_keeps_the_service_message():
    reason = failure_reason("SPACE_ERROR", 1, "Out of orbit")
    assert reason.summary == "The fax could not be sent. The service said: “Out of orbit”."


def test_nothing_to_go_on_still_gives_a_sentence():
    assert str(failure_reason(None, None)) == "The fax could not be sent."


def test_describe_failure_reads_the_fax_and_ignores_faxes_that_did_not_fail():
    failed = Fax(
        id="F1",
        direction=Direction.OUTBOUND,
        status=FaxStatus.FAILURE,
        error_type=ErrorType.CALL_ERROR,
        error_code=17,
        error_message="Busy",
        number_of_pages=3,
        pages_sent_successfully=1,
    )
    reason = describe_failure(failed)
    assert reason is not None
    assert reason.summary == "Only 1 of 3 pages went through. The line was busy."
    delivered = Fax(id="F2", direction=Direction.OUTBOUND, status=FaxStatus.COMPLETED)
    assert describe_failure(delivered) is None
