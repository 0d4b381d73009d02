"""Read the query of `GET /faxes` into filters and a page, the way the service interprets it.

`createTime` takes a year, a month, a day or a timestamp ("after"); the range keys arrive as
`createTime>` / `createTime<` because clients send the literal `createTime>=...` and query
parsers split at the first "=" (the .NET SDK's `createTime>==...` leaves an "=" before the
value, which is dropped). Without any createTime key only the prior week is listed.
Phone prefixes may lose their "+" to form decoding. `fromCountry` and `toCountry` take ISO
3166-1 alpha-2 codes in any case. `labels` (the OAS lists it without saying how it is written)
takes every form a client may send, each naming labels the fax must all have with exactly these
values: `labels[key]=value`; `labels=key:value` (or `key=value`), several pairs separated by
commas, a pair's value running to the next comma; and a JSON object, `labels={"key":"value"}`.
`format=csv` asks for the CSV export; the OAS calls csv the parameter's default, so an empty
`format=` means csv too. `parse_paging` reads `page` and `pageSize` alone, for the other lists.
Problems become 400 errors (`ApiProblemError`), never a failure of the query: a page past what
SQLite can count, or a time outside the years 1 to 9999, is refused here. This module does not
run the query (`state` does).
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from faxdesk.core.errors import FieldViolation
from faxdesk.core.models import Direction, FaxStatus
from faxdesk.sandbox.problems import ApiProblemError
from faxdesk.sandbox.state import FaxFilter
from faxdesk.sandbox.wire import format_time

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
#: The highest page number accepted: the Pagination counts are 32-bit integers.
MAX_PAGE = 2**31 - 1
EXPORT_FORMATS = ("csv",)
DEFAULT_WINDOW = timedelta(days=7)

_YEAR_RE = re.compile(r"\d{4}")
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KNOWN_DIRECTIONS = frozenset(m.value for m in Direction)
_KNOWN_STATUSES = frozenset(m.value for m in FaxStatus)
_EXPORT_FORMATS = frozenset(EXPORT_FORMATS)
_ONE_MS = timedelta(milliseconds=1)
_DIGITS_RE = re.compile(r"[0-9]+")
_COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
_LABEL_KEY_RE = re.compile(r"labels\[(.*)\]", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A fax list request: filters, the page asked for and the export format (None: JSON)."""

    where: FaxFilter
    page: int
    page_size: int
    export_format: str | None = None


def parse_paging(items: Iterable[tuple[str, str]], default_page_size: int) -> tuple[int, int]:
    """(page, pageSize) from the query items of a list request; other keys are ignored."""
    page = 1
    page_size = default_page_size
    for key, value in items:
        name = key.strip().lower()
        if name == "page":
            page = _positive_int(key, value, 1, MAX_PAGE)
        elif name == "pagesize":
            page_size = _positive_int(key, value, 1, MAX_PAGE_SIZE)
    return page, page_size


def parse_list_query(items: Iterable[tuple[str, str]], now: datetime) -> ListQuery:
    """Interpret the query items (already percent-decoded) of a list request made at `now`."""
    page = 1
    page_size = DEFAULT_PAGE_SIZE
    direction = status = to_prefix = from_prefix = service_id = None
    from_country = to_country = None
    labels: dict[str, str] = {}
    low: datetime | None = None
    high: datetime | None = None
    saw_create_time = False
    export_format = None
    for key, value in items:
        name = key.strip().lower()
        if name == "page":
            page = _positive_int(key, value, 1, MAX_PAGE)
        elif name == "pagesize":
            page_size = _positive_int(key, value, 1, MAX_PAGE_SIZE)
        elif name == "fromcountry":
            from_country = _country(key, value)
        elif name == "tocountry":
            to_country = _country(key, value)
        elif name == "labels":
            labels.update(_label_pairs(value))
        elif (match := _LABEL_KEY_RE.fullmatch(key.strip())) is not None:
            labels[match.group(1)] = value
        elif name == "direction":
            direction = _enum(key, value, _KNOWN_DIRECTIONS)
        elif name == "status":
            status = _enum(key, value, _KNOWN_STATUSES)
        elif name == "to":
            to_prefix = _phone_prefix(value)
        elif name == "from":
            from_prefix = _phone_prefix(value)
        elif name == "serviceid":
            service_id = value.strip() or None
        elif name == "format":
            text = value.strip() or EXPORT_FORMATS[0]
            export_format = _enum(key, text, _EXPORT_FORMATS, str.lower)
        elif name.startswith("createtime"):
            saw_create_time = True
            start, end = _create_time_bounds(name[len("createtime") :], value)
            if start is not None and (low is None or start > low):
                low = start
            if end is not None and (high is None or end < high):
                high = end
    if not saw_create_time:
        # The service's rule: without a createTime filter, only the prior week is listed.
        low = now - DEFAULT_WINDOW
    where = FaxFilter(
        direction=direction,
        status=status,
        to_prefix=to_prefix,
        from_prefix=from_prefix,
        service_id=service_id,
        from_country=from_country,
        to_country=to_country,
        labels=tuple(labels.items()),
        created_from=None if low is None else format_time(low),
        created_before=None if high is None else format_time(high),
    )
    return ListQuery(where=where, page=page, page_size=page_size, export_format=export_format)


