"""The `faxdesk` command: the GUI by default, headless sub-commands for scripts and admins.

Argument parsing lives here; the work is done by the services, the sandbox and (for the GUI)
`faxdesk.app`, which is imported only when the GUI is really started so that headless commands
never load Qt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import getpass
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from faxdesk import __version__
from faxdesk.api.client import PAGE_SIZE_RANGE, fax_api_root
from faxdesk.api.urls import service_root
from faxdesk.api.wire import HEADER_TEXT_MAX
from faxdesk.config import secrets, settings
from faxdesk.config.logs import log_to_file, stop_logging_to
from faxdesk.config.paths import Paths
from faxdesk.core.errors import (
    ApiError,
    AuthError,
    ConfigError,
    ConnectionLost,
    DocumentError,
    FaxDeskError,
    InvalidRequest,
    NotFound,
    RequestTimeout,
    ValidationError,
)
from faxdesk.core.models import (
    Direction,
    Document,
    FaxQuery,
    FaxStatus,
    ImageConversionMethod,
    Resolution,
    SendRequest,
)
from faxdesk.core.phone import display
from faxdesk.core.ports import TransferProgress
from faxdesk.documents import convert, faxmode, pages
from faxdesk.documents.convert import PasswordRequired
from faxdesk.services import commands

#: The commands that talk to the fax service, run by `_run_service_command`.
SERVICE_COMMANDS = ("send", "list", "get", "download", "delete-content", "services", "cover-pages")


class _CommandListFormatter(argparse.HelpFormatter):
    """Keeps each command's help on the same line as its name in `faxdesk --help`.

    argparse measures sub-command names one indent level short, so the longest name
    ("delete-content") would have its help pushed to the next line.
    """

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS and isinstance(action.choices, dict):
            longest = max((len(name) for name in action.choices), default=0)
            # The command list is indented one level deeper than argparse measured.
            self._action_max_length = max(
                self._action_max_length, longest + self._current_indent + 2
            )


class _Parser(argparse.ArgumentParser):
    """Says what is wrong with a mistyped command in one line, not a page of usage.

    Sub-command parsers are made of the same class, so `faxdesk send --retry-delay abc` gets one
    line naming the option, and a pointer to the command's own help.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help').\n")


