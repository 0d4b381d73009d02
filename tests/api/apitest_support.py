"""Helpers for the API client tests: sample wire faxes, JSON answers and a multipart parser to
look inside the requests the client builds.

Kept out of conftest so test modules can import these names directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Any

import httpx

from faxdesk.api.client import FaxApiClient

BASE_URL = "http://fax.test:8080"
PROJECT_ID = "proj-123"
FAXES_PATH = f"/v3/projects/{PROJECT_ID}/faxes"
KEY_ID = "key-id-1"
KEY_SECRET = "s3cr:et@pässwörd"

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]
)
MakeClient = Callable[..., FaxApiClient]


def wire_fax(**overrides: Any) -> dict[str, Any]:
    """A complete fax object as the service sends it."""
    fax: dict[str, Any] = {
        "id": "01J9ZK3M7Q2W8E5R6T4Y1U0P9A",
        "direction": "OUTBOUND",
        "from": "+14155550100",
        "to": "+19898989898",
        "contentUrl": ["https://example.com/doc.pdf"],
        "numberOfPages": 2,
        "pagesSentSuccessfully": 2,
        "status": "COMPLETED",
        "price": {"amount": "0.1400", "currencyCode": "USD"},
        "createTime": "2026-05-04T10:15:00Z",
        "completedTime": "2026-05-04T10:16:12.250Z",
        "headerText": "ACME",
        "headerPageNumbers": True,
        "headerTimeZone": "America/New_York",
        "retryDelaySeconds": 60,
        "maxRetries": 3,
        "retryCount": 1,
        "labels": {"ticket": "T-42"},
        "callbackUrl": "https://cb.example.com/fax",
        "imageConversionMethod": "HALFTONE",
        "resolution": "FINE",
        "hasFile": True,
        "projectId": PROJECT_ID,
        "serviceId": "01GVRB50KEQFFE1SGMPFRNBG6J",
    }
    fax.update(overrides)
    return fax


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


def multipart_parts(request: httpx.Request) -> list[Part]:
    """The parts of a multipart/form-data request body, in order."""
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    raw = b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.content
    message = BytesParser(policy=policy.HTTP).parsebytes(raw)
    assert message.is_multipart()
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str)
        parts.append(
            Part(
                name=name,
                filename=part.get_filename(),
                content_type=part.get_content_type(),
                content=payload,
            )
        )
    return parts
