"""Translation between the Sinch Fax API v3 wire format and the core models.

Reading is tolerant, because the service and its documentation disagree on several shapes
(`contentUrl` string or list, `hasFile` bool or string, `price.amount` string or number, `page`
or `pageNumber`, timestamps with or without milliseconds): a missing or odd field gets a
default, an unknown field is kept in `Fax.extra`, an unknown enum value is kept as is; services,
their numbers and cover pages are read the same way. Writing produces the send form fields, the
send JSON body (files base64-encoded), the list query string, a cover page upload body, and
faxes, services and cover pages in the service's own shape (for `--json` output).
`validate_send_request` checks every send option before anything is sent. This module does no
I/O and knows nothing about httpx; the client in `faxdesk.api.client` moves the bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

from faxdesk.core.errors import ValidationError
from faxdesk.core.models import (
    CoverPage,
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
    Service,
    ServiceNumber,
)

_E = TypeVar("_E", Direction, FaxStatus, ErrorType, Resolution, ImageConversionMethod)

HEADER_TEXT_MAX = 50
RETRY_DELAY_RANGE = (30, 300)
MAX_RETRIES_RANGE = (0, 5)

#: The encodings the service can post a FAX_COMPLETED callback (or INCOMING_FAX webhook) in.
CALLBACK_CONTENT_TYPES = ("multipart/form-data", "application/json")

#: E.164 as the service checks it: "+", a country code that does not start with 0, 8-15 digits.
_E164 = re.compile(r"\+[1-9]\d{7,14}")

#: `files[].fileType` of a JSON send (the OAS FileTypeJson enum), by media type and by suffix.
#: The OAS also names pseudo media types such as `application/tif`; they are accepted as given.
_JSON_FILE_TYPES_BY_MEDIA_TYPE = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "image/tiff": "TIF",
    "image/tif": "TIF",
    "image/jpeg": "JPG",
    "image/jpg": "JPG",
    "image/png": "PNG",
    "text/plain": "TXT",
    "text/html": "HTML",
    "application/docx": "DOCX",
    "application/tif": "TIF",
    "application/jpg": "JPG",
    "application/txt": "TXT",
    "application/html": "HTML",
    "application/png": "PNG",
}
_JSON_FILE_TYPES_BY_SUFFIX = {
    ".pdf": "PDF",
    ".docx": "DOCX",
    ".tif": "TIF",
    ".tiff": "TIF",
    ".jpg": "JPG",
    ".jpeg": "JPG",
    ".png": "PNG",
    ".txt": "TXT",
    ".html": "HTML",
    ".htm": "HTML",
}

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

#: Wire keys `service_from_wire` models; the others go to `Service.extra`.
_KNOWN_SERVICE_KEYS = frozenset(
    {
        "id",
        "name",
        "defaultForProject",
        "defaultFrom",
        "incomingWebhookUrl",
        "webhookContentType",
        "numberOfRetries",
        "retryDelaySeconds",
        "imageConversionMethod",
        "resolution",
        "coverPageId",
        "saveOutboundFaxDocuments",
        "saveInboundFaxDocuments",
        "scanIncomingBarcodes",
        "inProgressNotifications",
        "projectId",
        "createdAt",
        "updatedAt",
    }
)

#: Wire keys `service_number_from_wire` models; the others go to `ServiceNumber.extra`.
_KNOWN_SERVICE_NUMBER_KEYS = frozenset(
    {"phoneNumber", "permissions", "country", "suspended", "note", "serviceId", "projectId"}
)

#: Wire keys `cover_page_from_wire` models; `file` is kept in `extra` only when unreadable.
_KNOWN_COVER_PAGE_KEYS = frozenset(
    {"id", "name", "serviceId", "projectId", "createdTime", "updatedTime", "file"}
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
    if current is None or current < 1:
        # Absent, or counted from 0 by a service that pages differently: the page asked for.
        current = page
    size = _int(data.get("pageSize")) or page_size
    total_items = _int(data.get("totalItems"))
    total_pages = _int(data.get("totalPages"))
    if total_items is None and total_pages is None:
        # Nothing says how many there are: a full page may have more after it.
        full = size > 0 and len(faxes) >= size
        total_items = len(faxes) + (current - 1) * size
        total_pages = current + 1 if full else current
    if total_items is None:
        total_items = len(faxes) + (current - 1) * size
    if total_pages is None:
        total_pages = max(math.ceil(total_items / size), current) if size > 0 else current
    return FaxPage(
        faxes=faxes,
        page=current,
        page_size=size,
        total_items=total_items,
        total_pages=total_pages,
    )


def service_from_wire(data: Mapping[str, Any]) -> Service:
    """Build a `Service` from one service object as the service sent it.

    Booleans the answer leaves out take the defaults the OAS documents (documents saved both
    ways, no barcode scanning, no per-page notifications); unknown keys go to `extra`.
    """
    extra = {key: value for key, value in data.items() if key not in _KNOWN_SERVICE_KEYS}

    def flag(key: str, default: bool) -> bool:
        value = _bool(data.get(key))
        return default if value is None else value

    return Service(
        id=_str(data.get("id")),
        name=_str(data.get("name")),
        default_for_project=flag("defaultForProject", False),
        default_from=_str(data.get("defaultFrom")),
        incoming_webhook_url=_str(data.get("incomingWebhookUrl")),
        webhook_content_type=_str(data.get("webhookContentType")),
        number_of_retries=_int(data.get("numberOfRetries")),
        retry_delay_seconds=_int(data.get("retryDelaySeconds")),
        image_conversion_method=_enum(ImageConversionMethod, data.get("imageConversionMethod")),
        resolution=_enum(Resolution, data.get("resolution")),
        cover_page_id=_str(data.get("coverPageId")),
        save_outbound_fax_documents=flag("saveOutboundFaxDocuments", True),
        save_inbound_fax_documents=flag("saveInboundFaxDocuments", True),
        scan_incoming_barcodes=flag("scanIncomingBarcodes", False),
        in_progress_notifications=flag("inProgressNotifications", False),
        project_id=_str(data.get("projectId")),
        created_at=parse_timestamp(data.get("createdAt")),
        updated_at=parse_timestamp(data.get("updatedAt")),
        extra=extra,
    )


def services_page_from_wire(data: Mapping[str, Any]) -> list[Service]:
    """The services of a `GET /services` answer (`{"services": [...]}` plus pagination)."""
    return [service_from_wire(item) for item in _mappings(data.get("services"))]


def service_number_from_wire(data: Mapping[str, Any]) -> ServiceNumber:
    """Build a `ServiceNumber` from one number of `GET /services/{id}/numbers`.

    Permissions left out read as "both" and a suspension as none, the documented defaults.
    """
    extra = {key: value for key, value in data.items() if key not in _KNOWN_SERVICE_NUMBER_KEYS}
    permissions = _str(data.get("permissions")).strip().lower()
    return ServiceNumber(
        phone_number=_str(data.get("phoneNumber")).strip(),
        permissions=permissions or "both",
        country=_str(data.get("country")),
        suspended=bool(_bool(data.get("suspended"))),
        note=_str(data.get("note")),
        service_id=_str(data.get("serviceId")),
        project_id=_str(data.get("projectId")),
        extra=extra,
    )


def service_numbers_page_from_wire(data: Mapping[str, Any]) -> list[ServiceNumber]:
    """The numbers of a `GET /services/{id}/numbers` answer; entries without a number are
    skipped."""
    numbers = [service_number_from_wire(item) for item in _mappings(data.get("numbers"))]
    return [number for number in numbers if number.phone_number]


def cover_page_from_wire(data: Mapping[str, Any]) -> CoverPage:
    """Build a `CoverPage` from one cover page object, decoding its base64 PDF.

    A missing file gives an empty `pdf`. A file that is not readable base64 also gives an empty
    `pdf`, and the `file` object is then kept in `extra` as it came, so nothing is lost.
    """
    extra = {key: value for key, value in data.items() if key not in _KNOWN_COVER_PAGE_KEYS}
    raw_file = data.get("file")
    pdf = b""
    if isinstance(raw_file, Mapping):
        content = raw_file.get("fileContent")
        if content is not None:
            decoded = _base64(content)
            if decoded is None:
                extra["file"] = raw_file
            else:
                pdf = decoded
    elif raw_file is not None:
        extra["file"] = raw_file
    return CoverPage(
        id=_str(data.get("id")),
        name=_str(data.get("name")),
        service_id=_str(data.get("serviceId")),
        project_id=_str(data.get("projectId")),
        created_time=parse_timestamp(data.get("createdTime")),
        updated_time=parse_timestamp(data.get("updatedTime")),
        pdf=pdf,
        extra=extra,
    )


def cover_pages_from_wire(data: Mapping[str, Any]) -> list[CoverPage]:
    """The cover pages of a list answer (`{"coverPages": [...]}` plus pagination)."""
    return [cover_page_from_wire(item) for item in _mappings(data.get("coverPages"))]


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


def service_to_wire(service: Service) -> dict[str, Any]:
    """One service as the service would send it: the inverse of `service_from_wire`.

    Unset text and numbers are left out; the booleans are always written; unknown fields kept
    in `extra` come back as they were.
    """
    candidates: list[tuple[str, Any]] = [
        ("id", service.id),
        ("name", service.name),
        ("defaultForProject", service.default_for_project),
        ("defaultFrom", service.default_from),
        ("incomingWebhookUrl", service.incoming_webhook_url),
        ("webhookContentType", service.webhook_content_type),
        ("numberOfRetries", service.number_of_retries),
        ("retryDelaySeconds", service.retry_delay_seconds),
        (
            "imageConversionMethod",
            service.image_conversion_method.value if service.image_conversion_method else None,
        ),
        ("resolution", service.resolution.value if service.resolution else None),
        ("coverPageId", service.cover_page_id),
        ("saveOutboundFaxDocuments", service.save_outbound_fax_documents),
        ("saveInboundFaxDocuments", service.save_inbound_fax_documents),
        ("scanIncomingBarcodes", service.scan_incoming_barcodes),
        ("inProgressNotifications", service.in_progress_notifications),
        ("projectId", service.project_id),
        ("createdAt", format_wire_time(service.created_at) if service.created_at else None),
        ("updatedAt", format_wire_time(service.updated_at) if service.updated_at else None),
    ]
    data = {key: value for key, value in candidates if value is not None and value != ""}
    data["id"] = service.id
    for key, value in service.extra.items():
        data.setdefault(key, value)
    return data


def cover_page_to_wire(page: CoverPage, *, with_file: bool = True) -> dict[str, Any]:
    """One cover page as the service would send it: the inverse of `cover_page_from_wire`.

    With `with_file=False` the base64 PDF is left out (for listings); a `file` object kept in
    `extra` because it could not be read is written back as it was either way.
    """
    candidates: list[tuple[str, Any]] = [
        ("id", page.id),
        ("name", page.name),
        ("serviceId", page.service_id),
        ("projectId", page.project_id),
        ("createdTime", format_wire_time(page.created_time) if page.created_time else None),
        ("updatedTime", format_wire_time(page.updated_time) if page.updated_time else None),
    ]
    data = {key: value for key, value in candidates if value is not None and value != ""}
    data["id"] = page.id
    if with_file and page.pdf:
        data["file"] = cover_page_body(page.name, page.pdf)["file"]
    for key, value in page.extra.items():
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

    Every option is checked, so a send fails here, before any request, rather than halfway
    through an upload. `field` is the `SendRequest` attribute name, so the UI can point at its
    own widget. Messages never repeat the password of a URL that carries one.
    """
    _validate_numbers(request)
    _validate_content(request)
    if request.header_text is not None and len(request.header_text) > HEADER_TEXT_MAX:
        raise ValidationError(
            f"The header text can be at most {HEADER_TEXT_MAX} characters long.",
            field="header_text",
        )
    if request.header_text is not None and not request.header_text.isprintable():
        raise ValidationError(
            "The header text is one line printed at the top of each page: it cannot hold line "
            "breaks, tabs or other control characters.",
            field="header_text",
        )
    zone = request.header_time_zone
    if zone is not None and not is_time_zone_name(zone):
        raise ValidationError(
            f"The header time zone “{zone}” is not a time zone name such as Europe/Berlin.",
            field="header_time_zone",
        )
    _check_range(
        request.retry_delay_seconds,
        RETRY_DELAY_RANGE,
        "retry_delay_seconds",
        "The retry delay must be between {low} and {high} seconds.",
    )
    _check_range(
        request.max_retries,
        MAX_RETRIES_RANGE,
        "max_retries",
        "The number of retries must be between {low} and {high}.",
    )
    _check_known(request.resolution, Resolution, "resolution", "resolution")
    _check_known(
        request.image_conversion_method,
        ImageConversionMethod,
        "image_conversion_method",
        "image conversion method",
    )
    if any(not key.strip() for key in request.labels):
        raise ValidationError("Every label needs a name; one has an empty name.", field="labels")
    for key in request.labels:
        _check_map_key(key, "label", "labels")
    _validate_callback(request)
    _validate_cover_page(request)
    if request.service_id is not None and not request.service_id.strip():
        raise ValidationError(
            "The service ID is empty; leave it unset to use the project's default service.",
            field="service_id",
        )


