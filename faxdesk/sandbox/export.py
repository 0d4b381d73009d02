"""The CSV export of `GET /faxes?format=csv`: one row per Fax object, columns as the service has.

The header row is the service's, word for word. Cells are plain text: numbers as digits,
booleans as `true`/`false`, absent values empty. Two fields hold several values: `Content Url`
joins the URLs with a space (a URL cannot contain one), `Labels` writes `key=value` pairs joined
with `;` in the order the labels were given, for a person reading the sheet (a label that itself
contains `=` or `;` reads ambiguously there; the JSON list is the exact record). Quoting follows
RFC 4180 through the csv module, lines end in CRLF; text UTF-8 cannot hold (a lone surrogate
an older sandbox stored) is written as U+FFFD. This module formats; which faxes to export is
decided by the query (`query`, `state`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from faxdesk.sandbox.problems import scrub

CSV_MEDIA_TYPE = "text/csv"


def _field(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda fax: fax.get(name)


def _currency(fax: Mapping[str, Any]) -> Any:
    price = fax.get("price")
    return price.get("currencyCode") if isinstance(price, Mapping) else None


#: (header, how to read the cell's value from a Fax object), in the service's column order.
COLUMNS: tuple[tuple[str, Callable[[Mapping[str, Any]], Any]], ...] = (
    ("Id", _field("id")),
    ("Direction", _field("direction")),
    ("From", _field("from")),
    ("To", _field("to")),
    ("Number Of Pages", _field("numberOfPages")),
    ("Status", _field("status")),
    ("Header Time Zone", _field("headerTimeZone")),
    ("Retry Delay Seconds", _field("retryDelaySeconds")),
    ("Resolution", _field("resolution")),
    ("Callback Url", _field("callbackUrl")),
    ("Callback Url Content Type", _field("callbackUrlContentType")),
    ("Error Type", _field("errorType")),
    ("Error Message", _field("errorMessage")),
    ("Error Code", _field("errorCode")),
    ("Project", _field("projectId")),
    ("Service", _field("serviceId")),
    ("Max Retries", _field("maxRetries")),
    ("Create Time", _field("createTime")),
    ("Header Text", _field("headerText")),
    ("Header Page Numbers", _field("headerPageNumbers")),
    ("Content Url", _field("contentUrl")),
    ("Labels", _field("labels")),
    ("Image Conversion Method", _field("imageConversionMethod")),
    ("Has File", _field("hasFile")),
    ("Currency Code", _currency),
    ("From Country", _field("fromCountry")),
    ("To Country", _field("toCountry")),
)


def export_filename(now: datetime) -> str:
    """`fax_logs_exp<milliseconds since the epoch>.csv`, the service's naming pattern."""
    return f"fax_logs_exp{int(now.timestamp() * 1000)}.csv"


def content_disposition(now: datetime) -> str:
    return f'attachment; filename="{export_filename(now)}"'


def faxes_to_csv(faxes: Iterable[Mapping[str, Any]]) -> str:
    """The export of `faxes`: the header row, then one row per fax in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header for header, _ in COLUMNS)
    for fax in faxes:
        writer.writerow(cell(read(fax)) for _, read in COLUMNS)
    return scrub(out.getvalue())


def cell(value: Any) -> str:
    """One value as the text of its cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return ";".join(f"{key}={cell(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return " ".join(cell(item) for item in value)
    return str(value)
