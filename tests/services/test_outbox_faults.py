"""Two hundred sends to a sandbox that fails one send in five end in 200 faxes, not more.

The sandbox runs as its own process over loopback with its fault injection on: server errors
and 429s before anything is done, and connections dropped after the fax was recorded, so the
outbox never hears that it was. Whatever happens, each entry must end delivered, with exactly
one fax on the sandbox carrying its submission label.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.core.models import TEST_NUMBER
from faxdesk.core.outbox import SUBMISSION_LABEL, OutboxState
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.faults import FaultSettings
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process
from tests.fakes.faults import SendObserver
from tests.services.outbox_support import (
    QUICK_RETRIES,
    make_outbox,
    request_for,
    running,
    until_final,
    write_pdf,
)

SENDS = 200
NUMBERS = [TEST_NUMBER, *(f"+1415555{n:04d}" for n in range(120, 129))]
FAULTS = FaultSettings(error_rate=0.1, rate_limit_rate=0.02, retry_after_seconds=0, drop_rate=0.1)


def _client(sandbox: SandboxProcess, http: httpx.AsyncClient) -> FaxApiClient:
    return FaxApiClient(
        http,
        base_url=sandbox.origin,
        project_id=sandbox.config.project_id,
        auth=BasicAuth(sandbox.config.key_id, sandbox.config.key_secret),
        retry=QUICK_RETRIES,
    )


async def test_two_hundred_sends_through_faults_make_two_hundred_faxes(tmp_path: Path):
    pdf = write_pdf(tmp_path, pages=1)
    observer = SendObserver(httpx.AsyncHTTPTransport())
    with sandbox_process(SandboxConfig(port=0, time_scale=0.005, faults=FAULTS)) as sandbox:
        http = create_http_client(transport=observer)
        outbox, store = make_outbox(_client(sandbox, http), tmp_path / "data")
        try:
            async with running(outbox):
                for index in range(SENDS):
                    await outbox.submit(request_for(pdf, NUMBERS[index % len(NUMBERS)]))
                entries = await until_final(store, SENDS, limit=110)
        finally:
            store.close()
            await http.aclose()
        sandbox_faxes = _all_faxes_without_faults(sandbox)

    failed_sends = [outcome for outcome in observer.outcomes if outcome != 200]
    assert len(failed_sends) >= SENDS // 10
    dropped = [outcome for outcome in failed_sends if isinstance(outcome, str)]
    refused = [outcome for outcome in failed_sends if outcome in (429, 500, 503)]
    assert len(dropped) >= 5
    assert len(dropped) + len(refused) == len(failed_sends)
    assert {entry.state for entry in entries} == {OutboxState.DELIVERED}
    # Exactly one fax per entry: every label once, and each entry knows its own fax.
    assert len(sandbox_faxes) == SENDS
    labels = Counter(fax["labels"].get(SUBMISSION_LABEL) for fax in sandbox_faxes)
    assert labels == Counter({entry.submission: 1 for entry in entries})
    by_label = {fax["labels"][SUBMISSION_LABEL]: fax for fax in sandbox_faxes}
    for entry in entries:
        fax = by_label[entry.submission]
        assert (fax["id"], fax["to"]) == (entry.fax_id, entry.to)
    # A refused send went once more; a send whose answer was dropped after the fax was
    # recorded was settled by the label search and never sent again.
    assert sum(entry.attempts for entry in entries) == SENDS + len(refused)


def _all_faxes_without_faults(sandbox: SandboxProcess) -> list[dict]:
    """Every outbound fax on the sandbox, listed once its faults are switched off."""
    with httpx.Client(base_url=sandbox.origin, auth=sandbox.auth) as client:
        switched = client.put(
            "/sandbox/faults", json={"errorRate": 0, "rateLimitRate": 0, "dropRate": 0}
        )
        switched.raise_for_status()
        answer = client.get(
            f"/v3/projects/{sandbox.config.project_id}/faxes",
            params={"direction": "OUTBOUND", "pageSize": 1000},
        )
    answer.raise_for_status()
    return answer.json()["faxes"]
