"""Typed user settings, saved atomically as JSON with a schema version.

Settings hold no secrets: the key secret lives in the OS keyring (`faxdesk.config.secrets`).
Unknown keys in the file are ignored and missing ones take their defaults, so an older or newer
file never stops the program from starting.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import logging
import os
import tempfile
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from faxdesk.core.models import ImageConversionMethod, Resolution

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

log = logging.getLogger(__name__)

T = TypeVar("T", bound="DataclassInstance")

SCHEMA_VERSION = 1
DEFAULT_API_URL = "https://fax.api.sinch.com"
DEFAULT_AUTH_URL = "https://auth.sinch.com"


class AuthMethod(enum.StrEnum):
    BASIC = "basic"
    OAUTH2 = "oauth2"


@dataclass(frozen=True, slots=True)
class Account:
    """A real Sinch project. An account with no project id means "use the built-in sandbox"."""

    project_id: str = ""
    key_id: str = ""
    auth_method: AuthMethod = AuthMethod.OAUTH2
    api_url: str = DEFAULT_API_URL
    auth_url: str = DEFAULT_AUTH_URL

    @property
    def is_configured(self) -> bool:
        return bool(self.project_id and self.key_id)


class PaperSize(enum.StrEnum):
    """The paper faxes are laid out on: what the recipient's machine prints on."""

    LETTER = "letter"
    A4 = "a4"


def _bounded(default: float | None, low: int, high: int) -> Any:
    """A setting that must lie in [low, high]; a value outside falls back to `default`."""
    return field(default=default, metadata={"range": (low, high)})


@dataclass(frozen=True, slots=True)
class SendingDefaults:
    """The options a new fax starts with in the composer.

    None, or "" for text, leaves the choice to the fax service: the defaults of the service
    the fax goes through, or Sinch's own. The ranges are the service's limits.
    """

    service_id: str = ""
    from_number: str = ""
    resolution: Resolution | None = None
    image_conversion_method: ImageConversionMethod | None = None
    header_text: str = field(default="", metadata={"max_length": 50})
    header_page_numbers: bool = True
    header_time_zone: str = ""
    max_retries: int | None = _bounded(None, 0, 5)
    retry_delay_seconds: int | None = _bounded(None, 30, 300)


#: The service keeps faxes 13 months; the first sync can fetch that much, and no more.
MAX_HISTORY_DAYS = 396


@dataclass(frozen=True, slots=True)
class WebhookListener:
    """The optional listener the fax service posts INCOMING_FAX and FAX_COMPLETED to.

    The service must be able to reach it (a public address, a port forward or a tunnel), and
    it answers only requests with Basic auth: `username` and the password kept in the
    keyring. Off by default: polling alone receives every fax.
    """

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = _bounded(8470, 1, 65535)
    path: str = "/faxdesk/webhook"
    username: str = "faxdesk"
    #: Larger bodies are refused (a fax of a few hundred pages is well under this).
    max_body_mb: int = _bounded(40, 1, 500)


@dataclass(frozen=True, slots=True)
class Receiving:
    """How the archive keeps in step with the service, and what happens when a fax arrives."""

    #: Seconds between checks for new faxes and changes; a webhook makes it immediate.
    poll_interval: float = _bounded(30.0, 5, 3600)
    #: Days of faxes the first sync fetches (the service keeps 13 months).
    history_days: int = _bounded(90, 1, MAX_HISTORY_DAYS)
    #: Where received PDFs are written; "" is FaxDesk's own data folder. Desks may share it.
    folder: str = ""
    #: File names of received PDFs (fields: see faxdesk.services.folders.PATTERN_FIELDS).
    file_pattern: str = "{date}_{time}_{sender}_{id}.pdf"
    #: Also copy each new fax into this folder; "" is off.
    copy_folder: str = ""
    #: Say so in the system tray when a fax arrives.
    notify: bool = True
    #: "" for silence, "beep" for the system's sound, or the path of a WAV file to play.
    sound: str = ""
    #: Print each new fax on `printer` ("" is the system's default printer).
    auto_print: bool = False
    printer: str = ""
    #: Closing the window leaves FaxDesk in the system tray, receiving.
    keep_running_in_tray: bool = True
    #: Delete this computer's copies of received / sent faxes older than this many days;
    #: 0 keeps them. The service keeps its own copy for 13 months either way.
    keep_inbound_days: int = _bounded(0, 0, 3650)
    keep_outbound_days: int = _bounded(0, 0, 3650)
    webhook: WebhookListener = field(default_factory=WebhookListener)


