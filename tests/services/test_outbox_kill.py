"""A FaxDesk killed with SIGKILL while sending, and started again, delivers the fax exactly once.

Real processes: the sandbox serves over loopback (uvicorn), and the outbox runs in a child
(`tests.services.outbox_child`) that freezes at a chosen moment of the send, is killed there
with SIGKILL, and is then started again on the same journal.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from faxdesk.core.models import TEST_NUMBER
from faxdesk.core.outbox import SUBMISSION_LABEL
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process
from tests.services.outbox_child import SECRET_ENV, STALLED_ANSWER, STALLED_UPLOAD
from tests.services.outbox_support import padded_pdf

REPO = Path(__file__).resolve().parents[2]
#: Seconds the child may take to reach each step.
STEP = 60.0


def _child(sandbox: SandboxProcess, data: Path, *args: str) -> subprocess.Popen[str]:
    config = sandbox.config
    command = [
        sys.executable, "-m", "tests.services.outbox_child", *args,
        "--data", str(data), "--url", sandbox.origin,
        "--project", config.project_id, "--key", config.key_id,
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, SECRET_ENV: config.key_secret},
    )


def _wait_for_line(process: subprocess.Popen[str], expected: str) -> None:
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.strip())
            if line.strip() == expected:
                return
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=STEP)
        except queue.Empty:
            process.kill()
            pytest.fail(f"the child never said {expected!r}; it said {seen}")
        if line is None:
            _, err = process.communicate(timeout=10)
            pytest.fail(f"the child ended before saying {expected!r}: {seen} {err}")
        seen.append(line)
        if line == expected:
            return


def _faxes_on(sandbox: SandboxProcess) -> list[dict]:
    with httpx.Client(base_url=sandbox.api_base_url + "/", auth=sandbox.auth) as client:
        answer = client.get(f"faxes?to=%2B{TEST_NUMBER[1:]}&pageSize=1000&direction=OUTBOUND")
    answer.raise_for_status()
    return answer.json()["faxes"]


@pytest.mark.parametrize(
    ("stall", "said", "attempts"),
    [
        # Killed halfway through the upload: the service never got the fax, so it goes again.
        ("upload", STALLED_UPLOAD, 2),
        # Killed after the service created the fax, before the answer was written down: the
        # restarted outbox finds it by its label and does not send it again.
        ("answer", STALLED_ANSWER, 1),
    ],
)
def test_a_killed_sender_restarted_delivers_the_fax_exactly_once(
    tmp_path: Path, stall: str, said: str, attempts: int
):
    pdf = padded_pdf(tmp_path / "scan.pdf", 2_000_000)
    data = tmp_path / "data"
    data.mkdir()
    with sandbox_process(SandboxConfig(port=0, time_scale=0.05)) as sandbox:
        first = _child(sandbox, data, "send", "--stall", stall, "--pdf", str(pdf))
        try:
            _wait_for_line(first, said)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=10)
        assert first.returncode == -signal.SIGKILL
        recorded = len(_faxes_on(sandbox))
        assert recorded == (1 if stall == "answer" else 0)

        second = _child(sandbox, data, "resume")
        out, err = second.communicate(timeout=STEP)
        assert second.returncode == 0, err
        [entry] = json.loads(out.strip().splitlines()[-1])
        faxes = _faxes_on(sandbox)

    assert entry["state"] == "delivered"
    assert entry["attempts"] == attempts
    [fax] = faxes
    assert fax["id"] == entry["fax_id"]
    assert fax["labels"][SUBMISSION_LABEL] == entry["submission"]
    assert fax["status"] == "COMPLETED"
