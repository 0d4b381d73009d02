"""The settings one sandbox instance runs with, and the fixed identities it answers as.

A plain value object: it is built once (by the CLI or a test) and passed in. It must not read
files, the environment or the user's FaxDesk settings; `server.config_from_args` does the parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from faxdesk.sandbox.faults import FaultSettings

#: The project every sandbox serves unless told otherwise (UUID-shaped, like a real project id).
DEFAULT_PROJECT_ID = "00000000-0000-4000-8000-0000000fa4de"
#: The id the project's default fax service gets when it is created (a ULID, as the service's
#: ids are). Fixed rather than random so faxes stored before services existed keep pointing at it.
DEFAULT_SERVICE_ID = "01JSANDB0XSERV1CE000000000"
#: The number outbound faxes come from when the request names none ("the first number on the
#: account" in the real service). 555-01xx numbers are reserved for fiction.
DEFAULT_FROM_NUMBER = "+14155550100"
#: Seconds an OAuth2 bearer token is valid unless configured otherwise ("one hour", like Sinch's).
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How to run one sandbox.

    Attributes:
        host: interface to listen on; loopback by default, the sandbox is not meant for a network.
        port: TCP port; 0 picks any free port (the runner prints the real one).
        project_id: the only project id the API accepts; any other is answered like bad credentials.
        key_id: the access key id for Basic auth.
        key_secret: the access key secret for Basic auth.
        time_scale: multiplies every simulated duration (0.05 runs twenty times faster).
        db_path: SQLite file keeping faxes across restarts; None keeps them in memory.
        token_lifetime_seconds: how long an OAuth2 bearer token from `POST /oauth2/token` is
            accepted (its `expires_in`); the service's tokens last an hour.
        inbound_every_seconds: for demos, a sample inbound fax arrives this often (real
            seconds, not scaled); None for never.
        faults: what goes wrong on purpose at startup (changeable through the control
            endpoint while the sandbox runs).
    """

    host: str = "127.0.0.1"
    port: int = 8080
    project_id: str = DEFAULT_PROJECT_ID
    key_id: str = "sandbox"
    key_secret: str = "sandbox-secret"
    time_scale: float = 1.0
    db_path: Path | None = None
    token_lifetime_seconds: int = DEFAULT_TOKEN_LIFETIME_SECONDS
    inbound_every_seconds: float | None = None
    faults: FaultSettings = field(default_factory=FaultSettings)

    def __post_init__(self) -> None:
        if self.inbound_every_seconds is not None and not self.inbound_every_seconds > 0:
            raise ValueError("inbound_every_seconds must be more than 0")
        if self.token_lifetime_seconds < 1:
            raise ValueError("token_lifetime_seconds must be at least 1")
        if self.time_scale < 0:
            raise ValueError("time_scale must not be negative")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
