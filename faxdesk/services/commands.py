"""The work behind the headless sub-commands (`faxdesk send`, `list`, `get`, `download`,
`delete-content`, `services`, `cover-pages`).

Turns what was typed on the command line into core values (E.164 numbers, checked PDFs, labels,
dates), finds the account (settings file, then environment, then flags, or a sandbox child
started for the one command), and runs each call on one shared HTTP client that is closed
afterwards. It returns faxes and text to print; printing, exit codes and argument parsing belong
to `faxdesk.cli`. It must not import Qt or the sandbox package: a sandbox is started as a child
process through `SandboxProcess`, exactly as the GUI does.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO

from faxdesk.api.auth import BasicAuth, OAuth2ClientCredentials
from faxdesk.api.client import FaxApiClient, create_http_client
from faxdesk.api.wire import (
    cover_page_to_wire,
    fax_to_wire,
    service_to_wire,
    validate_send_request,
)
from faxdesk.config import secrets
from faxdesk.config.settings import DEFAULT_API_URL, DEFAULT_AUTH_URL, Account, AuthMethod
from faxdesk.core import phone
from faxdesk.core.errors import (
    ConfigError,
    DocumentError,
    InvalidRequest,
    NotFound,
    ValidationError,
)
from faxdesk.core.models import (
    CoverPage,
    Direction,
    Document,
    Fax,
    FaxPage,
    FaxQuery,
    SendRequest,
    Service,
    ServiceNumber,
)
from faxdesk.core.outbox import user_labels
from faxdesk.core.ports import TransferProgress
from faxdesk.documents.convert import ConvertedDocument, UnsupportedDocumentKind, convert_to_pdf
from faxdesk.documents.cover import default_template_path, make_cover_page
from faxdesk.documents.kinds import PDF, FileKind, sendable_kind
from faxdesk.documents.pages import count_pages_in_file
from faxdesk.services.limits import check_limits
from faxdesk.services.sandbox_process import SandboxProcess

ENV_PROJECT_ID = "FAXDESK_PROJECT_ID"
ENV_KEY_ID = "FAXDESK_KEY_ID"
ENV_KEY_SECRET = secrets.SECRET_ENV
ENV_AUTH = "FAXDESK_AUTH"
ENV_BASE_URL = "FAXDESK_BASE_URL"
ENV_AUTH_URL = "FAXDESK_AUTH_URL"

#: `callbackUrlContentType` for FAX_COMPLETED callbacks posted as JSON.
JSON_MEDIA_TYPE = "application/json"


class NoAccount(ConfigError):
    """No Sinch project is configured anywhere and `--sandbox` was not asked for."""


@dataclass(frozen=True, slots=True)
class AccountOverrides:
    """Account values given as command-line flags; None means "not given"."""

    project_id: str | None = None
    key_id: str | None = None
    base_url: str | None = None
    auth: str | None = None
    auth_url: str | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    """A real Sinch project to run a command against; `key_secret` never shows in repr()."""

    base_url: str
    project_id: str
    key_id: str
    key_secret: str = field(repr=False)
    auth_method: AuthMethod = AuthMethod.OAUTH2
    auth_url: str = DEFAULT_AUTH_URL


@dataclass(frozen=True, slots=True)
class SandboxTarget:
    """Run the command against a sandbox child started for it and stopped afterwards.

    `db_path` is the user's sandbox database, so the command sees the faxes the GUI sent.
    """

    db_path: Path | None = None
    log_path: Path | None = None
    time_scale: float = 1.0


Target = Connection | SandboxTarget


# --- the account -----------------------------------------------------------------------------


def resolve_connection(
    account: Account, overrides: AccountOverrides, environ: Mapping[str, str] | None = None
) -> Connection:
    """The account from the settings file, overridden by the environment, then by the flags.

    Raises `NoAccount` when no project is configured at all, `ConfigError` when it is
    incomplete, the auth method is unknown or no key secret can be found.
    """
    env = os.environ if environ is None else environ

    def pick(flag: str | None, variable: str, configured: str) -> str:
        return _pick(flag, variable, configured, env)[0]

    project_id = pick(overrides.project_id, ENV_PROJECT_ID, account.project_id)
    key_id = pick(overrides.key_id, ENV_KEY_ID, account.key_id)
    if not project_id and not key_id:
        raise NoAccount(
            "no Sinch account is configured; run 'faxdesk account --project-id ID --key-id ID' "
            f"(or set {ENV_PROJECT_ID}, {ENV_KEY_ID} and {ENV_KEY_SECRET}), or pass --sandbox."
        )
    if not project_id or not key_id:
        missing = "project id" if not project_id else "key id"
        raise ConfigError(
            f"the Sinch account has no {missing}; give --project-id and --key-id "
            f"(or {ENV_PROJECT_ID} and {ENV_KEY_ID})."
        )
    auth_text = pick(overrides.auth, ENV_AUTH, account.auth_method.value).lower()
    try:
        auth_method = AuthMethod(auth_text)
    except ValueError:
        choices = " or ".join(method.value for method in AuthMethod)
        raise ConfigError(f"the auth method {auth_text!r} is unknown; use {choices}.") from None
    base_url = pick(overrides.base_url, ENV_BASE_URL, account.api_url) or DEFAULT_API_URL
    auth_url = pick(overrides.auth_url, ENV_AUTH_URL, account.auth_url) or DEFAULT_AUTH_URL
    secret = env.get(ENV_KEY_SECRET) or secrets.get_key_secret(key_id)
    return Connection(
        base_url=base_url,
        project_id=project_id,
        key_id=key_id,
        key_secret=secret,
        auth_method=auth_method,
        auth_url=auth_url,
    )


def _pick(
    flag: str | None, variable: str, configured: str, env: Mapping[str, str]
) -> tuple[str, str]:
    """The value in effect and where it comes from: the flag, the variable, else the settings."""
    if flag is not None and flag.strip():
        return flag.strip(), "flag"
    value = env.get(variable)
    if value is not None and value.strip():
        return value.strip(), variable
    return configured, "settings"


def account_in_effect(
    account: Account, environ: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """What the commands and the window use: (name, value, where it comes from, in words) for
    each part of the account, the saved `account` overridden by the environment. The key secret
    is only said to be there or not, never shown. Empty when no project is configured anywhere.
    """
    env = os.environ if environ is None else environ

    def part(name: str, variable: str, configured: str, default: str = "") -> tuple[str, str, str]:
        value, source = _pick(None, variable, configured or default, env)
        if not value:
            return name, "(none)", "not set"
        if source == "settings":
            where = "the default" if value == default else "from the settings file"
        else:
            where = f"from {source}"
        return name, value, where

    project_id = part("Project id", ENV_PROJECT_ID, account.project_id)
    key_id = part("Key id", ENV_KEY_ID, account.key_id)
    if project_id[1] == key_id[1] == "(none)":
        return []
    auth = part("Auth", ENV_AUTH, account.auth_method.value, AuthMethod.OAUTH2.value)
    if env.get(ENV_KEY_SECRET):
        secret = ("Key secret", "set", f"from {ENV_KEY_SECRET}")
    elif not secrets.keyring_available():
        secret = ("Key secret", "none", f"no keyring on this computer; set {ENV_KEY_SECRET}")
    else:
        try:
            secrets.get_key_secret(key_id[1])
            secret = ("Key secret", "set", "in the system keyring")
        except ConfigError:
            secret = ("Key secret", "none", "not in the system keyring")
    parts = [
        project_id,
        key_id,
        secret,
        (auth[0], auth[1].lower(), auth[2]),
        part("API URL", ENV_BASE_URL, account.api_url, DEFAULT_API_URL),
    ]
    if auth[1].lower() != AuthMethod.BASIC.value:
        parts.append(part("Auth URL", ENV_AUTH_URL, account.auth_url, DEFAULT_AUTH_URL))
    return parts


@asynccontextmanager
async def open_api(target: Target) -> AsyncIterator[FaxApiClient]:
    """A client for `target` on a fresh HTTP client; both (and any sandbox) end with the block."""
    sandbox: SandboxProcess | None = None
    http = create_http_client()
    try:
        if isinstance(target, SandboxTarget):
            if target.db_path is not None:
                await asyncio.to_thread(target.db_path.parent.mkdir, parents=True, exist_ok=True)
            sandbox = SandboxProcess(
                db_path=target.db_path, log_path=target.log_path, time_scale=target.time_scale
            )
            endpoint = await sandbox.start()
            yield FaxApiClient(
                http,
                base_url=endpoint.base_url,
                project_id=endpoint.project_id,
                auth=BasicAuth(endpoint.key_id, endpoint.key_secret),
            )
        else:
            auth: BasicAuth | OAuth2ClientCredentials = (
                OAuth2ClientCredentials(
                    target.key_id, target.key_secret, auth_base_url=target.auth_url
                )
                if target.auth_method is AuthMethod.OAUTH2
                else BasicAuth(target.key_id, target.key_secret)
            )
            yield FaxApiClient(
                http, base_url=target.base_url, project_id=target.project_id, auth=auth
            )
    finally:
        await http.aclose()
        if sandbox is not None:
            await sandbox.stop()


# --- input -----------------------------------------------------------------------------------


def numbers_to_e164(
    numbers: Iterable[str], default_region: str, *, option: str = "--to", field: str = "to"
) -> tuple[str, ...]:
    """Each number as typed, in E.164; raises `ValidationError` for `field`, naming `option`
    and the first bad number.

    A number typed in full international form (`+1 555 555 0100`) whose length is possible
    goes as typed even when phonenumbers does not know its range as assigned: a script may
    fax a number newer than the installed metadata, and the service has the last word.
    """
    return tuple(_number_to_e164(number, default_region, option, field) for number in numbers)


def _number_to_e164(number: str, default_region: str, option: str, field: str) -> str:
    try:
        return phone.fax_number(number, default_region).e164
    except ValidationError as exc:
        raise ValidationError(f"{option}: {exc}", field=field) from None


def parse_pairs(items: Iterable[str], *, field: str) -> dict[str, str]:
    """`KEY=VALUE` items (labels, cover page fields) as a dict.

    Raises `ValidationError` for `field` naming an item without a key, or a key given twice
    (only one of the values could be kept).
    """
    what = "label" if field == "labels" else "cover page field"
    pairs: dict[str, str] = {}
    given: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"the {what} {item!r} is not KEY=VALUE.", field=field)
        key = key.strip()
        if key in given:
            raise ValidationError(
                f"the {what} {key!r} is given twice ({given[key]!r} and {item!r}); give each "
                "key once.",
                field=field,
            )
        given[key] = item
        pairs[key] = value
    return pairs


def validate_send(request: SendRequest) -> None:
    """Check every option the way the client will, before an account or sandbox is needed."""
    validate_send_request(request)


def check_fax_id(fax_id: str) -> str:
    """A fax id as typed, stripped; raises `ValidationError` for an empty, path-like or spaced
    one (ids are one word of letters and digits, such as 01HDF5S9P29WC29J578J8EKC1C)."""
    cleaned = fax_id.strip()
    if not cleaned or any(ch in "/\\?#%" or not ch.isprintable() or ch.isspace() for ch in cleaned):
        raise ValidationError(f"{fax_id!r} is not a fax id.", field="fax_id")
    return cleaned


_PROJECT_ID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def check_project_id(project_id: str) -> str:
    """A Sinch project id as typed, stripped; raises `ValidationError` unless it is a UUID, as
    Sinch's project ids are (3acb7ae1-cf3d-4112-ba5e-3a9d8c71cd47)."""
    cleaned = project_id.strip()
    if not _PROJECT_ID.fullmatch(cleaned):
        raise ValidationError(
            f"the project id {project_id!r} is not a UUID such as "
            "3acb7ae1-cf3d-4112-ba5e-3a9d8c71cd47; copy it from the Sinch dashboard.",
            field="project_id",
        )
    return cleaned


