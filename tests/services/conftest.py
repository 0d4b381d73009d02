"""Services run against a real sandbox app in this process, through the real API client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.config.paths import Paths
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from faxdesk.services.faxes import FaxService
from faxdesk.store.archive import Archive


@pytest.fixture
async def local() -> AsyncIterator[LocalSandbox]:
    async with in_process_sandbox(SandboxConfig(time_scale=0.02)) as sandbox:
        yield sandbox


@pytest.fixture
async def api(local: LocalSandbox) -> AsyncIterator[FaxApiClient]:
    http = create_http_client(transport=local.transport)
    try:
        yield FaxApiClient(
            http,
            base_url=local.origin,
            project_id=local.config.project_id,
            auth=BasicAuth(local.config.key_id, local.config.key_secret),
        )
    finally:
        await http.aclose()


@pytest.fixture
def archive(paths: Paths) -> Archive:
    result = Archive(paths.archive_db("sandbox"))
    yield result
    result.close()


@pytest.fixture
def faxes(api: FaxApiClient, archive: Archive, paths: Paths) -> FaxService:
    return FaxService(api, archive, paths.documents_dir / "sandbox")
