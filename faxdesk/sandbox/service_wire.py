"""Read and write the Service and CoverPage objects of `/services`, the way the service does.

A create or update body is JSON; field names are matched in any case, booleans and numbers are
also taken as strings, read-only fields (`id`, `projectId`, `createdAt`, `updatedAt`) and unknown
fields are ignored. An update is a merge: a field left out keeps its value, `null` returns it to
its default (or removes it, for fields without one). Missing required parts are 400s, bad
values 422s with one field violation each (`ApiProblemError`). Stored services keep webhook
URLs with their credentials; `service_view` masks them for answers. Cover pages must be PDFs
PyMuPDF can open. This module decides what is valid; whether a cover page exists, which
service is the default and everything else that needs the state is for the routes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from starlette.requests import Request

from faxdesk.core.errors import DocumentError, FieldViolation
from faxdesk.documents.pages import count_pages
from faxdesk.sandbox.problems import ApiProblemError
from faxdesk.sandbox.wire import (
    CALLBACK_CONTENT_TYPES,
    E164_RE,
    IMAGE_CONVERSION_METHODS,
    MAX_RETRIES_RANGE,
    RESOLUTIONS,
    RETRY_DELAY_RANGE,
    as_bool,
    as_choice,
    as_int,
    is_http_url,
    mask_url,
    not_e164,
    parse_json_body,
)

SERVICE_NAME_MAX = 60
DEFAULT_SERVICE_NAME = "Default service"
COVER_PAGE_FILE_TYPE = "PDF"

#: What a service holds for each field nobody has set. These are the OAS defaults; the OAS
#: gives `resolution` none, so it is FINE, what the sandbox also gives a fax that names none.
SERVICE_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "name": DEFAULT_SERVICE_NAME,
        "webhookContentType": CALLBACK_CONTENT_TYPES[0],
        "defaultForProject": False,
        "numberOfRetries": 3,
        "retryDelaySeconds": 60,
        "imageConversionMethod": IMAGE_CONVERSION_METHODS[0],
        "saveOutboundFaxDocuments": True,
        "saveInboundFaxDocuments": True,
        "scanIncomingBarcodes": False,
        "inProgressNotifications": False,
        "resolution": RESOLUTIONS[0],
    }
)
#: Fields that are simply absent until set.
_OPTIONAL_FIELDS = ("incomingWebhookUrl", "defaultFrom", "coverPageId")
_BOOLEAN_FIELDS = (
    "defaultForProject",
    "saveOutboundFaxDocuments",
    "saveInboundFaxDocuments",
    "scanIncomingBarcodes",
    "inProgressNotifications",
)
_WRITABLE = {name.lower(): name for name in (*SERVICE_DEFAULTS, *_OPTIONAL_FIELDS)}


@dataclass(frozen=True, slots=True)
class ServiceChanges:
    """The valid fields of a create or update body.

    Attributes:
        values: canonical field name -> new value.
        cleared: fields sent as null (back to the default, or removed).
    """

    values: Mapping[str, Any]
    cleared: frozenset[str]

    def sets(self, name: str) -> bool:
        return name in self.values


@dataclass(frozen=True, slots=True)
class CoverPageUpload:
    """A valid cover page from an add request: its name and the PDF."""

    name: str
    pdf: bytes


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (whatever its Content-Type says), or a 400."""
    body = parse_json_body(await request.body())
    if not isinstance(body, dict):
        raise ApiProblemError(400, "The request body must be a JSON object.")
    return body


# -- services --------------------------------------------------------------------------------


def read_service_changes(body: Mapping[str, Any]) -> ServiceChanges:
    """Validate the writable fields of a Service body; raise a 422 listing every bad one."""
    values: dict[str, Any] = {}
    cleared: set[str] = set()
    invalid: list[FieldViolation] = []
    for key, value in body.items():
        name = _WRITABLE.get(str(key).lower())
        if name is None:
            continue
        if value is None:
            cleared.add(name)
            continue
        problem, result = _service_value(name, value)
        if problem:
            invalid.append(FieldViolation(name, problem))
        elif result is None:
            cleared.add(name)
        else:
            values[name] = result
    if invalid:
        raise ApiProblemError(422, "Some fields have invalid values.", invalid)
    return ServiceChanges(values=values, cleared=frozenset(cleared))


def _service_value(name: str, value: Any) -> tuple[str, Any]:
    """(problem, value) for one field; an empty optional text comes back as None (unset)."""
    if name == "name":
        if not isinstance(value, str) or not value.strip():
            return "name must be text that is not empty.", None
        if len(value.strip()) > SERVICE_NAME_MAX:
            return f"name is longer than {SERVICE_NAME_MAX} characters.", None
        return "", value.strip()
    if name in _BOOLEAN_FIELDS:
        flag = as_bool(value)
        return ("", flag) if flag is not None else (f"{name} must be true or false.", None)
    if name == "numberOfRetries":
        return _bounded(name, value, MAX_RETRIES_RANGE)
    if name == "retryDelaySeconds":
        return _bounded(name, value, RETRY_DELAY_RANGE)
    choices = {
        "webhookContentType": CALLBACK_CONTENT_TYPES,
        "imageConversionMethod": IMAGE_CONVERSION_METHODS,
        "resolution": RESOLUTIONS,
    }.get(name)
    if choices is not None:
        choice = as_choice(value, choices)
        if choice is None:
            return f"{name} must be one of {', '.join(choices)}.", None
        return "", choice
    # The optional text fields: "" clears them, like null.
    if not isinstance(value, str):
        return f"{name} must be text.", None
    text = value.strip()
    if not text:
        return "", None
    if name == "incomingWebhookUrl" and not is_http_url(text):
        return f"{text!r} is not an http(s) URL.", None
    if name == "defaultFrom" and not E164_RE.fullmatch(text):
        return not_e164(name, text), None
    return "", text


