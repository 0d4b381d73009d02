"""POST /faxes: multipart and JSON bodies, contentUrl fetching, recipients, defaults, validation."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest

from faxdesk.documents.pages import count_pages, make_test_pdf
from faxdesk.sandbox.config import DEFAULT_FROM_NUMBER, DEFAULT_PROJECT_ID, SandboxConfig
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from tests.sandbox.sandbox_support import (
    OTHER_NUMBER,
    TEST_NUMBER,
    WebhookReceiver,
    finished,
    own_number,
    page_titles,
    pdf_file,
    send,
)

ULID_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def test_multipart_with_two_files_counts_real_pages_and_echoes_defaults(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "faxes",
        data={"to": TEST_NUMBER},
        files=[pdf_file(2, "First", "a.pdf"), pdf_file(3, "Second", "b.pdf")],
    )

    assert response.status_code == 200
    fax = response.json()
    assert ULID_RE.fullmatch(fax["id"])
    assert fax["numberOfPages"] == 5
    assert fax["status"] == "QUEUED"
    assert fax["direction"] == "OUTBOUND"
    assert fax["to"] == TEST_NUMBER
    assert fax["from"] == DEFAULT_FROM_NUMBER
    assert fax["projectId"] == DEFAULT_PROJECT_ID
    assert ULID_RE.fullmatch(fax["serviceId"])
    assert fax["createTime"] == "2026-06-15T12:00:00.000Z"
    assert fax["hasFile"] is False
    assert "contentUrl" not in fax
    assert {
        key: fax[key]
        for key in (
            "headerText",
            "headerPageNumbers",
            "headerTimeZone",
            "retryDelaySeconds",
            "maxRetries",
            "imageConversionMethod",
            "resolution",
            "callbackUrlContentType",
            "labels",
        )
    } == {
        "headerText": "",
        "headerPageNumbers": True,
        "headerTimeZone": "America/New_York",
        "retryDelaySeconds": 60,
        "maxRetries": 3,
        "imageConversionMethod": "HALFTONE",
        "resolution": "FINE",
        "callbackUrlContentType": "multipart/form-data",
        "labels": {},
    }
    done = await finished(local, client, fax["id"])
    assert done["status"] == "COMPLETED"
    stored = (await client.get(f"faxes/{fax['id']}/file")).content
    assert page_titles(stored) == ["First", "First", "Second", "Second", "Second"]


async def test_multipart_options_any_case_labels_and_booleans(client: httpx.AsyncClient) -> None:
    await own_number(client, "+14155550111")
    response = await client.post(
        "faxes",
        data={
            "To": TEST_NUMBER,
            "FROM": "+14155550111",
            "HeaderText": "ACME Clinic",
            "headerPageNumbers": "False",
            "headerTimeZone": "Europe/Berlin",
            "retryDelaySeconds": "120",
            "maxRetries": "0",
            "resolution": "superfine",
            "imageConversionMethod": "MONOCHROME",
            "callbackUrl": "https://hook:pw@cb.example.com/fax",
            "callbackUrlContentType": "application/json",
            "labels[ticket]": "T-42",
            "Labels[Team]": "front desk",
        },
        files=[pdf_file(1)],
    )

    assert response.status_code == 200, response.text
    fax = response.json()
    assert fax["from"] == "+14155550111"
    assert fax["headerText"] == "ACME Clinic"
    assert fax["headerPageNumbers"] is False
    assert fax["headerTimeZone"] == "Europe/Berlin"
    assert fax["retryDelaySeconds"] == 120
    assert fax["maxRetries"] == 0
    assert fax["resolution"] == "SUPERFINE"
    assert fax["imageConversionMethod"] == "MONOCHROME"
    assert fax["callbackUrl"] == "https://***:***@cb.example.com/fax"
    assert fax["callbackUrlContentType"] == "application/json"
    assert fax["labels"] == {"ticket": "T-42", "Team": "front desk"}


@pytest.mark.parametrize(
    "to_field",
    [
        [TEST_NUMBER, OTHER_NUMBER],  # repeated fields (the Node SDK)
        f"{TEST_NUMBER},{OTHER_NUMBER}",  # one comma list (the .NET SDK)
        f"{TEST_NUMBER}, {OTHER_NUMBER}",
        f"{TEST_NUMBER};{OTHER_NUMBER}",  # `;`, as an older doc build wrote it
    ],
)
async def test_several_recipients_give_one_fax_each(
    client: httpx.AsyncClient, to_field: Any
) -> None:
    response = await client.post("faxes", data={"to": to_field}, files=[pdf_file(2)])

    assert response.status_code == 200
    faxes = response.json()["faxes"]
    assert [fax["to"] for fax in faxes] == [TEST_NUMBER, OTHER_NUMBER]
    assert len({fax["id"] for fax in faxes}) == 2
    assert all(fax["numberOfPages"] == 2 for fax in faxes)
    listed = (await client.get("faxes")).json()
    assert listed["totalItems"] == 2


@pytest.mark.parametrize(("first", "second"), [("to[]", "to[]"), ("To[0]", "To[1]")])
async def test_list_items_named_as_form_encoders_write_them(
    client: httpx.AsyncClient, first: str, second: str
) -> None:
    response = await client.post(
        "faxes",
        content=_form([(first, TEST_NUMBER), (second, OTHER_NUMBER)], pdf_file(1)),
        headers={"Content-Type": "multipart/form-data; boundary=B"},
    )

    assert response.status_code == 200, response.text
    assert [fax["to"] for fax in response.json()["faxes"]] == [TEST_NUMBER, OTHER_NUMBER]


def _form(fields: list[tuple[str, str]], file: tuple) -> bytes:
    """A multipart body with repeated text fields, which httpx's `data=` cannot repeat."""
    name, (filename, content, media_type) = file
    parts = [
        f'--B\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields
    ]
    parts.append(
        f'--B\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + b"--B--\r\n"


async def test_dotnet_style_multipart_names_and_values(client: httpx.AsyncClient) -> None:
    # Property names as C# writes them, lists comma-joined, booleans capitalised.
    response = await client.post(
        "faxes",
        data={
            "To": f"{TEST_NUMBER},{OTHER_NUMBER}",
            "HeaderPageNumbers": "True",
            "MaxRetries": "2",
            "Labels[hello]": "world",
            "CallbackUrlContentType": "application/json",
        },
        files=[pdf_file(1)],
    )

    assert response.status_code == 200, response.text
    faxes = response.json()["faxes"]
    assert [fax["to"] for fax in faxes] == [TEST_NUMBER, OTHER_NUMBER]
    assert all(fax["headerPageNumbers"] is True and fax["maxRetries"] == 2 for fax in faxes)
    assert faxes[0]["labels"] == {"hello": "world"}
    assert faxes[0]["callbackUrlContentType"] == "application/json"


async def test_the_node_sdks_multipart_send_as_it_writes_it(client: httpx.AsyncClient) -> None:
    # `faxes.send()` of @sinch/fax: repeated `to` and `file` parts, the defaults it fills in,
    # numbers as text, and a labels object appended as it is, which FormData writes as
    # "[object Object]" (no labels, but not a reason to refuse the fax).
    response = await client.post(
        "faxes",
        data={
            "to": [TEST_NUMBER, OTHER_NUMBER],
            "headerPageNumbers": "true",
            "headerTimeZone": "America/New_York",
            "retryDelaySeconds": "60",
            "labels": "[object Object]",
            "callbackUrlContentType": "multipart/form-data",
            "imageConversionMethod": "HALFTONE",
            "maxRetries": "2",
        },
        files=[pdf_file(1, name="one.pdf"), pdf_file(2, name="two.pdf")],
    )

    assert response.status_code == 200, response.text
    faxes = response.json()["faxes"]
    assert [(fax["to"], fax["numberOfPages"]) for fax in faxes] == [
        (TEST_NUMBER, 3),
        (OTHER_NUMBER, 3),
    ]
    assert all(fax["labels"] == {} and fax["maxRetries"] == 2 for fax in faxes)


async def test_dotnet_callback_property_names_set_the_callback() -> None:
    # The .NET SDK's SendFaxRequest names these two EventDestinationTarget and
    # EventDestinationContentType, and its multipart sends use the property names.
    receiver = WebhookReceiver()
    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.0), webhook_transport=receiver.transport
        ) as local,
        local.client() as client,
    ):
        response = await client.post(
            "faxes",
            data={
                "To": TEST_NUMBER,
                "EventDestinationTarget": "https://hook:pw@receiver.test/done",
                "EventDestinationContentType": "application/json",
                "ImageConversionMethod": "MONOCHROME",
            },
            files=[pdf_file(1)],
        )
        assert response.status_code == 200, response.text
        fax = response.json()
        await finished(local, client, fax["id"])
        [hook] = await receiver.wait_for(1)

    assert fax["callbackUrl"] == "https://***:***@receiver.test/done"
    assert fax["callbackUrlContentType"] == "application/json"
    assert fax["imageConversionMethod"] == "MONOCHROME"
    assert (hook.path, hook.content_type) == ("/done", "application/json")
    assert hook.json["fax"]["id"] == fax["id"]


