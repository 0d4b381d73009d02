"""What `faxdesk get` shows of a fax's labels, against what `--json` keeps."""

from __future__ import annotations

import json

from faxdesk.core.models import Direction, Fax, FaxStatus
from faxdesk.core.outbox import SUBMISSION_LABEL
from faxdesk.services import commands


def _fax() -> Fax:
    return Fax(
        id="01KBX",
        direction=Direction.OUTBOUND,
        status=FaxStatus.COMPLETED,
        to="+19898989898",
        labels={SUBMISSION_LABEL: "52a1c0de", "ticket": "T-42"},
    )


def test_get_shows_the_user_s_labels_only():
    lines = commands.fax_details(_fax()).splitlines()
    assert [line for line in lines if line.startswith("Labels:")] == ["Labels:     ticket=T-42"]
    assert "52a1c0de" not in commands.fax_details(_fax())


def test_a_fax_with_only_the_submission_label_shows_no_labels_line():
    fax = Fax(
        id="01KBY",
        direction=Direction.OUTBOUND,
        status=FaxStatus.QUEUED,
        labels={SUBMISSION_LABEL: "52a1c0de"},
    )
    assert "Labels" not in commands.fax_details(fax)


def test_get_json_keeps_every_label_as_the_service_has_them():
    assert json.loads(commands.fax_json(_fax()))["labels"] == {
        SUBMISSION_LABEL: "52a1c0de",
        "ticket": "T-42",
    }
