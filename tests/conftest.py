"""Test-wide setup: Qt renders offscreen and FaxDesk never touches the user's real folders."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Iterator

import pytest

from faxdesk.config.paths import HOME_ENV, Paths

# Qt reads this when the QApplication is created, which happens only in fixtures.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The account may come from these; tests must never pick up a real one.
for _name in (
    "FAXDESK_KEY_SECRET",
    "FAXDESK_WEBHOOK_PASSWORD",
    "FAXDESK_PROJECT_ID",
    "FAXDESK_KEY_ID",
    "FAXDESK_AUTH",
    "FAXDESK_BASE_URL",
    "FAXDESK_AUTH_URL",
):
    os.environ.pop(_name, None)


@pytest.fixture(autouse=True, scope="module")
def _stop_conversion_workers() -> Iterator[None]:
    """Conversions fork their workers from a server process; stop it after each module so no
    test sees another module's child processes."""
    yield
    from faxdesk.documents.convert import shutdown_workers

    shutdown_workers()


@pytest.fixture(scope="session", autouse=True)
def _collect_cycles_on_the_main_thread() -> Iterator[None]:
    """As the app does (faxdesk.ui.collector): a worker thread must never free a Qt object."""
    gc.disable()
    yield
    # Now, while Qt is still up: at interpreter exit the order of teardown is undefined.
    gc.collect()
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_between_tests() -> Iterator[None]:
    yield
    counts, thresholds = gc.get_count(), gc.get_threshold()
    due = [generation for generation in range(3) if counts[generation] > thresholds[generation]]
    if due:
        gc.collect(max(due))


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
