"""FaxApiClient against MockTransport handlers that check the exact requests it makes."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import httpx
import pytest

import faxdesk
from faxdesk.api.auth import BasicAuth, OAuth2ClientCredentials
from faxdesk.api.client import FaxApiClient, create_http_client, fax_api_root
from faxdesk.api.retries import NO_RETRIES, RetryPolicy
from faxdesk.core.errors import (
    ApiError,
    AuthError,
    ConfigError,
    DocumentError,
    InvalidRequest,
    NotFound,
    Offline,
    PaymentRequired,
    RateLimited,
    RequestTimeout,
    ServerError,
    ValidationError,
)
from faxdesk.core.models import (
    Direction,
    Document,
    FaxQuery,
    FaxStatus,
    Resolution,
    SendRequest,
)
from faxdesk.core.ports import FaxApi
from tests.api.apitest_support import (
    FAXES_PATH,
    KEY_SECRET,
    PROJECT_ID,
    MakeClient,
    json_response,
    multipart_parts,
    wire_fax,
)

# --- construction ----------------------------------------------------------------------------


async def test_client_satisfies_the_port_and_builds_project_urls(make_client: MakeClient) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return json_response(200, wire_fax())

    api: FaxApi = make_client(handler)
    await api.get_fax("01J9ZK3M7Q2W8E5R6T4Y1U0P9A")
    assert paths == [f"{FAXES_PATH}/01J9ZK3M7Q2W8E5R6T4Y1U0P9A"]


@pytest.mark.parametrize("base_url", ["fax.api.sinch.com", "ftp://fax.api.sinch.com", "http://"])
async def test_bad_base_url_is_a_config_error(base_url: str) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ConfigError):
            FaxApiClient(http, base_url=base_url, project_id="p", auth=BasicAuth("k", "s"))


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        (
            "http://127.0.0.1:18101?x=1",
            "The fax service address 'http://127.0.0.1:18101?x=1' must not have a query (?) or "
            "fragment (#) part.",
        ),
        (
            "https://fax.api.sinch.com/#v3",
            "The fax service address 'https://fax.api.sinch.com/#v3' must not have a query (?) "
            "or fragment (#) part.",
        ),
        (
            "https://key:hunter2@fax.api.sinch.com",
            "The fax service address must not carry a user name or password; FaxDesk signs in "
            "with the access key.",
        ),
        (
            "ftp://fax.api.sinch.com",
            "The fax service address 'ftp://fax.api.sinch.com' must start with https:// (or "
            "http://).",
        ),
        (
            "http://127.0.0.1:99999",
            "The fax service address 'http://127.0.0.1:99999' names a port that does not exist "
            "(1 to 65535).",
        ),
    ],
)
async def test_a_base_url_that_would_garble_requests_is_named(base_url: str, message: str) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ConfigError) as caught:
            FaxApiClient(http, base_url=base_url, project_id="p", auth=BasicAuth("k", "s"))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("auth_url", "message"),
    [
        (
            "not a url",
            "The sign-in service address 'not a url' must start with https:// (or http://).",
        ),
        ("ftp://x", "The sign-in service address 'ftp://x' must start with https:// (or http://)."),
        (
            "https://auth.sinch.com?a=b",
            "The sign-in service address 'https://auth.sinch.com?a=b' must not have a query (?) "
            "or fragment (#) part.",
        ),
    ],
)
def test_a_bad_auth_url_is_named_before_any_request(auth_url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        OAuth2ClientCredentials("k", "s", auth_base_url=auth_url)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "answer",
    [{"faxes": []}, {"status": "QUEUED", "to": "+19898989898"}, {"faxes": [{"id": ""}]}],
)
async def test_a_send_answer_that_names_no_fax_is_unreadable(
    make_client: MakeClient, answer: dict[str, object]
) -> None:
    client = make_client(lambda _request: json_response(200, answer))
    with pytest.raises(ApiError) as caught:
        await client.send(SendRequest(to=("+19898989898",), content_urls=("https://x/",)))
    assert str(caught.value) == "The fax service sent an answer FaxDesk could not read."


@pytest.mark.parametrize(
    "base_url",
    [
        "https://fax.api.sinch.com/v3",
        "https://fax.api.sinch.com/v3/projects/p%201/",
        "https://fax.api.sinch.com/v3/projects/{projectId}",
        "https://fax.api.sinch.com/v3/projects",
        # The endpoint itself, as the reference shows it for sending a fax.
        "https://fax.api.sinch.com/v3/projects/p%201/faxes",
        "https://fax.api.sinch.com/v3/projects/{projectId}/faxes/",
        "https://fax.api.sinch.com/v3/projects/p%201/faxes/01HX",
    ],
)
async def test_a_base_url_given_with_the_api_path_is_its_root(base_url: str) -> None:
    # Sinch's reference shows the base as https://fax.api.sinch.com/v3/projects/{projectId}.
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return json_response(200, wire_fax())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = FaxApiClient(http, base_url=base_url, project_id="p 1", auth=BasicAuth("k", "s"))
        await client.get_fax("01HX")
    assert client.base_url == "https://fax.api.sinch.com"
    assert seen == ["https://fax.api.sinch.com/v3/projects/p%201/faxes/01HX"]


async def test_a_base_url_naming_another_project_is_refused() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ConfigError) as caught:
            FaxApiClient(
                http,
                base_url="https://fax.api.sinch.com/v3/projects/other",
                project_id="mine",
                auth=BasicAuth("k", "s"),
            )
    assert str(caught.value) == (
        "The fax service address names the project 'other', but the project id is 'mine'; "
        "give the address without /v3/projects/..."
    )


def test_an_endpoint_url_naming_another_project_is_refused_as_it_would_be_stored() -> None:
    with pytest.raises(ConfigError) as caught:
        fax_api_root("https://fax.api.sinch.com/v3/projects/not-a-uuid/faxes", "mine")
    assert str(caught.value) == (
        "The fax service address names the project 'not-a-uuid', but the project id is 'mine'; "
        "give the address without /v3/projects/..."
    )
    assert fax_api_root(" https://fax.example.com/v3/projects/mine/faxes ", "mine") == (
        "https://fax.example.com"
    )


async def test_trailing_slash_in_base_url_is_ignored() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return json_response(200, wire_fax())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = FaxApiClient(
            http, base_url="https://fax.api.sinch.com/", project_id="p 1", auth=BasicAuth("k", "s")
        )
        await client.get_fax("01HX")
    assert seen == ["https://fax.api.sinch.com/v3/projects/p%201/faxes/01HX"]


async def test_create_http_client_timeouts_and_user_agent() -> None:
    http = create_http_client(timeout=42.0)
    try:
        assert http.headers["User-Agent"] == f"FaxDesk/{faxdesk.__version__}"
        assert http.timeout.connect == 5.0
        assert http.timeout.read == 42.0
        assert http.timeout.write == 42.0
        assert http.follow_redirects is False
        assert http.trust_env is True
    finally:
        await http.aclose()


async def test_client_retries_by_default() -> None:
    async with httpx.AsyncClient() as http:
        client = FaxApiClient(
            http, base_url="https://x.test", project_id="p", auth=BasicAuth("k", "s")
        )
    assert client.retry == RetryPolicy()
    assert client.retry.attempts > 1


# --- send ------------------------------------------------------------------------------------


async def test_send_with_documents_is_multipart(
    make_client: MakeClient, pdf_files: tuple[Path, Path]
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(
            200, {"faxes": [wire_fax(id="A", to="+19898989898"), wire_fax(id="B", to="+1415")]}
        )

    client = make_client(handler)
    faxes = await client.send(
        SendRequest(
            to=("+19898989898", "+14155550123"),
            documents=(Document(pdf_files[0]), Document(pdf_files[1], media_type="image/tiff")),
            content_urls=("https://a.example/cover.html", "https://b.example/x.pdf"),
            header_text="ACME Clinic",
            header_page_numbers=False,
            max_retries=0,
            retry_delay_seconds=30,
            resolution=Resolution.FINE,
            labels={"ticket": "T-42"},
        )
    )

    assert [(f.id, f.to) for f in faxes] == [("A", "+19898989898"), ("B", "+1415")]
    [request] = requests
    assert request.method == "POST"
    assert request.url.path == FAXES_PATH
    assert request.headers["Accept"] == "application/json"
    parts = multipart_parts(request)
    fields = [(p.name, p.text) for p in parts if p.filename is None]
    assert fields == [
        ("to", "+19898989898"),
        ("to", "+14155550123"),
        ("contentUrl", "https://a.example/cover.html,https://b.example/x.pdf"),
        ("headerText", "ACME Clinic"),
        ("headerPageNumbers", "false"),
        ("retryDelaySeconds", "30"),
        ("maxRetries", "0"),
        ("resolution", "FINE"),
        ("labels[ticket]", "T-42"),
    ]
    files = [(p.name, p.filename, p.content_type, p.content) for p in parts if p.filename]
    assert files == [
        ("file", "page one.pdf", "application/pdf", pdf_files[0].read_bytes()),
        ("file", "scan.tif", "image/tiff", pdf_files[1].read_bytes()),
    ]


async def test_send_with_urls_only_is_json_and_single_fax_becomes_list(
    make_client: MakeClient,
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(
            200, wire_fax(id="01HDF5", status="IN_PROGRESS", contentUrl="https://www.google.com")
        )

    client = make_client(handler)
    faxes = await client.send(
        SendRequest(
            to=("+19898989898",),
            content_urls=("https://www.google.com",),
            header_page_numbers=False,
            max_retries=0,
            labels={"ticket": "T-42"},
        )
    )

    assert len(faxes) == 1
    assert faxes[0].id == "01HDF5"
    assert faxes[0].status is FaxStatus.IN_PROGRESS
    assert faxes[0].content_urls == ("https://www.google.com",)
    [request] = requests
    assert request.method == "POST"
    assert request.url.path == FAXES_PATH
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "to": "+19898989898",
        "contentUrl": ["https://www.google.com"],
        "headerPageNumbers": False,
        "maxRetries": 0,
        "labels": {"ticket": "T-42"},
    }


async def test_send_json_to_several_recipients_lists_them(make_client: MakeClient) -> None:
    bodies: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return json_response(200, {"faxes": [wire_fax(id="A"), wire_fax(id="B")]})

    client = make_client(handler)
    faxes = await client.send(
        SendRequest(to=("+19898989898", "+14155550123"), content_urls=("https://x/",))
    )
    assert [f.id for f in faxes] == ["A", "B"]
    assert bodies == [{"to": ["+19898989898", "+14155550123"], "contentUrl": ["https://x/"]}]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (SendRequest(to=(), content_urls=("https://x/",)), "to"),
        (SendRequest(to=("+1",), content_urls=("https://x/",)), "to"),
        (SendRequest(to=("+19898989898",)), "documents"),
        (
            SendRequest(to=("+19898989898",), content_urls=("https://x/",), header_text="h" * 51),
            "header_text",
        ),
        (
            SendRequest(to=("+19898989898",), content_urls=("https://x/",), retry_delay_seconds=10),
            "retry_delay_seconds",
        ),
        (
            SendRequest(to=("+19898989898",), content_urls=("https://x/",), max_retries=9),
            "max_retries",
        ),
    ],
)
async def test_invalid_send_makes_no_request(
    make_client: MakeClient, request_: SendRequest, field: str
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(200, wire_fax())

    client = make_client(handler)
    with pytest.raises(ValidationError) as caught:
        await client.send(request_)
    assert caught.value.field == field
    assert requests == []


async def test_missing_document_is_a_document_error(
    make_client: MakeClient, tmp_path: Path
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(200, wire_fax())

    missing = tmp_path / "gone.pdf"
    client = make_client(handler)
    with pytest.raises(DocumentError) as caught:
        await client.send(SendRequest(to=("+19898989898",), documents=(Document(missing),)))
    assert caught.value.path == str(missing)
    assert "gone.pdf" in str(caught.value)
    assert requests == []


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500),
        httpx.Response(503, headers={"Retry-After": "1"}),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
@pytest.mark.parametrize("encoding", ["multipart", "json"])
async def test_send_is_never_retried(
    make_client: MakeClient,
    pdf_files: tuple[Path, Path],
    failure: httpx.Response | httpx.HTTPError,
    encoding: Literal["multipart", "json"],
) -> None:
    calls: list[httpx.Request] = []
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if isinstance(failure, httpx.Response):
            return failure
        failure.request = request
        raise failure

    # A policy that would retry a GET nine times: a send must still go out only once.
    client = make_client(handler, retry=RetryPolicy(attempts=10, sleep=sleep))
    with pytest.raises((ApiError, Offline)):
        await client.send(
            SendRequest(to=("+19898989898",), documents=(Document(pdf_files[0]),)),
            encoding=encoding,
        )
    assert len(calls) == 1
    assert calls[0].method == "POST"
    assert waits == []


async def test_send_timeout_is_request_timeout(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = make_client(handler)
    with pytest.raises(RequestTimeout) as caught:
        await client.send(SendRequest(to=("+19898989898",), content_urls=("https://x/",)))
    assert str(caught.value) == "The fax service at fax.test:8080 did not answer in time."


async def test_send_unreadable_answer_is_api_error(make_client: MakeClient) -> None:
    client = make_client(lambda _request: httpx.Response(200, content=b"<html>ok</html>"))
    with pytest.raises(ApiError) as caught:
        await client.send(SendRequest(to=("+19898989898",), content_urls=("https://x/",)))
    assert str(caught.value) == "The fax service sent an answer FaxDesk could not read."
    assert caught.value.status_code == 200


# --- status mapping through the client ------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "error_type"),
    [
        (httpx.Response(401), AuthError),
        (json_response(402, {"code": "402", "message": "pay"}), PaymentRequired),
        (json_response(404, {"code": 404, "status": "NOT_FOUND"}), NotFound),
        (json_response(422, {"details": {"fieldViolations": []}}), InvalidRequest),
        (httpx.Response(429, headers={"Retry-After": "7"}), RateLimited),
        (httpx.Response(500, content=b"oops"), ServerError),
    ],
)
async def test_get_fax_maps_error_statuses(
    make_client: MakeClient, response: httpx.Response, error_type: type[ApiError]
) -> None:
    client = make_client(lambda _request: response)
    with pytest.raises(error_type) as caught:
        await client.get_fax("01HX")
    assert caught.value.status_code == response.status_code
    assert KEY_SECRET not in str(caught.value)


# --- list ------------------------------------------------------------------------------------


async def test_list_query_goes_on_the_wire_literally(make_client: MakeClient) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(
            200,
            {
                "faxes": [wire_fax(id="A"), wire_fax(id="B")],
                "page": 2,
                "pageSize": 2,
                "totalItems": 5,
                "totalPages": 3,
            },
        )

    client = make_client(handler)
    page = await client.list_faxes(
        FaxQuery(
            direction=Direction.OUTBOUND,
            status=FaxStatus.FAILURE,
            to_prefix="+1415",
            from_prefix="+4420",
            created_after=datetime(2021, 10, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))),
            created_before=datetime(2021, 10, 30, 23, 59, 59, tzinfo=UTC),
            service_id="01GVRB",
            page_size=2,
        ),
        page=2,
    )

    assert [f.id for f in page.faxes] == ["A", "B"]
    assert (page.page, page.page_size, page.total_items, page.total_pages) == (2, 2, 5, 3)
    [request] = requests
    assert request.method == "GET"
    assert request.url.path == FAXES_PATH
    assert request.url.query.decode() == (
        "serviceId=01GVRB&direction=OUTBOUND&status=FAILURE&to=%2B1415&from=%2B4420"
        "&pageSize=2&page=2"
        "&createTime>=2021-10-01T00:00:00Z&createTime<=2021-10-30T23:59:59Z"
    )
    assert b"createTime>=2021-10-01T00:00:00Z" in request.url.raw_path
    assert b"%3E" not in request.url.raw_path


async def test_list_tolerates_page_number_and_missing_totals(make_client: MakeClient) -> None:
    client = make_client(
        lambda _request: json_response(200, {"faxes": [wire_fax()], "pageNumber": 4})
    )
    page = await client.list_faxes(FaxQuery(page_size=10), page=4)
    assert (page.page, page.page_size, page.total_pages) == (4, 10, 4)
    assert not page.has_more


@pytest.mark.parametrize(
    ("page", "page_size", "field"), [(0, 100, "page"), (1, 0, "page_size"), (1, 1001, "page_size")]
)
async def test_list_rejects_impossible_paging(
    make_client: MakeClient, page: int, page_size: int, field: str
) -> None:
    client = make_client(lambda _request: json_response(200, {"faxes": []}))
    with pytest.raises(ValidationError) as caught:
        await client.list_faxes(FaxQuery(page_size=page_size), page=page)
    assert caught.value.field == field


async def test_iter_faxes_walks_every_page(make_client: MakeClient) -> None:
    pages_asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        pages_asked.append(request.url.params["page"])
        ids = {1: ["A", "B"], 2: ["C", "D"], 3: ["E"]}[page]
        return json_response(
            200,
            {
                "faxes": [wire_fax(id=i) for i in ids],
                "page": page,
                "pageSize": 2,
                "totalItems": 5,
                "totalPages": 3,
            },
        )

    client = make_client(handler)
    ids = [fax.id async for fax in client.iter_faxes(FaxQuery(page_size=2))]
    assert ids == ["A", "B", "C", "D", "E"]
    assert pages_asked == ["1", "2", "3"]


async def test_iter_faxes_stops_on_an_empty_page(make_client: MakeClient) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return json_response(200, {"faxes": [], "page": 1, "totalPages": 99})

    client = make_client(handler)
    assert [fax async for fax in client.iter_faxes(FaxQuery())] == []
    assert len(calls) == 1


async def test_iter_faxes_ends_when_the_service_ignores_the_page(make_client: MakeClient) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params["page"])
        return json_response(200, {"faxes": [wire_fax(id="A")], "page": 1, "totalPages": 3})

    client = make_client(handler)
    ids = [fax.id async for fax in client.iter_faxes(FaxQuery())]
    # The second page brought nothing new: the walk stops instead of repeating it 50 times.
    assert ids == ["A"]
    assert calls == ["1", "2"]


async def test_iter_faxes_goes_on_past_a_full_page_when_nothing_says_how_many(
    make_client: MakeClient,
) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params["page"]
        calls.append(page)
        ids = {"1": ["A", "B"], "2": ["C", "D"], "3": ["E"]}[page]
        return json_response(200, {"faxes": [wire_fax(id=i) for i in ids]})

    client = make_client(handler)
    ids = [fax.id async for fax in client.iter_faxes(FaxQuery(page_size=2))]
    assert ids == ["A", "B", "C", "D", "E"]
    assert calls == ["1", "2", "3"]


async def test_a_service_counting_pages_from_zero_is_read_as_the_page_asked_for(
    make_client: MakeClient,
) -> None:
    client = make_client(
        lambda _request: json_response(
            200, {"faxes": [wire_fax(id="A")], "page": 0, "pageSize": 1, "totalPages": 3}
        )
    )
    page = await client.list_faxes(FaxQuery(page_size=1), 1)
    assert (page.page, page.total_pages, page.has_more) == (1, 3, True)


# --- get -------------------------------------------------------------------------------------


async def test_get_fax_reads_the_fax(make_client: MakeClient) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(200, wire_fax(id="01HX", hasFile="false", contentUrl="https://x/"))

    client = make_client(handler)
    fax = await client.get_fax("01HX")
    assert (fax.id, fax.has_file, fax.content_urls) == ("01HX", False, ("https://x/",))
    assert [(r.method, r.url.path) for r in requests] == [("GET", f"{FAXES_PATH}/01HX")]


async def test_get_fax_needs_an_id(make_client: MakeClient) -> None:
    client = make_client(lambda _request: json_response(200, wire_fax()))
    with pytest.raises(ValidationError) as caught:
        await client.get_fax(" ")
    assert caught.value.field == "fax_id"


# --- download --------------------------------------------------------------------------------


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


PDF = b"%PDF-1.4\n" + bytes(range(256)) * 10 + b"\n%%EOF\n"


async def test_download_streams_the_pdf_to_the_destination(
    make_client: MakeClient, tmp_path: Path
) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=PDF, headers={"Content-Type": "application/pdf"})

    destination = tmp_path / "inbox" / "01HX.pdf"
    client = make_client(handler)
    result = await client.download("01HX", destination)

    assert result == destination
    assert destination.read_bytes() == PDF
    assert [(r.method, r.url.path) for r in requests] == [("GET", f"{FAXES_PATH}/01HX/file")]
    assert requests[0].headers["Accept"] == "application/pdf"
    assert _listing(destination.parent) == ["01HX.pdf"]


class _ChunkStream(httpx.AsyncByteStream):
    """A response body sent in chunks, optionally failing after some of them."""

    def __init__(
        self, chunks: list[bytes], *, fail_after: int | None = None, watch: Path | None = None
    ) -> None:
        self.chunks = chunks
        self.fail_after = fail_after
        self.watch = watch
        self.seen_mid_download: list[str] = []

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_after:
                raise httpx.ReadError("Connection reset by peer")
            if self.watch is not None and index > 0:
                self.seen_mid_download.append(",".join(_listing(self.watch.parent)))
            yield chunk
            await asyncio.sleep(0)


async def test_download_is_not_visible_until_complete(
    make_client: MakeClient, tmp_path: Path
) -> None:
    destination = tmp_path / "big.pdf"
    chunks = [b"%PDF-1.7\n" + b"A" * 700_000, b"B" * 700_000, b"C" * 700_000]
    stream = _ChunkStream(chunks, watch=destination)
    client = make_client(lambda _request: httpx.Response(200, stream=stream))

    await client.download("01HX", destination)

    assert destination.read_bytes() == b"".join(chunks)
    assert len(stream.seen_mid_download) == 2
    for listing in stream.seen_mid_download:
        assert "big.pdf" not in listing.split(",")
        assert listing.startswith(".big.pdf.")
        assert listing.endswith(".part")


async def test_interrupted_download_leaves_old_file_and_no_part(
    make_client: MakeClient, tmp_path: Path
) -> None:
    destination = tmp_path / "fax.pdf"
    destination.write_bytes(b"previous copy")
    stream = _ChunkStream([b"new ", b"bytes", b"never"], fail_after=2)
    client = make_client(lambda _request: httpx.Response(200, stream=stream))

    with pytest.raises(Offline) as caught:
        await client.download("01HX", destination)

    assert str(caught.value) == "The fax service at fax.test:8080 broke off the connection."
    assert destination.read_bytes() == b"previous copy"
    assert _listing(tmp_path) == ["fax.pdf"]


async def test_download_falls_back_to_deprecated_pdf_path(
    make_client: MakeClient, tmp_path: Path
) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path.endswith("/file"):
            return json_response(404, {"code": 404, "message": "Not found"})
        return httpx.Response(200, content=PDF)

    destination = tmp_path / "old.pdf"
    client = make_client(handler)
    assert await client.download("01HX", destination) == destination
    assert destination.read_bytes() == PDF
    assert paths == [f"{FAXES_PATH}/01HX/file", f"{FAXES_PATH}/01HX/file.pdf"]


async def test_download_without_content_anywhere_is_not_found(
    make_client: MakeClient, tmp_path: Path
) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return json_response(404, {"message": "Fax content was deleted"})

    client = make_client(handler)
    with pytest.raises(NotFound) as caught:
        await client.download("01HX", tmp_path / "x.pdf")
    assert str(caught.value) == "The fax service has no such fax or file: Fax content was deleted"
    assert len(paths) == 2
    assert _listing(tmp_path) == []


async def test_download_other_errors_do_not_fall_back(
    make_client: MakeClient, tmp_path: Path
) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(401)

    client = make_client(handler)
    with pytest.raises(AuthError):
        await client.download("01HX", tmp_path / "x.pdf")
    assert paths == [f"{FAXES_PATH}/01HX/file"]


# --- ping ------------------------------------------------------------------------------------


async def test_ping_is_a_one_fax_list(make_client: MakeClient) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return json_response(200, {"faxes": [], "page": 1, "totalPages": 0})

    client = make_client(handler)
    await client.ping()
    [request] = requests
    assert (request.method, request.url.path) == ("GET", FAXES_PATH)
    assert request.url.query == b"pageSize=1&page=1"
    assert request.headers["Authorization"].startswith("Basic ")


async def test_ping_reports_refused_credentials(make_client: MakeClient) -> None:
    client = make_client(lambda _request: httpx.Response(401))
    with pytest.raises(AuthError):
        await client.ping()


async def test_ping_rejects_something_that_is_not_the_fax_service(
    make_client: MakeClient,
) -> None:
    client = make_client(lambda _request: httpx.Response(200, content=b"<html>router</html>"))
    with pytest.raises(ApiError):
        await client.ping()


# --- real sockets ----------------------------------------------------------------------------


async def test_range_keys_reach_a_real_server_unescaped() -> None:
    request_lines: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_lines.append(head.split(b"\r\n", 1)[0])
        body = json.dumps({"faxes": [], "page": 1, "totalPages": 1}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    http = create_http_client(timeout=10)
    try:
        client = FaxApiClient(
            http,
            base_url=f"http://127.0.0.1:{port}",
            project_id=PROJECT_ID,
            auth=BasicAuth("k", "s"),
        )
        await client.list_faxes(
            FaxQuery(to_prefix="+1", created_after=datetime(2021, 10, 1, tzinfo=UTC))
        )
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()

    assert request_lines == [
        f"GET {FAXES_PATH}?to=%2B1&pageSize=100&page=1&createTime>=2021-10-01T00:00:00Z "
        "HTTP/1.1".encode()
    ]


async def test_closed_port_is_offline_with_host_and_port() -> None:
    server = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()

    http = create_http_client(timeout=5)
    try:
        client = FaxApiClient(
            http,
            base_url=f"http://127.0.0.1:{port}",
            project_id=PROJECT_ID,
            auth=BasicAuth("key", KEY_SECRET),
            retry=NO_RETRIES,
        )
        with pytest.raises(Offline) as caught:
            await client.ping()
    finally:
        await http.aclose()

    assert type(caught.value) is Offline
    assert str(caught.value) == f"The fax service at 127.0.0.1:{port} could not be reached."
    assert KEY_SECRET not in str(caught.value)


async def test_a_file_name_the_file_system_cannot_decode_still_goes_out(
    make_client: MakeClient, tmp_path: Path
) -> None:
    # On Linux a name is bytes; one that is not UTF-8 reaches Python with lone surrogates.
    path = tmp_path / os.fsdecode(b"inv\xffalid.pdf")
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, wire_fax())

    client = make_client(handler)
    await client.send(SendRequest(to=("+19898989898",), documents=(Document(path),)))
    [file_part] = [part for part in multipart_parts(seen[0]) if part.name == "file"]
    assert file_part.filename == "inv\ufffdalid.pdf"
    assert file_part.content == b"%PDF-1.4\n%%EOF\n"