async def test_a_bad_callback_is_reported_under_the_name_it_was_sent_as(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "faxes",
        data={
            "to": TEST_NUMBER,
            "EventDestinationTarget": "ftp://receiver.test/done",
            "callbackContentType": "text/xml",
        },
        files=[pdf_file(1)],
    )

    assert response.status_code == 422
    assert violations(response) == ["eventDestinationTarget", "callbackContentType"]


async def test_json_with_base64_files(local: LocalSandbox, client: httpx.AsyncClient) -> None:
    response = await client.post(
        "faxes",
        json={
            "to": [TEST_NUMBER],
            "files": [
                {"file": b64(make_test_pdf(1, "One")), "fileType": "PDF"},
                {"file": b64(make_test_pdf(2, "Two")), "fileType": "pdf"},
            ],
            "labels": {"ticket": "T-7"},
            "headerPageNumbers": False,
            "maxRetries": 5,
        },
    )

    assert response.status_code == 200, response.text
    fax = response.json()
    assert fax["numberOfPages"] == 3
    assert fax["labels"] == {"ticket": "T-7"}
    assert fax["headerPageNumbers"] is False
    assert fax["maxRetries"] == 5
    assert (await finished(local, client, fax["id"]))["status"] == "COMPLETED"
    stored = (await client.get(f"faxes/{fax['id']}/file")).content
    assert page_titles(stored) == ["One", "Two", "Two"]