@dataclass(frozen=True, slots=True)
class Settings:
    account: Account = field(default_factory=Account)
    #: The country numbers typed without a country code belong to (ISO 3166 code, "US").
    default_region: str = "US"
    #: Show the whole fax, its page count and recipients once more before it is sent.
    confirm_before_send: bool = True
    paper_size: PaperSize = PaperSize.LETTER
    #: The most pages one fax may have, its cover page included; checked before upload.
    max_pages: int = _bounded(100, 1, 2000)
    #: The most megabytes of documents one fax may upload; checked before upload.
    max_upload_mb: int = _bounded(20, 1, 500)
    sending: SendingDefaults = field(default_factory=SendingDefaults)
    #: Seconds between list refreshes while the window is open.
    refresh_interval: float = 15.0
    #: Seconds between status checks of faxes that are still queued or in progress.
    tracking_interval: float = 1.0
    theme: str = "auto"
    receiving: Receiving = field(default_factory=Receiving)
    #: Seconds a fax waits after Send before it goes out, so it can still be undone; 0 is off.
    undo_send_seconds: float = _bounded(0.0, 0, 60)

    @property
    def uses_sandbox(self) -> bool:
        return not self.account.is_configured


@functools.cache
def _field_types(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(kind: Any, raw: object) -> object:
    """`raw` from JSON as a value of type `kind`; raises ValueError when it is not one."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        if raw is None:
            return None
        (kind,) = options
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        # The wire enums keep unknown values; a setting must be one FaxDesk knows.
        if raw not in {member.value for member in kind}:
            raise ValueError(raw)
        return kind(raw)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        raise ValueError(raw)
    if kind in (int, float, str):
        # JSON gives "7" or 7 for a number typed by hand; a bool is never a number here.
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ValueError(raw)
        if kind is int and isinstance(raw, float) and not raw.is_integer():
            raise ValueError(raw)
        return kind(raw)
    raise ValueError(raw)


def _from_dict(cls: type[T], data: object) -> T:
    """Build dataclass `cls` from a JSON object, keeping defaults for missing or bad values."""
    if not isinstance(data, dict):
        return cls()
    values: dict[str, Any] = {}
    hints = _field_types(cls)
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        raw = data[f.name]
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            values[f.name] = _from_dict(kind, raw)  # type: ignore[arg-type]
            continue
        try:
            value = _convert(kind, raw)
        except (ValueError, TypeError):
            log.warning("Ignoring bad value %r for setting %s", raw, f.name)
            continue
        low, high = f.metadata.get("range", (None, None))
        if isinstance(value, int | float) and low is not None and not low <= value <= high:
            log.warning("Ignoring out-of-range value %r for setting %s", raw, f.name)
            continue
        limit = f.metadata.get("max_length")
        if isinstance(value, str) and limit is not None and len(value) > limit:
            log.warning("Ignoring over-long value for setting %s", f.name)
            continue
        values[f.name] = value
    return cls(**values)


def load(path: Path) -> Settings:
    """Read settings from `path`; a missing or unreadable file gives the defaults."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        log.warning("Settings file %s is not valid JSON; using defaults", path)
        return Settings()
    return _from_dict(Settings, data)


def save(settings: Settings, path: Path) -> None:
    """Write settings atomically: a crash mid-write leaves the previous file intact."""
    data = {"schemaVersion": SCHEMA_VERSION, **dataclasses.asdict(settings)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
