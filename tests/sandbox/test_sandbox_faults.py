"""Fault injection: server errors, 429 with Retry-After, latency and a send whose connection is
dropped after the fax was recorded; set by flags and changed through the control endpoint."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.faults import (
    DROP_CONNECTION_EXTENSION,
    FaultControl,
    FaultInjector,
    FaultSettings,
    Message,
    Receive,
    Scope,
    Send,
)
from faxdesk.sandbox.state import FaxFilter
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox, sandbox_process
from tests.sandbox.sandbox_support import TEST_NUMBER, pdf_file, send


def recorded(local: LocalSandbox) -> int:
    return local.sandbox.state.list_faxes(
        local.config.project_id, FaxFilter(), page=1, page_size=100
    )[1]


@asynccontextmanager
async def faulty(**settings: object) -> AsyncIterator[LocalSandbox]:
    config = SandboxConfig(time_scale=0.01, faults=FaultSettings(**settings))  # type: ignore[arg-type]
    async with in_process_sandbox(config) as local:
        yield local


@pytest.fixture
async def control(local: LocalSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=local.transport, base_url=local.origin, auth=local.auth
    ) as http:
        yield http


@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_answers_before_anything_is_recorded(status: int) -> None:
    async with faulty(error_rate=1.0, error_statuses=(status,), retry_after_seconds=4) as local:
        async with local.client() as client:
            response = await client.post("faxes", data={"to": TEST_NUMBER}, files=[pdf_file(1)])
        assert response.status_code == status
        assert response.json()["code"] == status
        assert response.headers.get("retry-after") == ("4" if status == 503 else None)
        assert recorded(local) == 0


async def test_rate_limiting_is_429_with_retry_after() -> None:
    async with (
        faulty(rate_limit_rate=1.0, retry_after_seconds=7) as local,
        local.client() as client,
    ):
        response = await client.get("faxes")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["status"] == "RESOURCE_EXHAUSTED"


async def test_a_dropped_send_was_recorded_all_the_same() -> None:
    async with faulty(drop_rate=1.0) as local:
        async with local.client() as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post("faxes", data={"to": TEST_NUMBER}, files=[pdf_file(1)])
            listed = (await client.get("faxes")).json()
            # A send the sandbox refuses is answered as usual: nothing was recorded to hide.
            refused = await client.post("faxes", data={"to": "12"}, files=[pdf_file(1)])
        assert listed["totalItems"] == 1
        assert listed["faxes"][0]["to"] == TEST_NUMBER
        assert refused.status_code == 422
        assert recorded(local) == 1


async def test_latency_is_waited_before_each_api_answer() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with faulty(latency_seconds=0.75) as local:
        local.sandbox.faults.sleep = sleep
        async with local.client() as client:
            assert (await client.get("faxes")).status_code == 200
            assert (await client.get("services")).status_code == 200
    assert waits == [0.75, 0.75]


async def test_shares_between_none_and_all_mix_answers() -> None:
    async with faulty(error_rate=0.5) as local:
        local.sandbox.faults.random.seed(4)
        async with local.client() as client:
            statuses = Counter([(await client.get("faxes")).status_code for _ in range(40)])
    assert set(statuses) == {200, 500, 503}
    assert 5 < statuses[200] < 35


async def test_faults_leave_the_token_and_control_endpoints_alone() -> None:
    async with (
        faulty(error_rate=1.0, rate_limit_rate=1.0) as local,
        httpx.AsyncClient(
            transport=local.transport, base_url=local.origin, auth=local.auth
        ) as http,
    ):
        token = await http.post("/oauth2/token", data={"grant_type": "client_credentials"})
        faults = await http.get("/sandbox/faults")
    assert token.status_code == 200
    assert faults.status_code == 200


async def test_the_control_endpoint_shows_and_changes_the_faults(
    local: LocalSandbox, client: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    assert (await control.get("/sandbox/faults")).json() == {
        "errorRate": 0.0,
        "errorStatuses": [500, 503],
        "rateLimitRate": 0.0,
        "retryAfterSeconds": 1,
        "latencySeconds": 0.0,
        "dropRate": 0.0,
        "waitingRequests": 0,
    }

    changed = await control.patch(
        "/sandbox/faults", json={"errorRate": 1, "errorStatuses": [503], "retryAfterSeconds": 3}
    )
    during = await client.get("faxes")
    reset = await control.put("/sandbox/faults", json={"latencySeconds": 0})
    after = await client.get("faxes")

    assert changed.json()["errorRate"] == 1.0
    assert changed.json()["errorStatuses"] == [503]
    assert (during.status_code, during.headers["retry-after"]) == (503, "3")
    assert reset.json()["errorRate"] == 0.0
    assert after.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"errorRate": 2}, "errorRate"),
        ({"dropRate": "often"}, "dropRate"),
        ({"errorStatuses": [404]}, "errorStatuses"),
        ({"retryAfterSeconds": -1}, "retryAfterSeconds"),
        ({"latencySeconds": -0.5}, "latencySeconds"),
        ({"latencySeconds": 1e9}, "latencySeconds"),
        ({"latencySeconds": 60.5}, "latencySeconds"),
        ({"retryAfterSeconds": 3601}, "retryAfterSeconds"),
        ({"chaos": True}, "chaos"),
    ],
)
async def test_bad_fault_settings_are_422(
    control: httpx.AsyncClient, body: dict, field: str
) -> None:
    response = await control.patch("/sandbox/faults", json=body)

    assert response.status_code == 422
    assert [v["field"] for v in response.json()["details"][0]["fieldViolations"]] == [field]
    assert (await control.get("/sandbox/faults")).json()["errorRate"] == 0.0


async def test_fault_numbers_are_refused_outside_their_range_with_the_field_named(
    control: httpx.AsyncClient,
) -> None:
    response = await control.patch(
        "/sandbox/faults",
        json={"latencySeconds": 1e9, "retryAfterSeconds": 86400, "rateLimitRate": 1.5},
    )
    at_the_limits = await control.patch(
        "/sandbox/faults", json={"latencySeconds": 60, "retryAfterSeconds": 3600}
    )

    assert response.status_code == 422
    assert response.json()["details"][0]["fieldViolations"] == [
        {
            "field": "latencySeconds",
            "description": "latencySeconds must be a number of seconds from 0 to 60.",
        },
        {
            "field": "retryAfterSeconds",
            "description": "retryAfterSeconds must be a whole number of seconds from 0 to 3600.",
        },
        {"field": "rateLimitRate", "description": "rateLimitRate must be a number from 0 to 1."},
    ]
    assert at_the_limits.status_code == 200
    assert (at_the_limits.json()["latencySeconds"], at_the_limits.json()["retryAfterSeconds"]) == (
        60.0,
        3600,
    )


async def test_what_get_shows_can_be_put_back(control: httpx.AsyncClient) -> None:
    shown = (await control.get("/sandbox/faults")).json()

    response = await control.put("/sandbox/faults", json=shown)

    assert (response.status_code, response.json()) == (200, shown)


async def waiting(http: httpx.AsyncClient, count: int) -> None:
    """Return once `count` requests are waiting out latency (the sandbox says how many)."""
    # The count is the sandbox's, over HTTP: there is nothing to await but asking again.
    while (await http.get("/sandbox/faults")).json()["waitingRequests"] != count:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def test_a_wrong_key_is_refused_at_once_however_slow_the_sandbox_is() -> None:
    async def forever(_seconds: float) -> None:
        await asyncio.Event().wait()

    async with faulty(latency_seconds=60, error_rate=1.0) as local:
        local.sandbox.faults.sleep = forever
        async with local.client(auth=httpx.BasicAuth("sandbox", "wrong")) as client:
            # Without the key the request never reaches the latency: it cannot hang here.
            response = await asyncio.wait_for(client.get("faxes"), 10)

    assert (response.status_code, response.content) == (401, b"")


async def test_lowering_the_latency_lets_a_waiting_request_go_on() -> None:
    async with (
        faulty(latency_seconds=60) as local,
        local.client() as client,
        httpx.AsyncClient(
            transport=local.transport, base_url=local.origin, auth=local.auth
        ) as http,
    ):
        held = asyncio.ensure_future(client.get("faxes"))
        await asyncio.wait_for(waiting(http, 1), 10)
        await http.patch("/sandbox/faults", json={"latencySeconds": 0})
        response = await asyncio.wait_for(held, 10)
        after = (await http.get("/sandbox/faults")).json()["waitingRequests"]

    assert response.status_code == 200
    assert after == 0


async def test_a_request_whose_client_left_stops_waiting_and_is_not_answered() -> None:
    # Over a socket the server puts the abort extension in the scope: only then can a client
    # leave. Here the connection says so as uvicorn does, with http.disconnect.
    answered: list[Message] = []
    reached_app = False

    async def app(_scope: Scope, _receive: Receive, _send: Send) -> None:
        nonlocal reached_app
        reached_app = True

    messages = iter([{"type": "http.request", "body": b"", "more_body": False}])
    left = asyncio.Event()

    async def receive() -> Message:
        try:
            return next(messages)
        except StopIteration:
            await left.wait()
            return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        answered.append(message)

    control = FaultControl(FaultSettings(latency_seconds=60))
    injector = FaultInjector(app, control)
    scope = {
        "type": "http",
        "path": "/v3/projects/p/faxes",
        "method": "GET",
        "extensions": {DROP_CONNECTION_EXTENSION: lambda: None},
    }
    request = asyncio.ensure_future(injector(scope, receive, send))
    while control.waiting != 1:  # noqa: ASYNC110 - a count, with nothing to await
        await asyncio.sleep(0)
    left.set()
    await asyncio.wait_for(request, 10)

    assert (reached_app, answered, control.waiting) == (False, [], 0)


async def test_stopping_the_sandbox_ends_requests_held_by_latency_cleanly() -> None:
    config = SandboxConfig(port=0, time_scale=0.01, faults=FaultSettings(latency_seconds=60))
    with sandbox_process(config) as server:
        async with (
            httpx.AsyncClient(base_url=server.api_base_url + "/", auth=server.auth) as client,
            httpx.AsyncClient(base_url=server.origin, auth=server.auth, timeout=10) as http,
        ):
            # One client gives up: the sandbox stops holding its request.
            gave_up = asyncio.ensure_future(client.get("faxes", timeout=60))
            await asyncio.wait_for(waiting(http, 1), 10)
            gave_up.cancel()
            await asyncio.gather(gave_up, return_exceptions=True)
            await asyncio.wait_for(waiting(http, 0), 10)
            # Another is still waiting when the sandbox is stopped: it is answered, not cut.
            held = asyncio.ensure_future(client.get("faxes", timeout=60))
            await asyncio.wait_for(waiting(http, 1), 10)
            code, _, err = await asyncio.to_thread(server.stop)
            response = await held

    assert response.status_code == 200
    assert code == 0
    assert err == ""


def test_impossible_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        FaultSettings(error_rate=1.5)
    with pytest.raises(ValueError, match="error_statuses"):
        FaultSettings(error_statuses=(502,))
    with pytest.raises(ValueError, match="latency_seconds must be from 0 to 60"):
        FaultSettings(latency_seconds=61)


async def test_over_loopback_a_dropped_send_loses_the_answer_but_not_the_fax() -> None:
    config = SandboxConfig(port=0, time_scale=0.01, faults=FaultSettings(drop_rate=1.0))
    with sandbox_process(config) as server:
        async with httpx.AsyncClient(
            base_url=server.api_base_url + "/", auth=server.auth, timeout=10
        ) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.post("faxes", data={"to": TEST_NUMBER}, files=[pdf_file(1)])
            listed = (await client.get("faxes")).json()
            async with httpx.AsyncClient(base_url=server.origin, auth=server.auth) as http:
                await http.patch("/sandbox/faults", json={"dropRate": 0, "errorRate": 1})
            failing = await client.get("faxes")
            async with httpx.AsyncClient(base_url=server.origin, auth=server.auth) as http:
                await http.put("/sandbox/faults", json={})
            fax = await send(client)
        code, _, err = server.stop()

    assert [f["to"] for f in listed["faxes"]] == [TEST_NUMBER]
    assert failing.status_code in (500, 503)
    assert fax["status"] == "QUEUED"
    assert code == 0
    # The server dropped the connection on purpose: it does not report that as an error.
    assert "Exception" not in err
