"""The sandbox as a Starlette ASGI app: the Sinch Fax API routes under /v3/projects/{projectId}.

Faxes, services with their cover pages and numbers (and their empty fax-to-email lists), and
`POST /oauth2/token` (at the root, so the sandbox's
origin works as a client's auth base URL). `create_app` wires the pieces (state, simulator,
document intake) and owns their lifetime through the app's lifespan: unfinished faxes are
resumed on startup, lifecycle tasks cancelled and the database closed on shutdown. Handlers check
credentials (`auth`) and the project id, then delegate; the HTTP shapes come from `wire`,
`service_wire`, `query`, `export` and `problems`. Each project gets its default service the first
time anything needs it. Nothing here serves sockets (`server`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from faxdesk.core.errors import FieldViolation
from faxdesk.core.phone import country_of
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.auth import GRANT_TYPE, TOKEN_TYPE, Verdict, basic_matches, check, issue_token
from faxdesk.sandbox.config import DEFAULT_FROM_NUMBER, DEFAULT_SERVICE_ID, SandboxConfig
from faxdesk.sandbox.export import CSV_MEDIA_TYPE, content_disposition, faxes_to_csv
from faxdesk.sandbox.faults import (
    WAITING_FIELD,
    FaultControl,
    FaultInjector,
    FaultSettings,
    read_fault_settings,
)
from faxdesk.sandbox.guards import Guards
from faxdesk.sandbox.inbound import (
    InjectRequest,
    arrival_times,
    inbound_fax,
    read_inject_request,
    sample_sender,
)
from faxdesk.sandbox.intake import (
    DocumentWorker,
    Fetcher,
    convert_documents,
    prepare,
    with_cover_page,
)
from faxdesk.sandbox.problems import (
    ApiJSONResponse,
    ApiProblemError,
    error_response,
    expired_token,
    unauthorized,
)
from faxdesk.sandbox.query import parse_list_query, parse_paging
from faxdesk.sandbox.service_wire import (
    ServiceChanges,
    cover_page_view,
    new_cover_page,
    new_service,
    read_cover_page,
    read_json_object,
    read_service_changes,
    service_view,
    updated_service,
)
from faxdesk.sandbox.simulator import Clock, Simulator, price_for, utc_now
from faxdesk.sandbox.state import SandboxState
from faxdesk.sandbox.ulid import UlidGenerator
from faxdesk.sandbox.webhooks import Webhook, WebhookEvent, WebhookSender
from faxdesk.sandbox.wire import format_time, outbound_fax, read_send_form

_PREFIX = "/v3/projects/{projectId}"
#: The sandbox's own endpoints, outside the Sinch paths so no client mistakes them for the API.
CONTROL_PREFIX = "/sandbox"
_SERVICE = f"{_PREFIX}/services/{{serviceId}}"
#: The OAS's default page size for services and their numbers; cover pages get the same.
SERVICES_PAGE_SIZE = 20
#: The OAS's default page size for the fax-to-email lists.
EMAILS_PAGE_SIZE = 100

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Sandbox:
    """Everything one app instance runs on; reachable as `app.state.sandbox` (tests use it).

    Attributes:
        config: the settings the app was built with.
        state: the SQLite state.
        simulator: the lifecycle tasks.
        clock: the time source for createTime, completedTime, the default list window, the
            times on services and cover pages, and token expiry.
        fetcher: fetches `contentUrl` documents.
        ulids: hands out the ids of faxes, services and cover pages.
        webhooks: delivers FAX_COMPLETED and INCOMING_FAX.
        documents: runs document conversion off the event loop.
        faults: the faults in force (see `faults`).
    """

    config: SandboxConfig
    state: SandboxState
    simulator: Simulator
    clock: Clock
    fetcher: Fetcher
    ulids: UlidGenerator
    webhooks: WebhookSender
    documents: DocumentWorker
    faults: FaultControl

    def now(self) -> datetime:
        moment = self.clock()
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def create_app(
    config: SandboxConfig,
    *,
    clock: Clock | None = None,
    fetch_transport: httpx.AsyncBaseTransport | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """Build the sandbox app.

    `clock` replaces the wall clock (tests use it to create faxes in the past);
    `fetch_transport` serves `contentUrl` fetches and `webhook_transport` receives webhooks
    (tests serve both in-process with them).
    """
    state = SandboxState(config.db_path)
    clock = clock or utc_now

    def on_finished(fax: dict[str, Any]) -> None:
        _send_fax_completed(sandbox, fax)

    sandbox = Sandbox(
        config=config,
        state=state,
        simulator=Simulator(
            state, time_scale=config.time_scale, clock=clock, on_finished=on_finished
        ),
        clock=clock,
        fetcher=Fetcher(fetch_transport),
        ulids=UlidGenerator(),
        webhooks=WebhookSender(
            time_scale=config.time_scale, clock=clock, transport=webhook_transport
        ),
        documents=DocumentWorker(),
        faults=FaultControl(config.faults),
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        sandbox.simulator.resume()
        demo = None
        if config.inbound_every_seconds:
            demo = asyncio.get_running_loop().create_task(
                _receive_now_and_then(sandbox, config.inbound_every_seconds),
                name="faxdesk-sandbox-inbound-demo",
            )
        try:
            yield
        finally:
            if demo is not None:
                demo.cancel()
                await asyncio.gather(demo, return_exceptions=True)
            await sandbox.simulator.aclose()
            await sandbox.webhooks.aclose()
            sandbox.documents.close()
            sandbox.state.close()

    def guarded(
        handler: Callable[[Sandbox, Request], Awaitable[Response]], *, in_project: bool = True
    ) -> Handler:
        # The API paths carry the project id; the control endpoints take the same
        # credentials but name no project.
        async def endpoint(request: Request) -> Response:
            if in_project and request.path_params.get("projectId") != config.project_id:
                # Like the service: a wrong project looks exactly like a wrong key.
                return unauthorized()
            verdict = check(request.headers.get("authorization", ""), config, state, sandbox.now())
            if verdict is Verdict.EXPIRED:
                return expired_token()
            if verdict is not Verdict.ALLOWED:
                return unauthorized()
            return await handler(sandbox, request)

        return endpoint

    def controlled(handler: Callable[[Sandbox, Request], Awaitable[Response]]) -> Handler:
        return guarded(handler, in_project=False)

    def admitted(scope: MutableMapping[str, Any]) -> bool:
        # What `guarded` lets through, for the fault injector: faults hit only such requests.
        if not str(scope.get("path", "")).startswith(f"/v3/projects/{config.project_id}/"):
            return False
        authorization = Headers(scope=scope).get("authorization", "")
        return check(authorization, config, state, sandbox.now()) is Verdict.ALLOWED

    async def token_endpoint(request: Request) -> Response:
        return await _issue_token(sandbox, request)

    routes = [
        Route("/oauth2/token", token_endpoint, methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/inbound", controlled(_inject_inbound), methods=["POST"]),
        Route(f"{CONTROL_PREFIX}/webhooks", controlled(_webhook_attempts), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/faults", controlled(_get_faults), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}/faults", controlled(_change_faults), methods=["PATCH", "PUT"]),
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
        Route(f"{_PREFIX}/services", guarded(_create_service), methods=["POST"]),
        Route(f"{_PREFIX}/services", guarded(_list_services), methods=["GET"]),
        Route(_SERVICE, guarded(_get_service), methods=["GET"]),
        Route(_SERVICE, guarded(_update_service), methods=["PATCH"]),
        Route(_SERVICE, guarded(_delete_service), methods=["DELETE"]),
        Route(f"{_SERVICE}/numbers", guarded(_list_numbers), methods=["GET"]),
        Route(
            f"{_SERVICE}/numbers/{{phoneNumber}}/emails",
            guarded(_list_number_emails),
            methods=["GET"],
        ),
        Route(f"{_SERVICE}/emails", guarded(_list_emails), methods=["GET"]),
        Route(f"{_SERVICE}/coverPages", guarded(_add_cover_page), methods=["POST"]),
        Route(f"{_SERVICE}/coverPages", guarded(_list_cover_pages), methods=["GET"]),
        Route(f"{_SERVICE}/coverPages/{{coverPageId}}", guarded(_get_cover_page), methods=["GET"]),
        Route(
            f"{_SERVICE}/coverPages/{{coverPageId}}",
            guarded(_delete_cover_page),
            methods=["DELETE"],
        ),
    ]
    app = Starlette(
        routes=routes,
        # Fault injection outermost: its in-process drop must reach the client as it is.
        middleware=[
            Middleware(FaultInjector, control=sandbox.faults, admits=admitted),
            Middleware(Guards),
        ],
        lifespan=lifespan,
        exception_handlers={ApiProblemError: _on_problem, HTTPException: _on_http_exception},
    )
    # `Guards` serves `/faxes/` as `/faxes`; a redirect would come before authentication.
    app.router.redirect_slashes = False
    app.state.sandbox = sandbox
    return app


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


def _page(items: list[Any], page: int, page_size: int, total: int, key: str) -> dict[str, Any]:
    # No results means no pages (0, not 1): a client looping `while page < totalPages` stops
    # either way, and 0 is the honest count.
    return {
        key: items,
        "page": page,
        "pageSize": page_size,
        "totalItems": total,
        "totalPages": math.ceil(total / page_size),
    }


# -- faxes -------------------------------------------------------------------------------------


async def _send_fax(sandbox: Sandbox, request: Request) -> Response:
    form = await read_send_form(request)
    service = _sending_service(sandbox, form.service_id)
    if form.from_ is not None:
        numbers = _project_numbers(sandbox)
        if form.from_ not in numbers:
            # The service sends only from a number associated with the account.
            message = (
                f"from {form.from_} is not one of the project's numbers "
                f"({', '.join(sorted(numbers))})."
            )
            raise ApiProblemError(422, message, [FieldViolation("from", message)])
    # A service with a cover page of its own adds it to every fax that names none.
    cover_page_id = form.cover_page_id or service.get("coverPageId")
    cover = None
    if cover_page_id:
        cover = sandbox.state.get_cover_page(service["id"], cover_page_id)
        if cover is None:
            raise _no_such_cover_page(cover_page_id)
    prepared = await prepare(form, sandbox.fetcher, sandbox.documents)
    created = sandbox.now()
    faxes = []
    for number in form.to:
        fax_id = sandbox.ulids.new(created)
        content = prepared
        from_ = form.from_ or service.get("defaultFrom") or DEFAULT_FROM_NUMBER
        if cover is not None:
            fields = {
                **form.cover_page_data,
                "from": from_,
                "to": number,
                "date": _local_date(created, form.header_time_zone),
            }
            content = await sandbox.documents.run(with_cover_page, cover[1], fields, prepared)
        fax = outbound_fax(
            fax_id=fax_id,
            to=number,
            form=form,
            number_of_pages=content.pages,
            created=created,
            project_id=sandbox.config.project_id,
            service=service,
            default_from=DEFAULT_FROM_NUMBER,
        )
        if cover_page_id:
            fax["coverPageId"] = cover_page_id
            fax["coverPageData"] = dict(form.cover_page_data)
        plan: dict[str, Any] = {"callbackUrl": form.callback_url}
        if content.failure is not None:
            plan["conversionFailure"] = {
                "code": content.failure.code,
                "message": content.failure.message,
            }
        # A service that does not keep outbound documents sends the fax all the same; there is
        # just no file to download afterwards (`hasFile` stays false).
        pdf = content.pdf if service["saveOutboundFaxDocuments"] else None
        sandbox.state.add_fax(fax, plan=plan, pdf=pdf)
        sandbox.simulator.start(fax["id"])
        faxes.append(fax)
    # One recipient: a Fax; several: {"faxes": [...]}, one Fax per number (as the SDKs see it).
    return ApiJSONResponse(faxes[0] if len(faxes) == 1 else {"faxes": faxes})


def _local_date(moment: datetime, time_zone: str) -> str:
    """The day of `moment` where the fax's header says it is sent (`YYYY-MM-DD`)."""
    try:
        zone: tzinfo = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return moment.astimezone(zone).date().isoformat()


