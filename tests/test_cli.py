"""The `faxdesk` command line: help, version, and setting up an account."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from keyring.backends import fail

from faxdesk import __version__
from faxdesk.cli import main
from faxdesk.config import secrets, settings
from faxdesk.config.paths import Paths

PROJECT = "3acb7ae1-cf3d-4112-ba5e-3a9d8c71cd47"


def test_version_and_help_list_the_commands(capsys):
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0
    assert capsys.readouterr().out == f"FaxDesk {__version__}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in (
        "gui",
        "sandbox",
        "account",
        "send",
        "list",
        "get",
        "download",
        "delete-content",
        "services",
        "cover-pages",
    ):
        assert f"    {command} " in out


@pytest.mark.parametrize(
    "command", ["send", "list", "get", "download", "delete-content", "services"]
)
def test_every_option_of_the_service_commands_says_what_it_does(capsys, command):
    from faxdesk.cli import _build_parser

    parser = _build_parser()
    [commands] = [a for a in parser._actions if isinstance(a.choices, dict)]
    sub = commands.choices[command]
    silent = [
        action.option_strings[0]
        for action in sub._actions
        if action.option_strings and not action.help
    ]
    assert silent == []


def test_sandbox_help_shows_its_command_as_optional_and_every_default(capsys):
    with pytest.raises(SystemExit):
        main(["sandbox", "--help"])
    sandbox = capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["sandbox", "inject", "--help"])
    inject = " ".join(capsys.readouterr().out.split())

    assert sandbox.startswith(
        "usage: faxdesk sandbox [OPTIONS]\n       faxdesk sandbox inject [OPTIONS] [FILE]\n"
    )
    assert "command (optional):" in sandbox
    flat = " ".join(sandbox.split())
    assert "project id the API accepts (default 00000000-0000-4000-8000-0000000fa4de)" in flat
    assert "access key id for Basic auth (default 'sandbox')" in flat
    assert inject.startswith("usage: faxdesk sandbox inject [-h]")
    assert "the sandbox's key id (default 'sandbox')" in inject
    assert "a day (2026-05-04, meaning its midnight UTC)" in inject
    assert "+14155550100, or a service's defaultFrom" in inject


def test_python_m_faxdesk_is_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "faxdesk", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout == f"FaxDesk {__version__}\n"


def test_account_with_the_secret_in_the_environment_needs_no_prompt(
    paths: Paths, monkeypatch, capsys
):
    monkeypatch.setenv(secrets.SECRET_ENV, "from-env")
    monkeypatch.setattr("getpass.getpass", lambda *_: pytest.fail("asked for the secret"))
    assert main(["account", "--project-id", PROJECT, "--key-id", "k-1", "--auth", "basic"]) == 0
    assert capsys.readouterr().out.startswith(
        "The key secret is read from FAXDESK_KEY_SECRET each time FaxDesk starts; it was not "
        "stored.\n"
    )
    saved = settings.load(paths.settings_file).account
    assert (saved.project_id, saved.key_id, saved.auth_method) == (PROJECT, "k-1", "basic")
    assert "from-env" not in paths.settings_file.read_text()


def test_account_stores_the_typed_secret_in_the_keyring(paths: Paths, monkeypatch):
    stored = {}
    monkeypatch.delenv(secrets.SECRET_ENV, raising=False)
    monkeypatch.setattr(secrets, "keyring_available", lambda: True)
    monkeypatch.setattr("faxdesk.cli._interactive", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda *_: "typed-secret")
    monkeypatch.setattr(secrets.keyring, "set_password", lambda *a: stored.setdefault(a, True))
    assert main(["account", "--project-id", PROJECT, "--key-id", "k-1"]) == 0
    assert stored == {(secrets.SERVICE, "k-1", "typed-secret"): True}
    assert "typed-secret" not in paths.settings_file.read_text()


def test_account_without_a_terminal_or_secret_says_how(paths: Paths, monkeypatch, capsys):
    monkeypatch.delenv(secrets.SECRET_ENV, raising=False)
    monkeypatch.setattr(secrets, "keyring_available", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setattr("getpass.getpass", lambda *_: pytest.fail("prompted without a terminal"))
    assert main(["account", "--project-id", PROJECT, "--key-id", "k-1"]) == 2
    assert capsys.readouterr().err == (
        "faxdesk account: no key secret given; nothing changed. Type it when asked, "
        "pipe it on standard input, or set FAXDESK_KEY_SECRET.\n"
    )
    assert not paths.settings_file.exists()


def test_account_reads_a_piped_secret_from_standard_input(paths: Paths, monkeypatch):
    stored = {}
    monkeypatch.delenv(secrets.SECRET_ENV, raising=False)
    monkeypatch.setattr(secrets, "keyring_available", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("piped-secret\n"))
    monkeypatch.setattr("getpass.getpass", lambda *_: pytest.fail("prompted without a terminal"))
    monkeypatch.setattr(secrets.keyring, "set_password", lambda *a: stored.setdefault(a, True))
    assert main(["account", "--project-id", PROJECT, "--key-id", "k-1"]) == 0
    assert stored == {(secrets.SERVICE, "k-1", "piped-secret"): True}
    assert settings.load(paths.settings_file).account.key_id == "k-1"


def _typed(exc: type[BaseException]):
    def getpass(*_args):
        raise exc

    return getpass


def test_ctrl_d_at_the_secret_prompt_changes_nothing(paths: Paths, monkeypatch, capsys):
    monkeypatch.delenv(secrets.SECRET_ENV, raising=False)
    monkeypatch.setattr(secrets, "keyring_available", lambda: True)
    monkeypatch.setattr("faxdesk.cli._interactive", lambda: True)
    monkeypatch.setattr("getpass.getpass", _typed(EOFError))
    assert main(["account", "--project-id", PROJECT, "--key-id", "k-1"]) == 2
    assert capsys.readouterr().err == (
        "\nfaxdesk account: no key secret given; nothing changed. Type it when asked, "
        "pipe it on standard input, or set FAXDESK_KEY_SECRET.\n"
    )
    assert not paths.settings_file.exists()


def test_ctrl_c_at_the_secret_prompt_is_an_interruption(paths: Paths, monkeypatch, capsys):
    monkeypatch.delenv(secrets.SECRET_ENV, raising=False)
    monkeypatch.setattr(secrets, "keyring_available", lambda: True)
    monkeypatch.setattr("faxdesk.cli._interactive", lambda: True)
    monkeypatch.setattr("getpass.getpass", _typed(KeyboardInterrupt))
    assert main(["account", "--project-id", PROJECT, "--key-id", "k-1"]) == 130
    assert capsys.readouterr().err == "\nfaxdesk account: interrupted.\n"
    assert not paths.settings_file.exists()


def test_account_says_there_is_no_keyring_before_asking(paths: Paths, monkeypatch, capsys):
    monkeypatch.delenv(secrets.SECRET_ENV, raising=False)
    monkeypatch.setattr("faxdesk.cli._interactive", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda *_: pytest.fail("asked with no keyring"))
    monkeypatch.setattr(secrets.keyring, "get_keyring", lambda: fail.Keyring())
    assert main(["account", "--project-id", PROJECT, "--key-id", "k-1"]) == 1
    assert capsys.readouterr().err == (
        "faxdesk account: this computer has no keyring to keep the key secret in; set "
        "FAXDESK_KEY_SECRET in the environment FaxDesk starts in and run this again. Nothing "
        "changed.\n"
    )
    assert not paths.settings_file.exists()


def test_ctrl_c_ends_a_local_command_in_one_line(paths: Paths, monkeypatch, capsys, tmp_path):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("faxdesk.cli._convert", interrupted)
    document = tmp_path / "a.pdf"
    document.write_bytes(b"%PDF-1.4")
    assert main(["render", str(document), "--out", str(tmp_path / "out")]) == 130
    assert capsys.readouterr().err == "faxdesk render: interrupted.\n"


def test_account_needs_both_ids_and_a_real_url(paths: Paths, monkeypatch, capsys):
    monkeypatch.setenv(secrets.SECRET_ENV, "s")
    assert main(["account", "--project-id", PROJECT]) == 2
    assert "give both --project-id and --key-id" in capsys.readouterr().err
    assert main(["account", "--project-id", PROJECT, "--key-id", "k", "--api-url", "notaurl"]) == 2
    assert capsys.readouterr().err == (
        "faxdesk account: the fax service address 'notaurl' must start with https:// (or "
        "http://).\n"
    )
    assert main(["account", "--project-id", PROJECT, "--key-id", "k", "--auth-url", "ftp://x"]) == 2
    assert "the sign-in service address 'ftp://x' must start with https://" in (
        capsys.readouterr().err
    )
    assert not paths.settings_file.exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--api-url", "https://user:s3cret@fax.example.com"],
            "the fax service address must not carry a user name or password; FaxDesk signs in "
            "with the access key.",
        ),
        (
            ["--api-url", "http://x:99999"],
            "the fax service address 'http://x:99999' names a port that does not exist "
            "(1 to 65535).",
        ),
        (
            ["--auth-url", "https://a?b"],
            "the sign-in service address 'https://a?b' must not have a query (?) or fragment "
            "(#) part.",
        ),
        (["--key-id", "a:b"], "a key id cannot contain ':'."),
        (["--project-id", " "], "give both --project-id and --key-id."),
    ],
)
def test_account_refuses_what_would_break_every_command(
    paths: Paths, monkeypatch, capsys, flags, message
):
    monkeypatch.setenv(secrets.SECRET_ENV, "s")
    argv = ["account", "--project-id", PROJECT, "--key-id", "k", *flags]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"faxdesk account: {message}\n")
    assert "s3cret" not in captured.err
    assert not paths.settings_file.exists()


def test_account_sandbox_forgets_the_project(paths: Paths, monkeypatch, capsys):
    monkeypatch.setenv(secrets.SECRET_ENV, "s")
    main(["account", "--project-id", PROJECT, "--key-id", "k-1"])
    assert main(["account", "--sandbox"]) == 0
    assert settings.load(paths.settings_file).uses_sandbox
    main(["account"])
    assert "the built-in sandbox" in capsys.readouterr().out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktops only")
def test_without_a_desktop_the_gui_says_so_instead_of_crashing(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["FAXDESK_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "faxdesk"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("FaxDesk needs a graphical desktop")
