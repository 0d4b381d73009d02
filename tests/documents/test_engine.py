"""PyMuPDF is loaded where pages are rendered or converted, not wherever the package is imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    """Run `code` in a fresh interpreter (this one has long loaded PyMuPDF); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_window_commands_and_sandbox_import_without_loading_pymupdf() -> None:
    out = _run(
        """
        import sys
        import faxdesk.app, faxdesk.cli, faxdesk.sandbox.server, faxdesk.services.previews
        from faxdesk.documents import convert, cover, fax_previews, faxmode, pages

        # What the window and the sandbox do in their own process needs no MuPDF either.
        mode = faxmode.FaxMode()
        fax_previews.fax_page_size(mode)
        kind = convert.detect_kind(b"%PDF-1.7\\n", filename="a.pdf")
        cover.default_template_path()
        print("pymupdf" in sys.modules, kind.name)
        """
    )
    assert out == "False PDF"


def test_pymupdf_is_loaded_on_first_use_with_its_printing_turned_off() -> None:
    out = _run(
        """
        import sys
        from faxdesk.documents import engine, pages

        before = engine.is_loaded(), "pymupdf" in sys.modules
        count = pages.count_pages(pages.make_test_pdf(3))
        import pymupdf

        tools = pymupdf.TOOLS
        print(before, count, engine.is_loaded(), tools.mupdf_display_errors(),
              tools.mupdf_display_warnings())
        """
    )
    assert out == "(False, False) 3 True False False"


def test_threads_that_first_use_pymupdf_together_all_get_it() -> None:
    out = _run(
        """
        import threading
        from faxdesk.documents.engine import mupdf, pymupdf

        start = threading.Barrier(8)
        seen, errors = [], []

        def first_use():
            start.wait()
            try:
                seen.append((pymupdf.Matrix, mupdf.fz_empty_store))
            except BaseException as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(len(seen), len(set(seen)), errors)
        """
    )
    assert out == "8 1 []"