def _send_fax_completed(sandbox: Sandbox, fax: dict[str, Any]) -> None:
    """Send FAX_COMPLETED for a fax that has just ended, to its callbackUrl or its service's.

    The fax's own callbackUrl (kept unmasked in its plan) comes with its
    callbackUrlContentType; without one the service's incomingWebhookUrl is used, in the
    service's webhookContentType. No URL at all: nothing is sent.
    """
    url = sandbox.state.get_plan(fax["id"]).get("callbackUrl")
    content_type = fax.get("callbackUrlContentType", "")
    if not url:
        service = sandbox.state.get_service(fax["serviceId"], fax["projectId"]) or {}
        url = service.get("incomingWebhookUrl")
        content_type = service.get("webhookContentType", "")
    if not url:
        return
    pdf = sandbox.state.get_file(fax["id"]) if fax.get("hasFile") else None
    sandbox.webhooks.send(
        Webhook(
            url=url,
            content_type=content_type,
            event=WebhookEvent.FAX_COMPLETED,
            fax=fax,
            pdf=pdf,
            event_time=sandbox.now(),
        )
    )


def _sending_service(sandbox: Sandbox, service_id: str | None) -> dict[str, Any]:
    """The service a send names, or the project's default when it names none.

    An unknown `serviceId` is a 422 with a field violation, not a 404: the resource the request
    acts on (the fax list) exists, and one of its values is wrong, which is how the service's
    error list describes a 422. It is checked before any `contentUrl` is fetched.
    """
    if service_id is None:
        return _default_service(sandbox)
    _default_service(sandbox)
    service = sandbox.state.get_service(service_id, sandbox.config.project_id)
    if service is None:
        message = f"The project has no service {service_id}."
        raise ApiProblemError(422, message, [FieldViolation("serviceId", message)])
    return service