async def test_json_nulls_are_fields_left_out(client: httpx.AsyncClient) -> None:
    # What a client serializing its whole request model sends for everything left unset.
    unset = (
        "from", "contentUrl", "headerText", "headerPageNumbers", "headerTimeZone",
        "retryDelaySeconds", "labels", "callbackUrl", "callbackUrlContentType",
        "imageConversionMethod", "serviceId", "maxRetries", "resolution", "coverPageId",
        "coverPageData",
    )  # fmt: skip
    response = await client.post(
        "faxes",
        json={"to": TEST_NUMBER, "files": [{"file": b64(make_test_pdf(1))}]} | dict.fromkeys(unset),
    )

    assert response.status_code == 200, response.text
    fax = response.json()
    assert fax["labels"] == {}
    assert "contentUrl" not in fax
    assert fax["maxRetries"] == 3
    assert fax["headerPageNumbers"] is True
    assert fax["callbackUrlContentType"] == "multipart/form-data"
    # `"files": null` is no file at all (the content is missing), not a malformed file.
    response = await client.post("faxes", json={"to": TEST_NUMBER, "files": None})
    assert response.status_code == 400
    assert response.json()["message"] == "Send at least one file or contentUrl."
    # `"to": null` is still no recipient.
    response = await client.post(
        "faxes", json={"to": None, "files": [{"file": b64(make_test_pdf(1))}]}
    )
    assert response.status_code == 400
    assert response.json()["details"][0]["fieldViolations"][0]["field"] == "to"


