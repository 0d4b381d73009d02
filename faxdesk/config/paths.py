"""Every location FaxDesk reads or writes, resolved once with platformdirs and passed around.

Nothing else in the program builds a data or config path on its own; tests hand in a `Paths`
rooted in a temporary directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "FaxDesk"

#: Setting this variable roots every FaxDesk path in one folder (portable installs, tests).
HOME_ENV = "FAXDESK_HOME"


@dataclass(frozen=True, slots=True)
class Paths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @classmethod
    def default(cls) -> Paths:
        home = os.environ.get(HOME_ENV)
        if home:
            return cls.under(Path(home))
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        )

    @classmethod
    def under(cls, root: Path) -> Paths:
        return cls(config_dir=root / "config", data_dir=root / "data", cache_dir=root / "cache")

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    def archive_db(self, account: str) -> Path:
        """The archive of one account ("sandbox" or a project id): faxes never mix."""
        return self.data_dir / f"archive-{account}.sqlite3"

    def outbox_db(self, account: str) -> Path:
        """The outbox journal of one account: faxes waiting to go out, and what became of them."""
        return self.data_dir / f"outbox-{account}.sqlite3"

    def outbox_dir(self, account: str) -> Path:
        """The outbox's own copies of the documents of faxes not yet delivered (one account)."""
        return self.data_dir / "outbox" / account

    @property
    def contacts_db(self) -> Path:
        """The phonebook: one for every account, since a fax number is the same everywhere."""
        return self.data_dir / "contacts.sqlite3"

    @property
    def documents_dir(self) -> Path:
        """Downloaded and sent fax PDFs, one file per fax id."""
        return self.data_dir / "faxes"

    @property
    def sandbox_db(self) -> Path:
        """The built-in sandbox's state, so faxes sent in sandbox mode survive a restart."""
        return self.data_dir / "sandbox.sqlite3"

    def ensure(self) -> None:
        for directory in (self.config_dir, self.data_dir, self.cache_dir, self.documents_dir):
            directory.mkdir(parents=True, exist_ok=True)


def resources_dir() -> Path:
    """The folder of icons and templates: inside the package when installed, else the checkout."""
    import faxdesk

    package = Path(faxdesk.__file__).parent
    installed = package / "resources"
    return installed if installed.is_dir() else package.parent / "resources"
