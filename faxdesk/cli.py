"""The `faxdesk` command: the GUI by default, headless sub-commands for scripts and admins.

Argument parsing lives here; the work is done by the services, the sandbox and (for the GUI)
`faxdesk.app`, which is imported only when the GUI is really started so that headless commands
never load Qt.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import signal
import sys
import threading
from collections.abc import Sequence

from faxdesk import __version__
from faxdesk.config import secrets, settings
from faxdesk.config.paths import Paths
from faxdesk.core.errors import ConfigError


def _build_parser() -> argparse.ArgumentParser:
    from faxdesk.sandbox import server

    parser = argparse.ArgumentParser(
        prog="faxdesk",
        description="A desktop fax console for the Sinch Fax API. "
        "With no command, FaxDesk opens its window.",
    )
    parser.add_argument("--version", action="version", version=f"FaxDesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    commands.add_parser("gui", help="open the FaxDesk window (the default)")

    sandbox = commands.add_parser(
        "sandbox",
        help="serve the built-in emulator of the Sinch Fax API on loopback",
        description="Serve the FaxDesk sandbox: an emulator of the Sinch Fax API v3.",
    )
    server.add_arguments(sandbox)
    sandbox.add_argument(
        "--exit-with-parent",
        action="store_true",
        help=argparse.SUPPRESS,  # used by the GUI: stop when standard input closes
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
    account.add_argument("--api-url", help=f"API base URL (default {settings.DEFAULT_API_URL})")
    account.add_argument(
        "--auth-url", help=f"OAuth2 server base URL (default {settings.DEFAULT_AUTH_URL})"
    )
    account.add_argument(
        "--sandbox", action="store_true", help="forget the project and use the built-in sandbox"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.command == "sandbox":
        return _run_sandbox(args)
    if args.command == "account":
        return _account(args, Paths.default())
    from faxdesk import app

    return app.main(sys.argv[:1])


def _run_sandbox(args: argparse.Namespace) -> int:
    from faxdesk.sandbox import server

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
    if not account.is_configured:
        print("faxdesk account: give both --project-id and --key-id.", file=sys.stderr)
        return 2
    for url in (account.api_url, account.auth_url):
        if not url.startswith(("https://", "http://")):
            print(f"faxdesk account: {url!r} is not an http(s) URL.", file=sys.stderr)
            return 2
    if ("key_id" in changes or "project_id" in changes) and os.environ.get(secrets.SECRET_ENV):
        print(
            f"The key secret is read from {secrets.SECRET_ENV} each time FaxDesk starts; "
            "it was not stored."
        )
    elif "key_id" in changes or "project_id" in changes:
        secret = getpass.getpass(f"Key secret for {account.key_id}: ") if _interactive() else ""
        if not secret:
            print(
                f"faxdesk account: no key secret given; nothing changed. Type it when asked, "
                f"or set {secrets.SECRET_ENV}.",
                file=sys.stderr,
            )
            return 2
        try:
            secrets.set_key_secret(account.key_id, secret)
        except ConfigError as exc:
            print(f"faxdesk account: {exc}", file=sys.stderr)
            return 1
    settings.save(dataclasses.replace(current, account=account), paths.settings_file)
    _print_account(account)
    return 0


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _print_account(account: settings.Account) -> None:
    if not account.is_configured:
        print("Account: the built-in sandbox (no Sinch project configured).")
        return
    print(f"Project id:  {account.project_id}")
    print(f"Key id:      {account.key_id}")
    print(f"Auth:        {account.auth_method.value}")
    print(f"API URL:     {account.api_url}")
    if account.auth_method is settings.AuthMethod.OAUTH2:
        print(f"Auth URL:    {account.auth_url}")
