"""The headless commands (`faxdesk send`, `list`, `get`, `download`, `delete-content`,
`services`, `cover-pages`), run in-process through `faxdesk.cli.main` against a real sandbox
server started once for the module."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from faxdesk.cli import main
from faxdesk.config.paths import HOME_ENV
from faxdesk.core.models import TEST_NUMBER
from faxdesk.documents.pages import count_pages_in_file, make_test_pdf
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process
from faxdesk.services import commands

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
    # A file named with -o is the one asked for: it is replaced, as `curl -o` replaces it.
    named = home / "named.pdf"
    named.write_bytes(b"made by the caller, e.g. with mkstemp")
    assert run(capsys, "download", sent["id"], "-o", str(named)) == (0, f"{named}\n", "")
    assert count_pages_in_file(named) == 3
    other = home / "out" / "copy.pdf"
    code, out, err = run(capsys, "download", sent["id"], "-o", str(other))
    assert (code, out) == (2, "")
    assert err == f"faxdesk download: {home / 'out'} does not exist; nothing was downloaded.\n"
    (home / "out").mkdir()
    assert run(capsys, "download", sent["id"], "-o", str(other))[0] == 0
    assert count_pages_in_file(other) == 3


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            "three pages.pdf/x.pdf",
            "three pages.pdf is a file, not a folder; nothing was downloaded.",
        ),
        (
            None,
            "{home}/01HDF5S9P29WC29J578J8EKC1C.pdf already exists; pass --force to replace it.",
        ),
    ],
)
def test_a_download_that_could_not_be_saved_is_refused_before_fetching(
    account, pdf, home, capsys, output, message
):
    # A link to nowhere under the default name is still something the user would lose.
    (home / "01HDF5S9P29WC29J578J8EKC1C.pdf").symlink_to(home / "nowhere.pdf")
    where = ["-o", output] if output is not None else []
    code, out, err = run(capsys, "download", "01HDF5S9P29WC29J578J8EKC1C", *where)
    assert (code, out) == (2, "")
    assert err == f"faxdesk download: {message.format(home=home)}\n"


@pytest.mark.parametrize("fax_id", ["../../etc", "01J9 ZK3", "a?b"])
def test_get_refuses_what_is_not_a_fax_id(home, capsys, fax_id):
    code, out, err = run(capsys, "get", fax_id)
    assert (code, out) == (2, "")
    assert err == f"faxdesk get: {fax_id!r} is not a fax id.\n"


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["send", "x.pdf", "--to", TEST_NUMBER, "--from", ""], "--from"),
        (["send", "x.pdf", "--to", TEST_NUMBER, "--header-timezone", " "], "--header-timezone"),
        (["send", "x.pdf", "--to", TEST_NUMBER, "--service", ""], "--service"),
        (["list", "--service", ""], "--service"),
        (["cover-pages", "--service", ""], "--service"),
    ],
)
def test_an_empty_option_value_is_refused_not_ignored(home, capsys, argv, flag):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err == f"faxdesk {argv[0]}: {flag} was given an empty value.\n"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--page-size", "0"], "--page-size must be 1 to 1000."),
        (["--page-size", "1001"], "--page-size must be 1 to 1000."),
        (["--page", "0"], "--page counts from 1."),
        (
            ["--since", "2026-12-01", "--until", "2026-11-01"],
            "--since 2026-12-01 is after --until 2026-11-01; nothing can match.",
        ),
    ],
)
def test_list_input_is_checked_first_in_one_line(home, capsys, flags, message):
    # No account is configured: the input is still what gets named, and nothing is started.
    code, out, err = run(capsys, "list", *flags)
    assert (code, out) == (2, "")
    assert err == f"faxdesk list: {message}\n"


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["send", "x.pdf", "--to", TEST_NUMBER, "--retry-delay", "abc"],
            "faxdesk send: argument --retry-delay: invalid int value: 'abc' "
            "(see 'faxdesk send --help').",
        ),
        (
            ["send", "x.pdf", "--to", TEST_NUMBER, "--resolution", "ultra"],
            "faxdesk send: argument --resolution: 'ultra' is not one of fine, superfine "
            "(see 'faxdesk send --help').",
        ),
        (
            ["list", "--direction", "sideways"],
            "faxdesk list: argument --direction: 'sideways' is not one of inbound, outbound "
            "(see 'faxdesk list --help').",
        ),
        (
            ["send", "x.pdf"],
            "faxdesk send: the following arguments are required: --to (see 'faxdesk send --help').",
        ),
    ],
)
def test_a_mistyped_command_gets_one_line(home, capsys, argv, line):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", line + "\n")


def test_choices_take_any_letter_case(account, pdf, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER, "--resolution", "SuperFine")
    assert sent["resolution"] == "SUPERFINE"


def test_the_prior_week_note_comes_after_the_listing_and_only_on_success(account, capsys):
    code, out, err = run(capsys, "list", "--json")
    assert code == 0
    json.loads(out)
    assert err == (
        "faxdesk list: without --since, --until or --created the service lists only the "
        "prior week.\n"
    )


def test_an_unknown_fax_id_on_the_service_is_bad_input(account, capsys):
    code, out, err = run(capsys, "get", "01HDF5S9P29WC29J578J8EKC1C")
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk get: the fax service has no such fax:")


def test_a_closed_pipe_ends_the_listing_quietly(account, pdf, capsys, monkeypatch):
    send_json(capsys, str(pdf), "--to", TEST_NUMBER)

    def closed_pipe(*_args, **_kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("builtins.print", closed_pipe)
    assert main(["list", "--json"]) == 141


def test_the_log_goes_to_a_file_not_to_stderr(home, capsys, monkeypatch):
    import logging

    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.delenv("FAXDESK_KEY_SECRET", raising=False)
    monkeypatch.setenv("FAXDESK_PROJECT_ID", "p")
    monkeypatch.setenv("FAXDESK_KEY_ID", "k")

    def no_keyring(*_args):
        import keyring.errors

        raise keyring.errors.NoKeyringError("none")

    monkeypatch.setattr("keyring.get_password", no_keyring)
    code, _out, err = run(capsys, "get", "01HDF5S9P29WC29J578J8EKC1C")
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("faxdesk get: no key secret is stored for key id 'k'.")
    log = home / "home" / "cache" / "commands.log"
    assert "The system keyring is not available: NoKeyringError" in log.read_text()


def test_a_bad_number_is_named_and_exits_2(account, pdf, capsys):
    code, out, err = run(capsys, "send", str(pdf), "--to", "555-CALL-NOW")
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk send: ")
    assert "555-CALL-NOW" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--to", "+15551"], "faxdesk send: --to: “+15551” has too few or too many digits.\n"),
        (
            ["--to", TEST_NUMBER, "--from", "123"],
            "faxdesk send: --from: “123” has too few or too many digits.\n",
        ),
    ],
)
def test_a_bad_number_names_its_option(home, pdf, capsys, flags, line):
    code, out, err = run(capsys, "send", str(pdf), *flags)
    assert (code, out, err) == (2, "", line)


def test_a_number_in_full_international_form_goes_to_the_service_as_typed(account, pdf, capsys):
    # phonenumbers knows no 555 area code, but a well-formed E.164 number is the service's
    # to judge: metadata newer than the installed package must not stop a script's fax. (The
    # sender must be one of the project's numbers: the sandbox's own.)
    [sent] = send_json(capsys, str(pdf), "--to", "+1 (555) 555-0100", "--from", "+1 415 555 0100")
    assert (sent["to"], sent["from"]) == ("+15555550100", "+14155550100")


def test_a_missing_file_exits_2(account, home, capsys):
    code, out, err = run(capsys, "send", str(home / "nope.pdf"), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == f"faxdesk send: {home / 'nope.pdf'} does not exist.\n"


def test_a_file_that_only_looks_like_a_pdf_is_named_and_exits_2(account, home, capsys):
    fake = home / "notes.pdf"
    fake.write_text("not a fax")
    code, out, err = run(capsys, "send", str(fake), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == f"faxdesk send: {fake} is named like a PDF but is not one.\n"


def test_a_kind_of_file_the_service_does_not_take_exits_2(account, home, capsys):
    sheet = home / "budget.xlsx"
    sheet.write_bytes(b"PK\x03\x04 a spreadsheet")
    code, out, err = run(capsys, "send", str(sheet), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == (
        f"faxdesk send: {sheet} cannot be faxed: FaxDesk does not convert .xlsx files; use PDF, "
        "PNG, JPEG, GIF, BMP, TIFF, text, HTML or Word (.docx, .doc, .odt).\n"
    )


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


def test_a_fax_sent_with_sandbox_is_delivered_by_a_later_command(home, pdf, capsys):
    # Each command starts its own sandbox and stops it when done; the fax must move on with
    # the time that passed in between, as it would on the service.
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER, "--sandbox")
    assert sent["status"] == "QUEUED"
    deadline = time.monotonic() + 30
    seen = []
    while time.monotonic() < deadline:
        code, out, _ = run(capsys, "get", sent["id"], "--json", "--sandbox")
        assert code == 0
        seen.append(json.loads(out)["status"])
        if seen[-1] == "COMPLETED":
            break
    assert seen[-1] == "COMPLETED", seen
    code, out, err = run(capsys, "download", sent["id"], "--sandbox")
    assert (code, err) == (0, "")
    assert count_pages_in_file(Path(out.strip())) == 3


# --- every option of send, checked before anything is started ---------------------------------


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--header-text", "x" * 51], "header text"),
        (["--max-retries", "6"], "retries"),
        (["--retry-delay", "10"], "retry delay"),
        (["--header-timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["--callback-json"], "--callback-json needs --callback-url"),
        (["--callback-url", "ftp://hooks.example.com/x"], "callback URL"),
        (["--cover-data", "to_name=Dr. Smith"], "cover page"),
        (["--cover-page-id", "cp-1", "--cover-data", "=x"], "'=x' is not KEY=VALUE"),
        (["--label", "novalue"], "'novalue' is not KEY=VALUE"),
    ],
)
def test_a_bad_send_option_is_named_before_an_account_is_needed(home, pdf, capsys, flags, named):
    # No account is configured: a message about the option, not about the account, shows
    # that options are checked first.
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER, *flags)
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk send: ")
    assert named in err
    assert len(err.splitlines()) == 1


def test_zero_retries_and_no_page_numbers_reach_the_service(account, pdf, capsys):
    [sent] = send_json(
        capsys, str(pdf), "--to", TEST_NUMBER, "--max-retries", "0", "--no-header-page-numbers"
    )
    assert sent["maxRetries"] == 0
    assert sent["headerPageNumbers"] is False


def test_callback_json_sets_the_callback_content_type(account, pdf, capsys):
    [sent] = send_json(
        capsys,
        str(pdf),
        "--to",
        TEST_NUMBER,
        "--callback-url",
        "https://hooks.example.com/fax",
        "--callback-json",
    )
    assert sent["callbackUrlContentType"] == "application/json"


# --- list: --created and --csv ----------------------------------------------------------------


def test_list_created_today_finds_todays_fax(account, pdf, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER)
    today = sent["createTime"][:10]
    code, out, err = run(capsys, "list", "--json", "--all", "--created", today)
    assert (code, err) == (0, "")
    assert sent["id"] in {fax["id"] for fax in json.loads(out)}

    code, out, err = run(capsys, "list", "--json", "--created", "2001-02")
    assert (code, err) == (0, "")
    assert json.loads(out) == []


@pytest.mark.parametrize("created", ["2026-13", "26-01-01", "2026-02-30", "yesterday"])
def test_list_created_must_be_a_date_prefix(home, capsys, created):
    code, out, err = run(capsys, "list", "--created", created)
    assert (code, out) == (2, "")
    assert err.startswith(f"faxdesk list: '{created}' is not a year (2026), month")


def test_list_created_and_since_together_is_refused(home, capsys):
    code, _, err = run(capsys, "list", "--created", "2026", "--since", "2026-01-01")
    assert code == 2
    assert err == "faxdesk list: use --created or --since/--until, not both.\n"


def test_list_csv_prints_the_export_with_its_header(account, pdf, capsys):
    sent = send_json(capsys, str(pdf), "--to", TEST_NUMBER, "--label", 'case=A, "B"')
    code, out, err = run(capsys, "list", "--csv", "--since", "2020-01-01")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows, out
    assert list(rows[0])[:4] == ["Id", "Direction", "From", "To"]
    [row] = [row for row in rows if row["Id"] == sent[0]["id"]]
    assert row["To"] == TEST_NUMBER
    assert 'A, "B"' in row["Labels"]


def test_list_json_and_csv_together_is_refused(home, capsys):
    with pytest.raises(SystemExit) as refused:
        main(["list", "--json", "--csv"])
    assert refused.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# --- delete-content, services, cover pages ----------------------------------------------------


def test_delete_content_keeps_the_record_and_the_pdf_is_gone(account, pdf, home, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER)
    assert wait_for_file(capsys, sent["id"])["hasFile"] is True
    code, out, err = run(capsys, "delete-content", sent["id"])
    assert (code, err) == (0, "")
    assert out == (
        f"Deleted the document of fax {sent['id']}; the fax record stays on the service.\n"
    )
    code, out, _ = run(capsys, "get", sent["id"], "--json")
    assert json.loads(out)["hasFile"] is False
    code, out, err = run(capsys, "download", sent["id"])
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk download: the fax service has no such fax or file")
    assert not (home / f"{sent['id']}.pdf").exists()
    # The service answers a second delete as it did the first; the fax tells it was done.
    code, out, err = run(capsys, "delete-content", sent["id"])
    assert (code, err) == (0, "")
    assert out == (
        f"Fax {sent['id']} had no document on the service (it was deleted already); the fax "
        "record stays.\n"
    )


def test_download_prints_the_full_path_into_a_folder_named_as_typed(account, pdf, home, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER)
    assert wait_for_file(capsys, sent["id"])["hasFile"] is True
    (home / "faxes").mkdir()
    code, out, err = run(capsys, "download", sent["id"], "-o", "faxes")
    assert (code, err) == (0, "")
    assert out == f"{home / 'faxes' / sent['id']}.pdf\n"


def test_delete_content_of_an_unknown_fax_exits_2(account, capsys):
    code, out, err = run(capsys, "delete-content", "01NOSUCHFAX0000000000000000")
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk delete-content: ")
    assert len(err.splitlines()) == 1


def test_services_lists_the_default_service(account, capsys):
    code, out, err = run(capsys, "services")
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["ID", "NAME", "DEFAULT"]
    assert header.endswith("SENDS FROM")
    # The sandbox's own number is its default service's, to send from.
    assert any(
        "Default service" in row and " yes " in row and row.endswith(" +14155550100")
        for row in rows
    )

    code, out, _ = run(capsys, "services", "--json")
    services = json.loads(out)
    [default] = [service for service in services if service["defaultForProject"]]
    assert default["name"] == "Default service"
    assert default["projectId"] == account.config.project_id


def test_services_of_a_deployment_that_lists_no_numbers_are_still_shown(
    account, monkeypatch, capsys
):
    def deployment(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/numbers"):
            return httpx.Response(404, text="Not Found")
        service = {"id": "01SV", "name": "Main", "defaultFrom": "+14155550199"}
        return httpx.Response(200, json={"services": [service], "page": 1, "totalPages": 1})

    monkeypatch.setattr(
        commands,
        "create_http_client",
        lambda *_a, **_k: httpx.AsyncClient(transport=httpx.MockTransport(deployment)),
    )
    code, out, err = run(capsys, "services")
    assert (code, err) == (0, "")
    [row] = out.splitlines()[1:]
    assert row.split() == ["01SV", "Main", "no", "+14155550199", "-", "-", "-", "-"]


def test_cover_pages_of_the_default_service(account, capsys):
    code, out, err = run(capsys, "cover-pages", "--json")
    assert (code, err) == (0, "")
    before = json.loads(out)
    code, out, _ = run(capsys, "services", "--json")
    [default] = [service for service in json.loads(out) if service["defaultForProject"]]
    added = add_cover_page(account, default["id"], "Clinic cover")
    code, out, err = run(capsys, "cover-pages", "--json", "--service", default["id"])
    assert (code, err) == (0, "")
    pages = json.loads(out)
    assert len(pages) == len(before) + 1
    assert {"id": added, "name": "Clinic cover"}.items() <= next(
        page for page in pages if page["id"] == added
    ).items()
    code, out, _ = run(capsys, "cover-pages")
    assert any(line.startswith(added) and "Clinic cover" in line for line in out.splitlines())


def test_cover_pages_of_an_unknown_service_name_the_service_and_exit_2(account, capsys):
    code, out, err = run(capsys, "cover-pages", "--service", "01NOSUCHSERVICE000000000000")
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk cover-pages: the fax service has no such service")


def add_cover_page(server: SandboxProcess, service_id: str, name: str) -> str:
    """Add a cover page to the sandbox the way an admin's script would, and return its id."""
    url = f"{server.origin}/v3/projects/{server.config.project_id}/services/{service_id}/coverPages"
    body = {
        "name": name,
        "file": {"fileContent": base64.b64encode(make_test_pdf(1)).decode(), "fileType": "PDF"},
    }
    response = httpx.post(
        url, json=body, auth=(server.config.key_id, server.config.key_secret), timeout=10
    )
    response.raise_for_status()
    return str(response.json()["id"])


