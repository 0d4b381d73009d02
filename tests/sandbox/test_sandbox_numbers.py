"""The test-number block: busy, no answer, no fax tone, partial, slow and busy-then-delivered,
with maxRetries / retryDelaySeconds retries counted in retryCount."""

from __future__ import annotations

import httpx
import pytest

from faxdesk.core.phone import country_of
from faxdesk.sandbox.numbers import (
    BUSY_NUMBER,
    BUSY_THEN_DELIVERED_NUMBER,
    CALL_FAILURE_SECONDS,
    NO_ANSWER_NUMBER,
    NO_FAX_TONE_NUMBER,
    PARTIAL_NUMBER,
    SLOW_NUMBER,
    SLOW_SECONDS_PER_PAGE,
    TEST_LINES,
)
from faxdesk.sandbox.simulator import QUEUED_SECONDS, SECONDS_PER_PAGE, Simulator
from faxdesk.sandbox.state import SandboxState
from faxdesk.sandbox.testing import LocalSandbox
from tests.sandbox.sandbox_support import TEST_NUMBER, FakeClock, finished, own_number, send
from tests.sandbox.test_sandbox_lifecycle import SteppedSleep, stored_fax


@pytest.mark.parametrize(
    ("number", "error_type", "code", "message"),
    [
        (BUSY_NUMBER, "CALL_ERROR", 17, "Busy"),
        (NO_ANSWER_NUMBER, "CALL_ERROR", 30, "No answer from a fax machine."),
        (NO_FAX_TONE_NUMBER, "FAX_ERROR", 132, "No fax tone detected"),
    ],
)
async def test_failure_numbers_fail_with_the_services_error(
    local: LocalSandbox,
    client: httpx.AsyncClient,
    number: str,
    error_type: str,
    code: int,
    message: str,
) -> None:
    fax = await send(client, to=number, pages=2, maxRetries="0")

    done = await finished(local, client, fax["id"])

    assert done["status"] == "FAILURE"
    assert (done["errorType"], done["errorCode"], done["errorMessage"]) == (
        error_type,
        code,
        message,
    )
    assert done["pagesSentSuccessfully"] == 0
    assert done["retryCount"] == 0
    assert "price" not in done
    # A failed fax is completed too: it ended when its last try did.
    assert done["completedTime"] >= done["createTime"]


async def test_a_busy_number_is_retried_max_retries_times(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client, to=BUSY_NUMBER, maxRetries="2", retryDelaySeconds="30")

    done = await finished(local, client, fax["id"])

    assert done["status"] == "FAILURE"
    assert done["errorCode"] == 17
    assert done["retryCount"] == 2


async def test_the_partial_number_drops_after_the_first_page_and_charges_it(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client, to=PARTIAL_NUMBER, pages=3, maxRetries="0")

    done = await finished(local, client, fax["id"])

    assert done["status"] == "FAILURE"
    assert (done["errorType"], done["errorCode"]) == ("FAX_ERROR", 131)
    assert done["pagesSentSuccessfully"] == 1
    assert done["price"] == {"amount": "0.0700", "currencyCode": "USD"}


async def test_busy_then_delivered_succeeds_on_the_first_retry(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client, to=BUSY_THEN_DELIVERED_NUMBER, pages=2, retryDelaySeconds="30")

    done = await finished(local, client, fax["id"])

    assert done["status"] == "COMPLETED"
    assert done["retryCount"] == 1
    assert done["pagesSentSuccessfully"] == 2
    assert "errorCode" not in done


