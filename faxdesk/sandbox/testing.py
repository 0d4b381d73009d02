"""Start a sandbox for tests: in-process (ASGI, lifespan managed) or as a real server process.

For the test suites of every layer that talks to the Sinch Fax API (the client, services, the
GUI). `in_process_sandbox` gives an httpx client bound to the app through `httpx.ASGITransport`
and runs the app's lifespan, which ASGITransport does not; `sandbox_process` runs
`python -m faxdesk.sandbox --port 0` and parses its banner. Nothing in the product imports this.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from faxdesk.sandbox.app import Sandbox, create_app
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.server import BANNER_PREFIX, KEY_SECRET_ENV
from faxdesk.sandbox.simulator import Clock

#: The origin in-process clients use; any host works with ASGITransport.
IN_PROCESS_ORIGIN = "http://sandbox.test"


@dataclass(frozen=True, slots=True)
class LocalSandbox:
    """A sandbox app running in this process.

    Attributes:
        app: the Starlette app.
        config: what it was built with.
        origin: `http://sandbox.test`; any host reaches the app through `transport`.
        api_base_url: `{origin}/v3/projects/{project_id}`, the base URL a client is given.
    """

    app: Starlette
    config: SandboxConfig
    origin: str
    api_base_url: str

    @property
    def sandbox(self) -> Sandbox:
        """State, simulator and clock, for tests that look behind the API."""
        sandbox: Sandbox = self.app.state.sandbox
        return sandbox

    @property
    def auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.config.key_id, self.config.key_secret)

    @property
    def transport(self) -> httpx.ASGITransport:
        """A transport into the app, for a client built elsewhere (close that client)."""
        return httpx.ASGITransport(app=self.app)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx client on the API base URL with the sandbox's Basic auth; close it."""
        kwargs.setdefault("auth", self.auth)
        return httpx.AsyncClient(
            transport=self.transport, base_url=self.api_base_url + "/", **kwargs
        )


@asynccontextmanager
async def in_process_sandbox(
    config: SandboxConfig | None = None,
    *,
    clock: Clock | None = None,
    fetch_transport: httpx.AsyncBaseTransport | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[LocalSandbox]:
    """Run a sandbox app in this event loop (lifespan included) for the `async with` body.

    The default config runs the lifecycle 100 times faster than real time.
    """
    config = config or SandboxConfig(time_scale=0.01)
    app = create_app(
        config, clock=clock, fetch_transport=fetch_transport, webhook_transport=webhook_transport
    )
    async with app.router.lifespan_context(app):
        yield LocalSandbox(
            app=app,
            config=config,
            origin=IN_PROCESS_ORIGIN,
            api_base_url=f"{IN_PROCESS_ORIGIN}/v3/projects/{config.project_id}",
        )


@dataclass(slots=True)
class SandboxProcess:
    """A sandbox server running as a child process.

    Attributes:
        process: the child.
        origin: `http://127.0.0.1:<port>` from the banner's first line.
        api_base_url: the base URL a client is given.
        banner: every banner line, as printed.
        config: the settings it was started with (port 0: see `origin` for the real one).
    """

    process: subprocess.Popen[str]
    origin: str
    api_base_url: str
    banner: list[str]
    config: SandboxConfig

    @property
    def auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(self.config.key_id, self.config.key_secret)

    def stop(self, timeout: float = 15.0) -> tuple[int, str, str]:
        """Send SIGTERM, wait, and return (exit code, rest of stdout, stderr)."""
        if self.process.poll() is None:
            self.process.terminate()
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err


@contextmanager
def sandbox_process(
    config: SandboxConfig | None = None,
    *,
    startup_timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
    via_cli: bool = False,
) -> Iterator[SandboxProcess]:
    """Start `python -m faxdesk.sandbox` for the `with` body; stop it afterwards.

    `via_cli` starts `python -m faxdesk sandbox` instead, the command the GUI runs.
    `config.port` 0 (the default here) picks a free port. The key secret is handed over in the
    environment, as the GUI does, not on the command line.
    """
    config = config or SandboxConfig(port=0, time_scale=0.05)
    command = [
        sys.executable,
        "-m",
        *(("faxdesk", "sandbox") if via_cli else ("faxdesk.sandbox",)),
        "--host",
        config.host,
        "--port",
        str(config.port),
        "--project-id",
        config.project_id,
        "--key-id",
        config.key_id,
        "--time-scale",
        repr(config.time_scale),
        "--token-lifetime",
        str(config.token_lifetime_seconds),
    ]
    if config.db_path is not None:
        command += ["--db", str(config.db_path)]
    if config.inbound_every_seconds is not None:
        command += ["--inbound-every", repr(config.inbound_every_seconds)]
    faults = config.faults
    statuses = {(500,): "500", (503,): "503"}.get(faults.error_statuses, "both")
    command += [
        "--error-rate",
        repr(faults.error_rate),
        "--error-status",
        statuses,
        "--rate-limit-rate",
        repr(faults.rate_limit_rate),
        "--retry-after",
        str(faults.retry_after_seconds),
        "--latency",
        repr(faults.latency_seconds),
        "--drop-rate",
        repr(faults.drop_rate),
    ]
    child_env = {**os.environ, **(env or {}), KEY_SECRET_ENV: config.key_secret}
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env,
    )
    try:
        lines = _read_banner(process, startup_timeout)
        if not lines or not lines[0].startswith(BANNER_PREFIX):
            process.kill()
            _, err = process.communicate(timeout=10)
            raise RuntimeError(f"The sandbox did not start: {lines!r} {err}")
        origin = lines[0][len(BANNER_PREFIX) :].strip()
        yield SandboxProcess(
            process=process,
            origin=origin,
            api_base_url=f"{origin}/v3/projects/{config.project_id}",
            banner=lines,
            config=config,
        )
    finally:
        if process.returncode is None:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=10)


def _read_banner(process: subprocess.Popen[str], timeout: float) -> list[str]:
    # readline() blocks with no timeout of its own, so a thread reads and the caller waits on a
    # queue; the thread ends at the banner's last line or when the child's stdout closes.
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None

    def read() -> None:
        for line in stdout:
            lines.put(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                break
        lines.put(None)

    reader = threading.Thread(target=read, name="sandbox-banner-reader", daemon=True)
    reader.start()
    collected: list[str] = []
    try:
        while (line := lines.get(timeout=timeout)) is not None:
            collected.append(line)
    except queue.Empty:
        process.kill()
    reader.join(timeout=10)
    return collected
