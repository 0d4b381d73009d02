"""The phonebook file: contacts saved, found, changed, deleted, and stored once."""

from __future__ import annotations

import sqlite3

import pytest

from faxdesk.core.contacts import Contact
from faxdesk.store.contacts import ContactBook, ContactsFileError

SMITH = Contact(name="Dr. Jane Smith", company="Mercy Clinic", fax="+14155550123", notes="x")


@pytest.fixture
def book(tmp_path):
    opened = ContactBook(tmp_path / "contacts.sqlite3")
    yield opened
    opened.close()


def test_a_saved_contact_survives_reopening(tmp_path):
    path = tmp_path / "contacts.sqlite3"
    book = ContactBook(path)
    saved = book.save(SMITH)
    book.close()
    again = ContactBook(path)
    assert again.all() == [saved]
    assert saved.id > 0
    assert saved == Contact(
        id=saved.id, name="Dr. Jane Smith", company="Mercy Clinic", fax="+14155550123", notes="x"
    )
    again.close()


def test_listed_by_name_ignoring_case(book):
    for name in ("bob", "Alice", "Carol"):
        book.save(Contact(name=name, fax="+14155550100"))
    assert [contact.name for contact in book.all()] == ["Alice", "bob", "Carol"]


def test_found_by_number(book):
    smith = book.save(SMITH)
    jones = book.save(Contact(name="Dr. Jones", fax="+14155550123"))
    book.save(Contact(name="Other", fax="+14155550999"))
    assert book.with_number("+14155550123") == [smith, jones]
    assert book.with_number("+10000000000") == []


def test_change_and_delete(book):
    saved = book.save(SMITH)
    changed = book.save(Contact(id=saved.id, name="Dr. J. Smith", fax="+14155550124"))
    assert book.get(saved.id) == changed
    assert changed.fax == "+14155550124"
    book.delete(saved.id)
    assert book.all() == []
    with pytest.raises(ContactsFileError, match="no contact"):
        book.save(changed)


def test_the_same_name_and_number_is_saved_once(book):
    book.save(SMITH)
    with pytest.raises(ContactsFileError, match="already saved with this number"):
        book.save(Contact(name="dr. jane smith", fax=SMITH.fax))
    added = book.add_many([SMITH, Contact(name="New", fax="+14155550100")])
    assert [contact.name for contact in added] == ["New"]
    assert len(book.all()) == 2


def test_a_file_from_a_newer_faxdesk_is_refused(tmp_path):
    path = tmp_path / "contacts.sqlite3"
    ContactBook(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(ContactsFileError, match="newer FaxDesk"):
        ContactBook(path)


def test_a_damaged_file_is_named(tmp_path):
    path = tmp_path / "contacts.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ContactsFileError, match="cannot be opened"):
        ContactBook(path)
