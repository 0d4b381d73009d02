"""Moving document bytes: upload bodies that report progress, downloads saved whole or not at all.

`UploadStream` is a request body, held in memory or read from files piece by piece as it goes
out (`FilePart`: a 50 MB scan never sits in memory whole), that tells a `TransferProgress`
callback how much of it the transport has taken, and can be sent again from the start (after an
OAuth token renewal). `upload_timeout` sizes the timeouts of a send to its body. `save_stream`
writes a streamed response to a temporary file beside the destination and renames it into place
only when every byte has arrived. This module knows nothing about fax endpoints or status codes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeAlias

import httpx

from faxdesk.core.errors import DocumentError, StorageError
from faxdesk.core.ports import TransferProgress

#: Upload bodies are handed to the transport in pieces of this size, one progress report each.
UPLOAD_CHUNK_SIZE = 64 * 1024

#: A send may take this long (per write, and waiting for the answer) whatever its size...
UPLOAD_TIMEOUT_BASE_SECONDS = 30.0

#: ...plus one second for each this many bytes: the slowest uplink we still want to succeed on
#: (32 KiB/s, a poor mobile or satellite link), so a 20 MB scan gets about ten minutes.
UPLOAD_TIMEOUT_BYTES_PER_SECOND = 32 * 1024

#: Files in an upload body are read this much at a time, off the event loop.
UPLOAD_READ_SIZE = 1024 * 1024

#: Downloaded bytes are collected up to this size before one write off the event loop.
DOWNLOAD_WRITE_SIZE = 1024 * 1024

#: How many bytes from the start of a download `save_stream` shows its `check` (a PDF reader
#: accepts the `%PDF-` header anywhere in the first kilobyte).
HEAD_SIZE = 1024


@dataclass(frozen=True, slots=True)
class FilePart:
    """`size` bytes of the file at `path`, read only while the body goes out.

    Attributes:
        path: the file.
        size: how long it was when the body was put together; a file that is longer or
            shorter by the time it is read fails the upload (`DocumentError`), since the
            Content-Length already announced this size.
        name: what messages call it (the document's file name).
    """

    path: Path
    size: int
    name: str


#: A piece of an upload body: bytes in memory, or a file read as it is sent.
BodyPart: TypeAlias = bytes | FilePart


def body_size(parts: Sequence[BodyPart]) -> int:
    return sum(len(part) if isinstance(part, bytes) else part.size for part in parts)


class UploadStream(httpx.ByteStream):
    """A request body that reports progress as the transport reads it.

    The body is bytes, or a sequence of parts, some of them files (`FilePart`) that are read a
    piece at a time as the transport asks for more, off the event loop when sent
    asynchronously. It subclasses `httpx.ByteStream`, the type httpx treats as replayable, so
    nothing replaces it with a plain copy before sending (which would silence the reports, and
    load the files whole). Every pass starts with a report of 0 and reads the files again, so a
    body sent twice shows as starting over.

    Attributes:
        size: the body's length in bytes.
    """

    def __init__(
        self,
        body: bytes | Sequence[BodyPart],
        progress: TransferProgress | None = None,
        *,
        chunk_size: int = UPLOAD_CHUNK_SIZE,
    ) -> None:
        super().__init__(b"")
        self._parts: tuple[BodyPart, ...] = (body,) if isinstance(body, bytes) else tuple(body)
        self.size = body_size(self._parts)
        self._progress = progress
        self._chunk_size = chunk_size

    def __iter__(self) -> Iterator[bytes]:
        done = 0
        self._report(0, self.size)
        for part in self._parts:
            pieces = (
                _slices(part, self._chunk_size)
                if isinstance(part, bytes)
                else _file_chunks(part, self._chunk_size)
            )
            for chunk in pieces:
                yield chunk
                done += len(chunk)
                # The transport asks for the next piece once it has written this one.
                self._report(done, self.size)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        done = 0
        self._report(0, self.size)
        for part in self._parts:
            if isinstance(part, bytes):
                for chunk in _slices(part, self._chunk_size):
                    yield chunk
                    done += len(chunk)
                    self._report(done, self.size)
                continue
            handle = await asyncio.to_thread(_open_part, part)
            try:
                left = part.size
                while left > 0:
                    block = await asyncio.to_thread(handle.read, min(UPLOAD_READ_SIZE, left))
                    if not block:
                        raise _changed(part)
                    left -= len(block)
                    for chunk in _slices(block, self._chunk_size):
                        yield chunk
                        done += len(chunk)
                        self._report(done, self.size)
                if await asyncio.to_thread(handle.read, 1):
                    raise _changed(part)
            finally:
                # Closing is quick, and awaiting again after a cancellation is unsafe.
                handle.close()

    def _report(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(done, total)


def _slices(data: bytes, size: int) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


def _open_part(part: FilePart) -> IO[bytes]:
    try:
        return part.path.open("rb")
    except OSError as exc:
        reason = exc.strerror or "it could not be opened"
        raise DocumentError(
            f"{part.name} could not be read ({reason}).", path=str(part.path)
        ) from exc


def _file_chunks(part: FilePart, size: int) -> Iterator[bytes]:
    with _open_part(part) as handle:
        left = part.size
        while left > 0:
            chunk = handle.read(min(size, left))
            if not chunk:
                raise _changed(part)
            left -= len(chunk)
            yield chunk
        if handle.read(1):
            raise _changed(part)


def _changed(part: FilePart) -> DocumentError:
    return DocumentError(
        f"{part.name} changed while it was being sent; check it and send it again.",
        path=str(part.path),
    )


def upload_timeout(client_timeout: httpx.Timeout, body_size: int) -> httpx.Timeout:
    """The timeouts for sending a body of `body_size` bytes: longer writes and reads.

    Reading is included because the service converts the documents before it answers. Connect
    and pool timeouts stay as the client has them; a timeout the client leaves off (None)
    stays off.
    """
    needed = UPLOAD_TIMEOUT_BASE_SECONDS + body_size / UPLOAD_TIMEOUT_BYTES_PER_SECOND

    def grown(current: float | None) -> float | None:
        return None if current is None else max(current, needed)

    return httpx.Timeout(
        connect=client_timeout.connect,
        read=grown(client_timeout.read),
        write=grown(client_timeout.write),
        pool=client_timeout.pool,
    )


def content_length(response: httpx.Response) -> int | None:
    """The body size the response announces, or None when it does not say (or says nonsense)."""
    text = response.headers.get("Content-Length")
    if text is None:
        return None
    try:
        size = int(text)
    except ValueError:
        return None
    return size if size >= 0 else None


async def save_stream(
    response: httpx.Response,
    destination: Path,
    progress: TransferProgress | None = None,
    *,
    check: Callable[[bytes], None] | None = None,
) -> None:
    """Write the body of a streamed `response` to `destination`, atomically.

    The bytes go to a temporary file beside `destination`, which replaces it only once the whole
    body has arrived and is on disk; on any failure the temporary file is removed and
    `destination` is left as it was. The file gets the permissions a new file gets from the
    umask, or keeps those of the file it replaces. `check` is shown the first `HEAD_SIZE` bytes
    (or the whole body, if shorter) before anything is written and may raise to refuse the
    download. `progress` counts bytes against Content-Length (None when absent): as they came off
    the wire when the body is compressed in transit, which is what Content-Length then measures,
    and as written otherwise. A file that cannot be written raises `StorageError`.
    """
    total = content_length(response)
    compressed = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    opening = asyncio.ensure_future(asyncio.to_thread(_open_temp_beside, destination))
    try:
        handle, temp_path = await asyncio.shield(opening)
    except asyncio.CancelledError:
        # Cancelled while the thread creates the file: remove it as soon as it exists.
        opening.add_done_callback(_discard_opened)
        raise
    try:
        if progress is not None:
            progress(0, total)
        received = 0
        pending: list[bytes] = []
        pending_size = 0
        checked = check is None
        async for chunk in response.aiter_bytes():
            pending.append(chunk)
            pending_size += len(chunk)
            received += len(chunk)
            if not checked and pending_size >= HEAD_SIZE:
                _run_check(check, pending)
                checked = True
            if checked and pending_size >= DOWNLOAD_WRITE_SIZE:
                await asyncio.to_thread(_write, handle, b"".join(pending), destination)
                pending, pending_size = [], 0
            if progress is not None:
                progress(response.num_bytes_downloaded if compressed else received, total)
        if not checked:
            _run_check(check, pending)
        if pending:
            await asyncio.to_thread(_write, handle, b"".join(pending), destination)
        await asyncio.to_thread(_commit, handle, temp_path, destination)
    except BaseException:
        # Closing and unlinking are quick, and awaiting again after a cancellation is unsafe.
        _discard(handle, temp_path)
        raise


def _run_check(check: Callable[[bytes], None] | None, pending: list[bytes]) -> None:
    if check is not None:
        check(b"".join(pending)[:HEAD_SIZE])


def _open_temp_beside(destination: Path) -> tuple[IO[bytes], Path]:
    folder = destination.parent
    if folder.exists() and not folder.is_dir():
        raise StorageError(
            f"{destination} could not be saved: {folder} is a file, not a folder.",
            path=str(destination),
        )
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
        )
    except OSError as exc:
        raise _storage_error(exc, destination) from exc
    return os.fdopen(fd, "wb"), Path(name)


def _write(handle: IO[bytes], data: bytes, destination: Path) -> None:
    try:
        handle.write(data)
    except OSError as exc:
        raise _storage_error(exc, destination) from exc


def _commit(handle: IO[bytes], temp_path: Path, destination: Path) -> None:
    try:
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        # mkstemp makes the file private (0600); a saved fax gets what any new file would.
        os.chmod(temp_path, _mode_for(destination))
        os.replace(temp_path, destination)
    except OSError as exc:
        raise _storage_error(exc, destination) from exc


def _discard_opened(opening: asyncio.Future[tuple[IO[bytes], Path]]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        _discard(*opening.result())


def _discard(handle: IO[bytes], temp_path: Path) -> None:
    # Closing flushes what is buffered, which fails again on a full disk: the file must go anyway.
    with contextlib.suppress(OSError):
        handle.close()
    with contextlib.suppress(OSError):
        temp_path.unlink()


def _mode_for(destination: Path) -> int:
    """The permissions of the file being replaced, else those the umask gives a new file."""
    try:
        return stat.S_IMODE(os.stat(destination).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # Reading the umask means setting it, which races other threads; Linux shows it in /proc.
    if sys.platform.startswith("linux"):
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
        except (OSError, ValueError, IndexError):
            pass
    return 0o022


def _storage_error(exc: OSError, destination: Path) -> StorageError:
    reason = exc.strerror or type(exc).__name__
    return StorageError(f"{destination} could not be saved: {reason}.", path=str(destination))
