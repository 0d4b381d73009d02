"""The sandbox process loads PyMuPDF only once it has a document to convert."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx
import pytest

from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.testing import sandbox_process
from tests.sandbox.sandbox_support import TEST_NUMBER

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process's mappings in /proc"
)


def _has_mupdf(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return any("mupdf" in line.rsplit("/", 1)[-1].lower() for line in maps.splitlines())


async def test_serving_needs_no_pymupdf_until_a_fax_is_sent() -> None:
    with sandbox_process() as server:
        pid = server.process.pid
        async with httpx.AsyncClient(
            base_url=server.api_base_url + "/", auth=server.auth, timeout=10
        ) as client:
            listed = await client.get("faxes", params={"createTime>": "2020-01-01T00:00:00Z"})
            services = await client.get("services")
            before = _has_mupdf(pid)
            sent = await client.post(
                "faxes",
                data={"to": TEST_NUMBER},
                files=[("file", ("one.pdf", make_test_pdf(1), "application/pdf"))],
            )
            fax_id = sent.json()["id"]
            deadline = time.monotonic() + 15
            while (await client.get(f"faxes/{fax_id}")).json()["status"] != "COMPLETED":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            after = _has_mupdf(pid)
        server.stop()

    assert (listed.status_code, services.status_code, sent.status_code) == (200, 200, 200)
    assert not before
    assert after
