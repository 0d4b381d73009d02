"""Cover pages of a service: add (base64 PDF), list, get, delete, validation, and their ties to
the service (`coverPageId`, removal with the service)."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pymupdf
import pytest

from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.config import DEFAULT_PROJECT_ID, DEFAULT_SERVICE_ID
from faxdesk.sandbox.testing import LocalSandbox
from tests.sandbox.sandbox_support import (
    OTHER_NUMBER,
    TEST_NUMBER,
    FakeClock,
    finished,
    page_titles,
    pdf_file,
)

ULID_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
UNKNOWN_ID = "01JXXXXXXXXXXXXXXXXXXXXXXX"
COVERS = f"services/{DEFAULT_SERVICE_ID}/coverPages"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def violations(response: httpx.Response) -> list[str]:
    body = response.json()
    assert body["code"] == response.status_code
    assert body["status"] == "INVALID_ARGUMENT"
    return [v["field"] for d in body["details"] for v in d["fieldViolations"]]


async def add(
    client: httpx.AsyncClient, name: str = "Letterhead", pdf: bytes | None = None, **extra: Any
) -> dict[str, Any]:
    content = b64(pdf if pdf is not None else make_test_pdf(1, name))
    response = await client.post(
        COVERS, json={"name": name, "file": {"fileContent": content, "fileType": "PDF"}, **extra}
    )
    assert response.status_code == 200, response.text
    cover_page: dict[str, Any] = response.json()
    return cover_page


async def test_add_then_get_returns_the_pdf(client: httpx.AsyncClient, clock: FakeClock) -> None:
    pdf = make_test_pdf(1, "ACME cover")
    clock.advance(seconds=30)

    added = await add(client, "ACME cover", pdf)
    fetched = (await client.get(f"{COVERS}/{added['id']}")).json()

    assert ULID_RE.fullmatch(added["id"])
    assert added == {
        "id": added["id"],
        "name": "ACME cover",
        "file": {"fileContent": b64(pdf), "fileType": "PDF"},
        "projectId": DEFAULT_PROJECT_ID,
        "serviceId": DEFAULT_SERVICE_ID,
        "createdTime": "2026-06-15T12:00:30.000Z",
        "updatedTime": "2026-06-15T12:00:30.000Z",
    }
    assert fetched == added
    assert page_titles(base64.b64decode(fetched["file"]["fileContent"])) == ["ACME cover"]


async def test_list_is_paged_and_leaves_the_content_out(client: httpx.AsyncClient) -> None:
    added = [await add(client, f"Cover {i}") for i in range(3)]

    body = (await client.get(COVERS)).json()
    second = (await client.get(COVERS, params={"pageSize": 2, "page": 2})).json()

    assert [c["id"] for c in body["coverPages"]] == [c["id"] for c in added]
    assert body["coverPages"][0]["file"] == {"fileType": "PDF"}
    assert body["coverPages"][0]["name"] == "Cover 0"
    assert (body["page"], body["pageSize"], body["totalItems"], body["totalPages"]) == (
        1,
        20,
        3,
        1,
    )
    assert [c["id"] for c in second["coverPages"]] == [added[2]["id"]]


async def test_cover_pages_belong_to_their_service(client: httpx.AsyncClient) -> None:
    other = (await client.post("services", json={"name": "Other"})).json()
    added = await add(client)

    elsewhere = await client.get(f"services/{other['id']}/coverPages/{added['id']}")
    others = (await client.get(f"services/{other['id']}/coverPages")).json()

    assert elsewhere.status_code == 404
    assert others["coverPages"] == []
    assert others["totalPages"] == 0


async def test_delete(client: httpx.AsyncClient) -> None:
    added = await add(client)

    deleted = await client.delete(f"{COVERS}/{added['id']}")
    again = await client.delete(f"{COVERS}/{added['id']}")

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert again.status_code == 404
    assert (await client.get(COVERS)).json()["totalItems"] == 0


@pytest.mark.parametrize(
    "path",
    [
        f"services/{UNKNOWN_ID}/coverPages",
        f"{COVERS}/{UNKNOWN_ID}",
        f"services/{UNKNOWN_ID}/coverPages/{UNKNOWN_ID}",
    ],
)
async def test_unknown_service_or_cover_page_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json()["status"] == "NOT_FOUND"
    assert UNKNOWN_ID in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"file": {"fileContent": b64(make_test_pdf(1)), "fileType": "PDF"}}, ["name"]),
        ({"name": "No file"}, ["file"]),
        ({}, ["name", "file"]),
        ({"name": "x", "file": {"fileType": "PDF"}}, ["file.fileContent"]),
    ],
)
async def test_missing_parts_are_400(
    client: httpx.AsyncClient, body: dict[str, Any], fields: list[str]
) -> None:
    response = await client.post(COVERS, json=body)

    assert response.status_code == 400
    assert violations(response) == fields


@pytest.mark.parametrize(
    ("name", "file", "field"),
    [
        ("", {"fileContent": b64(make_test_pdf(1))}, "name"),
        ("Cover", "not an object", "file"),
        ("Cover", {"fileContent": "***not base64***"}, "file.fileContent"),
        ("Cover", {"fileContent": b64(b"GIF89a....")}, "file.fileContent"),
        ("Cover", {"fileContent": b64(b"%PDF-1.4\nbroken")}, "file.fileContent"),
        ("Cover", {"fileContent": 42}, "file.fileContent"),
        ("Cover", {"fileContent": b64(make_test_pdf(1)), "fileType": "DOCX"}, "file.fileType"),
    ],
)
async def test_invalid_cover_pages_are_422(
    client: httpx.AsyncClient, name: str, file: Any, field: str
) -> None:
    response = await client.post(COVERS, json={"name": name, "file": file})

    assert response.status_code == 422
    assert violations(response) == [field]
    assert (await client.get(COVERS)).json()["totalItems"] == 0


async def test_file_type_may_be_left_out_or_lower_case_and_base64_wrapped(
    client: httpx.AsyncClient,
) -> None:
    encoded = b64(make_test_pdf(1))
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))

    plain = await client.post(COVERS, json={"name": "A", "file": {"fileContent": encoded}})
    lower = await client.post(
        COVERS, json={"NAME": "B", "File": {"FileContent": wrapped, "fileType": "pdf"}}
    )

    assert (plain.status_code, lower.status_code) == (200, 200)
    assert lower.json()["file"]["fileContent"] == encoded


async def test_a_service_may_name_only_its_own_cover_page(client: httpx.AsyncClient) -> None:
    added = await add(client)
    other = (await client.post("services", json={"name": "Other"})).json()

    ok = await client.patch(f"services/{DEFAULT_SERVICE_ID}", json={"coverPageId": added["id"]})
    wrong = await client.patch(f"services/{other['id']}", json={"coverPageId": added["id"]})

    assert (ok.status_code, ok.json()["coverPageId"]) == (200, added["id"])
    assert wrong.status_code == 422
    assert violations(wrong) == ["coverPageId"]


async def test_deleting_the_services_cover_page_clears_its_cover_page_id(
    client: httpx.AsyncClient,
) -> None:
    added = await add(client)
    await client.patch(f"services/{DEFAULT_SERVICE_ID}", json={"coverPageId": added["id"]})

    await client.delete(f"{COVERS}/{added['id']}")
    service = (await client.get(f"services/{DEFAULT_SERVICE_ID}")).json()

    assert "coverPageId" not in service


async def test_removing_a_service_removes_its_cover_pages(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    other = (await client.post("services", json={"name": "Other"})).json()
    added = (
        await client.post(
            f"services/{other['id']}/coverPages",
            json={"name": "Gone", "file": {"fileContent": b64(make_test_pdf(1))}},
        )
    ).json()

    before = local.sandbox.state.get_cover_page(other["id"], added["id"])
    await client.delete(f"services/{other['id']}")

    # The service is gone, so the API can only say 404 either way: look at the state instead.
    assert before is not None
    assert local.sandbox.state.get_cover_page(other["id"], added["id"]) is None


# -- filling a cover page for a fax ------------------------------------------------------------


def template() -> bytes:
    """A one-page cover page with every kind of field, one line each."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for line, text in enumerate(
        [
            "To: {{to}}",
            "From: {{from}}",
            "Date: {{date}}",
            "Pages: {{pageCount}}",
            "Attention: {{to_name}}",
            "Note: {{message}}",
        ]
    ):
        page.insert_text((72, 100 + 30 * line), text, fontsize=14)
    data = doc.tobytes()
    doc.close()
    return data


