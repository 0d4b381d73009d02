"""Serve the sandbox app over HTTP with uvicorn, and the command-line options that configure it.

`run` binds the socket itself (so port 0 yields a known free port), prints the connection banner
once uvicorn accepts requests (its first line is parsed by the GUI: keep it exact), and returns 0
after SIGINT or SIGTERM. It is a blocking entry point for a process of its own; it must not be
called from a running event loop, and it never reads FaxDesk settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from faxdesk.core.models import TEST_NUMBER
from faxdesk.documents.convert import shutdown_workers
from faxdesk.sandbox.app import create_app
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.faults import (
    DROP_CONNECTION_EXTENSION,
    ERROR_STATUSES,
    MAX_LATENCY_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    FaultControl,
    FaultSettings,
)
from faxdesk.sandbox.numbers import BUSY_NUMBER

#: The first line of the banner starts with this, followed by the base URL (`http://host:port`).
BANNER_PREFIX = "FaxDesk sandbox listening on "
#: Lets a parent process hand over the key secret without it showing in `ps`.
KEY_SECRET_ENV = "FAXDESK_SANDBOX_KEY_SECRET"

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


#: Wildcard listening addresses, and the loopback address a local client reaches them at.
_EVERY_INTERFACE = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


def banner(config: SandboxConfig, port: int) -> str:
    """The text printed once the sandbox accepts requests.

    Its URLs are the ones a client on this machine uses: listening on every interface (0.0.0.0
    or ::), that is the loopback address, since not every system connects to 0.0.0.0.
    """
    everywhere = config.host in _EVERY_INTERFACE
    host = _EVERY_INTERFACE.get(config.host, config.host)
    host = f"[{host}]" if ":" in host else host
    origin = f"http://{host}:{port}"
    reach = (
        f"  Listening on every interface ({config.host}): other machines use this one's address.\n"
        if everywhere
        else ""
    )
    return (
        f"{BANNER_PREFIX}{origin}\n"
        f"{reach}"
        f"  Base URL:     {origin} (faxes at /v3/projects/{config.project_id}/faxes)\n"
        f"  Auth URL:     {origin} (OAuth2 tokens at /oauth2/token)\n"
        f"  Project id:   {config.project_id}\n"
        f"  Key id:       {config.key_id}\n"
        f"  Key secret:   {config.key_secret}\n"
        f"  Test number:  {TEST_NUMBER} (always delivered)\n"
        f"  Failures:     {BUSY_NUMBER[:-2]}01 to 06 (busy, no answer, no fax tone, partial, "
        "slow, busy then delivered)\n"
        "FaxDesk's commands use it with these variables:\n"
        f"  FAXDESK_BASE_URL={origin} FAXDESK_AUTH_URL={origin} FAXDESK_AUTH=basic\n"
        f"  FAXDESK_PROJECT_ID={config.project_id} FAXDESK_KEY_ID={config.key_id} "
        f"FAXDESK_KEY_SECRET={config.key_secret}\n"
        "Press Ctrl+C to stop.\n"
    )


class _Server(uvicorn.Server):
    """A uvicorn server that prints the banner the moment it has started, and on stopping
    lets the requests held by injected latency go on at once, so they end before it does."""

    def __init__(
        self, config: uvicorn.Config, announcement: str, out: TextIO, faults: FaultControl
    ) -> None:
        super().__init__(config)
        self._announcement = announcement
        self._out = out
        self._faults = faults

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._faults.stop()
        await super().shutdown(sockets=sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._out.write(self._announcement)
            self._out.flush()


class _DroppableH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with a way for the app to drop the connection.

    Fault injection needs to abort a connection without a byte of answer, which ASGI has no
    message for: each request's scope gets, as an extension, the `abort` of its transport.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        inner = self.app

        async def app(scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})[DROP_CONNECTION_EXTENSION] = transport.abort
            await inner(scope, receive, send)

        self.app = app


def run(config: SandboxConfig, *, out: TextIO = sys.stdout) -> int:
    """Serve the sandbox until SIGINT or SIGTERM; return the process exit code."""
    problem = _database_problem(config.db_path)
    if problem:
        print(problem, file=sys.stderr)  # noqa: T201 - the runner's one way to tell the user
        return 1
    try:
        sock = _bind(config.host, config.port)
    except OSError as exc:
        print(_listen_problem(config.host, config.port, exc), file=sys.stderr)  # noqa: T201
        return 1
    port = sock.getsockname()[1]
    app = create_app(config)
    server = _Server(
        uvicorn.Config(
            app,
            http=_DroppableH11Protocol,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=5,
        ),
        banner(config, port),
        out,
        app.state.sandbox.faults,
    )

    # uvicorn handles the stop signals while it serves and re-raises them afterwards, which
    # would end the process with a KeyboardInterrupt traceback (SIGINT) or status -15
    # (SIGTERM). These handlers receive the re-raised signal, and also cover a signal that
    # arrives before uvicorn has installed its own: either way the server just stops.
    def stop(_signum: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    previous: dict[int, Any] = {}
    try:
        for signum in _STOP_SIGNALS:
            previous[signum] = signal.signal(signum, stop)
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sock.close()
        # The conversions' fork server is a child of this process: stop it with the server.
        shutdown_workers()
    # A failed startup (uvicorn has logged why) must not look like a clean stop.
    return 0 if server.started else 1


def _database_problem(path: Path | None) -> str:
    """Why the state database at `path` cannot be used, or "" when it can (or is in memory)."""
    if path is None:
        return ""
    try:
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA schema_version")
    except sqlite3.Error as exc:
        if not path.parent.is_dir():
            return (
                f"FaxDesk sandbox cannot use its database {path}: the folder {path.parent} does "
                "not exist. Create it, or choose another --db."
            )
        return (
            f"FaxDesk sandbox cannot use its database {path}: {exc}. Move or delete that file "
            "to start the sandbox with a new one."
        )
    return ""


def _listen_problem(host: str, port: int, exc: OSError) -> str:
    """One line saying why the sandbox cannot listen at host:port, and what to do."""
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"faxdesk sandbox: {shown} is already in use by another program (perhaps another "
            "sandbox); choose another port with --port, or --port 0 for any free one."
        )
    if exc.errno == errno.EACCES:
        return (
            f"faxdesk sandbox: this user may not listen on {shown}; choose a port above 1023 "
            "with --port."
        )
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"faxdesk sandbox: cannot listen on {shown}: {host!r} is not an address of this "
            "computer; choose another with --host (127.0.0.1 for this computer only)."
        )
    reason = exc.strerror or str(exc)
    return f"faxdesk sandbox: cannot listen on {shown} ({reason}); check --host and --port."


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            # Lets a restarted sandbox reuse its port at once. On Windows the option would let
            # another process steal a port in use, so it is left off there.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _credential(what: str, *, colon: bool = True) -> Callable[[str], str]:
    """An argparse type refusing an empty credential (and a ':' in a key id, which Basic auth
    would split on)."""

    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"the {what} cannot be empty")
        if not colon and ":" in text:
            raise argparse.ArgumentTypeError(f"the {what} cannot contain ':'")
        return text

    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("the port must be from 0 to 65535")
    return value


def _time_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError("the time scale must be 0 or more")
    return value


def _token_lifetime(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the token lifetime must be at least 1 second")
    return value


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the interval must be more than 0 seconds")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share is from 0 (never) to 1 (always)")
    return value


def _latency(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= MAX_LATENCY_SECONDS:
        raise argparse.ArgumentTypeError(
            f"the latency must be from 0 to {MAX_LATENCY_SECONDS:g} seconds"
        )
    return value


def _retry_after(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if not 0 <= value <= MAX_RETRY_AFTER_SECONDS:
        raise argparse.ArgumentTypeError(
            f"the Retry-After must be from 0 to {MAX_RETRY_AFTER_SECONDS} seconds"
        )
    return value


_ERROR_STATUS_CHOICES = {"500": (500,), "503": (503,), "both": ERROR_STATUSES}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's options (defaults from SandboxConfig) to `parser`."""
    defaults = SandboxConfig()
    parser.add_argument(
        "--host", default=defaults.host, help=f"interface to listen on (default {defaults.host})"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=defaults.port,
        help=f"TCP port, 0 for any free port (default {defaults.port})",
    )
    parser.add_argument(
        "--project-id",
        type=_credential("project id"),
        default=defaults.project_id,
        help=f"project id the API accepts (default {defaults.project_id})",
    )
    parser.add_argument(
        "--key-id",
        type=_credential("key id", colon=False),
        default=defaults.key_id,
        help=f"access key id for Basic auth (default {defaults.key_id!r})",
    )
    parser.add_argument(
        "--key-secret",
        type=_credential("key secret"),
        default=None,
        help=f"access key secret for Basic auth (default: ${KEY_SECRET_ENV}, else "
        f"{defaults.key_secret!r})",
    )
    parser.add_argument(
        "--time-scale",
        type=_time_scale,
        default=defaults.time_scale,
        help="multiplies every simulated duration; 0.05 runs 20 times faster (default 1)",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="PATH",
        help="SQLite file that keeps faxes across restarts (default: in memory)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=_token_lifetime,
        default=defaults.token_lifetime_seconds,
        metavar="SECONDS",
        help="how long OAuth2 bearer tokens stay valid "
        f"(default {defaults.token_lifetime_seconds})",
    )
    parser.add_argument(
        "--inbound-every",
        type=_interval,
        default=None,
        metavar="SECONDS",
        help="for demos: a sample inbound fax arrives every SECONDS seconds (default: never)",
    )
    faults = parser.add_argument_group(
        "faults", "make the sandbox fail on purpose (also changeable at /sandbox/faults)"
    )
    faults.add_argument(
        "--error-rate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="share of API requests answered with a server error (0.1 is one in ten)",
    )
    faults.add_argument(
        "--error-status",
        choices=sorted(_ERROR_STATUS_CHOICES),
        default="both",
        help="which server error: 500, 503 or both (default both)",
    )
    faults.add_argument(
        "--rate-limit-rate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="share of API requests answered 429 Too Many Requests",
    )
    faults.add_argument(
        "--retry-after",
        type=_retry_after,
        default=FaultSettings().retry_after_seconds,
        metavar="SECONDS",
        help=f"the Retry-After of 429 and 503 answers, up to {MAX_RETRY_AFTER_SECONDS} (default 1)",
    )
    faults.add_argument(
        "--latency",
        type=_latency,
        default=0.0,
        metavar="SECONDS",
        help=f"added before every API answer, up to {MAX_LATENCY_SECONDS:g}",
    )
    faults.add_argument(
        "--drop-rate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="share of sends whose connection is dropped after the fax was recorded",
    )


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Build the config from options added by `add_arguments`."""
    secret = args.key_secret or os.environ.get(KEY_SECRET_ENV) or SandboxConfig().key_secret
    return SandboxConfig(
        host=args.host,
        port=args.port,
        project_id=args.project_id,
        key_id=args.key_id,
        key_secret=secret,
        time_scale=args.time_scale,
        db_path=args.db,
        token_lifetime_seconds=args.token_lifetime,
        inbound_every_seconds=args.inbound_every,
        faults=FaultSettings(
            error_rate=args.error_rate,
            error_statuses=_ERROR_STATUS_CHOICES[args.error_status],
            rate_limit_rate=args.rate_limit_rate,
            retry_after_seconds=args.retry_after,
            latency_seconds=args.latency,
            drop_rate=args.drop_rate,
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m faxdesk.sandbox [options]`: the sandbox without the rest of FaxDesk's CLI."""
    parser = argparse.ArgumentParser(
        prog="python -m faxdesk.sandbox", description="Run the FaxDesk Sinch Fax API sandbox."
    )
    add_arguments(parser)
    return run(config_from_args(parser.parse_args(argv)))
