"""`benchmarks/run.py`: results in DESIGN's format, and a clear word when a baseline's tool is
missing. The benchmarks themselves are timed elsewhere; these tests only check the reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
FORMAT_KEYS = {"name", "value", "unit", "baseline", "baseline_value", "ratio", "goal"}


@pytest.fixture
def run(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import run as module

    yield module
    for name in ("run", "list_bench", "outbox_bench", "preview_bench", "timing"):
        sys.modules.pop(name, None)


def test_the_issue_s_benchmarks_are_registered_by_name(run):
    for name in ("fax_conversion", "preview_first_page", "preview_memory"):
        assert name in run.BENCHMARKS


def test_without_ghostscript_the_conversion_says_so_and_has_no_ratio(
    run, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(run.shutil, "which", lambda _name: None)
    monkeypatch.setattr(run, "_FAX_PAGES", 2)
    out = tmp_path / "results.json"
    assert run.main(["fax_conversion", "--json", str(out)]) == 0
    [result] = json.loads(out.read_text())
    assert result.keys() >= FORMAT_KEYS
    assert result["name"] == "fax_conversion"
    assert result["unit"] == "pages/s"
    assert result["value"] > 0
    assert (result["baseline_value"], result["ratio"]) == (None, None)
    assert result["note"].startswith("Ghostscript (gs) is not installed")
    captured = capsys.readouterr()
    assert "apt-get install ghostscript" in captured.err
    # The table says it too, under the result.
    assert "Ghostscript (gs) is not installed" in captured.out


def test_a_result_without_a_value_is_printed_not_a_crash(run, monkeypatch, capsys):
    def unmeasured(_workdir: Path) -> dict[str, object]:
        return {
            "name": "preview_memory",
            "value": None,
            "unit": "MB",
            "note": "psutil is not installed, so memory was not measured.",
            "baseline": None,
            "baseline_value": None,
            "ratio": None,
            "goal": "< 300 MB",
        }

    monkeypatch.setitem(run.BENCHMARKS, "preview_memory", unmeasured)
    assert run.main(["preview_memory"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("preview_memory")
    assert " - MB" in lines[0]
    assert "psutil is not installed" in lines[1]
    assert json.loads(lines[-1])[0]["value"] is None
