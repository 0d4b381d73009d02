from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QScrollArea
from pytestqt.qtbot import QtBot

from faxdesk.core.models import TEST_NUMBER, Document, SendRequest
from faxdesk.ui.composer import ComposerDialog
from faxdesk.ui.recipients import NOT_KNOWN_WARNING

DropFiles = Callable[..., tuple[bool, bool]]
FileMime = Callable[..., QMimeData]


@pytest.fixture
def composer(qtbot: QtBot) -> ComposerDialog:
    dialog = ComposerDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


class qtbot_signal:  # noqa: N801 - reads as the context manager it is
    """Collect the paths `documents_added` announces inside the block."""

    def __init__(self, composer: ComposerDialog) -> None:
        self._composer = composer
        self.added: list[list[Path]] = []

    def __enter__(self) -> list[list[Path]]:
        self._composer.documents_added.connect(self.added.append)
        return self.added

    def __exit__(self, *_exc: object) -> None:
        self._composer.documents_added.disconnect(self.added.append)


def _type_number(qtbot: QtBot, composer: ComposerDialog, text: str) -> None:
    composer.recipient_edit.setFocus()
    qtbot.keyClicks(composer.recipient_edit, text)


def test_is_a_non_modal_new_fax_dialog(composer: ComposerDialog) -> None:
    assert composer.windowTitle() == "New fax"
    assert not composer.isModal()
    assert QApplication.activeModalWidget() is None
    assert not composer.send_button.isDefault()


