"""`faxdesk render`: fax-mode pages and the fax PDF written into a folder, for scripts."""

from __future__ import annotations

import pymupdf
import pytest

from faxdesk.cli import main
from faxdesk.config import settings
from faxdesk.config.paths import Paths
from faxdesk.core.models import ImageConversionMethod, Resolution
from faxdesk.documents.pages import make_test_pdf
from tests.fakes import documents as make


@pytest.fixture(autouse=True)
def home(paths: Paths) -> Paths:
    """Every test reads the settings of a fresh FaxDesk home, never the user's."""
    return paths


@pytest.fixture
def letter(tmp_path):
    path = tmp_path / "referral.pdf"
    path.write_bytes(make_test_pdf(2))
    return path


def png_size(path) -> tuple[int, int]:
    pix = pymupdf.Pixmap(str(path))
    assert set(pix.samples) <= {0, 255}
    return pix.width, pix.height


def test_render_is_listed_with_its_options(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "    render " in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    out = capsys.readouterr().out
    for option in ("--out", "--superfine", "--monochrome", "--paper", "--header-timezone"):
        assert option in out


def test_render_writes_the_fax_pdf_and_a_png_per_page(tmp_path, letter, capsys):
    out = tmp_path / "out"
    assert main(["render", str(letter), str(letter), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    written = [out / "fax.pdf", *(out / f"page-00{n}.png" for n in range(1, 5))]
    assert captured.out.splitlines() == [str(path) for path in written]
    with pymupdf.open(out / "fax.pdf") as doc:
        assert doc.page_count == 4
    for path in written[1:]:
        assert png_size(path) == (1728, 2156)
    # Not a terminal: no progress, only the estimate.
    assert captured.err.startswith("faxdesk render: 4 pages at FINE, ")
    assert "\r" not in captured.err
    assert len(captured.err.splitlines()) == 1


def test_render_options_change_the_pages(tmp_path, letter, capsys):
    fine, superfine, a4 = (tmp_path / name for name in ("fine", "superfine", "a4"))
    assert main(["render", str(letter), "--out", str(fine), "--monochrome"]) == 0
    assert main(["render", str(letter), "--out", str(superfine), "--superfine"]) == 0
    assert main(["render", str(letter), "--out", str(a4), "--paper", "a4"]) == 0
    assert png_size(superfine / "page-001.png") == (1728, 4301)
    assert png_size(a4 / "page-001.png") == (1728, 2292)
    assert "at SUPERFINE" in capsys.readouterr().err


def test_render_header_options_reach_the_page(tmp_path, letter):
    plain, numbered = tmp_path / "plain", tmp_path / "numbered"
    common = ["render", str(letter), "--header-timezone", "Europe/Berlin"]
    assert main([*common, "--out", str(numbered), "--header-text", "ACME"]) == 0
    assert main([*common, "--out", str(plain), "--no-header-page-numbers"]) == 0

    def header_ink(path, x0, x1):
        pix = pymupdf.Pixmap(str(path))
        samples, rows = pix.samples, 40
        return sum(
            1 for y in range(rows) for x in range(x0, x1) if samples[y * pix.stride + x] == 0
        )

    # The page number prints on the right, the header text in the middle.
    assert header_ink(numbered / "page-002.png", 1300, 1728) > 0
    assert header_ink(plain / "page-002.png", 1300, 1728) == 0
    assert header_ink(numbered / "page-001.png", 700, 1000) > 0
    assert header_ink(plain / "page-001.png", 700, 1000) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.pdf"], "missing.pdf does not exist."),
        (["notes.xyz"], "notes.xyz cannot be faxed"),
        (["referral.pdf", "--header-timezone", "Mars/Olympus"], "'Mars/Olympus' is not a time"),
        (["referral.pdf", "--header-text", "x" * 51], "at most 50 characters"),
        (["referral.pdf", "broken.pdf"], "broken.pdf is incomplete"),
    ],
)
def test_bad_input_exits_2_with_the_reason(tmp_path, letter, monkeypatch, capsys, args, message):
    (tmp_path / "notes.xyz").write_bytes(bytes(range(256)))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7 and then nothing")
    monkeypatch.chdir(tmp_path)
    assert main(["render", *args, "--out", "out"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("faxdesk render: ")
    assert message in err
    assert not (tmp_path / "out").exists()


def test_an_output_that_is_a_file_is_bad_input(tmp_path, letter, capsys):
    target = tmp_path / "taken"
    target.write_text("")
    assert main(["render", str(letter), "--out", str(target)]) == 2
    assert capsys.readouterr().err == f"faxdesk render: {target} is not a folder.\n"


def test_an_unwritable_folder_exits_1(tmp_path, letter, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "fax.pdf").mkdir()  # writing the PDF there fails
    assert main(["render", str(letter), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"faxdesk render: could not write to {out}: ")


def test_progress_goes_to_a_terminal_only(tmp_path, letter, monkeypatch, capsys):
    monkeypatch.setattr("faxdesk.cli._stderr_is_terminal", lambda: True)
    assert main(["render", str(letter), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "\rRendering page 1 of 2\rRendering page 2 of 2\n" in err


def test_render_takes_any_document_the_fax_takes(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("Call Dr. Smith back about the referral.\n\fSecond page.\n")
    out = tmp_path / "out"
    assert main(["render", str(notes), "--out", str(out), "--paper", "a4"]) == 0
    with pymupdf.open(out / "fax.pdf") as doc:
        assert doc.page_count == 2
        assert doc[0].rect.width == pytest.approx(595.276, abs=0.01)
    assert png_size(out / "page-002.png") == (1728, 2292)
    assert "2 pages at FINE" in capsys.readouterr().err


def test_an_encrypted_pdf_needs_its_password(tmp_path, capsys):
    doc = pymupdf.open(stream=make_test_pdf(1), filetype="pdf")
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(
        doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    )
    out = tmp_path / "out"
    assert main(["render", str(locked), "--out", str(out)]) == 2
    assert "protected by a password. Give it with --password." in capsys.readouterr().err
    assert main(["render", str(locked), "--out", str(out), "--password", "nope"]) == 2
    assert capsys.readouterr().err == (f"faxdesk render: the password for {locked} is not right.\n")
    assert main(["render", str(locked), "--out", str(out), "--password", "u"]) == 0
    assert png_size(out / "page-001.png") == (1728, 2156)


def test_options_not_given_follow_the_settings(tmp_path, letter, home: Paths, capsys):
    saved = settings.Settings(
        paper_size=settings.PaperSize.A4,
        sending=settings.SendingDefaults(
            resolution=Resolution.SUPERFINE,
            image_conversion_method=ImageConversionMethod.MONOCHROME,
        ),
    )
    settings.save(saved, home.settings_file)
    assert main(["render", str(letter), "--out", str(tmp_path / "a")]) == 0
    assert png_size(tmp_path / "a" / "page-001.png") == (1728, 4572)
    assert main(["render", str(letter), "--out", str(tmp_path / "b"), "--fine"]) == 0
    assert png_size(tmp_path / "b" / "page-001.png") == (1728, 2292)
    assert "at FINE" in capsys.readouterr().err.splitlines()[-1]


def test_a_repaired_pdf_is_rendered_and_the_repair_is_said(tmp_path, capsys):
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(make.broken_xref_pdf(2))
    out = tmp_path / "out"
    assert main(["render", str(edited), "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"faxdesk render: {edited} was damaged and has been repaired; check its pages."
    )
    assert err[-1].startswith("faxdesk render: 2 pages at FINE, ")
    assert png_size(out / "page-002.png") == (1728, 2156)