def cover_text(pdf: bytes) -> list[str]:
    """The first page's text, line by line: words within a few points of one baseline (a
    filled-in value sits a little off the template's) joined by spaces, left to right."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        words = sorted(doc[0].get_text("words"), key=lambda word: word[3])
    lines: list[tuple[float, list[tuple[float, str]]]] = []
    for x0, _y0, _x1, y1, word, *_ in words:
        if lines and y1 - lines[-1][0] < 5:
            lines[-1][1].append((x0, word))
        else:
            lines.append((y1, [(x0, word)]))
    return [" ".join(word for _, word in sorted(line)) for _, line in lines]


async def test_a_fax_naming_a_cover_page_gets_it_filled_and_put_first(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    cover = await add(client, "Fields", template())

    response = await client.post(
        "faxes",
        data={
            "to": TEST_NUMBER,
            "from": "+14155550100",
            "coverPageId": cover["id"],
            "CoverPageData[to_name]": "Dr. Smith",
            "coverPageData[message]": "Résumé enclosed",
        },
        files=[pdf_file(2, "Referral")],
    )

    assert response.status_code == 200
    fax = response.json()
    assert fax["numberOfPages"] == 3
    assert fax["coverPageId"] == cover["id"]
    assert fax["coverPageData"] == {"to_name": "Dr. Smith", "message": "Résumé enclosed"}
    done = await finished(local, client, fax["id"])
    pdf = (await client.get(f"faxes/{fax['id']}/file")).content
    assert done["pagesSentSuccessfully"] == 3
    assert cover_text(pdf) == [
        "To: +19898989898",
        "From: +14155550100",
        # 12:00 UTC is the same morning in New York, the default header time zone.
        "Date: 2026-06-15",
        "Pages: 3",
        "Attention: Dr. Smith",
        "Note: Résumé enclosed",
    ]
    assert page_titles(pdf)[1:] == ["Referral", "Referral"]


async def test_each_recipient_gets_a_cover_page_with_its_own_number(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    cover = await add(client, "Fields", template())

    response = await client.post(
        "faxes",
        json={
            "to": [TEST_NUMBER, OTHER_NUMBER],
            "coverPageId": cover["id"],
            "coverPageData": {"To_Name": "Front desk"},
            "files": [{"file": b64(make_test_pdf(1)), "fileType": "PDF"}],
        },
    )

    faxes = response.json()["faxes"]
    for fax, number in zip(faxes, (TEST_NUMBER, OTHER_NUMBER), strict=True):
        await finished(local, client, fax["id"])
        pdf = (await client.get(f"faxes/{fax['id']}/file")).content
        text = cover_text(pdf)
        assert text[0] == f"To: {number}"
        assert "Attention: Front desk" in text
        assert "Note:" in text  # a field without a value is left blank


async def test_the_services_cover_page_is_added_when_the_fax_names_none(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    cover = await add(client, "Fields", template())
    await client.patch(f"services/{DEFAULT_SERVICE_ID}", json={"coverPageId": cover["id"]})

    fax = (
        await client.post("faxes", data={"to": TEST_NUMBER}, files=[pdf_file(1, "Letter")])
    ).json()

    assert (fax["numberOfPages"], fax["coverPageId"]) == (2, cover["id"])
    await finished(local, client, fax["id"])
    pdf = (await client.get(f"faxes/{fax['id']}/file")).content
    assert cover_text(pdf)[3] == "Pages: 2"


async def test_an_unknown_cover_page_is_422_and_sends_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "faxes", data={"to": TEST_NUMBER, "coverPageId": UNKNOWN_ID}, files=[pdf_file(1)]
    )

    assert response.status_code == 422
    assert violations(response) == ["coverPageId"]
    assert (await client.get("faxes")).json()["totalItems"] == 0
