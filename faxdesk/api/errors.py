"""The one place where HTTP answers and httpx failures become `faxdesk.core.errors`.

`error_from_response` turns a non-2xx response into the core error for its status, reading the
service's message and field violations best-effort from either documented body shape;
`transport_errors` turns httpx's connection and timeout exceptions into `Offline` (nothing
arrived), `ConnectionLost` and `RequestTimeout` (something may have arrived). Messages are plain
language for the person at the desk. They must never carry credentials: nothing here reads
request headers, bodies or URL userinfo, and a message names a service only by host and port.
"""

from __future__ import annotations

import json
import math
import re
import ssl
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

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

#: Longest piece of a service message quoted back to the user; error pages can be huge.
_MAX_SERVICE_MESSAGE = 300

_TOKEN_PATH_SUFFIX = "/oauth2/token"

#: What a 404 was about, by the shape of the path below `/v3/projects/{projectId}`: a missing
#: item names the item; a missing collection means the project (or the service) is unknown.
_MISSING_BY_PATH = (
    (re.compile(r"/services/[^/]+/coverPages/[^/]+$"), "cover page"),
    (re.compile(r"/services/[^/]+(/coverPages)?$"), "service"),
    (re.compile(r"/faxes/[^/]+/file(\.[^/]*)?$"), "fax or file"),
    (re.compile(r"/faxes/[^/]+$"), "fax"),
    (re.compile(r"/v3/projects/[^/]+(/faxes|/services)?$"), "project"),
)


