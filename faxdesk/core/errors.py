"""The one error hierarchy every layer raises and catches.

Messages are plain language for the person at the desk and never contain secrets. The API layer
maps HTTP answers onto these classes (`faxdesk.api.errors`); nothing above it sees status codes.
"""

from __future__ import annotations

from dataclasses import dataclass


class FaxDeskError(Exception):
    """Base class for every expected failure; `str(error)` is fit to show to the user."""


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


class ApiError(FaxDeskError):
    """The fax service answered with an error."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class AuthError(ApiError):
    """Wrong key id, key secret or project id, a key without access to the project, or an
    expired token that could not be renewed."""


class PaymentRequired(ApiError):
    """The account has no balance left."""


class NotFound(ApiError):
    """The fax, its content, the service or the cover page does not exist on the service."""


class InvalidRequest(ApiError):
    """The service rejected the request (as malformed, or as conflicting with the current state
    of what it names); `violations` names the fields it objected to."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        violations: tuple[FieldViolation, ...] = (),
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.violations = violations


class RateLimited(ApiError):
    """Too many requests; `retry_after` is the wait in seconds the service asked for, if any."""

    def __init__(
        self, message: str, *, status_code: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class ServerError(ApiError):
    """The service failed on its side (5xx); `retry_after` is the wait it asked for, if any."""

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class Offline(FaxDeskError):
    """The service could not be reached at all (no network, refused, DNS, TLS)."""


class RequestTimeout(Offline):
    """The service did not answer in time; for a send, the fax may or may not have been created."""


class ConnectionLost(Offline):
    """The connection broke after the request had started to go out; for a send, the fax may
    or may not have been created."""


class CertificateError(Offline):
    """The service's TLS certificate is not trusted by this computer; trying again cannot help
    until the certificate authority is installed (or the address is corrected)."""


class ValidationError(FaxDeskError):
    """Input the user gave is not acceptable; raised before any request is made."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DocumentError(FaxDeskError):
    """A document cannot be faxed (unreadable, empty, encrypted, unsupported)."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class StorageError(FaxDeskError):
    """A file on this computer could not be written (no such folder, no permission, disk full)."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ConfigError(FaxDeskError):
    """Settings are missing or unusable (for example no key secret for a real account)."""


class WebhookError(FaxDeskError):
    """A webhook request from the fax service could not be read (wrong type, broken body)."""
