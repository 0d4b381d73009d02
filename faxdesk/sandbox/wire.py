"""Read a send request (multipart or JSON) the way the service does, and write Fax objects.

Tolerance is the point: field names in any case, `to` as repeated fields, a list or a comma string,
booleans as `true`/`True`, labels as `labels[key]` or an object, files as repeated `file` parts or
base64 `files[]`, `callbackContentType` for `callbackUrlContentType` (and the .NET SDK's
`EventDestinationTarget` and `EventDestinationContentType` for the callback), JSON `null` for a
field left out. Problems a client can fix raise ApiProblemError (400 for a malformed or incomplete
request, text that is not valid Unicode, or more than `MAX_ITEMS` recipients, files, URLs or map
entries; 422 with field violations for bad values). `parse_json_body` reads every JSON body of the
sandbox. Options the fax service takes from the sending service (retries, resolution, image
conversion) stay None in `SendForm` when the request leaves them out; `outbound_fax` fills them in.
The `as_*` readers are shared with `service_wire`. This module does not fetch URLs, look inside
documents or touch state; see `intake` and `state`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from faxdesk.core.errors import FieldViolation
from faxdesk.core.models import Direction, FaxStatus, ImageConversionMethod, Resolution
from faxdesk.core.phone import country_of
from faxdesk.sandbox.problems import ApiProblemError

#: E.164 as the sandbox checks it: "+", a country code that does not start with 0, 8-15 digits.
E164_RE = re.compile(r"\+[1-9]\d{7,14}")


def not_e164(field: str, number: str) -> str:
    """The field violation for a number not written in E.164, as the API requires it."""
    return (
        f"{field} {number!r} is not an E.164 number: write + and 8 to 15 digits, without "
        "spaces or dashes (such as +14155550100)."
    )


HEADER_TEXT_MAX = 50
RETRY_DELAY_RANGE = (30, 300)
MAX_RETRIES_RANGE = (0, 5)
CALLBACK_CONTENT_TYPES = ("multipart/form-data", "application/json")
RESOLUTIONS = tuple(m.value for m in Resolution)
IMAGE_CONVERSION_METHODS = tuple(m.value for m in ImageConversionMethod)

DEFAULT_HEADER_TIME_ZONE = "America/New_York"
#: At most this many recipients, files, URLs and entries of each map in one request: what
#: Starlette allows a multipart body (1000 fields, 1000 files), for JSON bodies too. The service
#: documents no limit; without one, a single request could create any number of faxes.
MAX_ITEMS = 1000

# The service's `files[].fileType` names (the OAS's DOCX, PDF, TIF, JPG, TXT, HTML and PNG, the
# .NET SDK's DOC and ODT, and the spelled-out TIFF and JPEG), with the media type each means.
_JSON_FILE_TYPES = {
    "PDF": "application/pdf",
    "DOCX": "application/docx",
    "DOC": "application/doc",
    "ODT": "application/odt",
    "TIF": "image/tiff",
    "TIFF": "image/tiff",
    "JPG": "image/jpeg",
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "TXT": "text/plain",
    "HTML": "text/html",
}


@dataclass(frozen=True, slots=True)
class Upload:
    """One document sent in the request body; `media_type` is as declared, "" if it was not."""

    filename: str
    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class SendForm:
    """A valid send request with the fax's own defaults filled in.

    None in `retry_delay_seconds`, `max_retries`, `resolution` and `image_conversion_method`
    means "as the sending service says" (see `outbound_fax`).
    """

    to: tuple[str, ...]
    uploads: tuple[Upload, ...] = ()
    content_urls: tuple[str, ...] = ()
    from_: str | None = None
    header_text: str = ""
    header_page_numbers: bool = True
    header_time_zone: str = DEFAULT_HEADER_TIME_ZONE
    retry_delay_seconds: int | None = None
    max_retries: int | None = None
    resolution: str | None = None
    image_conversion_method: str | None = None
    callback_url: str | None = None
    callback_url_content_type: str = CALLBACK_CONTENT_TYPES[0]
    service_id: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    cover_page_id: str | None = None
    cover_page_data: Mapping[str, str] = field(default_factory=dict)


#: The two map fields, by lower-cased name: `labels[k]=v` and `coverPageData[k]=v`.
_MAPS = ("labels", "coverpagedata")
#: `to[]`, `to[0]`, `contentUrl[1]`: list items as form encoders number them.
_LIST_ITEM_RE = re.compile(r"(.+)\[\d*\]")


@dataclass(slots=True)
class _RawRequest:
    """What the body said, before validation: values by lower-cased field name."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    maps: dict[str, dict[str, str]] = field(default_factory=lambda: {m: {} for m in _MAPS})
    uploads: list[Upload] = field(default_factory=list)
    #: What makes the request malformed (400) ...
    problems: list[FieldViolation] = field(default_factory=list)
    #: ... and values that are well-formed but wrong (422).
    invalid: list[FieldViolation] = field(default_factory=list)

    def add(self, name: str, value: Any) -> None:
        match = _LIST_ITEM_RE.fullmatch(name)
        if match and match.group(1).lower() not in _MAPS:
            name = match.group(1)
        self.values.setdefault(name.lower(), []).append(value)

    def map_entry(self, name: str) -> tuple[str, str] | None:
        """(map, key) when `name` is `labels[key]` or `coverPageData[key]` in any case."""
        lower = name.lower()
        for map_name in _MAPS:
            if lower.startswith(map_name + "[") and lower.endswith("]"):
                return map_name, name[len(map_name) + 1 : -1]
        return None


