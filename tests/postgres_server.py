"""A real PostgreSQL server for the tests: Debian's package, a throwaway cluster in a temporary directory,
run as a non-root user and reachable only on a unix socket there; stopped when the session ends."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

__all__ = ["PostgresServer"]

INSTALL_HINT = "install Debian's postgresql package (scripts/test.sh does: apt-get install postgresql)"


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                      None)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not on this machine: {INSTALL_HINT}")
    return found


class PostgresServer:
    """One cluster; `database()` makes a fresh database and returns its URL."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="opsguard-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self._user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, self._user)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)

    def start(self) -> PostgresServer:
        self._run(_binary("initdb"), "-D", str(self.data), "--auth=trust", "--encoding=UTF8", "--no-sync",
                  "-U", "postgres")
        options = f"-c listen_addresses='' -c unix_socket_directories={self.socket_dir} -c fsync=on " \
                  "-c max_connections=200"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"),
                  "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
