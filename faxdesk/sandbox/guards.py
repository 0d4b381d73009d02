"""ASGI middleware that keeps every request to the sandbox within bounds, around the routes.

`Guards` does three things for the whole app. It serves a path written with a trailing slash as
the same path without it (`/faxes/` is `/faxes`, authenticated like it), instead of a redirect
that would come before any authentication. It caps the request body at `MAX_BODY_BYTES`: a
declared `Content-Length` over the cap is refused before a byte is read, and a body without one
is counted as it streams in and refused the moment it passes the cap, so rejecting a huge upload
never holds it in memory; both answer 413 with an error body. And it is the safety net: an
exception no route handled is logged once, with its traceback, and answered with a JSON 500
error body, never Starlette's plain-text page. It knows nothing about faxes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from faxdesk.sandbox.problems import ApiProblemError, error_body, scrub

_log = logging.getLogger(__name__)

#: The largest request body accepted, in bytes. The service documents no limit; 50 MB holds a
#: long fax of scans and keeps a runaway client from filling the memory or the disk.
MAX_BODY_BYTES = 50 * 1024 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def too_large(limit: int) -> ApiProblemError:
    return ApiProblemError(
        413, f"The request body is larger than {limit // (1024 * 1024)} MB, the most accepted."
    )


class Guards:
    """The middleware, in front of the app it is given (around every route and error handler)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        if len(path) > 1 and path.endswith("/"):
            scope = dict(scope)
            scope["path"] = path.rstrip("/") or "/"
            raw_path = scope.get("raw_path")
            if isinstance(raw_path, bytes):
                scope["raw_path"] = raw_path.rstrip(b"/") or b"/"
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            declared = _content_length(scope)
            if declared is not None and declared > self.max_body_bytes:
                await too_large(self.max_body_bytes).response()(scope, receive, watched_send)
                return
            await self.app(scope, self._counted(receive), watched_send)
        except Exception:
            # Anything that got here is a bug in the sandbox: say so once, with the traceback,
            # and give the client an answer in the API's own shape.
            _log.exception(
                "The sandbox failed on %s %s", scope.get("method"), scrub(str(scope.get("path")))
            )
            if not started:
                await _internal_error(watched_send)

    def _counted(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route that reads the body, whose error handler answers.
                    raise too_large(limit)
            return message

        return counted


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _internal_error(send: Send) -> None:
    body = json.dumps(error_body(500, "Internal error.")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
