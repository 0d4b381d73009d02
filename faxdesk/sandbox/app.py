"""The sandbox as a Starlette ASGI app: the Sinch Fax API routes under /v3/projects/{projectId}.

`create_app` wires the pieces (state, simulator, document intake) and owns their lifetime through
the app's lifespan: unfinished faxes are resumed on startup, lifecycle tasks cancelled and the
database closed on shutdown. Handlers check Basic auth and the project id, then delegate; the
HTTP shapes come from `wire`, `query` and `problems`. Nothing here serves sockets (`server`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from faxdesk.sandbox.config import DEFAULT_FROM_NUMBER, DEFAULT_SERVICE_ID, SandboxConfig
from faxdesk.sandbox.intake import Fetcher, prepare
from faxdesk.sandbox.problems import ApiProblemError, error_response, unauthorized
from faxdesk.sandbox.query import parse_list_query
from faxdesk.sandbox.simulator import Clock, Simulator, utc_now
from faxdesk.sandbox.state import SandboxState
from faxdesk.sandbox.ulid import UlidGenerator
from faxdesk.sandbox.wire import outbound_fax, read_send_form

_PREFIX = "/v3/projects/{projectId}"

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Sandbox:
    """Everything one app instance runs on; reachable as `app.state.sandbox` (tests use it).

    Attributes:
        config: the settings the app was built with.
        state: the SQLite state.
        simulator: the lifecycle tasks.
        clock: the time source for createTime, completedTime and the default list window.
    """

    config: SandboxConfig
    state: SandboxState
    simulator: Simulator
    clock: Clock
    fetcher: Fetcher
    ulids: UlidGenerator

    def now(self) -> datetime:
        moment = self.clock()
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def create_app(
    config: SandboxConfig,
    *,
    clock: Clock | None = None,
    fetch_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """Build the sandbox app.

    `clock` replaces the wall clock (tests use it to create faxes in the past);
    `fetch_transport` serves `contentUrl` fetches (tests serve documents in-process with it).
    """
    state = SandboxState(config.db_path)
    sandbox = Sandbox(
        config=config,
        state=state,
        simulator=Simulator(state, time_scale=config.time_scale, clock=clock or utc_now),
        clock=clock or utc_now,
        fetcher=Fetcher(fetch_transport),
        ulids=UlidGenerator(),
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        sandbox.simulator.resume()
        try:
            yield
        finally:
            await sandbox.simulator.aclose()
            sandbox.state.close()

    def guarded(handler: Callable[[Sandbox, Request], Awaitable[Response]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            if not _authorized(request, config):
                return unauthorized()
            return await handler(sandbox, request)

        return endpoint

    routes = [
        Route(f"{_PREFIX}/faxes", guarded(_send_fax), methods=["POST"]),
        Route(f"{_PREFIX}/faxes", guarded(_list_faxes), methods=["GET"]),
        Route(f"{_PREFIX}/faxes/{{faxId}}", guarded(_get_fax), methods=["GET"]),
        Route(f"{_PREFIX}/faxes/{{faxId}}/file", guarded(_get_file), methods=["GET"]),
        Route(f"{_PREFIX}/faxes/{{faxId}}/file", guarded(_delete_file), methods=["DELETE"]),
        Route(
            f"{_PREFIX}/faxes/{{faxId}}/file.{{fileFormat}}",
            guarded(_get_file_deprecated),
            methods=["GET"],
        ),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ApiProblemError: _on_problem, HTTPException: _on_http_exception},
    )
    app.state.sandbox = sandbox
    return app


def _authorized(request: Request, config: SandboxConfig) -> bool:
    """Basic auth with the configured key, on the configured project (else: 401, like Sinch)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    # Only the first ":" separates: a secret may contain more.
    key_id, separator, secret = decoded.partition(":")
    id_matches = hmac.compare_digest(key_id.encode(), config.key_id.encode())
    secret_matches = hmac.compare_digest(secret.encode(), config.key_secret.encode())
    project_matches = request.path_params.get("projectId") == config.project_id
    return bool(separator) and id_matches and secret_matches and project_matches


async def _on_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblemError)
    return exc.response()


async def _on_http_exception(_request: Request, exc: Exception) -> Response:
    # Unknown paths and methods answer with the same error body as everything else.
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))


def _fax_or_404(sandbox: Sandbox, request: Request) -> dict[str, Any]:
    fax_id = request.path_params["faxId"]
    fax = sandbox.state.get_fax(fax_id, sandbox.config.project_id)
    if fax is None:
        raise ApiProblemError(404, f"Fax {fax_id} was not found.")
    return fax


async def _send_fax(sandbox: Sandbox, request: Request) -> Response:
    form = await read_send_form(request)
    prepared = await prepare(form, sandbox.fetcher)
    created = sandbox.now()
    plan: dict[str, Any] = {"callbackUrl": form.callback_url}
    if prepared.failure is not None:
        plan["conversionFailure"] = {
            "code": prepared.failure.code,
            "message": prepared.failure.message,
        }
    faxes = []
    for number in form.to:
        fax = outbound_fax(
            fax_id=sandbox.ulids.new(created),
            to=number,
            form=form,
            number_of_pages=prepared.pages,
            created=created,
            project_id=sandbox.config.project_id,
            service_id=DEFAULT_SERVICE_ID,
            default_from=DEFAULT_FROM_NUMBER,
        )
        sandbox.state.add_fax(fax, plan=plan, pdf=prepared.pdf)
        sandbox.simulator.start(fax["id"])
        faxes.append(fax)
    # One recipient: a Fax; several: {"faxes": [...]}, one Fax per number (as the SDKs see it).
    return JSONResponse(faxes[0] if len(faxes) == 1 else {"faxes": faxes})


async def _list_faxes(sandbox: Sandbox, request: Request) -> Response:
    query = parse_list_query(request.query_params.multi_items(), sandbox.now())
    faxes, total = sandbox.state.list_faxes(
        sandbox.config.project_id, query.where, page=query.page, page_size=query.page_size
    )
    # No results means no pages (0, not 1): a client looping `while page < totalPages` stops
    # either way, and 0 is the honest count.
    total_pages = math.ceil(total / query.page_size)
    return JSONResponse(
        {
            "faxes": faxes,
            "page": query.page,
            "pageSize": query.page_size,
            "totalItems": total,
            "totalPages": total_pages,
        }
    )


async def _get_fax(sandbox: Sandbox, request: Request) -> Response:
    return JSONResponse(_fax_or_404(sandbox, request))


async def _get_file(sandbox: Sandbox, request: Request) -> Response:
    fax = _fax_or_404(sandbox, request)
    pdf = sandbox.state.get_file(fax["id"]) if fax.get("hasFile") else None
    if pdf is None:
        raise ApiProblemError(404, f"Fax {fax['id']} has no file.")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{fax["id"]}.pdf"'},
    )


async def _get_file_deprecated(sandbox: Sandbox, request: Request) -> Response:
    if request.path_params["fileFormat"].lower() != "pdf":
        raise ApiProblemError(404, "Faxes are only available as PDF.")
    return await _get_file(sandbox, request)


async def _delete_file(sandbox: Sandbox, request: Request) -> Response:
    fax = _fax_or_404(sandbox, request)
    sandbox.state.delete_file(fax["id"])
    return Response(status_code=204)
