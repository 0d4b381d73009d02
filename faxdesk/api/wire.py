"""Translation between the Sinch Fax API v3 wire format and the core models.

Reading is tolerant, because the service and its documentation disagree on several shapes
(`contentUrl` string or list, `hasFile` bool or string, `price.amount` string or number, `page` or
`pageNumber`, timestamps with or without milliseconds): a missing or odd field gets a default, an
unknown field is kept in `Fax.extra`, an unknown enum value is kept as is. Writing produces the
send form fields, the send JSON body, the list query string and a fax in the service's own
shape (for `--json` output). This module does no I/O and knows nothing about httpx; the client
in `faxdesk.api.client` moves the bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import quote

from faxdesk.core.errors import ValidationError
from faxdesk.core.models import (
    Direction,
    ErrorType,
    Fax,
    FaxPage,
    FaxQuery,
    FaxStatus,
    ImageConversionMethod,
    Money,
    Resolution,
    SendRequest,
)

_E = TypeVar("_E", Direction, FaxStatus, ErrorType, Resolution, ImageConversionMethod)

HEADER_TEXT_MAX = 50
RETRY_DELAY_RANGE = (30, 300)
MAX_RETRIES_RANGE = (0, 5)

#: Wire keys `fax_from_wire` models; every other key of a fax goes to `Fax.extra`.
_KNOWN_FAX_KEYS = frozenset(
    {
        "id",
        "direction",
        "status",
        "to",
        "from",
        "createTime",
        "completedTime",
        "numberOfPages",
        "pagesSentSuccessfully",
        "price",
        "hasFile",
        "contentUrl",
        "headerText",
        "headerPageNumbers",
        "headerTimeZone",
        "retryDelaySeconds",
        "maxRetries",
        "retryCount",
        "resolution",
        "imageConversionMethod",
        "labels",
        "callbackUrl",
        "errorType",
        "errorCode",
        "errorMessage",
        "projectId",
        "serviceId",
    }
)


# --- reading ---------------------------------------------------------------------------------


def fax_from_wire(data: Mapping[str, Any]) -> Fax:
    """Build a `Fax` from one fax object as the service sent it.

    A missing `direction` reads as OUTBOUND and a missing `status` as QUEUED, the state of a fax
    the service has just accepted, which is the only answer observed without them.
    """
    extra = {key: value for key, value in data.items() if key not in _KNOWN_FAX_KEYS}
    return Fax(
        id=_str(data.get("id")),
        direction=_enum(Direction, data.get("direction")) or Direction.OUTBOUND,
        status=_enum(FaxStatus, data.get("status")) or FaxStatus.QUEUED,
        to=_str(data.get("to")),
        from_=_str(data.get("from")),
        create_time=parse_timestamp(data.get("createTime")),
        completed_time=parse_timestamp(data.get("completedTime")),
        number_of_pages=_int(data.get("numberOfPages")) or 0,
        pages_sent_successfully=_int(data.get("pagesSentSuccessfully")) or 0,
        price=_money(data.get("price")),
        has_file=bool(_bool(data.get("hasFile"))),
        content_urls=_string_list(data.get("contentUrl")),
        header_text=_str(data.get("headerText")),
        header_page_numbers=_bool(data.get("headerPageNumbers")),
        header_time_zone=_str(data.get("headerTimeZone")),
        retry_delay_seconds=_int(data.get("retryDelaySeconds")),
        max_retries=_int(data.get("maxRetries")),
        retry_count=_int(data.get("retryCount")) or 0,
        resolution=_enum(Resolution, data.get("resolution")),
        image_conversion_method=_enum(ImageConversionMethod, data.get("imageConversionMethod")),
        labels=_labels(data.get("labels")),
        callback_url=_str(data.get("callbackUrl")),
        error_type=_enum(ErrorType, data.get("errorType")),
        error_code=_int(data.get("errorCode")),
        error_message=_str(data.get("errorMessage")),
        project_id=_str(data.get("projectId")),
        service_id=_str(data.get("serviceId")),
        extra=extra,
    )


def faxes_from_send_response(data: Any) -> list[Fax] | None:
    """The faxes a send created: one Fax object, or `{"faxes": [...]}` for several recipients.

    Returns None when the answer has neither shape, so the caller can report it as unreadable.
    """
    if isinstance(data, Mapping):
        listed = data.get("faxes")
        if isinstance(listed, Sequence) and not isinstance(listed, str):
            return [fax_from_wire(item) for item in listed if isinstance(item, Mapping)]
        return [fax_from_wire(data)]
    if isinstance(data, Sequence) and not isinstance(data, str):
        return [fax_from_wire(item) for item in data if isinstance(item, Mapping)]
    return None


def page_from_wire(data: Mapping[str, Any], *, page: int = 1, page_size: int = 100) -> FaxPage:
    """Build a `FaxPage` from a list answer; `page` and `page_size` are what was asked for.

    They are used when the answer leaves the pagination fields out. Older deployments name the
    current page `pageNumber` instead of `page`.
    """
    raw_faxes = data.get("faxes")
    faxes: tuple[Fax, ...] = ()
    if isinstance(raw_faxes, Sequence) and not isinstance(raw_faxes, str):
        faxes = tuple(fax_from_wire(item) for item in raw_faxes if isinstance(item, Mapping))
    current = _int(data.get("page"))
    if current is None:
        current = _int(data.get("pageNumber"))
    if current is None:
        current = page
    size = _int(data.get("pageSize")) or page_size
    total_items = _int(data.get("totalItems"))
    if total_items is None:
        total_items = len(faxes) + (current - 1) * size
    total_pages = _int(data.get("totalPages"))
    if total_pages is None:
        total_pages = max(math.ceil(total_items / size), current) if size > 0 else current
    return FaxPage(
        faxes=faxes,
        page=current,
        page_size=size,
        total_items=total_items,
        total_pages=total_pages,
    )


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime; None when absent or unreadable.

    Accepts `Z` or a numeric offset and any number of fractional digits; a timestamp without an
    offset is taken as UTC, which is what the service always means.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# --- writing ---------------------------------------------------------------------------------


def fax_to_wire(fax: Fax) -> dict[str, Any]:
    """One fax as the service would send it: the inverse of `fax_from_wire`.

    Keys are the service's camelCase names (`from`, not `from_`), timestamps RFC 3339 in UTC
    with `Z`, and the unknown fields kept in `Fax.extra` come back as they were. Optional
    fields that are unset (None or empty text) are left out, as the service leaves them out.
    """
    price = (
        {"amount": fax.price.amount, "currencyCode": fax.price.currency_code}
        if fax.price is not None
        else None
    )
    candidates: list[tuple[str, Any]] = [
        ("id", fax.id),
        ("direction", fax.direction.value),
        ("status", fax.status.value),
        ("to", fax.to),
        ("from", fax.from_),
        ("createTime", format_wire_time(fax.create_time) if fax.create_time else None),
        ("completedTime", format_wire_time(fax.completed_time) if fax.completed_time else None),
        ("numberOfPages", fax.number_of_pages),
        ("pagesSentSuccessfully", fax.pages_sent_successfully),
        ("price", price),
        ("hasFile", fax.has_file),
        ("contentUrl", list(fax.content_urls) or None),
        ("headerText", fax.header_text),
        ("headerPageNumbers", fax.header_page_numbers),
        ("headerTimeZone", fax.header_time_zone),
        ("retryDelaySeconds", fax.retry_delay_seconds),
        ("maxRetries", fax.max_retries),
        ("retryCount", fax.retry_count),
        ("resolution", fax.resolution.value if fax.resolution else None),
        (
            "imageConversionMethod",
            fax.image_conversion_method.value if fax.image_conversion_method else None,
        ),
        ("labels", dict(fax.labels) or None),
        ("callbackUrl", fax.callback_url),
        ("errorType", fax.error_type.value if fax.error_type else None),
        ("errorCode", fax.error_code),
        ("errorMessage", fax.error_message),
        ("projectId", fax.project_id),
        ("serviceId", fax.service_id),
    ]
    data = {key: value for key, value in candidates if value is not None and value != ""}
    data["id"] = fax.id  # always present, even when the service left it out
    for key, value in fax.extra.items():
        data.setdefault(key, value)
    return data


def format_wire_time(moment: datetime) -> str:
    """A timestamp as the service writes it: RFC 3339 in UTC with `Z`, milliseconds if any."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    if naive.microsecond == 0:
        timespec = "seconds"
    elif naive.microsecond % 1000 == 0:
        timespec = "milliseconds"
    else:
        timespec = "microseconds"
    return naive.isoformat(timespec=timespec) + "Z"


