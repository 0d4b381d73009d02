"""Run FaxDesk's benchmarks and print their figures; `--json FILE` also writes them.

Each benchmark measures FaxDesk and a baseline in the same run on the same input, because
these machines are shared and noisy: absolute times drift, ratios hold. The memory benchmarks
need psutil: install FaxDesk with `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pymupdf

# Run as a script, this folder is on the path: the outbox and preview benchmarks live beside
# this file.
from list_bench import list_data_per_screen, list_filter, list_first_paint, sync_throughput
from outbox_bench import outbox_throughput, outbox_upload_memory
from preview_bench import preview_first_page, preview_memory, preview_page
from timing import median_time

from faxdesk.core.models import ImageConversionMethod, Resolution
from faxdesk.documents import faxmode


def _photo(width: int = 600, height: int = 450) -> bytes:
    """A grey photo-like picture: a lit sphere before a graded sky above a textured floor."""
    data = bytearray(width * height)
    cx, cy, radius = width * 0.6, height * 0.45, height * 0.35
    for y in range(height):
        for x in range(width):
            value = 60 + 150 * x / width
            distance = math.hypot(x - cx, y - cy)
            if distance < radius:
                depth = math.sqrt(radius * radius - distance * distance) / radius
                light = (-(x - cx) - (y - cy)) / (2 * radius) + 0.7 * depth
                value = 30 + 215 * max(0.0, min(1.0, light))
            if y > height * 0.8:
                value = 80 + 40 * math.sin(x / 7) + 30 * math.sin(y / 3)
            data[y * width + x] = int(max(0, min(255, value)))
    return pymupdf.Pixmap(pymupdf.csGRAY, width, height, bytes(data), False).tobytes("png")


def _mixed_pdf(path: Path, pages: int = 50) -> None:
    """Letter pages of what offices fax: letters, grey forms, photos, scans and tables."""
    words = [
        "patient",
        "referral",
        "appointment",
        "insurance",
        "claim",
        "dosage",
        "summary",
        "history",
        "results",
    ]
    photo = _photo()
    scan = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 1700, 2200), False)
    scan.set_rect(scan.irect, (232,))
    for y in range(150, 2050, 44):
        scan.set_rect(pymupdf.IRect(150, y, 1550 - (y * 7) % 400, y + 14), (40,))
    doc = pymupdf.open()
    for number in range(pages):
        page = doc.new_page(width=612, height=792)
        kind = number % 5
        page.insert_text((54, 60), f"Page {number + 1}: mixed fax benchmark", fontsize=14)
        if kind == 0:  # a typed letter
            text = " ".join(words[(i * 7) % len(words)] for i in range(900))
            page.insert_textbox(pymupdf.Rect(54, 80, 558, 740), text, fontsize=10)
        elif kind == 1:  # a form with grey fields
            for row in range(14):
                y = 90 + row * 44
                page.insert_text((54, y + 10), f"Field {row + 1}", fontsize=8)
                shade = 0.8 + 0.015 * (row % 7)
                page.draw_rect(
                    pymupdf.Rect(54, y + 14, 558, y + 36), color=(0, 0, 0), fill=(shade,) * 3
                )
        elif kind == 2:  # a photo with a caption
            page.insert_image(pymupdf.Rect(54, 90, 558, 468), stream=photo)
            page.insert_text((54, 500), "Figure 1: site photo, north wall", fontsize=10)
        elif kind == 3:  # a scanned page
            page.insert_image(page.rect, pixmap=scan)
        else:  # a table
            for row in range(40):
                for col in range(6):
                    cell = pymupdf.Rect(54 + col * 84, 80 + row * 16, 138 + col * 84, 96 + row * 16)
                    page.draw_rect(cell, color=(0, 0, 0), width=0.5)
                    page.insert_text((cell.x0 + 3, cell.y1 - 4), f"{row * col:>7}.00", fontsize=8)
    doc.save(path, garbage=1, deflate=True)
    doc.close()


_FAX_PAGES = 50
_FAX_MODE = faxmode.FaxMode(
    Resolution.FINE,
    ImageConversionMethod.HALFTONE,
    "letter",
    faxmode.FaxHeader("FaxDesk benchmark", sent_at=datetime(2026, 1, 1, tzinfo=UTC)),
)


def _against_ghostscript(
    name: str, workdir: Path, run: Callable[[Path], object], what: str
) -> dict[str, object]:
    """Pages per second of `run` on the mixed document, against gs's tiffg3 device on it."""
    path = workdir / "mixed.pdf"
    if not path.exists():
        _mixed_pdf(path, _FAX_PAGES)
    value = _FAX_PAGES / median_time(lambda: run(path), repeats=5)
    result: dict[str, object] = {
        "name": name,
        "value": round(value, 1),
        "unit": "pages/s",
        "what": what,
        "baseline": "ghostscript tiffg3 at 204x196",
        "baseline_value": None,
        "ratio": None,
        "goal": ">= 1 (faster than ghostscript)",
    }
    gs = shutil.which("gs")
    if gs is None:
        note = (
            "Ghostscript (gs) is not installed, so its tiffg3 baseline was not measured and "
            "there is no ratio; install it (Debian: apt-get install ghostscript) to compare."
        )
        print(f"{name}: {note}", file=sys.stderr)
        result["note"] = note
        return result
    command = [
        gs,
        "-q",
        "-dSAFER",
        "-dBATCH",
        "-dNOPAUSE",
        "-sDEVICE=tiffg3",
        "-r204x196",
        "-sPAPERSIZE=letter",
        "-dFIXEDMEDIA",
        "-dPDFFitPage",
        f"-sOutputFile={workdir / 'gs.tif'}",
        str(path),
    ]
    baseline = _FAX_PAGES / median_time(
        lambda: subprocess.run(command, check=True, capture_output=True), repeats=5
    )
    result["baseline_value"] = round(baseline, 1)
    result["ratio"] = round(value / baseline, 2)
    return result