def _folder_name(text: str) -> Path:
    """An argparse type for a folder to write into; an empty name would mean "here"."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the folder name cannot be empty")
    return Path(text)


def _one_of(*choices: str) -> Callable[[str], str]:
    """An argparse type taking any letter case of `choices` (upper-case wire values), and
    naming the value as it was typed when it is none of them."""
    allowed = ", ".join(choice.lower() for choice in choices)

    def parse(text: str) -> str:
        value = text.strip().upper()
        if value not in choices:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {allowed}")
        return value

    return parse


def _build_parser() -> argparse.ArgumentParser:
    from faxdesk.sandbox import server

    parser = _Parser(
        prog="faxdesk",
        description="A desktop fax console for the Sinch Fax API. "
        "With no command, FaxDesk opens its window.",
        formatter_class=_CommandListFormatter,
    )
    parser.add_argument("--version", action="version", version=f"FaxDesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    commands.add_parser("gui", help="open the FaxDesk window (the default)")

    sandbox = commands.add_parser(
        "sandbox",
        help="serve the built-in Sinch Fax API emulator on loopback",
        description="Serve the FaxDesk sandbox: an emulator of the Sinch Fax API v3. "
        "With the inject command, have a sandbox that is already running receive faxes.",
        # argparse writes the optional command as if it were required.
        usage="%(prog)s [OPTIONS]\n       %(prog)s inject [OPTIONS] [FILE]",
    )
    server.add_arguments(sandbox)
    sandbox.add_argument(
        "--exit-with-parent",
        action="store_true",
        help=argparse.SUPPRESS,  # used by the GUI: stop when standard input closes
    )
    from faxdesk.sandbox import inject

    inject.add_arguments(
        sandbox.add_subparsers(
            dest="sandbox_command",
            metavar="COMMAND",
            title="command (optional)",
            # Else argparse would name the command after the usage text above.
            prog="faxdesk sandbox",
        ).add_parser(
            "inject",
            help="have a running sandbox receive faxes",
            description="Have a running sandbox receive inbound faxes (and send INCOMING_FAX): "
            "one, or --count of them backdated over --spread-days for trying sync and paging.",
        )
    )

    account = commands.add_parser(
        "account",
        help="show or set the Sinch project FaxDesk uses",
        description="Show the configured Sinch project, connect a project, or go back to the "
        "sandbox. The key secret is asked for and kept in the system keyring.",
    )
    account.add_argument("--project-id", help="the Sinch project id (a UUID)")
    account.add_argument("--key-id", help="the access key id")
    account.add_argument(
        "--auth",
        choices=[method.value for method in settings.AuthMethod],
        help="how to authenticate: oauth2 (recommended) or basic (rate limited by Sinch)",
    )
    account.add_argument(
        "--api-url",
        "--base-url",
        dest="api_url",
        help=f"API base URL (default {settings.DEFAULT_API_URL})",
    )
    account.add_argument(
        "--auth-url", help=f"OAuth2 server base URL (default {settings.DEFAULT_AUTH_URL})"
    )
    account.add_argument(
        "--sandbox", action="store_true", help="forget the project and use the built-in sandbox"
    )
    _add_service_commands(commands)
    _add_render_command(commands)
    return parser


def _add_render_command(commands: Any) -> None:
    render = commands.add_parser(
        "render",
        help="write the pages as the receiving fax machine prints them, as PNG files",
        description="Convert documents into the fax they make, as the far end prints it: "
        "DIR/fax.pdf holds the fax's pages as they are sent and DIR/page-001.png onwards the "
        "bi-level page images at the fax resolution (their pixels are 204 dpi wide and 196 or "
        "391 lines per inch tall). Files of those names in DIR are replaced. Options not given "
        "follow the paper and sending defaults of the settings. The transmission estimate is "
        "printed on standard error.",
    )
    render.add_argument("files", nargs="+", type=Path, metavar="INPUT", help="the documents")
    render.add_argument(
        "--out", type=_folder_name, required=True, metavar="DIR", help="where to write"
    )
    resolution = render.add_mutually_exclusive_group()
    resolution.add_argument(
        "--fine",
        dest="resolution",
        action="store_const",
        const=Resolution.FINE,
        help="204x196 dpi, what the service calls 200 dpi (the service's default)",
    )
    resolution.add_argument(
        "--superfine",
        dest="resolution",
        action="store_const",
        const=Resolution.SUPERFINE,
        help="204x391 dpi, what the service calls 400 dpi",
    )
    conversion = render.add_mutually_exclusive_group()
    conversion.add_argument(
        "--halftone",
        dest="conversion",
        action="store_const",
        const=ImageConversionMethod.HALFTONE,
        help="dither greys and photos into dots (the service's default)",
    )
    conversion.add_argument(
        "--monochrome",
        dest="conversion",
        action="store_const",
        const=ImageConversionMethod.MONOCHROME,
        help="print every grey as black or white: crisp text, no photos",
    )
    render.add_argument("--paper", choices=[paper.value for paper in settings.PaperSize])
    render.add_argument("--header-text", metavar="TEXT")
    render.add_argument("--no-header-page-numbers", action="store_true")
    render.add_argument(
        "--header-timezone",
        metavar="TZ",
        help=f"a tz name, e.g. Europe/Berlin (the service's default: {faxmode.DEFAULT_TIME_ZONE})",
    )
    _add_document_options(render)


def _add_document_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password",
        metavar="PASSWORD",
        help="the password of the encrypted PDFs among the documents; '-' reads it from "
        "standard input. It is used to decrypt them here and never stored or uploaded",
    )


def _add_service_commands(commands: Any) -> None:
    connection = argparse.ArgumentParser(add_help=False)
    group = connection.add_argument_group(
        "account",
        "The account of the settings file ('faxdesk account'), overridden by FAXDESK_PROJECT_ID, "
        "FAXDESK_KEY_ID, FAXDESK_KEY_SECRET, FAXDESK_AUTH, FAXDESK_BASE_URL and FAXDESK_AUTH_URL, "
        "then by these flags. The key secret comes from FAXDESK_KEY_SECRET or the keyring.",
    )
    group.add_argument("--project-id", help="the Sinch project id")
    group.add_argument("--key-id", help="the access key id")
    group.add_argument("--base-url", "--api-url", dest="base_url", help="the fax service root URL")
    group.add_argument(
        "--auth",
        choices=[method.value for method in settings.AuthMethod],
        help="oauth2 (tokens, recommended) or basic (the key on every request)",
    )
    group.add_argument(
        "--auth-url", help="the OAuth2 server root URL (tokens come from URL/oauth2/token)"
    )
    group.add_argument(
        "--sandbox",
        action="store_true",
        help="run against a built-in sandbox started for this command (it keeps the faxes the "
        "window sent in sandbox mode)",
    )
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument(
        "--json", action="store_true", help="print JSON with the service's field names"
    )

    send = commands.add_parser(
        "send", parents=[connection, json_flag], help="send documents to one or more fax numbers"
    )
    send.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="documents to send: PDF, PNG, JPEG, GIF, BMP, TIFF, text, HTML, or Word "
        "(.docx, .doc, .odt: converted with LibreOffice when it is installed); each is "
        "converted into fax pages here before it is uploaded",
    )
    send.add_argument(
        "--to",
        action="append",
        required=True,
        metavar="NUMBER",
        help="a fax number, international (+1 989 898 9898) or as dialled here; repeat the "
        "option for each recipient: each gets a fax of their own",
    )
    _add_document_options(send)
    send.add_argument(
        "--cover",
        metavar="TEMPLATE",
        help="put a cover page first, made from a PDF or HTML template with {{from}}, {{to}}, "
        "{{date}}, {{pageCount}} and your own {{fields}}; 'default' is the one FaxDesk ships",
    )
    send.add_argument(
        "--cover-field",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a field of the --cover page, e.g. subject=Referral (from, to and date are filled "
        "in unless given)",
    )
    send.add_argument(
        "--content-url",
        action="append",
        default=[],
        metavar="URL",
        help="a web address the service fetches and faxes before the files; repeatable",
    )
    send.add_argument(
        "--from",
        dest="from_",
        metavar="NUMBER",
        help="the service number to send from (default: the service's default number)",
    )
    send.add_argument(
        "--header-text",
        metavar="TEXT",
        help=f"the line printed at the top of each page, up to {HEADER_TEXT_MAX} characters",
    )
    send.add_argument(
        "--no-header-page-numbers",
        action="store_true",
        help="leave the page numbers out of the header line",
    )
    send.add_argument("--header-timezone", metavar="TZ", help="a tz name, e.g. Europe/Berlin")
    send.add_argument("--retry-delay", type=int, metavar="S", help="30 to 300 seconds")
    send.add_argument("--max-retries", type=int, metavar="N", help="0 to 5")
    send.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a label kept with the fax on the service, e.g. ticket=T-42; repeatable",
    )
    send.add_argument("--callback-url", metavar="URL", help="where the service posts FAX_COMPLETED")
    send.add_argument(
        "--callback-json",
        action="store_true",
        help="post FAX_COMPLETED to --callback-url as JSON instead of multipart",
    )
    send.add_argument(
        "--image-conversion",
        type=_one_of("HALFTONE", "MONOCHROME"),
        metavar="{halftone,monochrome}",
        help="halftone dithers greys and photos into dots; monochrome prints every grey as "
        "black or white (default: the service's)",
    )
    send.add_argument(
        "--resolution",
        type=_one_of("FINE", "SUPERFINE"),
        metavar="{fine,superfine}",
        help="fine (200 dpi) or superfine (400 dpi) (default: the service's)",
    )
    send.add_argument("--cover-page-id", metavar="ID", help="a cover page of the service")
    send.add_argument(
        "--cover-data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a field of the cover page, e.g. to_name=Dr. Smith",
    )
    send.add_argument("--service", metavar="ID", help="the fax service id to send with")
    send.add_argument(
        "--paper",
        choices=["letter", "a4"],
        help="the paper the pages are fitted to (default: the paper of the settings)",
    )

    listing = commands.add_parser(
        "list",
        parents=[connection],
        help="list faxes",
        description="List faxes, newest first. Without --since, --until or --created the "
        "service lists only the prior week. Dates are UTC days (YYYY-MM-DD) or ISO 8601 times.",
    )
    output = listing.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help="print JSON with the service's field names"
    )
    output.add_argument(
        "--csv", action="store_true", help="print the service's CSV export of every match"
    )
    listing.add_argument(
        "--direction",
        type=_one_of("INBOUND", "OUTBOUND"),
        metavar="{inbound,outbound}",
        help="received (inbound) or sent (outbound) faxes only",
    )
    listing.add_argument(
        "--status",
        type=_one_of(*(status.value for status in FaxStatus)),
        metavar="STATUS",
        help="queued, in_progress, completed or failure",
    )
    listing.add_argument(
        "--to", metavar="PREFIX", help="faxes to numbers starting with PREFIX, e.g. +1415"
    )
    listing.add_argument(
        "--from", dest="from_", metavar="PREFIX", help="faxes from numbers starting with PREFIX"
    )
    listing.add_argument("--service", metavar="ID", help="faxes of this fax service only")
    listing.add_argument("--since", metavar="DATE", help="from the start of this day (or time)")
    listing.add_argument("--until", metavar="DATE", help="up to the end of this day")
    listing.add_argument(
        "--created",
        metavar="DATE-PREFIX",
        help="faxes created in a year (2026), month (2026-03), day (2026-03-01), "
        "or after a time (2026-03-01T14:00:00Z)",
    )
    listing.add_argument("--page-size", type=int, default=100, metavar="N", help="1 to 1000")
    listing.add_argument(
        "--page", type=int, default=1, metavar="N", help="the page to show, from 1 (default 1)"
    )
    listing.add_argument("--all", action="store_true", help="every page")

    get = commands.add_parser("get", parents=[connection, json_flag], help="show one fax")
    get.add_argument("fax_id", metavar="ID")

    download = commands.add_parser("download", parents=[connection], help="save the PDF of a fax")
    download.add_argument("fax_id", metavar="ID")
    # Kept as typed: a trailing slash says the folder must exist.
    download.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE, or into it if it is a folder (default ID.pdf here)",
    )
    download.add_argument(
        "--force", action="store_true", help="replace an existing ID.pdf (-o FILE is replaced)"
    )

    delete = commands.add_parser(
        "delete-content",
        parents=[connection],
        help="delete the document of a fax (the record stays)",
    )
    delete.add_argument("fax_id", metavar="ID")

    commands.add_parser(
        "services",
        parents=[connection, json_flag],
        help="list the fax services, their sender numbers and defaults",
    )

    cover_pages = commands.add_parser(
        "cover-pages",
        parents=[connection, json_flag],
        help="list the cover pages of a fax service",
    )
    cover_pages.add_argument(
        "--service", metavar="ID", help="the service (default: the project's default service)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`faxdesk list | head`): stop quietly, as other tools do. Point
        # stdout at nothing so the interpreter's last flush does not complain a second time.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass  # stdout is not a real file (a test's capture); nothing will flush to it
        return 141  # as a shell reports a command ended by SIGPIPE


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = _build_parser().parse_args(argv)
    except KeyboardInterrupt:
        return _fail("faxdesk: interrupted.", 130)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        # Ctrl+C ends every command the same way: one line naming it, no traceback, and the
        # status a shell gives a command stopped by SIGINT.
        name = f"faxdesk {args.command}" if args.command else "faxdesk"
        return _fail(f"{name}: interrupted.", 130)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "sandbox":
        return _run_sandbox(args)
    if args.command == "account":
        return _account(args, Paths.default())
    if args.command in SERVICE_COMMANDS:
        return _run_service_command(args, Paths.default())
    if args.command == "render":
        return _render(args, Paths.default())
    from faxdesk import app

    return app.main(sys.argv[:1])


def _run_service_command(args: argparse.Namespace, paths: Paths) -> int:
    """Run send, list, get or download; map expected failures to a line on stderr."""
    # The log goes to a file, so stderr holds only the one line a script reads.
    log_path = paths.cache_dir / "commands.log"
    handler = log_to_file(log_path)
    try:
        return _run_logged_service_command(args, paths)
    except BrokenPipeError:
        raise  # the reader went away: `main` ends quietly
    except Exception as exc:
        # A fault in FaxDesk itself: still one line for the script, the traceback in the log.
        logging.getLogger(__name__).exception("faxdesk %s failed unexpectedly", args.command)
        return _fail(
            f"faxdesk {args.command}: FaxDesk failed unexpectedly ({type(exc).__name__}); the "
            f"details are in {log_path}.{_maybe_sent(args)}",
            1,
        )
    finally:
        stop_logging_to(handler)


def _run_logged_service_command(args: argparse.Namespace, paths: Paths) -> int:
    global _upload_started, _progress_line_open
    _upload_started = _progress_line_open = False
    prefix = f"faxdesk {args.command}: "
    # Whatever a command leaves to clean up (converted copies of documents) goes, however it ends.
    stack = contextlib.ExitStack()
    try:
        with stack:
            return _run_command(args, paths, stack)
    except (ValidationError, DocumentError, ConfigError) as exc:
        return _fail(prefix + _sentence(exc, _option_at_fault(args, exc)) + _password_hint(exc), 2)
    except AuthError as exc:
        return _fail(
            f"{prefix}{_sentence(exc).rstrip('.')}; check your key id, key secret and project id.",
            1,
        )
    except (RequestTimeout, ConnectionLost) as exc:
        return _fail(f"{prefix}{_sentence(exc)}{_maybe_sent(args)}", 1)
    except InvalidRequest as exc:
        # The service refused what was typed: bad input, as the commands' own checks are.
        fields = ", ".join(violation.field for violation in exc.violations)
        at_fault = f" Fields at fault: {fields}." if fields and fields not in str(exc) else ""
        return _fail(f"{prefix}{_sentence(exc)}{at_fault}", 2)
    except NotFound as exc:
        return _fail(prefix + _sentence(exc), 2)
    except FaxDeskError as exc:
        # A success answer FaxDesk could not read: the service did take the request. A
        # failure inside the service (500), or a gateway that lost or gave up on its answer
        # (502, 504), may come after the fax was created; 503 says it was not let in.
        status = exc.status_code if isinstance(exc, ApiError) else None
        taken = status is not None and (200 <= status < 300 or status in _MAYBE_TAKEN)
        return _fail(prefix + _sentence(exc) + (_maybe_sent(args) if taken else ""), 1)
    except KeyboardInterrupt:
        return _fail(f"{prefix}interrupted.{_maybe_sent(args)}", 130)


def _run_command(args: argparse.Namespace, paths: Paths, stack: contextlib.ExitStack) -> int:
    """Check the command's input, find its account (or start a sandbox) and run it."""
    _not_blank(
        args,
        ("project_id", "--project-id"),
        ("key_id", "--key-id"),
        ("base_url", "--base-url"),
        ("auth_url", "--auth-url"),
    )
    current = settings.load(paths.settings_file)
    run: Callable[[commands.Target], Coroutine[Any, Any, int]] = {
        "send": _send,
        "list": _list,
        "get": _get,
        "download": _download,
        "delete-content": _delete_content,
        "services": _services,
        "cover-pages": _cover_pages,
    }[args.command](args, current, stack)
    # Input is checked above, before the account is looked up or anything is started.
    target: commands.Target = (
        commands.SandboxTarget(db_path=paths.sandbox_db, log_path=paths.cache_dir / "sandbox.log")
        if args.sandbox
        else commands.resolve_connection(
            current.account,
            commands.AccountOverrides(
                project_id=args.project_id,
                key_id=args.key_id,
                base_url=args.base_url,
                auth=args.auth,
                auth_url=args.auth_url,
            ),
        )
    )
    return asyncio.run(run(target))


