"""Run FaxDesk's benchmarks and print their figures; `--json FILE` also writes them.

Each benchmark measures FaxDesk and a baseline in the same run on the same input, because
these machines are shared and noisy: absolute times drift, ratios hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pymupdf

from faxdesk.documents.pages import make_test_pdf
from faxdesk.services.previews import PageRenderer

WIDTH = 800


def _median_time(run: Callable[[], object], repeats: int = 7) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _scanned_pdf(path: Path, pages: int = 3) -> None:
    """Letter pages each carrying a 200 dpi greyscale scan, like most faxes people receive."""
    doc = pymupdf.open(stream=make_test_pdf(pages), filetype="pdf")
    scan = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 1700, 2200), False)
    scan.set_rect(scan.irect, (235,))
    for y in range(0, 2200, 40):
        scan.set_rect(pymupdf.IRect(100, y, 1600, y + 12), (30,))
    for page in doc:
        page.insert_image(page.rect, pixmap=scan)
    doc.save(path)
    doc.close()


def preview_page(workdir: Path) -> dict[str, object]:
    """A preview page through the worker pool, against rendering it in-process."""
    path = workdir / "preview.pdf"
    _scanned_pdf(path)

    def bare() -> object:
        with pymupdf.open(path) as doc:
            page = doc[1]
            zoom = WIDTH / page.rect.width
            matrix = pymupdf.Matrix(zoom, zoom)
            return bytes(page.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY).samples)

    loop = asyncio.new_event_loop()
    renderer = PageRenderer()
    try:
        loop.run_until_complete(renderer.warm_up())
        value = _median_time(lambda: loop.run_until_complete(renderer.render(path, 1, WIDTH)))
    finally:
        renderer.shutdown()
        loop.close()
    baseline = _median_time(bare)
    return {
        "name": "preview_page",
        "value": round(value, 4),
        "unit": "s",
        "baseline": "bare pymupdf render in-process",
        "baseline_value": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "goal": "<= 1.5",
    }


BENCHMARKS: dict[str, Callable[[Path], dict[str, object]]] = {"preview_page": preview_page}


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
        print(
            f"{result['name']:<20} {result['value']:>9} {result['unit']}  "
            f"baseline {result['baseline_value']} ({result['baseline']})  "
            f"ratio {result['ratio']}  goal {result['goal']}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
