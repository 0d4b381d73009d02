"""Basic and OAuth2 credentials: header encoding, token caching, renewal and secrecy."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from faxdesk.api.auth import BasicAuth, OAuth2ClientCredentials
from faxdesk.core.errors import ApiError, AuthError, FaxDeskError, Offline, ServerError
from faxdesk.core.models import Document, SendRequest
from tests.api.apitest_support import (
    FAXES_PATH,
    KEY_ID,
    KEY_SECRET,
    MakeClient,
    json_response,
    wire_fax,
)

AUTH_URL = "http://auth.test:9090"
TOKEN_PATH = "/oauth2/token"
ODD_SECRET = "pa:ss@wörd:é:"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Service:
    """A token endpoint and a fax endpoint that records what it was asked."""

    def __init__(self, *, expires_in: object = 3600) -> None:
        self.expires_in = expires_in
        self.token_requests: list[httpx.Request] = []
        self.fax_authorizations: list[str] = []
        self.issued = 0
        #: Tokens the fax endpoint answers 401 "expired" for.
        self.expired_tokens: set[str] = set()
        self.token_status = 200

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            self.token_requests.append(request)
            # Let concurrent requests pile up behind the lock while this token is "in flight".
            for _ in range(5):
                await asyncio.sleep(0)
            if self.token_status != 200:
                return json_response(self.token_status, {"error": "invalid_client"})
            self.issued += 1
            return json_response(
                200,
                {
                    "access_token": f"token-{self.issued}",
                    "expires_in": self.expires_in,
                    "scope": "",
                    "token_type": "bearer",
                },
            )
        authorization = request.headers.get("Authorization", "")
        self.fax_authorizations.append(authorization)
        token = authorization.removeprefix("Bearer ")
        if token in self.expired_tokens:
            return httpx.Response(
                401, headers={"WWW-Authenticate": 'Bearer error="invalid_token", expired'}
            )
        return json_response(200, wire_fax(id=request.url.path.rsplit("/", 1)[-1]))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def oauth(clock: FakeClock) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(KEY_ID, KEY_SECRET, auth_base_url=AUTH_URL + "/", clock=clock)


# --- Basic -----------------------------------------------------------------------------------


async def test_basic_auth_encodes_any_secret_as_utf8(make_client: MakeClient) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return json_response(200, wire_fax())

    client = make_client(handler, auth=BasicAuth("my-key", ODD_SECRET))
    await client.get_fax("01HX")

    scheme, _, encoded = seen[0].partition(" ")
    assert scheme == "Basic"
    decoded = base64.b64decode(encoded).decode("utf-8")
    assert decoded == "my-key:pa:ss@wörd:é:"
    key_id, _, secret = decoded.partition(":")
    assert (key_id, secret) == ("my-key", ODD_SECRET)


def test_basic_auth_repr_hides_the_secret() -> None:
    auth = BasicAuth("my-key", ODD_SECRET)
    assert repr(auth) == "BasicAuth(key_id='my-key')"
    assert ODD_SECRET not in repr(auth)
    assert ODD_SECRET not in str(vars(auth))


# --- OAuth2 ----------------------------------------------------------------------------------


async def test_token_request_shape_and_bearer_use(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    service = Service()
    client = make_client(service, auth=oauth)

    fax = await client.get_fax("01HX")

    assert fax.id == "01HX"
    [token_request] = service.token_requests
    assert token_request.method == "POST"
    assert str(token_request.url) == "http://auth.test:9090/oauth2/token"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.content.decode()) == {"grant_type": ["client_credentials"]}
    expected_basic = base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected_basic}"
    assert service.fax_authorizations == ["Bearer token-1"]


@pytest.mark.parametrize("given", [AUTH_URL, AUTH_URL + TOKEN_PATH, AUTH_URL + TOKEN_PATH + "/"])
async def test_the_auth_url_may_be_the_root_or_the_token_address(
    make_client: MakeClient, clock: FakeClock, given: str
) -> None:
    oauth = OAuth2ClientCredentials(KEY_ID, KEY_SECRET, auth_base_url=given, clock=clock)
    service = Service()
    await make_client(service, auth=oauth).get_fax("01HX")
    assert oauth.auth_base_url == AUTH_URL
    assert [str(request.url) for request in service.token_requests] == [AUTH_URL + TOKEN_PATH]


async def test_token_is_cached_between_requests(
    make_client: MakeClient, oauth: OAuth2ClientCredentials, clock: FakeClock
) -> None:
    service = Service(expires_in=3600)
    client = make_client(service, auth=oauth)

    await client.get_fax("A")
    clock.now += 3600 - 61  # still more than a minute left
    await client.get_fax("B")

    assert len(service.token_requests) == 1
    assert service.fax_authorizations == ["Bearer token-1", "Bearer token-1"]


async def test_token_is_renewed_a_minute_before_it_expires(
    make_client: MakeClient, oauth: OAuth2ClientCredentials, clock: FakeClock
) -> None:
    service = Service(expires_in=3600)
    client = make_client(service, auth=oauth)

    await client.get_fax("A")
    clock.now += 3600 - 59  # less than a minute left
    await client.get_fax("B")

    assert len(service.token_requests) == 2
    assert service.fax_authorizations == ["Bearer token-1", "Bearer token-2"]


async def test_missing_expires_in_assumes_an_hour(
    make_client: MakeClient, oauth: OAuth2ClientCredentials, clock: FakeClock
) -> None:
    service = Service(expires_in=None)
    client = make_client(service, auth=oauth)

    await client.get_fax("A")
    clock.now += 3500
    await client.get_fax("B")
    clock.now += 100
    await client.get_fax("C")

    assert service.fax_authorizations == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]


async def test_expired_token_is_renewed_and_request_retried_once(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    service = Service()
    service.expired_tokens.add("token-1")
    client = make_client(service, auth=oauth)

    fax = await client.get_fax("01HX")

    assert fax.id == "01HX"
    assert service.fax_authorizations == ["Bearer token-1", "Bearer token-2"]
    assert len(service.token_requests) == 2


async def test_expired_send_is_retried_with_the_same_body(
    make_client: MakeClient, oauth: OAuth2ClientCredentials, pdf_files: tuple[Path, Path]
) -> None:
    bodies: list[bytes] = []
    service = Service()
    service.expired_tokens.add("token-1")

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host != "auth.test":
            bodies.append(request.content)
            if request.headers["Authorization"] == "Bearer token-2":
                return json_response(200, wire_fax(id="SENT"))
        return await service(request)

    client = make_client(handler, auth=oauth)
    faxes = await client.send(
        SendRequest(to=("+19898989898",), documents=(Document(pdf_files[0]),))
    )

    assert [f.id for f in faxes] == ["SENT"]
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert b"first\x00\xff binary" in bodies[1]


async def test_still_expired_after_renewal_is_auth_error_without_a_third_try(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    service = Service()
    service.expired_tokens.update({"token-1", "token-2", "token-3"})
    client = make_client(service, auth=oauth)

    with pytest.raises(AuthError) as caught:
        await client.get_fax("01HX")

    assert caught.value.status_code == 401
    assert service.fax_authorizations == ["Bearer token-1", "Bearer token-2"]


async def test_401_without_expired_is_not_retried(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    calls: list[str] = []
    service = Service()

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return await service(request)
        calls.append(request.headers["Authorization"])
        return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer realm="fax"'})

    client = make_client(handler, auth=oauth)
    with pytest.raises(AuthError):
        await client.get_fax("01HX")
    assert calls == ["Bearer token-1"]
    assert len(service.token_requests) == 1


async def test_concurrent_requests_share_one_token_fetch(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    service = Service()
    client = make_client(service, auth=oauth)

    faxes = await asyncio.gather(*(client.get_fax(f"F{i}") for i in range(6)))

    assert sorted(f.id for f in faxes) == [f"F{i}" for i in range(6)]
    assert len(service.token_requests) == 1
    assert service.fax_authorizations == ["Bearer token-1"] * 6


async def test_concurrent_expiry_renews_once(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    service = Service()
    client = make_client(service, auth=oauth)
    await client.get_fax("warm-up")
    service.expired_tokens.add("token-1")

    await asyncio.gather(*(client.get_fax(f"F{i}") for i in range(4)))

    assert len(service.token_requests) == 2
    assert service.fax_authorizations[-4:] == ["Bearer token-2"] * 4


async def test_refused_key_is_auth_error_without_the_secret(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    service = Service()
    service.token_status = 401
    client = make_client(service, auth=oauth)

    with pytest.raises(AuthError) as caught:
        await client.get_fax("01HX")

    assert str(caught.value) == (
        "Sinch did not accept the key id or key secret when asked for an access token."
    )
    assert service.fax_authorizations == []
    _assert_no_secret(caught.value, KEY_SECRET)


async def test_token_service_failure_is_server_error(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    service = Service()
    service.token_status = 503
    client = make_client(service, auth=oauth)

    with pytest.raises(ServerError):
        await client.get_fax("01HX")


async def test_unreadable_token_answer_is_api_error(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"token_type": "bearer"})

    client = make_client(handler, auth=oauth)
    with pytest.raises(ApiError) as caught:
        await client.get_fax("01HX")
    assert str(caught.value) == "The fax service sent an answer FaxDesk could not read."


async def test_unreachable_token_service_is_offline(
    make_client: MakeClient, oauth: OAuth2ClientCredentials
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known", request=request)

    client = make_client(handler, auth=oauth)
    with pytest.raises(Offline) as caught:
        await client.get_fax("01HX")
    assert str(caught.value) == "The Sinch sign-in service at auth.test:9090 could not be reached."
    _assert_no_secret(caught.value, KEY_SECRET)


def test_oauth_repr_hides_the_secret(oauth: OAuth2ClientCredentials) -> None:
    assert repr(oauth) == (
        "OAuth2ClientCredentials(key_id='key-id-1', auth_base_url='http://auth.test:9090')"
    )
    assert KEY_SECRET not in repr(oauth)


@pytest.fixture
def sync_http() -> Iterator[httpx.Client]:
    http = httpx.Client(transport=httpx.MockTransport(lambda _request: httpx.Response(200)))
    yield http
    http.close()


def test_oauth_refuses_sync_clients(
    sync_http: httpx.Client, oauth: OAuth2ClientCredentials
) -> None:
    with pytest.raises(RuntimeError, match=r"only with httpx\.AsyncClient"):
        sync_http.get(f"http://fax.test{FAXES_PATH}", auth=oauth)


def _assert_no_secret(error: FaxDeskError, secret: str) -> None:
    encoded = base64.b64encode(f"{KEY_ID}:{secret}".encode()).decode()
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for exc in chain:
        text = f"{exc!s} {exc!r}"
        assert secret not in text
        assert encoded not in text
