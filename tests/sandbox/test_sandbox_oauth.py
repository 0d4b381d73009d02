"""POST /oauth2/token and bearer tokens: issue, use, expiry on the sandbox clock, refusals."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from faxdesk.api.auth import OAuth2ClientCredentials
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import IN_PROCESS_ORIGIN, LocalSandbox, in_process_sandbox
from tests.sandbox.sandbox_support import FakeClock

EXPIRED_CHALLENGE = 'Bearer error="invalid_token", error_description="expired"'


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def origin_client(local: LocalSandbox) -> httpx.AsyncClient:
    """A client on the sandbox's origin with no credentials of its own."""
    return httpx.AsyncClient(transport=local.transport, base_url=IN_PROCESS_ORIGIN)


async def get_token(local: LocalSandbox) -> str:
    async with origin_client(local) as client:
        response = await client.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers=basic(f"{local.config.key_id}:{local.config.key_secret}"),
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_a_token_is_issued_for_the_client_credentials_grant(local: LocalSandbox) -> None:
    async with origin_client(local) as client:
        response = await client.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers=basic("sandbox:sandbox-secret"),
        )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 3600, "")
    assert len(body["access_token"]) >= 32
    assert response.headers["cache-control"] == "no-store"


async def test_tokens_are_jwts_whose_exp_says_when_they_expire(
    local: LocalSandbox, clock: FakeClock
) -> None:
    token = await get_token(local)

    # The official SDKs renew a token a minute before the `exp` they read from it.
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))) == {
        "alg": "HS256",
        "typ": "JWT",
    }
    assert claims["exp"] == int(clock.now.timestamp()) + 3600
    assert claims["iat"] == int(clock.now.timestamp())
    assert (claims["sub"], claims["aud"]) == ("sandbox", local.config.project_id)
    expected = hmac.new(b"sandbox-secret", f"{header}.{payload}".encode(), hashlib.sha256)
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) == expected.digest()


async def test_tokens_are_new_each_time(local: LocalSandbox) -> None:
    assert await get_token(local) != await get_token(local)


async def test_a_bearer_token_opens_faxes_and_services(local: LocalSandbox) -> None:
    token = await get_token(local)

    async with local.client(auth=None, headers=bearer(token)) as client:
        faxes = await client.get("faxes")
        services = await client.get("services")

    assert (faxes.status_code, services.status_code) == (200, 200)
    assert services.json()["totalItems"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("sandbox:wrong"),
        basic("other:sandbox-secret"),
        {"Authorization": "Bearer sandbox-secret"},
    ],
)
async def test_bad_client_credentials_are_401_with_an_empty_body(
    local: LocalSandbox, headers: dict[str, str]
) -> None:
    async with origin_client(local) as client:
        response = await client.post(
            "/oauth2/token", data={"grant_type": "client_credentials"}, headers=headers
        )

    assert (response.status_code, response.content) == (401, b"")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
    ],
)
async def test_other_grants_are_400_in_oauth_shape(
    local: LocalSandbox, data: dict[str, str], error: str
) -> None:
    async with origin_client(local) as client:
        response = await client.post(
            "/oauth2/token", data=data, headers=basic("sandbox:sandbox-secret")
        )

    assert response.status_code == 400
    assert response.json() == {"error": error}


async def test_a_token_expires_after_its_lifetime(local: LocalSandbox, clock: FakeClock) -> None:
    token = await get_token(local)

    async with local.client(auth=None, headers=bearer(token)) as client:
        clock.advance(seconds=3599)
        almost = await client.get("faxes")
        clock.advance(seconds=1)
        expired = await client.get("faxes")
        expired_service = await client.post("services", json={"name": "x"})

    assert almost.status_code == 200
    for response in (expired, expired_service):
        assert (response.status_code, response.content) == (401, b"")
        assert response.headers["www-authenticate"] == EXPIRED_CHALLENGE


async def test_the_lifetime_comes_from_the_config() -> None:
    clock = FakeClock()
    config = SandboxConfig(time_scale=0, token_lifetime_seconds=60)
    async with in_process_sandbox(config, clock=clock) as local:
        async with origin_client(local) as client:
            issued = await client.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials"},
                headers=basic("sandbox:sandbox-secret"),
            )
        token = issued.json()["access_token"]
        async with local.client(auth=None, headers=bearer(token)) as client:
            clock.advance(seconds=60)
            response = await client.get("faxes")

    assert issued.json()["expires_in"] == 60
    assert response.headers["www-authenticate"] == EXPIRED_CHALLENGE


@pytest.mark.parametrize("token", ["made-up-token", ""])
async def test_an_unknown_token_is_401_without_saying_expired(
    local: LocalSandbox, token: str
) -> None:
    async with local.client(auth=None, headers=bearer(token)) as client:
        response = await client.get("faxes")

    assert (response.status_code, response.content) == (401, b"")
    assert "expired" not in response.headers.get("www-authenticate", "")


async def test_a_token_on_another_project_is_401(local: LocalSandbox) -> None:
    token = await get_token(local)

    async with origin_client(local) as client:
        response = await client.get(
            "/v3/projects/11111111-2222-4333-8444-555555555555/faxes", headers=bearer(token)
        )

    assert (response.status_code, response.content) == (401, b"")


async def test_long_expired_tokens_are_forgotten(local: LocalSandbox, clock: FakeClock) -> None:
    old = await get_token(local)
    clock.advance(hours=1, days=1, seconds=1)
    await get_token(local)  # issuing cleans up

    async with local.client(auth=None, headers=bearer(old)) as client:
        response = await client.get("faxes")

    assert response.status_code == 401
    assert "expired" not in response.headers.get("www-authenticate", "")


async def test_only_a_digest_of_the_token_is_stored_and_it_survives_a_restart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sandbox.db"
    config = SandboxConfig(time_scale=0, db_path=path)
    async with in_process_sandbox(config) as first:
        token = await get_token(first)
    async with (
        in_process_sandbox(config) as second,
        second.client(auth=None, headers=bearer(token)) as client,
    ):
        response = await client.get("faxes")

    assert response.status_code == 200
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    db.close()
    assert "tokens" in dump
    assert token not in dump


async def test_the_api_client_renews_an_expired_token_against_the_sandbox(
    local: LocalSandbox, clock: FakeClock
) -> None:
    # The client's own clock stands still, so only the sandbox's "expired" makes it renew.
    auth = OAuth2ClientCredentials(
        local.config.key_id,
        local.config.key_secret,
        auth_base_url=IN_PROCESS_ORIGIN,
        clock=lambda: 0.0,
    )
    async with local.client(auth=auth) as client:
        first = await client.get("faxes")
        clock.advance(hours=2)
        second = await client.get("faxes")

    assert (first.status_code, second.status_code) == (200, 200)
    first_token = first.request.headers["authorization"]
    second_token = second.request.headers["authorization"]
    assert first_token.startswith("Bearer ")
    assert second_token.startswith("Bearer ")
    assert first_token != second_token
