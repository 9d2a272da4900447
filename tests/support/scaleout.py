"""The distributed deployment as real processes: API nodes and workers on one
PostgreSQL server, all on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg

from tests.support.postgres import PostgresServer
from tests.support.servers import ServerProcess, stop_process


def new_database(server: PostgresServer) -> str:
    """A fresh, empty database on `server`; its URL."""
    name = "t" + uuid.uuid4().hex[:16]
    with psycopg.connect(server.url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.url.rsplit("/", 1)[0] + "/" + name


def scaleout_env(data_dir: Path, database_url: str, llm_url: str) -> dict[str, str]:
    return {
        "APP_DATA_DIRECTORY": str(data_dir),
        "DATABASE_URL": database_url,
        "SLIDESTREAM_JOBS": "distributed",
        "SLIDESTREAM_WORKER_HEARTBEAT_SECONDS": "0.5",
        "SLIDESTREAM_WORKER_STALLED_SECONDS": "3",
        "LLM": "custom",
        "CUSTOM_LLM_URL": llm_url,
        "CUSTOM_MODEL": "slidestream-fake",
        "SLIDESTREAM_SLIDE_CONCURRENCY": "2",
        "SLIDESTREAM_LLM_BACKOFF_INITIAL": "0.01",
        "SLIDESTREAM_LOG_LEVEL": "info",
    }


class WorkerProcess:
    """`slidestream worker` as a subprocess; ready once it has registered with the queue."""

    def __init__(self, env: dict[str, str], log_path: Path, name: str) -> None:
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "slidestream", "worker", "--name", self.name],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"worker {self.name} exited with {self.process.returncode}")

    def ran(self, job_id: str) -> bool:
        """Whether this worker started running `job_id` (from its log)."""
        return f"job.run job_id={job_id}" in log_text(self.log_path)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        stop_process(self.process, 30)


def registered_workers(database_url: str) -> int:
    """Workers currently registered (alive, heartbeating) with the job queue."""
    with psycopg.connect(database_url) as connection:
        try:
            row = connection.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def log_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


__all__ = [
    "ServerProcess",
    "WorkerProcess",
    "log_text",
    "new_database",
    "registered_workers",
    "scaleout_env",
]
