"""`faxdesk sandbox inject`: have a running sandbox receive faxes, through its control endpoint.

Reads the document (if one is given), sends one `POST /sandbox/inbound` with the sandbox's key,
and prints the ids of the faxes it created. Options are checked before anything is sent; bad
input exits 2, a sandbox that cannot be reached or refuses exits 1, each with one line saying
why. It is a short-lived command-line client (blocking httpx), never used by the server itself.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import phonenumbers

from faxdesk.core import phone
from faxdesk.core.errors import ValidationError
from faxdesk.sandbox.config import DEFAULT_FROM_NUMBER, SandboxConfig
from faxdesk.sandbox.inbound import MAX_COUNT, MAX_SPREAD_DAYS, arrival_moment, history_problem
from faxdesk.sandbox.server import KEY_SECRET_ENV

DEFAULT_URL = f"http://127.0.0.1:{SandboxConfig().port}"
#: What a host name or address can hold (httpx percent-encodes anything else in it).
_HOST_RE = re.compile(r"[A-Za-z0-9._:-]+")
#: Numbers typed without a + are read as numbers of this country, the sandbox's own.
DEFAULT_REGION = "US"
#: Injecting thousands of faxes converts the document once, but stores every fax: allow time.
TIMEOUT_SECONDS = 120.0


def _days(text: str) -> float:
    """An argparse type: a finite number of days, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not math.isfinite(value) or not 0 <= value <= MAX_SPREAD_DAYS:
        raise argparse.ArgumentTypeError(f"the days must be from 0 to {MAX_SPREAD_DAYS}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of `inject` to its parser (dests are prefixed, the parent has its own)."""
    defaults = SandboxConfig()
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help="the document received (PDF, image, text, HTML); default: a generated sample page",
    )
    parser.add_argument(
        "--url",
        dest="inject_url",
        metavar="URL",
        default=DEFAULT_URL,
        help=f"the sandbox's address, as its banner prints it (default {DEFAULT_URL})",
    )
    parser.add_argument(
        "--key-id",
        dest="inject_key_id",
        metavar="ID",
        default=defaults.key_id,
        help=f"the sandbox's key id (default {defaults.key_id!r})",
    )
    parser.add_argument(
        "--key-secret",
        dest="inject_key_secret",
        metavar="SECRET",
        default=None,
        help=f"the sandbox's key secret (default: ${KEY_SECRET_ENV}, else {defaults.key_secret!r})",
    )
    parser.add_argument(
        "--to",
        dest="inject_to",
        metavar="NUMBER",
        help="the project's number it arrives on: the sandbox's own number, "
        f"{DEFAULT_FROM_NUMBER}, or a service's defaultFrom (default: that of --service-id, "
        "else the default service's)",
    )
    parser.add_argument(
        "--from",
        dest="inject_from",
        metavar="NUMBER",
        help="the sender's number (default: a fictional one)",
    )
    parser.add_argument(
        "--service-id", dest="inject_service_id", metavar="ID", help="the receiving service"
    )
    parser.add_argument(
        "--count",
        dest="inject_count",
        metavar="N",
        type=int,
        default=1,
        help="how many faxes (default 1)",
    )
    parser.add_argument(
        "--created-at",
        dest="inject_created_at",
        metavar="TIME",
        help="when the newest arrived, 1970 or later: a day (2026-05-04, meaning its midnight "
        "UTC) or a timestamp (2026-05-04T10:30:00Z; UTC unless it names an offset) "
        "(default: now)",
    )
    parser.add_argument(
        "--spread-days",
        dest="inject_spread_days",
        type=_days,
        default=0.0,
        metavar="D",
        help="spread the faxes evenly over D days before --created-at (default 0)",
    )


