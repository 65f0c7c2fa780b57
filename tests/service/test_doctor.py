"""`opsguard doctor` walks the guide's own config (opsguard/opsguard.example.toml, with the emulator as DataWorks and
a running server's URL filled in): all green; then each broken setup is its own FAIL line and exit 1."""

from __future__ import annotations

import json
import re
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from opsguard.cli import app
from opsguard.cli.init_cmd import example_config
from opsguard.doctor import CHECKS
from tests.conftest import TEST_KEY
from tests.service.conftest import EXTENSION_CODE, UI_TOKEN, tmpfs

EVENTBRIDGE_TOKEN = "target-token-set-on-the-eventbridge-target"
runner = CliRunner()


def set_key(text: str, table: str, key: str, value: Any) -> str:
    """`text` (TOML) with `key` of `[table]` ("" = top level) set to `value`; the line must be there."""
    lines, current, done = text.splitlines(), "", False
    for i, line in enumerate(lines):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            current = header.group(1).strip()
        elif current == table and re.match(rf"{re.escape(key)}\s*=", line):
            lines[i], done = f"{key} = {json.dumps(value)}", True
            break
    assert done, f"no {table}.{key} line in the example config"
    return "\n".join(lines) + "\n"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Setup:
    """One setup to check: the config's values, the environment, and where things are."""

    tmp: Path
    values: dict[tuple[str, str], Any]
    env: dict[str, str | None]
    public_key: Path
    extra_lines: list[str] = field(default_factory=list)

    def config(self) -> Path:
        text = example_config()
        for (table, key), value in self.values.items():
            text = set_key(text, table, key, value)
        path = self.tmp / f"opsguard-{time.monotonic_ns()}.toml"
        path.write_text(text + "\n".join(self.extra_lines), encoding="utf-8")
        return path

    def doctor(self) -> tuple[int, list[dict[str, Any]]]:
        result = runner.invoke(app, ["doctor", "--json", "--timeout", "5", "--config", str(self.config())],
                               env=self.env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        findings = json.loads(result.stdout)
        assert [f["check"] for f in findings] == list(CHECKS)
        return result.exit_code, findings


def failing(findings: list[dict[str, Any]]) -> dict[str, str]:
    return {f["check"]: f["message"] for f in findings if f["ok"] is False}


@pytest.fixture
def setup(tmp_path, start_server, emulator, data_dir, keypair) -> Setup:
    """The guide's config pointed at the emulator and at a running server, the environment it names filled in."""
    server = start_server()
    emulator.register_extension(EXTENSION_CODE, detail_url=f"{server.url}/checks", help_doc_url=f"{server.url}/docs")
    public_key = tmp_path / "eventbridge-public.pem"
    public_key.write_bytes(keypair[1])
    values = {("", "data_dir"): str(data_dir), ("dataworks", "endpoint"): emulator.url,
              ("dataworks", "extension_code"): EXTENSION_CODE, ("server", "public_url"): server.url,
              ("server", "public_key_file"): str(public_key)}
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_KEY.id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": TEST_KEY.secret,
           "OPSGUARD_UI_TOKEN": UI_TOKEN, "OPSGUARD_EVENTBRIDGE_TOKEN": EVENTBRIDGE_TOKEN, "OPSGUARD_HOME": None,
           "OPSGUARD_CONFIG": None, "ALIBABA_CLOUD_SECURITY_TOKEN": None}
    return Setup(tmp_path, values, env, public_key)


def test_the_guides_config_on_a_working_setup_is_all_green(setup):
    code, findings = setup.doctor()
    assert code == 0 and all(f["ok"] is True for f in findings), failing(findings)
    messages = {f["check"]: f["message"] for f in findings}
    assert "answers signed calls" in messages["endpoint"] and "in step with DataWorks' clock" in messages["clock"]
    assert "point at this server" in messages["extension"] and "can be written" in messages["store"]
    text = runner.invoke(app, ["doctor", "--config", str(setup.config())], env=setup.env)
    assert text.exit_code == 0 and len(text.stdout.splitlines()) == len(CHECKS)
    assert all(line.startswith("ok ") for line in text.stdout.splitlines()), text.stdout