#: Failures of the service that may come after it created the fax a send asked for.
_MAYBE_TAKEN = frozenset({500, 502, 504})

#: Whether a progress line is on the terminal without its line break yet.
_progress_line_open = False


def _fail(line: str, code: int) -> int:
    """Print the one-line reason on stderr, on a line of its own, and return `code`."""
    global _progress_line_open
    if _progress_line_open:
        print(file=sys.stderr)
        _progress_line_open = False
    print(line, file=sys.stderr)
    return code


#: Whether `faxdesk send` has begun to hand the fax to the service (conversion is over).
_upload_started = False


def _maybe_sent(args: argparse.Namespace) -> str:
    """The warning a send that ended unclearly needs, so a script does not send it twice."""
    if args.command != "send" or not _upload_started:
        return ""
    return " The fax may or may not have been sent: check 'faxdesk list' before sending it again."


#: Words a line after "faxdesk COMMAND: " keeps capitalised: names, not the start of a sentence.
_NAMES = frozenset(("Sinch", "Word", "OpenDocument"))


def _sentence(exc: object, option: str | None = None) -> str:
    """The message of `exc` as the rest of a "faxdesk COMMAND: " line: on one line, starting
    in lower case as every such line does (a name keeps its capital), after `option: ` when
    the message is about an option it does not name."""
    text = " ".join(str(exc).split())  # one line, whatever the message holds
    first = text.split(" ", 1)[0].rstrip(".,:;")
    if first.isalpha() and first[0].isupper() and first[1:].islower() and first not in _NAMES:
        text = text[0].lower() + text[1:]
    if option and option not in text:
        text = f"{option}: {text}"
    return text