async def test_json_to_as_a_comma_string(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "faxes",
        json={"to": f"{TEST_NUMBER},{OTHER_NUMBER}", "files": [{"file": b64(make_test_pdf(1))}]},
    )

    assert response.status_code == 200
    assert [fax["to"] for fax in response.json()["faxes"]] == [TEST_NUMBER, OTHER_NUMBER]


async def test_content_url_is_fetched_with_basic_auth_and_put_before_files() -> None:
    seen: list[httpx.Request] = []

    def documents(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, content=make_test_pdf(1, "Cover"), headers={"Content-Type": "application/pdf"}
        )

    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.0), fetch_transport=httpx.MockTransport(documents)
        ) as local,
        local.client() as client,
    ):
        response = await client.post(
            "faxes",
            json={
                "to": TEST_NUMBER,
                "contentUrl": "https://docs:pa:ss@docs.example.com/cover.pdf",
                "files": [{"file": b64(make_test_pdf(2, "Body")), "fileType": "PDF"}],
            },
        )
        assert response.status_code == 200, response.text
        fax = response.json()
        done = await finished(local, client, fax["id"])
        stored = (await client.get(f"faxes/{fax['id']}/file")).content

    assert fax["numberOfPages"] == 3
    assert fax["contentUrl"] == ["https://***:***@docs.example.com/cover.pdf"]
    assert [str(request.url) for request in seen] == ["https://docs.example.com/cover.pdf"]
    assert seen[0].headers["authorization"] == "Basic " + b64(b"docs:pa:ss")
    assert done["status"] == "COMPLETED"
    assert page_titles(stored) == ["Cover", "Body", "Body"]


_URLS = ["http://d.test/one.pdf", "http://d.test/two.pdf"]


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"to": TEST_NUMBER, "contentUrl": ", ".join(_URLS)}},  # multipart comma list
        {"data": {"to": TEST_NUMBER, "contentUrl": _URLS}},  # repeated multipart fields
        {"json": {"to": TEST_NUMBER, "contentUrl": _URLS}},  # a JSON list
        {"json": {"to": TEST_NUMBER, "contentUrl": ",".join(_URLS)}},  # a JSON comma string
    ],
)
async def test_content_urls_in_each_form_without_files(body: dict[str, Any]) -> None:
    def documents(request: httpx.Request) -> httpx.Response:
        pages = 1 if request.url.path == "/one.pdf" else 2
        return httpx.Response(200, content=make_test_pdf(pages, request.url.path))

    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.0), fetch_transport=httpx.MockTransport(documents)
        ) as local,
        local.client() as client,
    ):
        response = await client.post("faxes", **body)
        fax = response.json()
        await finished(local, client, fax["id"])
        stored = (await client.get(f"faxes/{fax['id']}/file")).content

    assert response.status_code == 200
    assert fax["numberOfPages"] == 3
    assert fax["contentUrl"] == _URLS
    assert page_titles(stored) == ["/one.pdf", "/two.pdf", "/two.pdf"]


@pytest.mark.parametrize("answer", ["refused", "not found"])
async def test_unreachable_content_url_fails_the_fax_with_code_54(answer: str) -> None:
    def documents(request: httpx.Request) -> httpx.Response:
        if answer == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(404)

    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.0), fetch_transport=httpx.MockTransport(documents)
        ) as local,
        local.client() as client,
    ):
        response = await client.post(
            "faxes", json={"to": TEST_NUMBER, "contentUrl": ["https://gone.test/x.pdf"]}
        )
        assert response.status_code == 200
        done = await finished(local, client, response.json()["id"])
        file_response = await client.get(f"faxes/{done['id']}/file")

    assert done["status"] == "FAILURE"
    assert done["errorType"] == "DOCUMENT_CONVERSION_ERROR"
    assert done["errorCode"] == 54
    assert done["errorMessage"] == "Could not access the url you provided. https://gone.test/x.pdf"
    assert done["hasFile"] is False
    assert done["completedTime"] >= done["createTime"]
    assert file_response.status_code == 404


