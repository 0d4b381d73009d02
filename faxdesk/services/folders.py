"""Fax PDFs in folders that several desks may share: file names by pattern, and claims.

Received faxes are written into a folder (the archive folder, or a copy folder) under a name
made from a pattern such as "{date}_{time}_{sender}_{id}.pdf". When two desks watch the same
account and write into the same network folder, each fax must arrive there once: before
writing, a desk claims the fax with a small file created exclusively (`O_CREAT | O_EXCL`, which
network file systems honour) in the folder's `.faxdesk-claims` directory. The claim names the
file; a desk that finds another's claim uses that file once it is complete, and takes over a
claim left unfinished for too long by renaming it away first (a rename succeeds for one desk
only). Files are written to a temporary name and renamed into place, so nobody ever sees half a
PDF. Blocking file-system calls: run them off the event loop. No network here: the caller
fetches the PDF into the claimed place.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import string
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from faxdesk.core.errors import ValidationError
from faxdesk.core.models import Direction, Fax

CLAIMS_DIR = ".faxdesk-claims"

DEFAULT_PATTERN = "{date}_{time}_{sender}_{id}.pdf"

#: The fields a file-name pattern may use, with what each means (for the settings page).
PATTERN_FIELDS: Mapping[str, str] = {
    "date": "the day the fax arrived, as 2026-11-30",
    "time": "the time it arrived, as 143005 (local time)",
    "sender": "the sender's number, digits only",
    "contact": "the sender's contact name, or the number when there is none",
    "to": "the number it arrived on, digits only",
    "id": "the fax id (unique)",
    "pages": "the number of pages",
}

#: A claim older than this with no file is taken to be abandoned (a desk that crashed).
STALE_CLAIM_SECONDS = 600.0

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = frozenset(
    {
        "CON",
        "PRN",
        "AUX",
        "NUL",
        *(f"COM{n}" for n in range(1, 10)),
        *(f"LPT{n}" for n in range(1, 10)),
    }
)
_MAX_NAME = 150


def check_pattern(pattern: str) -> str:
    """Return `pattern` if it makes file names, else raise ValidationError saying why."""
    if not pattern.strip():
        raise ValidationError("The file name pattern is empty.", field="file_pattern")
    if "/" in pattern or "\\" in pattern:
        raise ValidationError(
            "The file name pattern makes a file name, not a folder: leave out / and \\.",
            field="file_pattern",
        )
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError:
        raise ValidationError(
            "The file name pattern has a { without its } (or the other way round).",
            field="file_pattern",
        ) from None
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PATTERN_FIELDS:
            known = ", ".join("{" + key + "}" for key in PATTERN_FIELDS)
            raise ValidationError(
                f"The file name pattern uses {{{name}}}, which FaxDesk does not know. "
                f"It can use {known}.",
                field="file_pattern",
            )
        if spec or conversion:
            raise ValidationError(
                f"Write {{{name}}} in the file name pattern without anything after a : or !.",
                field="file_pattern",
            )
    return pattern


def file_name(pattern: str, fax: Fax, contact: str = "") -> str:
    """The file name `pattern` gives `fax`, safe on every desktop system, ending in .pdf."""
    when = (fax.create_time or datetime.now(UTC)).astimezone()
    sender = fax.from_ if fax.direction == Direction.INBOUND else fax.to
    receiver = fax.to if fax.direction == Direction.INBOUND else fax.from_
    values = {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H%M%S"),
        "sender": _digits(sender) or "unknown",
        "contact": contact or _digits(sender) or "unknown",
        "to": _digits(receiver) or "unknown",
        "id": fax.id,
        "pages": str(fax.number_of_pages),
    }
    name = check_pattern(pattern).format_map(values)
    return safe_name(name)


def safe_name(name: str) -> str:
    """`name` with what Windows, macOS and Linux refuse in a file name replaced, as .pdf."""
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = _UNSAFE.sub("_", stem).strip().rstrip(". ")
    if not stem:
        stem = "fax"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = f"_{stem}"
    return f"{stem[:_MAX_NAME]}.pdf"


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


@dataclass(frozen=True, slots=True)
class Claim:
    """A fax's place in a folder.

    Attributes:
        path: where its PDF is, or is to be written.
        mine: this desk won the claim and must now write `path` (or `release` the claim);
            False means another desk has already written it there.
    """

    path: Path
    mine: bool


class Busy(Exception):
    """Another desk is writing this fax into the folder right now; try again later."""


class FaxFolder:
    """One folder of fax PDFs that several desks may write into.

    `desk` names this desk in its claims (a random id kept per archive); `clock` gives
    seconds since the epoch, for telling stale claims (tests pass their own).
    """

    def __init__(
        self,
        path: Path,
        desk: str,
        *,
        stale_after: float = STALE_CLAIM_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.desk = desk
        self._stale_after = stale_after
        self._clock = clock

    def claim(self, fax_id: str, name: str) -> Claim:
        """Claim the fax's place in the folder under `name` (or find it taken).

        With `Claim.mine` the caller writes the file, atomically, at `Claim.path` and calls
        `release` if that fails. Raises `Busy` while another desk's fresh claim has no file
        yet, and OSError when the folder cannot be written.
        """
        claims = self.path / CLAIMS_DIR
        claims.mkdir(parents=True, exist_ok=True)
        claim = self._claim_path(fax_id)
        mine = self._try_claim(claim, fax_id, name)
        if mine is None:
            existing = self._read_claim(claim)
            done = self._finished(existing)
            if done is not None:
                return Claim(done, mine=False)
            if not self._abandoned(claim, existing):
                raise Busy(fax_id)
            # Rename the abandoned claim away: of two desks doing this, one succeeds.
            aside = claim.with_name(f"{claim.name}.abandoned-{uuid.uuid4().hex}")
            try:
                os.rename(claim, aside)
            except FileNotFoundError:
                raise Busy(fax_id) from None
            aside.unlink(missing_ok=True)
            mine = self._try_claim(claim, fax_id, name)
            if mine is None:
                raise Busy(fax_id)
        return Claim(self.path / mine, mine=True)

    def release(self, fax_id: str) -> None:
        """Give up this desk's claim on a fax whose file never came, so another may try."""
        self._claim_path(fax_id).unlink(missing_ok=True)

    def forget(self, fax_id: str) -> None:
        """Drop the fax's claim once its file was removed on purpose (retention)."""
        self._claim_path(fax_id).unlink(missing_ok=True)

    def _claim_path(self, fax_id: str) -> Path:
        return self.path / CLAIMS_DIR / f"{_safe_id(fax_id)}.json"

    def _try_claim(self, claim: Path, fax_id: str, name: str) -> str | None:
        """Create the claim exclusively; the file name it reserves, or None if taken."""
        chosen = name
        if (self.path / chosen).exists():
            # Another fax's file has this name (a pattern without {id}): keep both.
            chosen = safe_name(f"{Path(name).stem} {fax_id}")
        content = json.dumps(
            {"file": chosen, "desk": self.desk, "time": self._clock(), "fax": fax_id}
        ).encode()
        try:
            fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return None
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        return chosen

    def _read_claim(self, claim: Path) -> dict[str, object]:
        try:
            data = json.loads(claim.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # Being written this instant, or vanished: treat as a fresh claim of unknown file.
            return {}
        return data if isinstance(data, dict) else {}

    def _finished(self, claim: Mapping[str, object]) -> Path | None:
        name = claim.get("file")
        if not isinstance(name, str) or not name or Path(name).name != name:
            return None
        path = self.path / name
        return path if path.is_file() else None

    def _abandoned(self, claim: Path, content: Mapping[str, object]) -> bool:
        if content.get("desk") == self.desk:
            # This desk's own claim without a file: an attempt that died with the program.
            return True
        try:
            age = self._clock() - claim.stat().st_mtime
        except FileNotFoundError:
            return True
        return age > self._stale_after


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it: never half a file there."""
    fd, temp_name = tempfile.mkstemp(prefix=".faxdesk-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _safe_id(fax_id: str) -> str:
    return _UNSAFE.sub("_", fax_id)[:_MAX_NAME] or "fax"
