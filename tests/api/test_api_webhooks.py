"""Reading INCOMING_FAX and FAX_COMPLETED webhooks in both of the service's encodings."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from faxdesk.api.webhooks import FAX_COMPLETED, INCOMING_FAX, WebhookEvent, parse_webhook
from faxdesk.core.errors import FaxDeskError, WebhookError
from faxdesk.core.models import Direction, FaxStatus, Money
from tests.api.apitest_support import wire_fax

#: Bytes that break naive parsers: CR, LF, CRLF, NUL, a fake boundary and high bytes.
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\r\n1 0 obj\r<<>>\nstream\x00\xff\r\n--notaboundary\r\n%%EOF\r"


def incoming_fax(**overrides: Any) -> dict[str, Any]:
    """The fax of an INCOMING_FAX webhook, shaped like the OAS example."""
    fax: dict[str, Any] = {
        "id": "01HDFHACK1YN7CCDYRA6ZRMA8Z",
        "direction": "INBOUND",
        "from": "+14155552222",
        "to": "+14155553333",
        "numberOfPages": 1,
        "status": "COMPLETED",
        "price": {"amount": "0.00", "currencyCode": "USD"},
        "createTime": "2021-11-01T23:25:57Z",
        "completedTime": "2021-11-01T23:25:57.123Z",
        "projectId": "proj-123",
        "serviceId": "01GVRB50KEQFFE1SGMPFRNBG6J",
    }
    fax.update(overrides)
    return fax


def multipart(
    fields: dict[str, str], file: tuple[str, bytes, str] | None = None
) -> tuple[str, bytes]:
    """A multipart body: (Content-Type header value, body).

    With a file, httpx's own encoder builds it (httpx sends a form without files urlencoded,
    so such a form is put together by hand).
    """
    if file is None:
        return handmade_multipart(
            *(
                f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'
                for name, value in fields.items()
            )
        )
    request = httpx.Request("POST", "http://receiver.test/", data=fields, files={"file": file})
    return request.headers["content-type"], request.read()


def handmade_multipart(*parts: str | bytes, boundary: str = "B0und4ry") -> tuple[str, bytes]:
    """A multipart body from raw parts (headers, blank line, value), for shapes httpx can't make."""
    chunks = []
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        chunks.append(b"--" + boundary.encode() + b"\r\n" + raw + b"\r\n")
    chunks.append(b"--" + boundary.encode() + b"--\r\n")
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


