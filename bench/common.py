"""Shared pieces of the benchmarks: start the simulated LLM and a server as subprocesses."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

API = "/api/v1/ppt"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


@dataclass
class Started:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def _slidestream(command: list[str], ready_path: str, env: dict[str, str]) -> Iterator[Started]:
    """Run `slidestream COMMAND --port P` until the block ends; wait for `ready_path`."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "slidestream", *command, "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=raise_fd_limit,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{url}{ready_path}", process)
        yield Started(url, process)
    finally:
        process.terminate()
        process.wait()


@contextmanager
def fake_llm(latency: float, tokens_per_second: float = 0.0) -> Iterator[Started]:
    command = ["fake-llm", "--latency", str(latency), "--tokens-per-second", str(tokens_per_second)]
    with _slidestream(command, "/v1/models", {}) as started:
        yield started


@contextmanager
def server(llm_url: str, **env: str) -> Iterator[Started]:
    with tempfile.TemporaryDirectory(prefix="slidestream-bench-") as data:
        environment = {
            "APP_DATA_DIRECTORY": data,
            "LLM": "custom",
            "CUSTOM_LLM_URL": f"{llm_url}/v1",
            "CUSTOM_MODEL": "slidestream-fake",
            "SLIDESTREAM_LOG_LEVEL": "warning",
            **env,
        }
        with _slidestream(["serve"], "/health", environment) as started:
            yield started


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def markdown_table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