def _with(values: dict | None = None, env: dict | None = None) -> Callable[[Setup, Any], None]:
    def change(s: Setup, world: Any) -> None:
        s.values.update(values or {})
        s.env.update(env or {})
    return change


def _old_snapshot(s: Setup, world: Any) -> None:
    """A copy of the data dir whose snapshot was synced seven hours ago (the policy's limit is six)."""
    copy = s.tmp / f"old-data-{time.monotonic_ns()}"
    shutil.copytree(Path(s.values[("", "data_dir")]) / "snapshots", copy / "snapshots")
    current = (copy / "snapshots" / "CURRENT").read_text(encoding="utf-8").strip()
    with duckdb.connect(str(copy / "snapshots" / current)) as con:
        con.execute("UPDATE sync_info SET finished_at = finished_at - INTERVAL 7 HOUR")
    s.values[("", "data_dir")] = str(copy)


def _data_dir_under_a_file(s: Setup, world: Any) -> None:
    (s.tmp / "a-file").write_text("x", encoding="utf-8")
    s.values[("", "data_dir")] = str(s.tmp / "a-file" / "data")


def _newer_store(s: Setup, world: Any) -> None:
    """A data dir whose state store a newer opsguard migrated (a schema version this one does not know)."""
    from opsguard.store import open_store

    copy = s.tmp / "newer-store"
    shutil.copytree(Path(s.values[("", "data_dir")]) / "snapshots", copy / "snapshots")
    open_store(data_dir=copy).close()
    with sqlite3.connect(copy / "state.sqlite") as con:
        con.execute("INSERT INTO store_migrations (version, applied_at) VALUES (9999, '2030-01-01')")
    s.values[("", "data_dir")] = str(copy)


def _register(emulator: Any, base: str, **fields: Any) -> None:
    emulator.register_extension(EXTENSION_CODE, detail_url=fields.pop("detail_url", f"{base}/checks"),
                                help_doc_url=f"{base}/docs", **fields)


def _server_gone(s: Setup, world: Any) -> None:
    """The extension registered with a URL where no opsguard runs (any more)."""
    gone = f"http://127.0.0.1:{closed_port()}"
    _register(world.emulator, gone)
    s.values[("server", "public_url")] = gone


def _details_elsewhere(s: Setup, world: Any) -> None:
    _register(world.emulator, s.values[("server", "public_url")], detail_url="https://elsewhere.example/x")


def _disabled(s: Setup, world: Any) -> None:
    _register(world.emulator, s.values[("server", "public_url")], status=3)


def _clock_off(seconds: float) -> Callable[[Setup, Any], None]:
    """DataWorks (the emulator) with a clock `seconds` ahead of ours: it is this machine that is off."""
    def change(s: Setup, world: Any) -> None:
        skewed = world.emulator_factory(world.workspace, clock=lambda: time.time() + seconds)
        _register(skewed, s.values[("server", "public_url")])
        s.values[("dataworks", "endpoint")] = skewed.url
    return change