async def test_busy_then_delivered_fails_when_no_retry_is_allowed(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(client, to=BUSY_THEN_DELIVERED_NUMBER, maxRetries="0")

    done = await finished(local, client, fax["id"])

    assert (done["status"], done["errorCode"], done["retryCount"]) == ("FAILURE", 17, 0)


async def test_the_slow_number_and_other_numbers_are_delivered(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    slow = await send(client, to=SLOW_NUMBER)
    other = await send(client, to="+14155550123")

    assert (await finished(local, client, slow["id"]))["status"] == "COMPLETED"
    assert (await finished(local, client, other["id"]))["status"] == "COMPLETED"


async def test_the_retry_waits_retry_delay_seconds_and_counts_before_it() -> None:
    state = SandboxState()
    sleep = SteppedSleep()
    simulator = Simulator(state, clock=FakeClock(), sleep=sleep)
    fax = stored_fax("F1", pages=2, to=BUSY_THEN_DELIVERED_NUMBER)
    state.add_fax({**fax, "maxRetries": 3, "retryDelaySeconds": 45}, plan={}, pdf=b"%PDF-")

    simulator.start("F1")
    for step in range(3):
        await sleep.until_waiting(step + 1)
        await sleep.release()
    await sleep.until_waiting(4)
    waiting = state.get_fax("F1")
    await sleep.release()
    await simulator.wait("F1")

    assert sleep.requested == [QUEUED_SECONDS, CALL_FAILURE_SECONDS, 45, 2 * SECONDS_PER_PAGE]
    assert (waiting["status"], waiting["retryCount"]) == ("IN_PROGRESS", 1)
    assert state.get_fax("F1")["status"] == "COMPLETED"
    state.close()


async def test_a_sandbox_stopped_during_the_retry_wait_waits_out_the_rest_of_it() -> None:
    state = SandboxState()
    clock = FakeClock()
    sleep = SteppedSleep()
    first = Simulator(state, clock=clock, sleep=sleep)
    fax = stored_fax("F1", pages=2, to=BUSY_THEN_DELIVERED_NUMBER)
    state.add_fax({**fax, "maxRetries": 3, "retryDelaySeconds": 45}, plan={}, pdf=b"%PDF-")
    first.start("F1")
    for step in range(2):
        await sleep.until_waiting(step + 1)
        await sleep.release()
    await sleep.until_waiting(3)  # busy: now waiting 45 s before the retry
    await first.aclose()

    clock.advance(seconds=10)
    again = SteppedSleep()
    second = Simulator(state, clock=clock, sleep=again)
    second.resume()
    await again.until_waiting(1)
    await again.release()
    await again.until_waiting(2)
    await again.release()
    await second.wait("F1")

    elapsed_in_wait = 10 - QUEUED_SECONDS - CALL_FAILURE_SECONDS
    assert again.requested == [45 - elapsed_in_wait, 2 * SECONDS_PER_PAGE]
    done = state.get_fax("F1")
    assert (done["status"], done["retryCount"]) == ("COMPLETED", 1)
    state.close()


async def test_the_slow_number_takes_longer_per_page() -> None:
    state = SandboxState()
    sleep = SteppedSleep()
    simulator = Simulator(state, clock=FakeClock(), sleep=sleep)
    state.add_fax(stored_fax("F1", pages=2, to=SLOW_NUMBER), plan={}, pdf=b"%PDF-")

    simulator.start("F1")
    for step in range(2):
        await sleep.until_waiting(step + 1)
        await sleep.release()
    await simulator.wait("F1")

    assert sleep.requested == [QUEUED_SECONDS, 2 * SLOW_SECONDS_PER_PAGE]
    state.close()


async def test_the_finished_hook_gets_each_fax_once_at_its_end() -> None:
    state = SandboxState()
    finished_faxes: list[dict] = []
    simulator = Simulator(state, time_scale=0.0, on_finished=finished_faxes.append)
    state.add_fax(stored_fax("F1", pages=1, to=BUSY_NUMBER), plan={}, pdf=b"%PDF-")

    simulator.start("F1")
    await simulator.wait("F1")

    assert [(f["id"], f["status"], f["errorCode"]) for f in finished_faxes] == [
        ("F1", "FAILURE", 17)
    ]
    state.close()


def test_the_block_is_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for number in TEST_LINES:
        national = f"+1 {number[2:5]} {number[5:8]} {number[8:]}"
        assert national in readme, national


async def test_faxes_carry_the_countries_of_both_numbers(client: httpx.AsyncClient) -> None:
    await own_number(client, "+4930123456")
    fax = await send(client, to="+442079460123", **{"from": "+4930123456"})

    assert (fax["fromCountry"], fax["toCountry"]) == ("DE", "GB")
    listed = (await client.get("faxes")).json()["faxes"][0]
    assert (listed["fromCountry"], listed["toCountry"]) == ("DE", "GB")


def test_country_of_numbers_without_a_single_country() -> None:
    assert country_of(TEST_NUMBER) == "US"
    assert country_of("+80012345678") is None
    assert country_of("not a number") is None
