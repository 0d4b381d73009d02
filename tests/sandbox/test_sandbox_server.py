"""The runner: a real server process on loopback, its banner, its options and a clean stop."""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import json
import re
import signal
import socket
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest

from faxdesk.documents.pages import count_pages, make_test_pdf
from faxdesk.sandbox.config import DEFAULT_PROJECT_ID, SandboxConfig
from faxdesk.sandbox.faults import FaultSettings
from faxdesk.sandbox.server import (
    KEY_SECRET_ENV,
    add_arguments,
    banner,
    config_from_args,
    run,
)
from faxdesk.sandbox.testing import SandboxProcess, sandbox_process
from tests.sandbox.sandbox_support import TEST_NUMBER

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


async def wait_for_status(client: httpx.AsyncClient, fax_id: str, status: str) -> dict:
    # Over real HTTP there is nothing to await but the answers themselves: poll briefly.
    deadline = time.monotonic() + 15
    while True:
        fax = (await client.get(f"faxes/{fax_id}")).json()
        if fax["status"] == status or time.monotonic() > deadline:
            return fax
        await asyncio.sleep(0.05)


def raw_get(server: SandboxProcess, target: str) -> dict:
    """GET with the query exactly as written (`>` and `+` unencoded), as the Node SDK sends it."""
    parts = urlsplit(server.origin)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        credentials = f"{server.config.key_id}:{server.config.key_secret}".encode()
        connection.request(
            "GET",
            f"/v3/projects/{server.config.project_id}/{target}",
            headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()},
        )
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        connection.close()


async def test_a_fax_sent_over_loopback_is_delivered_and_the_server_stops_cleanly() -> None:
    config = SandboxConfig(port=0, time_scale=0.05, key_secret="from:the:environment")
    with sandbox_process(config, via_cli=True) as server:
        port = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", server.origin).group(1)
        assert server.banner == [
            f"FaxDesk sandbox listening on http://127.0.0.1:{port}",
            f"  Base URL:     http://127.0.0.1:{port} (faxes at /v3/projects/"
            f"{DEFAULT_PROJECT_ID}/faxes)",
            f"  Auth URL:     http://127.0.0.1:{port} (OAuth2 tokens at /oauth2/token)",
            f"  Project id:   {DEFAULT_PROJECT_ID}",
            "  Key id:       sandbox",
            "  Key secret:   from:the:environment",
            "  Test number:  +19898989898 (always delivered)",
            "  Failures:     +19898989801 to 06 (busy, no answer, no fax tone, partial, slow, "
            "busy then delivered)",
            "FaxDesk's commands use it with these variables:",
            f"  FAXDESK_BASE_URL=http://127.0.0.1:{port} FAXDESK_AUTH_URL=http://127.0.0.1:{port}"
            " FAXDESK_AUTH=basic",
            f"  FAXDESK_PROJECT_ID={DEFAULT_PROJECT_ID} FAXDESK_KEY_ID=sandbox "
            "FAXDESK_KEY_SECRET=from:the:environment",
            "Press Ctrl+C to stop.",
        ]
        assert int(port) > 0

        async with httpx.AsyncClient(
            base_url=server.api_base_url + "/", auth=server.auth, timeout=10
        ) as client:
            sent = await client.post(
                "faxes",
                data={"to": TEST_NUMBER},
                files=[("file", ("two.pdf", make_test_pdf(2), "application/pdf"))],
            )
            assert sent.status_code == 200, sent.text
            fax_id = sent.json()["id"]
            done = await wait_for_status(client, fax_id, "COMPLETED")
            pdf = (await client.get(f"faxes/{fax_id}/file")).content
            denied = await client.get("faxes", auth=("sandbox", "wrong"))

        literal = await asyncio.to_thread(
            raw_get, server, "faxes?createTime>=2020-01-01T00:00:00Z&to=+1989"
        )
        code, out, err = server.stop()

    assert done["status"] == "COMPLETED"
    assert done["pagesSentSuccessfully"] == 2
    assert count_pages(pdf) == 2
    assert (denied.status_code, denied.content) == (401, b"")
    assert [fax["id"] for fax in literal["faxes"]] == [fax_id]
    assert code == 0
    assert out == ""
    assert err == ""