async def test_unreadable_pdf_creates_a_fax_that_fails_with_code_133(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "faxes",
        data={"to": TEST_NUMBER},
        files=[("file", ("broken.pdf", b"%PDF-1.4\nthis is not a pdf", "application/pdf"))],
    )

    assert response.status_code == 200
    fax = response.json()
    assert fax["status"] == "QUEUED"
    done = await finished(local, client, fax["id"])
    assert (done["status"], done["errorType"], done["errorCode"]) == (
        "FAILURE",
        "DOCUMENT_CONVERSION_ERROR",
        133,
    )
    assert done["errorMessage"] == "Failed to normalize PDF document"


async def test_owner_password_only_pdf_among_several_is_joined(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    import pymupdf

    with pymupdf.open(stream=make_test_pdf(1), filetype="pdf") as doc:
        # Encrypted with an empty user password: anyone may open and print it.
        encrypted = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_128, owner_pw="owner")

    response = await client.post(
        "faxes",
        data={"to": TEST_NUMBER},
        files=[pdf_file(1), ("file", ("locked.pdf", encrypted, "application/pdf"))],
    )

    done = await finished(local, client, response.json()["id"])
    assert (done["status"], done["numberOfPages"]) == ("COMPLETED", 2)
    download = await client.get(f"faxes/{done['id']}/file")
    assert count_pages(download.content) == 2


# -- rejected requests --------------------------------------------------------------------------


def violations(response: httpx.Response) -> list[str]:
    body = response.json()
    assert body["status"] == "INVALID_ARGUMENT"
    assert body["code"] == response.status_code
    assert body["message"]
    return [v["field"] for d in body["details"] for v in d["fieldViolations"]]


async def test_no_file_and_no_content_url_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("faxes", data={"to": TEST_NUMBER})

    assert response.status_code == 400
    assert violations(response) == ["file"]


async def test_missing_to_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("faxes", data={"headerText": "x"}, files=[pdf_file(1)])

    assert response.status_code == 400
    assert violations(response) == ["to"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"to": "+1555"}, "to"),
        ({"to": "19898989898"}, "to"),
        ({"to": "+1989898989898989898"}, "to"),
        ({"to": f"{TEST_NUMBER},+12ab3456789"}, "to"),
        ({"from": "415-555-0100"}, "from"),
        ({"headerText": "x" * 51}, "headerText"),
        ({"retryDelaySeconds": "29"}, "retryDelaySeconds"),
        ({"retryDelaySeconds": "301"}, "retryDelaySeconds"),
        ({"retryDelaySeconds": "soon"}, "retryDelaySeconds"),
        ({"maxRetries": "6"}, "maxRetries"),
        ({"maxRetries": "-1"}, "maxRetries"),
        ({"headerPageNumbers": "maybe"}, "headerPageNumbers"),
        ({"resolution": "ULTRA"}, "resolution"),
        ({"imageConversionMethod": "DITHER"}, "imageConversionMethod"),
        ({"callbackUrlContentType": "text/xml"}, "callbackUrlContentType"),
        ({"callbackUrl": "ftp://example.com/x"}, "callbackUrl"),
    ],
)
async def test_invalid_values_are_422_with_the_field_named(
    client: httpx.AsyncClient, fields: dict[str, str], field: str
) -> None:
    response = await client.post("faxes", data={"to": TEST_NUMBER, **fields}, files=[pdf_file(1)])

    assert response.status_code == 422
    assert violations(response) == [field]
    assert (await client.get("faxes")).json()["totalItems"] == 0


async def test_a_number_not_in_e164_form_says_how_to_write_it(client: httpx.AsyncClient) -> None:
    response = await client.post("faxes", data={"to": "+1 989 898 9898"}, files=[pdf_file(1)])

    assert response.status_code == 422
    assert response.json()["details"][0]["fieldViolations"] == [
        {
            "field": "to",
            "description": "to '+1 989 898 9898' is not an E.164 number: write + and 8 to 15 "
            "digits, without spaces or dashes (such as +14155550100).",
        }
    ]


