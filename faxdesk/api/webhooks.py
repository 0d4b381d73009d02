"""Reading the webhooks the fax service posts: INCOMING_FAX and FAX_COMPLETED.

`parse_webhook` turns one request body and its Content-Type into a `WebhookEvent`, from either
encoding the service uses: multipart/form-data (`event`, `eventTime`, `fax` as JSON text and a
`file` PDF part) or application/json (the fax as an object, the PDF base64-encoded as `file` +
`fileType` or as `files: [{file, fileType}]`; both shapes are read on both events). Anything
unreadable raises `WebhookError` with a message saying what is wrong; no other exception leaves
this module for a bad body. It does no I/O and applies no size limit: the receiver that reads
the request decides how much it accepts, and answers the service.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import errors as email_errors
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value
from typing import Any

from faxdesk.api.wire import fax_from_wire, parse_timestamp
from faxdesk.core.errors import WebhookError
from faxdesk.core.models import Direction, Fax

INCOMING_FAX = "INCOMING_FAX"
FAX_COMPLETED = "FAX_COMPLETED"

#: The encodings the service posts webhooks in (the service's `webhookContentType` and the
#: send's `callbackUrlContentType`).
WEBHOOK_CONTENT_TYPES = ("multipart/form-data", "application/json")

#: PDF readers accept the `%PDF-` header anywhere in the first kilobyte; so does this check.
_PDF_MAGIC = b"%PDF-"
_PDF_HEADER_WINDOW = 1024

#: Defects the stdlib parser records when the body does not hold the parts its header promises.
_BROKEN_MULTIPART = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
)


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One webhook the service posted.

    Attributes:
        event: `INCOMING_FAX`, `FAX_COMPLETED`, or a newer event name, kept as sent.
        event_time: when the service says the event happened (aware UTC), None if unreadable.
        fax: the fax the event is about.
        pdf: the fax document, None when the webhook carried none (the service's documents
            may be switched off, and a failed send has nothing to show). Left out of the repr.
        file_type: the type the service declared for `pdf` (`PDF`), "" when there is no file.
        filename: the file name a multipart webhook gave its file part, "" otherwise.
    """

    event: str
    event_time: datetime | None
    fax: Fax
    pdf: bytes | None = field(default=None, repr=False)
    file_type: str = ""
    filename: str = ""


