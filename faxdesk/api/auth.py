"""Credentials for the Sinch Fax API as httpx authentication flows.

`BasicAuth` sends the access key on every request (Sinch documents it for testing, heavily rate
limited); `OAuth2ClientCredentials` trades the key for a bearer token, caches it, renews it before
it runs out, and renews it once more when the service says a token has expired. Neither object
ever shows the key secret: not in repr(), not in error messages. Token failures are mapped by
`faxdesk.api.errors`; this module does not interpret status codes of fax requests.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from base64 import b64encode
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

import httpx

from faxdesk.api.errors import token_error_from_response, unreadable_answer
from faxdesk.api.urls import service_root

DEFAULT_AUTH_BASE_URL = "https://auth.sinch.com"

#: Where, below the sign-in service's root, tokens are asked for.
TOKEN_PATH = "/oauth2/token"

#: Renew a token this many seconds before the service says it expires (as the SDKs do).
REFRESH_MARGIN_SECONDS = 60.0

#: Lifetime assumed when the token answer has no usable `expires_in` (Sinch: "one hour").
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600.0


def basic_authorization(key_id: str, key_secret: str) -> str:
    """The `Authorization` header value for HTTP Basic with the key id and secret.

    Encoded as UTF-8 so a secret may hold any character (':', '@', accents); only the first ':'
    separates id and secret, which is why the id itself must not contain one.
    """
    token = b64encode(f"{key_id}:{key_secret}".encode()).decode("ascii")
    return f"Basic {token}"


class BasicAuth(httpx.Auth):
    """HTTP Basic authentication with a Sinch access key (key id and key secret).

    Attributes:
        key_id: the access key id; the secret is kept only inside the prepared header.
    """

    def __init__(self, key_id: str, key_secret: str) -> None:
        self.key_id = key_id
        self._header = basic_authorization(key_id, key_secret)

    def __repr__(self) -> str:
        return f"BasicAuth(key_id={self.key_id!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class OAuth2ClientCredentials(httpx.Auth):
    """OAuth2 client-credentials bearer tokens from `POST {auth_base_url}/oauth2/token`.

    The token request goes through the same httpx client as the request it authorises. An
    asyncio.Lock makes concurrent requests wait for one token fetch instead of each fetching
    their own. On a 401 whose `WWW-Authenticate` mentions "expired", a new token is fetched and
    the request is sent once more: the service refused it before doing anything, so repeating
    even a send is safe. Async clients only.

    Attributes:
        key_id: the access key id.
        auth_base_url: the sign-in service root, "https://auth.sinch.com" unless overridden;
            given the token address itself (ending in /oauth2/token), its root.
    """

    # A streamed request body is read up front so the request can be sent a second time after
    # a refresh; in-memory bodies are replayable already.
    requires_request_body = True

    def __init__(
        self,
        key_id: str,
        key_secret: str,
        *,
        auth_base_url: str = DEFAULT_AUTH_BASE_URL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key_id = key_id
        root = service_root(auth_base_url, "sign-in service")
        # The token address itself (as Sinch's documentation shows it) names the same server.
        self.auth_base_url = root.removesuffix(TOKEN_PATH)
        self._basic_header = basic_authorization(key_id, key_secret)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def __repr__(self) -> str:
        return (
            f"OAuth2ClientCredentials(key_id={self.key_id!r}, auth_base_url={self.auth_base_url!r})"
        )

    @property
    def token_url(self) -> str:
        return f"{self.auth_base_url}{TOKEN_PATH}"

    def sync_auth_flow(
        self,
        request: httpx.Request,  # noqa: ARG002 - the signature httpx calls
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("OAuth2ClientCredentials works only with httpx.AsyncClient.")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # httpx honours `requires_request_body` only in the default flow we replace here. A
        # `ByteStream` body (FaxDesk's uploads are one) is in memory and can be sent again as it
        # is; reading it here would also run an upload's progress reports before a byte went out.
        if not isinstance(request.stream, httpx.ByteStream):
            await request.aread()
        token = self._cached_token()
        if token is None:
            async with self._lock:
                # Another request may have fetched one while this one waited for the lock.
                token = self._cached_token()
                if token is None:
                    token_response = yield self._token_request(request)
                    token = await self._accept_token(token_response)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request

        if response.status_code != 401 or not _says_expired(response):
            return
        async with self._lock:
            if self._token == token:
                # Only the first request to notice drops the token; later ones reuse the new one.
                self._token = None
            renewed = self._cached_token()
            if renewed is None:
                token_response = yield self._token_request(request)
                renewed = await self._accept_token(token_response)
        request.headers["Authorization"] = f"Bearer {renewed}"
        yield request

    def _cached_token(self) -> str | None:
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        return None

    def _token_request(self, original: httpx.Request) -> httpx.Request:
        headers = {"Authorization": self._basic_header, "Accept": "application/json"}
        user_agent = original.headers.get("User-Agent")
        if user_agent:
            headers["User-Agent"] = user_agent
        return httpx.Request(
            "POST",
            self.token_url,
            data={"grant_type": "client_credentials"},
            headers=headers,
        )

    async def _accept_token(self, response: httpx.Response) -> str:
        await response.aread()
        if not response.is_success:
            raise token_error_from_response(response)
        try:
            body: Any = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise unreadable_answer(response) from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise unreadable_answer(response)
        lifetime = _lifetime(body.get("expires_in"))
        # Renew a minute early; for a token shorter-lived than two minutes, at half its life,
        # so a short lifetime does not mean a new token for every request.
        early = min(REFRESH_MARGIN_SECONDS, lifetime / 2)
        self._token = token
        self._renew_at = self._clock() + lifetime - early
        return token


def _lifetime(value: Any) -> float:
    if isinstance(value, bool):
        return DEFAULT_TOKEN_LIFETIME_SECONDS
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            return DEFAULT_TOKEN_LIFETIME_SECONDS
    else:
        return DEFAULT_TOKEN_LIFETIME_SECONDS
    return seconds if math.isfinite(seconds) and seconds > 0 else DEFAULT_TOKEN_LIFETIME_SECONDS


def _says_expired(response: httpx.Response) -> bool:
    header = response.headers.get("WWW-Authenticate", "")
    return "expired" in header.lower()