def _bounded(name: str, value: Any, bounds: tuple[int, int]) -> tuple[str, Any]:
    number = as_int(value)
    low, high = bounds
    if number is None or not low <= number <= high:
        return f"{name} must be a whole number from {low} to {high}.", None
    return "", number


def new_service(
    *, service_id: str, project_id: str, now: str, changes: ServiceChanges
) -> dict[str, Any]:
    """The stored Service object created from `changes` at `now` (a `format_time` string)."""
    service: dict[str, Any] = {"id": service_id, **SERVICE_DEFAULTS, **changes.values}
    service.update({"projectId": project_id, "createdAt": now, "updatedAt": now})
    return service


def updated_service(stored: Mapping[str, Any], changes: ServiceChanges, now: str) -> dict[str, Any]:
    """`stored` with `changes` merged in, updated at `now`."""
    service = dict(stored)
    for name in changes.cleared:
        service.pop(name, None)
        if name in SERVICE_DEFAULTS:
            service[name] = SERVICE_DEFAULTS[name]
    for name, value in changes.values.items():
        if (
            name == "incomingWebhookUrl"
            and "incomingWebhookUrl" in stored
            and value == mask_url(stored["incomingWebhookUrl"])
        ):
            # A client writing back the masked URL it was shown keeps the stored credentials.
            continue
        service[name] = value
    service["updatedAt"] = now
    return service


def service_view(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The Service object as the API answers it: webhook credentials masked."""
    service = dict(stored)
    if "incomingWebhookUrl" in service:
        service["incomingWebhookUrl"] = mask_url(service["incomingWebhookUrl"])
    return service


# -- cover pages -----------------------------------------------------------------------------


def read_cover_page(body: Mapping[str, Any]) -> CoverPageUpload:
    """Validate an add-cover-page body: a name and a base64 PDF that opens."""
    name = _find(body, "name")
    file = _find(body, "file")
    missing = []
    if name is None:
        missing.append(FieldViolation("name", "name is required."))
    if file is None:
        missing.append(FieldViolation("file", "file is required."))
    elif isinstance(file, dict) and _find(file, "fileContent") is None:
        missing.append(FieldViolation("file.fileContent", "file.fileContent is required."))
    if missing:
        raise ApiProblemError(400, "The cover page needs a name and a file.", missing)

    invalid = []
    if not isinstance(name, str) or not name.strip():
        invalid.append(FieldViolation("name", "name must be text that is not empty."))
    pdf = b""
    if not isinstance(file, dict):
        invalid.append(FieldViolation("file", "file must be {fileContent, fileType}."))
    else:
        file_type = _find(file, "fileType")
        if file_type is not None and as_choice(file_type, (COVER_PAGE_FILE_TYPE,)) is None:
            invalid.append(FieldViolation("file.fileType", "Only PDF cover pages are supported."))
        problem, pdf = _cover_pdf(_find(file, "fileContent"))
        if problem:
            invalid.append(FieldViolation("file.fileContent", problem))
    if invalid:
        raise ApiProblemError(422, "The cover page is not valid.", invalid)
    assert isinstance(name, str)
    return CoverPageUpload(name=name.strip(), pdf=pdf)


def _cover_pdf(content: Any) -> tuple[str, bytes]:
    if not isinstance(content, str):
        return "fileContent must be base64 text.", b""
    try:
        # Line-wrapped base64 (MIME style) is common; the line breaks carry nothing.
        data = base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        return "fileContent is not valid base64.", b""
    if b"%PDF-" not in data[:1024]:
        return "fileContent is not a PDF.", b""
    try:
        count_pages(data, "The cover page")
    except DocumentError as exc:
        return str(exc), b""
    return "", data


def new_cover_page(
    *, cover_page_id: str, name: str, service: Mapping[str, Any], now: str
) -> dict[str, Any]:
    """The stored CoverPage object (its PDF is kept apart, see `cover_page_view`)."""
    return {
        "id": cover_page_id,
        "name": name,
        "file": {"fileType": COVER_PAGE_FILE_TYPE},
        "projectId": service["projectId"],
        "serviceId": service["id"],
        "createdTime": now,
        "updatedTime": now,
    }


def cover_page_view(stored: Mapping[str, Any], pdf: bytes | None) -> dict[str, Any]:
    """The CoverPage object as answered; with `pdf`, `file.fileContent` carries it (base64)."""
    cover_page = dict(stored)
    file = {"fileType": COVER_PAGE_FILE_TYPE}
    if pdf is not None:
        file = {"fileContent": base64.b64encode(pdf).decode("ascii"), **file}
    cover_page["file"] = file
    return cover_page


def _find(body: Mapping[str, Any], name: str) -> Any:
    for key, value in body.items():
        if str(key).lower() == name.lower():
            return value
    return None