async def _list_faxes(sandbox: Sandbox, request: Request) -> Response:
    now = sandbox.now()
    query = parse_list_query(request.query_params.multi_items(), now)
    project_id = sandbox.config.project_id
    if query.export_format is not None:
        # An export holds every match: `page` and `pageSize` are checked but do not apply.
        return Response(
            faxes_to_csv(sandbox.state.all_faxes(project_id, query.where)),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": content_disposition(now)},
        )
    faxes, total = sandbox.state.list_faxes(
        project_id, query.where, page=query.page, page_size=query.page_size
    )
    return ApiJSONResponse(_page(faxes, query.page, query.page_size, total, "faxes"))


async def _get_fax(sandbox: Sandbox, request: Request) -> Response:
    return ApiJSONResponse(_fax_or_404(sandbox, request))


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


# -- services ----------------------------------------------------------------------------------


def _default_service(sandbox: Sandbox) -> dict[str, Any]:
    """The project's default service, created (as the service does for a new project) if none."""
    project_id = sandbox.config.project_id
    service = sandbox.state.default_service(project_id)
    if service is not None:
        return service
    now = sandbox.now()
    # The fixed id keeps faxes stored before services existed pointing at their service; it
    # can only be taken already by another project sharing the database.
    taken = sandbox.state.has_service(DEFAULT_SERVICE_ID)
    service = new_service(
        service_id=sandbox.ulids.new(now) if taken else DEFAULT_SERVICE_ID,
        project_id=project_id,
        now=format_time(now),
        changes=ServiceChanges(values={"defaultForProject": True}, cleared=frozenset()),
    )
    return sandbox.state.add_default_service(service)