#: The option of `send` or `render` (and its argparse name) behind each field a
#: `ValidationError` names.
_OPTION_OF_FIELD = {
    "header_text": ("--header-text", "header_text"),
    "header_time_zone": ("--header-timezone", "header_timezone"),
    "retry_delay_seconds": ("--retry-delay", "retry_delay"),
    "max_retries": ("--max-retries", "max_retries"),
    "labels": ("--label", "label"),
    "callback_url": ("--callback-url", "callback_url"),
    "content_urls": ("--content-url", "content_url"),
    "cover_page_id": ("--cover-page-id", "cover_page_id"),
    "cover_page_data": ("--cover-data", "cover_data"),
    "cover_fields": ("--cover-field", "cover_field"),
    "service_id": ("--service", "service"),
    "from_": ("--from", "from_"),
    "to": ("--to", "to"),
}


def _option_at_fault(args: argparse.Namespace, exc: Exception) -> str | None:
    """The option of `send` or `render` a `ValidationError` is about, when it was typed (a
    header text from the settings is no option's fault)."""
    if args.command not in ("send", "render") or not isinstance(exc, ValidationError):
        return None
    option, name = _OPTION_OF_FIELD.get(exc.field or "", ("", ""))
    return option if option and getattr(args, name, None) not in (None, []) else None


