"""Typed user settings, saved atomically as JSON with a schema version.

Settings hold no secrets: the key secret lives in the OS keyring (`faxdesk.config.secrets`).
Unknown keys in the file are ignored and missing ones take their defaults, so an older or newer
file never stops the program from starting.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

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


@dataclass(frozen=True, slots=True)
class Settings:
    account: Account = field(default_factory=Account)
    default_region: str = "US"
    #: Seconds between list refreshes while the window is open.
    refresh_interval: float = 15.0
    #: Seconds between status checks of faxes that are still queued or in progress.
    tracking_interval: float = 1.0
    theme: str = "auto"
    #: Seconds a fax waits after Send before it goes out, so it can still be undone; 0 is off.
    undo_send_seconds: float = 0.0

    @property
    def uses_sandbox(self) -> bool:
        return not self.account.is_configured


def _from_dict(cls: type[T], data: object) -> T:
    """Build dataclass `cls` from a JSON object, keeping defaults for missing or bad values."""
    if not isinstance(data, dict):
        return cls()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        raw = data[f.name]
        default = getattr(cls(), f.name)
        if dataclasses.is_dataclass(default) and not isinstance(default, type):
            values[f.name] = _from_dict(type(default), raw)
        elif isinstance(default, enum.Enum):
            try:
                values[f.name] = type(default)(raw)
            except ValueError:
                log.warning("Ignoring unknown value %r for setting %s", raw, f.name)
        elif isinstance(default, bool) or not isinstance(default, int | float | str):
            if isinstance(raw, type(default)):
                values[f.name] = raw
        elif isinstance(raw, int | float | str) and not isinstance(raw, bool):
            try:
                values[f.name] = type(default)(raw)
            except ValueError:
                log.warning("Ignoring bad value %r for setting %s", raw, f.name)
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