def _service_or_404(sandbox: Sandbox, request: Request) -> dict[str, Any]:
    _default_service(sandbox)
    service_id = request.path_params["serviceId"]
    service = sandbox.state.get_service(service_id, sandbox.config.project_id)
    if service is None:
        raise ApiProblemError(404, f"Service {service_id} was not found.")
    return service


def _stored_service(sandbox: Sandbox, service_id: str) -> dict[str, Any]:
    service = sandbox.state.get_service(service_id, sandbox.config.project_id)
    assert service is not None, service_id
    return service


def _no_such_cover_page(cover_page_id: str) -> ApiProblemError:
    message = f"The service has no cover page {cover_page_id}."
    return ApiProblemError(422, message, [FieldViolation("coverPageId", message)])


async def _create_service(sandbox: Sandbox, request: Request) -> Response:
    changes = read_service_changes(await read_json_object(request))
    if changes.sets("coverPageId"):
        # A new service has no cover pages yet, so it cannot name one.
        raise _no_such_cover_page(changes.values["coverPageId"])
    _default_service(sandbox)
    now = sandbox.now()
    service = new_service(
        service_id=sandbox.ulids.new(now),
        project_id=sandbox.config.project_id,
        now=format_time(now),
        changes=changes,
    )
    sandbox.state.add_service(service)
    return ApiJSONResponse(service_view(_stored_service(sandbox, service["id"])), status_code=201)


