"""The headless commands `faxdesk send`, `list`, `get` and `download`, run in-process through
`faxdesk.cli.main` against a real sandbox server started once for the module."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faxdesk.cli import main
from faxdesk.config.paths import HOME_ENV
from faxdesk.core.models import TEST_NUMBER
from faxdesk.documents.pages import count_pages_in_file, make_test_pdf
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process

ACCOUNT_ENV = (
    "FAXDESK_BASE_URL",
    "FAXDESK_PROJECT_ID",
    "FAXDESK_KEY_ID",
    "FAXDESK_KEY_SECRET",
    "FAXDESK_AUTH",
    "FAXDESK_AUTH_URL",
)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxProcess]:
    with sandbox_process(SandboxConfig(port=0, time_scale=0.05)) as running:
        yield running


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty FaxDesk home (no settings file) and no account in the environment."""
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    for name in ACCOUNT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def account(home, server, monkeypatch) -> SandboxProcess:
    """The environment points the commands at the module's sandbox with Basic auth."""
    monkeypatch.setenv("FAXDESK_BASE_URL", server.origin)
    monkeypatch.setenv("FAXDESK_PROJECT_ID", server.config.project_id)
    monkeypatch.setenv("FAXDESK_KEY_ID", server.config.key_id)
    monkeypatch.setenv("FAXDESK_KEY_SECRET", server.config.key_secret)
    monkeypatch.setenv("FAXDESK_AUTH", "basic")
    return server


@pytest.fixture
def pdf(home) -> Path:
    path = home / "three pages.pdf"
    path.write_bytes(make_test_pdf(3))
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def send_json(capsys, *argv: str) -> list[dict]:
    code, out, err = run(capsys, "send", *argv, "--json")
    assert (code, err) == (0, "")
    return json.loads(out)


def wait_for_file(capsys, fax_id: str, limit: float = 10.0) -> dict:
    """Poll `get --json` until the sandbox has the fax's document (once it is in progress)."""
    deadline = time.monotonic() + limit
    while True:
        code, out, _ = run(capsys, "get", fax_id, "--json")
        fax = json.loads(out) if code == 0 else {}
        if fax.get("hasFile") or time.monotonic() > deadline:
            return fax
        time.sleep(0.05)


def test_send_prints_one_line_with_the_id_and_status(account, pdf, capsys):
    code, out, err = run(capsys, "send", str(pdf), "--to", "(989) 898-9898")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 1
    fax_id, to, status = lines[0].split()
    assert len(fax_id) >= 8
    assert to == TEST_NUMBER
    assert status in ("QUEUED", "IN_PROGRESS", "COMPLETED")


def test_send_json_to_two_recipients_is_an_array_of_two(account, pdf, capsys):
    faxes = send_json(capsys, str(pdf), "--to", TEST_NUMBER, "--to", "+1 415 555 0123")
    assert [fax["to"] for fax in faxes] == [TEST_NUMBER, "+14155550123"]
    assert len({fax["id"] for fax in faxes}) == 2
    assert all(fax["direction"] == "OUTBOUND" and "from_" not in fax for fax in faxes)


def test_a_label_shows_up_in_get_json(account, pdf, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER, "--label", "ticket=T-42")
    code, out, err = run(capsys, "get", sent["id"], "--json")
    assert (code, err) == (0, "")
    fetched = json.loads(out)
    assert fetched["id"] == sent["id"]
    assert fetched["labels"] == {"ticket": "T-42"}
    assert fetched["createTime"].endswith("Z")


def test_get_without_json_shows_the_fax(account, pdf, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER)
    code, out, _ = run(capsys, "get", sent["id"])
    assert code == 0
    assert f"Id:         {sent['id']}" in out.splitlines()
    assert f"To:         {TEST_NUMBER}" in out.splitlines()


