"""Two hundred sends through a network that fails one request in five end in 200 faxes, not more.

The faults (`tests.fakes.faults`) include the ones that lose the answer after the service
created the fax. Whatever happens, each entry must end delivered, with exactly one fax on the
sandbox carrying its submission label.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from faxdesk.core.models import TEST_NUMBER
from faxdesk.core.outbox import SUBMISSION_LABEL, OutboxState
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import in_process_sandbox
from tests.fakes.faults import BEFORE_RECORDING, Fault, FaultyTransport
from tests.services.outbox_support import (
    api_through,
    make_outbox,
    request_for,
    running,
    sandbox_faxes,
    until_final,
    write_pdf,
)

SENDS = 200
NUMBERS = [TEST_NUMBER, *(f"+1415555{n:04d}" for n in range(120, 129))]


async def test_two_hundred_sends_through_faults_make_two_hundred_faxes(tmp_path: Path):
    pdf = write_pdf(tmp_path, pages=1)
    async with in_process_sandbox(SandboxConfig(time_scale=0.001)) as local:
        faults = FaultyTransport(
            local.transport, rate=0.2, kinds=list(Fault), seed=6, sends_only=False
        )
        async with api_through(local, faults) as api, api_through(local) as looker:
            outbox, store = make_outbox(api, tmp_path / "data")
            try:
                async with running(outbox):
                    for index in range(SENDS):
                        await outbox.submit(request_for(pdf, NUMBERS[index % len(NUMBERS)]))
                    entries = await until_final(store, SENDS, limit=110)
            finally:
                store.close()
            faxes = await sandbox_faxes(looker)

    # The run met every kind of fault, answers lost after the fax was created among them.
    assert all(faults.counts[kind] > 0 for kind in Fault)
    assert faults.counts["recorded-then-lost"] >= 5
    assert {entry.state for entry in entries} == {OutboxState.DELIVERED}
    # Exactly one fax per entry: every label once, and each entry knows its own fax.
    assert len(faxes) == SENDS
    labels = Counter(fax.labels.get(SUBMISSION_LABEL) for fax in faxes)
    assert labels == Counter({entry.submission: 1 for entry in entries})
    by_label = {fax.labels[SUBMISSION_LABEL]: fax for fax in faxes}
    for entry in entries:
        fax = by_label[entry.submission]
        assert (fax.id, fax.to) == (entry.fax_id, entry.to)
    # A send that never reached the service was sent once more; one whose answer was lost
    # after the fax was created was settled by the label search, never sent again.
    refused_sends = sum(faults.send_counts[kind] for kind in BEFORE_RECORDING)
    assert sum(entry.attempts for entry in entries) == SENDS + refused_sends
