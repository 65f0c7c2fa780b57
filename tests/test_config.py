"""opsguard.toml through `OpsguardConfig`: every key of every table is checked, and a mistake is one line
naming the file and the dotted key (never the value of a secret)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from lineage.config import DataWorksSettings, SyncSettings
from lineage.errors import ConfigError
from opsguard.config import OpsguardConfig, ScheduleSettings, ServerSettings

SECTIONS = {"dataworks": DataWorksSettings, "sync": SyncSettings, "server": ServerSettings,
            "schedule": ScheduleSettings}
KEYS = [(section, key) for section, model in SECTIONS.items() for key in model.model_fields]
NUMBERS = [(section, key) for section, key in KEYS
           if isinstance(SECTIONS[section].model_fields[key].default, (int, float))
           and not isinstance(SECTIONS[section].model_fields[key].default, bool)]


def load(tmp_path: Path, text: str) -> OpsguardConfig:
    path = tmp_path / "opsguard.toml"
    path.write_text(text, encoding="utf-8")
    return OpsguardConfig.load(path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{tmp_path / 'opsguard.toml'}: "), message
    assert info.value.__cause__ is None and info.value.__suppress_context__   # pydantic's text is never shown
    return message.removeprefix(f"{tmp_path / 'opsguard.toml'}: ")


def wrong_type(default: object) -> tuple[str, str]:
    """A TOML value of another type than the key's, and the name of that type."""
    return ("1", "an integer") if isinstance(default, str) else ('"1"', "a string")


@pytest.mark.parametrize(("section", "key"), KEYS, ids=[f"{s}.{k}" for s, k in KEYS])
def test_every_key_refuses_a_wrong_type_naming_the_key(tmp_path, section, key):
    value, kind = wrong_type(SECTIONS[section].model_fields[key].default)
    message = error(tmp_path, f"[{section}]\n{key} = {value}\n")
    assert message.startswith(f"{section}.{key}: must be ") and message.endswith(f"not {kind}"), message


@pytest.mark.parametrize(("section", "key"), KEYS, ids=[f"{s}.{k}" for s, k in KEYS])
def test_a_misspelt_key_is_refused_with_the_keys_it_could_be(tmp_path, section, key):
    known = ", ".join(sorted(SECTIONS[section].model_fields))
    assert error(tmp_path, f"[{section}]\n{key}_ = 1\n") == (f"unknown key {section}.{key}_ "
                                                             f"(expected one of {known})")


@pytest.mark.parametrize(("section", "key"), NUMBERS, ids=[f"{s}.{k}" for s, k in NUMBERS])
def test_no_number_may_be_negative_or_a_boolean(tmp_path, section, key):
    assert error(tmp_path, f"[{section}]\n{key} = -1\n").startswith(f"{section}.{key}: must ")
    assert error(tmp_path, f"[{section}]\n{key} = true\n").endswith("not a boolean")


@pytest.mark.parametrize("key", [k for k in DataWorksSettings.model_fields
                                 if isinstance(DataWorksSettings.model_fields[k].default, (int, float))])
def test_dataworks_numbers_must_be_positive(tmp_path, key):
    assert error(tmp_path, f"[dataworks]\n{key} = 0\n") == f"dataworks.{key}: must be positive, not 0"


def test_history_days_may_be_zero_and_keep_snapshots_may_not(tmp_path):
    assert load(tmp_path, "[sync]\nhistory_days = 0\n").sync.history_days == 0
    assert error(tmp_path, "[sync]\nkeep_snapshots = 0\n") == "sync.keep_snapshots: must be positive, not 0"


@pytest.mark.parametrize(("text", "expected"), [
    ("[server]\nport = 70000\n", "server.port: must be between 0 and 65535, not 70000"),
    ("[server]\nworker_nice = 20\n", "server.worker_nice: must be between 0 and 19, not 20"),
    ("[server]\nworker_processes = 0\n", "server.worker_processes: must be at least 1, not 0"),
    ("[server]\nlease_seconds = 2.5\n", "server.lease_seconds: must be at least 3, not 2.5"),
    ("[server]\nauth = \"hmac\"\n", "server.auth: must be one of 'signature', 'token' or 'none', not 'hmac'"),
    ("[server]\npublic_url = \"opsguard.example.com\"\n", "server.public_url: must be http(s)://host[:port][/path]"),
    ("[server]\nkey_urls = [\"https://k.example.com\", 7]\n",
     "server.key_urls: must be an array of strings, not ['https://k.example.com', 7]"),
    ("[schedule]\nfull_sync_at = \"2:60\"\n", "schedule.full_sync_at: must be HH:MM (24 h) or \"\", not '2:60'"),
    ("[dataworks]\nendpoint = \"ftp://dw.example\"\n",
     "dataworks.endpoint: 'ftp://dw.example' must be http(s)://host[:port]"),
    ("[dataworks]\ntimezone = \"UTC+8\"\n", "dataworks.timezone: 'UTC+8' is not a UTC offset like +08:00"),
    ("[sync]\nprojects = [1, true]\n", "sync.projects: must be an array of integer ids, not [1, True]"),
    ("server = 1\n", "server: must be a table, not an integer"),
    ("policy = \"strict\"\n", "policy: must be a table, not a string"),
    ("data_dir = 7\n", "data_dir: must be a string, not an integer"),
    ("colour = 1\n", "unknown key colour (expected one of data_dir, dataworks, policy, schedule, server, sync)"),
])
def test_a_bad_value_is_one_line_saying_what_is_wanted(tmp_path, text, expected):
    assert error(tmp_path, text) == expected


def test_a_bad_state_url_never_shows_its_password(tmp_path):
    message = error(tmp_path, "[server]\nstate_url = \"mysql://opsguard:hunter2@db.example/opsguard\"\n")
    assert message == "server.state_url: must be a postgresql:// URL (or empty for SQLite)"


def test_a_relative_public_key_file_is_read_beside_the_config_file(tmp_path):
    assert load(tmp_path, "[server]\npublic_key_file = \"keys/eb.pem\"\n").server.public_key_file == \
        str(tmp_path / "keys/eb.pem")
    assert load(tmp_path, "[server]\npublic_key_file = \"/etc/eb.pem\"\n").server.public_key_file == "/etc/eb.pem"
    assert ServerSettings(public_key_file="eb.pem").public_key_file == "eb.pem"   # no file: as given


def test_the_whole_file_loads_into_one_model_that_pickles(tmp_path):
    config = load(tmp_path, "\n".join([
        'data_dir = "state"',
        '[dataworks]\nextension_code = "ext"\nrate_limit = 50',
        '[sync]\nprojects = [7, 8]',
        f'[server]\nport = 9000\nkey_urls = {json.dumps(["http://127.0.0.1:*"])}',
        '[schedule]\nfull_sync_at = ""',
        '[policy.backfill-volume]\nwarn = 3', ""]))
    assert config.path == tmp_path / "opsguard.toml" and config.data_dir == "state"
    assert config.dataworks.rate_limit == 50.0 and isinstance(config.dataworks.rate_limit, float)
    assert config.sync.projects == (7, 8) and config.server.key_urls == ("http://127.0.0.1:*",)
    assert config.schedule.full_sync_time is None and config.policy == {"backfill-volume": {"warn": 3}}
    again = pickle.loads(pickle.dumps(config))
    assert again == config and again.path == config.path
    assert pickle.loads(pickle.dumps(config.server)) == config.server


def test_settings_are_frozen_and_copied_with_changes():
    settings = ServerSettings()
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1   # type: ignore[misc]
    assert settings.model_copy(update={"port": 0}).port == 0 and settings.port == 8080
