"""Error answers in the shape the Sinch Fax API uses, and the exception handlers raise to send one.

Every error body is the OAS's `Error` object, `{"code", "status", "message", "details"}` (details
only with field violations). The service's error page also shows bodies with an `error` text; the
sandbox leaves it out, because the .NET SDK reads a top-level `error` as an object and fails on a
text there before it can report the error. A 401 is the exception: the service answers bad
credentials with an empty body, and so does the sandbox; an expired bearer token says so only in
its `WWW-Authenticate` header.
`ApiJSONResponse` is the JSON answer every route uses: text that cannot be written as UTF-8 (a lone
surrogate, left by an older sandbox in its database) is written as U+FFFD instead of failing the
answer; `scrub` does the same for other output (CSV, webhooks). Nothing here decides *when* a
request is wrong; the routes and parsers do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.responses import JSONResponse, Response

from faxdesk.core.errors import FieldViolation

# HTTP status -> the Google RPC status the service's error bodies name.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "FAILED_PRECONDITION",
    413: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def scrub(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, so it can be written as UTF-8.

    A surrogate pair that arrived as two code points is joined into the character it encodes.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def scrub_json(value: Any) -> Any:
    """A JSON value (dicts, lists, text...) with its text passed through `scrub`."""
    text = json.dumps(value, ensure_ascii=False)
    cleaned = scrub(text)
    return value if cleaned is text else json.loads(cleaned)


class ApiJSONResponse(JSONResponse):
    """A JSON answer that never fails on text UTF-8 cannot hold (see `scrub`)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return super().render(scrub_json(content))


class ApiProblemError(Exception):
    """Raised anywhere in a request to answer with an error body; see `response()`."""

    def __init__(
        self,
        status_code: int,
        message: str,
        violations: Sequence[FieldViolation] = (),
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.violations = tuple(violations)

    def response(self) -> Response:
        return error_response(self.status_code, self.message, self.violations)


def error_body(
    status_code: int, message: str, violations: Sequence[FieldViolation] = ()
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": status_code,
        "status": _STATUS_NAMES.get(status_code, "UNKNOWN"),
        "message": message,
    }
    if violations:
        body["details"] = [
            {
                "type": "BadRequest",
                "fieldViolations": [
                    {"field": v.field, "description": v.description} for v in violations
                ],
            }
        ]
    return body


def error_response(
    status_code: int,
    message: str,
    violations: Sequence[FieldViolation] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    return ApiJSONResponse(
        error_body(status_code, message, violations), status_code=status_code, headers=headers
    )


def unauthorized() -> Response:
    """The service's answer to a wrong key, secret or project: 401 and nothing else."""
    return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="Sinch Fax"'})


def expired_token() -> Response:
    """A bearer token that was valid once: 401, empty, with the header clients refresh on."""
    return Response(
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
    )
