"""Which account a headless command uses: the settings file, then FAXDESK_* variables, then
the command's flags."""

from __future__ import annotations

import pytest

from faxdesk.config.settings import DEFAULT_API_URL, DEFAULT_AUTH_URL, Account, AuthMethod
from faxdesk.core.errors import ConfigError
from faxdesk.services.commands import (
    AccountOverrides,
    Connection,
    NoAccount,
    resolve_connection,
)

SAVED = Account(
    project_id="saved-project",
    key_id="saved-key",
    auth_method=AuthMethod.BASIC,
    api_url="https://saved.example",
    auth_url="https://auth.saved.example",
)

ENVIRONMENT = {
    "FAXDESK_PROJECT_ID": "env-project",
    "FAXDESK_KEY_ID": "env-key",
    "FAXDESK_KEY_SECRET": "env:sécret@1",
    "FAXDESK_AUTH": "OAUTH2",
    "FAXDESK_BASE_URL": "https://env.example",
    "FAXDESK_AUTH_URL": "https://auth.env.example",
}


def test_the_saved_account_is_used_as_it_is() -> None:
    found = resolve_connection(SAVED, AccountOverrides(), {"FAXDESK_KEY_SECRET": "s"})
    assert found == Connection(
        base_url="https://saved.example",
        project_id="saved-project",
        key_id="saved-key",
        key_secret="s",
        auth_method=AuthMethod.BASIC,
        auth_url="https://auth.saved.example",
    )


def test_the_environment_overrides_every_saved_value() -> None:
    found = resolve_connection(SAVED, AccountOverrides(), ENVIRONMENT)
    assert found == Connection(
        base_url="https://env.example",
        project_id="env-project",
        key_id="env-key",
        key_secret="env:sécret@1",
        auth_method=AuthMethod.OAUTH2,
        auth_url="https://auth.env.example",
    )


def test_flags_override_the_environment() -> None:
    flags = AccountOverrides(
        project_id="flag-project",
        key_id="flag-key",
        base_url="https://flag.example",
        auth="basic",
        auth_url="https://auth.flag.example",
    )
    found = resolve_connection(SAVED, flags, ENVIRONMENT)
    assert (found.project_id, found.key_id, found.base_url, found.auth_url) == (
        "flag-project",
        "flag-key",
        "https://flag.example",
        "https://auth.flag.example",
    )
    assert found.auth_method is AuthMethod.BASIC
    assert found.key_secret == "env:sécret@1"


def test_an_account_from_the_environment_alone_takes_the_sinch_hosts() -> None:
    environment = {k: v for k, v in ENVIRONMENT.items() if "URL" not in k and k != "FAXDESK_AUTH"}
    found = resolve_connection(Account(), AccountOverrides(), environment)
    assert (found.base_url, found.auth_url, found.auth_method) == (
        DEFAULT_API_URL,
        DEFAULT_AUTH_URL,
        AuthMethod.OAUTH2,
    )
    assert DEFAULT_AUTH_URL == "https://auth.sinch.com"


def test_no_account_anywhere_says_how_to_set_one_or_use_the_sandbox() -> None:
    with pytest.raises(NoAccount) as caught:
        resolve_connection(Account(), AccountOverrides(), {})
    assert "--sandbox" in str(caught.value)
    assert "FAXDESK_PROJECT_ID" in str(caught.value)


def test_an_unknown_auth_method_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_connection(SAVED, AccountOverrides(auth="bearer"), ENVIRONMENT)
    assert str(caught.value) == "the auth method 'bearer' is unknown; use basic or oauth2."


def test_the_secret_never_shows_in_the_connection_repr() -> None:
    found = resolve_connection(SAVED, AccountOverrides(), ENVIRONMENT)
    assert "env:sécret@1" not in repr(found)
