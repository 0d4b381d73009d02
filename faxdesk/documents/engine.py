"""PyMuPDF for the modules of this package, loaded the first time one of them really uses it.

The window, the sandbox and most commands import `faxdesk.documents` for its values (fax modes,
rendered pages), its rules about file kinds and its entry points, while the rendering and the
converting happen in worker and child processes. Loading MuPDF into every process that merely
imports the package would cost each of them about 36 MB and a quarter of a second, so the
modules here take `pymupdf` (and its `mupdf` bindings) from this module instead of importing
it: a stand-in that imports the real PyMuPDF when one of its attributes is first read (once,
under a lock, since any thread may be first) and from then on hands out the real module's
attributes. `load()` does it at once, for a process about to render. Nothing in this package
may read a PyMuPDF attribute while it is being imported (no PyMuPDF value at module level).
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

_lock = threading.Lock()
_loaded: types.ModuleType | None = None


def load() -> types.ModuleType:
    """Import PyMuPDF now if it is not yet, quiet its printing, and return it."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            import pymupdf as real

            # MuPDF prints its complaints about damaged files to stderr; FaxDesk reports them
            # itself, in words, through DocumentError.
            real.TOOLS.mupdf_display_errors(False)
            real.TOOLS.mupdf_display_warnings(False)
            _loaded = real
        return _loaded


def is_loaded() -> bool:
    """Whether this package has loaded PyMuPDF into this process."""
    return _loaded is not None


class _OnFirstUse(types.ModuleType):
    """Stands for a module of PyMuPDF until it is used, then passes every attribute on to it."""

    def __init__(self, name: str, module: Callable[[], types.ModuleType]) -> None:
        super().__init__(name, f"{name}, imported on first use (faxdesk.documents.engine)")
        self._module = module

    def __getattr__(self, name: str) -> Any:
        # Only called for what the stand-in itself lacks: every name of the module.
        return getattr(self._module(), name)


if TYPE_CHECKING:
    import pymupdf
    from pymupdf import mupdf
else:
    pymupdf = _OnFirstUse("pymupdf", load)
    mupdf = _OnFirstUse("pymupdf.mupdf", lambda: load().mupdf)