def json_body(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


# --- multipart/form-data ---------------------------------------------------------------------


def test_multipart_incoming_fax_with_its_pdf() -> None:
    content_type, body = multipart(
        {
            "event": "INCOMING_FAX",
            "eventTime": "2021-11-01T23:25:57Z",
            "fax": json.dumps(incoming_fax()),
        },
        ("fax-01HDF.pdf", PDF, "application/pdf"),
    )

    event = parse_webhook(content_type, body)

    assert event.event == INCOMING_FAX
    assert event.event_time == datetime(2021, 11, 1, 23, 25, 57, tzinfo=UTC)
    assert event.fax.id == "01HDFHACK1YN7CCDYRA6ZRMA8Z"
    assert event.fax.direction is Direction.INBOUND
    assert event.fax.status is FaxStatus.COMPLETED
    assert event.fax.from_ == "+14155552222"
    assert event.fax.price == Money(amount="0.00", currency_code="USD")
    assert event.fax.completed_time == datetime(2021, 11, 1, 23, 25, 57, 123000, tzinfo=UTC)
    assert event.pdf == PDF
    assert event.file_type == "PDF"
    assert event.filename == "fax-01HDF.pdf"


def test_multipart_fax_completed_without_a_file() -> None:
    content_type, body = multipart(
        {
            "event": "FAX_COMPLETED",
            "eventTime": "2021-11-01T23:25:57.5+00:00",
            "fax": json.dumps(wire_fax(status="FAILURE", errorType="CALL_ERROR", errorCode=17)),
        }
    )

    event = parse_webhook(content_type, body)

    assert event.event == FAX_COMPLETED
    assert event.event_time == datetime(2021, 11, 1, 23, 25, 57, 500000, tzinfo=UTC)
    assert event.fax.status is FaxStatus.FAILURE
    assert event.fax.error_code == 17
    assert (event.pdf, event.file_type, event.filename) == (None, "", "")


@pytest.mark.parametrize(
    "fax_headers",
    [
        'Content-Disposition: form-data; name="fax"\r\nContent-Type: application/json',
        'Content-Disposition: form-data; name="fax"\r\nContent-Type: text/plain; charset=utf-8',
        'Content-Disposition: form-data; name="fax"',
    ],
    ids=["application/json", "text/plain", "no content type"],
)
def test_multipart_fax_part_is_read_whatever_its_content_type(fax_headers: str) -> None:
    content_type, body = handmade_multipart(
        'Content-Disposition: form-data; name="event"\r\n\r\nINCOMING_FAX',
        f"{fax_headers}\r\n\r\n{json.dumps(incoming_fax(**{'from': '+14155550199'}))}",
        b'Content-Disposition: form-data; name="file"; filename="in.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF,
    )

    event = parse_webhook(content_type, body)

    assert event.fax.from_ == "+14155550199"
    assert event.pdf == PDF
    assert event.filename == "in.pdf"


def test_multipart_event_sent_as_a_json_string_is_unquoted() -> None:
    # The OAS declares the `event` part as application/json, which makes it a quoted string.
    content_type, body = handmade_multipart(
        'Content-Disposition: form-data; name="event"\r\n'
        'Content-Type: application/json\r\n\r\n"FAX_COMPLETED"',
        'Content-Disposition: form-data; name="eventTime"\r\n\r\n"2021-11-01T23:25:57Z"',
        f'Content-Disposition: form-data; name="fax"\r\n\r\n{json.dumps(wire_fax())}',
    )

    event = parse_webhook(content_type, body)

    assert event.event == FAX_COMPLETED
    assert event.event_time == datetime(2021, 11, 1, 23, 25, 57, tzinfo=UTC)


def test_multipart_file_in_base64_transfer_encoding_is_decoded() -> None:
    content_type, body = handmade_multipart(
        'Content-Disposition: form-data; name="event"\r\n\r\nINCOMING_FAX',
        f'Content-Disposition: form-data; name="fax"\r\n\r\n{json.dumps(incoming_fax())}',
        'Content-Disposition: form-data; name="file"; filename="in.pdf"\r\n'
        "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(PDF),
    )

    assert parse_webhook(content_type, body).pdf == PDF


def test_multipart_boundary_may_be_quoted_and_content_type_capitalised() -> None:
    _, body = handmade_multipart(
        'Content-Disposition: form-data; name="event"\r\n\r\nINCOMING_FAX',
        f'Content-Disposition: form-data; name="fax"\r\n\r\n{json.dumps(incoming_fax())}',
        boundary="a:b=c",
    )

    event = parse_webhook('Multipart/Form-Data; boundary="a:b=c"', body)

    assert event.fax.id == "01HDFHACK1YN7CCDYRA6ZRMA8Z"


def test_incoming_fax_without_direction_reads_as_inbound() -> None:
    fax = incoming_fax()
    del fax["direction"]
    content_type, body = multipart({"event": "INCOMING_FAX", "fax": json.dumps(fax)})

    assert parse_webhook(content_type, body).fax.direction is Direction.INBOUND


def test_incoming_fax_with_a_null_direction_reads_as_inbound() -> None:
    fax = {**incoming_fax(), "direction": None}
    body = json_body({"event": "INCOMING_FAX", "fax": fax})

    assert parse_webhook("application/json", body).fax.direction is Direction.INBOUND


def test_unknown_event_is_kept_with_its_fax() -> None:
    content_type, body = multipart({"event": "FAX_PAGE_SENT", "fax": json.dumps(wire_fax())})

    event = parse_webhook(content_type, body)

    assert event.event == "FAX_PAGE_SENT"
    assert event.fax.direction is Direction.OUTBOUND


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("multipart/form-data", b"--x\r\n\r\n--x--", "names no boundary"),
        ("multipart/form-data; boundary=other", multipart({"event": "X"})[1], "boundary"),
        ("multipart/form-data; boundary=B0und4ry", b"--B0und4ry\r\nhalf a part", "cut short"),
        ("multipart/form-data; boundary=x\r\nX-Evil: 1", b"", "malformed"),
    ],
    ids=["no boundary parameter", "other boundary", "truncated", "header injection"],
)
def test_broken_multipart_bodies_are_named(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(WebhookError, match=message):
        parse_webhook(content_type, body)


def test_multipart_without_event_is_refused() -> None:
    content_type, body = multipart({"fax": json.dumps(incoming_fax())})
    with pytest.raises(WebhookError, match="which event"):
        parse_webhook(content_type, body)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"event": "INCOMING_FAX"}, "carries no fax"),
        ({"event": "INCOMING_FAX", "fax": "{not json"}, "fax is not valid JSON"),
        ({"event": "INCOMING_FAX", "fax": "[1, 2]"}, "fax is not a JSON object"),
        ({"event": "INCOMING_FAX", "fax": '{"status": "COMPLETED"}'}, "fax has no id"),
    ],
)
def test_multipart_with_missing_or_broken_fax_is_refused(
    fields: dict[str, str], message: str
) -> None:
    content_type, body = multipart(fields)
    with pytest.raises(WebhookError, match=message):
        parse_webhook(content_type, body)