async def read_send_form(request: Request) -> SendForm:
    """Parse and validate the body of `POST /faxes`, or raise ApiProblemError."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        raw = await _read_json(request)
    elif media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raw = await _read_form(request)
    else:
        raise ApiProblemError(400, "Send the fax as multipart/form-data or application/json.")
    return _validate(raw)


async def _read_form(request: Request) -> _RawRequest:
    raw = _RawRequest()
    closing = _ClosingDelimiter(request.headers.get("content-type", ""))
    reading = Request(request.scope, closing.watch(request.receive))
    try:
        # The context manager closes the spooled temporary files of the uploads.
        async with reading.form() as form:
            for name, value in form.multi_items():
                _check_unicode(name, name)
                if isinstance(value, str):
                    _check_unicode(name, value)
                elif value.filename:
                    _check_unicode(name, value.filename)
                lower = name.lower()
                if lower in ("file", "files"):
                    if isinstance(value, UploadFile):
                        raw.uploads.append(
                            Upload(
                                filename=value.filename or "",
                                media_type=_media_type(value.content_type),
                                data=await value.read(),
                            )
                        )
                    else:
                        # A file part without a filename arrives as text; keep its bytes and
                        # let the document checks decide.
                        raw.uploads.append(Upload("", "", value.encode("utf-8")))
                elif isinstance(value, UploadFile):
                    raw.problems.append(FieldViolation(name, "Only `file` parts may hold files."))
                elif (entry := raw.map_entry(name)) is not None:
                    raw.maps[entry[0]][entry[1]] = value
                else:
                    raw.add(name, value)
    except HTTPException as exc:
        # Starlette reports a malformed multipart body this way.
        raise ApiProblemError(400, f"The form data could not be read: {exc.detail}") from None
    return raw


class _ClosingDelimiter:
    """Watches a multipart body go by for its closing delimiter (`--boundary--`), and ends the
    reading with a 400 when the body ends without one.

    Starlette drops a part cut off by the end of the body without a word (and leaves its
    temporary file open); the service cannot know what such a request meant either. Raising
    while the body is read lets Starlette close what it opened. Only the last few bytes of the
    stream are kept, so a body of any size costs nothing more.
    """

    def __init__(self, content_type: str) -> None:
        match = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
        self._delimiter = b"--" + match.group(1).encode("latin-1") + b"--" if match else b""
        self._tail = b""
        self.seen = not self._delimiter

    def watch(
        self, receive: Callable[[], Awaitable[dict[str, Any]]]
    ) -> Callable[[], Awaitable[dict[str, Any]]]:
        async def watched() -> dict[str, Any]:
            message = await receive()
            if not self.seen and message.get("type") == "http.request":
                chunk = self._tail + message.get("body", b"")
                self.seen = self._delimiter in chunk
                self._tail = chunk[-(len(self._delimiter) - 1) :]
                if not self.seen and not message.get("more_body", False):
                    raise ApiProblemError(
                        400, "The request is malformed: the multipart body has no closing boundary."
                    )
            return message

        return watched


def parse_json_body(data: bytes) -> Any:
    """The JSON value of a request body; 400 for anything that is not valid JSON text.

    That includes numbers Python refuses to read (more than 4300 digits), nesting deeper than it
    can follow, `NaN` and `Infinity` (not JSON), and text holding a lone surrogate (not Unicode:
    it could never be written back).
    """

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON value")

    try:
        body = json.loads(data, parse_constant=refuse)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        raise ApiProblemError(400, "The request body is not valid JSON.") from None
    where = lone_surrogate_at(body)
    if where is not None:
        raise _not_unicode(where)
    return body


def lone_surrogate_at(value: Any) -> str | None:
    """Where in a JSON value a text (or a key) holds a lone surrogate, or None if none does."""
    # Iterative: a body may be nested as deep as the JSON parser allows.
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE_RE.search(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                if _SURROGATE_RE.search(str(key)):
                    return where
                pending.append((where, child))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", child) for index, child in enumerate(item))
    return None


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _not_unicode(where: str) -> ApiProblemError:
    # The path may hold the surrogate itself (a key): it is shown replaced.
    field_name = _SURROGATE_RE.sub("\ufffd", where) or "body"
    message = f"{field_name} holds text that is not valid Unicode (a lone surrogate)."
    return ApiProblemError(400, message, [FieldViolation(field_name, message)])


def _check_unicode(where: str, text: str) -> None:
    if _SURROGATE_RE.search(text) or _SURROGATE_RE.search(where):
        raise _not_unicode(where)


async def _read_json(request: Request) -> _RawRequest:
    body = parse_json_body(await request.body())
    if not isinstance(body, dict):
        raise ApiProblemError(400, "The request body must be a JSON object.")
    raw = _RawRequest()
    for name, value in body.items():
        if value is None:
            # Clients that write every property of their model send `null` for the ones left
            # unset (`"labels": null`, `"contentUrl": null`): that is the field left out.
            continue
        lower = name.lower()
        if lower in _MAPS:
            if isinstance(value, dict):
                for key, item in value.items():
                    _put_map_entry(raw, lower, f"{name}.{key}", str(key), item)
            else:
                raw.problems.append(FieldViolation(name, f"{name} must be an object."))
        elif (entry := raw.map_entry(name)) is not None:
            _put_map_entry(raw, entry[0], name, entry[1], value)
        elif lower == "files":
            items = value if isinstance(value, list) else [value]
            if len(items) > MAX_ITEMS:
                raw.problems.append(_too_many("files", len(items)))
                continue
            for index, item in enumerate(items):
                _add_json_file(raw, item, f"files[{index}]")
        elif lower == "file":
            # Tolerated: one file given flat, as INCOMING_FAX webhooks carry it.
            _add_json_file(raw, {"file": value, "fileType": _find(body, "fileType")}, "file")
        elif lower == "filetype":
            continue
        elif isinstance(value, list):
            for item in value:
                raw.add(name, item)
        else:
            raw.add(name, value)
    return raw


def _put_map_entry(raw: _RawRequest, map_name: str, where: str, key: str, value: Any) -> None:
    # Label and cover page values are text; a number or a boolean is taken as its JSON text,
    # an object or a list is a mistake.
    if isinstance(value, dict | list) or value is None:
        raw.invalid.append(FieldViolation(where, f"{where} must be text."))
    else:
        raw.maps[map_name][key] = value if isinstance(value, str) else json.dumps(value)


def _too_many(name: str, count: int) -> FieldViolation:
    return FieldViolation(name, f"{name} has {count} items; at most {MAX_ITEMS} are accepted.")


def _find(body: Mapping[str, Any], name: str) -> Any:
    for key, value in body.items():
        if key.lower() == name.lower():
            return value
    return None


def _add_json_file(raw: _RawRequest, item: Any, where: str) -> None:
    if not isinstance(item, dict):
        raw.problems.append(FieldViolation(where, "Each file must be {file, fileType}."))
        return
    content = _find(item, "file")
    file_type = _find(item, "fileType")
    if not isinstance(content, str):
        raw.problems.append(FieldViolation(f"{where}.file", "The file must be base64 text."))
        return
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raw.problems.append(FieldViolation(f"{where}.file", "The file is not valid base64."))
        return
    media_type = ""
    if file_type is not None and file_type != "":
        if isinstance(file_type, str):
            media_type = _JSON_FILE_TYPES.get(file_type.strip().upper(), "")
        if not media_type:
            raw.invalid.append(
                FieldViolation(
                    f"{where}.fileType", f"fileType must be one of {', '.join(_FILE_TYPE_NAMES)}."
                )
            )
            return
    raw.uploads.append(Upload(filename="", media_type=media_type, data=data))


#: The fileType names an error message offers: the service's own.
_FILE_TYPE_NAMES = ("DOCX", "PDF", "TIF", "JPG", "TXT", "HTML", "PNG")


def _media_type(declared: str | None) -> str:
    return (declared or "").split(";")[0].strip().lower()


# -- validation ------------------------------------------------------------------------------


def _validate(raw: _RawRequest) -> SendForm:
    problems = list(raw.problems)
    numbers = _split_list(raw.values.get("to", []), "to", problems)
    content_urls = _split_list(raw.values.get("contenturl", []), "contentUrl", problems)
    for name, count in (
        ("to", len(numbers)),
        ("contentUrl", len(content_urls)),
        ("file", len(raw.uploads)),
        ("labels", len(raw.maps["labels"])),
        ("coverPageData", len(raw.maps["coverpagedata"])),
    ):
        if count > MAX_ITEMS:
            problems.append(_too_many(name, count))
    if problems:
        raise ApiProblemError(400, "The request is malformed.", problems)
    if not numbers:
        raise ApiProblemError(400, "`to` is required.", [FieldViolation("to", "`to` is required.")])
    if not raw.uploads and not content_urls and not raw.invalid:
        # (A file refused for its declared type is reported as that, below.)
        raise ApiProblemError(
            400,
            "Send at least one file or contentUrl.",
            [FieldViolation("file", "Send at least one file or contentUrl.")],
        )

    invalid = list(raw.invalid)
    for number in numbers:
        if not E164_RE.fullmatch(number):
            invalid.append(FieldViolation("to", not_e164("to", number)))
    from_ = _text(raw, "from", invalid)
    if from_ is not None and not E164_RE.fullmatch(from_):
        invalid.append(FieldViolation("from", not_e164("from", from_)))
    for url in content_urls:
        if not is_http_url(url):
            invalid.append(FieldViolation("contentUrl", f"{url!r} is not an http(s) URL."))
    header_text = _text(raw, "headerText", invalid) or ""
    if len(header_text) > HEADER_TEXT_MAX:
        invalid.append(
            FieldViolation("headerText", f"headerText is longer than {HEADER_TEXT_MAX} characters.")
        )
    # The .NET SDK's multipart sends name the C# properties, which for these two are
    # EventDestinationTarget and EventDestinationContentType; older clients (the Node SDK up to
    # 1.1, the older .NET request) name the content type callbackContentType.
    callback_url_field = _named(raw, "callbackUrl", "eventDestinationTarget")
    callback_url = _text(raw, callback_url_field, invalid) or None
    if callback_url is not None and not is_http_url(callback_url):
        invalid.append(
            FieldViolation(callback_url_field, f"{callback_url!r} is not an http(s) URL.")
        )
    header_time_zone = _text(raw, "headerTimeZone", invalid) or DEFAULT_HEADER_TIME_ZONE
    if not is_time_zone(header_time_zone):
        invalid.append(
            FieldViolation(
                "headerTimeZone",
                f"{header_time_zone!r} is not a time zone of the tz database "
                "(such as America/New_York).",
            )
        )
    content_type_field = _named(
        raw, "callbackUrlContentType", "callbackContentType", "eventDestinationContentType"
    )
    form = SendForm(
        to=tuple(numbers),
        uploads=tuple(raw.uploads),
        content_urls=tuple(content_urls),
        from_=from_ or None,
        header_text=header_text,
        header_page_numbers=_boolean(raw, "headerPageNumbers", True, invalid),
        header_time_zone=header_time_zone,
        retry_delay_seconds=_integer(raw, "retryDelaySeconds", RETRY_DELAY_RANGE, invalid),
        max_retries=_integer(raw, "maxRetries", MAX_RETRIES_RANGE, invalid),
        resolution=_choice(raw, "resolution", RESOLUTIONS, invalid),
        image_conversion_method=_choice(
            raw, "imageConversionMethod", IMAGE_CONVERSION_METHODS, invalid
        ),
        callback_url=callback_url,
        callback_url_content_type=_choice(raw, content_type_field, CALLBACK_CONTENT_TYPES, invalid)
        or CALLBACK_CONTENT_TYPES[0],
        service_id=_text(raw, "serviceId", invalid) or None,
        labels=dict(raw.maps["labels"]),
        cover_page_id=_text(raw, "coverPageId", invalid) or None,
        # The service asks for lower-case keys; a client's `toName` still fills `{{toname}}`.
        cover_page_data={k.lower(): v for k, v in raw.maps["coverpagedata"].items()},
    )
    if invalid:
        raise ApiProblemError(422, "Some fields have invalid values.", invalid)
    return form


def _split_list(values: list[Any], name: str, problems: list[FieldViolation]) -> list[str]:
    # Comma lists come from the .NET SDK and the OAS; `;` from an older doc build.
    items: list[str] = []
    for value in values:
        if not isinstance(value, str):
            problems.append(FieldViolation(name, f"{name} must be text or a list of text."))
            continue
        items.extend(part.strip() for part in re.split(r"[,;]", value) if part.strip())
    return items


def _named(raw: _RawRequest, name: str, *aliases: str) -> str:
    """`name`, or the first of its `aliases` the request gives a value to (`name` if none)."""
    for candidate in (name, *aliases):
        if _scalar(raw, candidate) not in (None, ""):
            return candidate
    return name


def _scalar(raw: _RawRequest, name: str) -> Any:
    values = raw.values.get(name.lower())
    return values[0] if values else None


def _text(raw: _RawRequest, name: str, invalid: list[FieldViolation]) -> str | None:
    value = _scalar(raw, name)
    if value is None:
        return None
    if not isinstance(value, str):
        invalid.append(FieldViolation(name, f"{name} must be text."))
        return None
    # Header text is printed as given; everything else is an identifier or a URL.
    return value if name == "headerText" else value.strip()


def _boolean(raw: _RawRequest, name: str, default: bool, invalid: list[FieldViolation]) -> bool:
    value = _scalar(raw, name)
    if value is None or value == "":
        return default
    result = as_bool(value)
    if result is None:
        invalid.append(FieldViolation(name, f"{name} must be true or false."))
        return default
    return result


def _integer(
    raw: _RawRequest, name: str, bounds: tuple[int, int], invalid: list[FieldViolation]
) -> int | None:
    value = _scalar(raw, name)
    if value is None or value == "":
        return None
    number = as_int(value)
    low, high = bounds
    if number is None or not low <= number <= high:
        invalid.append(FieldViolation(name, f"{name} must be a whole number from {low} to {high}."))
        return None
    return number


def _choice(
    raw: _RawRequest, name: str, allowed: tuple[str, ...], invalid: list[FieldViolation]
) -> str | None:
    value = _scalar(raw, name)
    if value is None or value == "":
        return None
    result = as_choice(value, allowed)
    if result is None:
        invalid.append(FieldViolation(name, f"{name} must be one of {', '.join(allowed)}."))
    return result


def as_bool(value: Any) -> bool | None:
    """A JSON boolean, or "true"/"false" in any case; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """A JSON integer or a string of digits (signed); None for anything else (booleans too)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


def as_choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    """The member of `allowed` that `value` names in any case, or None."""
    if isinstance(value, str):
        for option in allowed:
            if value.strip().lower() == option.lower():
                return option
    return None


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """Whether `name` is a time zone of the tz database (`America/New_York`, `UTC`...)."""
    known = _time_zones()
    if known:
        return name in known
    # No list of zones on this system: whatever zoneinfo can load.
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


# -- writing ---------------------------------------------------------------------------------


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with millisecond precision and a `Z`, as the service writes times.

    The fixed width also makes these strings sort like the times they name, which the state's
    range queries rely on.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    # isoformat, not strftime: strftime does not pad the year to four digits everywhere.
    return moment.isoformat(timespec="milliseconds") + "Z"


def mask_url(url: str) -> str:
    """Hide the credentials of a `https://user:pass@host/...` URL, as the service does on read."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"***:***@{host}"))