BROKEN = {
    # name: (what breaks it, the one check that fails, words its line must hold)
    "wrong secret": (_with(env={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "not-the-secret"}), "credentials",
                     "does not sign correctly"),
    "unknown key id": (_with(env={"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-nobody"}), "credentials",
                       "does not know this access key id"),
    "no credentials": (_with(env={"ALIBABA_CLOUD_ACCESS_KEY_ID": None, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": None}),
                       "credentials", "no Alibaba Cloud credentials"),
    "unreachable endpoint": (lambda s, w: s.values.update({("dataworks", "endpoint"):
                                                               f"http://127.0.0.1:{closed_port()}"}),
                             "endpoint", "cannot reach DataWorks"),
    "clock 5 min behind": (_clock_off(300), "clock",
                           re.compile(r"clock is (299|300|301) s behind DataWorks': signed pushes are refused once 60 s")),
    "clock 20 min ahead": (_clock_off(-20 * 60), "clock", "more than 15 minutes off"),
    "no extension code": (_with({("dataworks", "extension_code"): ""}), "config", "dataworks.extension_code is empty"),
    "unknown extension code": (_with({("dataworks", "extension_code"): "never-registered"}), "extension",
                               "does not know extension code 'never-registered'"),
    "view details elsewhere": (_details_elsewhere, "extension",
                               "View Details URL is 'https://elsewhere.example/x', not http://127.0.0.1:"),
    "extension disabled": (_disabled, "extension", "disabled in DataWorks"),
    "data dir under a file": (_data_dir_under_a_file, "data_dir", "is not a directory"),
    "store newer than opsguard": (_newer_store, "store", "newer than this opsguard knows"),
    "no snapshot": (lambda s, w: s.values.update({("", "data_dir"): str(s.tmp / "empty-data")}), "snapshot",
                    "no metadata snapshot"),
    "old snapshot": (_old_snapshot, "snapshot", "past the policy's staleness limit (6 h)"),
    "webhook not answering": (_server_gone, "webhook", "nothing answers at http://127.0.0.1:"),
    "eventbridge token missing": (_with(env={"OPSGUARD_EVENTBRIDGE_TOKEN": None}), "push_auth",
                                  "$OPSGUARD_EVENTBRIDGE_TOKEN, which is empty"),
    "ui token missing": (_with(env={"OPSGUARD_UI_TOKEN": None}), "ui_auth", "$OPSGUARD_UI_TOKEN (not set)"),
    "ui token too short": (_with(env={"OPSGUARD_UI_TOKEN": "short"}), "ui_auth", "(too short)"),
    "ui open off loopback": (_with({("server", "host"): "0.0.0.0", ("server", "ui_auth"): "none"}), "ui_auth",
                             "anyone who reaches it reads every check"),
}


@dataclass
class World:
    """What a broken setup may change besides the config and the environment."""

    emulator: Any
    emulator_factory: Any
    workspace: Any


def test_each_broken_setup_is_its_own_fail_line_and_exit_1(setup, emulator, emulator_factory, demo_workspace):
    """One running server for all the setups (each starts from the working one); every mismatch is listed."""
    wrong = []
    for name, (change, check, words) in BROKEN.items():
        broken = Setup(setup.tmp, dict(setup.values), dict(setup.env), setup.public_key)
        _register(emulator, setup.values[("server", "public_url")])     # what an earlier setup changed, undone
        change(broken, World(emulator, emulator_factory, demo_workspace))
        code, findings = broken.doctor()
        failed = failing(findings)
        said = failed.get(check, "")
        if code != 1 or list(failed) != [check] or not (words.search(said) if isinstance(words, re.Pattern)
                                                        else words in said):
            wrong.append(f"{name}: exit {code}, failing {failed}")
    assert wrong == []


def test_an_unreadable_config_is_one_line_and_nothing_else_is_checked(setup):
    setup.extra_lines.append("[server.bogus]\n")
    code, findings = setup.doctor()
    assert code == 1 and list(failing(findings)) == ["config"]
    assert "unknown key server.bogus" in failing(findings)["config"]
    assert all(f["ok"] is None for f in findings[1:])


def test_a_read_only_data_dir_is_named(setup, tmp_path):
    """A data dir on a read-only file system (a tmpfs remounted read-only; mounting needs root, as CI has)."""
    with tmpfs(tmp_path / "ro", "64m") as mount:
        shutil.copytree(Path(setup.values[("", "data_dir")]) / "snapshots", mount / "snapshots")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        setup.values[("", "data_dir")] = str(mount)
        code, findings = setup.doctor()
    assert code == 1 and list(failing(findings)) == ["data_dir"], failing(findings)
    assert "cannot be written" in failing(findings)["data_dir"] and "Read-only" in failing(findings)["data_dir"]


def test_the_store_check_on_postgresql_never_shows_the_password(postgres_server, tmp_path):
    """Several replicas' store: an empty database is fine (serve creates the tables), a migrated one is probed,
    one that cannot be reached is a FAIL whose line holds no password."""
    from opsguard.doctor.local import check_store
    from opsguard.store import open_store

    url = postgres_server.database()
    empty = check_store(tmp_path, url)
    assert empty.ok is True and "reachable and empty" in empty.message
    open_store(state_url=url).close()
    migrated = check_store(tmp_path, url)
    assert migrated.ok is True and "can be written" in migrated.message
    unreachable = check_store(tmp_path, f"postgresql://opsguard:s3cret-pw@/opsguard?host={tmp_path / 'no-socket'}")
    assert unreachable.ok is False and "cannot connect" in unreachable.message
    assert "s3cret-pw" not in unreachable.message