def test_multipart_file_that_is_not_a_pdf_is_refused() -> None:
    content_type, body = multipart(
        {"event": "INCOMING_FAX", "fax": json.dumps(incoming_fax())},
        ("in.pdf", b"II*\x00 a TIFF, not a PDF", "application/pdf"),
    )
    with pytest.raises(WebhookError, match="not a PDF"):
        parse_webhook(content_type, body)


# --- application/json ------------------------------------------------------------------------


def test_json_incoming_fax_with_single_file() -> None:
    body = json_body(
        {
            "event": "INCOMING_FAX",
            "eventTime": "2021-11-01T23:25:57Z",
            "fax": incoming_fax(),
            "file": b64(PDF),
            "fileType": "PDF",
        }
    )

    event = parse_webhook("application/json; charset=utf-8", body)

    assert event.event == INCOMING_FAX
    assert event.event_time == datetime(2021, 11, 1, 23, 25, 57, tzinfo=UTC)
    assert event.fax.direction is Direction.INBOUND
    assert event.fax.price == Money(amount="0.00", currency_code="USD")
    assert event.pdf == PDF
    assert event.file_type == "PDF"
    assert event.filename == ""


def test_json_fax_completed_with_files_list_takes_the_first_pdf() -> None:
    body = json_body(
        {
            "event": "FAX_COMPLETED",
            "eventTime": "2021-11-01T23:25:57.231Z",
            "fax": wire_fax(price={"amount": 0.07, "currencyCode": "USD"}),
            "files": [
                {"file": b64(b"II*\x00tiff"), "fileType": "TIF"},
                {"file": b64(PDF), "fileType": "pdf"},
                {"file": b64(b"%PDF-1.4 second"), "fileType": "PDF"},
            ],
        }
    )

    event = parse_webhook("application/json", body)

    assert event.event == FAX_COMPLETED
    assert event.event_time == datetime(2021, 11, 1, 23, 25, 57, 231000, tzinfo=UTC)
    assert event.fax.price == Money(amount="0.07", currency_code="USD")
    assert event.pdf == PDF
    assert event.file_type == "PDF"


def test_json_fax_completed_with_a_single_file_as_the_node_sdk_models_it() -> None:
    body = json_body({"event": "FAX_COMPLETED", "fax": wire_fax(), "file": b64(PDF)})

    event = parse_webhook("application/json", body)

    assert (event.pdf, event.file_type) == (PDF, "PDF")


def test_json_incoming_fax_with_files_list() -> None:
    body = json_body(
        {"event": "INCOMING_FAX", "fax": incoming_fax(), "files": [{"file": b64(PDF)}]}
    )
    assert parse_webhook("application/json", body).pdf == PDF


def test_json_fax_as_a_json_string_and_wrapped_base64_are_read() -> None:
    wrapped = "\n".join(b64(PDF * 4)[i : i + 76] for i in range(0, len(b64(PDF * 4)), 76))
    body = json_body({"event": "INCOMING_FAX", "fax": json.dumps(incoming_fax()), "file": wrapped})

    event = parse_webhook("application/json", body)

    assert event.fax.id == "01HDFHACK1YN7CCDYRA6ZRMA8Z"
    assert event.pdf == PDF * 4


def test_json_without_any_file_has_no_pdf() -> None:
    body = json_body({"event": "FAX_COMPLETED", "fax": wire_fax(), "files": [], "file": ""})

    event = parse_webhook("application/json", body)

    assert (event.pdf, event.file_type) == (None, "")