def test_list_json_finds_the_sent_faxes_and_filters_by_prefix(account, pdf, capsys):
    sent = send_json(capsys, str(pdf), "--to", TEST_NUMBER, "--to", "+14155550123")
    code, out, err = run(capsys, "list", "--json", "--all")
    assert code == 0
    assert "only the prior week" in err
    listed = {fax["id"]: fax["to"] for fax in json.loads(out)}
    assert {fax["id"]: fax["to"] for fax in sent}.items() <= listed.items()

    code, out, err = run(capsys, "list", "--json", "--to", "415-555", "--since", "2020-01-01")
    assert (code, err) == (0, "")
    numbers = {fax["to"] for fax in json.loads(out)}
    assert numbers == {"+14155550123"}


def test_list_table_has_a_header_row(account, pdf, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER)
    code, out, _ = run(capsys, "list", "--direction", "outbound")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["TIME", "DIRECTION", "FROM", "TO", "PAGES", "STATUS", "ID"]
    [row] = [row for row in rows if row.endswith(sent["id"])]
    assert row.split()[2:6] == ["outbound", sent["from"], TEST_NUMBER, "3"]


def test_download_writes_the_pdf_and_refuses_to_overwrite(account, pdf, home, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER)
    assert wait_for_file(capsys, sent["id"])["hasFile"] is True
    code, out, err = run(capsys, "download", sent["id"])
    expected = home / f"{sent['id']}.pdf"
    assert (code, err) == (0, "")
    assert out.strip() == str(expected)
    assert count_pages_in_file(expected) == 3

    expected.write_bytes(b"keep me")
    code, out, err = run(capsys, "download", sent["id"])
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk download: ")
    assert "already exists" in err
    assert expected.read_bytes() == b"keep me"

    assert run(capsys, "download", sent["id"], "--force")[0] == 0
    assert count_pages_in_file(expected) == 3
    other = home / "out" / "copy.pdf"
    assert run(capsys, "download", sent["id"], "-o", str(other))[0] == 0
    assert count_pages_in_file(other) == 3


def test_a_bad_number_is_named_and_exits_2(account, pdf, capsys):
    code, out, err = run(capsys, "send", str(pdf), "--to", "555-CALL-NOW")
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk send: ")
    assert "555-CALL-NOW" in err
    assert len(err.splitlines()) == 1


def test_a_missing_file_exits_2(account, home, capsys):
    code, out, err = run(capsys, "send", str(home / "nope.pdf"), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == f"faxdesk send: {home / 'nope.pdf'} does not exist.\n"


def test_a_file_that_is_not_a_pdf_is_named_and_exits_2(account, home, capsys):
    text = home / "notes.txt"
    text.write_text("not a fax")
    code, out, err = run(capsys, "send", str(text), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == f"faxdesk send: {text} is not a readable PDF.\n"


def test_a_wrong_secret_says_check_your_key(account, pdf, monkeypatch, capsys):
    monkeypatch.setenv("FAXDESK_KEY_SECRET", "not-the-secret")
    code, out, err = run(capsys, "list", "--json")
    assert (code, out) == (1, "")
    last = err.splitlines()[-1]
    assert last.startswith("faxdesk list: ")
    assert "check your key id, key secret and project id" in last
    assert "not-the-secret" not in err


def test_an_unreachable_service_says_so(account, monkeypatch, capsys):
    monkeypatch.setenv("FAXDESK_BASE_URL", "http://127.0.0.1:9")
    code, out, err = run(capsys, "get", "some-fax")
    assert (code, out) == (1, "")
    assert err.startswith("faxdesk get: ")
    assert "could not be reached" in err
    assert "Traceback" not in err


def test_no_account_and_no_sandbox_exits_2(home, capsys):
    code, out, err = run(capsys, "list")
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk list: no Sinch account is configured")
    assert "faxdesk account" in err
    assert "--sandbox" in err
    assert len(err.splitlines()) == 1


def test_sandbox_flag_runs_against_a_sandbox_started_for_the_command(home, capsys):
    code, out, _ = run(capsys, "list", "--sandbox", "--json")
    assert code == 0
    assert json.loads(out) == []
    assert (home / "home" / "data" / "sandbox.sqlite3").exists()
