"""Input handling without surprises (issue 23, point 3): every command answers bad input with one line and
exit 2, never a traceback; its --help shows what the source says."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

import opsguard.cli  # noqa: F401  (registers the commands)
from opsguard.cli.app import app
from tests.conftest import TEST_KEY

BARE_FREEZE = {"eventCode": "freeze-node", "projectId": 1, "operator": "u", "nodeIds": [1]}

# Every command that takes --data-dir, with arguments that get it as far as using the data dir.
DATA_DIR_COMMANDS = {
    "impact": ["impact", "1"],
    "check": ["check", "{event}"],
    "backfill": ["backfill", "1", "--from", "2026-11-01", "--to", "2026-11-02"],
    "sync": ["sync", "--endpoint", "http://127.0.0.1:9", "--project", "1"],
    "audit": ["audit"],
    "waive": ["waive", "--list"],
    "demo": ["demo", "--nodes", "50"],
    "init": ["init", "--config", "{new_config}"],
    "serve": ["serve", "--config", "{config}"],
}


def one_line_error(result) -> str:
    """The single `opsguard: error:` line of a failed command (and no traceback anywhere)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("opsguard: error: "), result.output
    return lines[0]


@pytest.fixture
def a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSGUARD_HOME", raising=False)
    monkeypatch.delenv("OPSGUARD_CONFIG", raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", TEST_KEY.id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", TEST_KEY.secret)
    monkeypatch.setenv("OPSGUARD_UI_TOKEN", "a-ui-token-long-enough-for-serve")
    path = tmp_path / "not-a-dir"
    path.write_text("x")
    (tmp_path / "event.json").write_text(json.dumps(BARE_FREEZE))
    (tmp_path / "opsguard.toml").write_text('[dataworks]\nextension_code = "x"\nendpoint = "http://127.0.0.1:9"\n'
                                            '[server]\nauth = "none"\n')
    return path


def _args(command: str, tmp_path) -> list[str]:
    return [a.format(event=tmp_path / "event.json", config=tmp_path / "opsguard.toml",
                     new_config=tmp_path / "new.toml")
            for a in DATA_DIR_COMMANDS[command]]


@pytest.mark.parametrize("command", list(DATA_DIR_COMMANDS))
def test_a_data_dir_that_is_a_file_is_one_line_and_exit_2_for_every_command(command, a_file, tmp_path):
    for data_dir in (a_file, a_file / "below"):
        result = CliRunner().invoke(app, [*_args(command, tmp_path), "--data-dir", str(data_dir)])
        line = one_line_error(result)
        assert result.exit_code == 2 and str(a_file) in line and "not a directory" in line, result.output


def test_opsguard_home_that_is_a_file_is_one_line_naming_the_variable(a_file, tmp_path, monkeypatch):
    monkeypatch.setenv("OPSGUARD_HOME", str(a_file))
    result = CliRunner().invoke(app, ["impact", "1"])
    line = one_line_error(result)
    assert result.exit_code == 2 and "$OPSGUARD_HOME" in line and str(a_file) in line


def test_every_command_that_uses_a_data_dir_is_in_the_list_above():
    command = typer.main.get_command(app)
    takes = {name for name, sub in command.commands.items() if any("--data-dir" in p.opts for p in sub.params)}
    assert takes - {"doctor"} == set(DATA_DIR_COMMANDS)   # doctor reports it as a finding (test_doctor)


def test_waive_list_without_a_state_store_is_one_line_not_a_traceback(a_file, tmp_path):
    result = CliRunner().invoke(app, ["waive", "--list", "--data-dir", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no state store at" in one_line_error(result)


def _help_sources() -> dict[str, tuple[list[str], str]]:
    """Each command's --help argv and the help text it is written with (command docstring and parameters)."""
    root = typer.main.get_command(app)
    out = {"opsguard": ([], " ".join([root.help or ""] + [p.help or "" for p in root.params]))}
    for name, command in root.commands.items():
        out[name] = ([name], " ".join([command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]))
    return out


@pytest.mark.parametrize("name", list(_help_sources()))
def test_help_shows_bracketed_words_as_written_and_no_type_on_flags(name):
    argv, source = _help_sources()[name]
    result = CliRunner().invoke(app, [*argv, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "<bool>" not in text                                  # --json, --full, --help are flags, not values
    for literal in re.findall(r"\[[A-Za-z_][\w.]*\]", source):     # [policy], [server] ... read as Rich markup
        assert literal in text, f"{literal} vanished from `opsguard {name} --help`"


def test_the_help_test_looks_at_a_bracketed_literal():
    assert "[policy]" in _help_sources()["check"][1]   # so the test above cannot pass by finding none