async def _list_services(sandbox: Sandbox, request: Request) -> Response:
    page, page_size = parse_paging(request.query_params.multi_items(), SERVICES_PAGE_SIZE)
    _default_service(sandbox)
    services, total = sandbox.state.list_services(
        sandbox.config.project_id, page=page, page_size=page_size
    )
    views = [service_view(service) for service in services]
    return ApiJSONResponse(_page(views, page, page_size, total, "services"))


async def _get_service(sandbox: Sandbox, request: Request) -> Response:
    return ApiJSONResponse(service_view(_service_or_404(sandbox, request)))


async def _update_service(sandbox: Sandbox, request: Request) -> Response:
    service = _service_or_404(sandbox, request)
    changes = read_service_changes(await read_json_object(request))
    unsets_default = (
        changes.values.get("defaultForProject") is False or "defaultForProject" in changes.cleared
    )
    if service["defaultForProject"] and unsets_default:
        message = (
            "A project always has a default service; make another service the default instead."
        )
        raise ApiProblemError(422, message, [FieldViolation("defaultForProject", message)])
    if changes.sets("coverPageId"):
        cover_page_id = changes.values["coverPageId"]
        if sandbox.state.get_cover_page(service["id"], cover_page_id) is None:
            raise _no_such_cover_page(cover_page_id)
    sandbox.state.replace_service(updated_service(service, changes, format_time(sandbox.now())))
    return ApiJSONResponse(service_view(_stored_service(sandbox, service["id"])))


async def _delete_service(sandbox: Sandbox, request: Request) -> Response:
    service = _service_or_404(sandbox, request)
    if service["defaultForProject"]:
        # 409: the request is fine, the project's state forbids it for now.
        raise ApiProblemError(
            409,
            f"Service {service['id']} is the project's default and cannot be removed; "
            "make another service the default first.",
        )
    sandbox.state.delete_service(service["id"])
    return Response(status_code=204)


# -- numbers and fax-to-email ----------------------------------------------------------------


def _service_numbers(service: dict[str, Any]) -> list[str]:
    """The project's numbers that receive at `service`, as `inject --to` accepts them.

    The sandbox's own number belongs to the project's default service; a service's
    `defaultFrom` is a number of that service too (the service sends from its own numbers).
    """
    numbers = []
    if service["defaultForProject"]:
        numbers.append(DEFAULT_FROM_NUMBER)
    if service.get("defaultFrom") and service["defaultFrom"] not in numbers:
        numbers.append(service["defaultFrom"])
    return numbers


def _project_numbers(sandbox: Sandbox) -> set[str]:
    """Every number of the project: those its faxes may come from and arrive on."""
    services, _ = sandbox.state.list_services(sandbox.config.project_id, page=1, page_size=1000)
    return {number for service in services for number in _service_numbers(service)}


async def _list_numbers(sandbox: Sandbox, request: Request) -> Response:
    """`GET /services/{id}/numbers`: the service's numbers as ServicePhoneNumber objects."""
    service = _service_or_404(sandbox, request)
    page, page_size = parse_paging(request.query_params.multi_items(), SERVICES_PAGE_SIZE)
    numbers = _service_numbers(service)
    shown = [
        {
            "phoneNumber": number,
            "permissions": "both",
            **({"country": country} if (country := country_of(number)) else {}),
            "suspended": False,
            "projectId": service["projectId"],
            "serviceId": service["id"],
        }
        for number in numbers[(page - 1) * page_size : page * page_size]
    ]
    return ApiJSONResponse(_page(shown, page, page_size, len(numbers), "numbers"))


async def _list_emails(sandbox: Sandbox, request: Request) -> Response:
    """`GET /services/{serviceId}/emails`: fax-to-email addresses; the sandbox sends no email,
    so there are none, in the documented shape."""
    _service_or_404(sandbox, request)
    page, page_size = parse_paging(request.query_params.multi_items(), EMAILS_PAGE_SIZE)
    return ApiJSONResponse(_page([], page, page_size, 0, "emails"))


