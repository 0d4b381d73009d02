from __future__ import annotations

import pytest

from faxdesk.core.models import Direction, FaxPage, FaxStatus, Money


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


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("0.1400", "USD", "0.14 USD"),
        ("0.0450", "USD", "0.045 USD"),
        ("3", "EUR", "3.00 EUR"),
        ("0.07", "USD", "0.07 USD"),
        ("n/a", "USD", "n/a USD"),
    ],
)
def test_prices_read_as_money(amount, currency, shown):
    assert str(Money(amount, currency)) == shown
