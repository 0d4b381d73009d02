"""Helpers for the sandbox tests: a settable clock, PDFs, sending and waiting for faxes.

Kept out of conftest so test modules can import these names directly.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pymupdf

from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.testing import LocalSandbox

TEST_NUMBER = "+19898989898"
OTHER_NUMBER = "+14155550123"


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def pdf_file(pages: int, title: str = "FaxDesk test page", name: str = "doc.pdf") -> tuple:
    """A `files=` entry for httpx: a real PDF of `pages` pages."""
    return ("file", (name, make_test_pdf(pages, title), "application/pdf"))


def page_titles(pdf: bytes) -> list[str]:
    """The first text line of each page (make_test_pdf writes its title there)."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return [page.get_text().splitlines()[0] for page in doc]


async def send(
    client: httpx.AsyncClient, to: str = TEST_NUMBER, pages: int = 1, **fields: Any
) -> dict[str, Any]:
    """Send one multipart fax and return the Fax object (asserting a 200)."""
    response = await client.post("faxes", data={"to": to, **fields}, files=[pdf_file(pages)])
    assert response.status_code == 200, response.text
    fax: dict[str, Any] = response.json()
    return fax


async def finished(local: LocalSandbox, client: httpx.AsyncClient, fax_id: str) -> dict[str, Any]:
    """Wait for the fax's lifecycle to end and return it as GET serves it."""
    await asyncio.wait_for(local.sandbox.simulator.wait(fax_id), 10)
    response = await client.get(f"faxes/{fax_id}")
    assert response.status_code == 200
    fax: dict[str, Any] = response.json()
    return fax


async def raw_get(local: LocalSandbox, path: str, query: bytes) -> tuple[int, Any]:
    """GET `path` with `query` exactly as given, as a client that does not percent-encode `>`
    or `+` sends it (httpx always would, so this speaks ASGI directly)."""
    token = base64.b64encode(f"{local.config.key_id}:{local.config.key_secret}".encode())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"sandbox.test"), (b"authorization", b"Basic " + token)],
        "server": ("sandbox.test", 80),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send_message(message: dict[str, Any]) -> None:
        sent.append(message)

    await local.app(scope, receive, send_message)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)