async def _list_number_emails(sandbox: Sandbox, request: Request) -> Response:
    """`GET /services/{id}/numbers/{phoneNumber}/emails`: none, for each of the service's
    numbers; a number the service does not have is not found."""
    service = _service_or_404(sandbox, request)
    number = request.path_params["phoneNumber"].strip()
    if number[:1].isdigit():
        # An unencoded "+" may have been lost on the way, as in list filters.
        number = "+" + number
    if number not in _service_numbers(service):
        raise ApiProblemError(404, f"Service {service['id']} has no number {number}.")
    page, page_size = parse_paging(request.query_params.multi_items(), EMAILS_PAGE_SIZE)
    return ApiJSONResponse(_page([], page, page_size, 0, "emails"))


# -- cover pages -------------------------------------------------------------------------------


def _cover_page_or_404(
    sandbox: Sandbox, service: dict[str, Any], request: Request
) -> tuple[dict[str, Any], bytes]:
    cover_page_id = request.path_params["coverPageId"]
    found = sandbox.state.get_cover_page(service["id"], cover_page_id)
    if found is None:
        raise ApiProblemError(404, f"Cover page {cover_page_id} was not found.")
    return found


async def _add_cover_page(sandbox: Sandbox, request: Request) -> Response:
    service = _service_or_404(sandbox, request)
    upload = read_cover_page(await read_json_object(request))
    now = sandbox.now()
    cover_page = new_cover_page(
        cover_page_id=sandbox.ulids.new(now),
        name=upload.name,
        service=service,
        now=format_time(now),
    )
    sandbox.state.add_cover_page(cover_page, upload.pdf)
    # 200, not 201: the OAS gives this one create operation a 200.
    return ApiJSONResponse(cover_page_view(cover_page, upload.pdf))


async def _list_cover_pages(sandbox: Sandbox, request: Request) -> Response:
    service = _service_or_404(sandbox, request)
    page, page_size = parse_paging(request.query_params.multi_items(), SERVICES_PAGE_SIZE)
    cover_pages, total = sandbox.state.list_cover_pages(
        service["id"], page=page, page_size=page_size
    )
    # Lists leave the (possibly large) file content out; GET one cover page carries it.
    views = [cover_page_view(cover_page, None) for cover_page in cover_pages]
    return ApiJSONResponse(_page(views, page, page_size, total, "coverPages"))


async def _get_cover_page(sandbox: Sandbox, request: Request) -> Response:
    service = _service_or_404(sandbox, request)
    cover_page, pdf = _cover_page_or_404(sandbox, service, request)
    return ApiJSONResponse(cover_page_view(cover_page, pdf))


async def _delete_cover_page(sandbox: Sandbox, request: Request) -> Response:
    service = _service_or_404(sandbox, request)
    cover_page, _ = _cover_page_or_404(sandbox, service, request)
    if service.get("coverPageId") == cover_page["id"]:
        # The service stops adding a cover page that no longer exists.
        changes = ServiceChanges(values={}, cleared=frozenset({"coverPageId"}))
        sandbox.state.replace_service(updated_service(service, changes, format_time(sandbox.now())))
    sandbox.state.delete_cover_page(service["id"], cover_page["id"])
    return Response(status_code=204)


# -- OAuth2 ------------------------------------------------------------------------------------


async def _issue_token(sandbox: Sandbox, request: Request) -> Response:
    """`POST /oauth2/token`: the client-credentials grant, the client authenticated by Basic."""
    if not basic_matches(request.headers.get("authorization", ""), sandbox.config):
        return unauthorized()
    async with request.form() as form:
        grant_type = form.get("grant_type")
    if not isinstance(grant_type, str) or not grant_type.strip():
        return _oauth_error("invalid_request")
    if grant_type.strip() != GRANT_TYPE:
        return _oauth_error("unsupported_grant_type")
    lifetime = sandbox.config.token_lifetime_seconds
    token = issue_token(sandbox.state, sandbox.now(), lifetime, sandbox.config)
    return ApiJSONResponse(
        {"access_token": token, "token_type": TOKEN_TYPE, "expires_in": lifetime, "scope": ""},
        headers=_NO_STORE,
    )


# RFC 6749 5.1: token answers must not be cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(code: str) -> Response:
    """An OAuth2 error answer (RFC 6749 5.2): 400 with `{"error": code}`."""
    return ApiJSONResponse({"error": code}, status_code=400, headers=_NO_STORE)


# -- control endpoints -------------------------------------------------------------------------