async def test_a_fax_cannot_go_out_from_a_number_the_project_does_not_own(
    client: httpx.AsyncClient,
) -> None:
    # The service sends only from numbers associated with the account.
    response = await client.post(
        "faxes", data={"to": TEST_NUMBER, "from": "+19999999999"}, files=[pdf_file(1)]
    )

    assert response.status_code == 422
    message = "from +19999999999 is not one of the project's numbers (+14155550100)."
    assert response.json()["message"] == message
    assert response.json()["details"][0]["fieldViolations"] == [
        {"field": "from", "description": message}
    ]
    assert (await client.get("faxes")).json()["totalItems"] == 0
    # The sandbox's own number, and a service's defaultFrom, are the project's.
    assert (await send(client, **{"from": "+14155550100"}))["from"] == "+14155550100"
    await own_number(client, "+19999999999")
    assert (await send(client, **{"from": "+19999999999"}))["from"] == "+19999999999"


async def test_edge_values_are_accepted(client: httpx.AsyncClient) -> None:
    fax = await send(
        client, headerText="x" * 50, retryDelaySeconds="300", maxRetries="5", to="+12345678"
    )

    assert (fax["headerText"], fax["retryDelaySeconds"], fax["maxRetries"]) == ("x" * 50, 300, 5)
    assert fax["to"] == "+12345678"


async def test_several_invalid_values_are_all_reported(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "faxes",
        json={
            "to": ["+1", TEST_NUMBER],
            "headerText": "y" * 60,
            "maxRetries": 9,
            "files": [{"file": b64(make_test_pdf(1))}],
        },
    )

    assert response.status_code == 422
    assert violations(response) == ["to", "headerText", "maxRetries"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"to": "+19898989898", "files": [{"file": "***"}]}', "application/json"),
        (b"to=+19898989898", "text/plain"),
    ],
)
async def test_malformed_bodies_are_400(
    client: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await client.post("faxes", content=content, headers={"Content-Type": content_type})

    assert response.status_code == 400
    assert response.json()["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("name", ["callbackContentType", "CallbackContentType"])
async def test_the_older_callback_content_type_name_is_accepted(
    client: httpx.AsyncClient, name: str
) -> None:
    fax = await send(client, **{name: "application/json"})
    refused = await client.post(
        "faxes", data={"to": TEST_NUMBER, name: "text/xml"}, files=[pdf_file(1)]
    )

    assert fax["callbackUrlContentType"] == "application/json"
    assert refused.status_code == 422
    assert violations(refused) == ["callbackContentType"]


@pytest.mark.parametrize("file_type", ["EXE", "", "pdf ", 7])
async def test_a_json_file_type_the_service_does_not_know_is_422(
    client: httpx.AsyncClient, file_type: object
) -> None:
    body = {"to": TEST_NUMBER, "files": [{"file": b64(make_test_pdf(1)), "fileType": file_type}]}

    response = await client.post("faxes", json=body)

    if file_type in ("", "pdf "):
        # No type given (the bytes tell), or a known one in another case and spacing.
        assert response.status_code == 200
    else:
        assert response.status_code == 422
        assert violations(response) == ["files[0].fileType"]


@pytest.mark.parametrize(
    ("zone", "accepted"),
    [("Europe/Berlin", True), ("UTC", True), ("Mars/Olympus", False), ("../../etc/passwd", False)],
)
async def test_header_time_zone_must_be_a_tz_database_name(
    client: httpx.AsyncClient, zone: str, accepted: bool
) -> None:
    response = await client.post(
        "faxes", data={"to": TEST_NUMBER, "headerTimeZone": zone}, files=[pdf_file(1)]
    )

    if accepted:
        assert (response.status_code, response.json()["headerTimeZone"]) == (200, zone)
    else:
        assert response.status_code == 422
        assert violations(response) == ["headerTimeZone"]
