"""Fixtures for the sandbox tests: an in-process sandbox with its lifespan, a client, a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from tests.sandbox.sandbox_support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def local(clock: FakeClock) -> AsyncIterator[LocalSandbox]:
    """A sandbox 100 times faster than real time, on a clock the test can move."""
    async with in_process_sandbox(SandboxConfig(time_scale=0.01), clock=clock) as sandbox:
        yield sandbox


@pytest.fixture
async def client(local: LocalSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with local.client() as http:
        yield http