def is_time_zone_name(name: str) -> bool:
    """Whether `name` is a tz database name (`Europe/Berlin`), exactly as the database spells it."""
    return name in _time_zone_names()


def send_form_fields(request: SendRequest) -> dict[str, str | list[str]]:
    """The text parts of a multipart send, in wire names; a list value means repeated parts.

    Recipients go as repeated `to` parts (as the Node SDK sends them); several content URLs go
    comma-joined in one `contentUrl` part, the only multipart form the service documents. Maps
    go as `labels[key]` and `coverPageData[key]` parts. Options that are None are left out;
    `False` and `0` are sent.
    """
    fields: dict[str, str | list[str]] = {"to": _recipients(request)}
    urls = _content_urls(request)
    if urls:
        # The list is comma-separated, so a comma inside one address is sent escaped; %2C
        # names the same resource to any web server that serves such a path.
        fields["contentUrl"] = ",".join(url.replace(",", "%2C") for url in urls)
    for key, value in _options(request):
        fields[key] = _form_value(value)
    for label, text in request.labels.items():
        fields[f"labels[{label}]"] = text
    for name, text in request.cover_page_data.items():
        fields[f"coverPageData[{name}]"] = text
    return fields


def send_json_body(
    request: SendRequest, files: Sequence[tuple[str, bytes, str]] = ()
) -> dict[str, Any]:
    """The JSON body of a send; `files` are `(filename, content, media type)` triples.

    `to` is a string for one recipient and a list for several. Files go base64-encoded in
    `files: [{file, fileType}]`, their type named from the media type or else the filename
    suffix; a file of another type raises `ValidationError`. `contentUrl` is a list, present
    only when there are URLs (a files-only body has none, as in the OAS example). Options keep
    their JSON types, and `False` and `0` are sent.
    """
    recipients = _recipients(request)
    body: dict[str, Any] = {"to": recipients[0] if len(recipients) == 1 else recipients}
    urls = _content_urls(request)
    if urls:
        body["contentUrl"] = urls
    if files:
        body["files"] = [
            {
                "file": base64.b64encode(content).decode("ascii"),
                "fileType": json_file_type(name, media_type),
            }
            for name, content, media_type in files
        ]
    for key, value in _options(request):
        body[key] = value
    if request.labels:
        body["labels"] = dict(request.labels)
    if request.cover_page_data:
        body["coverPageData"] = dict(request.cover_page_data)
    return body