def test_json_keeps_unknown_fax_fields_and_enum_values() -> None:
    fax = wire_fax(status="CANCELLED", barCodes=[{"type": "CODE_128", "page": 1, "value": "X"}])
    body = json_body({"event": "FAX_COMPLETED", "fax": fax})

    event = parse_webhook("application/json", body)

    assert event.fax.status.value == "CANCELLED"
    assert event.fax.extra == {"barCodes": [{"type": "CODE_128", "page": 1, "value": "X"}]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b'["event"]', "not an object"),
        (json_body({"fax": wire_fax()}), "which event"),
        (json_body({"event": "  ", "fax": wire_fax()}), "which event"),
        (json_body({"event": "FAX_COMPLETED"}), "carries no fax"),
        (json_body({"event": "FAX_COMPLETED", "fax": "{"}), "fax is not valid JSON"),
        (json_body({"event": "FAX_COMPLETED", "fax": 7}), "fax is not a JSON object"),
        (json_body({"event": "FAX_COMPLETED", "fax": {"id": ""}}), "fax has no id"),
        (
            json_body({"event": "INCOMING_FAX", "fax": incoming_fax(), "file": "not base64!"}),
            "not valid base64",
        ),
        (
            json_body({"event": "INCOMING_FAX", "fax": incoming_fax(), "file": "JVBERi0"}),
            "not valid base64",
        ),
        (
            json_body({"event": "INCOMING_FAX", "fax": incoming_fax(), "file": 12}),
            "not base64 text",
        ),
        (
            json_body({"event": "INCOMING_FAX", "fax": incoming_fax(), "file": b64(b"GIF89a")}),
            "not a PDF",
        ),
        (
            json_body({"event": "FAX_COMPLETED", "fax": wire_fax(), "files": "x"}),
            "neither a list",
        ),
        (
            json_body({"event": "FAX_COMPLETED", "fax": wire_fax(), "files": [b64(b"%PDF-1.4\n")]}),
            "must be objects with `file` and `fileType`",
        ),
    ],
)
def test_broken_json_webhooks_are_named(body: bytes, message: str) -> None:
    with pytest.raises(WebhookError, match=message):
        parse_webhook("application/json", body)


# --- content types and garbage ---------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "", "application/pdf"]
)
def test_unsupported_content_type_is_refused(content_type: str) -> None:
    with pytest.raises(WebhookError, match="multipart/form-data or application/json"):
        parse_webhook(content_type, json_body({"event": "INCOMING_FAX", "fax": incoming_fax()}))


def test_unsupported_content_type_is_shown_short_and_printable() -> None:
    with pytest.raises(WebhookError) as caught:
        parse_webhook("text/\x07" + "x" * 200, b"")
    assert "\x07" not in str(caught.value)
    assert "text/" + "x" * 50 in str(caught.value)
    assert "x" * 60 not in str(caught.value)


def test_webhook_error_is_a_faxdesk_error() -> None:
    assert issubclass(WebhookError, FaxDeskError)


def test_repr_leaves_the_document_out() -> None:
    body = json_body({"event": INCOMING_FAX, "fax": incoming_fax(), "file": b64(PDF)})
    event = parse_webhook("application/json", body)
    assert isinstance(event, WebhookEvent)
    assert event.pdf == PDF
    assert "PDF-1.7" not in repr(event)
    assert "01HDFHACK1YN7CCDYRA6ZRMA8Z" in repr(event)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(out) + 1)
        choice = rng.random()
        if choice < 0.4 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif choice < 0.7:
            out[at:at] = rng.randbytes(rng.randint(1, 5))
        else:
            del out[at : at + rng.randint(1, 20)]
    return bytes(out)


def test_garbage_raises_only_webhook_errors() -> None:
    # Seeded, so a failure reproduces; random bytes and mutations of valid bodies in both types.
    rng = random.Random(20260504)
    valid = [
        multipart(
            {
                "event": "INCOMING_FAX",
                "eventTime": "2021-11-01T23:25:57Z",
                "fax": json.dumps(incoming_fax()),
            },
            ("in.pdf", PDF, "application/pdf"),
        ),
        multipart({"event": "INCOMING_FAX", "fax": json.dumps(incoming_fax())}),
        (
            "application/json",
            json_body({"event": "FAX_COMPLETED", "fax": wire_fax(), "files": [{"file": b64(PDF)}]}),
        ),
    ]
    parsed = 0
    refusals: list[str] = []
    for round_number in range(3000):
        content_type, body = valid[round_number % len(valid)]
        body = rng.randbytes(rng.randint(0, 300)) if round_number % 3 == 0 else _mutate(body, rng)
        if round_number % 10 == 0:
            content_type = _mutate(content_type.encode(), rng).decode("latin-1")
        try:
            parse_webhook(content_type, body)
        except WebhookError as error:
            refusals.append(str(error))
        else:
            parsed += 1
    # Every refusal says something, and both outcomes happened, not just the first check.
    assert all(refusals)
    assert len(refusals) > 1000
    assert parsed > 10
