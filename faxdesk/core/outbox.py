"""The outbox's vocabulary: entries in the send journal, their states and the events about them.

An `OutboxEntry` is one fax to one recipient that the user asked to send: a Send to three
numbers becomes three entries sharing a `batch_id`, each with its own submission label, so each
can be retried, matched on the service, cancelled or resent on its own. The events are what the
background sender (`faxdesk.services.outbox.Outbox`) tells the UI. Pure values: nothing here
talks to the service, touches the disk or knows about Qt.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeAlias

from faxdesk.core.errors import FaxDeskError
from faxdesk.core.models import Fax, FaxStatus, SendRequest

#: The label every outbox send carries (`labels[faxdeskSubmission]=<uuid>`): after an answer was
#: lost, the outbox finds the fax on the service by it instead of sending it a second time.
SUBMISSION_LABEL = "faxdeskSubmission"


def user_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels a person set on a fax, without FaxDesk's own submission label.

    Everything a person reads (the list, the details, search, exports, `faxdesk get`) shows
    these; the wire, `--json` output and the outbox's matching keep every label.
    """
    return {key: value for key, value in labels.items() if key != SUBMISSION_LABEL}


class OutboxState(enum.StrEnum):
    """Where an entry is on its way to the recipient.

    HELD: in the undo window after Send; nothing has gone out and it can be undone.
    QUEUED: waiting its turn (or for the service to be reachable); it can be cancelled.
    UPLOADING: the request is on its way to the service.
    UNCERTAIN: an attempt ended without a clear answer (timeout, dropped connection, a server
        error after the upload, or FaxDesk stopped mid-upload); the fax may exist on the
        service, so the outbox looks for its label there before it sends it again.
    SUBMITTED: the service accepted it (`fax_id` is known) and is transmitting it.
    DELIVERED: the service reports COMPLETED.
    FAILED: the service refused the request, or reports FAILURE; `last_error` says why.
    CANCELLED: the user cancelled or undid it before it went out.
    """

    HELD = "held"
    QUEUED = "queued"
    UPLOADING = "uploading"
    UNCERTAIN = "uncertain"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def can_cancel(self) -> bool:
        """Nothing has gone out yet, so cancelling cannot leave a fax behind on the service."""
        return self in (OutboxState.HELD, OutboxState.QUEUED)


_FINAL = frozenset({OutboxState.DELIVERED, OutboxState.FAILED, OutboxState.CANCELLED})

#: States the user may still see change: every state that is not final.
UNFINISHED_STATES = frozenset(OutboxState) - _FINAL


class OutboxError(FaxDeskError):
    """An outbox action that cannot be done in the entry's current state (in plain words)."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One fax to one recipient in the outbox journal.

    Attributes:
        id: the entry's number in the journal; higher numbers were sent later.
        batch_id: shared by the entries one press of Send created (one per recipient).
        submission: this entry's submission label value (a UUID), sent as `SUBMISSION_LABEL`.
        to: the recipient, E.164.
        request: what is sent: `to` holds just this recipient, the documents are the outbox's
            own copies, and the labels are the user's (the submission label is added on send).
        state: see `OutboxState`.
        created_at: when Send was pressed (UTC).
        updated_at: when the entry last changed (UTC).
        hold_until: the end of the undo window, for HELD entries.
        attempts: how many times the request was sent (or started to be sent).
        first_attempt_at: when the first attempt started; the service is searched from then.
        fax_id: the service's id for the fax, once known.
        fax_status: the service's last reported status of that fax.
        number_of_pages: pages the service counted (0 until known).
        pages_sent: pages the service reports as transmitted.
        last_error: the plain-language reason of the last failure or wait; empty if none.
        resend_of: the entry this one resends, if any.
        resent_as: the entry that resent this one, if any (it is then not resent again).
        revision: grows with every change; a newer copy of an entry has a higher revision.
    """

    id: int
    batch_id: str
    submission: str
    to: str
    request: SendRequest
    state: OutboxState
    created_at: datetime
    updated_at: datetime
    hold_until: datetime | None = None
    attempts: int = 0
    first_attempt_at: datetime | None = None
    fax_id: str = ""
    fax_status: FaxStatus | None = None
    number_of_pages: int = 0
    pages_sent: int = 0
    last_error: str = ""
    resend_of: int | None = None
    resent_as: int | None = None
    revision: int = 0

    @property
    def is_final(self) -> bool:
        return self.state.is_final

    @property
    def can_cancel(self) -> bool:
        return self.state.can_cancel

    @property
    def can_resend(self) -> bool:
        return self.state is OutboxState.FAILED and self.resent_as is None

    @property
    def document_paths(self) -> tuple[Path, ...]:
        return tuple(document.path for document in self.request.documents)


@dataclass(frozen=True, slots=True)
class StateChange:
    """One step of an entry's history: it entered `state` at `at` (UTC).

    Attributes:
        detail: the plain-language reason that came with the step (a failure, a wait), if any.
    """

    state: OutboxState
    at: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class OutboxWaiting:
    """Why the outbox is not sending right now, and when it tries again.

    Attributes:
        reason: plain language, e.g. "The fax service at fax.api.sinch.com could not be
            reached."; fit to show as it is.
        until: when the next attempt is due (UTC), or None when it waits for something else
            (such as a change of account).
        since: when the waiting began (UTC).
    """

    reason: str
    until: datetime | None
    since: datetime


@dataclass(frozen=True, slots=True)
class EntryChanged:
    """An entry was added or changed; `fax` is what the service said, when it said something."""

    entry: OutboxEntry
    fax: Fax | None = None


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """How much of an entry's request has gone out: bytes `done` of `total` (None if unknown).

    Starts again from 0 when an attempt is repeated.
    """

    entry_id: int
    done: int
    total: int | None


@dataclass(frozen=True, slots=True)
class WaitingChanged:
    """The outbox started waiting (`waiting` says why) or stopped waiting (`waiting` is None)."""

    waiting: OutboxWaiting | None


OutboxEvent: TypeAlias = EntryChanged | UploadProgress | WaitingChanged
