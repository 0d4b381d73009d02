"""Services: the project's default service, create/list/get/update/delete, validation, and how a
send takes its defaults from its service."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from faxdesk.sandbox.config import (
    DEFAULT_FROM_NUMBER,
    DEFAULT_PROJECT_ID,
    DEFAULT_SERVICE_ID,
    SandboxConfig,
)
from faxdesk.sandbox.state import SCHEMA_VERSION, SandboxState
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from tests.sandbox.sandbox_support import FakeClock, finished, own_number, pdf_file, send

ULID_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
UNKNOWN_ID = "01JXXXXXXXXXXXXXXXXXXXXXXX"


def violations(response: httpx.Response) -> list[str]:
    body = response.json()
    assert body["code"] == response.status_code
    return [v["field"] for d in body["details"] for v in d["fieldViolations"]]


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("services", json=fields)
    assert response.status_code == 201, response.text
    service: dict[str, Any] = response.json()
    return service


async def test_the_default_service_exists_on_first_use(client: httpx.AsyncClient) -> None:
    body = (await client.get("services")).json()

    assert (body["page"], body["pageSize"], body["totalItems"], body["totalPages"]) == (
        1,
        20,
        1,
        1,
    )
    assert body["services"] == [
        {
            "id": DEFAULT_SERVICE_ID,
            "name": "Default service",
            "webhookContentType": "multipart/form-data",
            "defaultForProject": True,
            "numberOfRetries": 3,
            "retryDelaySeconds": 60,
            "imageConversionMethod": "HALFTONE",
            "saveOutboundFaxDocuments": True,
            "saveInboundFaxDocuments": True,
            "scanIncomingBarcodes": False,
            "inProgressNotifications": False,
            "resolution": "FINE",
            "projectId": DEFAULT_PROJECT_ID,
            "createdAt": "2026-06-15T12:00:00.000Z",
            "updatedAt": "2026-06-15T12:00:00.000Z",
        }
    ]


async def test_a_fax_sent_first_gets_the_default_service(client: httpx.AsyncClient) -> None:
    fax = await send(client)

    assert fax["serviceId"] == DEFAULT_SERVICE_ID
    assert (await client.get(f"services/{DEFAULT_SERVICE_ID}")).status_code == 200


async def test_create_get_and_list(client: httpx.AsyncClient, clock: FakeClock) -> None:
    clock.advance(minutes=5)
    created = await create(
        client,
        name="Front desk",
        incomingWebhookUrl="https://hook:pw@in.example.com/fax",
        webhookContentType="application/json",
        defaultFrom="+14155550111",
        numberOfRetries=5,
        retryDelaySeconds=300,
        imageConversionMethod="monochrome",
        resolution="SUPERFINE",
        saveOutboundFaxDocuments=False,
        scanIncomingBarcodes="true",
        id="01JIGNOREDIGNOREDIGNORED00",
        projectId="someone-else",
    )

    assert ULID_RE.fullmatch(created["id"])
    assert created["id"] not in (DEFAULT_SERVICE_ID, "01JIGNOREDIGNOREDIGNORED00")
    assert created == {
        "id": created["id"],
        "name": "Front desk",
        "incomingWebhookUrl": "https://***:***@in.example.com/fax",
        "webhookContentType": "application/json",
        "defaultForProject": False,
        "defaultFrom": "+14155550111",
        "numberOfRetries": 5,
        "retryDelaySeconds": 300,
        "imageConversionMethod": "MONOCHROME",
        "saveOutboundFaxDocuments": False,
        "saveInboundFaxDocuments": True,
        "scanIncomingBarcodes": True,
        "inProgressNotifications": False,
        "resolution": "SUPERFINE",
        "projectId": DEFAULT_PROJECT_ID,
        "createdAt": "2026-06-15T12:05:00.000Z",
        "updatedAt": "2026-06-15T12:05:00.000Z",
    }
    assert (await client.get(f"services/{created['id']}")).json() == created
    listed = (await client.get("services")).json()
    assert [s["id"] for s in listed["services"]] == [DEFAULT_SERVICE_ID, created["id"]]
    assert listed["totalItems"] == 2


async def test_a_created_service_without_fields_has_the_defaults(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client)

    assert created["name"] == "Default service"
    assert created["defaultForProject"] is False
    assert (created["numberOfRetries"], created["retryDelaySeconds"]) == (3, 60)
    assert "incomingWebhookUrl" not in created


async def test_services_are_paged(client: httpx.AsyncClient) -> None:
    made = [DEFAULT_SERVICE_ID] + [(await create(client, name=f"S{i}"))["id"] for i in range(4)]

    first = (await client.get("services", params={"pageSize": 2})).json()
    last = (await client.get("services", params={"pageSize": 2, "page": "3"})).json()
    bad = await client.get("services", params={"pageSize": 1001})

    assert [s["id"] for s in first["services"]] == made[:2]
    assert [s["id"] for s in last["services"]] == made[4:]
    assert (last["page"], last["pageSize"], last["totalItems"], last["totalPages"]) == (3, 2, 5, 3)
    assert bad.status_code == 400
    assert violations(bad) == ["pageSize"]


async def test_patch_changes_only_what_it_names(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    created = await create(client, name="Billing", numberOfRetries=1, defaultFrom="+14155550111")
    clock.advance(hours=1)

    response = await client.patch(
        f"services/{created['id']}",
        json={"NAME": "Billing office", "retryDelaySeconds": "45", "defaultFrom": None},
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Billing office"
    assert updated["retryDelaySeconds"] == 45
    assert updated["numberOfRetries"] == 1
    assert "defaultFrom" not in updated
    assert updated["createdAt"] == created["createdAt"]
    assert updated["updatedAt"] == "2026-06-15T13:00:00.000Z"
    assert (await client.get(f"services/{created['id']}")).json() == updated


async def test_null_returns_a_field_to_its_default(client: httpx.AsyncClient) -> None:
    created = await create(client, resolution="SUPERFINE", numberOfRetries=0)

    updated = (
        await client.patch(
            f"services/{created['id']}", json={"resolution": None, "numberOfRetries": None}
        )
    ).json()

    assert (updated["resolution"], updated["numberOfRetries"]) == ("FINE", 3)


async def test_patch_validation_error_body(client: httpx.AsyncClient) -> None:
    created = await create(client, name="Billing")

    response = await client.patch(
        f"services/{created['id']}",
        json={
            "name": "n" * 61,
            "numberOfRetries": 6,
            "retryDelaySeconds": 29,
            "imageConversionMethod": "DITHER",
            "webhookContentType": "text/xml",
            "resolution": "ULTRA",
            "scanIncomingBarcodes": "maybe",
            "incomingWebhookUrl": "ftp://in.example.com",
            "defaultFrom": "555-0100",
        },
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": 422,
        "status": "INVALID_ARGUMENT",
        "message": "Some fields have invalid values.",
        "details": [
            {
                "type": "BadRequest",
                "fieldViolations": [
                    {"field": "name", "description": "name is longer than 60 characters."},
                    {
                        "field": "numberOfRetries",
                        "description": "numberOfRetries must be a whole number from 0 to 5.",
                    },
                    {
                        "field": "retryDelaySeconds",
                        "description": "retryDelaySeconds must be a whole number from 30 to 300.",
                    },
                    {
                        "field": "imageConversionMethod",
                        "description": "imageConversionMethod must be one of HALFTONE, MONOCHROME.",
                    },
                    {
                        "field": "webhookContentType",
                        "description": "webhookContentType must be one of multipart/form-data, "
                        "application/json.",
                    },
                    {
                        "field": "resolution",
                        "description": "resolution must be one of FINE, SUPERFINE.",
                    },
                    {
                        "field": "scanIncomingBarcodes",
                        "description": "scanIncomingBarcodes must be true or false.",
                    },
                    {
                        "field": "incomingWebhookUrl",
                        "description": "'ftp://in.example.com' is not an http(s) URL.",
                    },
                    {
                        "field": "defaultFrom",
                        "description": "defaultFrom '555-0100' is not an E.164 number: write + "
                        "and 8 to 15 digits, without spaces or dashes (such as +14155550100).",
                    },
                ],
            }
        ],
    }
    assert (await client.get(f"services/{created['id']}")).json() == created


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": 7}, "name"),
        ({"numberOfRetries": -1}, "numberOfRetries"),
        ({"numberOfRetries": True}, "numberOfRetries"),
        ({"retryDelaySeconds": 301}, "retryDelaySeconds"),
        ({"defaultForProject": "yes"}, "defaultForProject"),
        ({"coverPageId": UNKNOWN_ID}, "coverPageId"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, fields: dict[str, Any], field: str
) -> None:
    response = await client.post("services", json=fields)

    assert response.status_code == 422
    assert violations(response) == [field]
    assert (await client.get("services")).json()["totalItems"] == 1


async def test_edge_values_are_accepted(client: httpx.AsyncClient) -> None:
    created = await create(
        client, name="n" * 60, numberOfRetries=0, retryDelaySeconds=30, incomingWebhookUrl=""
    )

    assert (created["name"], created["numberOfRetries"], created["retryDelaySeconds"]) == (
        "n" * 60,
        0,
        30,
    )
    assert "incomingWebhookUrl" not in created


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b""])
async def test_a_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        "services", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_unknown_service_is_404(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(
        method, f"services/{UNKNOWN_ID}", json={} if method == "PATCH" else None
    )

    assert response.status_code == 404
    body = response.json()
    assert (body["code"], body["status"]) == (404, "NOT_FOUND")
    assert UNKNOWN_ID in body["message"]


async def test_delete_a_service(client: httpx.AsyncClient) -> None:
    created = await create(client, name="Temporary")

    deleted = await client.delete(f"services/{created['id']}")
    again = await client.get(f"services/{created['id']}")

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert again.status_code == 404
    assert (await client.get("services")).json()["totalItems"] == 1


async def test_the_default_service_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    response = await client.delete(f"services/{DEFAULT_SERVICE_ID}")

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["status"]) == (409, "FAILED_PRECONDITION")
    assert "default" in body["message"]
    assert (await client.get(f"services/{DEFAULT_SERVICE_ID}")).status_code == 200


async def test_another_service_can_become_the_default(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    created = await create(client, name="New main", retryDelaySeconds=120)
    clock.advance(minutes=1)

    patched = await client.patch(f"services/{created['id']}", json={"defaultForProject": True})
    old = (await client.get(f"services/{DEFAULT_SERVICE_ID}")).json()
    fax = await send(client)
    removed = await client.delete(f"services/{DEFAULT_SERVICE_ID}")

    assert patched.json()["defaultForProject"] is True
    assert old["defaultForProject"] is False
    assert old["updatedAt"] == "2026-06-15T12:01:00.000Z"
    assert (fax["serviceId"], fax["retryDelaySeconds"]) == (created["id"], 120)
    assert removed.status_code == 204


async def test_a_service_created_as_default_takes_over(client: httpx.AsyncClient) -> None:
    created = await create(client, name="Main", defaultForProject=True)

    services = (await client.get("services")).json()["services"]

    assert created["defaultForProject"] is True
    assert [(s["id"], s["defaultForProject"]) for s in services] == [
        (DEFAULT_SERVICE_ID, False),
        (created["id"], True),
    ]


@pytest.mark.parametrize("value", [False, None])
async def test_the_default_cannot_be_unset(client: httpx.AsyncClient, value: bool | None) -> None:
    response = await client.patch(
        f"services/{DEFAULT_SERVICE_ID}", json={"defaultForProject": value}
    )

    assert response.status_code == 422
    assert violations(response) == ["defaultForProject"]


async def test_writing_back_a_masked_webhook_url_keeps_its_credentials(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    created = await create(client, incomingWebhookUrl="https://hook:pw@in.example.com/fax")

    shown = (await client.patch(f"services/{created['id']}", json=created)).json()
    stored = local.sandbox.state.get_service(created["id"], DEFAULT_PROJECT_ID)

    assert shown["incomingWebhookUrl"] == "https://***:***@in.example.com/fax"
    assert stored["incomingWebhookUrl"] == "https://hook:pw@in.example.com/fax"


# -- sending through a service ---------------------------------------------------------------


async def test_a_send_takes_its_missing_options_from_the_service(
    client: httpx.AsyncClient,
) -> None:
    service = await create(
        client,
        numberOfRetries=0,
        retryDelaySeconds=240,
        imageConversionMethod="MONOCHROME",
        resolution="SUPERFINE",
        defaultFrom="+14155550111",
    )

    inherited = await send(client, serviceId=service["id"])
    await own_number(client, "+14155550122")
    overridden = await send(
        client,
        serviceId=service["id"],
        maxRetries="4",
        retryDelaySeconds="30",
        imageConversionMethod="HALFTONE",
        resolution="FINE",
        **{"from": "+14155550122"},
    )

    pick = ("serviceId", "maxRetries", "retryDelaySeconds", "imageConversionMethod", "resolution")
    assert {key: inherited[key] for key in (*pick, "from")} == {
        "serviceId": service["id"],
        "maxRetries": 0,
        "retryDelaySeconds": 240,
        "imageConversionMethod": "MONOCHROME",
        "resolution": "SUPERFINE",
        "from": "+14155550111",
    }
    assert {key: overridden[key] for key in (*pick, "from")} == {
        "serviceId": service["id"],
        "maxRetries": 4,
        "retryDelaySeconds": 30,
        "imageConversionMethod": "HALFTONE",
        "resolution": "FINE",
        "from": "+14155550122",
    }


async def test_a_send_without_service_id_uses_the_default_services_settings(
    client: httpx.AsyncClient,
) -> None:
    await client.patch(
        f"services/{DEFAULT_SERVICE_ID}", json={"numberOfRetries": 1, "resolution": "SUPERFINE"}
    )

    fax = await send(client)

    assert (fax["serviceId"], fax["maxRetries"], fax["resolution"]) == (
        DEFAULT_SERVICE_ID,
        1,
        "SUPERFINE",
    )


async def test_a_send_naming_an_unknown_service_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "faxes", data={"to": "+19898989898", "serviceId": UNKNOWN_ID}, files=[pdf_file(1)]
    )

    assert response.status_code == 422
    assert violations(response) == ["serviceId"]
    assert (await client.get("faxes")).json()["totalItems"] == 0


async def test_a_service_that_keeps_no_outbound_documents_leaves_no_file(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    service = await create(client, saveOutboundFaxDocuments=False)

    fax = await send(client, serviceId=service["id"])
    done = await finished(local, client, fax["id"])

    assert (done["status"], done["hasFile"]) == ("COMPLETED", False)
    assert (await client.get(f"faxes/{fax['id']}/file")).status_code == 404


# -- persistence -----------------------------------------------------------------------------


async def test_services_survive_a_restart(tmp_path: Path) -> None:
    config = SandboxConfig(time_scale=0, db_path=tmp_path / "sandbox.db")
    async with in_process_sandbox(config) as first, first.client() as client:
        created = await create(client, name="Kept")
    async with in_process_sandbox(config) as second, second.client() as client:
        listed = (await client.get("services")).json()["services"]

    assert [s["id"] for s in listed] == [DEFAULT_SERVICE_ID, created["id"]]
    assert listed[1] == created


_SCHEMA_1 = """
CREATE TABLE faxes (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, service_id TEXT NOT NULL,
    direction TEXT NOT NULL, status TEXT NOT NULL, to_number TEXT NOT NULL,
    from_number TEXT NOT NULL, create_time TEXT NOT NULL, fax TEXT NOT NULL, plan TEXT NOT NULL
);
CREATE TABLE fax_files (
    fax_id TEXT PRIMARY KEY REFERENCES faxes (id) ON DELETE CASCADE, pdf BLOB NOT NULL
);
PRAGMA user_version = 1;
"""


async def test_a_schema_1_database_gets_the_new_tables_and_keeps_its_faxes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(_SCHEMA_1)
        db.execute(
            "INSERT INTO faxes VALUES (?, ?, ?, 'OUTBOUND', 'COMPLETED', '+19898989898',"
            " '+14155550100', '2026-06-15T11:00:00.000Z', ?, '{}')",
            (
                "01JOLDFAX00000000000000000",
                DEFAULT_PROJECT_ID,
                DEFAULT_SERVICE_ID,
                json.dumps({"id": "01JOLDFAX00000000000000000", "serviceId": DEFAULT_SERVICE_ID}),
            ),
        )
    db.close()

    config = SandboxConfig(time_scale=0, db_path=path)
    async with in_process_sandbox(config, clock=FakeClock()) as local, local.client() as client:
        fax = (await client.get("faxes/01JOLDFAX00000000000000000")).json()
        service = (await client.get(f"services/{fax['serviceId']}")).json()

    assert service["defaultForProject"] is True
    with sqlite3.connect(path) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert version == SCHEMA_VERSION == 2
    assert {"services", "cover_pages", "tokens"} <= tables


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()

    with pytest.raises(RuntimeError, match="newer sandbox"):
        SandboxState(path)


async def test_two_sandboxes_on_one_database_share_the_default_service(tmp_path: Path) -> None:
    # The window's sandbox and a `faxdesk send --sandbox` may both find no default service
    # and create it at the same moment: the second one takes the first one's.
    db = tmp_path / "shared.sqlite3"
    first, second = SandboxState(db), SandboxState(db)
    try:
        service = {
            "id": DEFAULT_SERVICE_ID,
            "projectId": DEFAULT_PROJECT_ID,
            "name": "Default service",
            "createdAt": "2026-06-15T12:00:00Z",
            "defaultForProject": True,
        }
        created = first.add_default_service(service)
        taken = second.add_default_service({**service, "name": "Also default"})
        assert created["id"] == taken["id"] == DEFAULT_SERVICE_ID
        assert taken["name"] == "Default service"
    finally:
        first.close()
        second.close()


# -- numbers and fax-to-email ------------------------------------------------------------------


async def test_the_default_service_lists_the_projects_number(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"services/{DEFAULT_SERVICE_ID}/numbers")).json()

    assert body == {
        "numbers": [
            {
                "phoneNumber": DEFAULT_FROM_NUMBER,
                "permissions": "both",
                "country": "US",
                "suspended": False,
                "projectId": DEFAULT_PROJECT_ID,
                "serviceId": DEFAULT_SERVICE_ID,
            }
        ],
        "page": 1,
        "pageSize": 20,
        "totalItems": 1,
        "totalPages": 1,
    }


async def test_a_service_lists_the_number_it_sends_from(client: httpx.AsyncClient) -> None:
    billing = await create(client, name="Billing", defaultFrom="+442071838750")
    bare = await create(client, name="Bare")

    numbers = (await client.get(f"services/{billing['id']}/numbers")).json()
    none = (await client.get(f"services/{bare['id']}/numbers")).json()
    beyond = (await client.get(f"services/{billing['id']}/numbers", params={"page": 2})).json()

    assert [(n["phoneNumber"], n["country"]) for n in numbers["numbers"]] == [
        ("+442071838750", "GB")
    ]
    assert (none["numbers"], none["totalItems"], none["totalPages"]) == ([], 0, 0)
    assert (beyond["numbers"], beyond["page"], beyond["totalItems"]) == ([], 2, 1)


async def test_the_number_a_client_discovers_receives_injected_faxes(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    billing = await create(client, name="Billing", defaultFrom="+14155550111")
    [number] = (await client.get(f"services/{billing['id']}/numbers")).json()["numbers"]

    async with httpx.AsyncClient(
        transport=local.transport, base_url=local.origin, auth=local.auth
    ) as control:
        response = await control.post("/sandbox/inbound", json={"to": number["phoneNumber"]})

    [fax] = response.json()["faxes"]
    assert (fax["to"], fax["serviceId"]) == ("+14155550111", billing["id"])


@pytest.mark.parametrize(
    "path",
    [
        f"services/{DEFAULT_SERVICE_ID}/emails",
        f"services/{DEFAULT_SERVICE_ID}/numbers/{DEFAULT_FROM_NUMBER}/emails",
        f"services/{DEFAULT_SERVICE_ID}/numbers/%2B14155550100/emails",
    ],
)
async def test_fax_to_email_lists_are_empty_in_the_documented_shape(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.json() == {
        "emails": [],
        "page": 1,
        "pageSize": 100,
        "totalItems": 0,
        "totalPages": 0,
    }


@pytest.mark.parametrize(
    "path",
    [
        "services/01JNOSUCHSERV1CE0000000000/numbers",
        "services/01JNOSUCHSERV1CE0000000000/emails",
        f"services/{DEFAULT_SERVICE_ID}/numbers/+14155550999/emails",
    ],
)
async def test_numbers_and_emails_of_what_does_not_exist_are_404(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert (response.status_code, response.json()["status"]) == (404, "NOT_FOUND")


async def test_numbers_and_emails_are_paged_within_limits(client: httpx.AsyncClient) -> None:
    numbers = await client.get(f"services/{DEFAULT_SERVICE_ID}/numbers", params={"pageSize": 1001})
    emails = await client.get(f"services/{DEFAULT_SERVICE_ID}/emails", params={"page": 0})

    assert (numbers.status_code, emails.status_code) == (400, 400)
