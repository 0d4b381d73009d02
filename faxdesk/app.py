"""Composition root: builds the QApplication, the qasync loop and every service, and wires them.

This is the only module that knows every layer. It starts the built-in sandbox when no account
is configured, opens one shared HTTP client, and on close cancels every task and stops every
child process before the loop ends, so the program exits cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from faxdesk import __version__
from faxdesk.api.webhooks import FAX_COMPLETED, WebhookEvent
from faxdesk.config import settings as settings_io
from faxdesk.config.logs import log_to_file
from faxdesk.config.paths import Paths
from faxdesk.config.secrets import get_webhook_password
from faxdesk.config.settings import Settings
from faxdesk.core.errors import ConfigError, FaxDeskError, ValidationError
from faxdesk.services.commands import (
    AccountOverrides,
    NoAccount,
    SandboxTarget,
    Target,
    open_api,
    resolve_connection,
)
from faxdesk.services.contacts import ContactsService
from faxdesk.services.faxes import FaxService
from faxdesk.services.folders import DEFAULT_PATTERN, check_pattern
from faxdesk.services.outbox import Outbox, OutboxTiming
from faxdesk.services.previews import PageRenderer
from faxdesk.services.receiver import ReceiverConfig, WebhookReceiver
from faxdesk.services.sync import FaxSync, SyncOptions, desk_id
from faxdesk.store.archive import Archive
from faxdesk.store.contacts import ContactBook, ContactsFileError
from faxdesk.store.outbox import OutboxStore
from faxdesk.ui import icons, theme
from faxdesk.ui.collector import MainThreadCollector
from faxdesk.ui.controller import MainController
from faxdesk.ui.main_window import MainWindow
from faxdesk.ui.receiving import ArrivalNotifier, TrayIcon
from faxdesk.ui.tasks import TaskKeeper

log = logging.getLogger("faxdesk")


@dataclass
class Session:
    """Everything that lives while the window is open, and knows how to shut itself down."""

    window: MainWindow
    tasks: TaskKeeper
    renderer: PageRenderer
    #: The HTTP client and, in sandbox mode, the sandbox child; closed in reverse order.
    connection: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    archive: Archive | None = None
    outbox_store: OutboxStore | None = None
    contact_book: ContactBook | None = None
    controller: MainController | None = None
    sync: FaxSync | None = None
    receiver: WebhookReceiver | None = None
    tray: TrayIcon | None = None
    notifier: ArrivalNotifier | None = None

    async def close(self) -> None:
        if self.receiver is not None:
            await self.receiver.stop()
        if self.notifier is not None:
            self.notifier.stop()
        if self.tray is not None:
            self.tray.close()
        if self.controller is not None:
            self.controller.stop()
        # The outbox task goes with the others; an upload it cuts short is settled next start.
        await self.tasks.close()
        if self.sync is not None:
            # A PDF cut short is fetched again next time; its claim says so.
            await self.sync.close()
        await self.connection.aclose()
        await asyncio.to_thread(self.renderer.shutdown)
        if self.archive is not None:
            self.archive.close()
        if self.outbox_store is not None:
            self.outbox_store.close()
        if self.contact_book is not None:
            self.contact_book.close()


async def open_session(
    window: MainWindow,
    paths: Paths,
    settings: Settings,
    *,
    sandbox_time_scale: float = 1.0,
) -> Session:
    """Start the services behind `window`; failures are shown in the window, not raised.

    The account is found as the command line finds it (settings, then FAXDESK_* variables);
    with none configured anywhere, FaxDesk starts its built-in sandbox.
    """
    tasks = TaskKeeper(on_error=lambda exc: _report_unexpected(window, exc))
    session = Session(window=window, tasks=tasks, renderer=PageRenderer())
    target: Target
    try:
        try:
            target = resolve_connection(settings.account, AccountOverrides())
        except NoAccount:
            target = SandboxTarget(
                db_path=paths.sandbox_db,
                log_path=paths.cache_dir / "sandbox.log",
                time_scale=sandbox_time_scale,
            )
        if isinstance(target, SandboxTarget):
            archive_name = "sandbox"
            window.set_account("Sandbox", sandbox=True)
            window.set_connection("checking", "Starting the built-in sandbox…")
        else:
            archive_name = target.project_id
            window.set_account(f"Project {target.project_id[:8]}…", sandbox=False)
            window.set_connection("checking")
        api = await session.connection.enter_async_context(open_api(target))
        session.archive, damaged = await asyncio.to_thread(
            Archive.open_or_recover, paths.archive_db(archive_name)
        )
        # Unlike the archive, the outbox holds faxes nobody else has: a damaged one is never
        # replaced behind the user's back (OutboxStoreError says what to do).
        session.outbox_store = await asyncio.to_thread(OutboxStore, paths.outbox_db(archive_name))
        outbox = Outbox(
            api,
            session.outbox_store,
            paths.outbox_dir(archive_name),
            default_region=settings.default_region,
            timing=OutboxTiming(poll_interval=settings.tracking_interval),
        )
        await outbox.open()
    except FaxDeskError as exc:
        _without_service(window, str(exc))
        return session
    if damaged is not None:
        log.warning("The archive was damaged and was moved to %s", damaged)
        window.show_error(
            f"FaxDesk's local copy of your faxes was damaged, so it started a new one; the "
            f"faxes are fetched again from the service. The damaged file is {damaged}."
        )
    folder = paths.documents_dir / archive_name
    session.sync = sync = FaxSync(
        api,
        session.archive,
        _sync_options(window, settings, folder),
        desk=await asyncio.to_thread(desk_id, session.archive),
    )
    faxes = FaxService(api, session.archive, folder, inbound=sync.inbound)
    contacts: ContactsService | None = None
    try:
        session.contact_book = await asyncio.to_thread(ContactBook, paths.contacts_db)
    except ContactsFileError as exc:
        # Faxes still go out without the phonebook; say why it is missing.
        log.error("The phonebook cannot be used: %s", exc)
        window.show_error(f"{exc} Contacts are not available until this is fixed.")
    else:
        contacts = ContactsService(session.contact_book, default_region=settings.default_region)
    session.controller = MainController(
        window,
        faxes,
        session.renderer,
        tasks,
        outbox,
        refresh_interval=settings.refresh_interval,
        tracking_interval=settings.tracking_interval,
        settings=settings,
        settings_file=paths.settings_file,
        contacts=contacts,
        sync=sync,
    )
    controller = session.controller
    sync.on_report = controller.fax_list.apply_report
    session.tray = _tray(window, settings)
    session.notifier = ArrivalNotifier(
        window, controller.fax_list, session.archive, tasks, settings.receiving, session.tray
    )
    sync.on_new_fax = session.notifier.announce
    controller.settings_listeners.append(lambda edited: _apply_receiving(session, edited, folder))
    controller.start()
    tasks.start(sync.run(on_error=controller.report_sync_error), key="sync")
    tasks.start(controller.check_connection(), key="ping")
    session.receiver = await _start_receiver(window, settings, session.archive, sync, controller)
    return session


def _tray(window: MainWindow, settings: Settings) -> TrayIcon | None:
    """The tray icon, where the desktop has a tray; closing then keeps FaxDesk receiving."""
    if not TrayIcon.available():
        return None
    tray = TrayIcon(window)
    told = []

    def bring_back() -> None:
        window.showNormal()
        window.raise_()
        window.activateWindow()

    def hidden() -> None:
        if not told:
            told.append(True)
            tray.show_message(
                "FaxDesk keeps receiving faxes",
                "It stays here in the tray; choose Quit from its menu to end it.",
            )

    tray.open_requested.connect(bring_back)
    tray.new_fax_requested.connect(bring_back)
    tray.new_fax_requested.connect(window.new_fax_requested)
    tray.quit_requested.connect(window.quit)
    window.hidden_to_tray.connect(hidden)
    tray.show()
    window.keep_in_tray = settings.receiving.keep_running_in_tray
    return tray


def _apply_receiving(session: Session, settings: Settings, folder: Path) -> None:
    """Receiving settings changed in the dialog: they apply from the next fax on (the
    folders and file names too). The webhook listener is set up once; it changes at restart.
    """
    if session.sync is not None:
        session.sync.options = _sync_options(session.window, settings, folder)
    if session.notifier is not None:
        session.notifier.settings = settings.receiving
    if session.tray is not None:
        session.window.keep_in_tray = settings.receiving.keep_running_in_tray


def _sync_options(window: MainWindow, settings: Settings, folder: Path) -> SyncOptions:
    options = SyncOptions.from_settings(settings.receiving, folder)
    try:
        check_pattern(options.file_pattern)
    except ValidationError as exc:
        window.show_error(f"{exc} Received faxes are named by FaxDesk's own pattern instead.")
        options = replace(options, file_pattern=DEFAULT_PATTERN)
    return options


async def _start_receiver(
    window: MainWindow,
    settings: Settings,
    archive: Archive,
    sync: FaxSync,
    controller: MainController,
) -> WebhookReceiver | None:
    """Start the webhook listener when the settings ask for one; say so when it cannot run."""
    webhook = settings.receiving.webhook
    if not webhook.enabled:
        return None

    def on_event(event: WebhookEvent) -> None:
        if event.event == FAX_COMPLETED:
            controller.fax_completed(event.fax)
        controller.fax_list.refresh([event.fax.id])

    try:
        password = await asyncio.to_thread(get_webhook_password, webhook.username)
        receiver = WebhookReceiver(
            ReceiverConfig(
                host=webhook.host,
                port=webhook.port,
                path=webhook.path,
                username=webhook.username,
                password=password,
                max_body_bytes=webhook.max_body_mb * 1024 * 1024,
            ),
            archive,
            sync.inbound,
            trigger=sync.trigger,
            on_event=on_event,
        )
        await receiver.start()
    except ConfigError as exc:
        log.error("The webhook listener did not start: %s", exc)
        window.show_error(f"{exc} Faxes still arrive by polling.")
        return None
    return receiver


def _without_service(window: MainWindow, reason: str) -> None:
    """Leave the window up but say, wherever the user asks for something, why nothing works."""
    log.error("FaxDesk cannot reach a fax service: %s", reason)
    message = f"{reason} Fix this and start FaxDesk again."
    window.set_connection("offline", reason)
    window.show_error(message)
    for intent in (window.new_fax_requested, window.refresh_requested, window.files_dropped):
        intent.connect(lambda *_: window.show_error(message))


def _report_unexpected(window: MainWindow, exc: BaseException) -> None:
    log.error("Unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    window.show_error(f"Something went wrong: {exc}. The details are in the log file.")


async def _run(app: QApplication, paths: Paths, settings: Settings) -> int:
    # The loop must outlive the window: shutting down needs it after the window has closed.
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    window = MainWindow(sandbox=settings.uses_sandbox)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    loop = asyncio.get_running_loop()
    previous_handlers = {
        signum: signal.signal(signum, lambda *_: loop.call_soon_threadsafe(closed.set))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    # Python runs signal handlers only between bytecodes; wake it up now and then.
    heartbeat = QTimer(interval=250)
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start()

    def excepthook(
        _kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        _report_unexpected(window, exc.with_traceback(tb))

    sys.excepthook = excepthook
    window.show()
    session = await open_session(window, paths, settings)
    await closed.wait()
    heartbeat.stop()
    window.keep_in_tray = False
    window.hide()
    await session.close()
    sys.excepthook = sys.__excepthook__
    for signum, handler in previous_handlers.items():
        signal.signal(signum, handler)
    app.closeAllWindows()
    app.setQuitOnLastWindowClosed(quit_on_close)
    log.info("FaxDesk closed cleanly")
    return 0


def _missing_display() -> str:
    """Why no window can be shown here, or "" when one can (Linux desktops only)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return (
        "FaxDesk needs a graphical desktop, and this session has none (DISPLAY is not set). "
        "Start it from the desktop, or use the commands listed by 'faxdesk --help'."
    )


def main(argv: list[str]) -> int:
    problem = _missing_display()
    if problem:
        print(problem, file=sys.stderr)  # noqa: T201 - before Qt exists, stderr is all there is
        return 2
    paths = Paths.default()
    paths.ensure()
    log_to_file(paths.cache_dir / "faxdesk.log")
    log.info("FaxDesk %s starting", __version__)
    settings = settings_io.load(paths.settings_file)
    app = QApplication(argv)
    app.setApplicationName("FaxDesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("faxdesk")
    theme.apply_theme(app, settings.theme)
    app.setWindowIcon(icons.icon("faxdesk"))
    collector = MainThreadCollector(app)
    collector.start()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(_run(app, paths, settings))
    finally:
        collector.stop()
