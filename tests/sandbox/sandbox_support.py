"""Helpers for the sandbox tests: a settable clock, PDFs, sending and waiting for faxes.

Kept out of conftest so test modules can import these names directly.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pymupdf
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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


async def own_number(client: httpx.AsyncClient, number: str) -> dict[str, Any]:
    """Give the project `number` (as a new service's defaultFrom), so faxes may be sent from it;
    return the service."""
    response = await client.post("services", json={"name": f"From {number}", "defaultFrom": number})
    assert response.status_code == 201, response.text
    service: dict[str, Any] = response.json()
    return service


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


@dataclass(frozen=True, slots=True)
class Received:
    """One request a `WebhookReceiver` got."""

    path: str
    url: str
    authorization: str
    content_type: str
    form: dict[str, Any]
    json: Any
    body: bytes


class WebhookReceiver:
    """A real ASGI app that takes webhooks: it records each request and answers from `answers`
    (then 200). Serve it in-process (`transport`) or on loopback (`serving`)."""

    def __init__(self, answers: list[int] | None = None) -> None:
        self.answers = list(answers or [])
        self.received: list[Received] = []
        self._changed = asyncio.Condition()
        self.app = Starlette(routes=[Route("/{path:path}", self._take, methods=["POST"])])

    async def _take(self, request: Request) -> Response:
        media_type = request.headers.get("content-type", "").split(";")[0]
        raw = await request.body()
        form: dict[str, Any] = {}
        body: Any = None
        if media_type == "multipart/form-data":
            async with request.form() as parts:
                for name, value in parts.multi_items():
                    if isinstance(value, UploadFile):
                        form[name] = (value.filename, value.content_type, await value.read())
                    else:
                        form[name] = value
        else:
            body = json.loads(raw)
        async with self._changed:
            self.received.append(
                Received(
                    path=request.url.path,
                    url=str(request.url),
                    authorization=request.headers.get("authorization", ""),
                    content_type=request.headers.get("content-type", ""),
                    form=form,
                    json=body,
                    body=raw,
                )
            )
            self._changed.notify_all()
        status = self.answers.pop(0) if self.answers else 200
        return Response(status_code=status)

    @property
    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)

    async def wait_for(self, count: int) -> list[Received]:
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(lambda: len(self.received) >= count)
        return self.received

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Serve on a free loopback port with uvicorn, in this event loop; yields the origin."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        server = _AnnouncingServer(
            uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        )
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        try:
            await asyncio.wait_for(server.ready.wait(), 10)
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            await task
            sock.close()


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that sets `ready` once it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()
