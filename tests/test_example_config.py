"""The annotated opsguard.toml (`opsguard/opsguard.example.toml`, what `opsguard init` writes and docs/operating.md
shows) is complete: it loads, holds every key of every table of `OpsguardConfig` (found from the model, so a key
added to the code and not to the example fails here), and its values are the code's defaults but for the few set
as production wants them."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from typer.testing import CliRunner

from opsguard.cli import app
from opsguard.config import OpsguardConfig

EXAMPLE = Path(str(resources.files("opsguard").joinpath("opsguard.example.toml")))
# Set as a production setup wants them, not to the code's default (the comment beside each says why).
PRODUCTION_VALUES = {"data_dir", "server.public_url", "server.eventbridge_token_env"}
runner = CliRunner()


def raw() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def model_keys(model: type[BaseModel] = OpsguardConfig, prefix: str = "") -> dict[str, Any]:
    """Every setting of the model, dotted (`server.port`), with its default; tables recursed into."""
    keys: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= model_keys(annotation, f"{prefix}{name}.")
        elif name != "policy":   # the raw policy table: checked against the default policy below
            keys[f"{prefix}{name}"] = info.default
    return keys


def lookup(doc: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        doc = doc[part]
    return doc


def test_the_example_loads_through_the_config_model():
    config = OpsguardConfig.load(EXAMPLE)
    assert config.path == EXAMPLE and config.server.auth == "signature" and config.policy


def test_the_example_holds_every_key_of_every_table():
    doc = raw()
    missing = []
    for key in model_keys():
        try:
            lookup(doc, key)
        except KeyError:
            missing.append(key)
    assert missing == [], f"add these keys to {EXAMPLE.name}, with a comment: {missing}"
    assert {"data_dir", "dataworks.region", "sync.projects", "server.port", "schedule.full_sync_at"} <= set(model_keys())


def test_the_example_shows_the_defaults_except_the_production_values():
    loaded = OpsguardConfig.load(EXAMPLE)
    differ = set()
    for key, default in model_keys().items():
        value = lookup(loaded.model_dump(), key)
        if value != (tuple(default) if isinstance(default, list) else default):
            differ.add(key)
    assert differ == PRODUCTION_VALUES


def test_the_examples_policy_holds_every_setting_of_the_default_policy_at_its_default():
    default = tomllib.loads(resources.files("evaluator").joinpath("default_policy.toml").read_text("utf-8"))
    policy = raw()["policy"]
    settings = {k: v for k, v in default.items() if not isinstance(v, dict)}
    assert {k: policy.get(k) for k in settings} == settings
    assert policy["protected"] == default["protected"]
    rule = policy["downstream-blocked"]
    assert rule == {k: default["downstream-blocked"][k] for k in rule}


def test_init_writes_the_example_and_refuses_to_overwrite_it(tmp_path):
    target = tmp_path / "opsguard.toml"
    first = runner.invoke(app, ["init", "--config", str(target), "--json"])
    assert first.exit_code == 0 and json.loads(first.stdout) == {"config": str(target.resolve()),
                                                                 "overwritten": False}
    assert target.read_text(encoding="utf-8") == EXAMPLE.read_text(encoding="utf-8")
    target.write_text("# edited\n", encoding="utf-8")
    again = runner.invoke(app, ["init", "--config", str(target)])
    assert again.exit_code == 2 and "exists already: pass --force" in again.output
    assert target.read_text(encoding="utf-8") == "# edited\n"
    forced = runner.invoke(app, ["init", "--config", str(target), "--force", "--data-dir", str(tmp_path / "d d")])
    assert forced.exit_code == 0 and "opsguard doctor" in forced.stdout
    assert OpsguardConfig.load(target).data_dir == str(tmp_path / "d d")


def test_init_writes_opsguard_toml_here_by_default_and_names_a_missing_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert OpsguardConfig.load(tmp_path / "opsguard.toml").dataworks.extension_code == ""
    nowhere = runner.invoke(app, ["init", "--config", str(tmp_path / "missing" / "opsguard.toml")])
    assert nowhere.exit_code == 2 and f"directory {tmp_path / 'missing'} does not exist" in nowhere.output
