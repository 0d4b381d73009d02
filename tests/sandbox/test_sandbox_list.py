"""GET /faxes: paging, filters, phone prefixes, createTime forms and the prior-week default."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from faxdesk.sandbox.testing import LocalSandbox
from faxdesk.sandbox.wire import format_time
from tests.sandbox.sandbox_support import (
    OTHER_NUMBER,
    TEST_NUMBER,
    FakeClock,
    own_number,
    raw_get,
    send,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def send_at(
    client: httpx.AsyncClient, clock: FakeClock, when: str, **fields: Any
) -> dict[str, Any]:
    clock.now = at(when)
    return await send(client, **fields)


def ids(body: dict[str, Any]) -> list[str]:
    return [fax["id"] for fax in body["faxes"]]


async def test_pages_newest_first_with_totals(client: httpx.AsyncClient, clock: FakeClock) -> None:
    sent = [await send_at(client, clock, f"2026-06-15T12:00:0{i}") for i in range(5)]
    newest_first = [fax["id"] for fax in reversed(sent)]

    pages = [
        (await client.get("faxes", params={"pageSize": 2, "page": n})).json() for n in (1, 2, 3)
    ]
    beyond = (await client.get("faxes", params={"pageSize": 2, "page": 4})).json()

    assert [ids(page) for page in pages] == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert [(p["page"], p["pageSize"], p["totalItems"], p["totalPages"]) for p in pages] == [
        (1, 2, 5, 3),
        (2, 2, 5, 3),
        (3, 2, 5, 3),
    ]
    assert (beyond["faxes"], beyond["page"], beyond["totalPages"]) == ([], 4, 3)


async def test_defaults_are_page_one_of_100(client: httpx.AsyncClient) -> None:
    await send(client)

    body = (await client.get("faxes")).json()

    assert (body["page"], body["pageSize"], body["totalItems"], body["totalPages"]) == (
        1,
        100,
        1,
        1,
    )


async def test_an_empty_list_has_zero_pages(client: httpx.AsyncClient) -> None:
    body = (await client.get("faxes")).json()

    assert body == {"faxes": [], "page": 1, "pageSize": 100, "totalItems": 0, "totalPages": 0}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "1001"}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"page": "0"}, "page"),
        ({"direction": "SIDEWAYS"}, "direction"),
        ({"status": "LOST"}, "status"),
        ({"createTime": "last tuesday"}, "createTime"),
        ({"createTime": "2026-13"}, "createTime"),
    ],
)
async def test_bad_query_values_are_400(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("faxes", params=params)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "INVALID_ARGUMENT"
    assert [v["field"] for v in body["details"][0]["fieldViolations"]] == [field]


async def test_page_size_limits_are_inclusive(client: httpx.AsyncClient) -> None:
    for size in (1, 1000):
        response = await client.get("faxes", params={"pageSize": size})
        assert (response.status_code, response.json()["pageSize"]) == (200, size)


async def test_direction_filter(local: LocalSandbox, client: httpx.AsyncClient) -> None:
    outbound = await send(client)
    inbound = dict(
        outbound, id="01JINB0VND000000000000000A", direction="INBOUND", status="COMPLETED"
    )
    local.sandbox.state.add_fax(inbound, plan={}, pdf=None)

    only_in = (await client.get("faxes", params={"direction": "INBOUND"})).json()
    only_out = (await client.get("faxes", params={"direction": "outbound"})).json()

    assert ids(only_in) == [inbound["id"]]
    assert ids(only_out) == [outbound["id"]]


async def test_status_filter(local: LocalSandbox, client: httpx.AsyncClient) -> None:
    good = await send(client)
    bad = (
        await client.post(
            "faxes",
            data={"to": TEST_NUMBER},
            files=[("file", ("x.pdf", b"not a pdf", "application/pdf"))],
        )
    ).json()
    await local.sandbox.simulator.wait_all()

    failed = (await client.get("faxes", params={"status": "FAILURE"})).json()
    completed = (await client.get("faxes", params={"status": "completed"})).json()
    queued = (await client.get("faxes", params={"status": "QUEUED"})).json()

    assert ids(failed) == [bad["id"]]
    assert ids(completed) == [good["id"]]
    assert queued["totalItems"] == 0


async def test_to_and_from_are_prefix_matches_with_or_without_encoding(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    sf = await send(client, to=OTHER_NUMBER)  # +1415...
    toronto = await send(client, to="+14165550000")
    await own_number(client, "+13125550100")
    test = await send(client, to=TEST_NUMBER, **{"from": "+13125550100"})

    raw_plus = (await client.get("faxes?to=+1415")).json()  # "+" arrives decoded as a space
    encoded = (await client.get("faxes", params={"to": "+141"})).json()  # sent as %2B141
    no_plus = (await client.get("faxes", params={"to": "1989"})).json()
    full = (await client.get("faxes", params={"to": TEST_NUMBER})).json()
    by_from = (await client.get("faxes?from=+1312")).json()
    _, raw_asgi = await raw_get(
        local, "/v3/projects/" + local.config.project_id + "/faxes", b"to=+1416"
    )

    assert ids(raw_plus) == [sf["id"]]
    assert ids(encoded) == [toronto["id"], sf["id"]]
    assert ids(no_plus) == [test["id"]]
    assert ids(full) == [test["id"]]
    assert ids(by_from) == [test["id"]]
    assert ids(raw_asgi) == [toronto["id"]]


async def test_without_create_time_only_the_prior_week_is_listed(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    old = await send_at(client, clock, "2026-06-05T11:59:59")  # 10 days before "now"
    edge = await send_at(client, clock, "2026-06-08T12:00:01")  # just inside 7 days
    new = await send_at(client, clock, "2026-06-15T11:00:00")
    clock.now = at("2026-06-15T12:00:00")

    default = (await client.get("faxes")).json()
    ranged = (await client.get("faxes?createTime>=2026-06-01T00:00:00Z")).json()
    before = (await client.get("faxes?createTime<=2026-06-08T12:00:00Z")).json()

    assert ids(default) == [new["id"], edge["id"]]
    assert default["totalItems"] == 2
    assert ids(ranged) == [new["id"], edge["id"], old["id"]]
    assert ids(before) == [old["id"]]


async def test_create_time_range_keys_as_clients_send_them(
    local: LocalSandbox, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = await send_at(client, clock, "2026-01-10T08:00:00")
    second = await send_at(client, clock, "2026-01-20T08:00:00")
    await send_at(client, clock, "2026-02-01T00:00:00")
    path = f"/v3/projects/{local.config.project_id}/faxes"

    # The literal `createTime>=...&createTime<=...`: parsed into keys `createTime>`/`createTime<`.
    _, literal = await raw_get(
        local, path, b"createTime>=2026-01-01T00:00:00Z&createTime<=2026-01-31T23:59:59Z"
    )
    # The same with `>`/`<` percent-encoded (what httpx sends) or encoded twice.
    encoded = (await client.get("faxes?createTime>=2026-01-15&createTime<=2026-01-31")).json()
    twice = (await client.get("faxes?createTime%253E=2026-01-15&createTime%253C=2026-01-31")).json()
    # An unencoded "+01:00" offset arrives as " 01:00": 09:00+01:00 is 08:00Z, inclusive.
    _, offset = await raw_get(
        local, path, b"createTime>=2026-01-20T09:00:00+01:00&createTime<=2026-01-20"
    )
    # The .NET SDK writes the whole key `createTime>=` before its `=`, and times as "O" formats
    # them (seven digits of fraction; no zone for a DateTime of unspecified kind).
    _, dotnet = await raw_get(
        local,
        path,
        b"createTime>==2026-01-15T00%3A00%3A00.0000000Z"
        b"&createTime<==2026-01-31T00%3A00%3A00.0000000",
    )
    # Both ends are inclusive, to the millisecond.
    upto = (await client.get("faxes?createTime<=2026-01-20T08:00:00Z")).json()

    assert ids(upto) == [second["id"], first["id"]]
    assert ids(literal) == [second["id"], first["id"]]
    assert ids(encoded) == [second["id"]]
    assert ids(twice) == [second["id"]]
    assert ids(offset) == [second["id"]]
    assert ids(dotnet) == [second["id"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-31", ["may31"]),
        ("2026-06", ["jun15", "jun01"]),
        ("2026", ["jun15", "jun01", "may31"]),
        ("2025", ["dec31"]),
        ("2026-06-01T00:00:00Z", ["jun15", "jun01"]),  # a timestamp means "from then on"
    ],
)
async def test_create_time_as_day_month_year_or_timestamp(
    client: httpx.AsyncClient, clock: FakeClock, value: str, expected: list[str]
) -> None:
    sent = {
        "dec31": await send_at(client, clock, "2025-12-31T23:00:00"),
        "may31": await send_at(client, clock, "2026-05-31T23:59:59.999"),
        "jun01": await send_at(client, clock, "2026-06-01T00:00:00"),
        "jun15": await send_at(client, clock, "2026-06-15T12:00:00"),
    }

    body = (await client.get("faxes", params={"createTime": value})).json()

    assert ids(body) == [sent[name]["id"] for name in expected]


async def test_service_id_filter(client: httpx.AsyncClient) -> None:
    service = (await client.post("services", json={"name": "Billing"})).json()
    default = await send(client)
    other = await send(client, serviceId=service["id"])

    body = (await client.get("faxes", params={"serviceId": service["id"]})).json()
    unknown = await client.get("faxes", params={"serviceId": "01JNOSUCHSERV1CE0000000000"})

    assert ids(body) == [other["id"]]
    assert default["serviceId"] != other["serviceId"]
    assert (unknown.status_code, unknown.json()["totalItems"]) == (200, 0)


def test_format_time_is_fixed_width_utc_with_milliseconds() -> None:
    assert format_time(at("2026-01-02T03:04:05.678901")) == "2026-01-02T03:04:05.678Z"
    assert format_time(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"


async def test_country_filters(client: httpx.AsyncClient) -> None:
    to_us = await send(client, to=OTHER_NUMBER)
    await own_number(client, "+33142685300")
    to_gb = await send(client, to="+442071838750", **{"from": "+33142685300"})

    to_country = (await client.get("faxes", params={"toCountry": "GB"})).json()
    from_country = (await client.get("faxes", params={"fromCountry": "us"})).json()
    both = (await client.get("faxes", params={"fromCountry": "FR", "toCountry": "GB"})).json()
    none = (await client.get("faxes", params={"toCountry": "DE"})).json()
    bad = await client.get("faxes", params={"toCountry": "USA"})

    assert ids(to_country) == [to_gb["id"]]
    assert ids(from_country) == [to_us["id"]]
    assert ids(both) == [to_gb["id"]]
    assert none["totalItems"] == 0
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "labels[ticket]=T-1",
        "labels=ticket:T-1",
        "labels=ticket=T-1",
        "labels=%7B%22ticket%22%3A%22T-1%22%7D",  # labels={"ticket":"T-1"}
        "labels[ticket]=T-1&labels[team]=front",
        "labels=ticket:T-1,team:front",
    ],
)
async def test_labels_filter_in_each_form_clients_send(
    client: httpx.AsyncClient, query: str
) -> None:
    wanted = await send(client, **{"labels[ticket]": "T-1", "labels[team]": "front"})
    await send(client, **{"labels[ticket]": "T-2", "labels[team]": "front"})
    await send(client)

    body = (await client.get(f"faxes?{query}")).json()

    assert ids(body) == [wanted["id"]]


async def test_every_label_asked_for_must_match(client: httpx.AsyncClient) -> None:
    await send(client, **{"labels[ticket]": "T-1", "labels[team]": "back"})

    body = (await client.get("faxes?labels[ticket]=T-1&labels[team]=front")).json()
    export = await client.get("faxes?format=csv&labels=ticket:T-1,team:back")

    assert body["totalItems"] == 0
    assert len(export.text.splitlines()) == 2  # the header and the one fax


@pytest.mark.parametrize("value", ["[object Object]", "ticket", ":T-1", '{"ticket": 1}'])
async def test_labels_filter_that_names_no_label_is_400(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get("faxes", params={"labels": value})

    assert response.status_code == 400
    assert response.json()["details"][0]["fieldViolations"][0]["field"] == "labels"
