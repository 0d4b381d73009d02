"""The optional webhook listener: the fax service posts INCOMING_FAX and FAX_COMPLETED here.

A Starlette app served by uvicorn on the event loop FaxDesk already runs (no thread, no
process), at a configurable address, port and path. Every request needs HTTP Basic auth with
the configured user name and password; anything else gets 401. Bodies over the size limit get
413 before they are read in full, bodies `faxdesk.api.webhooks.parse_webhook` cannot read
(either encoding) get 400, and none of them changes anything. A good event is stored at once
(the fax in the archive, an incoming fax's PDF in the receiving folder) and answered 200, then a
sync is triggered so the list catches up; the same event delivered again (the service retries
until it gets a 200) is answered 200 and stored once. Parsing runs off the event loop.

This module does not decide what to do with a new fax beyond storing it: sync announces it.
It never logs the password or the bodies it receives.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from faxdesk.api.webhooks import FAX_COMPLETED, INCOMING_FAX, WebhookEvent, parse_webhook
from faxdesk.core.errors import ConfigError, WebhookError
from faxdesk.services.sync import InboundStore
from faxdesk.store.archive import Archive

log = logging.getLogger(__name__)

_REALM = 'Basic realm="FaxDesk", charset="UTF-8"'


@dataclass(frozen=True, slots=True)
class ReceiverConfig:
    """Where the listener listens and whom it accepts. `port` 0 picks a free port."""

    host: str = "127.0.0.1"
    port: int = 8470
    path: str = "/faxdesk/webhook"
    username: str = "faxdesk"
    password: str = field(default="", repr=False)
    max_body_bytes: int = 40 * 1024 * 1024


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: FaxDesk's own handle SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _TooLarge(Exception):
    pass


class WebhookReceiver:
    """The listener. `start()` begins listening, `stop()` ends it.

    Attributes:
        app: the Starlette app (tests may drive it in-process too).
        on_event: called with each event stored (not with duplicates).
        trigger: called after each event stored, to start a sync at once.
    """

    def __init__(
        self,
        config: ReceiverConfig,
        archive: Archive,
        inbound: InboundStore,
        *,
        trigger: Callable[[], None] | None = None,
        on_event: Callable[[WebhookEvent], None] | None = None,
    ) -> None:
        if not config.password:
            raise ConfigError(
                "The webhook listener needs a password, or it would accept anybody's requests."
            )
        self._config = config
        self._archive = archive
        self._inbound = inbound
        self.trigger = trigger
        self.on_event = on_event
        self._expected = _credentials(config.username, config.password)
        self.app = Starlette(routes=[Route(config.path, self._receive, methods=["POST"])])
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """The port listened on (the chosen one when the config said 0)."""
        if self._socket is None:
            return self._config.port
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """The address to give the fax service, without the credentials."""
        host = self._config.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}{self._config.path}"

    async def start(self) -> None:
        """Listen; raises ConfigError when the address cannot be used (a port in use)."""
        family = socket.AF_INET6 if ":" in self._config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._config.host, self._config.port))
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"The webhook listener cannot listen on {self._config.host} port "
                f"{self._config.port}: {exc.strerror or exc}. Choose another port in Settings."
            ) from None
        sock.listen(64)
        sock.setblocking(False)
        self._socket = sock
        server = _Server(
            uvicorn.Config(
                self.app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_keep_alive=5,
                timeout_graceful_shutdown=2,
                server_header=False,
            )
        )
        self._server = server
        self._serving = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._serving.done():
                await self._serving  # raises what stopped it
                raise ConfigError("The webhook listener stopped as it started.")
            await asyncio.sleep(0.01)
        log.info("Webhook listener on %s", self.url)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._serving is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._serving
        if self._socket is not None:
            self._socket.close()
        self._server = self._serving = self._socket = None

    # -- the endpoint --------------------------------------------------------------------------

    async def _receive(self, request: Request) -> Response:
        if not self._authorized(request.headers.get("authorization", "")):
            return JSONResponse(
                {"error": "FaxDesk needs its user name and password with each webhook."},
                status_code=401,
                headers={"WWW-Authenticate": _REALM},
            )
        try:
            body = await self._body(request)
        except _TooLarge:
            limit = self._config.max_body_bytes // (1024 * 1024)
            return JSONResponse(
                {"error": f"The webhook is larger than FaxDesk accepts ({limit} MB)."},
                status_code=413,
            )
        content_type = request.headers.get("content-type", "")
        try:
            event = await asyncio.to_thread(parse_webhook, content_type, body)
        except WebhookError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if event.event not in (INCOMING_FAX, FAX_COMPLETED):
            # Acknowledged, so the service stops retrying; FaxDesk has nothing to do with it.
            return JSONResponse({"stored": False, "reason": "not an event FaxDesk handles"})
        key = f"{event.event}:{event.fax.id}"
        if not await asyncio.to_thread(self._archive.record_event, key):
            return JSONResponse({"stored": False, "reason": "already received"})
        try:
            await asyncio.to_thread(self._archive.upsert, [event.fax])
            if event.event == INCOMING_FAX and event.pdf is not None:
                await self._inbound.put(event.fax, event.pdf)
        except BaseException:
            # Not stored: forget the delivery, so the service's next attempt is taken.
            await asyncio.to_thread(self._archive.forget_event, key)
            log.exception("Could not store the webhook for fax %s", event.fax.id)
            return JSONResponse(
                {"error": "FaxDesk could not store the fax; try again."}, status_code=503
            )
        if self.trigger is not None:
            self.trigger()
        if self.on_event is not None:
            self.on_event(event)
        return JSONResponse({"stored": True})

    def _authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self._expected)

    async def _body(self, request: Request) -> bytes:
        limit = self._config.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)


def _credentials(username: str, password: str) -> bytes:
    return f"{username}:{password}".encode()