async def test_tokens_services_cover_pages_and_the_export_over_loopback() -> None:
    config = SandboxConfig(port=0, time_scale=0.05, token_lifetime_seconds=120)
    with sandbox_process(config) as server:
        async with httpx.AsyncClient(base_url=server.origin, timeout=10) as anonymous:
            issued = await anonymous.post(
                "/oauth2/token", data={"grant_type": "client_credentials"}, auth=server.auth
            )
        token = issued.json()["access_token"]
        async with httpx.AsyncClient(
            base_url=server.api_base_url + "/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ) as client:
            created = await client.post("services", json={"name": "Loopback", "resolution": "fine"})
            service_id = created.json()["id"]
            rejected = await client.patch(f"services/{service_id}", json={"numberOfRetries": 9})
            cover = await client.post(
                f"services/{service_id}/coverPages",
                json={
                    "name": "Cover",
                    "file": {"fileContent": base64.b64encode(make_test_pdf(1)).decode()},
                },
            )
            sent = await client.post(
                "faxes",
                data={"to": TEST_NUMBER, "serviceId": service_id, "labels[a,b]": 'say "x"'},
                files=[("file", ("one.pdf", make_test_pdf(1), "application/pdf"))],
            )
            exported = await client.get("faxes", params={"format": "csv"})
        code, _, err = server.stop()

    assert (issued.status_code, issued.json()["expires_in"]) == (200, 120)
    assert created.status_code == 201
    assert rejected.status_code == 422
    assert rejected.json()["details"][0]["fieldViolations"][0]["field"] == "numberOfRetries"
    assert cover.status_code == 200
    assert sent.json()["serviceId"] == service_id
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert f"{sent.json()['id']},OUTBOUND," in exported.text
    assert '"a,b=say ""x"""' in exported.text
    assert (code, err) == (0, "")


async def test_sigint_stops_the_server_with_exit_code_0() -> None:
    with sandbox_process() as server:
        async with httpx.AsyncClient(base_url=server.api_base_url + "/", auth=server.auth) as c:
            assert (await c.get("faxes")).status_code == 200
        server.process.send_signal(signal.SIGINT)
        code, _, err = server.stop()

    assert code == 0
    assert "Traceback" not in err
    assert err == ""


async def test_listening_everywhere_prints_the_loopback_url_clients_use() -> None:
    with sandbox_process(SandboxConfig(host="0.0.0.0", port=0, time_scale=0.05)) as server:
        async with httpx.AsyncClient(base_url=server.api_base_url + "/", auth=server.auth) as c:
            answer = await c.get("faxes")
        banner = "\n".join(server.banner)
        server.stop()

    assert server.origin.startswith("http://127.0.0.1:")
    assert answer.status_code == 200
    assert "every interface (0.0.0.0)" in banner
    assert "0.0.0.0:" not in banner


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("::", "http://[::1]:8080"),
        ("::1", "http://[::1]:8080"),
        ("10.0.0.5", "http://10.0.0.5:8080"),
    ],
)
def test_the_banner_names_the_address_a_client_connects_to(host: str, origin: str) -> None:
    text = banner(SandboxConfig(host=host, port=8080), 8080)

    assert text.splitlines()[0] == f"FaxDesk sandbox listening on {origin}"
    assert f"FAXDESK_BASE_URL={origin} " in text
    assert ("every interface" in text) is (host == "::")


def test_a_port_in_use_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = run(SandboxConfig(port=port))

    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"faxdesk sandbox: 127.0.0.1:{port} is already in use by another program (perhaps "
        "another sandbox); choose another port with --port, or --port 0 for any free one.\n"
    )


def test_a_host_that_is_not_this_computers_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(SandboxConfig(host="host.invalid", port=0))

    assert code == 1
    assert capsys.readouterr().err == (
        "faxdesk sandbox: cannot listen on host.invalid:0: 'host.invalid' is not an address of "
        "this computer; choose another with --host (127.0.0.1 for this computer only).\n"
    )


def parse(argv: list[str]) -> SandboxConfig:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return config_from_args(parser.parse_args(argv))


def test_options_default_to_the_config_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_SECRET_ENV, raising=False)

    assert parse([]) == SandboxConfig()


def test_the_key_secret_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_SECRET_ENV, "env-secret")

    assert parse([]).key_secret == "env-secret"
    assert parse(["--key-secret", "flag-secret"]).key_secret == "flag-secret"


def test_every_option_reaches_the_config(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_SECRET_ENV, raising=False)
    db = tmp_path / "s.db"

    config = parse(
        [
            "--host", "::1", "--port", "0", "--project-id", "p-1", "--key-id", "k",
            "--key-secret", "s", "--time-scale", "0.05", "--db", str(db),
            "--token-lifetime", "90", "--inbound-every", "2.5", "--error-rate", "0.25",
            "--error-status", "503", "--rate-limit-rate", "0.5", "--retry-after", "7",
            "--latency", "0.2", "--drop-rate", "1",
        ]
    )  # fmt: skip

    assert config == SandboxConfig(
        host="::1",
        port=0,
        project_id="p-1",
        key_id="k",
        key_secret="s",
        time_scale=0.05,
        db_path=db,
        token_lifetime_seconds=90,
        inbound_every_seconds=2.5,
        faults=FaultSettings(
            error_rate=0.25,
            error_statuses=(503,),
            rate_limit_rate=0.5,
            retry_after_seconds=7,
            latency_seconds=0.2,
            drop_rate=1.0,
        ),
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "70000"],
        ["--port", "x"],
        ["--time-scale", "-1"],
        ["--token-lifetime", "0"],
        ["--token-lifetime", "1.5"],
        ["--inbound-every", "0"],
        ["--error-rate", "1.5"],
        ["--error-status", "404"],
        ["--drop-rate", "-0.1"],
        ["--latency", "-1"],
        ["--latency", "61"],
        ["--retry-after", "3601"],
        ["--retry-after", "-2"],
        ["--retry-after", "1.5"],
        ["--project-id", ""],
        ["--key-id", " "],
        ["--key-id", "a:b"],
        ["--key-secret", ""],
    ],
)
def test_bad_option_values_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse(argv)

    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_a_database_in_a_missing_folder_names_the_folder(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "nonexistent" / "x.db"
    assert run(SandboxConfig(port=0, db_path=db)) == 1
    assert capsys.readouterr().err == (
        f"FaxDesk sandbox cannot use its database {db}: the folder {db.parent} does not exist. "
        "Create it, or choose another --db.\n"
    )
