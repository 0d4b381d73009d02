"""The send bodies `faxdesk.api.wire` writes, read back by the sandbox's own send parser.

Both encodings go to a real in-process sandbox, which reads requests the way the service does;
what it echoes in the created fax shows each option arrived with its value and type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from faxdesk.api.wire import send_form_fields, send_json_body, validate_send_request
from faxdesk.core.models import (
    TEST_NUMBER,
    Document,
    ImageConversionMethod,
    Resolution,
    SendRequest,
)
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import in_process_sandbox

OTHER_NUMBER = "+14155550123"


@pytest.fixture
async def sandbox_client() -> AsyncIterator[httpx.AsyncClient]:
    async with (
        in_process_sandbox(SandboxConfig(time_scale=0.0)) as local,
        local.client() as client,
    ):
        yield client


def _request(**changes: Any) -> SendRequest:
    values: dict[str, Any] = {
        "to": (TEST_NUMBER, OTHER_NUMBER),
        # The bodies below carry the files; a document makes the request valid as the client's.
        "documents": (Document(Path("cover.pdf")), Document(Path("body.pdf"))),
        "header_text": "ACME Clinic",
        "header_page_numbers": False,
        "header_time_zone": "Europe/Paris",
        "retry_delay_seconds": 30,
        "max_retries": 0,
        "resolution": Resolution.SUPERFINE,
        "image_conversion_method": ImageConversionMethod.MONOCHROME,
        "labels": {"ticket": "T-42", "dept": "billing"},
        "callback_url": "https://cb.example.com/fax",
        "callback_url_content_type": "application/json",
    }
    values.update(changes)
    request = SendRequest(**values)
    validate_send_request(request)
    return request


def _assert_options_arrived(faxes: list[dict[str, Any]]) -> None:
    assert sorted(fax["to"] for fax in faxes) == sorted([TEST_NUMBER, OTHER_NUMBER])
    for fax in faxes:
        assert fax["numberOfPages"] == 3
        assert fax["headerText"] == "ACME Clinic"
        assert fax["headerPageNumbers"] is False
        assert fax["headerTimeZone"] == "Europe/Paris"
        assert fax["retryDelaySeconds"] == 30
        assert fax["maxRetries"] == 0
        assert fax["resolution"] == "SUPERFINE"
        assert fax["imageConversionMethod"] == "MONOCHROME"
        assert fax["labels"] == {"ticket": "T-42", "dept": "billing"}
        assert fax["callbackUrl"] == "https://cb.example.com/fax"
        assert fax["callbackUrlContentType"] == "application/json"


async def test_json_send_with_base64_files_is_read_by_the_sandbox(
    sandbox_client: httpx.AsyncClient,
) -> None:
    files = [
        ("cover.pdf", make_test_pdf(1, "Cover"), "application/pdf"),
        ("body.pdf", make_test_pdf(2, "Body"), "application/pdf"),
    ]

    response = await sandbox_client.post("faxes", json=send_json_body(_request(), files))

    assert response.status_code == 200, response.text
    _assert_options_arrived(response.json()["faxes"])


async def test_multipart_send_is_read_by_the_sandbox(sandbox_client: httpx.AsyncClient) -> None:
    files = [
        ("file", ("cover.pdf", make_test_pdf(1, "Cover"), "application/pdf")),
        ("file", ("body.pdf", make_test_pdf(2, "Body"), "application/pdf")),
    ]

    response = await sandbox_client.post("faxes", data=send_form_fields(_request()), files=files)

    assert response.status_code == 200, response.text
    _assert_options_arrived(response.json()["faxes"])