def json_file_type(filename: str, media_type: str) -> str:
    """The `fileType` a JSON send names a file by (`PDF`, `DOCX`, `TIF`, `JPG`, `PNG`, ...).

    The media type decides; a generic or missing one falls back to the filename suffix.
    Raises `ValidationError` (field `documents`) for a file the service does not take.
    """
    essence = media_type.split(";")[0].strip().lower()
    found = _JSON_FILE_TYPES_BY_MEDIA_TYPE.get(essence)
    if found is None:
        found = _JSON_FILE_TYPES_BY_SUFFIX.get(PurePath(filename).suffix.lower())
    if found is None:
        raise ValidationError(
            f"“{filename}” cannot be faxed: the service takes PDF, Word (.docx), TIFF, JPEG, "
            "PNG, text and HTML files.",
            field="documents",
        )
    return found


def cover_page_body(name: str, pdf: bytes) -> dict[str, Any]:
    """The JSON body that adds a cover page: its name and the PDF template, base64-encoded."""
    return {
        "name": name,
        "file": {"fileContent": base64.b64encode(pdf).decode("ascii"), "fileType": "PDF"},
    }


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
    if query.created:
        pairs.append(("createTime", query.created))
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


def _validate_numbers(request: SendRequest) -> None:
    numbers = _recipients(request)
    if not numbers:
        raise ValidationError("Add at least one recipient fax number.", field="to")
    for number in numbers:
        if not _E164.fullmatch(number):
            raise ValidationError(
                f"The recipient number “{number}” is not in international format: a + and "
                "8 to 15 digits, such as +14155550123.",
                field="to",
            )
    if request.from_ is not None and not _E164.fullmatch(request.from_.strip()):
        raise ValidationError(
            f"The sender number “{request.from_.strip()}” is not in international format: a + "
            "and 8 to 15 digits. Leave it unset to send from the service's default number.",
            field="from_",
        )


