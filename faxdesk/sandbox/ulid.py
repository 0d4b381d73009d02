"""ULID generation for fax ids: 26 characters of Crockford base32, ordered by creation time.

Only what the sandbox needs: a 48-bit millisecond timestamp followed by 80 random bits, kept
monotonic within one millisecond. It does not parse or validate ULIDs from elsewhere.
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_RANDOM_MAX = (1 << _RANDOM_BITS) - 1


def encode_ulid(value: int) -> str:
    """Encode a 128-bit integer as 26 Crockford base32 characters."""
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD_ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


class UlidGenerator:
    """Hands out ULIDs that sort in the order they were made for the same clock reading.

    Two ids made in the same millisecond differ by incrementing the random part, as the ULID
    spec's monotonic mode does, so "newest first" by id never ties.
    """

    __slots__ = ("_last_ms", "_last_random", "_lock")

    def __init__(self) -> None:
        self._last_ms = -1
        self._last_random = 0
        # The runner is single-threaded, but tests may create faxes from worker threads.
        self._lock = threading.Lock()

    def new(self, at: datetime) -> str:
        ms = int(at.timestamp() * 1000) & ((1 << 48) - 1)
        with self._lock:
            if ms == self._last_ms and self._last_random < _RANDOM_MAX:
                random_part = self._last_random + 1
            else:
                random_part = secrets.randbits(_RANDOM_BITS)
            self._last_ms = ms
            self._last_random = random_part
        return encode_ulid((ms << _RANDOM_BITS) | random_part)
