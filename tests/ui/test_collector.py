from __future__ import annotations

import gc

from faxdesk.ui.collector import MainThreadCollector, collect_if_due


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collection_runs_only_when_a_threshold_is_passed(qapp) -> None:
    gc.collect()
    assert collect_if_due() == -1
    threshold = gc.get_threshold()[0]
    for _ in range(threshold + 10):
        _Cycle()
    assert collect_if_due() >= 0
    assert gc.get_count()[0] < threshold


def test_the_collector_turns_automatic_collection_off_while_it_runs(qapp) -> None:
    gc.enable()
    try:
        collector = MainThreadCollector()
        collector.start()
        assert not gc.isenabled()
        collector.stop()
        assert gc.isenabled()
    finally:
        gc.disable()  # as the test session keeps it
