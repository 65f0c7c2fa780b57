"""opsguard.toml and the credential chain: clear errors, secrets never shown."""

import pytest

from lineage.config import parse_endpoint, parse_timezone
from lineage.credentials import AccessKey, ChainCredentials, resolve_credentials
from lineage.errors import ConfigError, CredentialsError
from opsguard.config import OpsguardConfig


def write(tmp_path, text):
    path = tmp_path / "opsguard.toml"
    path.write_text(text)
    return path


def test_a_full_config_loads(tmp_path):
    cfg = OpsguardConfig.load(write(tmp_path, """
data_dir = "state"
[dataworks]
region = "cn-hangzhou"
endpoint = "http://127.0.0.1:9000"
rate_limit = 50
concurrency = 4
extension_code = "ext-1"
[sync]
projects = [215001, 215002]
history_days = 14
[server]
port = 8080
"""))
    assert cfg.dataworks.region == "cn-hangzhou" and cfg.dataworks.rate_limit == 50.0
    assert cfg.sync.projects == (215001, 215002) and cfg.sync.history_days == 14
    assert cfg.data_dir == "state" and cfg.server.port == 8080


def test_no_file_means_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSGUARD_CONFIG", raising=False)
    assert OpsguardConfig.load().dataworks.rate_limit == 20.0


@pytest.mark.parametrize(("text", "named"), [
    ("[dataworks]\nrate_limt = 5\n", "dataworks.rate_limt"),
    ("[dataworks]\nconcurrency = \"eight\"\n", "dataworks.concurrency"),
    ("[sync]\nprojects = [\"a\"]\n", "sync.projects"),
    ("[dataworks]\nconcurrency = 0\n", "dataworks.concurrency"),
    ("[dataworks]\ntimezone = \"Shanghai\"\n", "dataworks.timezone"),
    ("colour = 1\n", "unknown key colour"),
    ("[dataworks\n", "line 1"),
])
def test_bad_config_names_the_problem(tmp_path, text, named):
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace(".", r"\.")) as info:
        OpsguardConfig.load(write(tmp_path, text))
    assert "opsguard.toml" in str(info.value)


def test_an_explicit_missing_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        OpsguardConfig.load(tmp_path / "nope.toml")


def test_endpoints_and_timezones():
    assert parse_endpoint("https://dw.example:443") == ("dw.example:443", "HTTPS")
    assert parse_timezone("-05:30").utcoffset(None).total_seconds() == -(5 * 3600 + 1800)
    with pytest.raises(ConfigError):
        parse_endpoint("ftp://x")


def test_credentials_from_the_environment_hide_the_secret():
    key = resolve_credentials({"ALIBABA_CLOUD_ACCESS_KEY_ID": "AKIDEXAMPLE123", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s3cr3t"})
    assert isinstance(key, AccessKey)
    assert "s3cr3t" not in repr(key) and "s3cr3t" not in key.describe()


def test_missing_or_half_credentials_say_what_to_set(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(CredentialsError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        resolve_credentials({})
    with pytest.raises(CredentialsError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set"):
        resolve_credentials({"ALIBABA_CLOUD_ACCESS_KEY_ID": "x"})


def test_the_credential_chain_is_used_when_it_has_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert isinstance(resolve_credentials({"ALIBABA_CLOUD_CREDENTIALS_FILE": "/x"}), ChainCredentials)
