"""The account's key secret, kept in the OS keyring and nowhere else.

On machines without a keyring (a bare server, CI) the secret can come from the environment
variable FAXDESK_KEY_SECRET instead. The secret is never logged and never put in a message.
"""

from __future__ import annotations

import logging
import os

import keyring
import keyring.errors

from faxdesk.core.errors import ConfigError

log = logging.getLogger(__name__)

SERVICE = "FaxDesk"
SECRET_ENV = "FAXDESK_KEY_SECRET"
WEBHOOK_PASSWORD_ENV = "FAXDESK_WEBHOOK_PASSWORD"
#: The keyring entry of the webhook listener's password is named after its user name.
_WEBHOOK_ENTRY = "webhook:{username}"


def get_key_secret(key_id: str) -> str:
    """Return the secret for `key_id`, or raise ConfigError saying how to provide one."""
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return from_env
    try:
        secret = keyring.get_password(SERVICE, key_id)
    except keyring.errors.KeyringError as exc:
        log.warning("The system keyring is not available: %s", type(exc).__name__)
        secret = None
    if not secret:
        raise ConfigError(
            f"No key secret is stored for key id {key_id!r}. Store it with "
            f"'faxdesk account --key-id {key_id}' or set {SECRET_ENV}."
        )
    return secret


def set_key_secret(key_id: str, secret: str) -> None:
    """Store the secret in the OS keyring; raise ConfigError when there is no keyring."""
    try:
        keyring.set_password(SERVICE, key_id, secret)
    except keyring.errors.KeyringError as exc:
        log.warning("The system keyring refused the secret: %s", type(exc).__name__)
        raise ConfigError(
            f"This computer has no keyring to keep the key secret in. Set {SECRET_ENV} in "
            "the environment FaxDesk starts in instead."
        ) from None


def get_webhook_password(username: str) -> str:
    """The password the fax service must send to the webhook listener, or raise ConfigError."""
    from_env = os.environ.get(WEBHOOK_PASSWORD_ENV)
    if from_env:
        return from_env
    try:
        secret = keyring.get_password(SERVICE, _WEBHOOK_ENTRY.format(username=username))
    except keyring.errors.KeyringError as exc:
        log.warning("The system keyring is not available: %s", type(exc).__name__)
        secret = None
    if not secret:
        raise ConfigError(
            "The webhook listener has no password, so it would accept nobody. Set one in "
            f"Settings, Receiving, or set {WEBHOOK_PASSWORD_ENV}."
        )
    return secret


def set_webhook_password(username: str, password: str) -> None:
    """Keep the webhook listener's password in the keyring; ConfigError without one."""
    try:
        keyring.set_password(SERVICE, _WEBHOOK_ENTRY.format(username=username), password)
    except keyring.errors.KeyringError as exc:
        log.warning("The system keyring refused the password: %s", type(exc).__name__)
        raise ConfigError(
            "This computer has no keyring to keep the webhook password in. Set "
            f"{WEBHOOK_PASSWORD_ENV} in the environment FaxDesk starts in instead."
        ) from None
