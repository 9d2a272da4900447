"""A throwaway PostgreSQL server for tests: initdb + pg_ctl on a loopback port.

PostgreSQL refuses to run as root, so when the tests run as root (CI does) the server
runs as the `postgres` system user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.servers import free_port


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(
            f"{name} not found: install PostgreSQL server binaries (apt-get install postgresql)"
        )
    return candidates[-1]


class PostgresServer:
    def __init__(self, **server_settings: str) -> None:
        """`server_settings`: extra `-c name=value` settings (e.g. max_connections)."""
        self.server_settings = server_settings
        # Not under pytest's tmp_path: that is private to root, and the server may run
        # as the `postgres` user.
        self.base = Path(tempfile.mkdtemp(prefix="slidestream-pg-"))
        self.data = self.base / "pgdata"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def start(self) -> PostgresServer:
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "slidestream")
        self._pg_ctl_start()
        self._run(
            _bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "slidestream", "app"
        )
        return self

    @property
    def url(self) -> str:
        return f"postgresql://slidestream@127.0.0.1:{self.port}/app"

    def _pg_ctl_start(self) -> None:
        self._run(
            _bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.base / "postgres.log"),
            "-o",
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
            + "".join(f" -c {name}={value}" for name, value in self.server_settings.items()),
            "-w",
            "start",
        )

    def shut_down(self) -> None:
        """Stop the server, dropping every connection; `start_again` brings it back."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def start_again(self) -> None:
        self._pg_ctl_start()

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
