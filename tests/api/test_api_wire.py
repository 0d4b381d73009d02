"""Reading the service's tolerated shapes and writing send bodies and list queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from faxdesk.api.wire import (
    cover_page_body,
    cover_page_from_wire,
    cover_page_to_wire,
    cover_pages_from_wire,
    fax_from_wire,
    fax_to_wire,
    faxes_from_send_response,
    format_query_time,
    is_time_zone_name,
    json_file_type,
    list_query_string,
    page_from_wire,
    parse_timestamp,
    send_form_fields,
    send_json_body,
    service_from_wire,
    service_to_wire,
    services_page_from_wire,
    validate_send_request,
)
from faxdesk.core.errors import ValidationError
from faxdesk.core.models import (
    CoverPage,
    Direction,
    Document,
    ErrorType,
    FaxQuery,
    FaxStatus,
    ImageConversionMethod,
    Money,
    Resolution,
    SendRequest,
    Service,
)
from tests.api.apitest_support import wire_fax

# --- fax_from_wire ---------------------------------------------------------------------------


def test_complete_fax_maps_every_field() -> None:
    fax = fax_from_wire(wire_fax())

    assert fax.id == "01J9ZK3M7Q2W8E5R6T4Y1U0P9A"
    assert fax.direction is Direction.OUTBOUND
    assert fax.status is FaxStatus.COMPLETED
    assert fax.from_ == "+14155550100"
    assert fax.to == "+19898989898"
    assert fax.content_urls == ("https://example.com/doc.pdf",)
    assert fax.number_of_pages == 2
    assert fax.pages_sent_successfully == 2
    assert fax.price == Money(amount="0.1400", currency_code="USD")
    assert fax.create_time == datetime(2026, 5, 4, 10, 15, tzinfo=UTC)
    assert fax.completed_time == datetime(2026, 5, 4, 10, 16, 12, 250000, tzinfo=UTC)
    assert fax.header_text == "ACME"
    assert fax.header_page_numbers is True
    assert fax.header_time_zone == "America/New_York"
    assert fax.retry_delay_seconds == 60
    assert fax.max_retries == 3
    assert fax.retry_count == 1
    assert fax.labels == {"ticket": "T-42"}
    assert fax.callback_url == "https://cb.example.com/fax"
    assert fax.image_conversion_method is ImageConversionMethod.HALFTONE
    assert fax.resolution is Resolution.FINE
    assert fax.has_file is True
    assert fax.project_id == "proj-123"
    assert fax.service_id == "01GVRB50KEQFFE1SGMPFRNBG6J"
    assert fax.error_type is None
    assert fax.error_code is None
    assert fax.extra == {}


def test_failed_fax_keeps_error_fields() -> None:
    fax = fax_from_wire(
        wire_fax(status="FAILURE", errorType="CALL_ERROR", errorCode=17, errorMessage="Busy")
    )

    assert fax.status is FaxStatus.FAILURE
    assert fax.error_type is ErrorType.CALL_ERROR
    assert fax.error_code == 17
    assert fax.error_message == "Busy"


@pytest.mark.parametrize(
    ("content_url", "expected"),
    [
        ("https://www.google.com", ("https://www.google.com",)),
        (
            ["https://a.example/x.pdf", "https://b.example/"],
            ("https://a.example/x.pdf", "https://b.example/"),
        ),
        ([], ()),
        ("", ()),
        (None, ()),
    ],
)
def test_content_url_string_or_list(content_url: Any, expected: tuple[str, ...]) -> None:
    assert fax_from_wire(wire_fax(contentUrl=content_url)).content_urls == expected


@pytest.mark.parametrize(
    ("has_file", "expected"),
    [(True, True), (False, False), ("true", True), ("false", False), ("True", True), (None, False)],
)
def test_has_file_bool_or_string(has_file: Any, expected: bool) -> None:
    assert fax_from_wire(wire_fax(hasFile=has_file)).has_file is expected


def test_header_page_numbers_as_string_is_read() -> None:
    assert fax_from_wire(wire_fax(headerPageNumbers="false")).header_page_numbers is False
    assert fax_from_wire(wire_fax(headerPageNumbers="True")).header_page_numbers is True


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.0040", "0.0040"), (0.07, "0.07"), (0.21, "0.21"), (1, "1"), (0.00001, "0.00001")],
)
def test_price_amount_string_or_number_is_kept_as_string(amount: Any, expected: str) -> None:
    fax = fax_from_wire(wire_fax(price={"amount": amount, "currencyCode": "EUR"}))
    assert fax.price == Money(amount=expected, currency_code="EUR")


def test_missing_price_is_none() -> None:
    data = wire_fax()
    del data["price"]
    assert fax_from_wire(data).price is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-06T14:42:42Z", datetime(2024, 6, 6, 14, 42, 42, tzinfo=UTC)),
        ("2023-10-23T21:06:52.231Z", datetime(2023, 10, 23, 21, 6, 52, 231000, tzinfo=UTC)),
        ("2023-10-23T21:06:52.231+00:00", datetime(2023, 10, 23, 21, 6, 52, 231000, tzinfo=UTC)),
        ("2024-06-06T14:42:42+00:00", datetime(2024, 6, 6, 14, 42, 42, tzinfo=UTC)),
        ("2024-06-06T16:42:42+02:00", datetime(2024, 6, 6, 14, 42, 42, tzinfo=UTC)),
        ("2024-06-06T14:42:42.123456789Z", datetime(2024, 6, 6, 14, 42, 42, 123456, tzinfo=UTC)),
        ("2024-06-06T14:42:42", datetime(2024, 6, 6, 14, 42, 42, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["yesterday", "", None, 1717685000])
def test_unreadable_timestamp_is_none(value: Any) -> None:
    assert parse_timestamp(value) is None


def test_unknown_fields_are_kept_in_extra() -> None:
    fax = fax_from_wire(
        wire_fax(
            fromCountry="US",
            barCodes=[{"type": "CODE_128", "value": "X"}],
            callbackUrlContentType="application/json",
        )
    )
    assert fax.extra == {
        "fromCountry": "US",
        "barCodes": [{"type": "CODE_128", "value": "X"}],
        "callbackUrlContentType": "application/json",
    }


def test_unknown_enum_values_are_kept() -> None:
    fax = fax_from_wire(
        wire_fax(
            status="CANCELLED",
            direction="SIDEWAYS",
            errorType="LINE_ERROR",
            resolution="ULTRAFINE",
            errorCode=89,
        )
    )
    assert fax.status.value == "CANCELLED"
    assert not fax.status.is_final
    assert fax.direction.value == "SIDEWAYS"
    assert fax.error_type is ErrorType.LINE_ERROR
    assert fax.resolution is not None
    assert fax.resolution.value == "ULTRAFINE"
    assert fax.error_code == 89


def test_known_enum_values_are_read_in_any_letter_case() -> None:
    fax = fax_from_wire(
        wire_fax(
            status="completed",
            direction=" Inbound ",
            errorType="call_error",
            resolution="Superfine",
            imageConversionMethod="monochrome",
        )
    )
    assert fax.status is FaxStatus.COMPLETED
    assert fax.status.is_final
    assert fax.direction is Direction.INBOUND
    assert fax.error_type is ErrorType.CALL_ERROR
    assert fax.resolution is Resolution.SUPERFINE
    assert fax.image_conversion_method is ImageConversionMethod.MONOCHROME


def test_missing_fields_get_defaults() -> None:
    fax = fax_from_wire({"id": "01HX"})

    assert fax.id == "01HX"
    assert fax.direction is Direction.OUTBOUND
    assert fax.status is FaxStatus.QUEUED
    assert fax.to == ""
    assert fax.from_ == ""
    assert fax.create_time is None
    assert fax.number_of_pages == 0
    assert fax.price is None
    assert fax.has_file is False
    assert fax.content_urls == ()
    assert fax.header_page_numbers is None
    assert fax.max_retries is None
    assert fax.labels == {}
    assert fax.extra == {}


def test_numbers_sent_as_strings_are_read() -> None:
    fax = fax_from_wire(wire_fax(numberOfPages="3", errorCode="54", retryCount="bad"))
    assert fax.number_of_pages == 3
    assert fax.error_code == 54
    assert fax.retry_count == 0


def test_send_response_single_fax_becomes_a_list() -> None:
    faxes = faxes_from_send_response(wire_fax(status="IN_PROGRESS", contentUrl="https://x/"))
    assert faxes is not None
    assert [f.status for f in faxes] == [FaxStatus.IN_PROGRESS]
    assert faxes[0].content_urls == ("https://x/",)


def test_send_response_fax_list() -> None:
    faxes = faxes_from_send_response(
        {"faxes": [wire_fax(id="A", to="+1555"), wire_fax(id="B", to="+1666")]}
    )
    assert faxes is not None
    assert [(f.id, f.to) for f in faxes] == [("A", "+1555"), ("B", "+1666")]


def test_send_response_of_another_shape_is_none() -> None:
    assert faxes_from_send_response("created") is None


# --- page_from_wire --------------------------------------------------------------------------


def test_page_with_current_pagination_keys() -> None:
    page = page_from_wire(
        {"faxes": [wire_fax(id="A")], "page": 2, "pageSize": 1, "totalItems": 3, "totalPages": 3}
    )
    assert [f.id for f in page.faxes] == ["A"]
    assert (page.page, page.page_size, page.total_items, page.total_pages) == (2, 1, 3, 3)
    assert page.has_more


def test_page_with_older_page_number_key() -> None:
    page = page_from_wire(
        {"faxes": [], "pageNumber": "3", "pageSize": "50", "totalItems": 120, "totalPages": 3}
    )
    assert (page.page, page.page_size, page.total_items, page.total_pages) == (3, 50, 120, 3)
    assert not page.has_more


def test_page_without_pagination_uses_what_was_asked() -> None:
    page = page_from_wire({"faxes": [wire_fax(id="A"), wire_fax(id="B")]}, page=1, page_size=10)
    assert (page.page, page.page_size, page.total_items, page.total_pages) == (1, 10, 2, 1)


def test_page_without_faxes_key_is_empty() -> None:
    page = page_from_wire({})
    assert page.faxes == ()
    assert (page.page, page.total_pages) == (1, 1)


# --- sending ---------------------------------------------------------------------------------


def _request(**changes: Any) -> SendRequest:
    values: dict[str, Any] = {"to": ("+19898989898",), "content_urls": ("https://x.example/",)}
    values.update(changes)
    return SendRequest(**values)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"to": ()}, "to", "recipient"),
        ({"to": ("  ",)}, "to", "recipient"),
        ({"to": ("+1",)}, "to", "“+1”"),
        ({"to": ("+19898989898", "4155550123")}, "to", "“4155550123”"),
        ({"to": ("+1989898989898989",)}, "to", "international format"),
        ({"to": ("+09898989898",)}, "to", "international format"),
        ({"from_": "14155550100"}, "from_", "sender number “14155550100”"),
        ({"from_": ""}, "from_", "sender number"),
        ({"content_urls": ()}, "documents", "document or a content URL"),
        ({"content_urls": ("www.example.com/a.pdf",)}, "content_urls", "content URL"),
        ({"content_urls": ("ftp://example.com/a.pdf",)}, "content_urls", "http://"),
        ({"content_urls": ("https:///a.pdf",)}, "content_urls", "content URL"),
        ({"content_urls": ("https://exa mple.com/",)}, "content_urls", "content URL"),
        ({"header_text": "x" * 51}, "header_text", "header text"),
        ({"header_text": "line1\nline2"}, "header_text", "cannot hold line breaks"),
        ({"header_text": "a\tb"}, "header_text", "cannot hold line breaks"),
        ({"header_time_zone": "Mars/Olympus_Mons"}, "header_time_zone", "“Mars/Olympus_Mons”"),
        ({"header_time_zone": "europe/paris"}, "header_time_zone", "time zone"),
        ({"header_time_zone": ""}, "header_time_zone", "time zone"),
        ({"retry_delay_seconds": 29}, "retry_delay_seconds", "retry delay"),
        ({"retry_delay_seconds": 301}, "retry_delay_seconds", "retry delay"),
        ({"max_retries": -1}, "max_retries", "number of retries"),
        ({"max_retries": 6}, "max_retries", "number of retries"),
        ({"max_retries": True}, "max_retries", "number of retries"),
        ({"resolution": Resolution("ULTRAFINE")}, "resolution", "resolution “ULTRAFINE”"),
        (
            {"image_conversion_method": ImageConversionMethod("SEPIA")},
            "image_conversion_method",
            "image conversion method “SEPIA”",
        ),
        ({"labels": {" ": "x"}}, "labels", "label"),
        ({"labels": {"a]b": "c"}}, "labels", "label name “a]b” cannot contain square brackets"),
        ({"labels": {"x[y]": "z"}}, "labels", "label name “x[y]” cannot contain square"),
        ({"labels": {"a\nb": "z"}}, "labels", "control characters"),
        (
            {"cover_page_id": "01JA", "cover_page_data": {"to[name]": "x"}},
            "cover_page_data",
            "cover page field name “to[name]” cannot contain square brackets",
        ),
        ({"callback_url": "cb.example.com"}, "callback_url", "callback URL"),
        ({"callback_url": "https://[::1/cb"}, "callback_url", "callback URL"),
        (
            {"callback_url_content_type": "text/xml"},
            "callback_url_content_type",
            "multipart/form-data or application/json",
        ),
        ({"cover_page_id": " "}, "cover_page_id", "cover page ID"),
        ({"cover_page_id": "01JA", "cover_page_data": {"": "x"}}, "cover_page_data", "name"),
        (
            {"cover_page_id": "01JA", "cover_page_data": {"toName": "Dr. Smith"}},
            "cover_page_data",
            "“toName” must be lower case: “toname”",
        ),
        ({"cover_page_data": {"to_name": "Dr. Smith"}}, "cover_page_data", "need a cover page"),
        ({"service_id": ""}, "service_id", "service ID"),
    ],
)
def test_invalid_send_requests_name_the_field(
    changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_send_request(_request(**changes))
    assert caught.value.field == field
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"header_text": "x" * 50},
        {"header_text": ""},
        {"retry_delay_seconds": 30},
        {"retry_delay_seconds": 300},
        {"max_retries": 0},
        {"max_retries": 5},
        {"content_urls": (), "documents": (Document(Path("a.pdf")),)},
        {"to": ("+19898989898", " +14155550123 ")},
        {"to": ("+123456789012345",)},
        {"from_": "+14155550100"},
        {"header_time_zone": "America/New_York"},
        {"header_time_zone": "UTC"},
        {"content_urls": ("HTTP://user:pw@example.com:8080/a.pdf?x=1",)},
        {"callback_url": "https://user:pw@cb.example.com/fax"},
        {"callback_url_content_type": "application/json"},
        {"callback_url_content_type": "multipart/form-data"},
        {
            "resolution": Resolution.SUPERFINE,
            "image_conversion_method": ImageConversionMethod.MONOCHROME,
        },
        {"cover_page_id": "01JA", "cover_page_data": {"to_name": "Dr. Smith", "pages": "3"}},
        {"cover_page_id": "01JA"},
        {"service_id": "01GVRB50KEQFFE1SGMPFRNBG6J"},
        {"labels": {"ticket": "", "costCenter": "sales"}},
    ],
)
def test_valid_send_requests_pass(changes: dict[str, Any]) -> None:
    validate_send_request(_request(**changes))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content_urls": ("ftp://alice:hunter2@files.example.com/a.pdf",)}, "content_urls"),
        ({"callback_url": "htp://alice:hunter2@cb.example.com/fax"}, "callback_url"),
    ],
)
def test_refused_urls_do_not_repeat_their_password(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_send_request(_request(**changes))
    assert caught.value.field == field
    assert "hunter2" not in str(caught.value)
    assert "alice:***@" in str(caught.value)


def test_time_zone_names_are_the_tz_database_spelling() -> None:
    assert is_time_zone_name("Europe/Berlin")
    assert is_time_zone_name("America/Argentina/Buenos_Aires")
    assert not is_time_zone_name("Europe/berlin")
    assert not is_time_zone_name("../../etc/passwd")
    assert not is_time_zone_name("CEST")


def test_form_fields_send_false_and_zero_and_drop_none() -> None:
    fields = send_form_fields(
        _request(
            to=("+19898989898", "+14155550123"),
            content_urls=("https://a.example/x.pdf", "https://b.example/"),
            header_page_numbers=False,
            max_retries=0,
            retry_delay_seconds=30,
            resolution=Resolution.SUPERFINE,
            image_conversion_method=ImageConversionMethod.MONOCHROME,
            labels={"ticket": "T-42", "dept": "billing"},
            from_="+14155550100",
        )
    )
    assert fields == {
        "to": ["+19898989898", "+14155550123"],
        "contentUrl": "https://a.example/x.pdf,https://b.example/",
        "from": "+14155550100",
        "headerPageNumbers": "false",
        "retryDelaySeconds": "30",
        "maxRetries": "0",
        "resolution": "SUPERFINE",
        "imageConversionMethod": "MONOCHROME",
        "labels[ticket]": "T-42",
        "labels[dept]": "billing",
    }


def test_json_body_for_one_recipient_uses_a_string() -> None:
    body = send_json_body(
        _request(header_text="", header_page_numbers=True, callback_url="https://cb/")
    )
    assert body == {
        "to": "+19898989898",
        "contentUrl": ["https://x.example/"],
        "headerText": "",
        "headerPageNumbers": True,
        "callbackUrl": "https://cb/",
    }


def test_json_body_for_several_recipients_uses_a_list() -> None:
    body = send_json_body(
        _request(
            to=("+19898989898", "+14155550123"),
            max_retries=0,
            header_time_zone="Europe/Paris",
            service_id="01GVRB",
            labels={"k": "v"},
        )
    )
    assert body == {
        "to": ["+19898989898", "+14155550123"],
        "contentUrl": ["https://x.example/"],
        "headerTimeZone": "Europe/Paris",
        "maxRetries": 0,
        "serviceId": "01GVRB",
        "labels": {"k": "v"},
    }


def test_form_fields_carry_callback_type_and_cover_page() -> None:
    fields = send_form_fields(
        _request(
            callback_url="https://cb.example.com/fax",
            callback_url_content_type="application/json",
            cover_page_id="01JA0000000000000000000000",
            cover_page_data={"to_name": "Dr. Smith", "message": "Referral"},
        )
    )
    assert fields == {
        "to": ["+19898989898"],
        "contentUrl": "https://x.example/",
        "callbackUrl": "https://cb.example.com/fax",
        "callbackUrlContentType": "application/json",
        "coverPageId": "01JA0000000000000000000000",
        "coverPageData[to_name]": "Dr. Smith",
        "coverPageData[message]": "Referral",
    }


def test_a_comma_inside_a_content_url_is_escaped_in_the_comma_separated_part() -> None:
    fields = send_form_fields(
        _request(content_urls=("https://a.example/x.pdf", "https://b.example/y,z.pdf"))
    )
    assert fields["contentUrl"] == "https://a.example/x.pdf,https://b.example/y%2Cz.pdf"
    # JSON carries a real list, so the address goes as it was given.
    body = send_json_body(
        _request(content_urls=("https://a.example/x.pdf", "https://b.example/y,z.pdf"))
    )
    assert body["contentUrl"] == ["https://a.example/x.pdf", "https://b.example/y,z.pdf"]


def test_form_fields_without_content_urls_have_no_content_url_part() -> None:
    fields = send_form_fields(_request(content_urls=(), documents=(Document(Path("a.pdf")),)))
    assert fields == {"to": ["+19898989898"]}


def test_json_body_sends_false_and_zero_natively() -> None:
    body = send_json_body(
        _request(header_page_numbers=False, max_retries=0, retry_delay_seconds=30)
    )
    assert body["headerPageNumbers"] is False
    assert body["maxRetries"] == 0
    assert body["maxRetries"] is not False
    assert body["retryDelaySeconds"] == 30


def test_json_body_with_files_only_has_no_content_url() -> None:
    pdf = b"%PDF-1.4\n\x00\xff"
    body = send_json_body(
        _request(
            content_urls=(),
            callback_url="https://cb.example.com/fax",
            callback_url_content_type="application/json",
            cover_page_id="01JA0000000000000000000000",
            cover_page_data={"to_name": "Dr. Smith"},
        ),
        files=[
            ("scan one.pdf", pdf, "application/pdf"),
            ("photo.JPEG", b"\xff\xd8\xff", "application/octet-stream"),
        ],
    )
    assert body == {
        "to": "+19898989898",
        "files": [
            {"file": "JVBERi0xLjQKAP8=", "fileType": "PDF"},
            {"file": "/9j/", "fileType": "JPG"},
        ],
        "callbackUrl": "https://cb.example.com/fax",
        "callbackUrlContentType": "application/json",
        "coverPageId": "01JA0000000000000000000000",
        "coverPageData": {"to_name": "Dr. Smith"},
    }


def test_json_body_with_files_and_urls_sends_both() -> None:
    body = send_json_body(_request(), files=[("a.tif", b"II*\x00", "image/tiff")])
    assert body["contentUrl"] == ["https://x.example/"]
    assert body["files"] == [{"file": "SUkqAA==", "fileType": "TIF"}]


@pytest.mark.parametrize(
    ("filename", "media_type", "expected"),
    [
        ("a.pdf", "application/pdf", "PDF"),
        ("a", "application/pdf; charset=binary", "PDF"),
        ("letter.docx", "application/octet-stream", "DOCX"),
        (
            "x",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "DOCX",
        ),
        ("scan.TIFF", "", "TIF"),
        ("scan.tif", "image/tiff", "TIF"),
        ("p.jpg", "image/jpeg", "JPG"),
        ("p.png", "image/png", "PNG"),
        ("notes.txt", "text/plain", "TXT"),
        ("page.htm", "", "HTML"),
        ("page", "text/html", "HTML"),
        ("odd", "application/tif", "TIF"),
    ],
)
def test_json_file_types_follow_the_oas_enum(filename: str, media_type: str, expected: str) -> None:
    assert json_file_type(filename, media_type) == expected


def test_json_file_of_an_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        send_json_body(_request(), files=[("drawing.bmp", b"BM", "image/bmp")])
    assert caught.value.field == "documents"
    assert "“drawing.bmp”" in str(caught.value)


# --- list queries ----------------------------------------------------------------------------


def test_query_time_is_utc_without_fraction() -> None:
    moment = datetime(2021, 10, 1, 2, 30, 15, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert format_query_time(moment) == "2021-10-01T00:30:15Z"
    assert format_query_time(datetime(2021, 10, 30, 23, 59, 59)) == "2021-10-30T23:59:59Z"


def test_list_query_string_with_every_filter() -> None:
    query = FaxQuery(
        direction=Direction.INBOUND,
        status=FaxStatus.COMPLETED,
        to_prefix="+1415",
        from_prefix="+44 20",
        created_after=datetime(2021, 10, 1, tzinfo=UTC),
        created_before=datetime(2021, 10, 30, 23, 59, 59, tzinfo=UTC),
        service_id="01GVRB",
        page_size=25,
    )
    assert list_query_string(query, page=3) == (
        "serviceId=01GVRB&direction=INBOUND&status=COMPLETED&to=%2B1415&from=%2B44%2020"
        "&pageSize=25&page=3"
        "&createTime>=2021-10-01T00:00:00Z&createTime<=2021-10-30T23:59:59Z"
    )


@pytest.mark.parametrize(
    ("created", "sent"),
    [
        ("2026", "createTime=2026"),
        ("2026-03", "createTime=2026-03"),
        ("2026-03-01", "createTime=2026-03-01"),
        ("2026-03-01T14:00:00Z", "createTime=2026-03-01T14:00:00Z"),
    ],
)
def test_list_query_string_with_a_created_period(created: str, sent: str) -> None:
    query = FaxQuery(created=created, page_size=10)
    assert list_query_string(query) == f"{sent}&pageSize=10&page=1"


def test_list_query_string_without_filters() -> None:
    assert list_query_string(FaxQuery()) == "pageSize=100&page=1"


# --- fax_to_wire -----------------------------------------------------------------------------


def test_fax_to_wire_gives_back_what_the_service_sent() -> None:
    sent = wire_fax(errorType="FAX_ERROR", errorCode=3, errorMessage="Busy", futureField={"a": 1})
    assert fax_to_wire(fax_from_wire(sent)) == sent


def test_fax_to_wire_writes_utc_timestamps_with_z_and_leaves_unset_fields_out() -> None:
    sent = wire_fax(createTime="2026-05-04T12:15:00.5+02:00", contentUrl="https://x.test/a.pdf")
    for key in ("headerText", "callbackUrl", "price", "resolution"):
        del sent[key]
    written = fax_to_wire(fax_from_wire(sent))
    assert written["createTime"] == "2026-05-04T10:15:00.500Z"
    assert written["contentUrl"] == ["https://x.test/a.pdf"]
    assert written["from"] == "+14155550100"
    assert not {"headerText", "callbackUrl", "price", "resolution", "from_"} & written.keys()


# --- services and cover pages ----------------------------------------------------------------


def wire_service(**overrides: Any) -> dict[str, Any]:
    service: dict[str, Any] = {
        "id": "01GVRB50KEQFFE1SGMPFRNBG6J",
        "name": "Front desk",
        "incomingWebhookUrl": "https://user:***@hooks.example.com/in",
        "webhookContentType": "application/json",
        "defaultForProject": True,
        "defaultFrom": "+14155550100",
        "numberOfRetries": 2,
        "retryDelaySeconds": 90,
        "imageConversionMethod": "MONOCHROME",
        "coverPageId": "01JA0000000000000000000000",
        "saveOutboundFaxDocuments": False,
        "saveInboundFaxDocuments": True,
        "scanIncomingBarcodes": True,
        "inProgressNotifications": False,
        "projectId": "proj-123",
        "resolution": "SUPERFINE",
        "createdAt": "2024-06-06T14:42:42Z",
        "updatedAt": "2024-06-07T08:00:00.250Z",
    }
    service.update(overrides)
    return service


def test_service_maps_every_field() -> None:
    service = service_from_wire(wire_service())
    assert service == Service(
        id="01GVRB50KEQFFE1SGMPFRNBG6J",
        name="Front desk",
        default_for_project=True,
        default_from="+14155550100",
        incoming_webhook_url="https://user:***@hooks.example.com/in",
        webhook_content_type="application/json",
        number_of_retries=2,
        retry_delay_seconds=90,
        image_conversion_method=ImageConversionMethod.MONOCHROME,
        resolution=Resolution.SUPERFINE,
        cover_page_id="01JA0000000000000000000000",
        save_outbound_fax_documents=False,
        save_inbound_fax_documents=True,
        scan_incoming_barcodes=True,
        in_progress_notifications=False,
        project_id="proj-123",
        created_at=datetime(2024, 6, 6, 14, 42, 42, tzinfo=UTC),
        updated_at=datetime(2024, 6, 7, 8, 0, 0, 250000, tzinfo=UTC),
    )


def test_service_with_only_an_id_takes_the_documented_defaults() -> None:
    service = service_from_wire({"id": "01GV"})
    assert service == Service(id="01GV")
    assert service.save_outbound_fax_documents is True
    assert service.save_inbound_fax_documents is True
    assert service.default_for_project is False
    assert service.number_of_retries is None


def test_service_tolerates_string_booleans_and_numbers_and_keeps_the_unknown() -> None:
    service = service_from_wire(
        wire_service(
            defaultForProject="false",
            numberOfRetries="4",
            resolution="ULTRAFINE",
            emailDomain="fax.example.com",
        )
    )
    assert service.default_for_project is False
    assert service.number_of_retries == 4
    assert service.resolution is not None
    assert service.resolution.value == "ULTRAFINE"
    assert service.extra == {"emailDomain": "fax.example.com"}


def test_services_page_reads_the_services_list() -> None:
    services = services_page_from_wire(
        {
            "services": [wire_service(id="A"), "junk", wire_service(id="B")],
            "page": 1,
            "pageSize": 20,
            "totalItems": 2,
            "totalPages": 1,
        }
    )
    assert [service.id for service in services] == ["A", "B"]
    assert services_page_from_wire({}) == []
    assert services_page_from_wire({"services": "none"}) == []


def test_service_to_wire_gives_back_what_the_service_sent() -> None:
    sent = wire_service(futureField={"a": 1})
    assert service_to_wire(service_from_wire(sent)) == sent


PDF_TEMPLATE = b"%PDF-1.4\n{{to_name}}\n\x00\xff%%EOF"


def wire_cover_page(**overrides: Any) -> dict[str, Any]:
    page: dict[str, Any] = {
        "id": "01JA0000000000000000000000",
        "name": "Acme cover",
        "file": {"fileContent": "JVBERi0xLjQKe3t0b19uYW1lfX0KAP8lJUVPRg==", "fileType": "PDF"},
        "projectId": "proj-123",
        "serviceId": "01GVRB50KEQFFE1SGMPFRNBG6J",
        "createdTime": "2024-06-06T14:42:42Z",
        "updatedTime": "2024-06-06T14:42:42.5+00:00",
    }
    page.update(overrides)
    return page


def test_cover_page_decodes_its_pdf() -> None:
    page = cover_page_from_wire(wire_cover_page())
    assert page == CoverPage(
        id="01JA0000000000000000000000",
        name="Acme cover",
        service_id="01GVRB50KEQFFE1SGMPFRNBG6J",
        project_id="proj-123",
        created_time=datetime(2024, 6, 6, 14, 42, 42, tzinfo=UTC),
        updated_time=datetime(2024, 6, 6, 14, 42, 42, 500000, tzinfo=UTC),
        pdf=PDF_TEMPLATE,
    )
    assert "JVBER" not in repr(page)


def test_cover_page_without_a_file_has_an_empty_pdf() -> None:
    data = wire_cover_page()
    del data["file"]
    page = cover_page_from_wire(data)
    assert page.pdf == b""
    assert page.extra == {}


def test_cover_page_with_unreadable_file_keeps_it_in_extra() -> None:
    page = cover_page_from_wire(wire_cover_page(file={"fileContent": "%%%", "fileType": "PDF"}))
    assert page.pdf == b""
    assert page.extra == {"file": {"fileContent": "%%%", "fileType": "PDF"}}


def test_cover_pages_list() -> None:
    pages = cover_pages_from_wire(
        {"coverPages": [wire_cover_page(id="A"), wire_cover_page(id="B")], "page": 1}
    )
    assert [page.id for page in pages] == ["A", "B"]
    assert cover_pages_from_wire({"coverPages": None}) == []


def test_cover_page_to_wire_round_trips_and_can_leave_the_file_out() -> None:
    sent = wire_cover_page(updatedTime="2024-06-06T14:42:42.500Z")
    page = cover_page_from_wire(sent)
    assert cover_page_to_wire(page) == sent
    without = dict(sent)
    del without["file"]
    assert cover_page_to_wire(page, with_file=False) == without


def test_cover_page_body_encodes_the_template() -> None:
    assert cover_page_body("Acme cover", PDF_TEMPLATE) == {
        "name": "Acme cover",
        "file": {"fileContent": "JVBERi0xLjQKe3t0b19uYW1lfX0KAP8lJUVPRg==", "fileType": "PDF"},
    }