def _validate_content(request: SendRequest) -> None:
    urls = _content_urls(request)
    if not request.documents and not urls:
        raise ValidationError("Add a document or a content URL to send.", field="documents")
    for url in urls:
        if not _is_http_url(url):
            raise ValidationError(
                f"The content URL “{_masked(url)}” is not a full web address starting with "
                "http:// or https://.",
                field="content_urls",
            )


def _validate_callback(request: SendRequest) -> None:
    url = request.callback_url
    if url is not None and not _is_http_url(url.strip()):
        raise ValidationError(
            f"The callback URL “{_masked(url.strip())}” is not a full web address starting "
            "with http:// or https://.",
            field="callback_url",
        )
    kind = request.callback_url_content_type
    if kind is not None and kind not in CALLBACK_CONTENT_TYPES:
        allowed = " or ".join(CALLBACK_CONTENT_TYPES)
        raise ValidationError(
            f"The callback content type “{kind}” is not one the service sends; use {allowed}.",
            field="callback_url_content_type",
        )


def _validate_cover_page(request: SendRequest) -> None:
    if request.cover_page_id is not None and not request.cover_page_id.strip():
        raise ValidationError(
            "The cover page ID is empty; leave it unset to send without a chosen cover page.",
            field="cover_page_id",
        )
    for key in request.cover_page_data:
        if not key.strip():
            raise ValidationError(
                "Every cover page field needs a name; one has an empty name.",
                field="cover_page_data",
            )
        _check_map_key(key, "cover page field", "cover_page_data")
        # The service documents that cover page keys must be lower case; it would not fill
        # a {{tag}} whose key differs in case, so say so now instead of faxing blank fields.
        if key != key.lower():
            raise ValidationError(
                f"The cover page field name “{key}” must be lower case: “{key.lower()}”.",
                field="cover_page_data",
            )
    if request.cover_page_data and request.cover_page_id is None:
        raise ValidationError(
            "Cover page fields need a cover page: choose the cover page they fill in.",
            field="cover_page_data",
        )