# --- OAuth2 -----------------------------------------------------------------------------------


def test_oauth2_account_gets_a_token_from_the_auth_url(account, pdf, monkeypatch, capsys):
    monkeypatch.setenv("FAXDESK_AUTH", "oauth2")
    monkeypatch.setenv("FAXDESK_AUTH_URL", account.origin)
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)[0]["to"] == TEST_NUMBER


def test_oauth2_with_a_wrong_secret_says_check_your_key(account, monkeypatch, capsys):
    monkeypatch.setenv("FAXDESK_AUTH", "oauth2")
    monkeypatch.setenv("FAXDESK_KEY_SECRET", "wrong-secret")
    code, out, err = run(capsys, "list", "--auth-url", account.origin)
    assert (code, out) == (1, "")
    assert "check your key id, key secret and project id" in err
    assert "wrong-secret" not in err


# --- what the service refuses -----------------------------------------------------------------


def test_a_422_from_the_service_names_the_field(account, pdf, monkeypatch, capsys):
    body = {
        "code": 400,
        "status": "INVALID_ARGUMENT",
        "message": "Invalid fields in request.",
        "details": [
            {
                "type": "BadRequest",
                "fieldViolations": [{"field": "from", "description": "Not a number you own."}],
            }
        ],
    }
    service_answers(monkeypatch, httpx.Response(422, json=body))
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER)
    # The service refused what was typed: bad input, like the commands' own checks.
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk send: ")
    assert "from" in err
    assert "Not a number you own." in err
    assert len(err.splitlines()) == 1