def outbound_fax(
    *,
    fax_id: str,
    to: str,
    form: SendForm,
    number_of_pages: int,
    created: datetime,
    project_id: str,
    service: Mapping[str, Any],
    default_from: str,
) -> dict[str, Any]:
    """The Fax object for one recipient of `form`, as POST returns it (status QUEUED).

    `service` (a Service object) supplies what the request left out: retries, retry delay,
    resolution, image conversion and, before `default_from`, the sending number.
    """
    from_ = form.from_ or service.get("defaultFrom") or default_from
    fax: dict[str, Any] = {
        "id": fax_id,
        "direction": Direction.OUTBOUND.value,
        "from": from_,
        "to": to,
        "numberOfPages": number_of_pages,
        "status": FaxStatus.QUEUED.value,
        "createTime": format_time(created),
        "headerText": form.header_text,
        "headerPageNumbers": form.header_page_numbers,
        "headerTimeZone": form.header_time_zone,
        "retryDelaySeconds": _or_default(form.retry_delay_seconds, service["retryDelaySeconds"]),
        "maxRetries": _or_default(form.max_retries, service["numberOfRetries"]),
        "retryCount": 0,
        "labels": dict(form.labels),
        "callbackUrlContentType": form.callback_url_content_type,
        "imageConversionMethod": form.image_conversion_method or service["imageConversionMethod"],
        "resolution": form.resolution or service["resolution"],
        "hasFile": False,
        "projectId": project_id,
        "serviceId": service["id"],
    }
    fax.update(countries(from_, to))
    if form.content_urls:
        # Always a list here; the service sometimes writes a single URL as a plain string.
        fax["contentUrl"] = [mask_url(url) for url in form.content_urls]
    if form.callback_url:
        fax["callbackUrl"] = mask_url(form.callback_url)
    return fax


def countries(from_: str, to: str) -> dict[str, str]:
    """`fromCountry` and `toCountry` for two E.164 numbers, leaving out what is not known."""
    found = {"fromCountry": country_of(from_), "toCountry": country_of(to)}
    return {key: value for key, value in found.items() if value}


def _or_default(value: int | None, default: int) -> int:
    # Not `or`: 0 retries is a choice, not a gap.
    return default if value is None else value
