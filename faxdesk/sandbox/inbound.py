"""Inbound faxes made to order: read an inject request and build the INBOUND Fax objects.

The sandbox cannot receive real calls, so `POST /sandbox/inbound` (the control endpoint) and
`faxdesk sandbox inject` create faxes "received" on one of the project's numbers: from a given
document, or a generated sample page, one or `count` of them, now or backdated to `createdAt`,
spread evenly over `spreadDays` days before it (to try sync, paging and date filters). A day
means its midnight UTC. Nothing may arrive in the future, nor before 1970: ids are ULIDs, which
count milliseconds from 1970 and cannot name an earlier moment. This module validates the
request and plans the faxes; the app stores them, converts the document and sends INCOMING_FAX.
It does not touch the state.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faxdesk.core.errors import FieldViolation
from faxdesk.core.models import Direction, FaxStatus
from faxdesk.sandbox.problems import ApiProblemError
from faxdesk.sandbox.wire import E164_RE, as_int, countries, format_time, not_e164

#: At most this many faxes in one request; a history for paging tests needs a few hundred.
MAX_COUNT = 5000
#: At most this many days of history (ten years).
MAX_SPREAD_DAYS = 3660
#: The earliest moment a fax may arrive: a ULID cannot name anything before it.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: How far after "now" an arrival may be, for clocks a little apart (the command's, the
#: sandbox's); anything later is in the future, which no received fax can be.
FUTURE_TOLERANCE = timedelta(minutes=1)
#: Senders of injected faxes, when the request names none: 555-0150..0199 are fictional.
SAMPLE_SENDER_BASE = 14155550150
SAMPLE_SENDERS = 50


@dataclass(frozen=True, slots=True)
class InjectRequest:
    """A valid inject request.

    Attributes:
        to: the project's number the faxes arrive on (None: the service's, or the default).
        from_: who sent them (None: a different fictional number for each fax).
        service_id: the service they arrive at (None: the one owning `to`, or the default).
        document: (file name, declared media type, bytes), or None for a sample page.
        count: how many faxes.
        created_at: when the newest arrived (None: now).
        spread_days: the faxes are spread over this many days before `created_at`.
    """

    to: str | None
    from_: str | None
    service_id: str | None
    document: tuple[str, str, bytes] | None
    count: int
    created_at: datetime | None
    spread_days: float


def read_inject_request(body: Mapping[str, Any], now: datetime) -> InjectRequest:
    """Validate the JSON body of `POST /sandbox/inbound` at `now`; 422 listing every bad field."""
    fields = {str(key).lower(): value for key, value in body.items()}
    invalid: list[FieldViolation] = []

    def text(name: str) -> str | None:
        value = fields.get(name.lower())
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            invalid.append(FieldViolation(name, f"{name} must be text."))
            return None
        return value.strip()

    to = text("to")
    from_ = text("from")
    for name, number in (("to", to), ("from", from_)):
        if number is not None and not E164_RE.fullmatch(number):
            invalid.append(FieldViolation(name, not_e164(name, number)))
    count = 1
    if fields.get("count") is not None:
        parsed = as_int(fields["count"])
        if parsed is None or not 1 <= parsed <= MAX_COUNT:
            invalid.append(FieldViolation("count", f"count must be from 1 to {MAX_COUNT}."))
        else:
            count = parsed
    spread_days = 0.0
    if fields.get("spreaddays") is not None:
        value = fields["spreaddays"]
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not number_ok or not 0 <= value <= MAX_SPREAD_DAYS:
            message = f"spreadDays must be from 0 to {MAX_SPREAD_DAYS}."
            invalid.append(FieldViolation("spreadDays", message))
        else:
            spread_days = float(value)
    created_at = None
    created_text = text("createdAt")
    if created_text is not None:
        try:
            created_at = arrival_moment(created_text, now)
        except ValueError as exc:
            invalid.append(FieldViolation("createdAt", f"createdAt {exc}"))
        else:
            problem = history_problem(created_at, spread_days)
            if problem:
                invalid.append(FieldViolation("spreadDays", f"spreadDays {problem}"))
    document = None
    # An empty file is a document with nothing in it, not a request for the sample page.
    content = fields.get("file")
    if content is not None and not isinstance(content, str):
        invalid.append(FieldViolation("file", "file must be text (base64)."))
    elif content is not None:
        name = text("fileName") or "The file"
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            invalid.append(FieldViolation("file", "file must be base64."))
        else:
            if not data:
                invalid.append(FieldViolation("file", f"{name} is empty."))
            else:
                document = (name, (text("mediaType") or "").lower(), data)
    if invalid:
        raise ApiProblemError(422, "Some fields have invalid values.", invalid)
    return InjectRequest(
        to=to,
        from_=from_,
        service_id=text("serviceId"),
        document=document,
        count=count,
        created_at=created_at,
        spread_days=spread_days,
    )


def parse_moment(text: str) -> datetime | None:
    """A day (`2026-05-04`, midnight UTC) or an ISO 8601 timestamp (UTC unless it says).

    None when `text` is neither, or names a moment outside the years 1 to 9999 in UTC.
    """
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def arrival_moment(text: str, now: datetime | None = None) -> datetime:
    """`parse_moment`, refusing what cannot be an arrival (before 1970, or given `now`, more
    than `FUTURE_TOLERANCE` after it); ValueError says why, after the name of the option or
    field (`createdAt ...`)."""
    moment = parse_moment(text)
    if moment is None:
        try:
            written = datetime.fromisoformat(text.strip().replace("z", "Z"))
        except ValueError:
            raise ValueError(
                f"{text!r} is not a day (2026-05-04) or a timestamp (2026-05-04T10:30:00Z)."
            ) from None
        # A moment of the year 0 or 10000 in UTC (0001-01-01T00:00:00+01:00).
        side = "before 1970" if written.year < 5000 else "after the year 9999"
        raise ValueError(f"{text!r} is {side}; faxes can only arrive from 1970 on.")
    if moment < EPOCH:
        raise ValueError(f"{text!r} is before 1970; faxes can only arrive from 1970 on.")
    if now is not None and moment > now + FUTURE_TOLERANCE:
        raise ValueError(
            f"{text!r} is in the future; a fax can only have arrived by now ({format_time(now)})."
        )
    return moment


def history_problem(newest: datetime, spread_days: float) -> str:
    """Why `spread_days` before `newest` cannot be a history (after the option's name), or ""."""
    if not math.isfinite(spread_days) or not 0 <= spread_days <= MAX_SPREAD_DAYS:
        return f"must be a number of days from 0 to {MAX_SPREAD_DAYS}."
    if newest - timedelta(days=spread_days) < EPOCH:
        return (
            f"reaches back before 1970 from {newest:%Y-%m-%d}; faxes can only arrive from 1970 on."
        )
    return ""


def arrival_times(newest: datetime, count: int, spread_days: float) -> list[datetime]:
    """When each of `count` faxes arrived, newest first, evenly `spread_days / count` apart."""
    step = timedelta(days=spread_days) / count
    return [newest - step * index for index in range(count)]


def sample_sender(index: int) -> str:
    return f"+{SAMPLE_SENDER_BASE + index % SAMPLE_SENDERS}"


def inbound_fax(
    *,
    fax_id: str,
    from_: str,
    to: str,
    pages: int,
    arrived: datetime,
    price: Mapping[str, str],
    project_id: str,
    service_id: str,
) -> dict[str, Any]:
    """The Fax object of a received fax, as the API serves it (COMPLETED, file not yet set)."""
    moment = format_time(arrived)
    return {
        "id": fax_id,
        "direction": Direction.INBOUND.value,
        "from": from_,
        "to": to,
        "numberOfPages": pages,
        "pagesSentSuccessfully": pages,
        "status": FaxStatus.COMPLETED.value,
        "createTime": moment,
        "completedTime": moment,
        "price": dict(price),
        "hasFile": False,
        "projectId": project_id,
        "serviceId": service_id,
        **countries(from_, to),
    }