def _password_hint(exc: Exception) -> str:
    if isinstance(exc, PasswordRequired):
        return " Give it with --password (or --password - to type it on standard input)."
    return ""


def _password(args: argparse.Namespace) -> str | None:
    """The --password given, read from standard input for '-'.

    Raises `ValidationError` when standard input ends before a password comes (Ctrl+D).
    """
    if args.password != "-":
        return str(args.password) if args.password is not None else None
    line = _read_secret("PDF password: ")
    if line is None:
        raise ValidationError(
            "no password given on standard input.",
            field="password",
        )
    return line


def _read_secret(prompt: str) -> str | None:
    """A line typed at a hidden prompt, or read from standard input when that is no terminal;
    None when the input ends (Ctrl+D, or nothing piped in) before a line comes."""
    if _interactive():
        try:
            return getpass.getpass(prompt)
        except EOFError:
            print(file=sys.stderr)  # the prompt's line is left open: end it
            return None
        except KeyboardInterrupt:
            print(file=sys.stderr)
            raise
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n") if line else None


def _prepare_documents(
    args: argparse.Namespace, current: settings.Settings, to: Sequence[str]
) -> tuple[tuple[Document, ...], Callable[[], None]]:
    """Convert the files of `faxdesk send` into fax PDFs in a folder of their own.

    Returns the documents and a function that removes the folder once they are uploaded.
    """
    cover = None
    if args.cover is not None:
        fields = {
            "to": ", ".join(display(number) for number in to),
            "from": display(args.from_) if args.from_ else "",
            **commands.parse_pairs(args.cover_field, field="cover_fields"),
        }
        template = None if args.cover == "default" else Path(args.cover)
        cover = commands.CoverSheet(template=template, fields=fields)
    elif args.cover_field:
        raise ValidationError("--cover-field needs --cover.", field="cover_fields")
    if not args.files and cover is None:
        return (), lambda: None
    folder = Path(tempfile.mkdtemp(prefix="faxdesk-send-"))
    try:
        prepared = commands.prepare_fax(
            args.files,
            folder,
            paper=args.paper or current.paper_size.value,
            password=_password(args),
            max_pages=current.max_pages,
            max_bytes=current.max_upload_mb * 1_000_000,
            cover=cover,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    for notice in prepared.notices:
        print(f"faxdesk send: {_sentence(notice)}", file=sys.stderr)
    return prepared.documents, lambda: shutil.rmtree(folder, ignore_errors=True)


def _send(
    args: argparse.Namespace, current: settings.Settings, stack: contextlib.ExitStack
) -> Callable[[commands.Target], Coroutine[Any, Any, int]]:
    if args.callback_json and not args.callback_url:
        raise ValidationError("--callback-json needs --callback-url.", field="callback_url")
    _not_blank(
        args,
        ("from_", "--from"),
        ("header_timezone", "--header-timezone"),
        ("service", "--service"),
        ("cover_page_id", "--cover-page-id"),
        ("callback_url", "--callback-url"),
    )
    if any(not url.strip() for url in args.content_url):
        raise ValidationError("--content-url was given an empty value.", field="content_urls")
    to = commands.numbers_to_e164(args.to, current.default_region)
    request = SendRequest(
        to=to,
        # The files as given, for the checks; replaced by their fax PDFs below.
        documents=tuple(Document(path) for path in args.files),
        content_urls=tuple(args.content_url),
        from_=_number_or_none(args.from_, current.default_region),
        header_text=args.header_text,
        header_page_numbers=False if args.no_header_page_numbers else None,
        header_time_zone=(
            commands.check_time_zone(args.header_timezone) if args.header_timezone else None
        ),
        retry_delay_seconds=args.retry_delay,
        max_retries=args.max_retries,
        resolution=Resolution(args.resolution) if args.resolution else None,
        image_conversion_method=(
            ImageConversionMethod(args.image_conversion) if args.image_conversion else None
        ),
        labels=commands.parse_pairs(args.label, field="labels"),
        callback_url=args.callback_url,
        callback_url_content_type=commands.JSON_MEDIA_TYPE if args.callback_json else None,
        cover_page_id=args.cover_page_id,
        cover_page_data=commands.parse_pairs(args.cover_data, field="cover_page_data"),
        service_id=args.service,
    )
    # Every option is checked before a document is converted, an account is looked up or a
    # sandbox started; the converted copies go when the command ends, however it ends.
    commands.validate_send(request)
    documents, clean_up = _prepare_documents(args, current, to)
    stack.callback(clean_up)
    request = dataclasses.replace(request, documents=documents)

    async def run(target: commands.Target) -> int:
        global _upload_started
        _upload_started = True
        faxes = await commands.send(target, request, progress=_progress("Uploading"))
        if args.json:
            print(commands.faxes_json(faxes))
        else:
            for fax in faxes:
                print(commands.fax_line(fax))
        return 0

    return run


def _progress(verb: str) -> TransferProgress | None:
    """A progress line on stderr that rewrites itself, when stderr is a terminal; else None.

    Scripts that capture stderr get only the one-line result or reason, never progress noise.
    """
    if not _stderr_is_terminal():
        return None
    shown = ""

    def report(done: int, total: int | None) -> None:
        nonlocal shown
        global _progress_line_open
        line = commands.transfer_line(verb, done, total)
        if line != shown:
            shown = line
            finished = total is not None and done >= total
            print(f"\r{line}", end="\n" if finished else "", file=sys.stderr, flush=True)
            _progress_line_open = not finished

    return report


def _stderr_is_terminal() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


def _number_or_none(number: str | None, region: str) -> str | None:
    if not number:
        return None
    return commands.numbers_to_e164([number], region, option="--from", field="from_")[0]


def _list(
    args: argparse.Namespace, current: settings.Settings, _stack: contextlib.ExitStack
) -> Callable[[commands.Target], Coroutine[Any, Any, int]]:
    region = current.default_region
    if args.created and (args.since or args.until):
        raise ValidationError("use --created or --since/--until, not both.", field="created")
    _not_blank(
        args,
        ("to", "--to"),
        ("from_", "--from"),
        ("service", "--service"),
        ("since", "--since"),
        ("until", "--until"),
        ("created", "--created"),
    )
    low, high = PAGE_SIZE_RANGE
    if not low <= args.page_size <= high:
        raise ValidationError(f"--page-size must be {low} to {high}.", field="page_size")
    if args.page < 1:
        raise ValidationError("--page counts from 1.", field="page")
    query = FaxQuery(
        direction=Direction(args.direction) if args.direction else None,
        status=FaxStatus(args.status) if args.status else None,
        to_prefix=commands.number_prefix(args.to, region) if args.to else None,
        from_prefix=commands.number_prefix(args.from_, region) if args.from_ else None,
        created_after=commands.parse_when(args.since) if args.since else None,
        created_before=commands.parse_when(args.until, end_of_day=True) if args.until else None,
        created=commands.parse_created(args.created) if args.created else None,
        service_id=args.service,
        page_size=args.page_size,
    )
    if query.created_after and query.created_before and query.created_after > query.created_before:
        raise ValidationError(
            f"--since {args.since} is after --until {args.until}; nothing can match.",
            field="created",
        )

    def note_the_prior_week() -> None:
        if query.created_after is None and query.created_before is None and not query.created:
            # No range of our own: the command lists what the service lists, and says so.
            print(
                "faxdesk list: without --since, --until or --created the service lists only "
                "the prior week.",
                file=sys.stderr,
            )

    async def run(target: commands.Target) -> int:
        if args.csv:
            await commands.export_csv(target, query, sys.stdout.buffer)
            note_the_prior_week()
            return 0
        if args.all:
            faxes = await commands.list_all(target, query)
        else:
            page = await commands.list_page(target, query, args.page)
            faxes = list(page.faxes)
            if page.has_more:
                print(
                    f"faxdesk list: page {page.page} of {page.total_pages} "
                    f"({page.total_items} faxes); use --page {page.page + 1} or --all for more.",
                    file=sys.stderr,
                )
        print(commands.faxes_json(faxes) if args.json else commands.fax_table(faxes))
        note_the_prior_week()
        return 0

    return run


def _not_blank(args: argparse.Namespace, *options: tuple[str, str]) -> None:
    """Refuse an option given as empty text (`--from ""`), which would otherwise be ignored."""
    for name, flag in options:
        value = getattr(args, name, None)
        if value is not None and not value.strip():
            raise ValidationError(f"{flag} was given an empty value.", field=name)


def _get(
    args: argparse.Namespace, _current: settings.Settings, _stack: contextlib.ExitStack
) -> Callable[[commands.Target], Coroutine[Any, Any, int]]:
    fax_id = commands.check_fax_id(args.fax_id)

    async def run(target: commands.Target) -> int:
        fax = await commands.get(target, fax_id)
        print(commands.fax_json(fax) if args.json else commands.fax_details(fax))
        return 0

    return run


def _download(
    args: argparse.Namespace, _current: settings.Settings, _stack: contextlib.ExitStack
) -> Callable[[commands.Target], Coroutine[Any, Any, int]]:
    # Absolute, so the path printed has one form whether -o was given or not.
    destination = Path(
        os.path.abspath(commands.download_destination(args.fax_id, args.output, force=args.force))
    )

    async def run(target: commands.Target) -> int:
        saved = await commands.download(
            target, args.fax_id, destination, progress=_progress("Downloading")
        )
        print(saved)
        return 0

    return run


def _delete_content(
    args: argparse.Namespace, _current: settings.Settings, _stack: contextlib.ExitStack
) -> Callable[[commands.Target], Coroutine[Any, Any, int]]:
    fax_id = commands.check_fax_id(args.fax_id)

    async def run(target: commands.Target) -> int:
        if await commands.delete_content(target, fax_id):
            print(f"Deleted the document of fax {fax_id}; the fax record stays on the service.")
        else:
            print(
                f"Fax {fax_id} had no document on the service (it was deleted already); the "
                "fax record stays."
            )
        return 0

    return run


def _services(
    args: argparse.Namespace, _current: settings.Settings, _stack: contextlib.ExitStack
) -> Callable[[commands.Target], Coroutine[Any, Any, int]]:
    async def run(target: commands.Target) -> int:
        if args.json:
            print(commands.services_json(await commands.list_services(target)))
        else:
            print(commands.service_table(*await commands.list_services_with_numbers(target)))
        return 0

    return run


def _cover_pages(
    args: argparse.Namespace, _current: settings.Settings, _stack: contextlib.ExitStack
) -> Callable[[commands.Target], Coroutine[Any, Any, int]]:
    _not_blank(args, ("service", "--service"))

    async def run(target: commands.Target) -> int:
        service_id, pages = await commands.list_cover_pages(target, args.service)
        if args.json:
            print(commands.cover_pages_json(pages))
        elif pages:
            print(commands.cover_page_table(pages))
        else:
            print(f"The service {service_id} has no cover pages.")
        return 0

    return run


def _render(args: argparse.Namespace, paths: Paths) -> int:
    """Write the fax-mode pages of the documents and their fax PDF into `args.out`."""
    prefix = "faxdesk render: "
    try:
        current = settings.load(paths.settings_file)
        mode = _fax_mode(args, current)
        if args.out.exists() and not args.out.is_dir():
            raise ValidationError(f"{args.out} is not a folder.", field="out")
        password = _password(args)
        documents = []
        for path in args.files:
            converted = _convert(path, mode.paper, password)
            for notice in converted.notices:
                print(prefix + _sentence(notice), file=sys.stderr)
            documents.append((str(path), converted.pdf))
        pdf = pages.merge_pdfs(documents)
    except (ValidationError, DocumentError, ConfigError) as exc:
        print(prefix + _sentence(exc, _option_at_fault(args, exc)), file=sys.stderr)
        return 2
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "fax.pdf").write_bytes(pdf)
        print(args.out / "fax.pdf")
        estimate = faxmode.estimate_from_pages(
            _write_pages(faxmode.render_fax_pages(pdf, mode), args.out), mode.resolution
        )
    except (ValidationError, DocumentError) as exc:
        print(prefix + _sentence(exc), file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"{prefix}could not write to {args.out}: {reason}.", file=sys.stderr)
        return 1
    print(f"{prefix}{estimate.summary()}.", file=sys.stderr)
    return 0


