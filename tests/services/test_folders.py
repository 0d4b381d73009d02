"""File names by pattern and claims in a folder that several desks write into."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from faxdesk.core.errors import ValidationError
from faxdesk.core.models import Direction, Fax, FaxStatus
from faxdesk.services.folders import (
    CLAIMS_DIR,
    DEFAULT_PATTERN,
    Busy,
    FaxFolder,
    check_pattern,
    file_name,
    safe_name,
    write_atomically,
)

ARRIVED = datetime(2026, 11, 30, 14, 30, 5, tzinfo=UTC)


def _fax(**fields) -> Fax:
    values = {
        "id": "01JFAX",
        "direction": Direction.INBOUND,
        "status": FaxStatus.COMPLETED,
        "from_": "+14155550123",
        "to": "+12125550100",
        "create_time": ARRIVED,
        "number_of_pages": 3,
    }
    values.update(fields)
    return Fax(**values)


@pytest.fixture
def utc_zone() -> Iterator[None]:
    """Local time is UTC for the test (file names use the desk's local time)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_the_default_pattern_names_a_fax_by_time_sender_and_id(utc_zone):
    assert file_name(DEFAULT_PATTERN, _fax()) == "2026-11-30_143005_14155550123_01JFAX.pdf"


def test_every_pattern_field(utc_zone):
    name = file_name("{contact} to {to}, {pages} pages", _fax(), contact="Dr. Ávila")
    assert name == "Dr. Ávila to 12125550100, 3 pages.pdf"
    assert file_name("{contact}", _fax()) == "14155550123.pdf"
    assert file_name("{sender}", _fax(from_="")) == "unknown.pdf"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("", "is empty"),
        ("{date}/{id}", "leave out / and"),
        ("{date", "without its }"),
        ("{sender_name}", "{sender_name}, which FaxDesk does not know"),
        ("{date:%Y}", "without anything after a : or !"),
    ],
)
def test_bad_patterns_are_refused_in_words(pattern, words):
    with pytest.raises(ValidationError, match=words.replace("(", r"\(").replace("{", r"\{")):
        check_pattern(pattern)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ('a:b*c?"d<e>f|g.pdf', "a_b_c__d_e_f_g.pdf"),
        ("report. ", "report.pdf"),
        ("CON", "_CON.pdf"),
        ("line\nbreak", "line_break.pdf"),
        ("", "fax.pdf"),
        ("x" * 300, "x" * 150 + ".pdf"),
    ],
)
def test_names_are_safe_on_every_system(name, safe):
    assert safe_name(name) == safe


def test_a_claim_is_exclusive_and_names_the_file(tmp_path):
    a = FaxFolder(tmp_path, "desk-a")
    b = FaxFolder(tmp_path, "desk-b")
    claim = a.claim("01JFAX", "fax.pdf")
    assert claim.mine
    assert claim.path == tmp_path / "fax.pdf"
    with pytest.raises(Busy):
        b.claim("01JFAX", "fax.pdf")  # a is still writing
    write_atomically(claim.path, b"%PDF-1.4 a")
    found = b.claim("01JFAX", "whatever-b-would-call-it.pdf")
    assert (found.mine, found.path) == (False, tmp_path / "fax.pdf")
    recorded = json.loads((tmp_path / CLAIMS_DIR / "01JFAX.json").read_text())
    assert (recorded["desk"], recorded["file"]) == ("desk-a", "fax.pdf")


def test_a_claim_abandoned_by_another_desk_is_taken_over_once_stale(tmp_path):
    clock = [1000.0]
    a = FaxFolder(tmp_path, "desk-a", clock=lambda: clock[0])
    b = FaxFolder(tmp_path, "desk-b", clock=lambda: clock[0], stale_after=600)
    a.claim("01JFAX", "fax.pdf")  # desk a crashes before writing
    claim_file = tmp_path / CLAIMS_DIR / "01JFAX.json"
    os.utime(claim_file, (1000.0, 1000.0))
    clock[0] = 1500.0
    with pytest.raises(Busy):
        b.claim("01JFAX", "fax.pdf")
    clock[0] = 1700.0
    taken = b.claim("01JFAX", "fax.pdf")
    assert taken.mine
    assert json.loads(claim_file.read_text())["desk"] == "desk-b"
    assert [p.name for p in (tmp_path / CLAIMS_DIR).iterdir()] == ["01JFAX.json"]


def test_this_desks_own_unfinished_claim_is_taken_over_at_once(tmp_path):
    folder = FaxFolder(tmp_path, "desk-a")
    folder.claim("01JFAX", "fax.pdf")  # the program died while downloading
    again = FaxFolder(tmp_path, "desk-a").claim("01JFAX", "fax.pdf")
    assert again.mine


def test_a_released_claim_can_be_taken_by_another_desk(tmp_path):
    a = FaxFolder(tmp_path, "desk-a")
    a.claim("01JFAX", "fax.pdf")
    a.release("01JFAX")
    assert FaxFolder(tmp_path, "desk-b").claim("01JFAX", "fax.pdf").mine


def test_two_faxes_with_the_same_name_keep_both_files(tmp_path):
    folder = FaxFolder(tmp_path, "desk-a")
    first = folder.claim("01A", "same.pdf")
    write_atomically(first.path, b"%PDF-1.4 one")
    second = folder.claim("01B", "same.pdf")
    assert second.path == tmp_path / "same 01B.pdf"


def test_atomic_writes_leave_no_partial_file(tmp_path):
    target = tmp_path / "fax.pdf"
    write_atomically(target, b"%PDF-1.4 whole")
    assert target.read_bytes() == b"%PDF-1.4 whole"
    assert [p.name for p in tmp_path.iterdir()] == ["fax.pdf"]