def error_from_response(response: httpx.Response) -> ApiError:
    """Map a non-2xx answer from the fax service to the matching core error.

    The response body must already be read (`await response.aread()` for streamed responses).
    A 401 carries no body, other bodies may be empty, HTML or either JSON error shape.
    """
    status = response.status_code
    body = _json_body(response)
    service_message = _service_message(body)

    if status == 401:
        return AuthError(
            "The fax service did not accept the key id, key secret or project id.",
            status_code=status,
        )
    if status == 403:
        # Sinch documents no 403. Read as a key that is valid but not allowed on this project:
        # the person at the desk fixes that where they fix a wrong key.
        return AuthError(
            _with_detail(
                "The fax service refused this access key for the project", service_message
            ),
            status_code=status,
        )
    if status == 402:
        return PaymentRequired(
            _with_detail(
                "The Sinch account has no balance left; add funds to send faxes", service_message
            ),
            status_code=status,
        )
    if status == 404:
        if response.content and not _is_error_body(body):
            # Sinch answers a 404 with its JSON error object; a web page (or any other body)
            # comes from a server that is not the fax API at all: the address is wrong, not
            # the project.
            return NotFound(
                f"The server at {_origin(response, 'that address')} does not look "
                "like the Sinch Fax API (it answered 404 with no Sinch error); check the fax "
                "service address.",
                status_code=status,
            )
        # The service names a missing project in its message, whatever the path asked for.
        thing = "project" if _says_project(service_message) else _missing_thing(response)
        sentence = f"The fax service has no such {thing}"
        if thing == "project":
            sentence += " (check the project id)"
        return NotFound(_with_detail(sentence, service_message), status_code=status)
    if status == 409:
        return InvalidRequest(
            _with_detail(
                "The fax service refused the request as it conflicts with the current state",
                service_message,
            ),
            status_code=status,
            violations=_field_violations(body),
        )
    if status in (400, 422):
        violations = _field_violations(body)
        message = _with_detail("The fax service rejected the request", service_message)
        # Violations the service's message already states are not repeated.
        extra = [v for v in violations if not v.description or v.description not in message]
        if extra:
            listed = "; ".join(f"{v.field}: {v.description}" for v in extra)
            message = f"{message} ({listed})"
        return InvalidRequest(message, status_code=status, violations=violations)
    if status == 413:
        # Sinch documents no 413, but a proxy or the service's edge answers it for a body over
        # its size limit: the documents must shrink (fewer pages, a lower resolution scan).
        return InvalidRequest(
            _with_detail(
                "The fax service refused the request as too large; send fewer or smaller documents",
                service_message,
            ),
            status_code=status,
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = (
            f"try again in {math.ceil(retry_after)} seconds"
            if retry_after is not None
            else "try again shortly"
        )
        return RateLimited(
            f"The fax service is receiving too many requests; {wait}.",
            status_code=status,
            retry_after=retry_after,
        )
    if 500 <= status <= 599:
        return ServerError(
            _with_detail(f"The fax service failed on its side (HTTP {status})", service_message),
            status_code=status,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    return ApiError(
        _with_detail(f"The fax service gave an unexpected answer (HTTP {status})", service_message),
        status_code=status,
    )


def token_error_from_response(response: httpx.Response) -> ApiError:
    """Map a failed OAuth2 token request; every message names the sign-in service.

    A refused key is an `AuthError`; a 404 means the auth URL points somewhere that issues no
    tokens; waits and server failures keep their classes so retries treat them as usual.
    """
    status = response.status_code
    if status in (400, 401, 403):
        return AuthError(
            "Sinch did not accept the key id or key secret when asked for an access token.",
            status_code=status,
        )
    where = _origin(response)
    if status in (404, 405):
        return ApiError(
            f"The sign-in service at {where} issues no tokens (HTTP {status}); check the auth "
            "URL: tokens are asked for at AUTH-URL/oauth2/token.",
            status_code=status,
        )
    mapped = error_from_response(response)
    if isinstance(mapped, RateLimited):
        return RateLimited(
            str(mapped).replace("The fax service", f"The sign-in service at {where}", 1),
            status_code=status,
            retry_after=mapped.retry_after,
        )
    if isinstance(mapped, ServerError):
        return ServerError(
            f"The sign-in service at {where} failed on its side (HTTP {status}).",
            status_code=status,
            retry_after=mapped.retry_after,
        )
    return ApiError(
        f"The sign-in service at {where} gave an unexpected answer (HTTP {status}).",
        status_code=status,
    )


def unreadable_answer(response: httpx.Response) -> ApiError:
    """The error for a 2xx answer whose body is not the JSON the client expected."""
    return ApiError(
        "The fax service sent an answer FaxDesk could not read.",
        status_code=response.status_code,
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a Retry-After header: a number or an HTTP date.

    A date in the past means "now" (0); anything unreadable means the service did not say.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)


@contextmanager
def transport_errors() -> Iterator[None]:
    """Turn httpx's transport exceptions raised inside the block into `Offline` errors.

    Timeouts (including connect timeouts) become `RequestTimeout`: for a send the fax may or may
    not exist. Everything else that kept an answer from arriving becomes `Offline`.
    """
    try:
        yield
    except httpx.ConnectTimeout as exc:
        # Nothing was sent: the connection never opened, so even a send is known not to exist.
        raise Offline(
            f"{_service_name(exc)} could not be reached{_through_proxy(exc)} "
            "(connecting timed out)."
        ) from exc
    except httpx.TimeoutException as exc:
        raise RequestTimeout(f"{_service_name(exc)} did not answer in time.") from exc
    except httpx.RemoteProtocolError as exc:
        raise ConnectionLost(f"{_service_name(exc)} closed the connection unexpectedly.") from exc
    except (httpx.ReadError, httpx.WriteError) as exc:
        # The request had started to go out: for a send, it may have arrived whole.
        raise ConnectionLost(f"{_service_name(exc)} broke off the connection.") from exc
    except httpx.TransportError as exc:
        untrusted = _certificate_problem(exc)
        if untrusted is not None:
            raise CertificateError(
                f"{_service_name(exc)} presented a certificate this computer does not trust "
                f"({untrusted}). If your office inspects secure connections, install its "
                "certificate authority in the system's certificate store."
            ) from exc
        raise Offline(f"{_service_name(exc)} could not be reached{_through_proxy(exc)}.") from exc
    except (httpx.DecodingError, httpx.TooManyRedirects) as exc:
        raise ApiError(f"{_service_name(exc)} sent an answer FaxDesk could not read.") from exc


def _service_name(exc: httpx.RequestError) -> str:
    # Host and port only: the URL may carry userinfo and the request carries credentials.
    try:
        url = exc.request.url
    except RuntimeError:  # httpx raises this when the exception has no request attached
        return "The fax service"
    where = _host_port(url)
    if url.path.endswith(_TOKEN_PATH_SUFFIX):
        return f"The Sinch sign-in service at {where}"
    return f"The fax service at {where}"


def _host_port(url: httpx.URL) -> str:
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port}" if url.port is not None else host


def _origin(response: httpx.Response, unknown: str = "the auth URL") -> str:
    try:
        return _host_port(response.request.url)
    except RuntimeError:  # a response built without a request
        return unknown


#: The keys of Sinch's error bodies, of either documented shape.
_ERROR_KEYS = frozenset(("code", "status", "error", "message", "details"))


def _is_error_body(body: Any) -> bool:
    """Whether `body` is a JSON error object as the fax service sends, of either shape."""
    return isinstance(body, Mapping) and not _ERROR_KEYS.isdisjoint(body)


def _through_proxy(exc: httpx.RequestError) -> str:
    """Words naming the proxy ("through the proxy at HOST:PORT") the request went through.

    Empty when the environment routes the request to the service directly.

    httpx reads the same variables (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY) when the
    client trusts the environment, which FaxDesk's does; naming the proxy tells the person at
    the desk which of the two machines is down.
    """
    try:
        url = exc.request.url
    except RuntimeError:
        return ""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(url.host):
        return ""
    try:
        where = _host_port(httpx.URL(proxy if "://" in proxy else f"http://{proxy}"))
    except httpx.InvalidURL:
        return " through the configured proxy"
    return f" through the proxy at {where}"


def _certificate_problem(exc: BaseException) -> str | None:
    """The reason a TLS certificate was refused, if that is what stopped the connection."""
    seen: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore, which wraps the ssl error
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "verification failed"
        seen = seen.__cause__ or seen.__context__
    return None


def _missing_thing(response: httpx.Response) -> str:
    """What a 404 was about, read from the request path: a cover page, a service, a fax or
    file, or (for a whole collection) the project."""
    try:
        path = response.request.url.path
    except RuntimeError:  # a response built without a request
        return "fax or file"
    for pattern, thing in _MISSING_BY_PATH:
        if pattern.search(path):
            return thing
    return "fax or file"


def _says_project(message: str) -> bool:
    return "project" in message.lower()


def _json_body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _service_message(body: Any) -> str:
    """The most specific human text in an error body: `message`, then `error`, then `status`."""
    if not isinstance(body, Mapping):
        return ""
    for key in ("message", "error", "status"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if len(text) > _MAX_SERVICE_MESSAGE:
                text = text[: _MAX_SERVICE_MESSAGE - 1] + "…"
            return text
    return ""


def _field_violations(body: Any) -> tuple[FieldViolation, ...]:
    """Field violations from `details.fieldViolations`, `details[].fieldViolations` or top level."""
    if not isinstance(body, Mapping):
        return ()
    sources: list[Any] = [body.get("fieldViolations")]
    details = body.get("details")
    if isinstance(details, Mapping):
        sources.append(details.get("fieldViolations"))
    elif isinstance(details, Sequence) and not isinstance(details, str):
        sources.extend(d.get("fieldViolations") for d in details if isinstance(d, Mapping))
    violations: list[FieldViolation] = []
    for source in sources:
        if not isinstance(source, Sequence) or isinstance(source, str):
            continue
        for item in source:
            if isinstance(item, Mapping):
                violations.append(
                    FieldViolation(
                        field=str(item.get("field") or ""),
                        description=str(item.get("description") or ""),
                    )
                )
    return tuple(violations)


def _with_detail(sentence: str, detail: str) -> str:
    return f"{sentence}: {detail}" if detail else f"{sentence}."
