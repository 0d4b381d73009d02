"""HTTP answers and httpx failures become the core error classes, with plain messages."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

import httpx
import pytest

from faxdesk.api.errors import (
    error_from_response,
    parse_retry_after,
    token_error_from_response,
    transport_errors,
)
from faxdesk.core.errors import (
    ApiError,
    AuthError,
    CertificateError,
    ConnectionLost,
    FieldViolation,
    InvalidRequest,
    NotFound,
    Offline,
    PaymentRequired,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from tests.api.apitest_support import json_response

REQUEST = httpx.Request("GET", "http://127.0.0.1:54321/v3/projects/p/faxes")


def _answer(response: httpx.Response) -> httpx.Response:
    response.request = REQUEST
    return response


def test_401_with_empty_body_is_auth_error() -> None:
    error = error_from_response(_answer(httpx.Response(401)))
    assert type(error) is AuthError
    assert error.status_code == 401
    assert str(error) == "The fax service did not accept the key id, key secret or project id."


def test_402_with_string_code_is_payment_required() -> None:
    body = {
        "code": "402",
        "error": "Payment required",
        "message": "You have reached 0 balance on your account please make a payment.",
    }
    error = error_from_response(_answer(json_response(402, body)))
    assert type(error) is PaymentRequired
    assert error.status_code == 402
    assert str(error) == (
        "The Sinch account has no balance left; add funds to send faxes: "
        "You have reached 0 balance on your account please make a payment."
    )


def test_413_is_a_request_too_large_to_send_again_as_it_is() -> None:
    error = error_from_response(_answer(httpx.Response(413, text="<html>Too large</html>")))
    assert type(error) is InvalidRequest
    assert error.status_code == 413
    assert str(error) == (
        "The fax service refused the request as too large; send fewer or smaller documents."
    )


def test_404_is_not_found_and_falls_back_to_error_text() -> None:
    error = error_from_response(_answer(json_response(404, {"code": 404, "error": "Not Found"})))
    assert type(error) is NotFound
    assert str(error) == ("The fax service has no such project (check the project id): Not Found")


def test_422_with_details_object_lists_field_violations() -> None:
    body = {
        "code": "422",
        "error": "Unprocessable Entity",
        "message": "Invalid parameters",
        "details": {
            "fieldViolations": [
                {"field": "to", "description": "The (+15551) is not a valid phone number"}
            ]
        },
    }
    error = error_from_response(_answer(json_response(422, body)))
    assert isinstance(error, InvalidRequest)
    assert error.status_code == 422
    assert error.violations == (FieldViolation("to", "The (+15551) is not a valid phone number"),)
    assert str(error) == (
        "The fax service rejected the request: Invalid parameters "
        "(to: The (+15551) is not a valid phone number)"
    )


def test_400_with_google_rpc_details_list() -> None:
    body = {
        "code": 400,
        "status": "INVALID_ARGUMENT",
        "message": "Bad request.",
        "details": [
            {"type": "ErrorInfo", "reason": "x"},
            {
                "type": "BadRequest",
                "fieldViolations": [
                    {"field": "to", "description": "Phone number was not in the expected format."},
                    {"field": "headerText", "description": "Too long."},
                ],
            },
        ],
    }
    error = error_from_response(_answer(json_response(400, body)))
    assert isinstance(error, InvalidRequest)
    assert error.status_code == 400
    assert error.violations == (
        FieldViolation("to", "Phone number was not in the expected format."),
        FieldViolation("headerText", "Too long."),
    )
    assert str(error).startswith("The fax service rejected the request: Bad request. (to: ")


def test_top_level_field_violations_and_status_text() -> None:
    body = {"status": "INVALID_ARGUMENT", "fieldViolations": [{"field": "maxRetries"}]}
    error = error_from_response(_answer(json_response(400, body)))
    assert isinstance(error, InvalidRequest)
    assert error.violations == (FieldViolation("maxRetries", ""),)
    assert str(error) == "The fax service rejected the request: INVALID_ARGUMENT (maxRetries: )"


def test_400_with_html_body_has_no_violations() -> None:
    response = httpx.Response(400, content=b"<html><body>Bad Request</body></html>")
    error = error_from_response(_answer(response))
    assert isinstance(error, InvalidRequest)
    assert error.violations == ()
    assert str(error) == "The fax service rejected the request."


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_server_error(status: int) -> None:
    error = error_from_response(_answer(httpx.Response(status, content=b"")))
    assert type(error) is ServerError
    assert error.status_code == status
    assert str(error) == f"The fax service failed on its side (HTTP {status})."


def test_500_with_message_keeps_it() -> None:
    error = error_from_response(_answer(json_response(500, {"code": 500, "message": "Boom"})))
    assert type(error) is ServerError
    assert str(error) == "The fax service failed on its side (HTTP 500): Boom"


def test_403_is_auth_error_for_the_project() -> None:
    response = json_response(403, {"code": 403, "status": "PERMISSION_DENIED"})
    error = error_from_response(_answer(response))
    assert type(error) is AuthError
    assert error.status_code == 403
    assert str(error) == (
        "The fax service refused this access key for the project: PERMISSION_DENIED"
    )


def test_409_is_invalid_request_in_the_current_state() -> None:
    body = {"code": 409, "message": "Fax is still in progress"}
    error = error_from_response(_answer(json_response(409, body)))
    assert type(error) is InvalidRequest
    assert error.status_code == 409
    assert error.violations == ()
    assert str(error) == (
        "The fax service refused the request as it conflicts with the current state: "
        "Fax is still in progress"
    )


@pytest.mark.parametrize(
    ("path", "thing"),
    [
        ("/v3/projects/p/faxes/01HX/file", "fax or file"),
        ("/v3/projects/p/services/01SV", "service"),
        ("/v3/projects/p/faxes/01HX/file.pdf", "fax or file"),
        ("/v3/projects/p/faxes/01HX", "fax"),
        # The cover pages of a service that does not exist: the service is what is missing.
        ("/v3/projects/p/services/NOSUCH/coverPages", "service"),
        ("/v3/projects/p/faxes", "project (check the project id)"),
        ("/v3/projects/p/services", "project (check the project id)"),
    ],
)
def test_404_names_what_is_missing(path: str, thing: str) -> None:
    response = httpx.Response(404)
    response.request = httpx.Request("GET", f"http://127.0.0.1:54321{path}")
    error = error_from_response(response)
    assert type(error) is NotFound
    assert str(error) == f"The fax service has no such {thing}."


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, html="<html><body><h1>Error response</h1></body></html>"),
        httpx.Response(404, text="File not found"),
        json_response(404, {"detail": "Not Found"}),
    ],
)
def test_a_404_that_is_no_sinch_error_blames_the_address_not_the_project(
    answer: httpx.Response,
) -> None:
    answer.request = httpx.Request("GET", "http://127.0.0.1:18099/v3/projects/p/faxes")
    error = error_from_response(answer)
    assert type(error) is NotFound
    assert str(error) == (
        "The server at 127.0.0.1:18099 does not look like the Sinch Fax API (it answered 404 "
        "with no Sinch error); check the fax service address."
    )


def test_404_without_a_request_still_reads_well() -> None:
    assert str(error_from_response(httpx.Response(404))) == (
        "The fax service has no such fax or file."
    )


def test_503_keeps_the_retry_after_it_asked_for() -> None:
    error = error_from_response(_answer(httpx.Response(503, headers={"Retry-After": "12"})))
    assert type(error) is ServerError
    assert error.retry_after == 12.0
    plain = error_from_response(_answer(httpx.Response(502)))
    assert isinstance(plain, ServerError)
    assert plain.retry_after is None


@pytest.mark.parametrize("status", [418, 302, 304])
def test_other_statuses_are_plain_api_errors(status: int) -> None:
    error = error_from_response(_answer(httpx.Response(status, content=b"nope")))
    assert type(error) is ApiError
    assert error.status_code == status
    assert str(error) == f"The fax service gave an unexpected answer (HTTP {status})."


def test_long_service_message_is_shortened() -> None:
    error = error_from_response(_answer(json_response(404, {"message": "x" * 1000})))
    assert len(str(error)) < 400
    assert str(error).endswith("x…")


def test_429_with_seconds() -> None:
    error = error_from_response(_answer(httpx.Response(429, headers={"Retry-After": "120"})))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 120.0
    assert error.status_code == 429
    assert str(error) == "The fax service is receiving too many requests; try again in 120 seconds."


def test_429_without_retry_after() -> None:
    error = error_from_response(_answer(json_response(429, {"message": "Rate limit exceeded"})))
    assert isinstance(error, RateLimited)
    assert error.retry_after is None
    assert str(error) == "The fax service is receiving too many requests; try again shortly."


def test_429_with_http_date() -> None:
    error = error_from_response(
        _answer(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}))
    )
    assert isinstance(error, RateLimited)
    assert error.retry_after is not None
    assert error.retry_after > 3600 * 24 * 365


def test_retry_after_http_date_relative_to_now() -> None:
    now = datetime(2015, 10, 21, 7, 26, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:20:00 GMT", now=now) == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("1.5", 1.5),
        (" 30 ", 30.0),
        ("-5", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_numbers(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_token_endpoint_refusal_is_auth_error() -> None:
    response = json_response(401, {"error": "invalid_client"})
    response.request = httpx.Request("POST", "https://auth.sinch.com/oauth2/token")
    error = token_error_from_response(response)
    assert type(error) is AuthError
    assert str(error) == (
        "Sinch did not accept the key id or key secret when asked for an access token."
    )


def test_token_endpoint_server_error_names_the_sign_in_service() -> None:
    response = httpx.Response(503, headers={"Retry-After": "4"})
    response.request = httpx.Request("POST", "https://auth.sinch.com/oauth2/token")
    error = token_error_from_response(response)
    assert type(error) is ServerError
    assert error.retry_after == 4.0
    assert str(error) == "The sign-in service at auth.sinch.com failed on its side (HTTP 503)."


def test_token_endpoint_404_says_to_check_the_auth_url() -> None:
    response = json_response(404, {"message": "Not Found"})
    response.request = httpx.Request("POST", "http://127.0.0.1:18080/v3/oauth2/token")
    error = token_error_from_response(response)
    assert type(error) is ApiError
    assert str(error) == (
        "The sign-in service at 127.0.0.1:18080 issues no tokens (HTTP 404); check the auth "
        "URL: tokens are asked for at AUTH-URL/oauth2/token."
    )


def test_token_endpoint_rate_limit_names_the_sign_in_service() -> None:
    response = httpx.Response(429, headers={"Retry-After": "2"})
    response.request = httpx.Request("POST", "https://auth.sinch.com/oauth2/token")
    error = token_error_from_response(response)
    assert type(error) is RateLimited
    assert error.retry_after == 2.0
    assert str(error) == (
        "The sign-in service at auth.sinch.com is receiving too many requests; try again in "
        "2 seconds."
    )


def test_connect_error_becomes_offline_naming_host_and_port(monkeypatch) -> None:
    for name in ("HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(Offline) as caught, transport_errors():
        raise httpx.ConnectError("[Errno 111] Connection refused", request=REQUEST)
    assert type(caught.value) is Offline
    assert str(caught.value) == "The fax service at 127.0.0.1:54321 could not be reached."
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize("exc_type", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout])
def test_timeouts_become_request_timeout(exc_type: type[httpx.TimeoutException]) -> None:
    with pytest.raises(RequestTimeout) as caught, transport_errors():
        raise exc_type("timed out", request=REQUEST)
    assert str(caught.value) == "The fax service at 127.0.0.1:54321 did not answer in time."


def test_a_connection_that_never_opened_is_offline_not_a_timeout(monkeypatch) -> None:
    # Nothing went out, so a send that fails this way certainly created no fax.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(Offline) as caught, transport_errors():
        raise httpx.ConnectTimeout("timed out", request=REQUEST)
    assert type(caught.value) is Offline
    assert str(caught.value) == (
        "The fax service at 127.0.0.1:54321 could not be reached (connecting timed out)."
    )


def _untrusted_certificate() -> httpx.ConnectError:
    """What httpx raises for a self-signed certificate: the ssl error two causes down."""
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "self-signed certificate"
    wrapped = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]", request=REQUEST)
    try:
        try:
            raise cause
        except ssl.SSLError as exc:
            raise ConnectionError("connect failed") from exc
    except ConnectionError as middle:
        wrapped.__cause__ = middle
    return wrapped


def test_an_untrusted_certificate_is_named_as_such() -> None:
    with pytest.raises(CertificateError) as caught, transport_errors():
        raise _untrusted_certificate()
    assert str(caught.value) == (
        "The fax service at 127.0.0.1:54321 presented a certificate this computer does not "
        "trust (self-signed certificate). If your office inspects secure connections, install "
        "its certificate authority in the system's certificate store."
    )


def test_an_unreachable_proxy_is_named(monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://user:pw@proxy.office.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(Offline) as caught, transport_errors():
        raise httpx.ConnectError("[Errno 111] Connection refused", request=REQUEST)
    assert str(caught.value) == (
        "The fax service at 127.0.0.1:54321 could not be reached through the proxy at "
        "proxy.office.test:3128."
    )
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (httpx.RemoteProtocolError, "closed the connection unexpectedly."),
        (httpx.ReadError, "broke off the connection."),
        (httpx.WriteError, "broke off the connection."),
    ],
)
def test_a_connection_lost_after_the_request_began_is_connection_lost(
    failure: type[httpx.TransportError], words: str
) -> None:
    # Unlike a refused connection, the request may have arrived: a send may have created a fax.
    with pytest.raises(ConnectionLost) as caught, transport_errors():
        raise failure("Server disconnected", request=REQUEST)
    assert str(caught.value) == f"The fax service at 127.0.0.1:54321 {words}"
    assert isinstance(caught.value, Offline)


def test_a_refused_connection_is_offline_but_not_connection_lost(monkeypatch) -> None:
    for name in ("HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(Offline) as caught, transport_errors():
        raise httpx.ConnectError("[Errno 111] Connection refused", request=REQUEST)
    assert not isinstance(caught.value, ConnectionLost)


def test_a_404_whose_message_names_the_project_says_project() -> None:
    response = json_response(404, {"message": "No such project"})
    response.request = httpx.Request("GET", "http://127.0.0.1:54321/v3/projects/p/faxes/01HX")
    assert str(error_from_response(response)) == (
        "The fax service has no such project (check the project id): No such project"
    )


def test_a_violation_the_message_already_states_is_not_repeated() -> None:
    body = {
        "message": "The service has no cover page X.",
        "details": {
            "fieldViolations": [
                {"field": "coverPageId", "description": "The service has no cover page X."}
            ]
        },
    }
    error = error_from_response(_answer(json_response(422, body)))
    assert str(error) == "The fax service rejected the request: The service has no cover page X."
    assert error.violations == (FieldViolation("coverPageId", "The service has no cover page X."),)


def test_default_port_and_token_host_are_named_plainly() -> None:
    token_request = httpx.Request("POST", "https://user:pw@auth.sinch.com/oauth2/token")
    with pytest.raises(Offline) as caught, transport_errors():
        raise httpx.ConnectError("Name or service not known", request=token_request)
    assert str(caught.value) == "The Sinch sign-in service at auth.sinch.com could not be reached."
    assert "pw" not in str(caught.value)


def test_exception_without_request_still_reads_well() -> None:
    with pytest.raises(Offline) as caught, transport_errors():
        raise httpx.ConnectError("refused")
    assert str(caught.value) == "The fax service could not be reached."


def test_non_transport_exceptions_pass_through() -> None:
    with pytest.raises(KeyError), transport_errors():
        raise KeyError("x")
