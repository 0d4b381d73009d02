"""Who may call the sandbox: HTTP Basic with the configured key, or an OAuth2 bearer token.

`POST /oauth2/token` (client credentials, the client authenticated with Basic) hands out JWTs,
as the service does: the official SDKs read their `exp` claim to renew a token before it
expires (an opaque token would only be renewed after a refused request, which the SDKs cannot
always repeat). They are signed (HS256) with the key secret and carry a random `jti`; only their
SHA-256 digests are stored, with an expiry taken from the sandbox's clock. `check` sorts a
request's `Authorization` header into allowed, refused (401, empty body) or expired (401 whose
`WWW-Authenticate` says so, the signal clients refresh on). Expired tokens are remembered for a
day so they keep answering "expired" rather than "unknown". This module neither routes nor
builds responses (`app`, `problems`).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta

from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.state import SandboxState
from faxdesk.sandbox.wire import format_time

GRANT_TYPE = "client_credentials"
TOKEN_TYPE = "bearer"
#: How long an expired token is still recognised as one of ours (and answered "expired").
EXPIRED_TOKEN_MEMORY = timedelta(days=1)


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    EXPIRED = "expired"


def basic_matches(authorization: str, config: SandboxConfig) -> bool:
    """Whether an `Authorization` header is Basic with the configured key id and secret."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    # Only the first ":" separates: a secret may contain more.
    key_id, separator, secret = decoded.partition(":")
    id_matches = hmac.compare_digest(key_id.encode(), config.key_id.encode())
    secret_matches = hmac.compare_digest(secret.encode(), config.key_secret.encode())
    return bool(separator) and id_matches and secret_matches


def check(authorization: str, config: SandboxConfig, state: SandboxState, now: datetime) -> Verdict:
    """Decide on a request to the API (the project id is checked by the caller)."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "basic":
        return Verdict.ALLOWED if basic_matches(authorization, config) else Verdict.REFUSED
    if scheme.lower() != "bearer" or not credentials.strip():
        return Verdict.REFUSED
    expires_at = state.token_expiry(_digest(credentials.strip()))
    if expires_at is None:
        return Verdict.REFUSED
    # Both are `format_time` strings, which sort like the times they name.
    return Verdict.ALLOWED if format_time(now) < expires_at else Verdict.EXPIRED


def issue_token(
    state: SandboxState, now: datetime, lifetime_seconds: int, config: SandboxConfig
) -> str:
    """Create, remember and return a new bearer token valid for `lifetime_seconds` from `now`."""
    expires = now + timedelta(seconds=lifetime_seconds)
    token = _jwt(
        {
            "iss": "faxdesk-sandbox",
            "sub": config.key_id,
            "aud": config.project_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": secrets.token_urlsafe(24),
        },
        config.key_secret,
    )
    state.forget_tokens(expired_before=format_time(now - EXPIRED_TOKEN_MEMORY))
    state.add_token(_digest(token), format_time(expires))
    return token


def _jwt(claims: dict[str, object], secret: str) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = part(json.dumps(claims, separators=(",", ":")).encode())
    signed = f"{header}.{payload}"
    signature = hmac.new(secret.encode(), signed.encode("ascii"), hashlib.sha256).digest()
    return f"{signed}.{part(signature)}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
