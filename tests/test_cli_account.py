"""`faxdesk account` shows the account in effect and where each part comes from, and the
service commands tell a wrong address from a wrong project."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from keyring.backends import fail

from faxdesk.cli import main
from faxdesk.config import secrets, settings
from faxdesk.config.paths import Paths
from faxdesk.services import commands

PROJECT = "3acb7ae1-cf3d-4112-ba5e-3a9d8c71cd47"
ACCOUNT_ENV = (
    commands.ENV_PROJECT_ID,
    commands.ENV_KEY_ID,
    commands.ENV_KEY_SECRET,
    commands.ENV_AUTH,
    commands.ENV_BASE_URL,
    commands.ENV_AUTH_URL,
)


@pytest.fixture(autouse=True)
def no_account_in_the_environment(paths: Paths, monkeypatch) -> Paths:
    for name in ACCOUNT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(secrets.keyring, "get_keyring", lambda: fail.Keyring())
    return paths


def save(paths: Paths, **account: str) -> None:
    settings.save(settings.Settings(account=settings.Account(**account)), paths.settings_file)


def test_account_shows_the_environment_it_runs_with_and_where_each_part_comes_from(
    paths: Paths, monkeypatch, capsys
):
    save(paths, project_id=PROJECT, key_id="saved-key")
    monkeypatch.setenv(commands.ENV_BASE_URL, "http://127.0.0.1:4010")
    monkeypatch.setenv(commands.ENV_KEY_SECRET, "s3cret-value")
    assert main(["account"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"Project id:  {PROJECT}  (from the settings file)",
        "Key id:      saved-key                             (from the settings file)",
        "Key secret:  set                                   (from FAXDESK_KEY_SECRET)",
        "Auth:        oauth2                                (the default)",
        "API URL:     http://127.0.0.1:4010                 (from FAXDESK_BASE_URL)",
        "Auth URL:    https://auth.sinch.com                (the default)",
        "FAXDESK_* variables override the settings file; flags override both.",
    ]
    assert "s3cret-value" not in out


def test_an_account_only_in_the_environment_is_the_one_shown(monkeypatch, capsys):
    monkeypatch.setenv(commands.ENV_PROJECT_ID, PROJECT)
    monkeypatch.setenv(commands.ENV_KEY_ID, "env-key")
    monkeypatch.setenv(commands.ENV_AUTH, "BASIC")
    assert main(["account"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Project id:  {PROJECT}  (from FAXDESK_PROJECT_ID)",
        "Key id:      env-key                               (from FAXDESK_KEY_ID)",
        "Key secret:  none                                  (no keyring on this computer; set "
        "FAXDESK_KEY_SECRET)",
        "Auth:        basic                                 (from FAXDESK_AUTH)",
        "API URL:     https://fax.api.sinch.com             (the default)",
        "FAXDESK_* variables override the settings file; flags override both.",
    ]


def test_no_account_anywhere_says_what_the_commands_need(capsys):
    assert main(["account"]) == 0
    assert capsys.readouterr().out == (
        "Account: none; the window uses the built-in sandbox, and the other commands need "
        "--sandbox.\n"
    )


def test_the_endpoint_url_pasted_as_the_api_url_is_stored_as_its_root(
    paths: Paths, monkeypatch, capsys
):
    monkeypatch.setenv(commands.ENV_KEY_SECRET, "s")
    url = f"https://fax.api.sinch.com/v3/projects/{PROJECT}/faxes"
    assert main(["account", "--project-id", PROJECT, "--key-id", "k", "--api-url", url]) == 0
    assert settings.load(paths.settings_file).account.api_url == "https://fax.api.sinch.com"


def test_an_api_url_naming_another_project_is_not_stored(paths: Paths, monkeypatch, capsys):
    monkeypatch.setenv(commands.ENV_KEY_SECRET, "s")
    url = "https://fax.api.sinch.com/v3/projects/not-a-uuid/faxes"
    assert main(["account", "--project-id", PROJECT, "--key-id", "k", "--api-url", url]) == 2
    assert capsys.readouterr().err == (
        "faxdesk account: the fax service address names the project 'not-a-uuid', but the "
        f"project id is '{PROJECT}'; give the address without /v3/projects/...\n"
    )
    assert not paths.settings_file.exists()


def test_a_project_id_that_is_no_uuid_is_refused(paths: Paths, monkeypatch, capsys):
    monkeypatch.setenv(commands.ENV_KEY_SECRET, "s")
    assert main(["account", "--project-id", "not-a-uuid", "--key-id", "k"]) == 2
    assert capsys.readouterr().err == (
        "faxdesk account: the project id 'not-a-uuid' is not a UUID such as "
        "3acb7ae1-cf3d-4112-ba5e-3a9d8c71cd47; copy it from the Sinch dashboard.\n"
    )
    assert not paths.settings_file.exists()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def web_server(tmp_path) -> Iterator[str]:
    """An ordinary web server (not the fax API), as `python3 -m http.server` runs one."""

    def handler(*args, **kwargs):
        return _Quiet(*args, directory=str(tmp_path), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_base_url_that_is_no_fax_api_is_blamed_not_the_project(
    web_server: str, monkeypatch, capsys
):
    monkeypatch.setenv(commands.ENV_KEY_SECRET, "s")
    argv = ["list", "--base-url", f"http://{web_server}", "--project-id", PROJECT]
    code = main([*argv, "--key-id", "k", "--auth", "basic"])
    assert (code, capsys.readouterr().err) == (
        2,
        f"faxdesk list: the server at {web_server} does not look like the Sinch Fax API (it "
        "answered 404 with no Sinch error); check the fax service address.\n",
    )
