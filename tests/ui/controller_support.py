"""A MainController on real parts behind a window, for tests that need one without a sandbox.

The service answers every list with an empty page (through `httpx.MockTransport`) unless a test
passes the `LocalSandbox` to talk to; the archive, the outbox journal, the renderer, the task
keeper and the widgets are real.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import httpx

from faxdesk.api.auth import BasicAuth
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.config.paths import Paths
from faxdesk.sandbox.testing import LocalSandbox
from faxdesk.services.faxes import FaxService
from faxdesk.services.outbox import Outbox
from faxdesk.services.previews import PageRenderer
from faxdesk.store.archive import Archive
from faxdesk.store.outbox import OutboxStore
from faxdesk.ui.controller import MainController
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.tasks import TaskKeeper

EMPTY_PAGE = {"faxes": [], "page": 1, "pageSize": 100, "totalItems": 0, "totalPages": 0}


@contextlib.contextmanager
def controller_for(
    window: MainWindow,
    paths: Paths,
    loop: asyncio.AbstractEventLoop,
    *,
    sandbox: LocalSandbox | None = None,
    **options: Any,
) -> Iterator[MainController]:
    """A controller driving `window` (against `sandbox` if given); fails the test if any of
    its tasks raised."""
    if sandbox is None:
        http = create_http_client(
            transport=httpx.MockTransport(lambda _request: httpx.Response(200, json=EMPTY_PAGE))
        )
        api = FaxApiClient(
            http, base_url="http://fax.test", project_id="p-1", auth=BasicAuth("k", "s")
        )
    else:
        http = create_http_client(transport=sandbox.transport)
        api = FaxApiClient(
            http,
            base_url=sandbox.origin,
            project_id=sandbox.config.project_id,
            auth=BasicAuth(sandbox.config.key_id, sandbox.config.key_secret),
        )
    archive = Archive(paths.archive_db("test"))
    outbox_store = OutboxStore(paths.outbox_db("test"))
    outbox = Outbox(api, outbox_store, paths.outbox_dir("test"))
    renderer = PageRenderer()
    errors: list[BaseException] = []
    tasks = TaskKeeper(on_error=errors.append)
    options.setdefault("settings_file", paths.settings_file)
    controller = MainController(
        window, FaxService(api, archive, paths.documents_dir), renderer, tasks, outbox, **options
    )
    try:
        yield controller
    finally:
        controller.stop()
        loop.run_until_complete(tasks.close())
        loop.run_until_complete(http.aclose())
        renderer.shutdown()
        archive.close()
        outbox_store.close()
    assert errors == []
