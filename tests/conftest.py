"""Test-wide setup: Qt renders offscreen and FaxDesk never touches the user's real folders."""

from __future__ import annotations

import os

# Must happen before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("FAXDESK_KEY_SECRET", None)

import asyncio
from collections.abc import Iterator

import pytest

from faxdesk.config.paths import HOME_ENV, Paths


@pytest.fixture
def paths(tmp_path, monkeypatch) -> Paths:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    result = Paths.default()
    result.ensure()
    return result


@pytest.fixture
def qloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop FaxDesk runs on, for tests that drive the app from a coroutine."""
    import qasync

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)
