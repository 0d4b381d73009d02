"""The GUI's sandbox child: a real `faxdesk sandbox` process on a free loopback port."""

from __future__ import annotations

import asyncio

import pytest

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.core.errors import AuthError
from faxdesk.services.sandbox_process import SandboxProcess, SandboxStartError


async def _ping(endpoint, secret=None) -> None:
    async with create_http_client() as http:
        api = FaxApiClient(
            http,
            base_url=endpoint.base_url,
            project_id=endpoint.project_id,
            auth=BasicAuth(endpoint.key_id, secret or endpoint.key_secret),
        )
        await api.ping()


async def test_starts_on_loopback_answers_and_stops(tmp_path):
    process = SandboxProcess(db_path=tmp_path / "sandbox.sqlite3", log_path=tmp_path / "s.log")
    endpoint = await process.start()
    try:
        assert endpoint.base_url.startswith("http://127.0.0.1:")
        assert process.running
        await _ping(endpoint)
        with pytest.raises(AuthError):
            await _ping(endpoint, secret="not-the-secret")
        # The secret is fresh for every start and never shown in a repr.
        assert len(endpoint.key_secret) >= 24
        assert endpoint.key_secret not in repr(endpoint)
    finally:
        await process.stop()
    assert not process.running
    assert (tmp_path / "sandbox.sqlite3").exists()
    # A clean stop: nothing on the child's stderr (an abort at exit would be reported there).
    assert (tmp_path / "s.log").read_text() == ""


async def test_sandbox_exits_when_its_parent_goes_away(tmp_path):
    process = SandboxProcess()
    await process.start()
    child = process._process
    try:
        # Closing our end of its stdin is what the OS does when FaxDesk dies.
        child.stdin.close()
        code = await asyncio.wait_for(asyncio.to_thread(child.wait), 10)
    finally:
        await process.stop()
    assert code == 0


async def test_a_sandbox_that_cannot_start_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    process = SandboxProcess(db_path=blocker / "sandbox.sqlite3")
    with pytest.raises(SandboxStartError, match="stopped before it was ready"):
        await process.start()
    assert not process.running


async def test_a_damaged_sandbox_database_is_named_in_the_error(tmp_path):
    damaged = tmp_path / "sandbox.sqlite3"
    damaged.write_bytes(b"not a database" * 100)
    process = SandboxProcess(db_path=damaged, log_path=tmp_path / "sandbox.log")
    with pytest.raises(SandboxStartError) as caught:
        await process.start()
    assert str(caught.value) == (
        "The built-in sandbox stopped before it was ready: FaxDesk sandbox cannot use its "
        f"database {damaged}: file is not a database. Move or delete that file to start the "
        "sandbox with a new one."
    )


async def test_a_log_folder_that_cannot_be_made_does_not_stop_the_sandbox(tmp_path):
    # A read-only or odd home: the log is a help, the sandbox is the point.
    (tmp_path / "cache").write_text("a file where the log folder should be")
    process = SandboxProcess(log_path=tmp_path / "cache" / "sandbox.log")
    endpoint = await process.start()
    try:
        await _ping(endpoint)
    finally:
        await process.stop()