def test_a_402_says_the_account_needs_funds(account, monkeypatch, capsys):
    body = {"code": "402", "error": "Payment Required", "message": "Insufficient funds."}
    service_answers(monkeypatch, httpx.Response(402, json=body))
    code, out, err = run(capsys, "get", "01SOMEFAX")
    assert (code, out) == (1, "")
    assert err.startswith("faxdesk get: ")
    assert "Insufficient funds" in err


def service_answers(monkeypatch, response: httpx.Response) -> None:
    """Route the commands' HTTP client to a fake service that gives this one answer."""

    def transport_for(*_args, **_kwargs) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(lambda _request: response))

    monkeypatch.setattr(commands, "create_http_client", transport_for)


def test_list_status_must_be_a_known_status(home, capsys):
    with pytest.raises(SystemExit) as refused:
        main(["list", "--status", "complete"])
    assert refused.value.code == 2
    assert "'complete' is not one of queued, in_progress, completed, failure" in (
        capsys.readouterr().err
    )


def test_on_a_terminal_send_and_download_show_progress(account, pdf, home, monkeypatch, capsys):
    monkeypatch.setattr("faxdesk.cli._stderr_is_terminal", lambda: True)
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER)
    assert code == 0
    assert err.startswith("\rUploading ")
    # The whole multipart body is counted: the PDF and the form fields around it.
    assert re.search(r"\rUploading 100% \((\d+) KB of \1 KB\)\n\Z", err), err
    fax_id = out.split()[0]
    assert wait_for_file(capsys, fax_id)["hasFile"] is True
    code, out, err = run(capsys, "download", fax_id)
    assert code == 0
    assert err.startswith("\rDownloading ")
    assert "100%" in err.splitlines()[-1]
    assert out.strip() == str(home / f"{fax_id}.pdf")


