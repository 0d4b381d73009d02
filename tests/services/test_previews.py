from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from faxdesk.core.errors import DocumentError
from faxdesk.documents.pages import make_test_pdf
from faxdesk.services.previews import PageRenderer


@pytest.fixture
def renderer():
    result = PageRenderer()
    yield result
    result.shutdown()


async def test_renders_pages_in_a_worker(renderer: PageRenderer, tmp_path):
    path = tmp_path / "two.pdf"
    path.write_bytes(make_test_pdf(2))
    assert await renderer.page_count(path) == 2
    page = await renderer.render(path, 1, 425)
    assert (page.index, page.width, page.height) == (1, 425, 550)


async def test_reads_page_sizes_and_renders_turned_pages_in_a_worker(
    renderer: PageRenderer, tmp_path
):
    path = tmp_path / "three.pdf"
    path.write_bytes(make_test_pdf(3))
    info = await renderer.document_info(path)
    assert info.page_sizes == ((612, 792),) * 3
    page = await renderer.render(path, 2, 300, 90)
    assert (page.index, page.width, page.height) == (2, 300, 232)
    start = await renderer.preview_start(path, 200)
    assert start.page_count == 3
    assert (start.first_page.width, start.first_page.height) == (200, 259)


async def test_worker_errors_arrive_as_document_errors(renderer: PageRenderer, tmp_path):
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"not a pdf")
    with pytest.raises(DocumentError, match=r"bad\.pdf is not a readable PDF"):
        await renderer.page_count(path)


async def test_a_preview_started_at_once_renders_the_file_found_on_a_thread(
    renderer: PageRenderer, tmp_path
):
    path = tmp_path / "three.pdf"
    path.write_bytes(make_test_pdf(3))
    looked_up_on: list[str] = []

    def locate() -> Path:
        looked_up_on.append(threading.current_thread().name)
        return path

    job = renderer.start_preview(locate, 200)
    found = await job.result()
    assert found is not None
    found_path, start = found
    assert found_path == path
    assert start.page_count == 3
    assert (start.first_page.width, start.first_page.height) == (200, 259)
    assert looked_up_on != [threading.current_thread().name]  # not on the event loop


async def test_a_preview_started_for_no_file_or_a_bad_one_says_so(renderer: PageRenderer, tmp_path):
    assert await renderer.start_preview(lambda: None, 200).result() is None
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    with pytest.raises(DocumentError, match=r"bad\.pdf is not a readable PDF"):
        await renderer.start_preview(lambda: bad, 200).result()


async def test_a_preview_cancelled_before_its_file_is_looked_for_is_never_started(
    renderer: PageRenderer, tmp_path
):
    path = tmp_path / "one.pdf"
    path.write_bytes(make_test_pdf(1))
    locating = threading.Event()
    go_on = threading.Event()
    looked_for: list[str] = []

    def slow_locate() -> Path:
        locating.set()
        go_on.wait(10)
        return path

    def locate_second() -> Path:
        looked_for.append("second")
        return path

    first = renderer.start_preview(slow_locate, 200)
    assert await asyncio.to_thread(locating.wait, 10)
    second = renderer.start_preview(locate_second, 200)
    second.cancel()  # a newer selection came before the file of this one was looked for
    go_on.set()
    assert await first.result() is not None
    with pytest.raises(asyncio.CancelledError):
        await second.result()
    assert looked_for == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # An exited process nobody has reaped yet is a zombie: gone for our purposes.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\tZ" in status.read_text().split("State:")[1][:4])


def test_workers_do_not_outlive_a_killed_parent(tmp_path):
    # A parent that starts a worker, prints its pid, then is killed without any cleanup.
    script = textwrap.dedent(
        """
        import asyncio, sys
        from faxdesk.services.previews import PageRenderer

        async def main():
            renderer = PageRenderer()
            await renderer.warm_up()
            pids = list(renderer._pool._processes)
            print(pids[0], flush=True)
            await asyncio.sleep(60)

        if __name__ == "__main__":
            asyncio.run(main())
        """
    )
    (tmp_path / "parent.py").write_text(script)
    parent = subprocess.Popen(
        [sys.executable, str(tmp_path / "parent.py")], stdout=subprocess.PIPE, text=True
    )
    worker = int(parent.stdout.readline())
    assert _alive(worker)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker)