def parse_webhook(content_type: str, body: bytes) -> WebhookEvent:
    """Read one webhook request from its Content-Type header value and raw body.

    Raises `WebhookError` for a content type other than multipart/form-data or JSON, a body
    that does not parse, a missing `event` or `fax`, a file that is not valid base64, and a
    file that is not a PDF.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        return _from_multipart(content_type, body)
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return _from_json(body)
    # The header is the sender's text: show a short, printable part of it.
    shown = "".join(ch for ch in media_type[:60] if ch.isprintable()) or "no content type"
    raise WebhookError(
        f"A fax webhook must be multipart/form-data or application/json, not {shown}."
    )


# --- application/json ------------------------------------------------------------------------


def _from_json(body: bytes) -> WebhookEvent:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        raise WebhookError("The webhook body is not valid JSON.") from None
    if not isinstance(data, Mapping):
        raise WebhookError("The webhook body is JSON but not an object.")
    event = _event(_get(data, "event"))
    fax = _fax(_get(data, "fax"), event)
    pdf, file_type = _json_file(data)
    return WebhookEvent(
        event=event,
        event_time=parse_timestamp(_get(data, "eventTime")),
        fax=fax,
        pdf=pdf,
        file_type=file_type,
    )


def _json_file(data: Mapping[str, Any]) -> tuple[bytes | None, str]:
    """The first PDF among `files[]` and `file`, decoded; (None, "") when there is none."""
    candidates: list[Mapping[str, Any]] = []
    listed = _get(data, "files")
    if isinstance(listed, Mapping):
        candidates.append(listed)
    elif isinstance(listed, Sequence) and not isinstance(listed, str):
        if any(not isinstance(item, Mapping) for item in listed):
            raise WebhookError(
                "The webhook's files must be objects with `file` and `fileType`, not bare values."
            )
        candidates.extend(listed)
    elif listed is not None:
        raise WebhookError("The webhook's files are neither a list nor a file object.")
    single = _get(data, "file")
    if single is not None:
        candidates.append({"file": single, "fileType": _get(data, "fileType")})
    present = [item for item in candidates if _get(item, "file") not in (None, "")]
    if not present:
        return None, ""
    chosen = next((item for item in present if _declared_type(item) == "PDF"), present[0])
    content = _get(chosen, "file")
    if not isinstance(content, str):
        raise WebhookError("The webhook's file is not base64 text.")
    try:
        # Line breaks are allowed (some encoders wrap at 76 characters); nothing else is.
        pdf = base64.b64decode("".join(content.split()), validate=True)
    except ValueError:  # binascii.Error, or characters outside ASCII
        raise WebhookError("The webhook's file is not valid base64.") from None
    _check_pdf(pdf)
    return pdf, _declared_type(chosen)


def _declared_type(item: Mapping[str, Any]) -> str:
    # An undeclared type is taken as PDF, the only type the service posts.
    declared = _get(item, "fileType")
    return declared.strip().upper() if isinstance(declared, str) and declared.strip() else "PDF"


# --- multipart/form-data ---------------------------------------------------------------------


def _from_multipart(content_type: str, body: bytes) -> WebhookEvent:
    if "\r" in content_type or "\n" in content_type:
        raise WebhookError("The webhook's Content-Type header is malformed.")
    # The stdlib MIME parser reads form data once it is given the header the body came with.
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode(errors="replace")
    message = BytesParser().parsebytes(head + body)
    if not message.get_boundary():
        raise WebhookError("The multipart webhook names no boundary in its Content-Type.")
    if not message.is_multipart() or any(
        isinstance(defect, _BROKEN_MULTIPART) for defect in message.defects
    ):
        raise WebhookError(
            "The multipart webhook body is cut short or does not use the boundary its "
            "Content-Type names."
        )
    parts: dict[str, Message] = {}
    for part in message.get_payload():
        if isinstance(part, Message) and not part.is_multipart():
            name = _part_name(part)
            if name:
                parts.setdefault(name.lower(), part)

    event = _event(_part_text(parts.get("event")))
    fax_part = parts.get("fax")
    fax_value: Any = None
    if fax_part is not None:
        fax_value = _part_bytes(fax_part)
    fax = _fax(fax_value, event)
    event_time = parse_timestamp(_part_text(parts.get("eventtime")))

    pdf: bytes | None = None
    file_type = ""
    filename = ""
    file_part = parts.get("file")
    if file_part is not None:
        content = _part_bytes(file_part)
        if content:
            _check_pdf(content)
            pdf = content
            file_type = "PDF"
            filename = _part_filename(file_part)
    return WebhookEvent(
        event=event,
        event_time=event_time,
        fax=fax,
        pdf=pdf,
        file_type=file_type,
        filename=filename,
    )


def _part_name(part: Message) -> str:
    value = part.get_param("name", header="content-disposition")
    if value is None:
        return ""
    return collapse_rfc2231_value(value).strip()


def _part_filename(part: Message) -> str:
    value = part.get_filename()
    return value.strip() if isinstance(value, str) else ""


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message | None) -> str | None:
    """A text part's value; a part declared as JSON (`"INCOMING_FAX"`) is unquoted."""
    if part is None:
        return None
    text = _part_bytes(part).decode("utf-8", errors="replace").strip()
    if text.startswith('"'):
        try:
            loaded = json.loads(text)
        except ValueError:
            return text
        return loaded if isinstance(loaded, str) else text
    return text


# --- shared ----------------------------------------------------------------------------------


def _event(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WebhookError("The webhook does not say which event it reports (no `event`).")
    return value.strip()


def _fax(value: Any, event: str) -> Fax:
    """The fax of the webhook, from an object or from JSON text (bytes in multipart)."""
    if value is None or value in ("", b""):
        raise WebhookError("The webhook carries no fax.")
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise WebhookError("The webhook's fax is not valid JSON.") from None
    if not isinstance(value, Mapping):
        raise WebhookError("The webhook's fax is not a JSON object.")
    if not isinstance(value.get("id"), str) or not value["id"].strip():
        raise WebhookError("The webhook's fax has no id.")
    data = dict(value)
    if event == INCOMING_FAX and not data.get("direction"):
        # An incoming fax is inbound even when the service leaves that out.
        data["direction"] = Direction.INBOUND.value
    return fax_from_wire(data)


def _check_pdf(content: bytes) -> None:
    if _PDF_MAGIC not in content[:_PDF_HEADER_WINDOW]:
        raise WebhookError("The webhook's file is not a PDF (it has no %PDF- header).")


def _get(data: Mapping[str, Any], name: str) -> Any:
    """`data[name]`, matching the key without regard to case (`fileType`, `FileType`)."""
    if name in data:
        return data[name]
    lowered = name.lower()
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return None