def validate_send_request(request: SendRequest) -> None:
    """Raise `ValidationError` naming the first field the service would reject.

    Field names are the `SendRequest` attribute names, so the UI can point at its own widget.
    """
    if not any(number.strip() for number in request.to):
        raise ValidationError("Add at least one recipient fax number.", field="to")
    if not request.documents and not any(url.strip() for url in request.content_urls):
        raise ValidationError("Add a document or a content URL to send.", field="documents")
    if request.header_text is not None and len(request.header_text) > HEADER_TEXT_MAX:
        raise ValidationError(
            f"The header text can be at most {HEADER_TEXT_MAX} characters long.",
            field="header_text",
        )
    low, high = RETRY_DELAY_RANGE
    delay = request.retry_delay_seconds
    if delay is not None and not low <= delay <= high:
        raise ValidationError(
            f"The retry delay must be between {low} and {high} seconds.",
            field="retry_delay_seconds",
        )
    low, high = MAX_RETRIES_RANGE
    retries = request.max_retries
    if retries is not None and not low <= retries <= high:
        raise ValidationError(
            f"The number of retries must be between {low} and {high}.", field="max_retries"
        )


def send_form_fields(request: SendRequest) -> dict[str, str | list[str]]:
    """The text parts of a multipart send, in wire names; a list value means repeated parts.

    Recipients go as repeated `to` parts (as the Node SDK sends them); several content URLs go
    comma-joined in one `contentUrl` part, the only multipart form the service documents.
    Options that are None are left out; `False` and `0` are sent.
    """
    fields: dict[str, str | list[str]] = {"to": _recipients(request)}
    urls = _content_urls(request)
    if urls:
        fields["contentUrl"] = ",".join(urls)
    for key, value in _options(request):
        fields[key] = _form_value(value)
    for label, text in request.labels.items():
        fields[f"labels[{label}]"] = text
    return fields


