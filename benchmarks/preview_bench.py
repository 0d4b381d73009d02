"""FaxDesk's preview benchmarks: a page through the worker pool, the first page of a long fax
in the window, and the memory of the whole app while paging through a very long one.

`run.py` runs these; the window benchmarks start `preview_app.py` as a child process on a
FAXDESK_HOME of their own whose built-in sandbox holds the fax, and watch its processes from
here (with psutil, from FaxDesk's bench extra).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pymupdf
from timing import median_time

from faxdesk.config import settings as settings_io
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.core.models import TEST_NUMBER
from faxdesk.documents.pages import make_test_pdf
from faxdesk.services.previews import PageRenderer

WIDTH = 800


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


def bare_render(path: Path, index: int, width: int) -> bytes:
    """Open the PDF and render page `index` `width` pixels wide in grey, in this process: what
    the preview does, without the worker, the event loop or the window."""
    with pymupdf.open(path) as doc:
        page = doc[index]
        zoom = width / page.rect.width
        matrix = pymupdf.Matrix(zoom, zoom)
        return bytes(page.get_pixmap(matrix=matrix, colorspace=pymupdf.csGRAY).samples)


def preview_page(workdir: Path) -> dict[str, object]:
    """A preview page through the worker pool, against rendering it in-process."""
    path = workdir / "preview.pdf"
    _scanned_pdf(path)

    def bare() -> object:
        return bare_render(path, 1, WIDTH)

    loop = asyncio.new_event_loop()
    renderer = PageRenderer()
    try:
        loop.run_until_complete(renderer.warm_up())
        value = median_time(lambda: loop.run_until_complete(renderer.render(path, 1, WIDTH)))
    finally:
        renderer.shutdown()
        loop.close()
    baseline = median_time(bare)
    return {
        "name": "preview_page",
        "value": round(value, 4),
        "unit": "s",
        "baseline": "bare pymupdf render in-process",
        "baseline_value": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "goal": "<= 1.5",
    }


_FAX_WORDS = ("patient", "referral", "appointment", "insurance", "claim", "dosage", "summary")


def _scan_png(number: int, width: int = 1275, height: int = 1650) -> bytes:
    """A 150 dpi grey scan of a typed page, different for every `number`."""
    data = bytearray(b"\xec" * (width * height))
    for y in range(110, height - 110, 33):
        right = width - 115 - (y * 7 + number * 31) % 300
        for row in range(y, y + 11):
            data[row * width + 110 : row * width + right] = b"\x23" * (right - 110)
    return pymupdf.Pixmap(pymupdf.csGRAY, width, height, bytes(data), False).tobytes("png")


def _fax_pdf(path: Path, pages: int) -> None:
    """A long fax of Letter pages: typed letters, grey forms and scans, each page its own.

    (Quicker to make than `_mixed_pdf`, whose tables take minutes for hundreds of pages.)
    """
    text = " ".join(_FAX_WORDS[(i * 5) % len(_FAX_WORDS)] for i in range(700))
    doc = pymupdf.open()
    for number in range(pages):
        page = doc.new_page(width=612, height=792)
        kind = number % 3
        if kind == 0:
            body = f"Page {number + 1}. {text}"
            page.insert_textbox(pymupdf.Rect(54, 80, 558, 740), body, fontsize=10)
        elif kind == 1:
            page.insert_text((54, 60), f"Page {number + 1}: intake form", fontsize=14)
            for row in range(14):
                y = 90 + row * 44
                field = pymupdf.Rect(54, y + 14, 558, y + 36)
                page.draw_rect(field, color=(0, 0, 0), fill=(0.85, 0.85, 0.85))
        else:
            page.insert_image(page.rect, stream=_scan_png(number))
    doc.save(path, garbage=1, deflate=True)
    doc.close()


def _received_fax_pdf(path: Path, pages: int) -> None:
    """A fax as the service stores a received one: every page a scan at 204 x 196 dpi."""
    doc = pymupdf.open()
    for number in range(pages):
        page = doc.new_page(width=612, height=792)
        page.insert_image(page.rect, stream=_scan_png(number, 1728, 2156))
    doc.save(path, garbage=1, deflate=True)
    doc.close()


def _sandbox_holding(
    workdir: Path, name: str, pages: int, make: Callable[[Path, int], None]
) -> Path:
    """A FAXDESK_HOME whose built-in sandbox holds one fax of `pages` pages made by `make`."""
    home = workdir / name
    pdf = workdir / f"{name}.pdf"
    make(pdf, pages)
    env = {**os.environ, "FAXDESK_HOME": str(home)}
    paths = Paths.under(home)
    paths.ensure()
    # Long faxes are what these benchmarks are about: lift the page limit for them.
    settings_io.save(Settings(max_pages=max(pages, 100)), paths.settings_file)
    command = [sys.executable, "-m", "faxdesk", "send", "--sandbox", str(pdf), "--to", TEST_NUMBER]
    subprocess.run(command, check=True, capture_output=True, env=env)
    return home


def _run_app(
    mode: str, home: Path, on_sample: Callable[[dict[str, int]], None] | None = None
) -> dict:
    """Run `preview_app.py mode` on `home`; every 20 ms while it runs, call `on_sample` with the
    resident bytes of it and of each of its child processes, by what they are."""
    env = {**os.environ, "FAXDESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("FAXDESK_KEY_SECRET", None)  # the benchmark runs on the built-in sandbox
    script = Path(__file__).with_name("preview_app.py")
    child = subprocess.Popen(
        [sys.executable, str(script), mode], stdout=subprocess.PIPE, text=True, env=env
    )
    done = threading.Event()

    def watch() -> None:
        import psutil

        window = psutil.Process(child.pid)
        while not done.wait(0.02):
            try:
                family = [window, *window.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sample: dict[str, int] = {}
            for member in family:
                try:
                    part = _part(member.cmdline(), is_window=member.pid == child.pid)
                    sample[part] = sample.get(part, 0) + member.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            assert on_sample is not None
            on_sample(sample)

    watcher = threading.Thread(target=watch, daemon=True) if on_sample else None
    if watcher is not None:
        watcher.start()
    output, _ = child.communicate(timeout=300)
    done.set()
    if watcher is not None:
        watcher.join()
    if child.returncode != 0:
        raise RuntimeError(f"preview_app.py {mode} failed with exit code {child.returncode}")
    return json.loads(output.strip().splitlines()[-1])


def _part(command: list[str], *, is_window: bool) -> str:
    """What a process of the running app is, from its command line."""
    if is_window:
        return "window"
    text = " ".join(command)
    if "sandbox" in command:
        return "sandbox"
    if "resource_tracker" in text:
        return "multiprocessing resource tracker"
    if "spawn_main" in text:
        return "preview workers"
    return "other"


def preview_first_page(workdir: Path) -> dict[str, object]:
    """Selecting a 100-page received fax in the window until its first page is painted, against
    opening that PDF and rendering its first page at the same size with bare PyMuPDF."""
    home = _sandbox_holding(workdir, "first-page", 100, _received_fax_pdf)
    measured = _run_app("first-page", home)
    value, baseline = float(measured["value"]), float(measured["baseline_value"])
    return {
        "name": "preview_first_page",
        "value": round(value, 4),
        "unit": "s",
        "what": (
            f"100 scanned pages, in the archive; the first shown {measured['page_width']} px wide"
        ),
        "baseline": "bare pymupdf open and render of that page",
        "baseline_value": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "goal": "<= 1.3",
    }


def preview_memory(workdir: Path) -> dict[str, object]:
    """Peak resident memory of the whole app (window, preview workers and the built-in
    sandbox) while paging through a 500-page fax with thumbnails shown."""
    try:
        import psutil  # noqa: F401 - only checked for here; the watcher imports it
    except ImportError:
        note = (
            "psutil is not installed, so memory was not measured; install FaxDesk with its "
            "bench extra (pip install -e '.[bench]') to measure it."
        )
        print(f"preview_memory: {note}", file=sys.stderr)
        return {
            "name": "preview_memory",
            "value": None,
            "unit": "MB",
            "note": note,
            "baseline": None,
            "baseline_value": None,
            "ratio": None,
            "goal": "< 300 MB",
        }
    home = _sandbox_holding(workdir, "memory", 500, _fax_pdf)
    samples: list[dict[str, int]] = []
    measured = _run_app("scroll-all", home, samples.append)
    peak = max(samples, key=lambda sample: sum(sample.values()))
    mb = 2**20
    without_sandbox = max(
        sum(size for part, size in sample.items() if part != "sandbox") for sample in samples
    )
    return {
        "name": "preview_memory",
        "value": round(sum(peak.values()) / mb, 1),
        "unit": "MB",
        "what": (
            f"peak resident memory of every FaxDesk process over {measured['pages']} pages, "
            "with thumbnails shown and forty pages at 200 %"
        ),
        "parts_at_peak_mb": {part: round(size / mb, 1) for part, size in sorted(peak.items())},
        "without_sandbox_mb": round(without_sandbox / mb, 1),
        "baseline": None,
        "baseline_value": None,
        "ratio": None,
        "goal": "< 300 MB",
    }
