"""What `faxdesk send` says about an option typed wrong: one line naming the option, before
any document is converted or an account is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from faxdesk.cli import main
from faxdesk.config.paths import HOME_ENV
from faxdesk.core.models import TEST_NUMBER
from faxdesk.documents.pages import make_test_pdf


@pytest.fixture
def pdf(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    for name in ("FAXDESK_PROJECT_ID", "FAXDESK_KEY_ID", "FAXDESK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "letter.pdf"
    path.write_bytes(make_test_pdf(1))
    return path


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (
            ["--label", "a=1", "--label", "a=2"],
            "--label: the label 'a' is given twice ('a=1' and 'a=2'); give each key once.",
        ),
        (
            ["--cover-page-id", "cp-1", "--cover-data", "to=x", "--cover-data", " to=y"],
            "--cover-data: the cover page field 'to' is given twice ('to=x' and ' to=y'); give "
            "each key once.",
        ),
        (["--max-retries", "9"], "--max-retries: the number of retries must be between 0 and 5."),
        (
            ["--retry-delay", "9"],
            "--retry-delay: the retry delay must be between 30 and 300 seconds.",
        ),
        (
            ["--header-text", "x" * 51],
            "--header-text: the header text can be at most 50 characters long.",
        ),
    ],
)
def test_an_option_typed_wrong_is_named_in_one_line(pdf, capsys, flags, line):
    assert main(["send", str(pdf), "--to", TEST_NUMBER, *flags]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"faxdesk send: {line}\n")


def test_render_names_the_header_text_option_too(pdf, capsys, tmp_path):
    argv = ["render", str(pdf), "--out", str(tmp_path / "out"), "--header-text", "x" * 51]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "faxdesk render: --header-text: the header text can be at most 50 characters long.\n"
    )