def _fax_mode(args: argparse.Namespace, current: settings.Settings) -> faxmode.FaxMode:
    """The options of `render`, each falling back to the settings, then to the service's."""
    defaults = current.sending
    _not_blank(args, ("header_timezone", "--header-timezone"))
    text = defaults.header_text if args.header_text is None else args.header_text
    if len(text) > HEADER_TEXT_MAX:
        raise ValidationError(
            f"the header text can be at most {HEADER_TEXT_MAX} characters long.",
            field="header_text",
        )
    if not text.isprintable():
        raise ValidationError(
            "the header text is one line: it cannot hold line breaks, tabs or other control "
            "characters.",
            field="header_text",
        )
    zone = args.header_timezone or defaults.header_time_zone or faxmode.DEFAULT_TIME_ZONE
    return faxmode.FaxMode(
        resolution=args.resolution or defaults.resolution or Resolution.FINE,
        conversion=(
            args.conversion or defaults.image_conversion_method or ImageConversionMethod.HALFTONE
        ),
        paper=args.paper or current.paper_size.value,
        header=faxmode.FaxHeader(
            text=text,
            page_numbers=defaults.header_page_numbers and not args.no_header_page_numbers,
            time_zone=commands.check_time_zone(zone),
        ),
    )


def _convert(path: Path, paper: str, password: str | None) -> convert.ConvertedDocument:
    """The fax PDF of the document at `path`; raises DocumentError naming it as given."""
    if not path.is_file():
        reason = "is not a file" if path.exists() else "does not exist"
        raise DocumentError(f"{path} {reason}.", path=str(path))
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path} could not be read ({exc.strerror}).", path=str(path)) from exc
    try:
        return convert.convert_to_pdf(content, filename=str(path), paper=paper, password=password)
    except convert.PasswordRequired as exc:
        raise convert.PasswordRequired(f"{exc} Give it with --password.", path=str(path)) from None


