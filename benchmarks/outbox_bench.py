"""The outbox benchmarks: faxes submitted per second, and memory while a large document uploads.

`outbox_throughput` sends the same faxes to a sandbox process over loopback twice in one run:
through the outbox (documents copied, journal synced at every step) and as bare httpx posts of
the same multipart bodies, and reports the ratio of faxes per second. `outbox_upload_memory`
uploads a 50 MB document through the outbox in a fresh process and reports how far its peak
RSS grew above its resident size at the start (Linux: it reads /proc). Run through
`benchmarks/run.py`; this file also serves as that fresh process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pymupdf

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.core.models import TEST_NUMBER, Document, SendRequest
from faxdesk.core.outbox import EntryChanged, OutboxEntry, OutboxState
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process
from faxdesk.services.outbox import Outbox, OutboxTiming
from faxdesk.store.outbox import OutboxStore

#: Faxes per measured run, and runs (after one warm-up) of each way of sending.
FAXES = 40
RUNS = 5
#: 50 MB, decimal: with the PDF and multipart around it, the request stays under the 50 MiB the
#: sandbox accepts (`faxdesk.sandbox.guards.MAX_BODY_BYTES`).
LARGE_DOCUMENT = 50 * 1000 * 1000
SECRET_ENV = "OUTBOX_BENCH_KEY_SECRET"
#: No polling while measuring: only submitting counts.
TIMING = OutboxTiming(poll_interval=3600.0)


def _api(http: httpx.AsyncClient, url: str, project: str, key: str, secret: str) -> FaxApiClient:
    return FaxApiClient(http, base_url=url, project_id=project, auth=BasicAuth(key, secret))


async def _through_outbox(sandbox: SandboxProcess, pdf: Path, folder: Path) -> float:
    """Seconds from the first Send until every fax is submitted, through a fresh outbox."""
    await asyncio.to_thread(folder.mkdir, parents=True)
    config = sandbox.config
    http = create_http_client()
    store = OutboxStore(folder / "outbox.sqlite3")
    try:
        api = _api(http, sandbox.origin, config.project_id, config.key_id, config.key_secret)
        outbox = Outbox(api, store, folder / "outbox", timing=TIMING)
        await outbox.open()
        submitted: set[int] = set()
        failed: list[str] = []
        done = asyncio.Event()

        def heard(event: object) -> None:
            if not isinstance(event, EntryChanged):
                return
            if event.entry.state is OutboxState.SUBMITTED:
                submitted.add(event.entry.id)
                if len(submitted) == FAXES:
                    done.set()
            elif event.entry.state is OutboxState.FAILED:
                # A refused fax would never be submitted: stop and say why, never wait forever.
                failed.append(event.entry.last_error)
                done.set()

        outbox.subscribe(heard)
        runner = asyncio.create_task(outbox.run())
        start = time.perf_counter()
        for _ in range(FAXES):
            await outbox.submit(SendRequest(to=(TEST_NUMBER,), documents=(Document(pdf),)))
        await done.wait()
        elapsed = time.perf_counter() - start
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        if failed:
            raise RuntimeError(f"The sandbox refused a fax sent through the outbox: {failed[0]}")
        return elapsed
    finally:
        store.close()
        await http.aclose()


async def _bare_posts(sandbox: SandboxProcess, pdf: Path) -> float:
    """Seconds for the same faxes as bare httpx multipart posts, one after the other."""
    config = sandbox.config
    url = f"{sandbox.api_base_url}/faxes"
    auth = httpx.BasicAuth(config.key_id, config.key_secret)
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.perf_counter()
        for _ in range(FAXES):
            content = await asyncio.to_thread(pdf.read_bytes)
            answer = await client.post(
                url,
                auth=auth,
                data={"to": TEST_NUMBER},
                files=[("file", (pdf.name, content, "application/pdf"))],
            )
            answer.raise_for_status()
        return time.perf_counter() - start


def outbox_throughput(workdir: Path) -> dict[str, object]:
    """Faxes per second submitted through the outbox, against bare posts of the same files."""
    pdf = workdir / "letter.pdf"
    pdf.write_bytes(make_test_pdf(2))
    outbox_times, bare_times = [], []
    with sandbox_process(SandboxConfig(port=0, time_scale=0.01)) as sandbox:
        for run in range(RUNS + 1):
            # Alternate, so drift on a shared machine hits both alike; run 0 warms up.
            outbox_time = asyncio.run(_through_outbox(sandbox, pdf, workdir / f"outbox-{run}"))
            bare_time = asyncio.run(_bare_posts(sandbox, pdf))
            if run:
                outbox_times.append(outbox_time)
                bare_times.append(bare_time)
    value = FAXES / statistics.median(outbox_times)
    baseline = FAXES / statistics.median(bare_times)
    return {
        "name": "outbox_throughput",
        "value": round(value, 2),
        "unit": "faxes/s",
        "baseline": "bare httpx multipart posts of the same file to the same sandbox",
        "baseline_value": round(baseline, 2),
        "ratio": round(value / baseline, 2),
        "goal": ">= 0.7",
    }


def _padded_pdf(path: Path, size: int) -> None:
    """A one-page PDF of about `size` bytes: the page is small, an attachment is the rest."""
    doc = pymupdf.open(stream=make_test_pdf(1), filetype="pdf")
    doc.embfile_add("scan.bin", os.urandom(size))
    doc.save(path)
    doc.close()


def outbox_upload_memory(workdir: Path) -> dict[str, object]:
    """Peak RSS growth of a process while it sends a 50 MB document through the outbox."""
    pdf = workdir / "large.pdf"
    _padded_pdf(pdf, LARGE_DOCUMENT)
    growths = []
    with sandbox_process(SandboxConfig(port=0, time_scale=0.01)) as sandbox:
        config = sandbox.config
        for run in range(RUNS):
            data = workdir / f"memory-{run}"
            command = [
                sys.executable, __file__, "memory-child", "--pdf", str(pdf),
                "--data", str(data), "--url", sandbox.origin,
                "--project", config.project_id, "--key", config.key_id,
            ]  # fmt: skip
            child = subprocess.run(
                command,
                env={**os.environ, SECRET_ENV: config.key_secret},
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            if child.returncode != 0:
                raise RuntimeError(f"The upload through the outbox failed: {child.stderr.strip()}")
            growths.append(json.loads(child.stdout)["growth_bytes"])
    growth_mb = statistics.median(growths) / 1024 / 1024
    return {
        "name": "outbox_upload_memory",
        "value": round(growth_mb, 1),
        "unit": "MB peak RSS growth, 50 MB document",
        "baseline": None,
        "baseline_value": None,
        "ratio": None,
        "goal": "<= 10",
    }


async def _memory_child(args: argparse.Namespace) -> int:
    await asyncio.to_thread(args.data.mkdir, parents=True)
    http = create_http_client()
    store = OutboxStore(args.data / "outbox.sqlite3")
    try:
        api = _api(http, args.url, args.project, args.key, os.environ[SECRET_ENV])
        outbox = Outbox(api, store, args.data / "outbox", timing=TIMING)
        await outbox.open()
        ended: list[OutboxEntry] = []
        over = asyncio.Event()

        def heard(event: object) -> None:
            final = (OutboxState.SUBMITTED, OutboxState.FAILED)
            if isinstance(event, EntryChanged) and event.entry.state in final:
                ended.append(event.entry)
                over.set()

        outbox.subscribe(heard)
        # Everything is loaded and warm: from here on, growth is the upload's.
        before = _current_rss()
        runner = asyncio.create_task(outbox.run())
        await outbox.submit(SendRequest(to=(TEST_NUMBER,), documents=(Document(args.pdf),)))
        await over.wait()
        after = _peak_rss()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
    finally:
        store.close()
        await http.aclose()
    if ended[0].state is OutboxState.FAILED:
        sys.stderr.write(f"The sandbox refused the fax: {ended[0].last_error}\n")
        return 1
    sys.stdout.write(json.dumps({"growth_bytes": after - before}) + "\n")
    return 0


def _status_kb(field: str) -> int:
    """A `kB` figure from /proc/self/status (Linux), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


def _current_rss() -> int:
    """Resident memory now, after starting the peak count over from here."""
    # Linux: "5" resets the process's peak RSS (VmHWM) to its current size. getrusage's
    # ru_maxrss cannot serve: it survives execve, so this child would inherit the peak of the
    # benchmark process that started it (which built the 50 MB document in memory).
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _peak_rss() -> int:
    return _status_kb("VmHWM")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["memory-child"])
    parser.add_argument("--pdf", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--key", required=True)
    return asyncio.run(_memory_child(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
