"""The Sinch Fax API v3 client: transport, wire format, credentials and error mapping.

This package is the only one that talks HTTP. It imports `faxdesk.core`, the standard library
and httpx, nothing else; what it hands upwards are core models and core errors, never httpx
objects or status numbers.
"""

from __future__ import annotations

from faxdesk.api.auth import BasicAuth, OAuth2ClientCredentials
from faxdesk.api.client import FaxApiClient, create_http_client

__all__ = ["BasicAuth", "FaxApiClient", "OAuth2ClientCredentials", "create_http_client"]
