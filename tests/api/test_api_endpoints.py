"""The endpoints beyond send/list/get/download: content deletion, the CSV export, services and
cover pages. Exact requests are checked on MockTransport; behaviour against the sandbox app."""

from __future__ import annotations

import asyncio
import base64
import csv
import inspect
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from faxdesk.api.auth import BasicAuth, OAuth2ClientCredentials
from faxdesk.api.client import FaxApiClient
from faxdesk.api.retries import NO_RETRIES
from faxdesk.core.errors import AuthError, NotFound, ValidationError
from faxdesk.core.models import (
    TEST_NUMBER,
    Direction,
    Document,
    Fax,
    FaxQuery,
    FaxStatus,
    SendRequest,
)
from faxdesk.core.ports import FaxApi
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.config import DEFAULT_FROM_NUMBER, DEFAULT_SERVICE_ID, SandboxConfig
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from tests.api.apitest_support import FAXES_PATH, PROJECT_ID, MakeClient, json_response

PROJECT_PATH = f"/v3/projects/{PROJECT_ID}"
CSV_BODY = b"Id,Direction,From,To\r\n01HX,OUTBOUND,+14155550100,+19898989898\r\n"


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def wire_service(**overrides: Any) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": "01SERVICE",
        "name": "Front desk",
        "defaultForProject": True,
        "projectId": PROJECT_ID,
    }
    service.update(overrides)
    return service


# --- the port --------------------------------------------------------------------------------


def test_client_has_every_port_method_with_the_same_parameters() -> None:
    members = [
        name
        for name, value in vars(FaxApi).items()
        if inspect.iscoroutinefunction(value) and not name.startswith("_")
    ]
    assert {"delete_content", "export_csv", "list_services", "get_cover_page"} <= set(members)
    for name in members:
        port = inspect.signature(getattr(FaxApi, name))
        real = inspect.signature(getattr(FaxApiClient, name))
        assert list(port.parameters) == list(real.parameters), name
        for parameter in port.parameters.values():
            assert real.parameters[parameter.name].kind == parameter.kind, name
            assert real.parameters[parameter.name].default == parameter.default, name


# --- delete content --------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [httpx.Response(204), json_response(200, {})])
async def test_delete_content_is_a_delete_of_the_file(
    make_client: MakeClient, answer: httpx.Response
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer

    client = make_client(handler)
    assert await client.delete_content(" 01HX ") is None
    [request] = requests
    assert (request.method, request.url.path) == ("DELETE", f"{FAXES_PATH}/01HX/file")
    assert request.headers["Accept"] == "application/json"
    assert request.content == b""


async def test_delete_content_of_an_unknown_fax_is_not_found(make_client: MakeClient) -> None:
    client = make_client(lambda _request: json_response(404, {"message": "Fax not found"}))
    with pytest.raises(NotFound) as caught:
        await client.delete_content("01HX")
    assert str(caught.value) == "The fax service has no such fax or file: Fax not found"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda api: api.delete_content(" "), "fax_id"),
        (lambda api: api.get_service(""), "service_id"),
        (lambda api: api.list_cover_pages(" "), "service_id"),
        (lambda api: api.get_cover_page("01SV", ""), "cover_page_id"),
        (lambda api: api.get_cover_page("", "01CP"), "service_id"),
    ],
)
async def test_missing_ids_make_no_request(make_client: MakeClient, call: Any, field: str) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(204)

    with pytest.raises(ValidationError) as caught:
        await call(make_client(handler))
    assert caught.value.field == field
    assert requests == []


# --- CSV export ------------------------------------------------------------------------------


