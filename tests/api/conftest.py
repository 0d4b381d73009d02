"""Fixtures for the API client tests: clients on `httpx.MockTransport` and small input files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient
from faxdesk.api.retries import NO_RETRIES, RetryPolicy
from tests.api.apitest_support import BASE_URL, KEY_ID, KEY_SECRET, PROJECT_ID, Handler, MakeClient


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """A factory for `FaxApiClient`s on a MockTransport; their httpx clients are closed after.

    They do not retry unless given a `retry` policy, so each test sees every request it caused.
    A `transport` replaces the MockTransport (and `handler` is then unused).
    """
    opened: list[httpx.AsyncClient] = []

    def make(
        handler: Handler,
        *,
        auth: httpx.Auth | None = None,
        retry: RetryPolicy = NO_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> FaxApiClient:
        http = httpx.AsyncClient(transport=transport or httpx.MockTransport(handler))
        opened.append(http)
        return FaxApiClient(
            http,
            base_url=BASE_URL,
            project_id=PROJECT_ID,
            auth=auth if auth is not None else BasicAuth(KEY_ID, KEY_SECRET),
            retry=retry,
        )

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
def pdf_files(tmp_path: Path) -> tuple[Path, Path]:
    first = tmp_path / "page one.pdf"
    first.write_bytes(b"%PDF-1.4\nfirst\x00\xff binary\n%%EOF\n")
    second = tmp_path / "scan.tif"
    second.write_bytes(b"II*\x00second")
    return first, second
