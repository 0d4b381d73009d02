"""Content conversion in the sandbox: every kind the service converts becomes the fax PDF, and a
document that cannot be converted fails its fax with the catalogue's code, never the request."""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import zipfile

import httpx
import pymupdf
import pytest

from faxdesk.documents.convert import OFFICE_ENV, find_libreoffice
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.intake import DocumentWorker
from faxdesk.sandbox.testing import LocalSandbox, in_process_sandbox
from tests.fakes import documents as make
from tests.sandbox.sandbox_support import TEST_NUMBER, finished, pdf_file

LETTER = (612.0, 792.0)

HTML = b"<html><body><h1>Referral</h1><p>Please see the attached notes.</p></body></html>"
TEXT = "Patient: Müller\nPlease call back.\n".encode("latin-1")


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return [(round(page.rect.width, 1), round(page.rect.height, 1)) for page in doc]


def docx(text: str) -> bytes:
    """The smallest Word document a word processor opens: one paragraph."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "content", "media_type", "pages"),
    [
        ("scan.png", make.image(), "image/png", 1),
        ("photo.jpg", make.image(format="JPEG"), "image/jpeg", 1),
        ("fax.tif", make.tiff(3), "image/tiff", 3),
        ("notes.txt", TEXT, "text/plain", 1),
        ("page.html", HTML, "text/html", 1),
        ("a4.pdf", make.pdf([make.A4, make.LETTER]), "application/pdf", 2),
        # Declared as nothing in particular: the name, then the bytes decide.
        ("scan.png", make.image(), "application/octet-stream", 1),
        ("scan", make.tiff(2), "application/octet-stream", 2),
    ],
)
async def test_each_kind_sent_as_a_file_becomes_fitted_fax_pages(
    local: LocalSandbox,
    client: httpx.AsyncClient,
    filename: str,
    content: bytes,
    media_type: str,
    pages: int,
) -> None:
    response = await client.post(
        "faxes", data={"to": TEST_NUMBER}, files=[("file", (filename, content, media_type))]
    )

    assert response.status_code == 200
    assert response.json()["numberOfPages"] == pages
    done = await finished(local, client, response.json()["id"])
    assert (done["status"], done["pagesSentSuccessfully"]) == ("COMPLETED", pages)
    stored = (await client.get(f"faxes/{done['id']}/file")).content
    assert page_sizes(stored) == [LETTER] * pages


@pytest.mark.parametrize(
    ("file_type", "content", "pages"),
    [
        ("TIF", make.tiff(2), 2),
        ("JPG", make.image(format="JPEG"), 1),
        ("PNG", make.image(), 1),
        ("TXT", TEXT, 1),
        ("HTML", HTML, 1),
        ("PDF", make.pdf(), 1),
    ],
)
async def test_each_json_file_type_is_converted(
    local: LocalSandbox, client: httpx.AsyncClient, file_type: str, content: bytes, pages: int
) -> None:
    body = {
        "to": TEST_NUMBER,
        "files": [{"file": base64.b64encode(content).decode(), "fileType": file_type}],
    }
    response = await client.post("faxes", json=body)

    done = await finished(local, client, response.json()["id"])
    assert (done["status"], done["numberOfPages"]) == ("COMPLETED", pages)


async def test_content_urls_of_other_kinds_are_converted_before_the_files() -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cover.html":
            return httpx.Response(200, content=HTML, headers={"content-type": "text/html"})
        return httpx.Response(200, content=make.tiff(2), headers={"content-type": "image/tiff"})

    async with (
        in_process_sandbox(
            SandboxConfig(time_scale=0.01), fetch_transport=httpx.MockTransport(serve)
        ) as local,
        local.client() as client,
    ):
        response = await client.post(
            "faxes",
            data={
                "to": TEST_NUMBER,
                "contentUrl": "https://docs.test/cover.html?v=2, https://docs.test/scan",
            },
            files=[pdf_file(1, "Attached")],
        )
        done = await finished(local, client, response.json()["id"])
        stored = (await client.get(f"faxes/{done['id']}/file")).content

    assert (done["status"], done["numberOfPages"]) == ("COMPLETED", 4)
    with pymupdf.open(stream=stored, filetype="pdf") as doc:
        assert "Referral" in doc[0].get_text()
        assert "Attached" in doc[3].get_text()


NOT_CONVERTED = "There was a problem in converting and merging files to the output file format. "
NOT_CONVERTED += "Contact support."


@pytest.mark.parametrize(
    ("part", "code", "message"),
    [
        # Nothing says what it is, and the bytes are no known kind.
        (("", b"\x00\x01\x02\x03 binary", "application/octet-stream"), 128,
         "Could not determine mimetype for file."),
        # A name whose suffix tells nothing, on bytes that tell nothing either.
        (("blob.bin", bytes(range(256)) * 4, "application/octet-stream"), 128,
         "Could not determine mimetype for file."),
        (("data.xml", b"<?xml version='1.0'?><a/>", "application/xml"), 130,
         "Mimetype not supported: application/xml"),
        (("data.xml", b"<?xml version='1.0'?><a/>", "application/octet-stream"), 130,
         "Mimetype not supported: application/xml"),
        (("", b"<?xml version='1.0'?><a/>", ""), 130, "Mimetype not supported: application/xml"),
        (("sheet.xlsx", b"PK\x03\x04 spreadsheet", "application/octet-stream"), 129,
         "Mimetype not supported."),
        (("scan.png", b"\x89PNG\r\n\x1a\n truncated", "image/png"), 4, NOT_CONVERTED),
        (("broken.pdf", b"%PDF-1.4\nnot really", "application/pdf"), 133,
         "Failed to normalize PDF document"),
        # A PDF's bytes sent as a PNG: a file that lies about its kind is an error, not a guess.
        (("scan.png", make.pdf(), "image/png"), 4, NOT_CONVERTED),
        (("locked.pdf", make.encrypted_pdf(user_pw="secret"), "application/pdf"), 133,
         "Failed to normalize PDF document"),
    ],
)  # fmt: skip
async def test_a_document_that_cannot_be_converted_fails_the_fax_with_the_catalogues_code(
    local: LocalSandbox,
    client: httpx.AsyncClient,
    part: tuple[str, bytes, str],
    code: int,
    message: str,
) -> None:
    response = await client.post(
        "faxes", data={"to": TEST_NUMBER}, files=[pdf_file(1), ("file", part)]
    )

    assert response.status_code == 200
    done = await finished(local, client, response.json()["id"])
    assert (done["status"], done["errorType"], done["errorCode"]) == (
        "FAILURE",
        "DOCUMENT_CONVERSION_ERROR",
        code,
    )
    assert done["errorMessage"] == message
    assert done["completedTime"] >= done["createTime"]
    assert done["hasFile"] is False
    assert (await client.get(f"faxes/{done['id']}/file")).status_code == 404


async def test_a_text_file_with_a_suffix_that_tells_nothing_is_faxed_as_text(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "faxes",
        data={"to": TEST_NUMBER},
        files=[("file", ("notes.bin", TEXT, "application/octet-stream"))],
    )

    done = await finished(local, client, response.json()["id"])
    assert (done["status"], done["numberOfPages"]) == ("COMPLETED", 1)


async def send_word(local: LocalSandbox, client: httpx.AsyncClient) -> dict:
    response = await client.post(
        "faxes",
        json={
            "to": TEST_NUMBER,
            "files": [
                {"file": base64.b64encode(docx("Referral letter")).decode(), "fileType": "DOCX"}
            ],
        },
    )
    assert response.status_code == 200
    return await finished(local, client, response.json()["id"])


async def test_without_libreoffice_a_word_document_fails_with_129(
    local: LocalSandbox, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OFFICE_ENV, "/nonexistent/soffice")

    done = await send_word(local, client)

    assert (done["status"], done["errorCode"]) == ("FAILURE", 129)
    assert done["errorMessage"] == "Mimetype not supported."


@pytest.mark.skipif(find_libreoffice() is None, reason="LibreOffice is not installed")
async def test_with_libreoffice_a_word_document_is_faxed(
    local: LocalSandbox, client: httpx.AsyncClient
) -> None:
    done = await send_word(local, client)

    assert (done["status"], done["numberOfPages"]) == ("COMPLETED", 1)
    stored = (await client.get(f"faxes/{done['id']}/file")).content
    with pymupdf.open(stream=stored, filetype="pdf") as doc:
        assert "Referral letter" in doc[0].get_text()


async def test_closing_the_document_worker_does_not_wait_for_a_conversion() -> None:
    started = threading.Event()
    release = threading.Event()
    finished_work: list[str] = []

    def slow() -> str:
        started.set()
        release.wait(10)
        finished_work.append("done")
        return "done"

    worker = DocumentWorker()
    job = asyncio.ensure_future(worker.run(slow))
    queued = asyncio.ensure_future(worker.run(lambda: "never"))
    await asyncio.to_thread(started.wait, 10)

    worker.close()  # returns while `slow` still runs
    assert finished_work == []
    release.set()

    assert await job == "done"
    with pytest.raises(asyncio.CancelledError):
        await queued