async def test_export_sends_the_list_filters_without_paging(
    make_client: MakeClient, tmp_path: Path
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(
            200,
            content=CSV_BODY,
            headers={
                "Content-Type": "text/csv",
                "Content-Disposition": 'attachment; filename="fax_logs_exp1.csv"',
            },
        )

    client = make_client(handler)
    destination = tmp_path / "out" / "faxes.csv"
    result = await client.export_csv(
        FaxQuery(
            direction=Direction.INBOUND,
            status=FaxStatus.COMPLETED,
            to_prefix="+1415",
            created_after=datetime(2021, 10, 1, tzinfo=UTC),
            created_before=datetime(2021, 10, 30, 23, 59, 59, tzinfo=UTC),
            service_id="01GVRB",
            page_size=7,
        ),
        destination,
    )

    assert result == destination
    assert destination.read_bytes() == CSV_BODY
    assert _names(destination.parent) == ["faxes.csv"]
    [request] = requests
    assert (request.method, request.url.path) == ("GET", FAXES_PATH)
    assert request.headers["Accept"] == "text/csv"
    assert request.url.query.decode() == (
        "format=csv&serviceId=01GVRB&direction=INBOUND&status=COMPLETED&to=%2B1415"
        "&createTime>=2021-10-01T00:00:00Z&createTime<=2021-10-30T23:59:59Z"
    )


async def test_export_without_filters_asks_for_csv_only(
    make_client: MakeClient, tmp_path: Path
) -> None:
    queries: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(request.url.query)
        return httpx.Response(200, content=b"Id\r\n")

    await make_client(handler).export_csv(FaxQuery(), tmp_path / "x.csv")
    assert queries == [b"format=csv"]


async def test_failed_export_leaves_the_old_file(make_client: MakeClient, tmp_path: Path) -> None:
    destination = tmp_path / "faxes.csv"
    destination.write_bytes(b"old export")
    client = make_client(lambda _request: httpx.Response(401))
    with pytest.raises(AuthError):
        await client.export_csv(FaxQuery(), destination)
    assert destination.read_bytes() == b"old export"
    assert _names(tmp_path) == ["faxes.csv"]


# --- services --------------------------------------------------------------------------------


async def test_services_are_collected_from_every_page(make_client: MakeClient) -> None:
    queries: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(request.url.query.decode())
        page = int(request.url.params["page"])
        ids = {1: ["S1", "S2"], 2: ["S3", "S4"], 3: ["S5"]}[page]
        body = {
            "services": [wire_service(id=i, defaultForProject=i == "S4") for i in ids],
            "page": page,
            "pageSize": 2,
            "totalItems": 5,
            "totalPages": 3,
        }
        assert request.url.path == f"{PROJECT_PATH}/services"
        return json_response(200, body)

    services = await make_client(handler).list_services()
    assert [s.id for s in services] == ["S1", "S2", "S3", "S4", "S5"]
    assert [s.default_for_project for s in services] == [False, False, False, True, False]
    assert queries == ["pageSize=100&page=1", "pageSize=100&page=2", "pageSize=100&page=3"]


@pytest.mark.parametrize(
    "body",
    [
        {"services": [wire_service()]},  # no pagination fields at all
        {"services": [wire_service()], "totalPages": "many"},  # a count we cannot read
        {"services": [wire_service()], "totalPages": True},  # nor this
        {"services": [], "page": 1, "totalPages": 5},  # an empty page ends the walk
    ],
)
async def test_services_paging_stops_when_the_answer_gives_no_reason_to_go_on(
    make_client: MakeClient, body: dict[str, Any]
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return json_response(200, body)

    services = await make_client(handler).list_services()
    assert len(calls) == 1
    assert len(services) == len(body["services"])


@pytest.mark.parametrize(
    ("call", "key", "item", "listed"),
    [
        ("list_services", "services", wire_service(id="S1"), ["S1"]),
        ("list_cover_pages", "coverPages", {"id": "C1", "name": "Cover"}, ["C1"]),
        ("list_service_numbers", "numbers", {"phoneNumber": "+14155550100"}, ["+14155550100"]),
    ],
)
async def test_a_list_that_ignores_the_page_asked_for_ends_and_is_not_repeated(
    make_client: MakeClient, call: str, key: str, item: dict[str, Any], listed: list[str]
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        # The same first page whatever page is asked for, and many pages said to follow.
        calls.append(request)
        return json_response(200, {key: [item], "page": 1, "totalPages": 10**9})

    client = make_client(handler)
    method = getattr(client, call)
    found = await (method() if call == "list_services" else method("01SV"))
    assert [getattr(x, "phone_number", None) or x.id for x in found] == listed
    assert len(calls) == 2


async def test_a_page_count_in_text_is_still_followed(make_client: MakeClient) -> None:
    pages: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        pages.append(request.url.params["page"])
        service = wire_service(id=f"S{len(pages)}")
        return json_response(200, {"services": [service], "totalPages": " 2 "})

    services = await make_client(handler).list_services()
    assert [s.id for s in services] == ["S1", "S2"]
    assert pages == ["1", "2"]


async def test_service_numbers_are_collected_from_every_page(make_client: MakeClient) -> None:
    queries: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"{PROJECT_PATH}/services/01SV/numbers"
        queries.append(request.url.query.decode())
        page = int(request.url.params["page"])
        numbers = {
            1: [{"phoneNumber": "+14155550100", "permissions": "both", "country": "US"}],
            2: [
                # Older answers may leave the documented defaults out and send text booleans.
                {"phoneNumber": "+14155550101", "suspended": "true", "note": "Ported out"},
                {"permissions": "send"},  # no number: nothing to offer
                {"phoneNumber": "+14155550102", "permissions": "RECEIVE", "newField": 7},
            ],
        }[page]
        return json_response(200, {"numbers": numbers, "page": page, "totalPages": 2})

    numbers = await make_client(handler).list_service_numbers("01SV")
    assert queries == ["pageSize=100&page=1", "pageSize=100&page=2"]
    assert [(n.phone_number, n.permissions, n.suspended) for n in numbers] == [
        ("+14155550100", "both", False),
        ("+14155550101", "both", True),
        ("+14155550102", "receive", False),
    ]
    assert (numbers[0].country, numbers[1].note, numbers[2].extra) == (
        "US",
        "Ported out",
        {"newField": 7},
    )
    assert [n.can_send for n in numbers] == [True, False, False]


async def test_get_service_reads_one_service(make_client: MakeClient) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return json_response(200, wire_service(id="01SV/x", name="Billing"))

    service = await make_client(handler).get_service("01SV/x")
    assert (service.id, service.name) == ("01SV/x", "Billing")
    assert paths == [f"{PROJECT_PATH}/services/01SV%2Fx"]


async def test_unknown_service_is_not_found_by_name(make_client: MakeClient) -> None:
    client = make_client(lambda _request: json_response(404, {"code": 404, "status": "NOT_FOUND"}))
    with pytest.raises(NotFound) as caught:
        await client.get_service("01NOPE")
    assert str(caught.value) == "The fax service has no such service: NOT_FOUND"


# --- cover pages -----------------------------------------------------------------------------


def wire_cover_page(cover_page_id: str, pdf: bytes | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"id": cover_page_id, "name": f"Cover {cover_page_id}"}
    if pdf is not None:
        page["file"] = {"fileContent": base64.b64encode(pdf).decode(), "fileType": "PDF"}
    return page


async def test_cover_pages_are_collected_from_every_page(make_client: MakeClient) -> None:
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(f"{request.url.path}?{request.url.query.decode()}")
        page = int(request.url.params.get("page", "1"))
        ids = {1: ["C1", "C2"], 2: ["C3"]}[page]
        body = {"coverPages": [wire_cover_page(i) for i in ids], "page": page, "totalPages": 2}
        return json_response(200, body)

    pages = await make_client(handler).list_cover_pages("01SV")
    assert [p.id for p in pages] == ["C1", "C2", "C3"]
    # The list documents no query parameters: the first page is asked for plainly.
    path = f"{PROJECT_PATH}/services/01SV/coverPages"
    assert requests == [f"{path}?", f"{path}?page=2"]


async def test_get_cover_page_decodes_the_template(make_client: MakeClient) -> None:
    pdf = b"%PDF-1.4\ncover\n%%EOF\n"
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return json_response(200, wire_cover_page("01CP", pdf))

    cover_page = await make_client(handler).get_cover_page("01SV", "01CP")
    assert (cover_page.id, cover_page.name, cover_page.pdf) == ("01CP", "Cover 01CP", pdf)
    assert paths == [f"{PROJECT_PATH}/services/01SV/coverPages/01CP"]


async def test_unknown_cover_page_is_not_found_by_name(make_client: MakeClient) -> None:
    client = make_client(lambda _request: httpx.Response(404))
    with pytest.raises(NotFound) as caught:
        await client.get_cover_page("01SV", "01NOPE")
    assert str(caught.value) == "The fax service has no such cover page."


# --- against the sandbox app -----------------------------------------------------------------


class SandboxClock:
    """The sandbox's clock, standing on real time until a test moves it on."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def sandbox_clock() -> SandboxClock:
    return SandboxClock()


@pytest.fixture
async def local(sandbox_clock: SandboxClock) -> AsyncIterator[LocalSandbox]:
    config = SandboxConfig(time_scale=0.01, key_secret="p@ss:wörd")
    async with in_process_sandbox(config, clock=sandbox_clock) as sandbox:
        yield sandbox


@pytest.fixture
async def http(local: LocalSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=local.transport) as client:
        yield client


@pytest.fixture
def api(local: LocalSandbox, http: httpx.AsyncClient) -> FaxApiClient:
    return FaxApiClient(
        http,
        base_url=local.origin,
        project_id=local.config.project_id,
        auth=BasicAuth(local.config.key_id, local.config.key_secret),
        retry=NO_RETRIES,
    )


@pytest.fixture
def pdf(tmp_path: Path) -> Document:
    path = tmp_path / "letter.pdf"
    path.write_bytes(make_test_pdf(2, "Letter"))
    return Document(path)


async def _until_final(api: FaxApiClient, fax_id: str) -> Fax:
    async with asyncio.timeout(20):
        # Polling is how a client without a webhook learns the outcome.
        while not (fax := await api.get_fax(fax_id)).status.is_final:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return fax


async def test_sandbox_services_and_cover_pages(api: FaxApiClient, local: LocalSandbox) -> None:
    async with local.client() as raw:
        created = (await raw.post("services", json={"name": "Billing"})).json()
        template = make_test_pdf(1, "Cover")
        added = []
        for number in range(23):  # more than the 20 a list page holds
            body = {
                "name": f"Cover {number}",
                "file": {"fileContent": base64.b64encode(template).decode(), "fileType": "PDF"},
            }
            answer = await raw.post(f"services/{created['id']}/coverPages", json=body)
            assert answer.status_code == 200, answer.text
            added.append(answer.json()["id"])

    services = await api.list_services()
    assert {s.id for s in services} == {DEFAULT_SERVICE_ID, created["id"]}
    assert [s.id for s in services if s.default_for_project] == [DEFAULT_SERVICE_ID]
    billing = await api.get_service(created["id"])
    assert (billing.name, billing.default_for_project) == ("Billing", False)

    listed = await api.list_cover_pages(created["id"])
    assert sorted(p.id for p in listed) == sorted(added)
    one = await api.get_cover_page(created["id"], added[5])
    assert (one.name, one.service_id, one.pdf) == ("Cover 5", created["id"], template)
    assert await api.list_cover_pages(DEFAULT_SERVICE_ID) == []
    with pytest.raises(NotFound):
        await api.get_cover_page(DEFAULT_SERVICE_ID, added[0])
    with pytest.raises(NotFound):
        await api.get_service("01JZZZZZZZZZZZZZZZZZZZZZZZ")
    [own] = await api.list_service_numbers(DEFAULT_SERVICE_ID)
    assert (own.phone_number, own.service_id, own.can_send) == (
        DEFAULT_FROM_NUMBER,
        DEFAULT_SERVICE_ID,
        True,
    )
    assert await api.list_service_numbers(created["id"]) == []
    with pytest.raises(NotFound):
        await api.list_service_numbers("01JZZZZZZZZZZZZZZZZZZZZZZZ")


async def test_sandbox_delete_content_keeps_the_record(
    api: FaxApiClient, pdf: Document, tmp_path: Path
) -> None:
    [sent] = await api.send(SendRequest(to=(TEST_NUMBER,), documents=(pdf,)))
    done = await _until_final(api, sent.id)
    assert done.has_file

    await api.delete_content(sent.id)

    after = await api.get_fax(sent.id)
    assert (after.id, after.status, after.has_file) == (sent.id, FaxStatus.COMPLETED, False)
    with pytest.raises(NotFound):
        await api.download(sent.id, tmp_path / "gone.pdf")
    assert _names(tmp_path) == ["letter.pdf"]


async def test_sandbox_csv_export_holds_every_match(
    api: FaxApiClient, pdf: Document, tmp_path: Path
) -> None:
    for number in ("+14155550181", "+14155550182", "+14155550183", "+4930901820"):
        await api.send(SendRequest(to=(number,), documents=(pdf,)))
    reports: list[tuple[int, int | None]] = []
    query = FaxQuery(
        to_prefix="+1415555018",
        created_after=datetime.now(UTC) - timedelta(hours=1),
        page_size=1,  # the export is not paged: all three come back
    )

    path = await api.export_csv(
        query, tmp_path / "faxes.csv", progress=lambda d, t: reports.append((d, t))
    )

    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert sorted(row["To"] for row in rows) == ["+14155550181", "+14155550182", "+14155550183"]
    size = path.stat().st_size
    assert reports[0] == (0, size)
    assert reports[-1] == (size, size)


class Recording(httpx.AsyncBaseTransport):
    """Passes requests on to `inner`, noting method, path and Authorization as they were sent."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("Authorization", "")
        self.requests.append((request.method, request.url.path, authorization))
        return await self.inner.handle_async_request(request)


async def test_sandbox_oauth_send_renews_an_expired_token(
    local: LocalSandbox, sandbox_clock: SandboxClock, tmp_path: Path
) -> None:
    big = tmp_path / "big.pdf"
    # Padded with a trailing comment line, which PDF readers skip, to span several chunks; the
    # end-of-file marker is repeated after it, so the file does not look cut off.
    big.write_bytes(make_test_pdf(12, "A long letter") + b"\n%" + b"x" * 300_000 + b"\n%%EOF\n")
    seen = Recording(local.transport)
    oauth = OAuth2ClientCredentials(
        local.config.key_id, local.config.key_secret, auth_base_url=local.origin
    )
    async with httpx.AsyncClient(transport=seen) as recorded:
        api = FaxApiClient(
            recorded, base_url=local.origin, project_id=local.config.project_id, auth=oauth
        )
        await api.ping()  # the client now holds a token it believes good for an hour
        sandbox_clock.offset = timedelta(hours=2)  # ...which the sandbox says has expired
        reports: list[tuple[int, int | None]] = []

        [sent] = await api.send(
            SendRequest(to=(TEST_NUMBER,), documents=(Document(big),)),
            progress=lambda d, t: reports.append((d, t)),
        )

    assert sent.number_of_pages == 12
    sends = [auth for method, path, auth in seen.requests if path.endswith("/faxes")]
    pings, renewed = sends[0], sends[2]
    assert sends == [pings, pings, renewed]  # ping, the refused send, the send again
    assert renewed.startswith("Bearer ")
    assert renewed != pings
    assert [path for _, path, _ in seen.requests].count("/oauth2/token") == 2
    # The sandbox refuses the old token without reading the body, as a server may: progress
    # then counts the one pass that carried it, from 0 to the end.
    total = reports[-1][1]
    assert isinstance(total, int)
    assert total > big.stat().st_size
    counts = [done for done, _ in reports]
    assert counts[0] == 0
    assert counts == sorted(counts)
    assert counts[-1] == total
    assert len(counts) > 3
