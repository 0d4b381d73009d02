"""The contacts service: numbers checked as typed, CSV and vCard imported, CSV exported."""

from __future__ import annotations

import csv
import io

import pytest

from faxdesk.core.contacts import Contact
from faxdesk.core.errors import ValidationError
from faxdesk.services.contacts import (
    CSV_COLUMNS,
    ContactImportError,
    ContactsService,
    contacts_to_csv,
)
from faxdesk.store.contacts import ContactBook


@pytest.fixture
def service(tmp_path):
    book = ContactBook(tmp_path / "contacts.sqlite3")
    yield ContactsService(book, default_region="US")
    book.close()


async def test_numbers_are_saved_in_international_form(service):
    saved = await service.save(Contact(name="Dr. Smith", fax="(415) 555-0123"))
    assert saved.fax == "+14155550123"
    assert await service.with_number("+14155550123") == [saved]


async def test_a_number_a_fax_may_go_to_may_be_saved(service):
    # Full international form, though the number data does not know the range: as faxed.
    saved = await service.save(Contact(name="New clinic", fax="+1 (555) 010-0000"))
    assert saved.fax == "+15550100000"
    with pytest.raises(ValidationError, match="is not a valid number"):
        await service.save(Contact(name="New clinic", fax="(555) 010-0000"))


async def test_a_bad_number_or_no_name_is_refused(service):
    with pytest.raises(ValidationError, match="too few or too many digits"):
        await service.save(Contact(name="Dr. Smith", fax="415 555"))
    with pytest.raises(ValidationError, match="name or a company"):
        await service.save(Contact(name=" ", fax="415 555 0123"))
    assert await service.all() == []


async def test_a_csv_export_reads_back_the_same(service, tmp_path):
    await service.save(Contact(name="Dr. Smith", company="Mercy, Radiology", fax="4155550123"))
    await service.save(
        Contact(name="=HYPERLINK(1)", company="Lab", fax="+44 20 7946 0123", notes="two\nlines")
    )
    path = tmp_path / "phonebook.csv"
    assert await service.export_csv(path) == 2
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    # A spreadsheet would run this name as a formula.
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[2] == ["Dr. Smith", "Mercy, Radiology", "+14155550123", ""]

    other = ContactsService(ContactBook(tmp_path / "other.sqlite3"))
    result = await other.import_file(path)
    assert result.problems == ()
    assert [(c.name, c.company, c.fax, c.notes) for c in await other.all()] == [
        ("=HYPERLINK(1)", "Lab", "+442079460123", "two\nlines"),
        ("Dr. Smith", "Mercy, Radiology", "+14155550123", ""),
    ]


async def test_a_spreadsheet_csv_with_its_own_columns(service, tmp_path):
    path = tmp_path / "outlook.csv"
    # Semicolons and a byte order mark, as a European spreadsheet saves it.
    path.write_bytes(
        "\ufeffFirst Name;Last Name;Company;Business Fax;Notes\n"
        "Jane;Smith;Mercy Clinic;(415) 555-0123;referrals\n"
        "John;Doe;;;no fax here\n"
        "Ann;Lee;Lab;555;\n"
        "\n".encode()
    )
    result = await service.import_file(path)
    assert [(c.name, c.company, c.fax, c.notes) for c in result.added] == [
        ("Jane Smith", "Mercy Clinic", "+14155550123", "referrals")
    ]
    assert result.problems == (
        "Row 3 (John Doe): it has no fax number.",
        "Row 4 (Ann Lee): “555” has too few or too many digits.",
    )
    assert result.summary() == "1 contact imported, 2 left out."


async def test_importing_twice_adds_nothing_new(service, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("Name,Fax\nDr. Smith,415 555 0123\nDr. Smith,+1 415-555-0123\n")
    first = await service.import_file(path)
    assert len(first.added) == 1
    second = await service.import_file(path)
    assert second.added == ()
    assert second.already_saved == 2
    assert second.summary() == "0 contacts imported, 2 already saved."


async def test_a_csv_without_a_fax_column_says_what_it_needs(service, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Name,Phone\nDr. Smith,415 555 0123\n")
    with pytest.raises(ContactImportError, match="no fax number column"):
        await service.import_file(path)


async def test_latin1_csv_is_read(service, tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes("Name,Fax\nClinique Hôtel-Dieu,+33 1 42 34 82 34\n".encode("latin-1"))
    result = await service.import_file(path)
    assert [contact.name for contact in result.added] == ["Clinique Hôtel-Dieu"]


VCARDS = """BEGIN:VCARD
VERSION:3.0
FN:Dr. Jane Smith
ORG:Mercy Clinic;Radiology
TEL;TYPE=WORK,FAX:+1 415 555 0123
TEL;TYPE=WORK,VOICE:+1 415 555 0100
NOTE:Referrals only
END:VCARD
BEGIN:VCARD
VERSION:2.1
N:Doe;John;;;
TEL;FAX:020 7946 0123
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Voice Only
TEL;TYPE=voice:+1 415 555 0199
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Lab
TEL;TYPE="fax,work";VALUE=uri:tel:+49-30-1234567
END:VCARD
"""


async def test_vcards_give_their_fax_numbers(tmp_path):
    book = ContactBook(tmp_path / "contacts.sqlite3")
    service = ContactsService(book, default_region="GB")
    path = tmp_path / "people.vcf"
    path.write_text(VCARDS)
    result = await service.import_file(path)
    assert [(c.name, c.company, c.fax, c.notes) for c in result.added] == [
        ("Dr. Jane Smith", "Mercy Clinic, Radiology", "+14155550123", "Referrals only"),
        ("John Doe", "", "+442079460123", ""),
        ("Lab", "", "+49301234567", ""),
    ]
    assert result.problems == ("Card 3 (Voice Only): it has no fax number (a TEL of type FAX).",)
    book.close()


async def test_a_file_that_is_not_a_vcard_says_so(service, tmp_path):
    path = tmp_path / "broken.vcf"
    path.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Half\n")
    with pytest.raises(ContactImportError, match=r"broken\.vcf is not a readable vCard"):
        await service.import_file(path)


async def test_a_missing_file_is_named(service, tmp_path):
    with pytest.raises(ContactImportError, match=r"gone\.csv could not be read"):
        await service.import_file(tmp_path / "gone.csv")


def test_csv_text_has_a_header_even_when_empty():
    assert contacts_to_csv([]) == "Name,Company,Fax,Notes\r\n"
