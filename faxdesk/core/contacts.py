"""A phonebook entry: who a fax number belongs to.

Pure values shared by the store, the contacts service and the UI. The number is kept in E.164,
so the same number typed two ways is one number; nothing here reads files or talks to SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Contact:
    """One person or office and their fax number.

    Attributes:
        id: the phonebook's number for the entry; 0 for one not saved yet.
        name: who it is ("Dr. Jane Smith"); may be empty when `company` is not.
        company: where ("Mercy Clinic, Radiology").
        fax: the fax number, E.164.
        notes: anything the office wants to remember ("referrals only").
    """

    name: str
    fax: str
    company: str = ""
    notes: str = ""
    id: int = 0

    @property
    def label(self) -> str:
        """How the contact reads in one line: "Dr. Smith (Mercy Clinic)", or just one part."""
        if self.name and self.company:
            return f"{self.name} ({self.company})"
        return self.name or self.company or self.fax
