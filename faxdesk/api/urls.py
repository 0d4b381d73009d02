"""Checking the service addresses FaxDesk is configured with, before any request is built.

A base URL or auth URL comes from settings, the environment or a flag, so it may be anything; a
bad one must fail once, in words that name it, rather than as a confusing 404 or a request sent
to the wrong place. This module builds no requests and knows nothing about fax endpoints.
"""

from __future__ import annotations

import httpx

from faxdesk.core.errors import ConfigError


def service_root(url: str, what: str) -> str:
    """`url` as the root of a service (no trailing slash), or `ConfigError` saying what is wrong.

    A root is an http(s) address with a host and at most a path: a query or fragment would end
    up in the middle of every request URL.
    """
    root = url.strip().rstrip("/")
    try:
        parsed = httpx.URL(root)
    except httpx.InvalidURL:
        raise ConfigError(f"The {what} address {_shown(root)!r} is not a valid URL.") from None
    if parsed.userinfo:
        # Never echoed: the part before '@' may be a password.
        raise ConfigError(
            f"The {what} address must not carry a user name or password; FaxDesk signs in "
            "with the access key."
        )
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"The {what} address {root!r} must start with https:// (or http://).")
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if port is not None and not 0 < port < 65536:
        raise ConfigError(
            f"The {what} address {_shown(root)!r} names a port that does not exist (1 to 65535)."
        )
    if parsed.query or parsed.fragment or "?" in root or "#" in root:
        raise ConfigError(
            f"The {what} address {root!r} must not have a query (?) or fragment (#) part."
        )
    return root


def _shown(url: str) -> str:
    """`url` without anything before an '@', which may be a password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
