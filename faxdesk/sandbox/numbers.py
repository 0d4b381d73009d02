"""The sandbox's test numbers: which recipient makes a transmission succeed, fail or drag.

The service's own test number, +1 989 898 9898, is always delivered. Beside it the sandbox
reserves the block +1 989 898 9801..9806 for the failures a fax client must handle: busy, no
answer, no fax tone, a call dropped after the first page, a slow line, and a line that is busy
once and then answers (for trying `maxRetries` and `retryDelaySeconds`). Every other valid number
is delivered. The errors are the service's own (errorType, errorCode, errorMessage) triples.
This module only describes attempts; the `simulator` times them and stores their results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from faxdesk.core.models import TEST_NUMBER, ErrorType

#: Seconds each page takes to transmit on an ordinary line, at time scale 1 ...
SECONDS_PER_PAGE = 1.0
#: ... but never more than this for one attempt, so a demo never drags.
MAX_TRANSMISSION_SECONDS = 4.0
#: A slow line takes this long per page, up to `SLOW_MAX_SECONDS` for one attempt.
SLOW_SECONDS_PER_PAGE = 10.0
SLOW_MAX_SECONDS = 30.0
#: How long a call takes to fail before any page is sent (busy, no answer, no fax tone).
CALL_FAILURE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Failure:
    """How a failed attempt ends, as the fax will report it.

    Attributes:
        error_type: the service's errorType.
        error_code: its errorCode.
        error_message: its errorMessage.
        pages_sent: pages delivered before the failure (at most the fax's page count).
    """

    error_type: ErrorType
    error_code: int
    error_message: str
    pages_sent: int = 0


@dataclass(frozen=True, slots=True)
class Attempt:
    """One transmission attempt: how long it takes and how it ends (`failure` None: delivered)."""

    seconds: float
    pages_sent: int
    failure: Failure | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """How the line to one number behaves.

    Attributes:
        failures: how the first attempts fail, in order; the attempts after them succeed,
            unless `always_fails`, in which case the last failure repeats forever.
        always_fails: every attempt fails (with the last of `failures`).
        seconds_per_page: transmission time per page.
        max_seconds: cap on one attempt's transmission time.
        description: what the number simulates, for the README and the banner.
    """

    failures: tuple[Failure, ...] = ()
    always_fails: bool = False
    seconds_per_page: float = SECONDS_PER_PAGE
    max_seconds: float = MAX_TRANSMISSION_SECONDS
    description: str = "delivered"

    def attempt(self, number: int, pages: int) -> Attempt:
        """Attempt `number` (0 for the first, 1 for the first retry...) of a fax of `pages`."""
        transmission = min(pages * self.seconds_per_page, self.max_seconds)
        if number < len(self.failures) or (self.always_fails and self.failures):
            failure = self.failures[min(number, len(self.failures) - 1)]
            sent = min(failure.pages_sent, pages)
            seconds = CALL_FAILURE_SECONDS
            if sent:
                seconds += min(sent * self.seconds_per_page, self.max_seconds)
            return Attempt(seconds=seconds, pages_sent=sent, failure=failure)
        return Attempt(seconds=transmission, pages_sent=pages)


BUSY = Failure(ErrorType.CALL_ERROR, 17, "Busy")
NO_ANSWER = Failure(ErrorType.CALL_ERROR, 30, "No answer from a fax machine.")
NO_FAX_TONE = Failure(ErrorType.FAX_ERROR, 132, "No fax tone detected")
DROPPED_AFTER_FIRST_PAGE = Failure(ErrorType.FAX_ERROR, 131, "Incomplete transmission", 1)

BUSY_NUMBER = "+19898989801"
NO_ANSWER_NUMBER = "+19898989802"
NO_FAX_TONE_NUMBER = "+19898989803"
PARTIAL_NUMBER = "+19898989804"
SLOW_NUMBER = "+19898989805"
BUSY_THEN_DELIVERED_NUMBER = "+19898989806"

DELIVERED = Line()

#: Every number with a behaviour of its own, in the order the README lists them.
TEST_LINES: Mapping[str, Line] = MappingProxyType(
    {
        TEST_NUMBER: Line(description="always delivered (the service's own test number)"),
        BUSY_NUMBER: Line(
            failures=(BUSY,), always_fails=True, description="busy (CALL_ERROR 17), every try"
        ),
        NO_ANSWER_NUMBER: Line(
            failures=(NO_ANSWER,),
            always_fails=True,
            description="no answer (CALL_ERROR 30), every try",
        ),
        NO_FAX_TONE_NUMBER: Line(
            failures=(NO_FAX_TONE,),
            always_fails=True,
            description="answers, but no fax tone (FAX_ERROR 132), every try",
        ),
        PARTIAL_NUMBER: Line(
            failures=(DROPPED_AFTER_FIRST_PAGE,),
            always_fails=True,
            description="drops the call after the first page (FAX_ERROR 131, 1 page sent)",
        ),
        SLOW_NUMBER: Line(
            seconds_per_page=SLOW_SECONDS_PER_PAGE,
            max_seconds=SLOW_MAX_SECONDS,
            description=f"delivered slowly ({SLOW_SECONDS_PER_PAGE:g} s a page, "
            f"up to {SLOW_MAX_SECONDS:g} s)",
        ),
        BUSY_THEN_DELIVERED_NUMBER: Line(
            failures=(BUSY,),
            description="busy on the first try, delivered on the first retry",
        ),
    }
)


def line_for(number: str) -> Line:
    """How the line to `number` (E.164) behaves; any number outside the block is delivered."""
    return TEST_LINES.get(number, DELIVERED)
