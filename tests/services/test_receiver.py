"""The webhook listener over real HTTP on loopback: both encodings, auth, limits, duplicates.

The listener runs on this test's event loop with uvicorn, as it does in FaxDesk; requests come
from an httpx client, and in the last tests from the sandbox's own webhook sender.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faxdesk.api.client import FaxApiClient
from faxdesk.api.webhooks import WebhookEvent
from faxdesk.core.errors import ConfigError
from faxdesk.core.models import Direction, FaxStatus, ListFilter
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.testing import LocalSandbox
from faxdesk.services.folders import FaxFolder
from faxdesk.services.receiver import ReceiverConfig, WebhookReceiver
from faxdesk.services.sync import InboundStore
from faxdesk.store.archive import Archive
from tests.waiting import until

PASSWORD = "correct horse battery staple"
PDF = make_test_pdf(2, "Referral")


def incoming(fax_id: str = "01JINBOUND0000000000000001", **overrides) -> dict:
    fax = {
        "id": fax_id,
        "direction": "INBOUND",
        "from": "+14155552222",
        "to": "+14155553333",
        "numberOfPages": 2,
        "status": "COMPLETED",
        # Just now: a fax that arrives while FaxDesk runs is news (unread).
        "createTime": datetime.now(UTC).isoformat(),
        "completedTime": datetime.now(UTC).isoformat(),
        "hasFile": True,
    }
    fax.update(overrides)
    return fax


def json_body(event: str, fax: dict, *, pdf: bytes | None = PDF, files: bool = False) -> bytes:
    body: dict = {"event": event, "eventTime": "2026-11-30T10:20:01Z", "fax": fax}
    if pdf is not None:
        encoded = base64.b64encode(pdf).decode()
        if files:
            body["files"] = [{"file": encoded, "fileType": "PDF"}]
        else:
            body.update(file=encoded, fileType="PDF")
    return json.dumps(body).encode()


def multipart_body(event: str, fax: dict, pdf: bytes | None = PDF) -> tuple[str, bytes]:
    files = {"file": ("fax.pdf", pdf, "application/pdf")} if pdf is not None else None
    data = {"event": event, "eventTime": "2026-11-30T10:20:01Z", "fax": json.dumps(fax)}
    request = httpx.Request("POST", "http://x/", data=data, files=files or {"": ("", b"", "")})
    return request.headers["content-type"], request.read()


@dataclass
class Listener:
    receiver: WebhookReceiver
    archive: Archive
    folder: Path
    triggers: list[None] = field(default_factory=list)
    events: list[WebhookEvent] = field(default_factory=list)

    def client(self, password: str = PASSWORD, **kwargs) -> httpx.AsyncClient:
        kwargs.setdefault("auth", httpx.BasicAuth("faxdesk", password))
        return httpx.AsyncClient(timeout=10, **kwargs)

    async def post(self, content_type: str, body: bytes, **client) -> httpx.Response:
        async with self.client(**client) as http:
            return await http.post(
                self.receiver.url, content=body, headers={"Content-Type": content_type}
            )

    def files(self) -> list[Path]:
        return sorted(p for p in self.folder.glob("*.pdf"))


@pytest.fixture
async def listener(api: FaxApiClient, tmp_path: Path) -> AsyncIterator[Listener]:
    archive = Archive(tmp_path / "archive.sqlite3")
    folder = tmp_path / "received"
    inbound = InboundStore(api, archive, FaxFolder(folder, "desk"), "{id}.pdf")
    receiver = WebhookReceiver(
        ReceiverConfig(port=0, password=PASSWORD, max_body_bytes=512 * 1024), archive, inbound
    )
    built = Listener(receiver, archive, folder)
    receiver.trigger = lambda: built.triggers.append(None)
    receiver.on_event = built.events.append
    await receiver.start()
    try:
        yield built
    finally:
        await receiver.stop()
        archive.close()


async def test_an_incoming_fax_in_json_is_stored_and_starts_a_sync(listener: Listener):
    response = await listener.post("application/json", json_body("INCOMING_FAX", incoming()))
    assert response.status_code == 200
    assert response.json() == {"stored": True}
    fax = listener.archive.get("01JINBOUND0000000000000001")
    assert (fax.direction, fax.status, fax.from_) == (
        Direction.INBOUND,
        FaxStatus.COMPLETED,
        "+14155552222",
    )
    [path] = listener.files()
    assert path.read_bytes() == PDF
    assert listener.archive.local_file(fax.id) == path
    assert len(listener.triggers) == 1
    assert [event.event for event in listener.events] == ["INCOMING_FAX"]


async def test_an_incoming_fax_in_multipart_is_stored(listener: Listener):
    content_type, body = multipart_body("INCOMING_FAX", incoming())
    response = await listener.post(content_type, body)
    assert response.status_code == 200
    [path] = listener.files()
    assert path.read_bytes() == PDF
    assert listener.archive.row("01JINBOUND0000000000000001").unread is True


async def test_fax_completed_updates_a_sent_fax(listener: Listener):
    sent = {
        "id": "01JSENT",
        "direction": "OUTBOUND",
        "to": "+19898989898",
        "status": "COMPLETED",
        "createTime": "2026-11-30T10:00:00Z",
        "numberOfPages": 1,
        "pagesSentSuccessfully": 1,
    }
    response = await listener.post("application/json", json_body("FAX_COMPLETED", sent, files=True))
    assert response.status_code == 200
    assert listener.archive.get("01JSENT").status is FaxStatus.COMPLETED
    # A sent fax's document is not written into the receiving folder.
    assert listener.files() == []


async def test_the_same_event_delivered_twice_is_stored_once(listener: Listener):
    body = json_body("INCOMING_FAX", incoming())
    first = await listener.post("application/json", body)
    second = await listener.post("application/json", body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"stored": False, "reason": "already received"}
    assert len(listener.files()) == 1
    assert len(listener.triggers) == 1
    assert len(listener.events) == 1


async def test_the_same_event_delivered_twice_at_once_is_stored_once(listener: Listener):
    content_type, body = multipart_body("INCOMING_FAX", incoming())
    first, second = await asyncio.gather(
        listener.post(content_type, body), listener.post(content_type, body)
    )
    assert (first.status_code, second.status_code) == (200, 200)
    assert sorted(answer.json()["stored"] for answer in (first, second)) == [False, True]
    assert len(listener.files()) == 1
    assert len(listener.events) == 1
    assert listener.archive.count(ListFilter()) == 1


@pytest.mark.parametrize(
    "auth",
    [
        None,
        httpx.BasicAuth("faxdesk", "wrong"),
        httpx.BasicAuth("someone-else", PASSWORD),
        "Bearer " + PASSWORD,
        "Basic not-base64!",
    ],
)
async def test_requests_without_the_right_credentials_get_401_and_change_nothing(
    listener: Listener, auth
):
    headers = {"Content-Type": "application/json"}
    if isinstance(auth, str):
        headers["Authorization"] = auth
        auth = None
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            listener.receiver.url,
            content=json_body("INCOMING_FAX", incoming()),
            headers=headers,
            auth=auth,
        )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert listener.archive.count(ListFilter()) == 0
    assert listener.files() == []
    assert listener.triggers == []


@pytest.mark.parametrize(
    ("content_type", "body", "words"),
    [
        ("application/json", b"{not json", "not valid JSON"),
        ("application/json", b'{"event": "INCOMING_FAX"}', "carries no fax"),
        ("application/json", json.dumps({"fax": incoming()}).encode(), "which event"),
        ("text/plain", b"hello", "must be multipart/form-data or application/json"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\ncut", "cut short"),
        (
            "application/json",
            json_body("INCOMING_FAX", incoming(), pdf=b"GIF89a not a pdf"),
            "not a PDF",
        ),
    ],
)
async def test_malformed_bodies_get_400_in_words_and_change_nothing(
    listener: Listener, content_type, body, words
):
    response = await listener.post(content_type, body)
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert listener.archive.count(ListFilter()) == 0
    assert listener.files() == []
    assert listener.triggers == []


async def test_oversized_bodies_get_413_declared_or_not(listener: Listener):
    big = json_body("INCOMING_FAX", incoming(), pdf=PDF + b"%" * (600 * 1024))
    response = await listener.post("application/json", big)
    assert response.status_code == 413
    assert "larger than FaxDesk accepts" in response.json()["error"]

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the body is cut off while it is read.
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    async with listener.client() as http:
        streamed = await http.post(
            listener.receiver.url, content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert streamed.status_code == 413
    assert listener.archive.count(ListFilter()) == 0


async def test_only_post_on_the_configured_path_is_served(listener: Listener):
    async with listener.client() as http:
        assert (await http.get(listener.receiver.url)).status_code == 405
        other = listener.receiver.url.replace("/faxdesk/webhook", "/elsewhere")
        assert (await http.post(other, content=b"{}")).status_code == 404


async def test_an_event_faxdesk_does_not_handle_is_acknowledged_and_ignored(listener: Listener):
    body = json_body("FAX_ON_HOLD", incoming(), pdf=None)
    response = await listener.post("application/json", body)
    assert response.status_code == 200
    assert response.json()["stored"] is False
    assert listener.archive.count(ListFilter()) == 0


async def test_a_listener_needs_a_password_and_a_free_port(api, tmp_path, listener: Listener):
    archive = listener.archive
    inbound = InboundStore(api, archive, FaxFolder(tmp_path, "d"), "{id}.pdf")
    with pytest.raises(ConfigError, match="needs a password"):
        WebhookReceiver(ReceiverConfig(port=0), archive, inbound)
    taken = WebhookReceiver(
        ReceiverConfig(port=listener.receiver.port, password="x"), archive, inbound
    )
    with pytest.raises(ConfigError, match=r"cannot listen on 127\.0\.0\.1 port"):
        await taken.start()


async def test_a_store_that_fails_answers_503_and_takes_the_next_attempt(
    listener: Listener, tmp_path: Path
):
    listener.folder.parent.mkdir(exist_ok=True)
    listener.folder.write_text("a file where the folder should be")
    body = json_body("INCOMING_FAX", incoming())
    failed = await listener.post("application/json", body)
    assert failed.status_code == 503
    listener.folder.unlink()
    retried = await listener.post("application/json", body)
    assert retried.status_code == 200
    assert retried.json() == {"stored": True}


# -- the sandbox's own webhooks ----------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["multipart/form-data", "application/json"])
async def test_the_sandbox_delivers_incoming_faxes_to_the_listener(
    local: LocalSandbox, listener: Listener, content_type: str
):
    url = listener.receiver.url.replace(
        "http://", f"http://faxdesk:{PASSWORD.replace(' ', '%20')}@"
    )
    async with local.client() as http:
        services = (await http.get("services")).json()["services"]
        service_id = services[0]["id"]
        patched = await http.patch(
            f"services/{service_id}",
            json={"incomingWebhookUrl": url, "webhookContentType": content_type},
        )
        assert patched.status_code == 200, patched.text
        injected = await http.post(f"{local.origin}/sandbox/inbound", json={"count": 2}, timeout=30)
    ids = {fax["id"] for fax in injected.json()["faxes"]}
    await until(lambda: len(listener.events) == 2)
    assert {event.fax.id for event in listener.events} == ids
    assert all(listener.archive.local_file(fax_id).is_file() for fax_id in ids)


# -- a fuzzed body -----------------------------------------------------------------------------


@pytest.fixture
def threaded_listener(tmp_path: Path) -> Iterator[tuple[str, Archive, httpx.Client]]:
    """A listener on its own thread and loop, for the synchronous property test."""
    archive = Archive(tmp_path / "fuzz.sqlite3")
    folder = tmp_path / "fuzzed"
    ready = threading.Event()
    state: dict = {}

    async def serve() -> None:
        inbound = InboundStore(None, archive, FaxFolder(folder, "desk"), "{id}.pdf")  # type: ignore[arg-type]
        receiver = WebhookReceiver(
            ReceiverConfig(port=0, password=PASSWORD, max_body_bytes=64 * 1024), archive, inbound
        )
        await receiver.start()
        state["url"] = receiver.url
        state["stop"] = asyncio.Event()
        ready.set()
        await state["stop"].wait()
        await receiver.stop()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        with httpx.Client(auth=httpx.BasicAuth("faxdesk", PASSWORD), timeout=10) as client:
            yield state["url"], archive, client
    finally:
        loop.call_soon_threadsafe(state["stop"].set)
        thread.join(10)
        loop.close()
        archive.close()


_CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "multipart/form-data; boundary=b",
        "multipart/form-data",
        "text/plain",
        "",
        "application/vnd.faxdesk+json",
    ]
)
_BODIES = st.one_of(
    st.binary(max_size=4096),
    st.builds(lambda text: text.encode(), st.text(max_size=512)),
    st.builds(
        lambda fax, event: json_body(event, fax, pdf=None),
        st.dictionaries(
            st.sampled_from(["id", "direction", "status", "from"]), st.text(max_size=8)
        ),
        st.sampled_from(["INCOMING_FAX", "FAX_COMPLETED", ""]),
    ),
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(content_type=_CONTENT_TYPES, body=_BODIES)
def test_a_fuzzed_body_never_breaks_the_listener(threaded_listener, content_type, body):
    url, archive, client = threaded_listener
    before = archive.count(ListFilter())
    response = client.post(url, content=body, headers={"Content-Type": content_type})
    assert response.status_code in (200, 400, 413)
    assert isinstance(response.json(), dict)
    if response.status_code != 200 or not response.json().get("stored"):
        assert archive.count(ListFilter()) == before
    # And the listener still takes a good delivery after it.
    good = incoming(f"01JGOOD{archive.count(ListFilter()):019d}")
    after = client.post(
        url,
        content=json_body("INCOMING_FAX", good, pdf=None),
        headers={"Content-Type": "application/json"},
    )
    assert after.status_code == 200
    assert after.json() == {"stored": True}
    assert archive.get(good["id"]) is not None
