"""The simulated lifecycle: QUEUED -> IN_PROGRESS -> COMPLETED, stored as it goes, resumed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from faxdesk.documents.pages import count_pages
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.simulator import MAX_TRANSMISSION_SECONDS, QUEUED_SECONDS, Simulator
from faxdesk.sandbox.state import SandboxState
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from tests.sandbox.sandbox_support import TEST_NUMBER, FakeClock, finished, send


class SteppedSleep:
    """Stands in for asyncio.sleep: records each wait and returns only when released."""

    def __init__(self) -> None:
        self.requested: list[float] = []
        self._waiting: list[asyncio.Future[None]] = []

    async def __call__(self, seconds: float) -> None:
        self.requested.append(seconds)
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        await future

    async def until_waiting(self, count: int) -> None:
        # Only yields to the loop (no timing): the simulator task needs a turn to reach its sleep.
        for _ in range(100):
            if len(self.requested) >= count:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"the simulator did not wait {count} times: {self.requested}")

    async def release(self) -> None:
        self._waiting.pop(0).set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)


def stored_fax(fax_id: str, pages: int, to: str = TEST_NUMBER) -> dict[str, Any]:
    return {
        "id": fax_id,
        "direction": "OUTBOUND",
        "from": "+14155550100",
        "to": to,
        "numberOfPages": pages,
        "status": "QUEUED",
        "createTime": "2026-06-15T12:00:00.000Z",
        "hasFile": False,
        "projectId": "p",
        "serviceId": "s",
    }


@pytest.fixture
def state() -> Any:
    result = SandboxState()
    yield result
    result.close()


async def test_each_transition_is_stored_as_it_happens(state: SandboxState) -> None:
    sleep = SteppedSleep()
    clock = FakeClock()
    simulator = Simulator(state, time_scale=2.0, clock=clock, sleep=sleep)
    state.add_fax(stored_fax("F1", pages=2), plan={}, pdf=b"%PDF- pretend")

    simulator.start("F1")
    await sleep.until_waiting(1)
    assert state.get_fax("F1")["status"] == "QUEUED"
    assert sleep.requested == [QUEUED_SECONDS * 2.0]

    await sleep.release()
    await sleep.until_waiting(2)
    in_progress = state.get_fax("F1")
    assert in_progress["status"] == "IN_PROGRESS"
    assert in_progress["hasFile"] is True
    assert "completedTime" not in in_progress
    assert sleep.requested[1] == 2 * 1.0 * 2.0  # two pages, one second each, scaled

    clock.advance(seconds=7)
    await sleep.release()
    await simulator.wait("F1")
    done = state.get_fax("F1")
    assert done["status"] == "COMPLETED"
    assert done["completedTime"] == "2026-06-15T12:00:07.000Z"
    assert done["pagesSentSuccessfully"] == 2
    assert done["price"] == {"amount": "0.1400", "currencyCode": "USD"}
    assert done["hasFile"] is True
    assert simulator.running == 0


async def test_a_fax_resumed_after_a_stop_catches_up_with_the_time_that_passed(
    state: SandboxState,
) -> None:
    # One sandbox took the fax and stopped at once (a `faxdesk send --sandbox`); the next one
    # starts ten seconds later, when the fax was long due to be delivered.
    state.add_fax(stored_fax("F1", pages=2), plan={}, pdf=b"%PDF- pretend")
    clock = FakeClock()
    clock.advance(seconds=10)
    sleep = SteppedSleep()
    simulator = Simulator(state, time_scale=1.0, clock=clock, sleep=sleep)

    assert simulator.resume() == 1
    await sleep.until_waiting(1)
    await sleep.release()
    await sleep.until_waiting(2)
    await sleep.release()
    await simulator.wait("F1")

    assert sleep.requested == [0.0, 0.0]
    assert state.get_fax("F1")["status"] == "COMPLETED"


async def test_a_fax_resumed_mid_step_waits_only_for_the_rest_of_it(state: SandboxState) -> None:
    state.add_fax(stored_fax("F1", pages=2), plan={}, pdf=b"%PDF- pretend")
    clock = FakeClock()
    clock.advance(seconds=1.5)  # the queue's second is over, half a second into sending
    sleep = SteppedSleep()
    simulator = Simulator(state, time_scale=1.0, clock=clock, sleep=sleep)

    simulator.resume()
    await sleep.until_waiting(1)
    await sleep.release()
    await sleep.until_waiting(2)
    await sleep.release()
    await simulator.wait("F1")

    assert sleep.requested == [0.0, 1.5]  # two pages take two seconds; half of one is gone


async def test_a_long_fax_still_finishes_within_five_seconds(state: SandboxState) -> None:
    sleep = SteppedSleep()
    simulator = Simulator(state, time_scale=1.0, clock=FakeClock(), sleep=sleep)
    state.add_fax(stored_fax("F1", pages=40), plan={}, pdf=b"%PDF- pretend")

    simulator.start("F1")
    await sleep.until_waiting(1)
    await sleep.release()
    await sleep.until_waiting(2)
    await sleep.release()
    await simulator.wait("F1")

    assert sleep.requested == [QUEUED_SECONDS, MAX_TRANSMISSION_SECONDS]
    assert sum(sleep.requested) <= 5
    assert state.get_fax("F1")["price"]["amount"] == "2.8000"


async def test_a_conversion_failure_ends_the_fax_after_the_queue(state: SandboxState) -> None:
    sleep = SteppedSleep()
    simulator = Simulator(state, clock=FakeClock(), sleep=sleep)
    plan = {"conversionFailure": {"code": 133, "message": "Failed to normalize PDF document"}}
    state.add_fax(stored_fax("F1", pages=0), plan=plan, pdf=None)

    simulator.start("F1")
    await sleep.until_waiting(1)
    assert state.get_fax("F1")["status"] == "QUEUED"
    await sleep.release()
    await simulator.wait("F1")

    failed = state.get_fax("F1")
    assert failed["status"] == "FAILURE"
    assert (failed["errorType"], failed["errorCode"]) == ("DOCUMENT_CONVERSION_ERROR", 133)
    assert failed["errorMessage"] == "Failed to normalize PDF document"
    assert failed["completedTime"] == "2026-06-15T12:00:00.000Z"
    assert "price" not in failed
    assert len(sleep.requested) == 1


async def test_closing_cancels_running_lifecycles_and_leaves_them_unfinished(
    state: SandboxState,
) -> None:
    sleep = SteppedSleep()
    simulator = Simulator(state, clock=FakeClock(), sleep=sleep)
    state.add_fax(stored_fax("F1", pages=1), plan={}, pdf=b"%PDF-")
    simulator.start("F1")
    await sleep.until_waiting(1)

    await simulator.aclose()

    assert simulator.running == 0
    assert state.unfinished() == ["F1"]


async def test_the_test_number_is_delivered_through_the_api(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client, to=TEST_NUMBER, pages=3)

    done = await finished(local, client, fax["id"])

    assert done["status"] == "COMPLETED"
    assert done["pagesSentSuccessfully"] == 3
    assert done["price"] == {"amount": "0.2100", "currencyCode": "USD"}
    assert done["hasFile"] is True
    assert done["completedTime"].endswith("Z")
    assert done["createTime"] == fax["createTime"]


async def test_unfinished_faxes_resume_after_a_restart_on_the_same_database(
    tmp_path: Path,
) -> None:
    db = tmp_path / "sandbox.db"
    # A time scale so slow that nothing finishes before the first sandbox stops.
    async with (
        in_process_sandbox(SandboxConfig(time_scale=1000.0, db_path=db)) as first,
        first.client() as client,
    ):
        fax = await send(client, pages=2)
    assert fax["status"] == "QUEUED"

    async with in_process_sandbox(SandboxConfig(time_scale=0.0, db_path=db)) as second:
        # Checked before anything awaits, so the resumed task has not had a turn yet.
        assert second.sandbox.state.get_fax(fax["id"])["status"] == "QUEUED"
        assert second.sandbox.simulator.running == 1
        async with second.client() as client:
            done = await finished(second, client, fax["id"])
            pdf = (await client.get(f"faxes/{fax['id']}/file")).content

    assert done["status"] == "COMPLETED"
    assert count_pages(pdf) == 2