def fax_conversion(workdir: Path) -> dict[str, object]:
    """A 50-page mixed PDF to fax pages at FINE (bi-level, halftoned, with the header line),
    as the preview and `faxdesk render` make them, against Ghostscript's tiffg3 device."""

    def faxdesk(path: Path) -> object:
        for _page in faxmode.render_fax_pages(path, _FAX_MODE):
            pass
        return None

    return _against_ghostscript(
        "fax_conversion", workdir, faxdesk, "PDF to bi-level fax pages in memory"
    )


def fax_conversion_coded(workdir: Path) -> dict[str, object]:
    """The same, with every page also coded as T.4 (MH) into a file: tiffg3's whole output."""

    def faxdesk(path: Path) -> object:
        with (workdir / "faxdesk.g3").open("wb") as out:
            for page in faxmode.render_fax_pages(path, _FAX_MODE):
                out.write(page.mh())
        return None

    return _against_ghostscript(
        "fax_conversion_coded", workdir, faxdesk, "PDF to T.4-coded fax pages in a file"
    )


BENCHMARKS: dict[str, Callable[[Path], dict[str, object]]] = {
    "preview_page": preview_page,
    "preview_first_page": preview_first_page,
    "preview_memory": preview_memory,
    "fax_conversion": fax_conversion,
    "fax_conversion_coded": fax_conversion_coded,
    "outbox_throughput": outbox_throughput,
    "outbox_upload_memory": outbox_upload_memory,
    "list_first_paint": list_first_paint,
    "list_filter": list_filter,
    "list_data_per_screen": list_data_per_screen,
    "sync_throughput": sync_throughput,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], metavar="NAME")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names or list(BENCHMARKS):
            results.append(BENCHMARKS[name](Path(tmp)))
    for result in results:
        # A benchmark that could not measure (a tool missing) reports None and says why.
        value = "-" if result["value"] is None else result["value"]
        print(
            f"{result['name']:<20} {value:>9} {result['unit']}  "
            f"baseline {result['baseline_value']} ({result['baseline']})  "
            f"ratio {result['ratio']}  goal {result['goal']}"
        )
        if result.get("note"):
            print(f"{'':<20} {result['note']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
