"""TaskKeeper and dialog_result: the glue between Qt slots and the qasync loop."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from faxdesk.ui.tasks import TaskKeeper, dialog_result


def test_tasks_run_are_kept_and_their_failures_reported(qloop):
    errors: list[BaseException] = []
    keeper = TaskKeeper(on_error=errors.append)

    async def fail() -> None:
        raise ValueError("boom")

    async def scenario() -> None:
        task = keeper.start(fail())
        assert len(keeper) == 1
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)

    qloop.run_until_complete(scenario())
    assert [str(error) for error in errors] == ["boom"]
    assert len(keeper) == 0


def test_a_newer_task_under_the_same_key_replaces_the_older(qloop):
    keeper = TaskKeeper(on_error=pytest.fail)
    finished: list[str] = []

    async def load(name: str) -> None:
        await asyncio.sleep(0.05)
        finished.append(name)

    async def scenario() -> None:
        old = keeper.start(load("old selection"), key="preview")
        new = keeper.start(load("new selection"), key="preview")
        await asyncio.gather(old, new, return_exceptions=True)
        assert old.cancelled()

    qloop.run_until_complete(scenario())
    assert finished == ["new selection"]


def test_a_closed_keeper_cancels_everything_and_starts_nothing(qloop):
    keeper = TaskKeeper(on_error=pytest.fail)
    ran: list[str] = []

    async def forever() -> None:
        await asyncio.sleep(3600)

    async def late() -> None:
        ran.append("late")

    async def scenario() -> None:
        running = keeper.start(forever())
        await keeper.close()
        assert running.cancelled()
        assert keeper.start(late()) is None
        await asyncio.sleep(0.01)

    qloop.run_until_complete(scenario())
    assert ran == []
    assert len(keeper) == 0


@pytest.mark.parametrize("kind", ["plain", "print"])
def test_dialog_result_waits_without_a_nested_loop(qtbot, qloop, kind):
    parent = QWidget()
    qtbot.addWidget(parent)
    # QPrintDialog overloads open(receiver, member); the plain form must still be used.
    # The dialog keeps a bare pointer to its printer, so the test keeps the printer alive.
    printer = QPrinter()
    dialog = QDialog(parent) if kind == "plain" else QPrintDialog(printer, parent)

    async def scenario() -> int:
        waiting = asyncio.ensure_future(dialog_result(dialog))
        await asyncio.sleep(0.01)
        assert dialog.isVisible()
        dialog.accept()
        return await waiting

    assert qloop.run_until_complete(scenario()) == QDialog.DialogCode.Accepted
