"""Runs the built-in sandbox as a child process on a free loopback port.

The GUI talks to the sandbox over real HTTP, exactly as it talks to Sinch, so the child is the
same `faxdesk sandbox` command a user can run by hand. Starting blocks on the child's first
line of output, so the blocking reads happen in a worker thread, never on the event loop.
The child watches its stdin: if FaxDesk dies without stopping it, the pipe closes and the
sandbox exits on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from faxdesk.core.errors import FaxDeskError

log = logging.getLogger(__name__)

READY_LINE = re.compile(r"^FaxDesk sandbox listening on (?P<url>http://\S+)\s*$")
SANDBOX_KEY_ID = "sandbox"
SANDBOX_PROJECT_ID = "00000000-0000-4000-8000-0000000fa4de"
SECRET_ENV = "FAXDESK_SANDBOX_KEY_SECRET"


class SandboxStartError(FaxDeskError):
    """The sandbox process did not come up."""


@dataclass(frozen=True, slots=True)
class SandboxEndpoint:
    base_url: str
    project_id: str
    key_id: str
    key_secret: str

    def __repr__(self) -> str:
        return f"SandboxEndpoint(base_url={self.base_url!r}, project_id={self.project_id!r})"


class SandboxProcess:
    """One `faxdesk sandbox` child process. Use `start()` once and `stop()` once."""

    def __init__(
        self,
        *,
        db_path: Path | None = None,
        time_scale: float = 1.0,
        log_path: Path | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self._db_path = db_path
        self._time_scale = time_scale
        self._log_path = log_path
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self._log_file: IO[str] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    async def start(self) -> SandboxEndpoint:
        secret = secrets.token_urlsafe(24)
        command = [
            sys.executable, "-m", "faxdesk", "sandbox",
            "--host", "127.0.0.1", "--port", "0",
            "--project-id", SANDBOX_PROJECT_ID, "--key-id", SANDBOX_KEY_ID,
            "--time-scale", str(self._time_scale), "--exit-with-parent",
        ]  # fmt: skip
        if self._db_path is not None:
            command += ["--db", str(self._db_path)]
        env = {**os.environ, SECRET_ENV: secret}
        stderr: IO[str] | int = subprocess.DEVNULL
        if self._log_path is not None:
            try:
                self._log_path.parent.mkdir(parents=True, exist_ok=True)
                self._log_file = stderr = self._log_path.open("a", encoding="utf-8")
            except OSError:
                # The log is a help, not a need: a read-only home must not stop the sandbox.
                self._log_file = None
                stderr = subprocess.DEVNULL
        try:
            url = await asyncio.wait_for(
                asyncio.to_thread(self._spawn_and_read_ready_line, command, env, stderr),
                self._startup_timeout,
            )
        except BaseException:
            await self.stop()
            raise
        log.info("The built-in sandbox is listening on %s", url)
        return SandboxEndpoint(url, SANDBOX_PROJECT_ID, SANDBOX_KEY_ID, secret)

    def _spawn_and_read_ready_line(
        self, command: list[str], env: dict[str, str], stderr: IO[str] | int
    ) -> str:
        # Forking a large GUI process takes a moment, so it happens here, off the event loop.
        process = self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            text=True,
            encoding="utf-8",
        )
        assert process.stdout is not None
        for line in process.stdout:
            match = READY_LINE.match(line)
            if match:
                threading.Thread(target=self._drain, args=(process.stdout,), daemon=True).start()
                return match.group("url")
        # This thread owns stdout until EOF; the drain thread owns it after a ready line.
        process.stdout.close()
        code = process.wait()
        reason = self._last_logged_line()
        raise SandboxStartError(
            f"The built-in sandbox stopped before it was ready: {reason}"
            if reason
            else f"The built-in sandbox stopped before it was ready (exit code {code})."
        )

    def _last_logged_line(self) -> str:
        if self._log_path is None or self._log_file is None:
            return ""
        self._log_file.flush()
        lines = self._log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return next((line.strip() for line in reversed(lines) if line.strip()), "")

    @staticmethod
    def _drain(stream: IO[str]) -> None:
        # Keep reading so a chatty child never blocks on a full pipe. The lines are dropped,
        # not logged: the banner shows the key secret.
        with stream:
            for _line in stream:
                pass

    async def stop(self, grace: float = 5.0) -> None:
        """Ask the sandbox to stop, and kill it if it has not stopped after `grace` seconds."""
        process, self._process = self._process, None
        if process is not None:
            await asyncio.to_thread(self._terminate, process, grace)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    @staticmethod
    def _terminate(process: subprocess.Popen[str], grace: float) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                log.warning("The sandbox did not stop in %.0f s; killing it", grace)
                process.kill()
                process.wait()
        # stdout belongs to the reading thread, which closes it at end of file.
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