def main(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run `inject` with parsed options; return the exit code (output to stdout and stderr)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        url = _control_url(args.inject_url)
        body = _request_body(args)
    except ValueError as exc:
        err.write(f"faxdesk sandbox inject: {exc}\n")
        return 2
    secret = args.inject_key_secret or os.environ.get(KEY_SECRET_ENV) or SandboxConfig().key_secret
    try:
        response = httpx.post(
            url,
            json=body,
            auth=httpx.BasicAuth(args.inject_key_id, secret),
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        err.write(
            f"faxdesk sandbox inject: the sandbox at {args.inject_url} cannot be reached "
            f"({exc.__class__.__name__}). Is `faxdesk sandbox` running there?\n"
        )
        return 1
    if response.status_code == 401:
        err.write("faxdesk sandbox inject: the sandbox refused the key id or secret.\n")
        return 1
    if response.status_code != 200:
        err.write(f"faxdesk sandbox inject: {_problem(response, args.file)}\n")
        return 2 if response.status_code in (400, 422) else 1
    faxes = response.json()["faxes"]
    out.write(
        f"{len(faxes)} inbound fax{'es' if len(faxes) != 1 else ''} received on {faxes[0]['to']}:\n"
    )
    for fax in faxes:
        out.write(f"{fax['id']}  {fax['createTime']}  from {fax['from']}\n")
    return 0


def _request_body(args: argparse.Namespace) -> dict[str, Any]:
    if not 1 <= args.inject_count <= MAX_COUNT:
        raise ValueError(f"--count must be from 1 to {MAX_COUNT}.")
    body: dict[str, Any] = {"count": args.inject_count, "spreadDays": args.inject_spread_days}
    if args.inject_created_at:
        try:
            moment = arrival_moment(args.inject_created_at, datetime.now(UTC))
        except ValueError as exc:
            raise ValueError(f"--created-at {exc}") from None
        body["createdAt"] = moment.isoformat().replace("+00:00", "Z")
    else:
        # The sandbox's clock decides "now"; this one only checks the history fits after 1970.
        moment = datetime.now(UTC)
    problem = history_problem(moment, args.inject_spread_days)
    if problem:
        raise ValueError(f"--spread-days {problem}")
    for key, option, typed in (
        ("to", "--to", args.inject_to),
        ("from", "--from", args.inject_from),
    ):
        if typed:
            body[key] = typed_number(option, typed)
    if args.inject_service_id:
        body["serviceId"] = args.inject_service_id
    path: Path | None = args.file
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"{path} cannot be read ({exc.strerror or exc}).") from None
        if not data:
            raise ValueError(f"{path} is empty.")
        body["file"] = base64.b64encode(data).decode("ascii")
        # The name's suffix tells the sandbox what kind of document it is.
        body["fileName"] = path.name
    return body


def typed_number(option: str, text: str) -> str:
    """A number as people type it (`+1 415 555 0100`, `(415) 555-0100`) in E.164.

    Like `faxdesk send`, a number in full international form goes as typed when phonenumbers
    does not know its range; so does a US number of possible length, since the sandbox's own
    numbers are in the fictional 555-01xx range. ValueError names `option` and the number.
    """
    try:
        return phone.to_e164(text, DEFAULT_REGION)
    except ValidationError as exc:
        typed = phone.international_e164(text) or _possible_national(text)
        if typed is not None:
            return typed
        raise ValueError(f"{option}: {exc}") from None


def _possible_national(text: str) -> str | None:
    raw = text.strip()
    if not raw or any(not (ch.isdigit() or ch in " .-()/") for ch in raw):
        return None
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _control_url(text: str) -> str:
    """The control endpoint's URL on the sandbox at `text`; ValueError when `text` is no
    http(s) address."""
    try:
        url = httpx.URL(text.strip())
    except httpx.InvalidURL:
        url = None
    host = url.raw_host.decode("ascii") if url is not None else ""
    if (
        url is None
        or url.scheme not in ("http", "https")
        or not _HOST_RE.fullmatch(host)
        or not (url.port is None or 0 < url.port <= 65535)
    ):
        raise ValueError(
            f"--url {text!r} is not a valid URL; give the sandbox's address as its banner "
            f"prints it, such as {DEFAULT_URL}."
        )
    return str(url).rstrip("/") + "/sandbox/inbound"


def _problem(response: httpx.Response, path: Path | None) -> str:
    try:
        body = response.json()
    except json.JSONDecodeError:
        return f"the sandbox answered {response.status_code}."
    details = []
    for detail in body.get("details", []) or []:
        for violation in detail.get("fieldViolations", []):
            text = str(violation.get("description", ""))
            # The sandbox knows the document by its name: say it as it was typed.
            named = path is not None and violation.get("field") == "file"
            if named and path is not None and text.startswith(path.name):
                text = f"{path}{text[len(path.name) :]}"
            details.append(text)
    return (
        " ".join(details) or body.get("message") or f"the sandbox answered {response.status_code}."
    )
