"""Where FaxDesk's log goes: a rotating file in the cache folder, never the terminal.

The window and the headless commands each log to their own file, so a script's stderr holds only
the one-line reason a command gives, and two processes never rotate the same file. Nothing that
is logged may carry a secret; this module only decides the destination.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

#: Size at which a log file is rotated, and how many old ones are kept.
MAX_BYTES = 2_000_000
BACKUPS = 3


def log_to_file(path: Path, level: int = logging.INFO) -> logging.Handler:
    """Send the log of this process to `path` (rotated), with httpx's per-request lines off.

    Returns the handler, for a caller that stops logging before the process ends to remove and
    close. If the folder cannot be written, the log is dropped rather than shown on the terminal.
    """
    root = logging.getLogger()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO; keep the log about FaxDesk.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler


def stop_logging_to(handler: logging.Handler) -> None:
    """Detach and close a handler `log_to_file` gave."""
    logging.getLogger().removeHandler(handler)
    handler.close()
