"""The Outbox view: entries in words, the actions their state allows, a real outbox behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from faxdesk.core.models import TEST_NUMBER, Document, FaxStatus, SendRequest
from faxdesk.core.outbox import OutboxEntry, OutboxState, OutboxWaiting
from faxdesk.core.phone import display
from faxdesk.sandbox.config import SandboxConfig
from faxdesk.sandbox.numbers import BUSY_NUMBER, NO_ANSWER_NUMBER, NO_FAX_TONE_NUMBER
from faxdesk.sandbox.testing import in_process_sandbox
from faxdesk.services.outbox import OutboxTiming
from faxdesk.ui.main_window import MainWindow, View
from faxdesk.ui.outbox_view import (
    PROGRESS_ROLE,
    Column,
    OutboxModel,
    OutboxPresenter,
    OutboxView,
    UndoSendBar,
    state_text,
)
from faxdesk.ui.tasks import TaskKeeper
from tests.fakes.faults import FaultyTransport
from tests.services.outbox_support import (
    api_through,
    make_outbox,
    running,
    sandbox_faxes,
    write_pdf,
)
from tests.waiting import until

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def entry(entry_id: int = 1, state: OutboxState = OutboxState.QUEUED, **fields) -> OutboxEntry:
    values = {
        "batch_id": f"batch-{entry_id}",
        "submission": f"sub-{entry_id}",
        "to": "+14155550123",
        "request": SendRequest(
            to=("+14155550123",), documents=(Document(Path(f"/outbox/{entry_id}/letter.pdf")),)
        ),
        "state": state,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return OutboxEntry(id=entry_id, **values)


@pytest.mark.parametrize(
    ("item", "options", "expected"),
    [
        (
            entry(state=OutboxState.HELD, hold_until=NOW + timedelta(seconds=4.4)),
            {},
            "Goes out in 4 s",
        ),
        (entry(), {}, "Queued"),
        (
            entry(),
            {"waiting": OutboxWaiting("The fax service could not be reached.", None, NOW)},
            "Waiting: The fax service could not be reached.",
        ),
        (entry(state=OutboxState.UPLOADING), {"progress": 0.456}, "Uploading 46 %"),
        (entry(state=OutboxState.UNCERTAIN), {}, "Checking with the service whether it arrived"),
        (entry(state=OutboxState.SUBMITTED), {}, "Submitted, waiting for the line"),
        (
            entry(
                state=OutboxState.SUBMITTED,
                fax_status=FaxStatus.IN_PROGRESS,
                pages_sent=1,
                number_of_pages=3,
            ),
            {},
            "Sending (1 of 3 pages)",
        ),
        (entry(state=OutboxState.DELIVERED), {}, "Delivered"),
        (
            entry(state=OutboxState.FAILED, last_error="The line was busy."),
            {},
            "Failed: The line was busy.",
        ),
        (entry(state=OutboxState.CANCELLED), {}, "Cancelled"),
    ],
)
def test_every_state_reads_in_words(item, options, expected) -> None:
    assert state_text(item, now=NOW, **options) == expected


def test_the_model_keeps_the_newest_first_and_survives_every_change(qtbot: QtBot) -> None:
    model = OutboxModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_entries([entry(1), entry(3)])
    model.upsert(entry(2))
    assert [model.entry_at(row).id for row in range(model.rowCount())] == [3, 2, 1]
    model.upsert(entry(2, OutboxState.UPLOADING, revision=2))
    model.set_progress(2, 512, 1024)
    index = model.index(1, Column.STATE)
    assert index.data(PROGRESS_ROLE) == 0.5
    assert index.data() == "Uploading 50 %"
    # A late copy of an older revision does not undo what is known.
    model.upsert(entry(2, OutboxState.QUEUED, revision=1))
    assert model.entry_at(1).state is OutboxState.UPLOADING
    model.upsert(entry(2, OutboxState.SUBMITTED, revision=3))
    assert model.index(1, Column.STATE).data(PROGRESS_ROLE) is None
    assert model.index(1, Column.TO).data() == "+1 415-555-0123"
    assert model.index(1, Column.DOCUMENTS).data() == "letter.pdf"


@pytest.fixture
def view(qtbot: QtBot) -> OutboxView:
    built = OutboxView()
    qtbot.addWidget(built)
    built.show()
    return built


def test_actions_follow_the_selected_entry(view: OutboxView, qtbot: QtBot) -> None:
    view.model.set_entries(
        [
            entry(1, OutboxState.FAILED, last_error="Busy."),
            entry(2, OutboxState.QUEUED),
            entry(3, OutboxState.HELD, hold_until=datetime.now(UTC) + timedelta(seconds=30)),
        ]
    )
    assert view.resend_all_button.isEnabled()
    view.select_entry(2)
    assert view.cancel_button.isEnabled()
    assert not view.undo_button.isEnabled()
    assert not view.resend_button.isEnabled()
    with qtbot.waitSignal(view.cancel_requested) as cancelled:
        view.table.setFocus()
        qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert cancelled.args == [2]

    view.select_entry(3)
    assert view.undo_button.isEnabled()
    with qtbot.waitSignal(view.undo_requested) as undone:
        qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    assert undone.args == ["batch-3"]

    view.select_entry(1)
    assert (view.cancel_button.isEnabled(), view.resend_button.isEnabled()) == (False, True)
    with qtbot.waitSignal(view.resend_requested) as resent:
        qtbot.mouseClick(view.resend_button, Qt.MouseButton.LeftButton)
    assert resent.args == [1, None]


def test_resend_to_asks_for_the_corrected_number(view: OutboxView, qtbot: QtBot) -> None:
    view.model.set_entries([entry(1, OutboxState.FAILED)])
    view.select_entry(1)
    qtbot.mouseClick(view.resend_to_button, Qt.MouseButton.LeftButton)
    dialog = view.findChild(QInputDialog)
    assert dialog is not None
    assert dialog.isVisible()  # opened without a nested event loop
    assert dialog.textValue() == "+1 415-555-0123"
    with qtbot.waitSignal(view.resend_requested) as resent:
        dialog.setTextValue("(415) 555-0124")
        dialog.accept()
    assert resent.args == [1, "(415) 555-0124"]


def test_a_wrong_corrected_number_is_asked_for_again_with_the_reason(
    view: OutboxView, qtbot: QtBot
) -> None:
    view.model.set_entries([entry(1, OutboxState.FAILED)])
    view.select_entry(1)
    qtbot.mouseClick(view.resend_to_button, Qt.MouseButton.LeftButton)

    def shown() -> QInputDialog:
        [dialog] = [d for d in view.findChildren(QInputDialog) if d.isVisible()]
        return dialog

    resent: list[list] = []
    view.resend_requested.connect(lambda *args: resent.append(list(args)))
    first = shown()
    first.setTextValue("415 555")
    first.accept()
    again = shown()
    assert again is not first
    assert again.textValue() == "415 555"  # as typed, to be corrected
    assert again.labelText() == (
        "“415 555” has too few or too many digits.\n"
        "Send the fax to +1 415-555-0123 again, to this number:"
    )
    assert resent == []
    again.setTextValue("415 555 0124")
    again.accept()
    assert resent == [[1, "415 555 0124"]]


def test_a_corrected_number_is_read_in_the_outbox_country(
    view: OutboxView, qtbot: QtBot, tmp_path: Path
) -> None:
    outbox, store = make_outbox(None, tmp_path / "box", default_region="GB")
    presenter = OutboxPresenter(view, outbox, TaskKeeper(on_error=lambda _exc: None))
    presenter.stop()  # only its wiring is looked at here; nothing is sent
    store.close()
    assert view.default_region == "GB"
    view.model.set_entries([entry(1, OutboxState.FAILED)])
    view.select_entry(1)
    qtbot.mouseClick(view.resend_to_button, Qt.MouseButton.LeftButton)
    [dialog] = [d for d in view.findChildren(QInputDialog) if d.isVisible()]
    with qtbot.waitSignal(view.resend_requested) as resent:
        dialog.setTextValue("020 7946 0123")  # a London number, without +44
        dialog.accept()
    assert resent.args == [1, "020 7946 0123"]


def test_waiting_is_said_above_the_list(view: OutboxView) -> None:
    view.set_waiting(OutboxWaiting("The fax service could not be reached.", None, NOW))
    assert view.waiting_label.isVisible()
    assert view.waiting_label.text() == (
        "Faxes are waiting to go out: The fax service could not be reached."
    )
    view.set_waiting(None)
    assert not view.waiting_label.isVisible()


def test_a_failed_fax_is_shown_and_resent_to_a_corrected_number(
    view: OutboxView, qtbot: QtBot, qloop, tmp_path: Path
) -> None:
    errors: list[BaseException] = []
    tasks = TaskKeeper(on_error=errors.append)

    async def scenario() -> None:
        async with (
            in_process_sandbox(SandboxConfig(time_scale=0.01)) as local,
            api_through(local) as api,
        ):
            outbox, store = make_outbox(api, tmp_path / "box")
            presenter = OutboxPresenter(view, outbox, tasks)
            try:
                async with running(outbox):
                    await presenter.load()
                    pdf = write_pdf(tmp_path)
                    request = SendRequest(
                        to=(BUSY_NUMBER,), documents=(Document(pdf),), max_retries=0
                    )
                    (sent,) = await outbox.submit(request)
                    await until(lambda: view.model.rowCount() == 1)
                    await until(lambda: view.model.entry_at(0).state is OutboxState.FAILED)
                    status = view.model.index(0, Column.STATE).data()
                    assert status.startswith("Failed: ")
                    assert "busy" in status.lower()

                    view.select_entry(sent.id)
                    qtbot.mouseClick(view.resend_to_button, Qt.MouseButton.LeftButton)
                    dialog = view.findChild(QInputDialog)
                    dialog.setTextValue("+1 989 898 9898")
                    dialog.accept()
                    await until(lambda: view.model.rowCount() == 2)
                    await until(lambda: view.model.entry_at(0).state is OutboxState.DELIVERED)
                    assert view.model.entry_at(0).to == TEST_NUMBER
                    assert view.model.entry_at(0).resend_of == sent.id
                    assert not view.resend_button.isEnabled()  # resent already
            finally:
                presenter.stop()
                await tasks.close()
                store.close()

    qloop.run_until_complete(scenario())
    assert errors == []


def test_the_outbox_actions_have_keys_of_their_own_in_the_window(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.set_current_view(View.OUTBOX)
    view = window.outbox_view
    keys = [action.text() for action in window.menuBar().actions()]
    keys += [
        button.text()
        for button in (
            view.cancel_button,
            view.undo_button,
            view.resend_button,
            view.resend_to_button,
            view.resend_all_button,
            view.retry_button,
        )
    ]
    letters = [text[text.index("&") + 1].lower() for text in keys]
    assert len(letters) == len(keys)  # every one has a key...
    assert len(set(letters)) == len(letters), keys  # ...and no two share it


def test_the_undo_bar_counts_down_and_goes_when_the_window_ends(qtbot: QtBot) -> None:
    now = [NOW]
    bar = UndoSendBar(clock=lambda: now[0])
    qtbot.addWidget(bar)
    bar.offer("batch-1", "+1 415-555-0123", NOW + timedelta(seconds=9.5))
    assert not bar.isHidden()
    assert bar.label.text() == "Fax to +1 415-555-0123 goes out in 10 s."
    assert bar.undo_button.text() == "&Undo"
    now[0] = NOW + timedelta(seconds=5)
    qtbot.waitUntil(lambda: bar.label.text() == "Fax to +1 415-555-0123 goes out in 5 s.")
    # Another Send's news leaves it be; this Send's window ending takes it away.
    bar.withdraw("batch-2")
    assert bar.is_offering("batch-1")
    now[0] = NOW + timedelta(seconds=10)
    qtbot.waitUntil(bar.isHidden)
    assert not bar.is_offering()


def test_undo_is_asked_for_once_and_its_outcome_said(qtbot: QtBot) -> None:
    bar = UndoSendBar(clock=lambda: NOW)
    qtbot.addWidget(bar)
    bar.offer("batch-1", "+1 415-555-0123", NOW + timedelta(seconds=30))
    with qtbot.waitSignal(bar.undo_requested) as asked:
        qtbot.mouseClick(bar.undo_button, Qt.MouseButton.LeftButton)
    assert asked.args == ["batch-1"]
    assert bar.undo_button.isHidden()
    assert bar.label.text() == "Taking the fax back…"
    # The cancelled entries' news that follows does not hide the outcome.
    bar.withdraw("batch-1")
    bar.show_outcome("Not sent: the fax to +1 415-555-0123 was taken back.")
    assert not bar.isHidden()
    assert bar.label.text() == "Not sent: the fax to +1 415-555-0123 was taken back."


def test_try_now_sends_waiting_faxes_without_waiting_out_the_backoff(
    view: OutboxView, qtbot: QtBot, qloop, tmp_path: Path
) -> None:
    errors: list[BaseException] = []
    tasks = TaskKeeper(on_error=errors.append)
    # Without Try now, the fax would wait an hour after the network came back.
    patient = OutboxTiming(retry_base=3600.0, retry_max=3600.0, poll_interval=0.02)

    async def scenario() -> None:
        async with in_process_sandbox(SandboxConfig(time_scale=0.01)) as local:
            faults = FaultyTransport(local.transport)
            faults.down = True
            async with api_through(local, faults) as api:
                outbox, store = make_outbox(api, tmp_path / "box", timing=patient)
                presenter = OutboxPresenter(view, outbox, tasks)
                try:
                    async with running(outbox):
                        await presenter.load()
                        request = SendRequest(
                            to=(TEST_NUMBER,), documents=(Document(write_pdf(tmp_path)),)
                        )
                        await outbox.submit(request)
                        await until(view.retry_button.isVisible)
                        assert view.waiting_label.text().startswith(
                            "Faxes are waiting to go out: The fax service"
                        )
                        faults.down = False
                        qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
                        await until(lambda: view.model.entry_at(0).state is OutboxState.DELIVERED)
                        await until(lambda: not view.retry_button.isVisible())
                finally:
                    presenter.stop()
                    await tasks.close()
                    store.close()

    qloop.run_until_complete(scenario())
    assert errors == []


def test_resend_all_failed_sends_each_failed_fax_once_more_from_the_keyboard(
    view: OutboxView, qtbot: QtBot, qloop, tmp_path: Path
) -> None:
    errors: list[BaseException] = []
    tasks = TaskKeeper(on_error=errors.append)
    failing = (BUSY_NUMBER, NO_ANSWER_NUMBER, NO_FAX_TONE_NUMBER)

    def rows() -> list[OutboxEntry]:
        return view.model.entries()

    async def scenario() -> None:
        async with (
            in_process_sandbox(SandboxConfig(time_scale=0.01)) as local,
            api_through(local) as api,
        ):
            outbox, store = make_outbox(api, tmp_path / "box")
            presenter = OutboxPresenter(view, outbox, tasks)
            try:
                async with running(outbox):
                    await presenter.load()
                    request = SendRequest(
                        to=failing, documents=(Document(write_pdf(tmp_path)),), max_retries=0
                    )
                    first = await outbox.submit(request)
                    await until(lambda: all(e.state is OutboxState.FAILED for e in rows()))
                    assert len(rows()) == 3
                    # Each says why in words, and can be sent again.
                    reasons = {
                        display(e.to): view.model.index(view.model.row_of(e.id), 1).data()
                        for e in rows()
                    }
                    assert reasons == {
                        "+1 989-898-9801": "Failed: The line was busy.",
                        "+1 989-898-9802": "Failed: No fax machine answered the call.",
                        "+1 989-898-9803": (
                            "Failed: No fax tone: the number answered, but not with a fax machine."
                        ),
                    }
                    assert view.resend_all_button.isEnabled()
                    view.table.setFocus()
                    qtbot.keyClick(view, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
                    await until(lambda: len(rows()) == 6)
                    await until(lambda: all(e.is_final for e in rows()))
                    again = [e for e in rows() if e.resend_of is not None]
                    assert sorted(e.resend_of for e in again) == sorted(e.id for e in first)
                    assert {e.to for e in again} == set(failing)
                    # The first three are resent, so only the new failures can go again.
                    originals = [e for e in rows() if e.resend_of is None]
                    assert not any(e.can_resend for e in originals)
                    assert all(e.can_resend for e in again)
                    faxes = await sandbox_faxes(api)
                    assert sorted(fax.to for fax in faxes) == sorted(failing * 2)
            finally:
                presenter.stop()
                await tasks.close()
                store.close()

    qloop.run_until_complete(scenario())
    assert errors == []
