"""deploy/: the container entrypoint really starts `opsguard serve` from the environment (secrets from files), the
image recipe keeps its promises (read from the file: no container engine runs here), and the systemd unit passes
`systemd-analyze verify` and its offline security review."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.service.conftest import REPO, UI_TOKEN, wait_for, write_config

DEPLOY = REPO / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(url: str, token: str | None = None) -> int | None:
    request = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=3) as answer:  # noqa: S310 — loopback test server
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.fixture
def container_env(tmp_path, data_dir, emulator, keypair) -> dict[str, str]:
    """The environment a container gets: config and data dir by path, secrets as *_FILE (with trailing
    newlines, as `echo` writes them), `opsguard` and `python3` on PATH as the image has them."""
    public = tmp_path / "eventbridge-public.pem"
    public.write_bytes(keypair[1])
    config = write_config(tmp_path / "opsguard.toml", emulator, public)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "access_key_secret").write_text(TEST_KEY.secret + "\n", encoding="utf-8")
    (secrets / "ui_token").write_text(UI_TOKEN + "\n", encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, command in (("opsguard", f'exec "{sys.executable}" -m opsguard "$@"'),
                          ("python3", f'exec "{sys.executable}" "$@"')):
        (bin_dir / name).write_text(f"#!/bin/sh\n{command}\n", encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ALIBABA_CLOUD_", "OPSGUARD_"))}
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "PYTHONPATH": str(REPO),
            "OPSGUARD_CONFIG": str(config), "OPSGUARD_HOME": str(data_dir), "OPSGUARD_HOST": "127.0.0.1",
            "OPSGUARD_PORT": str(free_port()), "ALIBABA_CLOUD_ACCESS_KEY_ID": TEST_KEY.id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE": str(secrets / "access_key_secret"),
            "OPSGUARD_UI_TOKEN_FILE": str(secrets / "ui_token")}


def test_the_entrypoint_serves_from_the_environment_and_its_healthcheck_follows_readyz(container_env, tmp_path):
    port = container_env["OPSGUARD_PORT"]
    healthcheck = [str(ENTRYPOINT), "healthcheck"]
    assert subprocess.run(healthcheck, env=container_env, capture_output=True, timeout=30).returncode == 1  # not up
    log = open(tmp_path / "entrypoint.log", "wb")  # noqa: SIM115 — closed below
    process = subprocess.Popen([str(ENTRYPOINT), "--json"], env=container_env, stdout=subprocess.PIPE, stderr=log,
                               cwd=tmp_path)
    try:
        line = process.stdout.readline().decode()
        assert line, (tmp_path / "entrypoint.log").read_text()
        started = json.loads(line)
        assert started["url"] == f"http://127.0.0.1:{port}" and started["data_dir"] == container_env["OPSGUARD_HOME"]
        wait_for(lambda: status_of(f"{started['url']}/readyz") == 200, 30, what="readyz")
        assert subprocess.run(healthcheck, env=container_env, capture_output=True, timeout=30).returncode == 0
        # the UI token came from its file (newline dropped): it opens the pages, and nothing else does
        assert status_of(f"{started['url']}/api/checks", UI_TOKEN) == 200
        assert status_of(f"{started['url']}/api/checks") == 401
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        log.close()
    assert code == 0, (tmp_path / "entrypoint.log").read_text()


def test_the_entrypoint_runs_other_commands_and_refuses_a_missing_config(container_env):
    doctor = subprocess.run([str(ENTRYPOINT), "doctor", "--json"], env=container_env, capture_output=True, text=True,
                            timeout=120)
    findings = {f["check"]: f for f in json.loads(doctor.stdout)}
    assert findings["credentials"]["ok"] is True, findings["credentials"]   # the secret came from its file
    missing = {**container_env, "OPSGUARD_CONFIG": "/nonexistent/opsguard.toml"}
    done = subprocess.run([str(ENTRYPOINT)], env=missing, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "no config at /nonexistent/opsguard.toml" in done.stderr
    unreadable = {**container_env, "OPSGUARD_UI_TOKEN_FILE": "/nonexistent/token"}
    done = subprocess.run([str(ENTRYPOINT)], env=unreadable, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "OPSGUARD_UI_TOKEN_FILE names /nonexistent/token" in done.stderr


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Containerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                                          if not line.lstrip().startswith("#")))
    return [(parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in
            (line.strip().split(None, 1) for line in text.splitlines() if line.strip())]


def test_the_image_recipe_runs_unprivileged_with_a_data_volume_a_readiness_healthcheck_and_every_package():
    """Read from the file: no container engine runs on this machine (`docker build` needs a daemon)."""
    steps = instructions(DEPLOY / "Containerfile")
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM"):]   # the runtime stage
    args = {op: [a for o, a in final if o == op] for op in {o for o, _ in final}}
    user = args["USER"][-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit() and int(user) >= 1000
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(args["ENV"])))
    assert json.loads(args["VOLUME"][0]) == [env["OPSGUARD_HOME"]]
    assert args["ENTRYPOINT"] == ['["/usr/local/bin/opsguard-entrypoint"]']
    assert 'CMD ["/usr/local/bin/opsguard-entrypoint", "healthcheck"]' in args["HEALTHCHECK"][0]
    assert "COPY deploy/entrypoint.sh /usr/local/bin/opsguard-entrypoint" in [f"{o} {a}" for o, a in final]
    assert ENTRYPOINT.stat().st_mode & 0o111, "the entrypoint must be executable"
    copied = {source for o, a in steps if o == "COPY" and "--from" not in a for source in a.split()[:-1]}
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied and {"pyproject.toml", pyproject["project"]["readme"]} <= copied


UNIT = DEPLOY / "opsguard.service"


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_unit_restarts_on_failure_and_confines_the_service_to_its_data_dir():
    s = unit_settings()
    data_dir = re.search(r"--data-dir (\S+)", s["ExecStart"][0]).group(1)
    assert s["ReadWritePaths"] == [data_dir] and s["StateDirectory"] == [Path(data_dir).name]
    assert s["Restart"] == ["on-failure"] and s["User"] == ["opsguard"] and s["EnvironmentFile"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes", "ProtectHome": "yes",
                       "CapabilityBoundingSet": "", "PrivateDevices": "yes", "RestrictSUIDSGID": "yes"}.items():
        assert s[key] == [value], key


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_unit_passes_systemd_analyze_verify_and_its_security_review(tmp_path):
    """`verify` also checks that ExecStart's program exists, so the copy verified points it at a stand-in at another
    path (nothing else changes). `verify` only warns on an unknown key or a bad value: any output is a failure."""
    stand_in = tmp_path / "opsguard"
    stand_in.write_text("#!/bin/sh\n", encoding="utf-8")
    stand_in.chmod(0o755)
    unit = tmp_path / "opsguard.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/opsguard/bin/opsguard", str(stand_in)),
                    encoding="utf-8")
    verify = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and verify.stdout + verify.stderr == "", verify.stdout + verify.stderr
    review = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
                            capture_output=True, text=True, timeout=60)
    level = re.search(r"Overall exposure level for opsguard.service: ([0-9.]+)", review.stdout)
    assert level and float(level.group(1)) <= 2.0, review.stdout[-2000:]