def _bad(field: str, description: str) -> ApiProblemError:
    return ApiProblemError(400, description, [FieldViolation(field, description)])


def _positive_int(name: str, value: str, low: int, high: int) -> int:
    text = value.strip()
    # Checked by length first: a string of a million digits is not worth converting.
    if not _DIGITS_RE.fullmatch(text) or len(text) > 12 or not low <= int(text) <= high:
        raise _bad(name, f"{name} must be a whole number from {low} to {high}.")
    return int(text)


def _country(name: str, value: str) -> str:
    text = value.strip()
    if not _COUNTRY_RE.fullmatch(text):
        raise _bad(name, f"{name} must be a two-letter country code (ISO 3166-1), such as US.")
    return text.upper()


def _label_pairs(value: str) -> dict[str, str]:
    """The labels one `labels=` parameter asks for (see the module's docstring)."""
    text = value.strip()
    if text.startswith("{"):
        try:
            pairs = json.loads(text)
        except (ValueError, RecursionError):
            pairs = None
        if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
            raise _bad("labels", 'labels as JSON must be an object of texts, like {"key":"value"}.')
        return pairs
    found = {}
    for pair in text.split(","):
        match = re.match(r"([^:=]*)[:=](.*)", pair.strip(), re.DOTALL)
        if match is None or not match.group(1):
            raise _bad(
                "labels", f"labels={value!r} must be written key:value (or labels[key]=value)."
            )
        found[match.group(1)] = match.group(2)
    return found


def _enum(
    name: str, value: str, allowed: frozenset[str], normal: Callable[[str], str] = str.upper
) -> str:
    text = normal(value.strip())
    if text not in allowed:
        raise _bad(name, f"{name} must be one of {', '.join(sorted(allowed))}.")
    return text


def _phone_prefix(value: str) -> str | None:
    # An unencoded "+" is decoded to a space ("+1415" arrives as " 1415"), and a bare digit
    # prefix can only mean the number without its "+": every stored number starts with one.
    value = value.strip()
    if value[:1].isdigit():
        value = "+" + value
    return value or None


def _create_time_bounds(operator: str, value: str) -> tuple[datetime | None, datetime | None]:
    """Return [start, end) for one createTime key; the suffix is "", ">", ">=", "<" or "<="."""
    op = operator.replace("%3e", ">").replace("%3c", "<").replace("%3d", "=").rstrip("=")
    if op not in ("", ">", "<"):
        raise _bad("createTime", f"createTime{operator} is not a known filter.")
    text = value.strip()
    if op and text.startswith("="):
        # The .NET SDK writes the key `createTime>=` and then `=value`: `createTime>==value`.
        text = text[1:].strip()
    period = _period(text)
    if period is not None:
        start, end = period
        if op == ">":
            return start, None
        if op == "<":
            return None, end
        return start, end
    moment = _timestamp(text)
    if op == "<":
        # Inclusive: times are stored to the millisecond. The last millisecond of 9999 has no
        # next one, and nothing is later: no upper bound at all.
        return None, _shift(moment, days=0, extra=_ONE_MS)
    # A bare timestamp means "after" it, like `>=`.
    return moment, None


def _period(text: str) -> tuple[datetime, datetime | None] | None:
    """The [start, end) of a year, month or day written as YYYY, YYYY-MM or YYYY-MM-DD."""
    try:
        if _YEAR_RE.fullmatch(text):
            year = int(text)
            start = datetime(year, 1, 1, tzinfo=UTC)
            return start, _shift(start, days=366 if calendar.isleap(year) else 365)
        match = _MONTH_RE.fullmatch(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            start = datetime(year, month, 1, tzinfo=UTC)
            return start, _shift(start, days=calendar.monthrange(year, month)[1])
        if _DAY_RE.fullmatch(text):
            start = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return start, _shift(start, days=1)
    except ValueError:
        raise _bad("createTime", f"{text!r} is not a valid date.") from None
    return None


def _shift(start: datetime, *, days: int, extra: timedelta = timedelta()) -> datetime | None:
    try:
        return start + timedelta(days=days) + extra
    except OverflowError:
        return None


def _timestamp(value: str) -> datetime:
    text = value.strip()
    if "T" in text.upper():
        # An offset like "+01:00" sent unencoded arrives as " 01:00".
        text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _bad("createTime", f"{value!r} is not a date or an RFC 3339 timestamp.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00:00+01:00 is a moment of the year 0 in UTC, which nothing can hold.
        raise _bad(
            "createTime", f"{value!r} is outside the years 0001 to 9999 (UTC) the service keeps."
        ) from None