def _write_pages(rendered: Iterable[faxmode.FaxPage], out: Path) -> Iterator[faxmode.FaxPage]:
    """Write each page as DIR/page-NNN.png as it comes, naming it on stdout, and pass it on."""
    for page in rendered:
        number = page.index + 1
        if _stderr_is_terminal():
            end = "\n" if number == page.page_count else ""
            print(
                f"\rRendering page {number} of {page.page_count}",
                end=end,
                file=sys.stderr,
                flush=True,
            )
        path = out / f"page-{number:03d}.png"
        path.write_bytes(page.png())
        print(path)
        yield page


def _run_sandbox(args: argparse.Namespace) -> int:
    from faxdesk.sandbox import inject, server

    if args.sandbox_command == "inject":
        return inject.main(args)
    if args.exit_with_parent:
        threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    return server.run(server.config_from_args(args))


def _exit_when_stdin_closes() -> None:
    # The parent holds the write end of our stdin; end of file means it has gone away.
    # os.read, not sys.stdin: a daemon thread blocked inside the buffered reader holds its
    # lock, and the interpreter aborts at exit when it cannot take that lock.
    while os.read(0, 4096):
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def _account(args: argparse.Namespace, paths: Paths) -> int:
    current = settings.load(paths.settings_file)
    if args.sandbox:
        settings.save(dataclasses.replace(current, account=settings.Account()), paths.settings_file)
        print("FaxDesk will use the built-in sandbox.")
        return 0
    changes = {
        "project_id": args.project_id,
        "key_id": args.key_id,
        "auth_method": settings.AuthMethod(args.auth) if args.auth else None,
        "api_url": args.api_url,
        "auth_url": args.auth_url,
    }
    changes = {key: value for key, value in changes.items() if value is not None}
    if not changes:
        _print_account(current.account)
        return 0
    account = dataclasses.replace(current.account, **changes)
    if not account.project_id.strip() or not account.key_id.strip():
        print("faxdesk account: give both --project-id and --key-id.", file=sys.stderr)
        return 2
    if ":" in account.key_id:
        # Basic auth splits the key id from the secret at the first ':'.
        print("faxdesk account: a key id cannot contain ':'.", file=sys.stderr)
        return 2
    try:
        project_id = (
            commands.check_project_id(account.project_id)
            if "project_id" in changes
            else account.project_id.strip()
        )
        account = dataclasses.replace(
            account,
            project_id=project_id,
            key_id=account.key_id.strip(),
            # Kept as the client uses it: a pasted /v3/projects/{id}/faxes is taken off.
            api_url=fax_api_root(account.api_url, project_id),
            auth_url=service_root(account.auth_url, "sign-in service"),
        )
    except (ConfigError, ValidationError) as exc:
        print(f"faxdesk account: {_sentence(exc)}", file=sys.stderr)
        return 2
    if ("key_id" in changes or "project_id" in changes) and os.environ.get(secrets.SECRET_ENV):
        print(
            f"The key secret is read from {secrets.SECRET_ENV} each time FaxDesk starts; "
            "it was not stored."
        )
    elif "key_id" in changes or "project_id" in changes:
        if not secrets.keyring_available():
            # Said before the secret is asked for, so nobody types it in vain.
            print(
                "faxdesk account: this computer has no keyring to keep the key secret in; set "
                f"{secrets.SECRET_ENV} in the environment FaxDesk starts in and run this "
                "again. Nothing changed.",
                file=sys.stderr,
            )
            return 1
        secret = _read_secret(f"Key secret for {account.key_id}: ")
        if not secret:
            print(
                "faxdesk account: no key secret given; nothing changed. Type it when asked, "
                f"pipe it on standard input, or set {secrets.SECRET_ENV}.",
                file=sys.stderr,
            )
            return 2
        try:
            secrets.set_key_secret(account.key_id, secret)
        except ConfigError as exc:
            print(f"faxdesk account: {_sentence(exc)}", file=sys.stderr)
            return 1
    settings.save(dataclasses.replace(current, account=account), paths.settings_file)
    _print_account(account)
    return 0


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _print_account(account: settings.Account) -> None:
    """The account in effect: the saved one overridden by FAXDESK_* variables, each part with
    where it comes from (the secret is never shown)."""
    parts = commands.account_in_effect(account)
    if not parts:
        print(
            "Account: none; the window uses the built-in sandbox, and the other commands need "
            "--sandbox."
        )
        return
    width = max(len(value) for _, value, _ in parts)
    for name, value, where in parts:
        print(f"{name + ':':<12} {value:<{width}}  ({where})")
    if any(where.startswith("from FAXDESK_") for _, _, where in parts):
        print("FAXDESK_* variables override the settings file; flags override both.")
