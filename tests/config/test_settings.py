from __future__ import annotations

import json

import pytest

from faxdesk.config import secrets, settings
from faxdesk.config.paths import Paths
from faxdesk.config.settings import Account, AuthMethod, PaperSize, SendingDefaults, Settings
from faxdesk.core.errors import ConfigError
from faxdesk.core.models import ImageConversionMethod, Resolution


def test_missing_file_gives_defaults_and_sandbox(paths: Paths):
    loaded = settings.load(paths.settings_file)
    assert loaded == Settings()
    assert loaded.uses_sandbox


def test_save_and_load_round_trip(paths: Paths):
    original = Settings(
        account=Account(project_id="p-1", key_id="k-1", auth_method=AuthMethod.BASIC),
        default_region="GB",
        refresh_interval=30.0,
    )
    settings.save(original, paths.settings_file)
    assert settings.load(paths.settings_file) == original
    assert not settings.load(paths.settings_file).uses_sandbox
    data = json.loads(paths.settings_file.read_text())
    assert data["schemaVersion"] == settings.SCHEMA_VERSION


def test_save_leaves_no_temporary_files(paths: Paths):
    settings.save(Settings(), paths.settings_file)
    settings.save(Settings(default_region="DE"), paths.settings_file)
    assert [p.name for p in paths.settings_file.parent.iterdir()] == ["settings.json"]


def test_bad_values_fall_back_to_defaults(paths: Paths):
    paths.settings_file.write_text(
        json.dumps(
            {
                "default_region": 7,
                "refresh_interval": "soon",
                "account": {"project_id": "p", "key_id": "k", "auth_method": "kerberos"},
                "unknown": True,
            }
        )
    )
    loaded = settings.load(paths.settings_file)
    assert loaded.default_region == "7"
    assert loaded.refresh_interval == Settings().refresh_interval
    assert loaded.account == Account(project_id="p", key_id="k")


def test_corrupt_file_gives_defaults(paths: Paths):
    paths.settings_file.write_text("{not json")
    assert settings.load(paths.settings_file) == Settings()


def test_settings_file_never_holds_the_secret(paths: Paths, monkeypatch):
    monkeypatch.setenv(secrets.SECRET_ENV, "s3cr3t-value")
    account = Account(project_id="p", key_id="k")
    settings.save(Settings(account=account), paths.settings_file)
    assert secrets.get_key_secret("k") == "s3cr3t-value"
    assert "s3cr3t" not in paths.settings_file.read_text()


def test_missing_secret_says_how_to_provide_one(monkeypatch):
    monkeypatch.delenv(secrets.SECRET_ENV, raising=False)
    monkeypatch.setattr(secrets.keyring, "get_password", lambda *_: None)
    with pytest.raises(ConfigError, match="FAXDESK_KEY_SECRET"):
        secrets.get_key_secret("key-7")


def test_paths_are_rooted_in_faxdesk_home(paths: Paths, tmp_path):
    assert paths.config_dir == tmp_path / "home" / "config"
    assert paths.archive_db("sandbox").parent == tmp_path / "home" / "data"
    assert paths.archive_db("sandbox") != paths.archive_db("project-1")


def test_the_undo_window_is_off_by_default_and_kept_when_set(paths: Paths):
    assert Settings().undo_send_seconds == 0
    settings.save(Settings(undo_send_seconds=5), paths.settings_file)
    assert settings.load(paths.settings_file).undo_send_seconds == 5.0


def test_each_account_has_its_own_outbox(paths: Paths):
    assert paths.outbox_db("sandbox") != paths.outbox_db("p-1")
    assert paths.outbox_db("sandbox") != paths.archive_db("sandbox")
    assert paths.outbox_dir("sandbox") != paths.outbox_dir("p-1")