def test_transfer_line_reads_naturally():
    assert commands.transfer_line("Uploading", 1_300_000, 3_100_000) == (
        "Uploading 41% (1.3 MB of 3.1 MB)"
    )
    assert commands.transfer_line("Downloading", 2_500_000, None) == "Downloading 2.5 MB"
    assert commands.transfer_line("Uploading", 300, 42_000) == "Uploading 0% (1 KB of 42 KB)"


def test_a_failure_after_a_partial_progress_line_starts_a_line_of_its_own(monkeypatch, capsys):
    from faxdesk import cli

    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    report = cli._progress("Uploading")
    assert report is not None
    report(590_000, 3_000_000)
    assert cli._fail("faxdesk send: the fax service could not be reached.", 1) == 1
    assert capsys.readouterr().err == (
        "\rUploading 19% (590 KB of 3.0 MB)\nfaxdesk send: the fax service could not be reached.\n"
    )


def test_ctrl_c_during_a_send_says_the_fax_may_have_gone(account, pdf, monkeypatch, capsys):
    async def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "send", interrupted)
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER)
    assert (code, out) == (130, "")
    assert err == (
        "faxdesk send: interrupted. The fax may or may not have been sent: check 'faxdesk "
        "list' before sending it again.\n"
    )


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("Connection reset by peer"),
    ],
)
def test_a_send_whose_answer_was_lost_warns_before_a_script_sends_it_again(
    account, pdf, monkeypatch, capsys, failure
):
    def lost(request: httpx.Request) -> httpx.Response:
        failure.request = request
        raise failure

    monkeypatch.setattr(
        commands,
        "create_http_client",
        lambda *_a, **_k: httpx.AsyncClient(transport=httpx.MockTransport(lost)),
    )
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER)
    assert (code, out) == (1, "")
    assert err.endswith(
        " The fax may or may not have been sent: check 'faxdesk list' before sending it again.\n"
    )


