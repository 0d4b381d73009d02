"""Multipart sends read their documents from disk as they go out, and send what httpx would.

The client puts the body together from framing in memory and the files themselves
(`FilePart`), so a large scan is never loaded whole; the bytes on the wire must be exactly those
of httpx's own multipart encoding of the same request.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from faxdesk.api.transfers import UPLOAD_CHUNK_SIZE, FilePart, UploadStream
from faxdesk.api.wire import send_form_fields
from faxdesk.core.errors import DocumentError
from faxdesk.core.models import Document, SendRequest
from tests.api.apitest_support import wire_fax


def _files(tmp_path: Path) -> tuple[Path, Path]:
    first = tmp_path / "scan one.pdf"
    first.write_bytes(b"%PDF-1.4\n" + os.urandom(3 * UPLOAD_CHUNK_SIZE + 17))
    second = tmp_path / "pages.tif"
    second.write_bytes(b"II*\x00" + os.urandom(5000))
    return first, second


def _request(*paths: Path) -> SendRequest:
    return SendRequest(
        to=("+19898989898", "+14155550123"),
        documents=tuple(
            Document(path, "image/tiff" if path.suffix == ".tif" else "application/pdf")
            for path in paths
        ),
        header_text="ACME",
        labels={"ticket": "T-42"},
    )


async def test_the_streamed_body_is_httpx_s_own_encoding_byte_for_byte(make_client, tmp_path):
    first, second = _files(tmp_path)
    seen: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        await request.aread()
        seen.append(request)
        return httpx.Response(200, json={"faxes": [wire_fax(), wire_fax(id="F2")]})

    request = _request(first, second)
    await make_client(answer).send(request)
    [sent] = seen
    # httpx's encoding of the same request with the files loaded, on the same boundary.
    expected = httpx.Request(
        "POST",
        "http://body.invalid/",
        headers={"Content-Type": sent.headers["Content-Type"]},
        data=send_form_fields(request),
        files=[
            ("file", (first.name, first.read_bytes(), "application/pdf")),
            ("file", (second.name, second.read_bytes(), "image/tiff")),
        ],
    )
    assert sent.content == expected.read()
    assert int(sent.headers["Content-Length"]) == len(sent.content)


async def test_a_file_part_is_read_when_the_body_goes_out_and_again_on_every_pass(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"a" * (2 * UPLOAD_CHUNK_SIZE))
    reports: list[tuple[int, int | None]] = []
    stream = UploadStream(
        [b"head", FilePart(path, 2 * UPLOAD_CHUNK_SIZE, "scan.pdf"), b"tail"],
        lambda done, total: reports.append((done, total)),
    )
    # Written after the body was put together, before it is sent: what goes out is the file
    # as it is then, which shows it was not read up front.
    path.write_bytes(b"b" * (2 * UPLOAD_CHUNK_SIZE))
    first = [chunk async for chunk in stream]
    second = list(stream)  # a second pass, as after a token renewal (sync side this time)
    body = b"head" + b"b" * (2 * UPLOAD_CHUNK_SIZE) + b"tail"
    assert b"".join(first) == b"".join(second) == body
    assert max(len(chunk) for chunk in first) == UPLOAD_CHUNK_SIZE
    assert stream.size == len(body)
    one_pass = [(0, len(body)), (4, len(body))]
    one_pass += [(4 + UPLOAD_CHUNK_SIZE, len(body)), (4 + 2 * UPLOAD_CHUNK_SIZE, len(body))]
    one_pass += [(len(body), len(body))]
    assert reports == one_pass + one_pass


@pytest.mark.parametrize("change", [b"shorter", b"x" * (2 * UPLOAD_CHUNK_SIZE + 1)])
async def test_a_file_that_changes_size_before_it_goes_out_fails_in_words(tmp_path, change):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"a" * (2 * UPLOAD_CHUNK_SIZE))
    stream = UploadStream([FilePart(path, 2 * UPLOAD_CHUNK_SIZE, "scan.pdf")])
    path.write_bytes(change)
    with pytest.raises(DocumentError, match=r"scan.pdf changed while it was being sent"):
        [chunk async for chunk in stream]


async def test_a_missing_document_is_refused_before_anything_is_sent(make_client, tmp_path):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=wire_fax())

    missing = tmp_path / "gone.pdf"
    request = SendRequest(to=("+19898989898",), documents=(Document(missing),))
    with pytest.raises(DocumentError, match=r"gone\.pdf could not be read"):
        await make_client(answer).send(request)
    assert seen == []
