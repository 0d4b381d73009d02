"""Python's cycle collector, run only on the GUI thread.

Left automatic, the collector runs in whichever thread happens to allocate when a threshold is
crossed, often an `asyncio.to_thread` worker reading the archive; a Qt object freed there is
destroyed from the wrong thread (Qt warns "Timers cannot be stopped from another thread", and
can crash). So automatic collection is switched off and a timer on the GUI thread collects,
generation by generation, when the counts say it is due. This is the pattern qutebrowser and
others use (https://pydev.blogspot.com/2014/03/should-python-garbage-collector-be.html). It
decides nothing else about memory.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


def collect_if_due() -> int:
    """Collect the oldest generation whose count passed its threshold; returns it, or -1."""
    counts = gc.get_count()
    thresholds = gc.get_threshold()
    due = -1
    for generation in range(len(counts)):
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            due = generation
    if due >= 0:
        gc.collect(due)
    return due


class MainThreadCollector(QObject):
    """Turns automatic collection off while it runs, and collects on its timer instead."""

    INTERVAL_MS = 1000

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(collect_if_due)

    def start(self) -> None:
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
