"""`faxdesk send` and `faxdesk render` convert documents here before anything is uploaded:
any kind of input, encrypted PDFs with --password, local cover pages, and the page and upload
limits of the settings. Sends go to a real sandbox server started once for the module."""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

from faxdesk.cli import main
from faxdesk.config.paths import HOME_ENV, Paths
from faxdesk.core.models import TEST_NUMBER
from faxdesk.documents.convert import OFFICE_ENV
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process
from tests.fakes import documents as make


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxProcess]:
    with sandbox_process(SandboxConfig(port=0, time_scale=0.05)) as running:
        yield running


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def account(home, server, monkeypatch) -> SandboxProcess:
    monkeypatch.setenv("FAXDESK_BASE_URL", server.origin)
    monkeypatch.setenv("FAXDESK_PROJECT_ID", server.config.project_id)
    monkeypatch.setenv("FAXDESK_KEY_ID", server.config.key_id)
    monkeypatch.setenv("FAXDESK_KEY_SECRET", server.config.key_secret)
    monkeypatch.setenv("FAXDESK_AUTH", "basic")
    return server


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(home: Path, name: str, content: bytes) -> Path:
    path = home / name
    path.write_bytes(content)
    return path


def sent_fax(capsys, home: Path, *argv: str) -> tuple[dict, pymupdf.Document, str]:
    """Send, then fetch the fax and its document back from the service once it has it."""
    code, out, err = run(capsys, "send", *argv, "--to", TEST_NUMBER, "--json")
    assert code == 0, err
    [fax] = json.loads(out)
    deadline = time.monotonic() + 20
    while not fax.get("hasFile") and time.monotonic() < deadline:
        time.sleep(0.05)
        code, got, _ = run(capsys, "get", fax["id"], "--json")
        fax = json.loads(got) if code == 0 else fax
    target = home / f"{fax['id']}.pdf"
    code, _, download_err = run(capsys, "download", fax["id"], "-o", str(target))
    assert code == 0, download_err
    return fax, pymupdf.open(target), err


def test_every_kind_of_file_is_converted_and_fitted_before_it_is_sent(account, home, capsys):
    files = [
        write(home, "wide.pdf", make.pdf([(792.0, 612.0)])),
        write(home, "photo.png", make.image(format="PNG")),
        write(home, "notes.txt", "Grüße\fpage two\n".encode()),
        write(home, "fax.tif", make.tiff(2, dpi=(204, 196))),
    ]
    fax, doc, err = sent_fax(capsys, home, *map(str, files))
    assert err == ""
    assert fax["numberOfPages"] == doc.page_count == 6
    for page in doc:
        assert (page.rect.width, page.rect.height) == (612, 792)
    # The landscape page went out turned to portrait, its text reading upwards.
    assert doc[0].get_text("dict")["blocks"][0]["lines"][0]["dir"] == pytest.approx((0, -1))
    assert "Grüße" in doc[2].get_text()


def test_the_documents_are_fitted_to_the_paper_asked_for(home, tmp_path):
    from faxdesk.services import commands

    letter = write(home, "letter.pdf", make.pdf([make.LETTER] * 2))
    for paper, size in (("a4", (595, 842)), ("letter", (612, 792))):
        folder = tmp_path / paper
        folder.mkdir()
        prepared = commands.prepare_fax([letter], folder, paper=paper)
        assert (prepared.page_count, prepared.notices) == (2, ())
        [document] = prepared.documents
        # In a folder of its own, so the upload keeps the document's own name.
        assert document.path.parent.parent == folder
        assert document.filename == "letter.pdf"
        assert prepared.size == document.path.stat().st_size
        with pymupdf.open(document.path) as doc:
            assert [(round(p.rect.width), round(p.rect.height)) for p in doc] == [size] * 2