def test_a_send_refused_at_the_door_does_not_warn(account, pdf, monkeypatch, capsys):
    # Nothing reached the service, so sending again is safe and the message says nothing more.
    monkeypatch.setenv("FAXDESK_BASE_URL", "http://127.0.0.1:9")
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER)
    assert (code, out) == (1, "")
    assert "could not be reached" in err
    assert "may or may not" not in err


def test_a_send_answer_naming_no_fax_warns_too(account, pdf, monkeypatch, capsys):
    service_answers(monkeypatch, httpx.Response(200, json={"faxes": []}))
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER)
    assert (code, out) == (1, "")
    assert err == (
        "faxdesk send: the fax service sent an answer FaxDesk could not read. The fax may or "
        "may not have been sent: check 'faxdesk list' before sending it again.\n"
    )


@pytest.mark.parametrize(("status", "warns"), [(500, True), (502, True), (504, True), (503, False)])
def test_a_send_the_service_failed_on_warns_unless_it_was_not_let_in(
    account, pdf, monkeypatch, capsys, status, warns
):
    service_answers(monkeypatch, httpx.Response(status, json={"message": "Upstream trouble."}))
    code, out, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER, "--json")
    assert (code, out) == (1, "")
    assert err.startswith(f"faxdesk send: the fax service failed on its side (HTTP {status})")
    assert len(err.splitlines()) == 1
    assert ("The fax may or may not have been sent" in err) is warns


