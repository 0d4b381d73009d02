"""The account's key secret and the webhook listener's password, kept in the OS keyring only.

On machines without a keyring (a bare server, CI) the secret can come from the environment
variable FAXDESK_KEY_SECRET instead. The secret is never logged and never put in a message.
"""

from __future__ import annotations

import logging
import os

import keyring

from faxdesk.core.errors import ConfigError

log = logging.getLogger(__name__)

SERVICE = "FaxDesk"
SECRET_ENV = "FAXDESK_KEY_SECRET"
WEBHOOK_PASSWORD_ENV = "FAXDESK_WEBHOOK_PASSWORD"
#: The keyring entry of the webhook listener's password is named after its user name.
_WEBHOOK_ENTRY = "webhook:{username}"


def get_key_secret(key_id: str) -> str:
    """Return the secret for `key_id`, or raise ConfigError saying how to provide one."""
    secret = os.environ.get(SECRET_ENV) or _read(key_id)
    if not secret:
        raise ConfigError(
            f"No key secret is stored for key id {key_id!r}. Store it with "
            f"'faxdesk account --key-id {key_id}' or set {SECRET_ENV}."
        )
    return secret


def set_key_secret(key_id: str, secret: str) -> None:
    """Store the secret in the OS keyring; raise ConfigError when there is no keyring."""
    if not _write(key_id, secret):
        raise ConfigError(
            f"This computer has no keyring to keep the key secret in. Set {SECRET_ENV} in "
            "the environment FaxDesk starts in instead."
        )


def keyring_available() -> bool:
    """Whether the system has a keyring FaxDesk can keep secrets in (a guess: a keyring that
    is there may still refuse a value, e.g. while it is locked)."""
    try:
        from keyring.backends import fail

        return not isinstance(keyring.get_keyring(), fail.Keyring)
    except Exception as exc:
        log.warning("The system keyring is not available: %s", type(exc).__name__)
        return False


def get_webhook_password(username: str) -> str:
    """The password the fax service must send to the webhook listener, or raise ConfigError."""
    secret = os.environ.get(WEBHOOK_PASSWORD_ENV) or _read(_WEBHOOK_ENTRY.format(username=username))
    if not secret:
        raise ConfigError(
            "The webhook listener has no password, so it would accept nobody. Set one in "
            f"Settings, Receiving, or set {WEBHOOK_PASSWORD_ENV}."
        )
    return secret


def set_webhook_password(username: str, password: str) -> None:
    """Keep the webhook listener's password in the keyring; ConfigError without one."""
    if not _write(_WEBHOOK_ENTRY.format(username=username), password):
        raise ConfigError(
            "This computer has no keyring to keep the webhook password in. Set "
            f"{WEBHOOK_PASSWORD_ENV} in the environment FaxDesk starts in instead."
        )


def _read(entry: str) -> str | None:
    """The keyring's value for `entry`, or None when there is none or no usable keyring.

    Any exception counts as "no keyring": a misconfigured backend raises whatever its
    platform library does (D-Bus errors, failed imports), not only KeyringError.
    """
    try:
        value: str | None = keyring.get_password(SERVICE, entry)
    except Exception as exc:
        log.warning("The system keyring is not available: %s", type(exc).__name__)
        return None
    return value


def _write(entry: str, value: str) -> bool:
    """Store `value` under `entry`; False when the keyring refused it or there is none."""
    try:
        keyring.set_password(SERVICE, entry, value)
    except Exception as exc:
        log.warning("The system keyring refused the value: %s", type(exc).__name__)
        return False
    return True
