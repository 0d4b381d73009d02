"""FAX_COMPLETED webhooks: where they go, both encodings, Basic auth from the URL, retries."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import httpx
import pytest

from faxdesk.documents.pages import count_pages
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.numbers import BUSY_NUMBER
from faxdesk.sandbox.testing import in_process_sandbox
from faxdesk.sandbox.webhooks import (
    RETRY_SCHEDULE_SECONDS,
    Webhook,
    WebhookEvent,
    WebhookSender,
)
from tests.sandbox.sandbox_support import (
    TEST_NUMBER,
    FakeClock,
    WebhookReceiver,
    finished,
    send,
)

CALLBACK = "https://hook-user:s3cret@receiver.test/fax/done"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_fax_completed_goes_to_the_callback_url_as_multipart_with_basic_auth() -> None:
    receiver = WebhookReceiver()
    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.01), webhook_transport=receiver.transport
        ) as local,
        local.client() as client,
    ):
        fax = await send(client, pages=2, callbackUrl=CALLBACK)
        done = await finished(local, client, fax["id"])
        [hook] = await receiver.wait_for(1)

    assert hook.url == "https://receiver.test/fax/done"
    assert hook.authorization == basic("hook-user", "s3cret")
    assert hook.content_type.startswith("multipart/form-data; boundary=")
    assert hook.form["event"] == "FAX_COMPLETED"
    assert hook.form["eventTime"].endswith("Z")
    sent_fax = json.loads(hook.form["fax"])
    assert sent_fax == done
    assert sent_fax["status"] == "COMPLETED"
    assert sent_fax["callbackUrl"] == "https://***:***@receiver.test/fax/done"
    filename, media_type, pdf = hook.form["file"]
    assert (filename, media_type) == (f"{fax['id']}.pdf", "application/pdf")
    assert count_pages(pdf) == 2
    # The fax part is typed as JSON, as the service types it.
    assert b'name="fax"\r\nContent-Type: application/json' in hook.body


async def test_fax_completed_as_json_carries_the_pdf_in_files() -> None:
    receiver = WebhookReceiver()
    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.01), webhook_transport=receiver.transport
        ) as local,
        local.client() as client,
    ):
        fax = await send(
            client,
            pages=3,
            callbackUrl="https://receiver.test/json",
            callbackUrlContentType="application/json",
        )
        await finished(local, client, fax["id"])
        [hook] = await receiver.wait_for(1)

    assert hook.authorization == ""
    assert hook.content_type == "application/json"
    assert hook.json["event"] == "FAX_COMPLETED"
    assert hook.json["fax"]["id"] == fax["id"]
    [attached] = hook.json["files"]
    assert attached["fileType"] == "PDF"
    assert count_pages(base64.b64decode(attached["file"])) == 3


async def test_without_a_callback_url_the_services_webhook_url_and_type_are_used() -> None:
    receiver = WebhookReceiver()
    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.01), webhook_transport=receiver.transport
        ) as local,
        local.client() as client,
    ):
        service = (await client.get("services")).json()["services"][0]
        changed = await client.patch(
            f"services/{service['id']}",
            json={
                "incomingWebhookUrl": "https://svc:pw@receiver.test/service",
                "webhookContentType": "application/json",
            },
        )
        assert changed.status_code == 200
        fax = await send(client, to=BUSY_NUMBER, maxRetries="0")
        await finished(local, client, fax["id"])
        [hook] = await receiver.wait_for(1)

    assert hook.path == "/service"
    assert hook.authorization == basic("svc", "pw")
    # A failed fax ends too, and says how.
    assert hook.json["event"] == "FAX_COMPLETED"
    assert (hook.json["fax"]["status"], hook.json["fax"]["errorCode"]) == ("FAILURE", 17)


async def test_no_webhook_url_anywhere_sends_nothing() -> None:
    receiver = WebhookReceiver()
    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.01), webhook_transport=receiver.transport
        ) as local,
        local.client() as client,
    ):
        fax = await send(client)
        await finished(local, client, fax["id"])
        await local.sandbox.webhooks.wait_all()
        assert local.sandbox.webhooks.attempts == []

    assert receiver.received == []


class RecordedSleep:
    def __init__(self) -> None:
        self.requested: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.requested.append(seconds)


def hook_for(url: str) -> Webhook:
    return Webhook(
        url=url,
        content_type="application/json",
        event=WebhookEvent.FAX_COMPLETED,
        fax={"id": "F1", "status": "COMPLETED"},
        pdf=None,
        event_time=datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
    )


async def test_a_non_200_answer_is_retried_on_the_scaled_schedule_until_200() -> None:
    receiver = WebhookReceiver(answers=[500, 204, 503])
    sleep = RecordedSleep()
    sender = WebhookSender(
        time_scale=0.5, clock=FakeClock(), transport=receiver.transport, sleep=sleep
    )

    sender.send(hook_for("https://u:p@receiver.test/hook"))
    await sender.wait_all()
    await sender.aclose()

    assert len(receiver.received) == 4
    assert sleep.requested == [150.0, 300.0, 600.0]
    assert [(a.attempt, a.status_code) for a in sender.attempts] == [
        (1, 500),
        (2, 204),
        (3, 503),
        (4, 200),
    ]
    assert {a.url for a in sender.attempts} == {"https://***:***@receiver.test/hook"}


async def test_delivery_stops_after_the_sixteenth_retry() -> None:
    receiver = WebhookReceiver(answers=[500] * 40)
    sleep = RecordedSleep()
    sender = WebhookSender(
        time_scale=1.0, clock=FakeClock(), transport=receiver.transport, sleep=sleep
    )

    sender.send(hook_for("https://receiver.test/hook"))
    await sender.wait_all()
    await sender.aclose()

    assert len(receiver.received) == 17
    assert sleep.requested == list(RETRY_SCHEDULE_SECONDS)
    assert sleep.requested[:4] == [300, 600, 1200, 1800]
    assert set(sleep.requested[4:]) == {21600}


async def test_an_unreachable_receiver_is_retried_and_recorded() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    sleep = RecordedSleep()
    # An answer the real parts never give in-process: a refused connection.
    sender = WebhookSender(
        time_scale=0.0, clock=FakeClock(), transport=httpx.MockTransport(refuse), sleep=sleep
    )

    sender.send(hook_for("https://receiver.test/hook"))
    await sender.wait_all()
    await sender.aclose()

    assert len(sender.attempts) == 17
    assert sender.attempts[0].status_code is None
    assert "refused" in sender.attempts[0].error


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/json"])
async def test_fax_completed_reaches_a_real_listener_over_loopback(content_type: str) -> None:
    from faxdesk.sandbox.testing import sandbox_process

    receiver = WebhookReceiver()
    async with receiver.serving() as origin:
        config = SandboxConfig(port=0, time_scale=0.01)
        with sandbox_process(config) as server:
            async with httpx.AsyncClient(
                base_url=server.api_base_url + "/", auth=server.auth, timeout=10
            ) as client:
                url = origin.replace("http://", "http://me:pw@") + "/done"
                fax = await send(
                    client, to=TEST_NUMBER, callbackUrl=url, callbackUrlContentType=content_type
                )
                [hook] = await receiver.wait_for(1)

    assert hook.path == "/done"
    assert hook.authorization == basic("me", "pw")
    event = hook.form["event"] if hook.form else hook.json["event"]
    sent_fax = json.loads(hook.form["fax"]) if hook.form else hook.json["fax"]
    assert event == "FAX_COMPLETED"
    assert (sent_fax["id"], sent_fax["status"]) == (fax["id"], "COMPLETED")