def test_a_list_the_service_failed_on_does_not_talk_of_sending(account, monkeypatch, capsys):
    service_answers(monkeypatch, httpx.Response(500))
    code, out, err = run(capsys, "list")
    assert (code, out) == (1, "")
    assert err == "faxdesk list: the fax service failed on its side (HTTP 500).\n"


def test_converted_copies_are_removed_however_the_send_ends(home, pdf, monkeypatch, capsys):
    import tempfile

    scratch = home / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    # Converted, then no account: the command fails after the copies were made.
    code, _, err = run(capsys, "send", str(pdf), "--to", TEST_NUMBER)
    assert code == 2
    assert "no Sinch account is configured" in err
    assert list(scratch.iterdir()) == []
    # A bad option is found before anything is converted at all.
    code, _, _ = run(capsys, "send", str(pdf), "--to", TEST_NUMBER, "--label", "novalue")
    assert code == 2
    assert list(scratch.iterdir()) == []


def test_the_upload_keeps_each_documents_own_name(account, pdf, monkeypatch, capsys):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "01HDF5S9P29WC29J578J8EKC1C", "status": "QUEUED"})

    monkeypatch.setattr(
        commands,
        "create_http_client",
        lambda *_a, **_k: httpx.AsyncClient(transport=httpx.MockTransport(answer)),
    )
    assert run(capsys, "send", str(pdf), "--to", TEST_NUMBER)[0] == 0
    assert b'filename="three pages.pdf"' in seen[0].content


