"""GET /faxes?format=csv: the header row, one row per fax, quoting, filters, and no paging."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
import pytest

from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.config import (
    DEFAULT_FROM_NUMBER,
    DEFAULT_PROJECT_ID,
    DEFAULT_SERVICE_ID,
    SandboxConfig,
)
from faxdesk.sandbox.export import cell
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from tests.sandbox.sandbox_support import OTHER_NUMBER, TEST_NUMBER, FakeClock, finished, send

HEADER = (
    "Id,Direction,From,To,Number Of Pages,Status,Header Time Zone,Retry Delay Seconds,Resolution,"
    "Callback Url,Callback Url Content Type,Error Type,Error Message,Error Code,Project,Service,"
    "Max Retries,Create Time,Header Text,Header Page Numbers,Content Url,Labels,"
    "Image Conversion Method,Has File,Currency Code,From Country,To Country"
)


def rows(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


async def export(client: httpx.AsyncClient, query: str = "") -> httpx.Response:
    response = await client.get(f"faxes?format=csv{query}")
    assert response.status_code == 200, response.text
    return response


async def test_headers_header_row_and_a_completed_fax(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    fax = await send(
        client,
        pages=2,
        headerText="ACME",
        callbackUrl="https://u:p@cb.example.com/done",
        **{"labels[ticket]": "T-42", "labels[team]": "front"},
    )
    await finished(local, client, fax["id"])

    response = await export(client)

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="fax_logs_exp\d+\.csv"', response.headers["content-disposition"]
    )
    # 2026-06-15T12:00:00Z, the test clock, in milliseconds.
    assert response.headers["content-disposition"].endswith('exp1781524800000.csv"')
    assert response.text.split("\r\n")[0] == HEADER
    assert rows(response) == [
        {
            "Id": fax["id"],
            "Direction": "OUTBOUND",
            "From": DEFAULT_FROM_NUMBER,
            "To": TEST_NUMBER,
            "Number Of Pages": "2",
            "Status": "COMPLETED",
            "Header Time Zone": "America/New_York",
            "Retry Delay Seconds": "60",
            "Resolution": "FINE",
            "Callback Url": "https://***:***@cb.example.com/done",
            "Callback Url Content Type": "multipart/form-data",
            "Error Type": "",
            "Error Message": "",
            "Error Code": "",
            "Project": DEFAULT_PROJECT_ID,
            "Service": DEFAULT_SERVICE_ID,
            "Max Retries": "3",
            "Create Time": "2026-06-15T12:00:00.000Z",
            "Header Text": "ACME",
            "Header Page Numbers": "true",
            "Content Url": "",
            "Labels": "ticket=T-42;team=front",
            "Image Conversion Method": "HALFTONE",
            "Has File": "true",
            "Currency Code": "USD",
            "From Country": "US",
            "To Country": "US",
        }
    ]


async def test_a_label_with_a_comma_and_a_quote_is_quoted(client: httpx.AsyncClient) -> None:
    fax = await send(client, **{"labels[note]": 'Dr. "Who", urgent'})

    response = await export(client)

    line = response.text.split("\r\n")[1]
    assert ',"note=Dr. ""Who"", urgent",' in line
    assert rows(response)[0]["Labels"] == 'note=Dr. "Who", urgent'
    assert rows(response)[0]["Id"] == fax["id"]


async def test_a_failed_fax_has_its_error_columns(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "faxes",
        data={"to": TEST_NUMBER},
        files=[("file", ("broken.pdf", b"%PDF-1.4\nnot really", "application/pdf"))],
    )
    await finished(local, client, response.json()["id"])

    [row] = rows(await export(client))

    assert (row["Status"], row["Error Type"], row["Error Code"]) == (
        "FAILURE",
        "DOCUMENT_CONVERSION_ERROR",
        "133",
    )
    assert row["Error Message"] == "Failed to normalize PDF document"
    assert (row["Has File"], row["Currency Code"]) == ("false", "")


async def test_content_urls_are_joined_with_a_space() -> None:
    def documents(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=make_test_pdf(1, request.url.path))

    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.0), fetch_transport=httpx.MockTransport(documents)
        ) as local,
        local.client() as client,
    ):
        await client.post(
            "faxes",
            json={"to": TEST_NUMBER, "contentUrl": ["http://d.test/1.pdf", "http://d.test/2.pdf"]},
        )
        [row] = rows(await export(client))

    assert row["Content Url"] == "http://d.test/1.pdf http://d.test/2.pdf"


def test_cells_for_values_without_a_fax_to_show_them() -> None:
    assert (cell(None), cell(False), cell(0), cell({}), cell([])) == ("", "false", "0", "", "")


async def test_the_export_has_every_match_whatever_the_page_size(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    sent = []
    for second in range(5):
        clock.now = clock.now.replace(second=second)
        sent.append(await send(client))

    response = await export(client, "&pageSize=2&page=2")

    assert [row["Id"] for row in rows(response)] == [fax["id"] for fax in reversed(sent)]


async def test_the_export_takes_the_list_filters(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    old = await send(client, to=OTHER_NUMBER)  # 2026-06-15: outside the window below
    clock.advance(days=10)
    recent_other = await send(client, to=OTHER_NUMBER)
    recent_test = await send(client)

    default = rows(await export(client))
    by_number = rows(await export(client, "&to=%2B1415"))
    ranged = rows(await export(client, "&createTime>=2026-06-01&createTime<=2026-06-30"))
    nothing = await export(client, "&status=FAILURE")

    assert [r["Id"] for r in default] == [recent_test["id"], recent_other["id"]]
    assert [r["Id"] for r in by_number] == [recent_other["id"]]
    assert [r["Id"] for r in ranged] == [recent_test["id"], recent_other["id"], old["id"]]
    assert nothing.text == HEADER + "\r\n"


@pytest.mark.parametrize("value", ["csv", "CSV", ""])
async def test_format_csv_in_any_case_and_empty_means_csv(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get("faxes", params={"format": value})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize("value", ["xlsx", "json"])
async def test_unknown_formats_are_400(client: httpx.AsyncClient, value: str) -> None:
    response = await client.get("faxes", params={"format": value})

    assert response.status_code == 400
    body: dict[str, Any] = response.json()
    assert body["status"] == "INVALID_ARGUMENT"
    assert [v["field"] for v in body["details"][0]["fieldViolations"]] == ["format"]
