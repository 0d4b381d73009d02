"""The outbox in the main window: Undo after Send, and the Outbox view with the preview beside it.

A real controller, outbox and journal, against the sandbox in this process.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from faxdesk.config.paths import Paths
from faxdesk.config.settings import Settings
from faxdesk.core.outbox import OutboxState
from faxdesk.documents.pages import make_test_pdf
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.testing import in_process_sandbox
from faxdesk.ui.controller import MainController
from faxdesk.ui.main_window import MainWindow, View
from tests.services.outbox_support import FAST, sandbox_faxes
from tests.ui.controller_support import controller_for
from tests.waiting import until


@contextlib.contextmanager
def _controller(qtbot: QtBot, qloop, paths: Paths, settings: Settings, view: View = View.ALL):
    window = MainWindow(view=view)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    stack = contextlib.AsyncExitStack()
    local = qloop.run_until_complete(
        stack.enter_async_context(in_process_sandbox(SandboxConfig(time_scale=0.02)))
    )
    try:
        with controller_for(window, paths, qloop, sandbox=local, settings=settings) as controller:
            controller.outbox.timing = FAST
            yield window, controller
    finally:
        qloop.run_until_complete(stack.aclose())


async def _send(qtbot: QtBot, controller: MainController, pdf: Path) -> None:
    composer = controller.composer
    controller._window.new_fax_requested.emit()
    composer.add_paths([pdf])
    qtbot.keyClicks(composer.recipient_edit, "+1 989 898 9898")
    await until(composer.send_button.isEnabled)
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    await until(lambda: not composer.isVisible())


def test_undo_in_the_status_bar_takes_a_send_back_before_it_goes_out(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path
) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(1))
    settings = Settings(confirm_before_send=False, undo_send_seconds=60)
    with _controller(qtbot, qloop, paths, settings) as (window, controller):
        bar = controller.undo_bar

        async def scenario() -> None:
            controller.start()
            await _send(qtbot, controller, pdf)
            # The last look is turned off in these settings: Send went straight to the outbox.
            assert controller.composer_support.confirm_dialog is None
            await until(bar.isVisible)
            countdown = r"Fax to \+1 989-898-9898 goes out in (60|59) s\."
            assert re.fullmatch(countdown, bar.label.text())
            [held] = controller.outbox.active()
            assert held.state is OutboxState.HELD
            # Alt+U, from wherever the focus is in the window.
            window.activateWindow()
            qtbot.keyClick(window, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)
            await until(lambda: bar.label.text().startswith("Not sent"))
            assert bar.label.text() == "Not sent: the fax to +1 989-898-9898 was taken back."
            assert not bar.undo_button.isVisible()
            [undone] = await controller.outbox.entries()
            assert undone.state is OutboxState.CANCELLED

            # The next Send's undo window is ended early: the offer goes, the fax goes out.
            await _send(qtbot, controller, pdf)
            await until(lambda: bar.is_offering())
            await controller.outbox.release(bar.batch_id)
            await until(lambda: not bar.isVisible())
            await until(lambda: not controller.outbox.active(), 30)
            sent, cancelled = await controller.outbox.entries()
            assert (sent.state, cancelled.state) == (OutboxState.DELIVERED, OutboxState.CANCELLED)
            [fax] = await sandbox_faxes(controller._faxes.api)
            assert fax.id == sent.fax_id
            await controller._tasks.cancel_all()

        qloop.run_until_complete(scenario())


def test_the_outbox_view_keeps_its_place_and_previews_the_selected_fax(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path
) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(2))
    settings = Settings(confirm_before_send=False, undo_send_seconds=60)
    with _controller(qtbot, qloop, paths, settings) as (window, controller):
        view = window.outbox_view

        async def scenario() -> None:
            controller.start()
            window.set_current_view(View.OUTBOX)
            await _send(qtbot, controller, pdf)
            await until(lambda: view.model.rowCount() == 1)
            entry = view.model.entry_at(0)
            # Held, not yet a fax: the preview shows the pages that will go out.
            view.select_entry(entry.id)
            await until(lambda: window.preview.key == f"outbox-{entry.id}")
            await until(lambda: window.preview.page_count == 2)
            assert window.details.fax is None
            await controller.outbox.release(entry.batch_id)
            await until(lambda: view.model.entry_at(0).state is OutboxState.DELIVERED, 30)
            # The user watching the Outbox stays there; the details follow the fax it became.
            assert window.current_view() is View.OUTBOX
            fax_id = view.model.entry_at(0).fax_id
            await until(lambda: window.details.fax is not None and window.details.fax.id == fax_id)
            await controller._tasks.cancel_all()

        qloop.run_until_complete(scenario())


def test_a_change_of_state_leaves_the_preview_where_the_user_was(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path
) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(3))
    settings = Settings(confirm_before_send=False, undo_send_seconds=60)
    with _controller(qtbot, qloop, paths, settings) as (window, controller):
        view = window.outbox_view

        async def scenario() -> None:
            controller.start()
            window.set_current_view(View.OUTBOX)
            await _send(qtbot, controller, pdf)
            await until(lambda: view.model.rowCount() == 1)
            entry = view.model.entry_at(0)
            view.select_entry(entry.id)
            await until(lambda: window.preview.page_count == 3)
            window.preview.go_to_page(2)
            # Cancelled (Delete): the row says so, and the pages stay where they were.
            view.table.setFocus()
            qtbot.keyClick(view.table, Qt.Key.Key_Delete)
            await until(lambda: view.model.entry_at(0).state is OutboxState.CANCELLED)
            assert window.preview.key == f"outbox-{entry.id}"
            assert window.preview.current_page == 2
            # Back in a list, the preview no longer speaks of the Outbox's selection.
            window.set_current_view(View.ALL)
            await until(lambda: window.preview.key is None)
            await controller._tasks.cancel_all()

        qloop.run_until_complete(scenario())


def test_a_delivered_fax_from_this_desk_can_be_sent_again_from_the_list(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path
) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(1))
    settings = Settings(confirm_before_send=False)
    with _controller(qtbot, qloop, paths, settings) as (window, controller):

        async def scenario() -> None:
            controller.start()
            await _send(qtbot, controller, pdf)
            await until(lambda: not controller.outbox.active(), 30)
            [delivered] = await controller.outbox.entries()
            assert delivered.state is OutboxState.DELIVERED
            # The Send selected its fax in the list; Fax > Send again, and confirm.
            await until(lambda: window.fax_list.current_fax() is not None)
            assert window.fax_list.current_fax().id == delivered.fax_id
            window.resend_action.trigger()
            await until(lambda: _visible(QMessageBox) is not None)
            box = _visible(QMessageBox)
            next(b for b in box.buttons() if b.text() == "Send again").click()
            await until(lambda: len(controller.outbox.active()) == 1)
            await until(lambda: not controller.outbox.active(), 30)
            again, first = await controller.outbox.entries()
            assert (again.state, again.to) == (OutboxState.DELIVERED, delivered.to)
            assert again.submission != first.submission
            assert len(await sandbox_faxes(controller._faxes.api)) == 2
            await controller._tasks.cancel_all()

        qloop.run_until_complete(scenario())


def _visible(kind: type[QWidget]) -> QWidget | None:
    return next(
        (w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()),
        None,
    )


def test_a_window_opened_on_the_outbox_gives_the_preview_back_to_the_list_when_left(
    qtbot: QtBot, qloop, paths: Paths, tmp_path: Path
) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(make_test_pdf(1))
    settings = Settings(confirm_before_send=False, undo_send_seconds=60)
    with _controller(qtbot, qloop, paths, settings, View.OUTBOX) as (window, controller):
        view = window.outbox_view

        async def scenario() -> None:
            controller.start()
            await _send(qtbot, controller, pdf)
            await until(lambda: view.model.rowCount() == 1)
            view.select_entry(view.model.entry_at(0).id)
            await until(lambda: window.preview.key == f"outbox-{view.model.entry_at(0).id}")
            window.set_current_view(View.SENT)
            await until(lambda: window.preview.key is None)
            await controller._tasks.cancel_all()

        qloop.run_until_complete(scenario())