def test_download_never_replaces_a_device_and_writes_through_a_link(account, pdf, home, capsys):
    [sent] = send_json(capsys, str(pdf), "--to", TEST_NUMBER)
    wait_for_file(capsys, sent["id"])
    code, out, err = run(capsys, "download", sent["id"], "-o", "/dev/null", "--force")
    assert (code, out) == (2, "")
    assert err == (
        "faxdesk download: /dev/null is not a regular file; FaxDesk saves faxes only as "
        "regular files.\n"
    )
    target = home / "kept.pdf"
    target.write_bytes(b"old")
    (home / "link.pdf").symlink_to(target)
    code, out, err = run(capsys, "download", sent["id"], "-o", "link.pdf", "--force")
    assert (code, err) == (0, "")
    assert (home / "link.pdf").is_symlink()
    assert count_pages_in_file(target) == 3


def test_a_download_folder_with_a_trailing_slash_must_exist(account, home, capsys):
    code, out, err = run(capsys, "download", "01HDF5S9P29WC29J578J8EKC1C", "-o", "nosuchdir/")
    assert (code, out) == (2, "")
    assert err == "faxdesk download: nosuchdir does not exist; nothing was downloaded.\n"
    assert not (home / "nosuchdir").exists()


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["list", "--since", ""], "--since"),
        (["list", "--until", ""], "--until"),
        (["list", "--created", ""], "--created"),
        (["send", "x.pdf", "--to", TEST_NUMBER, "--content-url", ""], "--content-url"),
        (["get", "01HDF5S9P29WC29J578J8EKC1C", "--project-id", ""], "--project-id"),
        (["services", "--base-url", " "], "--base-url"),
    ],
)
def test_more_empty_values_are_refused(home, capsys, argv, flag):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err == f"faxdesk {argv[0]}: {flag} was given an empty value.\n"


def test_a_fault_in_faxdesk_itself_is_one_line_with_the_details_in_the_log(
    account, home, monkeypatch, capsys
):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("a bug, not a failure of the service")

    monkeypatch.setattr(commands, "get", broken)
    code, out, err = run(capsys, "get", "01HDF5S9P29WC29J578J8EKC1C")
    log = home / "home" / "cache" / "commands.log"
    assert (code, out) == (1, "")
    assert err == (
        f"faxdesk get: FaxDesk failed unexpectedly (RuntimeError); the details are in {log}.\n"
    )
    written = log.read_text()
    assert "Traceback" in written
    assert "a bug, not a failure of the service" in written


def test_a_broken_keyring_backend_is_no_keyring_not_a_crash(home, monkeypatch, capsys):
    monkeypatch.setenv("FAXDESK_PROJECT_ID", "p")
    monkeypatch.setenv("FAXDESK_KEY_ID", "k")

    def broken(*_args):
        raise RuntimeError("no D-Bus session")

    monkeypatch.setattr("keyring.get_password", broken)
    code, out, err = run(capsys, "get", "01HDF5S9P29WC29J578J8EKC1C")
    assert (code, out) == (2, "")
    assert err.startswith("faxdesk get: no key secret is stored for key id 'k'.")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--header-text", "a\nb"], "--header-text: the header text is one line"),
        (["--header-timezone", ""], "--header-timezone was given an empty value."),
    ],
)
def test_render_checks_the_header_as_send_does(home, pdf, capsys, flags, message):
    code, out, err = run(capsys, "render", str(pdf), "--out", "out", *flags)
    assert (code, out) == (2, "")
    assert err.startswith(f"faxdesk render: {message}")


def test_render_refuses_an_empty_folder_name(home, pdf, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["render", str(pdf), "--out", ""])
    assert exited.value.code == 2
    assert "the folder name cannot be empty" in capsys.readouterr().err
    assert not (home / "fax.pdf").exists()
