"""Outbox states: which are final, which may still be cancelled."""

from __future__ import annotations

from faxdesk.core.outbox import UNFINISHED_STATES, OutboxState


def test_only_delivered_failed_and_cancelled_are_final():
    final = {state for state in OutboxState if state.is_final}
    assert final == {OutboxState.DELIVERED, OutboxState.FAILED, OutboxState.CANCELLED}
    assert final.isdisjoint(UNFINISHED_STATES)
    assert final | UNFINISHED_STATES == set(OutboxState)


def test_only_entries_that_have_not_gone_out_can_be_cancelled():
    assert {state for state in OutboxState if state.can_cancel} == {
        OutboxState.HELD,
        OutboxState.QUEUED,
    }