def send_json_body(request: SendRequest) -> dict[str, Any]:
    """The JSON body of a send without files (content URLs only).

    `to` is a string for one recipient and a list for several; `contentUrl` is always a list.
    """
    recipients = _recipients(request)
    body: dict[str, Any] = {
        "to": recipients[0] if len(recipients) == 1 else recipients,
        "contentUrl": _content_urls(request),
    }
    for key, value in _options(request):
        body[key] = value
    if request.labels:
        body["labels"] = dict(request.labels)
    return body


def format_query_time(moment: datetime) -> str:
    """A list filter timestamp, `YYYY-MM-DDTHH:MM:SSZ` in UTC; a naive value is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_query_string(query: FaxQuery, page: int = 1) -> str:
    """The already-encoded query string for `GET /faxes`.

    The created range goes out under the literal keys `createTime>=` and `createTime<=`, the way
    the official SDKs send it; values are percent-encoded, so `+` in a number becomes `%2B` and is
    not read as a space.
    """
    pairs: list[tuple[str, str]] = []
    if query.service_id:
        pairs.append(("serviceId", query.service_id))
    if query.direction is not None:
        pairs.append(("direction", query.direction.value))
    if query.status is not None:
        pairs.append(("status", query.status.value))
    if query.to_prefix:
        pairs.append(("to", query.to_prefix))
    if query.from_prefix:
        pairs.append(("from", query.from_prefix))
    pairs.append(("pageSize", str(query.page_size)))
    pairs.append(("page", str(page)))
    parts = [f"{key}={_query_value(value)}" for key, value in pairs]
    # The range keys end in '>' or '<', so key and '=' run together: `createTime>=2021-10-01...`.
    if query.created_after is not None:
        parts.append(f"createTime>={_query_value(format_query_time(query.created_after))}")
    if query.created_before is not None:
        parts.append(f"createTime<={_query_value(format_query_time(query.created_before))}")
    return "&".join(parts)


# --- helpers ---------------------------------------------------------------------------------


def _recipients(request: SendRequest) -> list[str]:
    return [number.strip() for number in request.to if number.strip()]


def _content_urls(request: SendRequest) -> list[str]:
    return [url.strip() for url in request.content_urls if url.strip()]


def _options(request: SendRequest) -> list[tuple[str, str | bool | int]]:
    """The optional send settings that are set, in wire names and native types."""
    candidates: list[tuple[str, str | bool | int | None]] = [
        ("from", request.from_),
        ("headerText", request.header_text),
        ("headerPageNumbers", request.header_page_numbers),
        ("headerTimeZone", request.header_time_zone),
        ("retryDelaySeconds", request.retry_delay_seconds),
        ("maxRetries", request.max_retries),
        ("resolution", request.resolution.value if request.resolution else None),
        (
            "imageConversionMethod",
            request.image_conversion_method.value if request.image_conversion_method else None,
        ),
        ("callbackUrl", request.callback_url),
        ("serviceId", request.service_id),
    ]
    return [(key, value) for key, value in candidates if value is not None]


def _form_value(value: str | bool | int) -> str:
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    return str(value)


def _query_value(value: str) -> str:
    # ':' is legal in a query and keeps timestamps readable; everything reserved else is encoded.
    return quote(value, safe=":")


def _str(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _bool(value: Any) -> bool | None:
    """A boolean sent as JSON bool or as a string ("true", "True", "false")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return None


def _enum(kind: type[_E], value: Any) -> _E | None:
    if not isinstance(value, str) or not value:
        return None
    return kind(value)


def _string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, Sequence):
        return tuple(item for item in value if isinstance(item, str) and item)
    return ()


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(key): _str(text) for key, text in value.items()}


def _money(value: Any) -> Money | None:
    if not isinstance(value, Mapping):
        return None
    return Money(amount=_amount(value.get("amount")), currency_code=_str(value.get("currencyCode")))


def _amount(value: Any) -> str:
    """A price amount as the decimal string the service meant: 0.07 becomes "0.07"."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        try:
            # repr gives the shortest string that round-trips; "f" avoids "7e-05".
            return format(Decimal(repr(value)), "f")
        except InvalidOperation:
            return ""
    return str(value)
