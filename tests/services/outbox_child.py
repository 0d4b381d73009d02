"""An outbox in a process of its own, for the tests that kill it with SIGKILL and start it again.

`send` writes one fax to the journal and starts sending it over real HTTP, then freezes at a
chosen moment and prints a line saying so, for the parent to kill it there: `upload` halfway
through the request body, `answer` after the service answered (the fax exists) but before the
outbox heard. `resume` opens the same journal, runs the outbox until nothing is unfinished, and
prints the entries as JSON. Run as `python -m tests.services.outbox_child MODE ...`; the key
secret comes in the environment, never on the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.core.models import TEST_NUMBER, Document, SendRequest
from faxdesk.services.outbox import Outbox, OutboxTiming
from faxdesk.store.outbox import OutboxStore
from tests.fakes.faults import is_send

SECRET_ENV = "OUTBOX_CHILD_KEY_SECRET"
STALLED_UPLOAD = "STALLED IN UPLOAD"
STALLED_ANSWER = "STALLED AFTER ANSWER"
TIMING = OutboxTiming(
    retry_base=0.05, retry_max=0.5, reconcile_delay=0.2, second_look=0.3, poll_interval=0.05
)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _forever() -> None:
    await asyncio.Event().wait()


class _HalfThenStall(httpx.AsyncByteStream):
    """A request body that sends its first half, says so, and then never sends the rest."""

    def __init__(self, stream: httpx.AsyncByteStream, size: int) -> None:
        self._stream = stream
        self._size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        async for chunk in self._stream:
            yield chunk
            sent += len(chunk)
            if sent >= self._size // 2:
                _say(STALLED_UPLOAD)
                await _forever()


class StallingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, except that the send freezes where `when` says."""

    def __init__(self, when: str) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._when = when

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_send(request):
            return await self._inner.handle_async_request(request)
        if self._when == "upload":
            size = int(request.headers["Content-Length"])
            assert isinstance(request.stream, httpx.AsyncByteStream)
            request.stream = _HalfThenStall(request.stream, size)
            return await self._inner.handle_async_request(request)
        response = await self._inner.handle_async_request(request)
        await response.aread()
        _say(STALLED_ANSWER)
        await _forever()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _main(args: argparse.Namespace) -> int:
    transport = StallingTransport(args.stall) if args.mode == "send" else None
    http = create_http_client(transport=transport)
    store = OutboxStore(args.data / "outbox.sqlite3")
    try:
        api = FaxApiClient(
            http,
            base_url=args.url,
            project_id=args.project,
            auth=BasicAuth(args.key, os.environ[SECRET_ENV]),
        )
        outbox = Outbox(api, store, args.data / "outbox", timing=TIMING)
        await outbox.open()
        if args.mode == "send":
            request = SendRequest(to=(TEST_NUMBER,), documents=(Document(args.pdf),))
            await outbox.submit(request)
            await outbox.run()  # frozen by the transport until the parent kills us
            return 1
        finished = asyncio.Event()
        outbox.subscribe(lambda _event: finished.set() if not outbox.active() else None)
        runner = asyncio.create_task(outbox.run())
        if outbox.active():
            await finished.wait()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        entries = await outbox.entries()
        _say(
            json.dumps(
                [
                    {
                        "state": e.state.value,
                        "fax_id": e.fax_id,
                        "attempts": e.attempts,
                        "submission": e.submission,
                    }
                    for e in entries
                ]
            )
        )
        return 0
    finally:
        store.close()
        await http.aclose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["send", "resume"])
    parser.add_argument("--stall", choices=["upload", "answer"], default="upload")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--pdf", type=Path)
    parser.add_argument("--url", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--key", required=True)
    return asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