_CREATED_FORMATS = (
    (re.compile(r"\d{4}"), "%Y"),
    (re.compile(r"\d{4}-\d{2}"), "%Y-%m"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"), "%Y-%m-%dT%H:%M:%SZ"),
)


def parse_created(text: str) -> str:
    """The list endpoint's `createTime` filter: a year, month, day or UTC time, checked.

    A time means "created after"; the others mean "created within". Raises `ValidationError`
    for anything else, e.g. a day that does not exist.
    """
    raw = text.strip()
    for pattern, layout in _CREATED_FORMATS:
        if pattern.fullmatch(raw):
            try:
                datetime.strptime(raw, layout)
            except ValueError:
                break
            return raw
    raise ValidationError(
        f"{text!r} is not a year (2026), month (2026-03), day (2026-03-01) "
        "or UTC time (2026-03-01T14:00:00Z).",
        field="created",
    )


def check_documents(paths: Iterable[Path]) -> tuple[Document, ...]:
    """The files as fax documents, each one a kind the service takes; PDFs must open.

    Raises `DocumentError` naming the file as it was given.
    """
    documents: list[Document] = []
    for path in paths:
        _check_file(path)
        try:
            kind = sendable_kind(path)
            if kind is PDF:
                count_pages_in_file(path)
        except DocumentError as exc:
            raise _as_given(exc, path) from None
        documents.append(Document(path=path, media_type=kind.media_type))
    return tuple(documents)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DocumentError(f"{path} does not exist.", path=str(path))
    if not path.is_file():
        raise DocumentError(f"{path} is not a file.", path=str(path))


def _as_given(exc: DocumentError, path: Path) -> DocumentError:
    """`exc` naming the file as it was typed instead of by its bare name, class kept."""
    message, given = str(exc), str(path)
    if path.name in message:
        message = message.replace(path.name, given, 1)
    else:
        message = f"{given}: {message}"
    return type(exc)(message, path=given)


def convert_file(
    path: Path, *, paper: str = "letter", password: str | None = None, max_pages: int | None = None
) -> ConvertedDocument:
    """The fax PDF of the file at `path` (any kind FaxDesk converts), fitted to `paper`.

    Blocking and bounded in time and memory; a PDF of more than `max_pages` pages is refused
    before it is converted. Raises `DocumentError` (or its subclasses, such as
    `PasswordRequired`) naming the file as it was given.
    """
    _check_file(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or "it could not be opened"
        raise DocumentError(f"{path} could not be read ({reason}).", path=str(path)) from exc
    try:
        return convert_to_pdf(
            content, filename=path.name, paper=paper, password=password, max_pages=max_pages
        )
    except DocumentError as exc:
        raise _as_given(exc, path) from None


@dataclass(frozen=True, slots=True)
class CoverSheet:
    """A local cover page: the template (None for the one FaxDesk ships) and its fields."""

    template: Path | None = None
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PreparedFax:
    """The documents of a fax as they will be uploaded.

    Attributes:
        documents: fax PDFs written into the folder given to `prepare_fax`, cover page first,
            or an original the service converts itself (a Word file without LibreOffice).
        page_count: the pages FaxDesk counted (a file left to the service is not counted).
        size: the bytes to upload.
        notices: what the user should know, e.g. that a damaged PDF was repaired.
    """

    documents: tuple[Document, ...]
    page_count: int
    size: int
    notices: tuple[str, ...] = ()


def prepare_fax(
    paths: Sequence[Path],
    folder: Path,
    *,
    paper: str = "letter",
    password: str | None = None,
    max_pages: int = 100,
    max_bytes: int = 20_000_000,
    cover: CoverSheet | None = None,
) -> PreparedFax:
    """Convert the files into fax PDFs in `folder`, put the cover page first, check the limits.

    Blocking (every conversion runs in a bounded child process): call it off the event loop.
    Raises `DocumentError` naming the file as it was given, or saying which limit the fax
    exceeds, before anything is uploaded.
    """
    documents: list[Document] = []
    notices: list[str] = []
    pages = 0
    for index, path in enumerate(paths, start=1):
        try:
            # A document over the limit on its own is refused before it is converted.
            converted = convert_file(path, paper=paper, password=password, max_pages=max_pages)
        except UnsupportedDocumentKind:
            kind = _service_converts(path)
            if kind is None:
                raise
            # The service converts Word files itself: send it as it is, and say what is lost.
            documents.append(Document(path=path, media_type=kind.media_type))
            notices.append(
                f"{path} goes to the fax service as it is, to be converted there: install "
                "LibreOffice to check its pages and fit them to the paper before sending."
            )
            continue
        pages += converted.page_count
        notices.extend(converted.notices)
        # A folder per document keeps each one's own name for the upload.
        target = folder / f"{index:02d}" / f"{path.stem or 'document'}.pdf"
        target.parent.mkdir()
        target.write_bytes(converted.pdf)
        documents.append(Document(path=target, media_type=PDF.media_type))
    if cover is not None:
        sheet = make_cover(cover, pages, paper=paper)
        pages += sheet.page_count
        notices.extend(sheet.notices)
        target = folder / "00" / "cover-page.pdf"
        target.parent.mkdir()
        target.write_bytes(sheet.pdf)
        documents.insert(0, Document(path=target, media_type=PDF.media_type))
    size = sum(document.path.stat().st_size for document in documents)
    check_limits(pages, size, max_pages=max_pages, max_bytes=max_bytes)
    return PreparedFax(tuple(documents), pages, size, tuple(notices))


def _service_converts(path: Path) -> FileKind | None:
    """The kind the service takes `path` as, when FaxDesk cannot convert it here.

    A Word file is at least opened as the zip archive it must be, with its document part, so a
    damaged or renamed file is refused here rather than failing on the service minutes later.
    Only the archive's directory is read, never its contents.
    """
    try:
        kind = sendable_kind(path)
    except DocumentError:
        return None
    if ".docx" in kind.suffixes and not _is_word_archive(path):
        raise DocumentError(
            f"{path} is named like a Word document but is not one (it may be damaged).",
            path=str(path),
        )
    return kind


def _is_word_archive(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def make_cover(
    cover: CoverSheet, document_pages: int, *, paper: str = "letter"
) -> ConvertedDocument:
    """The filled cover page for a fax of `document_pages` pages; blocking and bounded."""
    template = cover.template or default_template_path()
    try:
        content = template.read_bytes()
    except OSError as exc:
        reason = exc.strerror or "it could not be opened"
        raise DocumentError(
            f"The cover page template {template} could not be read ({reason}).",
            path=str(template),
        ) from exc
    fields = {"date": date.today().isoformat(), "from": "", "to": "", **cover.fields}
    if cover.template is None:
        # The shipped template has a subject and a message line; blank ones are expected.
        fields = {"subject": "", "message": "", **fields}
    try:
        return make_cover_page(
            content,
            filename=template.name,
            fields=fields,
            document_pages=document_pages,
            paper=paper,
        )
    except DocumentError as exc:
        raise _as_given(exc, template) from None


def check_time_zone(name: str) -> str:
    """A tz database name such as "Europe/Berlin"; raises `ValidationError` for others."""
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ValidationError(
            f"{name!r} is not a time zone name such as 'Europe/Berlin'.",
            field="header_time_zone",
        ) from None
    return name


def parse_when(text: str, *, end_of_day: bool = False) -> datetime:
    """A date (`2026-03-01`) or an ISO 8601 time as an aware UTC datetime.

    A date alone means the start of that day in UTC, or its last second with `end_of_day`;
    a time without an offset is taken as UTC.
    """
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        pass
    else:
        start = datetime.combine(day, time(), tzinfo=UTC)
        return start + timedelta(days=1, seconds=-1) if end_of_day else start
    if raw.endswith(("z", "Z")):
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"{text!r} is not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ).",
            field="created",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def number_prefix(text: str, default_region: str) -> str:
    """A typed number fragment as the E.164 prefix the service filters on."""
    prefix = phone.search_prefix(text, default_region)
    if not prefix:
        raise ValidationError(f"{text!r} has no digits to search for.", field="to")
    return prefix


# --- the calls -------------------------------------------------------------------------------


async def send(
    target: Target, request: SendRequest, *, progress: TransferProgress | None = None
) -> list[Fax]:
    async with open_api(target) as api:
        return await api.send(request, progress=progress)


async def list_page(target: Target, query: FaxQuery, page: int) -> FaxPage:
    async with open_api(target) as api:
        return await api.list_faxes(query, page)


async def list_all(target: Target, query: FaxQuery) -> list[Fax]:
    async with open_api(target) as api:
        return [fax async for fax in api.iter_faxes(query)]


async def get(target: Target, fax_id: str) -> Fax:
    async with open_api(target) as api:
        return await api.get_fax(fax_id)


def download_destination(fax_id: str, output: str | Path | None, *, force: bool) -> Path:
    """Where `download` writes: `output`, `{id}.pdf` inside it if it is a folder (or ends with
    a slash), or `{id}.pdf` in the current folder.

    A file named by `output` is replaced, as the user asked for that very file (`curl -o` does
    the same); an `{id}.pdf` the user did not name is kept unless `force`. Raises
    `ValidationError`, before anything is fetched, if the file exists and is kept, is not a
    regular file (a device or a folder: never replaced), or its folder is missing or
    cannot be written; missing folders are not made, so a mistyped path is caught rather than
    created. A link is followed: the file it points to is what is replaced.
    """
    name = f"{check_fax_id(fax_id)}.pdf"
    if output is None:
        destination = Path.cwd() / name
    else:
        text = str(output)
        destination = Path(text)
        if text.endswith(("/", os.sep)) and not destination.is_dir():
            what = "is a file, not a folder" if destination.exists() else "does not exist"
            raise ValidationError(f"{destination} {what}; nothing was downloaded.", field="output")
    named = output is not None and not destination.is_dir()
    if destination.is_dir():
        destination = destination / name
    # lexists: a link to nowhere is still something the user would lose.
    if os.path.lexists(destination) and not (force or named):
        raise ValidationError(
            f"{destination} already exists; pass --force to replace it.", field="output"
        )
    if destination.is_symlink():
        destination = Path(os.path.realpath(destination))
    if destination.exists() and not destination.is_file():
        what = "a folder" if destination.is_dir() else "not a regular file"
        raise ValidationError(
            f"{destination} is {what}; FaxDesk saves faxes only as regular files.",
            field="output",
        )
    folder = destination.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise ValidationError(f"{folder} {what}; nothing was downloaded.", field="output")
    if not os.access(folder, os.W_OK):
        raise ValidationError(
            f"{folder} cannot be written to; nothing was downloaded.", field="output"
        )
    return destination


async def download(
    target: Target, fax_id: str, destination: Path, *, progress: TransferProgress | None = None
) -> Path:
    async with open_api(target) as api:
        return await api.download(fax_id, destination, progress=progress)


async def delete_content(target: Target, fax_id: str) -> bool:
    """Delete the document of the fax; False when the service said it held none before (the
    delete answers the same either way, so the fax is looked at first)."""
    async with open_api(target) as api:
        had_file = (await api.get_fax(fax_id)).has_file
        # Deleted all the same: a deployment that leaves hasFile out must not keep the file.
        await api.delete_content(fax_id)
        return had_file


async def export_csv(target: Target, query: FaxQuery, out: BinaryIO) -> None:
    """The service's CSV export of every fax matching `query`, copied to `out` as it is."""
    with tempfile.TemporaryDirectory(prefix="faxdesk-export-") as folder:
        path = Path(folder) / "faxes.csv"
        async with open_api(target) as api:
            await api.export_csv(query, path)
        await asyncio.to_thread(_copy_to, path, out)


def _copy_to(path: Path, out: BinaryIO) -> None:
    with path.open("rb") as source:
        shutil.copyfileobj(source, out)
    out.flush()


async def list_services(target: Target) -> list[Service]:
    async with open_api(target) as api:
        return await api.list_services()


async def list_services_with_numbers(
    target: Target,
) -> tuple[list[Service], dict[str, list[ServiceNumber]]]:
    """The services, and the phone numbers of each service whose numbers could be listed.

    A deployment that does not list numbers (it answers not found or refuses the request)
    leaves that service out of the numbers; the services are shown all the same.
    """
    async with open_api(target) as api:
        services = await api.list_services()
        numbers: dict[str, list[ServiceNumber]] = {}
        for service in services:
            if not service.id.strip():
                continue
            try:
                numbers[service.id] = await api.list_service_numbers(service.id)
            except (NotFound, InvalidRequest):
                continue
        return services, numbers


async def list_cover_pages(target: Target, service_id: str | None) -> tuple[str, list[CoverPage]]:
    """The cover pages of `service_id`, or of the project's default service when it is None."""
    async with open_api(target) as api:
        if service_id is None or not service_id.strip():
            service_id = default_service(await api.list_services()).id
        return service_id, await api.list_cover_pages(service_id.strip())


def default_service(services: Sequence[Service]) -> Service:
    """The service faxes use when they name none: the project default, else the only one."""
    for service in services:
        if service.default_for_project:
            return service
    if len(services) == 1:
        return services[0]
    raise ValidationError(
        "the project has no default fax service; name one with --service.", field="service_id"
    )


# --- output ----------------------------------------------------------------------------------


def faxes_json(faxes: Sequence[Fax]) -> str:
    """The faxes as a JSON array with the service's field names."""
    return json.dumps([fax_to_wire(fax) for fax in faxes], indent=2, ensure_ascii=False)


def fax_json(fax: Fax) -> str:
    """One fax as a JSON object with the service's field names."""
    return json.dumps(fax_to_wire(fax), indent=2, ensure_ascii=False)


def fax_line(fax: Fax) -> str:
    """`id  to  status`, the line `send` prints for each fax it created."""
    return f"{fax.id}  {fax.to}  {fax.status.value}"


_TABLE_HEADER = ("TIME", "DIRECTION", "FROM", "TO", "PAGES", "STATUS", "ID")


def fax_table(faxes: Sequence[Fax]) -> str:
    """A plain-text table of the faxes, one row each, columns padded to line up."""
    rows = [
        (
            _local_time(fax.create_time),
            fax.direction.value.lower(),
            fax.from_ or "-",
            fax.to or "-",
            str(fax.number_of_pages),
            fax.status.value,
            fax.id,
        )
        for fax in faxes
    ]
    return _table(_TABLE_HEADER, rows)


def fax_details(fax: Fax) -> str:
    """The fax as `Label: value` lines, for `get` without `--json`."""
    lines = [
        ("Id", fax.id),
        ("Direction", fax.direction.value.lower()),
        ("Status", fax.status.value),
        ("From", fax.from_),
        ("To", fax.to),
        ("Created", _local_time(fax.create_time)),
        ("Completed", _local_time(fax.completed_time) if fax.completed_time else ""),
        ("Pages", str(fax.number_of_pages)),
        (
            "Sent pages",
            str(fax.pages_sent_successfully) if fax.direction is Direction.OUTBOUND else "",
        ),
        ("Price", str(fax.price) if fax.price else ""),
        ("Document", "yes" if fax.has_file else "no"),
        ("Labels", ", ".join(f"{k}={v}" for k, v in user_labels(fax.labels).items())),
        ("Error", " ".join(filter(None, (fax.error_type or "", fax.error_message)))),
    ]
    return "\n".join(f"{label + ':':<12}{value}" for label, value in lines if value)


def services_json(services: Sequence[Service]) -> str:
    """The services as a JSON array with the service's field names."""
    return json.dumps([service_to_wire(service) for service in services], indent=2)


_SERVICE_HEADER = (
    "ID",
    "NAME",
    "DEFAULT",
    "SENDER",
    "RETRIES",
    "DELAY",
    "COVER PAGE",
    "SENDS FROM",
)


def service_table(
    services: Sequence[Service], numbers: Mapping[str, Sequence[ServiceNumber]] | None = None
) -> str:
    """A plain-text table of the services with the defaults their faxes get.

    SENDER is the service's default sender number; SENDS FROM lists the numbers of `numbers`
    a fax of the service can be sent from (not suspended, not receive-only), "-" when there
    are none or they are unknown.
    """
    known = numbers or {}
    rows = [
        (
            service.id,
            service.name or "-",
            "yes" if service.default_for_project else "no",
            service.default_from or "-",
            _or_dash(service.number_of_retries),
            f"{service.retry_delay_seconds} s" if service.retry_delay_seconds is not None else "-",
            service.cover_page_id or "-",
            ", ".join(n.phone_number for n in known.get(service.id, ()) if n.can_send) or "-",
        )
        for service in services
    ]
    return _table(_SERVICE_HEADER, rows)


def cover_pages_json(pages: Sequence[CoverPage]) -> str:
    """The cover pages as a JSON array (without their PDF content)."""
    return json.dumps([cover_page_to_wire(page, with_file=False) for page in pages], indent=2)


_COVER_PAGE_HEADER = ("ID", "NAME", "UPDATED")


def cover_page_table(pages: Sequence[CoverPage]) -> str:
    rows = [
        (page.id, page.name or "-", _local_time(page.updated_time or page.created_time))
        for page in pages
    ]
    return _table(_COVER_PAGE_HEADER, rows)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Rows under a header, columns padded to line up, no trailing spaces."""
    everything = [header, *rows]
    widths = [max(len(row[column]) for row in everything) for column in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in everything
    )


def transfer_line(verb: str, done: int, total: int | None) -> str:
    """`Uploading 42% (1.3 MB of 3.1 MB)`, or without a total `Downloading 1.3 MB`."""
    if total:
        percent = min(100, done * 100 // total)
        return f"{verb} {percent}% ({_size(done)} of {_size(total)})"
    return f"{verb} {_size(done)}"


def _size(count: int) -> str:
    if count < 1_000_000:
        return f"{max(1, round(count / 1000)) if count else 0} KB"
    return f"{count / 1_000_000:.1f} MB"


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)


def _local_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment is not None else "-"