def test_send_is_enabled_only_with_a_document_and_a_valid_number(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    assert not composer.send_button.isEnabled()
    _type_number(qtbot, composer, "(989) 898-9898")
    assert not composer.send_button.isEnabled()  # no document yet
    composer.add_paths([pdf_file])
    assert composer.send_button.isEnabled()
    composer.recipient_edit.clear()
    assert not composer.send_button.isEnabled()


def test_dropped_pdf_and_typed_number_are_sent(
    composer: ComposerDialog,
    pdf_file: Path,
    qtbot: QtBot,
    drop_files: DropFiles,
    file_mime: FileMime,
) -> None:
    entered, dropped = drop_files(composer.documents_list.viewport(), file_mime(pdf_file))
    assert (entered, dropped) == (True, True)
    assert composer.document_paths() == [pdf_file]
    assert composer.documents_list.item(0).text() == "letter.pdf"
    assert composer.documents_list.item(0).toolTip() == str(pdf_file)

    _type_number(qtbot, composer, "+1 989 898 9898")
    assert composer.recipient_hint.text() == "Sends to +1 989-898-9898"

    with qtbot.waitSignal(composer.send_requested) as sent:
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    request = sent.args[0]
    assert isinstance(request, SendRequest)
    assert request.to == (TEST_NUMBER,)
    assert request.documents == (Document(pdf_file, "application/pdf"),)
    assert composer.isVisible()  # the controller decides when the dialog is done


def test_national_numbers_use_the_default_region(qtbot: QtBot, pdf_file: Path) -> None:
    composer = ComposerDialog(default_region="GB")
    qtbot.addWidget(composer)
    composer.add_paths([pdf_file])
    qtbot.keyClicks(composer.recipient_edit, "020 7946 0123")
    assert composer.recipient() == "+442079460123"


def test_a_bad_number_gets_an_inline_message(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    composer.add_paths([pdf_file])
    _type_number(qtbot, composer, "415 555")
    qtbot.waitUntil(composer.recipient_hint.isVisible, timeout=2000)
    assert composer.recipient_hint.text() == "“415 555” has too few or too many digits."
    assert not composer.send_button.isEnabled()
    assert composer.recipient() is None
    red = composer.recipient_hint.palette().color(composer.recipient_hint.foregroundRole())
    assert red.red() > red.green() + 60


def test_a_number_the_command_line_sends_is_sent_with_a_warning(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    composer.add_paths([pdf_file])
    _type_number(qtbot, composer, "+1 (555) 010-0000")
    composer.recipient_edit.editingFinished.emit()
    assert composer.recipient_hint.text() == f"Sends to +1 555-010-0000. {NOT_KNOWN_WARNING}"
    assert composer.send_button.isEnabled()
    with qtbot.waitSignal(composer.send_requested) as sent:
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert sent.args[0].to == ("+15550100000",)


def test_letters_are_not_a_number(composer: ComposerDialog, qtbot: QtBot) -> None:
    _type_number(qtbot, composer, "call me")
    composer.recipient_edit.editingFinished.emit()
    assert composer.recipient_hint.text() == (
        "“call me” has letters in it; a fax number has only digits."
    )


def test_several_files_of_any_kind_are_listed_in_drop_order(
    composer: ComposerDialog,
    pdf_file: Path,
    tmp_path: Path,
    drop_files: DropFiles,
    file_mime: FileMime,
) -> None:
    notes = tmp_path / "notes.docx"
    notes.write_bytes(b"PK\x03\x04")
    scan = tmp_path / "scan.TIF"
    scan.write_bytes(b"II*\x00")
    with qtbot_signal(composer) as added:
        drop_files(composer.documents_list.viewport(), file_mime(notes, pdf_file, scan))
    assert composer.document_paths() == [notes, pdf_file, scan]
    assert added == [[notes, pdf_file, scan]]
    assert [document.media_type for document in composer.documents()] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/pdf",
        "image/tiff",
    ]
    assert not composer.documents_message.isVisible()


def test_a_folder_is_refused_with_its_name(composer: ComposerDialog, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    assert composer.add_paths([folder]) == []
    assert composer.documents_message.text() == "Not a file that can be sent: scans"


def test_remote_urls_are_refused(
    composer: ComposerDialog, drop_files: DropFiles, file_mime: FileMime
) -> None:
    drop_files(composer.documents_list.viewport(), file_mime("https://example.org/a.pdf"))
    assert composer.document_paths() == []
    assert "Only files on this computer" in composer.documents_message.text()


def test_the_same_file_is_listed_once(composer: ComposerDialog, pdf_file: Path) -> None:
    assert composer.add_paths([pdf_file, pdf_file]) == [pdf_file]
    assert composer.add_paths([pdf_file]) == []
    assert composer.documents_list.count() == 1


def test_delete_key_removes_the_selected_document(
    composer: ComposerDialog, pdf_file: Path, tmp_path: Path, qtbot: QtBot
) -> None:
    second = tmp_path / "second.PDF"
    second.write_bytes(b"%PDF-1.4\n%%EOF\n")
    composer.add_paths([pdf_file, second])
    composer.documents_list.clearSelection()
    assert not composer.remove_button.isEnabled()
    composer.documents_list.setCurrentRow(0)
    assert composer.remove_button.isEnabled()
    qtbot.keyClick(composer.documents_list, Qt.Key.Key_Delete)
    assert composer.document_paths() == [second]


def test_remove_button(composer: ComposerDialog, pdf_file: Path, qtbot: QtBot) -> None:
    composer.add_paths([pdf_file])
    composer.documents_list.setCurrentRow(0)
    qtbot.mouseClick(composer.remove_button, Qt.MouseButton.LeftButton)
    assert composer.document_paths() == []
    assert not composer.remove_button.isEnabled()


def test_add_document_opens_a_non_blocking_file_chooser(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    qtbot.mouseClick(composer.add_button, Qt.MouseButton.LeftButton)
    chooser = composer.findChild(QFileDialog)
    assert chooser is not None
    assert chooser.isVisible()  # open() returned: the event loop kept running
    assert chooser.fileMode() == QFileDialog.FileMode.ExistingFiles
    chooser.filesSelected.emit([str(pdf_file)])
    chooser.close()
    assert composer.document_paths() == [pdf_file]


def test_choose_files_can_be_replaced(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(composer, "_choose_files", lambda: composer.add_paths([pdf_file]))
    qtbot.mouseClick(composer.add_button, Qt.MouseButton.LeftButton)
    assert composer.document_paths() == [pdf_file]


def test_ctrl_return_sends(composer: ComposerDialog, pdf_file: Path, qtbot: QtBot) -> None:
    composer.activateWindow()
    qtbot.waitActive(composer)
    composer.add_paths([pdf_file])
    _type_number(qtbot, composer, TEST_NUMBER)
    with qtbot.waitSignal(composer.send_requested) as sent:
        qtbot.keyClick(
            composer.recipient_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
        )
    assert sent.args[0].to == (TEST_NUMBER,)


def test_escape_cancels(composer: ComposerDialog, qtbot: QtBot) -> None:
    with qtbot.waitSignal(composer.rejected):
        qtbot.keyClick(composer.recipient_edit, Qt.Key.Key_Escape)
    assert not composer.isVisible()


def test_busy_locks_the_form(composer: ComposerDialog, pdf_file: Path, qtbot: QtBot) -> None:
    composer.add_paths([pdf_file])
    _type_number(qtbot, composer, TEST_NUMBER)
    composer.set_busy(True)
    assert composer.progress.isVisible()
    assert composer.progress_label.text() == "Sending…"
    assert not composer.send_button.isEnabled()
    assert not composer.recipient_edit.isEnabled()
    assert not composer.add_button.isEnabled()
    with qtbot.assertNotEmitted(composer.send_requested):
        composer._request_send()
    composer.set_busy(True, "Uploading 2 of 3 pages…")
    assert composer.progress_label.text() == "Uploading 2 of 3 pages…"
    composer.set_busy(False)
    assert not composer.progress.isVisible()
    assert composer.send_button.isEnabled()


def test_errors_show_at_the_bottom_and_reset_clears_everything(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    composer.add_paths([pdf_file])
    _type_number(qtbot, composer, TEST_NUMBER)
    composer.show_error("The fax service is not reachable.")
    assert composer.message_label.isVisible()
    assert composer.message_label.text() == "The fax service is not reachable."
    assert composer.message_label.textInteractionFlags() & (
        Qt.TextInteractionFlag.TextSelectableByMouse
    )
    composer.reset()
    assert composer.document_paths() == []
    assert composer.recipient_edit.text() == ""
    assert not composer.message_label.isVisible()
    assert not composer.send_button.isEnabled()


def test_document_info_is_shown_beside_the_name(composer: ComposerDialog, pdf_file: Path) -> None:
    composer.add_paths([pdf_file])
    composer.set_document_info(pdf_file, "3 pages")
    assert composer.documents_list.item(0).text() == "letter.pdf  —  3 pages"
    composer.set_document_info(pdf_file, "")
    assert composer.documents_list.item(0).text() == "letter.pdf"


def test_buttons_have_mnemonics(composer: ComposerDialog) -> None:
    for button in (composer.add_button, composer.remove_button, composer.send_button):
        assert "&" in button.text()


def test_added_documents_are_announced_for_inspection(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    with qtbot.waitSignal(composer.documents_added) as announced:
        composer.add_paths([pdf_file])
    assert announced.args == [[pdf_file]]
    with qtbot.assertNotEmitted(composer.documents_added):
        composer.add_paths([pdf_file])  # already listed


def test_a_document_with_a_problem_blocks_send_until_removed(
    composer: ComposerDialog, pdf_file: Path, tmp_path: Path, qtbot: QtBot
) -> None:
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.4\n%%EOF\n")
    composer.add_paths([pdf_file, other])
    _type_number(qtbot, composer, "+1 989 898 9898")
    assert composer.send_button.isEnabled()
    composer.set_document_problem(other, "other.pdf is protected by a password.")
    assert composer.document_problems() == ["other.pdf is protected by a password."]
    assert composer.documents_list.item(1).text() == "other.pdf is protected by a password."
    assert not composer.send_button.isEnabled()
    composer.documents_list.clearSelection()
    composer.documents_list.item(1).setSelected(True)
    qtbot.mouseClick(composer.remove_button, Qt.MouseButton.LeftButton)
    assert composer.document_problems() == []
    assert composer.send_button.isEnabled()


def test_a_fax_being_handed_over_cannot_be_cancelled_or_closed(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    composer.add_paths([pdf_file])
    _type_number(qtbot, composer, TEST_NUMBER)
    composer.set_busy(True)
    assert not composer.cancel_button.isEnabled()
    qtbot.keyClick(composer, Qt.Key.Key_Escape)
    composer.close()
    assert composer.isVisible()
    composer.set_busy(False)
    assert composer.cancel_button.isEnabled()
    qtbot.keyClick(composer, Qt.Key.Key_Escape)
    assert not composer.isVisible()


def test_enter_adds_a_number_and_never_sends(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    composer.add_paths([pdf_file])
    with qtbot.assertNotEmitted(composer.send_requested):
        _type_number(qtbot, composer, TEST_NUMBER)
        qtbot.keyClick(composer.recipient_edit, Qt.Key.Key_Return)
        qtbot.keyClicks(composer.options.header_edit, "Front desk")
        qtbot.keyClick(composer.options.header_edit, Qt.Key.Key_Return)
    assert composer.recipients.numbers() == [TEST_NUMBER]
    assert composer.isVisible()
    assert composer.send_button.isEnabled()


def test_every_mnemonic_in_the_form_is_its_own(composer: ComposerDialog) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    texts = [
        widget.text()
        for kind in (QLabel, QAbstractButton)
        for widget in composer.findChildren(kind)
        if widget.isVisibleTo(composer) and "&" in widget.text().replace("&&", "")
    ]
    keys = [text[text.index("&") + 1].lower() for text in texts]
    assert len(texts) >= 18
    assert sorted(keys) == sorted(set(keys)), texts


def test_documents_are_reordered_by_buttons_and_keys(
    composer: ComposerDialog, pdf_file: Path, tmp_path: Path, qtbot: QtBot
) -> None:
    second = tmp_path / "second.pdf"
    second.write_bytes(b"%PDF-1.4\n%%EOF\n")
    third = tmp_path / "third.png"
    third.write_bytes(b"\x89PNG\r\n\x1a\n")
    composer.add_paths([pdf_file, second, third])
    composer.documents_list.setCurrentRow(0)
    assert not composer.up_button.isEnabled()
    qtbot.mouseClick(composer.down_button, Qt.MouseButton.LeftButton)
    assert composer.document_paths() == [second, pdf_file, third]
    composer.documents_list.setFocus()
    qtbot.keyClick(composer.documents_list, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert composer.document_paths() == [second, third, pdf_file]
    assert not composer.down_button.isEnabled()
    qtbot.mouseClick(composer.up_button, Qt.MouseButton.LeftButton)
    assert composer.document_paths() == [second, pdf_file, third]
    assert composer.request().documents[1].path == pdf_file


def test_files_copied_in_a_file_manager_are_pasted(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().setMimeData(_mime_of(pdf_file))
    composer.documents_list.setFocus()
    qtbot.keyClick(composer.documents_list, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert composer.document_paths() == [pdf_file]


def _mime_of(path: Path) -> QMimeData:
    from PySide6.QtCore import QUrl

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def test_the_next_fax_starts_from_the_sending_defaults(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    from faxdesk.config.settings import SendingDefaults

    composer.set_sending_defaults(SendingDefaults(header_text="Front desk", max_retries=2))
    assert composer.options.header_edit.text() == "Front desk"
    composer.options.header_edit.setText("Only for this fax")
    qtbot.keyClicks(composer.options.labels_edit, "ticket=T-1")
    composer.reset()
    assert composer.options.header_edit.text() == "Front desk"
    assert composer.options.labels_edit.text() == ""
    assert composer.request().max_retries == 2


def test_tab_goes_through_the_form_in_order_and_reaches_the_cover_page_fields(
    composer: ComposerDialog, qtbot: QtBot, pdf_file: Path
) -> None:
    options = composer.options
    options.set_cover_pages(["Standard"], [])
    options.cover_combo.setCurrentIndex(1)
    options.set_cover_fields(["to", "subject", "message"])
    subject = options.findChild(QLineEdit, "cover_subject")
    message = options.findChild(QLineEdit, "cover_message")
    qtbot.waitUntil(message.isVisible)  # Qt shows widgets added to a shown form a moment later
    composer.add_paths([pdf_file])
    _type_number(qtbot, composer, "+1 989 898 9898")
    composer.set_document_info(pdf_file, "1 page")
    assert composer.send_button.isEnabled()
    order = []
    widget = QApplication.focusWidget()
    for _ in range(40):
        order.append(widget)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
        widget = QApplication.focusWidget()
        if widget is composer.recipient_edit:
            break
    # The fields Sinch does not fill itself come right after the cover page, in order, and
    # the way round ends with the pages, Send and Cancel.
    after_cover = order.index(options.cover_combo)
    assert order[after_cover + 1 :] == [
        subject,
        message,
        composer.preview.findChild(QScrollArea),
        composer.send_button,
        composer.cancel_button,
    ]
    assert order[:3] == [
        composer.recipient_edit,
        composer.recipients.save_button,
        composer.documents_list,
    ]


def _picture() -> QImage:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkGray)
    return image


def test_a_pasted_picture_is_handed_on_wherever_the_focus_is(
    composer: ComposerDialog, qtbot: QtBot
) -> None:
    QApplication.clipboard().setImage(_picture())
    composer.documents_list.setFocus()
    with qtbot.waitSignal(composer.image_pasted) as pasted:
        qtbot.keyClick(composer.documents_list, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert pasted.args[0].size() == _picture().size()
    # In the recipient field a picture is a document too, not text.
    composer.recipient_edit.setFocus()
    with qtbot.waitSignal(composer.image_pasted) as pasted:
        qtbot.keyClick(composer.recipient_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert pasted.args[0].pixelColor(5, 5) == _picture().pixelColor(5, 5)
    assert composer.recipient_edit.text() == ""


def test_a_thumbnail_has_an_edge_so_a_blank_page_shows(
    composer: ComposerDialog, pdf_file: Path
) -> None:
    composer.add_paths([pdf_file])
    white = QImage(88, 114, QImage.Format.Format_RGB32)
    white.fill(Qt.GlobalColor.white)
    composer.set_document_thumbnail(pdf_file, white)
    shown = composer.documents_list.item(0).icon().pixmap(44, 57).toImage()
    assert shown.pixelColor(0, shown.height() // 2).lightness() < 200
    assert shown.pixelColor(shown.width() // 2, shown.height() // 2).lightness() == 255
    # The page itself stays as it was rendered.
    kept = composer.document_thumbnail(pdf_file)
    assert kept.pixelColor(0, kept.height() // 2).lightness() == 255


def test_a_new_page_limit_is_applied_to_the_pages_counted(
    composer: ComposerDialog, pdf_file: Path, qtbot: QtBot
) -> None:
    composer.set_page_limit(100)
    composer.add_paths([pdf_file])
    _type_number(qtbot, composer, "(989) 898-9898")
    composer.set_document_info(pdf_file, "150 pages")
    composer.set_document_pages(pdf_file, 150)
    assert composer.page_total() == 150
    assert composer.pages_message.text().startswith(
        "The fax has 150 pages; FaxDesk is set to send at most 100 in one fax."
    )
    assert not composer.send_button.isEnabled()
    red = composer.pages_message.palette().color(composer.pages_message.foregroundRole())
    assert red.red() > red.green() + 60
    composer.set_page_limit(200)
    assert not composer.pages_message.isVisible()
    assert composer.send_button.isEnabled()
