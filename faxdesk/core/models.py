"""Domain values shared by every layer: faxes, send requests, list queries, fax services
and their cover pages.

Pure Python and immutable. Nothing here knows about HTTP, Qt, SQLite or PDF libraries; the wire
format lives in `faxdesk.api.wire` and the sandbox, the storage format in `faxdesk.store`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

#: The number Sinch reserves for test faxes: it behaves like a real fax machine without a charge.
TEST_NUMBER = "+19898989898"


class _TolerantStrEnum(enum.StrEnum):
    """A wire enum that keeps values it does not know instead of failing.

    The service adds enum values over time; an unknown one must not crash a list of faxes.
    """

    @classmethod
    def _missing_(cls, value: object) -> _TolerantStrEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member


class FaxStatus(_TolerantStrEnum):
    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILURE = "FAILURE"

    @property
    def is_final(self) -> bool:
        return self in (FaxStatus.COMPLETED, FaxStatus.FAILURE)


class Direction(_TolerantStrEnum):
    OUTBOUND = "OUTBOUND"
    INBOUND = "INBOUND"


class ErrorType(_TolerantStrEnum):
    DOCUMENT_CONVERSION_ERROR = "DOCUMENT_CONVERSION_ERROR"
    CALL_ERROR = "CALL_ERROR"
    FAX_ERROR = "FAX_ERROR"
    FATAL_ERROR = "FATAL_ERROR"
    GENERAL_ERROR = "GENERAL_ERROR"
    LINE_ERROR = "LINE_ERROR"


class ImageConversionMethod(_TolerantStrEnum):
    HALFTONE = "HALFTONE"
    MONOCHROME = "MONOCHROME"


class Resolution(_TolerantStrEnum):
    FINE = "FINE"
    SUPERFINE = "SUPERFINE"


@dataclass(frozen=True, slots=True)
class Money:
    """A price as the service states it; `amount` is kept as the decimal string it sent."""

    amount: str
    currency_code: str

    def __str__(self) -> str:
        """As people read it: "0.1400" USD is "0.14 USD"; an unreadable amount passes through."""
        try:
            value = Decimal(self.amount)
        except InvalidOperation:
            return f"{self.amount} {self.currency_code}".strip()
        # Keep sub-cent precision only where the service actually charged it.
        exponent = value.normalize().as_tuple().exponent
        places = max(2, -exponent) if isinstance(exponent, int) else 2
        return f"{value:.{places}f} {self.currency_code}".strip()


@dataclass(frozen=True, slots=True)
class Fax:
    """One fax as the service describes it (one recipient; a multi-recipient send is many Faxes).

    `extra` keeps fields this version does not model, so nothing the service says is lost.
    """

    id: str
    direction: Direction
    status: FaxStatus
    to: str = ""
    from_: str = ""
    create_time: datetime | None = None
    completed_time: datetime | None = None
    number_of_pages: int = 0
    pages_sent_successfully: int = 0
    price: Money | None = None
    has_file: bool = False
    content_urls: tuple[str, ...] = ()
    header_text: str = ""
    header_page_numbers: bool | None = None
    header_time_zone: str = ""
    retry_delay_seconds: int | None = None
    max_retries: int | None = None
    retry_count: int = 0
    resolution: Resolution | None = None
    image_conversion_method: ImageConversionMethod | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    callback_url: str = ""
    error_type: ErrorType | None = None
    error_code: int | None = None
    error_message: str = ""
    project_id: str = ""
    service_id: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Document:
    """A file the user wants to fax: a local path and the media type it is sent as."""

    path: Path
    media_type: str = "application/pdf"

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class SendRequest:
    """Everything needed to send one fax to one or more recipients.

    `to` holds E.164 numbers. Options left as None (or empty maps) are not sent, so the
    service's (or the service record's) defaults apply. `callback_url_content_type` is
    "multipart/form-data" or "application/json"; `cover_page_data` fills the `{{tags}}` of the
    cover page `cover_page_id` names, with lower-case keys.
    """

    to: tuple[str, ...]
    documents: tuple[Document, ...] = ()
    content_urls: tuple[str, ...] = ()
    from_: str | None = None
    header_text: str | None = None
    header_page_numbers: bool | None = None
    header_time_zone: str | None = None
    retry_delay_seconds: int | None = None
    max_retries: int | None = None
    resolution: Resolution | None = None
    image_conversion_method: ImageConversionMethod | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    callback_url: str | None = None
    service_id: str | None = None
    callback_url_content_type: str | None = None
    cover_page_id: str | None = None
    cover_page_data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Service:
    """A fax service: the settings a project's faxes default to, and where inbound ones go.

    A value the service left out reads as the default the service documents. `extra` keeps
    fields this version does not model.
    """

    id: str
    name: str = ""
    default_for_project: bool = False
    default_from: str = ""
    incoming_webhook_url: str = ""
    webhook_content_type: str = ""
    number_of_retries: int | None = None
    retry_delay_seconds: int | None = None
    image_conversion_method: ImageConversionMethod | None = None
    resolution: Resolution | None = None
    cover_page_id: str = ""
    save_outbound_fax_documents: bool = True
    save_inbound_fax_documents: bool = True
    scan_incoming_barcodes: bool = False
    in_progress_notifications: bool = False
    project_id: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ServiceNumber:
    """A phone number of a fax service: what its faxes can be sent from and received on.

    `permissions` is "both", "send" or "receive" (newer values kept as sent); a `suspended`
    number sends and receives nothing, and `note` may say why.
    """

    phone_number: str
    permissions: str = "both"
    country: str = ""
    suspended: bool = False
    note: str = ""
    service_id: str = ""
    project_id: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def can_send(self) -> bool:
        return not self.suspended and self.permissions != "receive"


@dataclass(frozen=True, slots=True)
class CoverPage:
    """A PDF template the service puts in front of outbound faxes of one service.

    `pdf` holds the decoded file; it is empty when the answer carried no file (lists may leave
    it out). It is kept out of the repr, which would otherwise print the whole document.
    """

    id: str
    name: str = ""
    service_id: str = ""
    project_id: str = ""
    created_time: datetime | None = None
    updated_time: datetime | None = None
    pdf: bytes = field(default=b"", repr=False)
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FaxQuery:
    """Server-side filters for the list endpoint; None means "no filter".

    The service returns only the prior week when none of `created_after`, `created_before` and
    `created` is set: callers that want older faxes must pass a range or a period. `created` is
    the service's own `createTime` filter, sent as given: a year (`2026`), a month (`2026-03`),
    a day (`2026-03-01`) or a UTC time (`2026-03-01T14:00:00Z`, meaning "after").
    """

    direction: Direction | None = None
    status: FaxStatus | None = None
    to_prefix: str | None = None
    from_prefix: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    service_id: str | None = None
    page_size: int = 100
    created: str | None = None


@dataclass(frozen=True, slots=True)
class FaxPage:
    """One page of list results; pages are numbered from 1."""

    faxes: tuple[Fax, ...]
    page: int
    page_size: int
    total_items: int
    total_pages: int

    @property
    def has_more(self) -> bool:
        return self.page < self.total_pages


class SortColumn(enum.StrEnum):
    """What the fax list can be sorted by (the archive sorts, so every cached fax takes part)."""

    TIME = "time"
    DIRECTION = "direction"
    FROM = "from"
    TO = "to"
    CONTACT = "contact"
    NUMBER = "number"
    PAGES = "pages"
    STATUS = "status"
    REASON = "reason"
    PRICE = "price"
    LABELS = "labels"
    HANDLED = "handled"


@dataclass(frozen=True, slots=True)
class ListFilter:
    """What the fax list shows: the service's own filters plus a quick search of cached faxes.

    `search` that reads as a phone number matches the digits of either number; other text
    matches the contact name of the other party, a label (key or value), the note or the id.
    `number_prefixes` (E.164, "+" included) also match the start of either number, for
    number fragments typed in the user's national format.
    `created_after` is inclusive, `created_before` exclusive. Rows are ordered by `sort` then
    by time and id, all in the same direction.
    """

    direction: Direction | None = None
    status: FaxStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    service_id: str | None = None
    search: str = ""
    number_prefixes: tuple[str, ...] = ()
    sort: SortColumn = SortColumn.TIME
    descending: bool = True
