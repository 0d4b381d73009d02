"""The page and upload limits of a fax, checked before anything is uploaded.

Both the window and `faxdesk send` call `check_limits` with the totals of the fax PDFs they are
about to hand over and the limits of the settings (`max_pages`, `max_upload_mb`). Pure logic: it
reads no file and knows no settings object.
"""

from __future__ import annotations

from faxdesk.core.errors import DocumentError


def check_limits(pages: int, size: int, *, max_pages: int, max_bytes: int) -> None:
    """Raise `DocumentError` when a fax of `pages` pages and `size` bytes is over a limit."""
    problem = pages_problem(pages, max_pages=max_pages)
    if problem:
        raise DocumentError(problem)
    if size > max_bytes:
        raise DocumentError(
            f"The fax's documents come to {_megabytes(size)}; FaxDesk is set to upload at most "
            f"{_megabytes(max_bytes)} for one fax. Send fewer documents in each fax, or raise "
            "the upload limit in the settings."
        )


def pages_problem(pages: int, *, max_pages: int) -> str:
    """What is wrong with a fax of `pages` pages under the page limit `max_pages`; "" if none.

    The composer shows it as soon as the documents' pages are counted, before Send.
    """
    if pages <= max_pages:
        return ""
    return (
        f"The fax has {pages} pages; FaxDesk is set to send at most {max_pages} in one "
        "fax. Send the documents as several faxes, or raise the page limit in the settings."
    )


def _megabytes(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB"
