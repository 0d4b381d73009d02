"""Idempotent requests are tried again after failures that may pass, with backoff and
Retry-After; everything else fails at once. Waits go to a recorder instead of the clock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from faxdesk.api.retries import NO_RETRIES, RetryPolicy, is_retryable, with_retries
from faxdesk.core.errors import (
    ApiError,
    AuthError,
    CertificateError,
    FaxDeskError,
    InvalidRequest,
    NotFound,
    Offline,
    RateLimited,
    RequestTimeout,
    ServerError,
    ValidationError,
)
from faxdesk.core.models import FaxQuery
from tests.api.apitest_support import FAXES_PATH, KEY_SECRET, MakeClient, json_response, wire_fax

LIST_PAGE = {"faxes": [], "page": 1, "pageSize": 1, "totalItems": 0, "totalPages": 1}


class Waits:
    """An injectable `sleep` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


def policy(waits: Waits, **changes: object) -> RetryPolicy:
    """Four attempts, 0.5 s doubling to at most 8 s, no jitter (always the full step)."""
    settings: dict[str, object] = {"sleep": waits, "jitter": lambda: 0.999999}
    settings.update(changes)
    return RetryPolicy(**settings)  # type: ignore[arg-type]


def answers(
    *steps: httpx.Response | type[httpx.TransportError],
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    """A handler giving `steps` in turn (exception classes are raised), then the last again."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        step = steps[min(len(calls), len(steps) - 1)]
        calls.append(request)
        if isinstance(step, httpx.Response):
            return step
        raise step("failed", request=request)

    return handler, calls


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- the policy --------------------------------------------------------------------------------


def test_backoff_doubles_to_the_cap_with_equal_jitter() -> None:
    full = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=lambda: 0.999999)
    none = RetryPolicy(base_delay=0.5, max_delay=3.0, jitter=lambda: 0.0)
    assert [round(full.backoff(n), 3) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [none.backoff(n) for n in range(1, 6)] == [0.25, 0.5, 1.0, 1.5, 1.5]


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (Offline("down"), True),
        (RequestTimeout("slow"), False),
        (CertificateError("untrusted"), False),
        (RateLimited("busy"), True),
        (ServerError("gateway", status_code=502), True),
        (ServerError("unavailable", status_code=503), True),
        (ServerError("gateway timeout", status_code=504), True),
        (ServerError("bug", status_code=500), False),
        (AuthError("who", status_code=401), False),
        (NotFound("gone", status_code=404), False),
        (InvalidRequest("bad", status_code=422), False),
        (ApiError("odd", status_code=418), False),
        (ValidationError("no"), False),
    ],
)
def test_which_errors_are_worth_another_try(error: FaxDeskError, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def test_delay_after_honours_retry_after_up_to_the_cap() -> None:
    limits = RetryPolicy(attempts=3, max_retry_after=60.0)
    assert limits.delay_after(RateLimited("x", retry_after=5.0), 1) == 5.0
    assert limits.delay_after(ServerError("x", status_code=503, retry_after=60.0), 1) == 60.0
    assert limits.delay_after(RateLimited("x", retry_after=61.0), 1) is None
    assert limits.delay_after(RateLimited("x", retry_after=5.0), 3) is None


@pytest.mark.parametrize(
    "changes", [{"attempts": 0}, {"base_delay": -1.0}, {"max_delay": -1.0}, {"max_retry_after": -1}]
)
def test_impossible_policies_are_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"attempt|negative"):
        RetryPolicy(**changes)  # type: ignore[arg-type]


async def test_with_retries_raises_the_last_error_unchanged(waits: Waits) -> None:
    errors = [Offline("first"), Offline("second"), Offline("third")]
    seen: list[str] = []

    async def attempt() -> None:
        error = errors[len(seen)]
        seen.append(str(error))
        raise error

    with pytest.raises(Offline) as caught:
        await with_retries(policy(waits, attempts=3), attempt)
    assert caught.value is errors[2]
    assert seen == ["first", "second", "third"]
    assert [round(w, 3) for w in waits.seconds] == [0.5, 1.0]


async def test_no_retries_means_one_attempt(waits: Waits) -> None:
    calls: list[int] = []

    async def attempt() -> None:
        calls.append(1)
        raise Offline("down")

    with pytest.raises(Offline):
        await with_retries(NO_RETRIES, attempt)
    assert calls == [1]


# --- through the client ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_get_is_tried_again_after_a_gateway_failure(
    make_client: MakeClient, waits: Waits, status: int
) -> None:
    handler, calls = answers(
        httpx.Response(status), httpx.Response(status), json_response(200, wire_fax(id="01HX"))
    )
    client = make_client(handler, retry=policy(waits))
    fax = await client.get_fax("01HX")
    assert fax.id == "01HX"
    assert len(calls) == 3
    assert [round(w, 3) for w in waits.seconds] == [0.5, 1.0]


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError],
)
async def test_get_is_tried_again_after_connection_trouble(
    make_client: MakeClient, waits: Waits, failure: type[httpx.TransportError]
) -> None:
    handler, calls = answers(failure, json_response(200, LIST_PAGE))
    client = make_client(handler, retry=policy(waits))
    await client.ping()
    assert len(calls) == 2
    assert [round(w, 3) for w in waits.seconds] == [0.5]


async def test_a_get_the_service_took_and_never_answered_is_not_asked_again(
    make_client: MakeClient, waits: Waits
) -> None:
    # One whole read timeout has been waited already; three more would keep a script silent
    # for minutes.
    handler, calls = answers(httpx.ReadTimeout, json_response(200, LIST_PAGE))
    client = make_client(handler, retry=policy(waits))
    with pytest.raises(RequestTimeout):
        await client.ping()
    assert len(calls) == 1
    assert waits.seconds == []


async def test_attempts_run_out_and_the_last_error_is_raised(
    make_client: MakeClient, waits: Waits
) -> None:
    handler, calls = answers(httpx.Response(503))
    client = make_client(handler, retry=policy(waits, attempts=4, max_delay=1.5))
    with pytest.raises(ServerError) as caught:
        await client.list_faxes(FaxQuery())
    assert caught.value.status_code == 503
    assert len(calls) == 4
    assert [round(w, 3) for w in waits.seconds] == [0.5, 1.0, 1.5]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500),
        httpx.Response(401),
        json_response(404, {"message": "gone"}),
        json_response(422, {"details": {"fieldViolations": [{"field": "to"}]}}),
    ],
)
async def test_lasting_failures_are_not_tried_again(
    make_client: MakeClient, waits: Waits, response: httpx.Response
) -> None:
    handler, calls = answers(response)
    client = make_client(handler, retry=policy(waits))
    with pytest.raises(ApiError):
        await client.get_fax("01HX")
    assert len(calls) == 1
    assert waits.seconds == []


async def test_429_waits_as_long_as_retry_after_says(make_client: MakeClient, waits: Waits) -> None:
    handler, calls = answers(
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503, headers={"Retry-After": "2.5"}),
        json_response(200, LIST_PAGE),
    )
    client = make_client(handler, retry=policy(waits))
    await client.ping()
    assert len(calls) == 3
    assert waits.seconds == [7.0, 2.5]


async def test_retry_after_as_an_http_date(make_client: MakeClient, waits: Waits) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    handler, calls = answers(
        httpx.Response(429, headers={"Retry-After": when}), json_response(200, LIST_PAGE)
    )
    client = make_client(handler, retry=policy(waits))
    await client.ping()
    assert len(calls) == 2
    [wait] = waits.seconds
    # The date has whole seconds and the clock moves on while the test runs.
    assert 28.0 <= wait <= 30.0


async def test_429_without_retry_after_backs_off(make_client: MakeClient, waits: Waits) -> None:
    handler, calls = answers(httpx.Response(429), json_response(200, LIST_PAGE))
    client = make_client(handler, retry=policy(waits))
    await client.ping()
    assert len(calls) == 2
    assert [round(w, 3) for w in waits.seconds] == [0.5]


async def test_a_longer_retry_after_than_the_cap_is_handed_to_the_caller(
    make_client: MakeClient, waits: Waits
) -> None:
    handler, calls = answers(httpx.Response(429, headers={"Retry-After": "3600"}))
    client = make_client(handler, retry=policy(waits, max_retry_after=60.0))
    with pytest.raises(RateLimited) as caught:
        await client.list_faxes(FaxQuery())
    assert caught.value.retry_after == 3600.0
    assert str(caught.value) == (
        "The fax service is receiving too many requests; try again in 3600 seconds."
    )
    assert len(calls) == 1
    assert waits.seconds == []


async def test_delete_content_is_tried_again(make_client: MakeClient, waits: Waits) -> None:
    handler, calls = answers(httpx.ConnectError, httpx.Response(204))
    client = make_client(handler, retry=policy(waits))
    assert await client.delete_content("01HX") is None
    assert [(r.method, r.url.path) for r in calls] == [
        ("DELETE", f"{FAXES_PATH}/01HX/file"),
        ("DELETE", f"{FAXES_PATH}/01HX/file"),
    ]


async def test_csv_export_is_tried_again(
    make_client: MakeClient, waits: Waits, tmp_path: Path
) -> None:
    csv = b"Id,Direction\r\n01HX,OUTBOUND\r\n"
    handler, calls = answers(
        httpx.Response(502), httpx.Response(200, content=csv, headers={"Content-Type": "text/csv"})
    )
    client = make_client(handler, retry=policy(waits))
    destination = await client.export_csv(FaxQuery(), tmp_path / "faxes.csv")
    assert destination.read_bytes() == csv
    assert len(calls) == 2
    assert _names(tmp_path) == ["faxes.csv"]


class _BreakingBody(httpx.AsyncByteStream):
    """A body that sends `good` chunks and then drops the connection."""

    def __init__(self, chunks: list[bytes], good: int) -> None:
        self.chunks = chunks
        self.good = good

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks[: self.good]:
            yield chunk
        raise httpx.ReadError("Connection reset by peer")


async def test_download_broken_mid_stream_starts_over_cleanly(
    make_client: MakeClient, waits: Waits, tmp_path: Path
) -> None:
    chunks = [b"%PDF-1.4\n", b"A" * 100_000, b"B" * 100_000, b"%%EOF\n"]
    whole = b"".join(chunks)
    length = {"Content-Length": str(len(whole))}
    calls: list[httpx.Request] = []
    seen_mid_way: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(200, headers=length, stream=_BreakingBody(chunks, good=2))
        seen_mid_way.append(_names(tmp_path))
        return httpx.Response(200, headers=length, content=whole)

    reports: list[tuple[int, int | None]] = []
    destination = tmp_path / "fax.pdf"
    client = make_client(handler, retry=policy(waits))
    await client.download("01HX", destination, progress=lambda d, t: reports.append((d, t)))

    assert destination.read_bytes() == whole
    assert len(calls) == 2
    # The half file of the first try was gone before the second began.
    assert seen_mid_way == [[]]
    assert _names(tmp_path) == ["fax.pdf"]
    total = len(whole)
    first_try = len(chunks[0]) + len(chunks[1])
    assert reports[0] == (0, total)
    restart = reports.index((0, total), 1)
    assert reports[restart - 1] == (first_try, total)
    assert reports[-1] == (total, total)


async def test_retries_are_logged_without_secrets(
    make_client: MakeClient, waits: Waits, caplog: pytest.LogCaptureFixture
) -> None:
    handler, _ = answers(httpx.Response(503), json_response(200, wire_fax(id="01HX")))
    client = make_client(handler, retry=policy(waits))
    with caplog.at_level(logging.INFO, logger="faxdesk.api.retries"):
        await client.get_fax("01HX")
    [record] = caplog.records
    message = record.getMessage()
    assert message.startswith(f"GET {FAXES_PATH}/01HX failed (The fax service failed on its side")
    assert "trying again in 0.5 s (attempt 2 of 4)" in message
    assert KEY_SECRET not in message
    assert "Authorization" not in message