def test_an_encrypted_pdf_needs_its_password_and_goes_out_decrypted(
    account, home, capsys, monkeypatch
):
    locked = write(home, "locked.pdf", make.encrypted_pdf(user_pw="s3cret"))
    code, out, err = run(capsys, "send", str(locked), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == (
        f"faxdesk send: {locked} is protected by a password. Give it with --password "
        "(or --password - to type it on standard input).\n"
    )
    code, _, err = run(capsys, "send", str(locked), "--to", TEST_NUMBER, "--password", "nope")
    assert code == 2
    assert err == f"faxdesk send: the password for {locked} is not right.\n"

    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    _, doc, _ = sent_fax(capsys, home, str(locked), "--password", "-")
    assert not doc.is_encrypted
    assert "Secret 1" in doc[0].get_text()


@pytest.mark.parametrize("terminal", [False, True])
def test_a_password_stdin_that_ends_first_gives_no_password(home, capsys, monkeypatch, terminal):
    locked = write(home, "locked.pdf", make.encrypted_pdf(user_pw="s3cret"))
    if terminal:  # Ctrl+D at the hidden prompt

        def ctrl_d(*_args):
            raise EOFError

        monkeypatch.setattr("faxdesk.cli._interactive", lambda: True)
        monkeypatch.setattr("getpass.getpass", ctrl_d)
    else:
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, out, err = run(capsys, "send", str(locked), "--to", TEST_NUMBER, "--password", "-")
    assert (code, out) == (2, "")
    assert err.lstrip("\n") == "faxdesk send: no password given on standard input.\n"


def test_a_cover_page_from_the_shipped_template_goes_first(account, home, capsys):
    letter = write(home, "letter.pdf", make.pdf([make.LETTER] * 2))
    fax, doc, _ = sent_fax(
        capsys,
        home,
        str(letter),
        "--cover",
        "default",
        "--cover-field",
        "subject=Überweisung 紹介状",
        "--cover-field",
        "from=Clínica São José",
    )
    assert fax["numberOfPages"] == doc.page_count == 3
    cover = doc[0].get_text()
    for text in ("FAX", "Überweisung 紹介状", "Clínica São José", "3, this page included"):
        assert text in cover
    assert "989" in cover  # the recipient, filled in by FaxDesk
    assert "Page 1" in doc[1].get_text()


def test_a_cover_page_template_of_the_users_own(account, home, capsys):
    template = write(home, "clinic.html", b"<h1>{{ward}}</h1><p>{{pageCount}} pages</p>")
    letter = write(home, "letter.pdf", make.pdf())
    _, doc, err = sent_fax(
        capsys, home, str(letter), "--cover", str(template), "--cover-field", "ward=Ward 4B"
    )
    assert err == ""
    assert "Ward 4B" in doc[0].get_text()
    assert "2 pages" in doc[0].get_text()


def settings_with(home: Path, **values: object) -> None:
    path = Paths.default().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))


def test_the_page_limit_is_checked_before_any_account_is_needed(home, capsys):
    settings_with(home, max_pages=3)
    first = write(home, "first.pdf", make.pdf([make.LETTER] * 2))
    second = write(home, "second.pdf", make.pdf([make.LETTER] * 2))
    code, out, err = run(capsys, "send", str(first), str(second), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == (
        "faxdesk send: the fax has 4 pages; FaxDesk is set to send at most 3 in one fax. Send "
        "the documents as several faxes, or raise the page limit in the settings.\n"
    )


def test_a_pdf_over_the_page_limit_is_refused_by_name_before_it_is_converted(home, capsys):
    settings_with(home, max_pages=2)
    long = write(home, "long.pdf", make.pdf([make.LETTER] * 3))
    code, out, err = run(capsys, "send", str(long), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == (
        f"faxdesk send: {long} has 3 pages; FaxDesk is set to send at most 2 in one fax. Send "
        "it as several faxes, or raise the page limit in the settings.\n"
    )


def test_the_upload_limit_is_checked_before_upload(home, capsys):
    settings_with(home, max_upload_mb=1)
    from PIL import Image

    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    photo = write(home, "noise.png", buffer.getvalue())
    code, _, err = run(capsys, "send", str(photo), "--to", TEST_NUMBER)
    assert code == 2
    assert err.startswith("faxdesk send: the fax's documents come to ")
    assert "FaxDesk is set to upload at most 1.0 MB for one fax." in err


def test_a_cover_field_without_a_cover_is_refused(home, capsys):
    letter = write(home, "letter.pdf", make.pdf())
    code, _, err = run(capsys, "send", str(letter), "--to", TEST_NUMBER, "--cover-field", "a=b")
    assert code == 2
    assert err == "faxdesk send: --cover-field needs --cover.\n"


def test_a_word_file_without_libreoffice_goes_to_the_service_as_it_is(
    account, home, capsys, monkeypatch
):
    monkeypatch.setenv(OFFICE_ENV, str(home / "no-soffice"))
    letter = write(home, "letter.docx", make.docx(["Hello"]))
    code, out, err = run(capsys, "send", str(letter), "--to", TEST_NUMBER)
    assert code == 0
    assert len(out.splitlines()) == 1
    assert err == (
        f"faxdesk send: {letter} goes to the fax service as it is, to be converted there: "
        "install LibreOffice to check its pages and fit them to the paper before sending.\n"
    )


def test_a_damaged_word_file_is_refused_when_the_service_would_convert_it(
    account, home, capsys, monkeypatch
):
    monkeypatch.setenv(OFFICE_ENV, str(home / "no-soffice"))
    fake = write(home, "fake.docx", b"PK\x03\x04junk that is no zip archive")
    code, out, err = run(capsys, "send", str(fake), "--to", TEST_NUMBER)
    assert (code, out) == (2, "")
    assert err == (
        f"faxdesk send: {fake} is named like a Word document but is not one (it may be damaged).\n"
    )


def test_render_takes_any_kind_of_file_and_a_password(home, capsys):
    locked = write(home, "locked.pdf", make.encrypted_pdf(user_pw="pw"))
    photo = write(home, "photo.jpg", make.image(format="JPEG"))
    out = home / "out"
    code, _, err = run(capsys, "render", str(locked), str(photo), "--out", str(out))
    assert code == 2
    assert "is protected by a password. Give it with --password" in err
    code, _, err = run(
        capsys, "render", str(locked), str(photo), "--out", str(out), "--password", "pw"
    )
    assert code == 0, err
    with pymupdf.open(out / "fax.pdf") as doc:
        assert doc.page_count == 2
        assert "Secret 1" in doc[0].get_text()
    assert (out / "page-002.png").is_file()