async def _inject_inbound(sandbox: Sandbox, request: Request) -> Response:
    """`POST /sandbox/inbound`: faxes "received" on one of the project's numbers."""
    body = await read_json_object(request)
    faxes = await _receive(sandbox, read_inject_request(body, sandbox.now()))
    return ApiJSONResponse({"faxes": faxes})


async def _webhook_attempts(sandbox: Sandbox, _request: Request) -> Response:
    """`GET /sandbox/webhooks`: the latest webhook tries and how each was answered."""
    return ApiJSONResponse({"attempts": [a.as_json() for a in sandbox.webhooks.attempts]})


async def _get_faults(sandbox: Sandbox, _request: Request) -> Response:
    """`GET /sandbox/faults`: what goes wrong on purpose right now, and how many requests are
    waiting out latency."""
    return ApiJSONResponse(_faults_json(sandbox))


async def _change_faults(sandbox: Sandbox, request: Request) -> Response:
    """`PATCH /sandbox/faults` changes the fields it names; `PUT` starts from no faults."""
    body = await read_json_object(request)
    base = sandbox.faults.settings if request.method == "PATCH" else FaultSettings()
    sandbox.faults.settings = read_fault_settings(body, base)
    return ApiJSONResponse(_faults_json(sandbox))


def _faults_json(sandbox: Sandbox) -> dict[str, Any]:
    return {**sandbox.faults.settings.as_json(), WAITING_FIELD: sandbox.faults.waiting}


async def _receive_now_and_then(sandbox: Sandbox, every_seconds: float) -> None:
    # Demo mode (`--inbound-every`): a sample fax arrives every so often, for ever.
    while True:
        await asyncio.sleep(every_seconds)
        request = InjectRequest(
            to=None,
            from_=None,
            service_id=None,
            document=None,
            count=1,
            created_at=None,
            spread_days=0.0,
        )
        await _receive(sandbox, request)


async def _receive(sandbox: Sandbox, request: InjectRequest) -> list[dict[str, Any]]:
    project_id = sandbox.config.project_id
    default = _default_service(sandbox)
    services, _ = sandbox.state.list_services(project_id, page=1, page_size=1000)
    numbers = _project_numbers(sandbox)
    if request.service_id is not None:
        service = _sending_service(sandbox, request.service_id)
    elif request.to is not None:
        owners = [s for s in services if request.to in _service_numbers(s)]
        service = owners[0] if owners else default
    else:
        service = default
    to = request.to or service.get("defaultFrom") or DEFAULT_FROM_NUMBER
    if to not in numbers:
        message = f"{to} is not one of the project's numbers ({', '.join(sorted(numbers))})."
        raise ApiProblemError(422, message, [FieldViolation("to", message)])
    if request.document is None:
        pdf = await sandbox.documents.run(make_test_pdf, 1, "Sample inbound fax")
        pages = 1
    else:
        prepared = await sandbox.documents.run(convert_documents, [request.document])
        if prepared.failure is not None or prepared.pdf is None:
            message = prepared.failure.detail if prepared.failure else "The file is empty."
            raise ApiProblemError(422, message, [FieldViolation("file", message)])
        pdf, pages = prepared.pdf, prepared.pages
    keep = bool(service["saveInboundFaxDocuments"])
    now = sandbox.now()
    faxes = []
    # Oldest first, so the ids (which carry the time) and the order of the webhooks agree.
    for index, arrived in reversed(
        list(
            enumerate(arrival_times(request.created_at or now, request.count, request.spread_days))
        )
    ):
        fax = inbound_fax(
            fax_id=sandbox.ulids.new(arrived),
            from_=request.from_ or sample_sender(index),
            to=to,
            pages=pages,
            arrived=arrived,
            price=price_for(pages),
            project_id=project_id,
            service_id=service["id"],
        )
        fax["hasFile"] = keep
        sandbox.state.add_fax(fax, plan={}, pdf=pdf if keep else None)
        faxes.append(fax)
        if service.get("incomingWebhookUrl"):
            sandbox.webhooks.send(
                Webhook(
                    url=service["incomingWebhookUrl"],
                    content_type=service["webhookContentType"],
                    event=WebhookEvent.INCOMING_FAX,
                    fax=fax,
                    pdf=pdf if keep else None,
                    event_time=now,
                )
            )
    faxes.reverse()
    return faxes
