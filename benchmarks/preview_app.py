"""The FaxDesk window previewing a fax, offscreen, for the preview benchmarks of `run.py`.

`run.py` starts this as a child process with FAXDESK_HOME pointing at a folder whose sandbox
already holds the fax to preview, and watches the child's memory from outside. It prints one
line of JSON with what it measured:

    python preview_app.py first-page   select the fax again and again: seconds from selecting
                                       it to its first page painted, and a bare PyMuPDF
                                       render of that page at the same size, in this process
    python preview_app.py scroll-all   select the fax and page through all of it (thumbnails
                                       shown, part of it at 200 %), waiting for every page
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Callable

REPEATS = 11
STEP_LIMIT = 60.0


async def _until(predicate: Callable[[], object]) -> None:
    async with asyncio.timeout(STEP_LIMIT):
        while not predicate():  # noqa: ASYNC110 - widget state has nothing to await
            await asyncio.sleep(0.005)


async def _scenario(mode: str) -> dict[str, object]:
    from faxdesk.app import open_session
    from faxdesk.config.paths import Paths
    from faxdesk.config.settings import Settings
    from faxdesk.ui import preview as preview_module
    from faxdesk.ui.main_window import MainWindow

    painted: list[float] = []
    strip_paint = preview_module._PageStrip.paintEvent

    def timed_paint(strip, event) -> None:  # type: ignore[no-untyped-def]
        strip_paint(strip, event)
        if strip.pages and strip.pages[0].image is not None:
            painted.append(time.perf_counter())

    # Note when the first page has been painted, as the user sees it.
    preview_module._PageStrip.paintEvent = timed_paint  # type: ignore[method-assign]

    paths = Paths.default()
    paths.ensure()
    window = MainWindow(sandbox=True)
    window.resize(1280, 800)
    window.show()
    session = await open_session(window, paths, Settings(), sandbox_time_scale=0.05)
    try:
        model = window.fax_list.model
        await _until(lambda: model.rowCount() > 0 and model.fax_at(0).has_file)
        fax = model.fax_at(0)
        pane = window.preview
        table = window.fax_list.table

        async def select() -> float:
            table.clearSelection()
            await _until(lambda: pane.key is None)
            # The user selects a fax while FaxDesk is idle: no page of the last one is still
            # being rendered.
            await asyncio.sleep(0.3)
            painted.clear()
            start = time.perf_counter()
            window.fax_list.select_fax(fax.id)
            await _until(lambda: painted)
            return painted[0] - start

        # The first selection downloads the PDF into the archive; later ones read it there.
        await select()
        if mode == "first-page":
            path = paths.documents_dir / "sandbox" / f"{fax.id}.pdf"
            width = pane.page_image(0).width()
            from preview_bench import bare_render

            def bare() -> bytes:
                return bare_render(path, 0, width)

            bare()  # warm-up
            times, bare_times = [], []
            # Taken in turns, so the noise of a shared machine weighs on both alike.
            for _ in range(REPEATS):
                times.append(await select())
                start = time.perf_counter()
                bare()
                bare_times.append(time.perf_counter() - start)
            return {
                "value": statistics.median(times),
                "baseline_value": statistics.median(bare_times),
                "page_width": width,
            }
        pane.set_thumbnails_visible(True)
        for index in range(pane.page_count):
            if index == 40:
                pane.set_zoom_percent(200)
            elif index == 80:
                pane.fit_width()
            pane.go_to_page(index)
            await _until(lambda index=index: pane.page_image(index) is not None)
        return {"pages": pane.page_count}
    finally:
        await session.close()


def main() -> int:
    mode = sys.argv[1]
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(_scenario(mode))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
