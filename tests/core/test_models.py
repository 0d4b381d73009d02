from __future__ import annotations

from faxdesk.core.models import Direction, FaxPage, FaxStatus


def test_unknown_status_is_kept_not_raised():
    status = FaxStatus("PAUSED")
    assert status == "PAUSED"
    assert not status.is_final
    assert FaxStatus("COMPLETED") is FaxStatus.COMPLETED


def test_final_statuses():
    assert FaxStatus.COMPLETED.is_final
    assert FaxStatus.FAILURE.is_final
    assert not FaxStatus.QUEUED.is_final
    assert not FaxStatus.IN_PROGRESS.is_final


def test_unknown_direction_is_kept():
    assert Direction("SIDEWAYS") == "SIDEWAYS"


def test_page_has_more_until_the_last_page():
    assert FaxPage(faxes=(), page=1, page_size=10, total_items=25, total_pages=3).has_more
    assert not FaxPage(faxes=(), page=3, page_size=10, total_items=25, total_pages=3).has_more
    assert not FaxPage(faxes=(), page=1, page_size=10, total_items=0, total_pages=0).has_more