def test_sending_defaults_round_trip(paths: Paths):
    original = Settings(
        confirm_before_send=False,
        undo_send_seconds=10,
        paper_size=PaperSize.A4,
        sending=SendingDefaults(
            service_id="01SERVICE",
            from_number="+14155550100",
            resolution=Resolution.SUPERFINE,
            image_conversion_method=ImageConversionMethod.MONOCHROME,
            header_text="Mercy Clinic",
            header_page_numbers=False,
            header_time_zone="Europe/Berlin",
            max_retries=2,
            retry_delay_seconds=120,
        ),
    )
    settings.save(original, paths.settings_file)
    assert settings.load(paths.settings_file) == original
    data = json.loads(paths.settings_file.read_text())
    assert data["sending"]["resolution"] == "SUPERFINE"
    assert data["paper_size"] == "a4"


def test_values_outside_the_service_limits_take_the_default(paths: Paths):
    paths.settings_file.write_text(
        json.dumps(
            {
                "undo_send_seconds": 600,
                "confirm_before_send": "no",
                "paper_size": "tabloid",
                "sending": {
                    "max_retries": 9,
                    "retry_delay_seconds": 20.5,
                    "resolution": "ULTRAFINE",
                    "header_text": "x" * 51,
                    "image_conversion_method": "MONOCHROME",
                },
            }
        )
    )
    loaded = settings.load(paths.settings_file)
    assert loaded.undo_send_seconds == 0
    assert loaded.confirm_before_send is True
    assert loaded.paper_size is PaperSize.LETTER
    assert loaded.sending == SendingDefaults(
        image_conversion_method=ImageConversionMethod.MONOCHROME
    )


def test_unset_sending_options_stay_unset(paths: Paths):
    paths.settings_file.write_text(
        json.dumps({"sending": {"resolution": None, "max_retries": "3"}})
    )
    loaded = settings.load(paths.settings_file)
    assert loaded.sending.resolution is None
    assert loaded.sending.max_retries == 3


def test_receiving_defaults_poll_every_30_seconds_with_90_days_of_history(paths: Paths):
    receiving = settings.load(paths.settings_file).receiving
    assert receiving.poll_interval == 30.0
    assert receiving.history_days == 90
    assert receiving.keep_inbound_days == receiving.keep_outbound_days == 0
    assert receiving.webhook.enabled is False


def test_receiving_settings_round_trip_and_keep_to_their_limits(paths: Paths):
    from faxdesk.config.settings import MAX_HISTORY_DAYS, Receiving, WebhookListener

    chosen = Settings(
        receiving=Receiving(
            history_days=MAX_HISTORY_DAYS,
            folder="/srv/faxes",
            copy_folder="/srv/copies",
            auto_print=True,
            printer="Front desk",
            keep_inbound_days=30,
            webhook=WebhookListener(enabled=True, port=9000),
        )
    )
    settings.save(chosen, paths.settings_file)
    assert settings.load(paths.settings_file) == chosen

    data = json.loads(paths.settings_file.read_text())
    data["receiving"]["history_days"] = 500  # more than the service keeps
    data["receiving"]["webhook"]["port"] = 70000
    paths.settings_file.write_text(json.dumps(data))
    loaded = settings.load(paths.settings_file).receiving
    assert loaded.history_days == 90
    assert loaded.webhook.port == 8470
    assert loaded.folder == "/srv/faxes"


def test_the_webhook_password_comes_from_the_keyring_or_the_environment(monkeypatch):
    stored: dict[tuple[str, str], str] = {}
    monkeypatch.setattr(secrets.keyring, "set_password", lambda s, k, v: stored.update({(s, k): v}))
    monkeypatch.setattr(secrets.keyring, "get_password", lambda s, k: stored.get((s, k)))
    with pytest.raises(ConfigError, match="webhook listener has no password"):
        secrets.get_webhook_password("faxdesk")
    secrets.set_webhook_password("faxdesk", "pa55")
    assert secrets.get_webhook_password("faxdesk") == "pa55"
    monkeypatch.setenv(secrets.WEBHOOK_PASSWORD_ENV, "from-env")
    assert secrets.get_webhook_password("faxdesk") == "from-env"
