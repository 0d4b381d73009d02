"""Small values: ULID fax ids and the sandbox config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.ulid import CROCKFORD_ALPHABET, UlidGenerator, encode_ulid


def decode(ulid: str) -> int:
    value = 0
    for char in ulid:
        value = value * 32 + CROCKFORD_ALPHABET.index(char)
    return value


def test_ulids_carry_the_millisecond_and_sort_in_creation_order() -> None:
    generator = UlidGenerator()
    moment = datetime(2026, 6, 15, 12, 0, 0, 123000, tzinfo=UTC)

    same_ms = [generator.new(moment) for _ in range(50)]
    later = generator.new(moment + timedelta(milliseconds=1))

    assert all(len(ulid) == 26 for ulid in same_ms)
    assert same_ms == sorted(same_ms)
    assert len(set(same_ms)) == 50
    assert later > same_ms[-1]
    assert decode(same_ms[0]) >> 80 == int(moment.timestamp() * 1000)


def test_encode_ulid_uses_crockford_base32() -> None:
    assert encode_ulid(0) == "0" * 26
    assert encode_ulid((1 << 128) - 1) == "7" + "Z" * 25
    assert encode_ulid(31) == "0" * 25 + "Z"


@pytest.mark.parametrize(
    "change",
    [
        {"time_scale": -0.5},
        {"port": 65536},
        {"port": -1},
        {"token_lifetime_seconds": 0},
    ],
)
def test_config_rejects_impossible_values(change: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(change))):
        SandboxConfig(**change)


def test_config_defaults() -> None:
    config = SandboxConfig()

    assert (config.host, config.port, config.key_id, config.key_secret) == (
        "127.0.0.1",
        8080,
        "sandbox",
        "sandbox-secret",
    )
    assert (config.time_scale, config.db_path) == (1.0, None)
    assert config.token_lifetime_seconds == 3600
    assert len(config.project_id) == 36