def _check_map_key(key: str, what: str, field: str) -> None:
    # Multipart sends maps as `labels[key]`: a bracket in the key would change which key the
    # service reads, and a control character has no place in a form field name.
    if any(ch in "[]" for ch in key) or not key.isprintable():
        raise ValidationError(
            f"The {what} name “{key}” cannot contain square brackets or control characters.",
            field=field,
        )


def _check_range(value: int | None, bounds: tuple[int, int], name: str, message: str) -> None:
    low, high = bounds
    # bool is an int subclass; True would otherwise pass as 1 and go out as `true`.
    if value is not None and (isinstance(value, bool) or not low <= value <= high):
        raise ValidationError(message.format(low=low, high=high), field=name)


def _check_known(
    value: Resolution | ImageConversionMethod | None,
    kind: type[Resolution] | type[ImageConversionMethod],
    name: str,
    words: str,
) -> None:
    # The wire enums keep unknown values when reading; sending one is a mistake to catch here.
    known = [member.value for member in kind]
    if value is not None and value.value not in known:
        raise ValidationError(
            f"The {words} “{value.value}” is not one the service knows; use {' or '.join(known)}.",
            field=name,
        )


@functools.cache
def _time_zone_names() -> frozenset[str]:
    # Reading the tz database walks a directory tree; once per process is enough.
    return frozenset(zoneinfo.available_timezones())


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # an unbalanced IPv6 bracket, for example
        return False
    return (
        parts.scheme.lower() in ("http", "https")
        and bool(host)
        and not any(ch.isspace() for ch in url)
    )


def _masked(url: str) -> str:
    """`url` with the password of its user info replaced by `***`, for messages."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("@")[-1] if "@" in url else url
    if not password:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))


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
        ("callbackUrlContentType", request.callback_url_content_type),
        ("coverPageId", request.cover_page_id),
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
    """A wire enum; a known value in another letter case or with spaces around is that member,
    and anything else is kept as it came."""
    if not isinstance(value, str) or not value.strip():
        return None
    for member in kind:
        if member.value == value.strip().upper():
            return member
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


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def _base64(value: Any) -> bytes | None:
    """Strict base64 text as bytes, line breaks allowed; None when it is not base64."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
