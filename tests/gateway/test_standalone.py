"""`slidestream gateway` as a real process, configured from the environment: API keys,
the upstream key, CORS, the body limit, and ownership that survives a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from slidestream.app import create_app
from tests.conftest import make_settings
from tests.gateway.conftest import RunningUpstream
from tests.gateway.support import GatewayProcess, RequestLog, deck_stream, prepared
from tests.support.fake_llm import FakeLLMHandle
from tests.support.servers import ThreadedServer
from tests.support.sse import read_all

ORIGIN = "https://app.example"
KEYS = {"alice": "key-alice-0123", "bob": "key-bob-4567=="}


@pytest.fixture(scope="module")
def upstream(
    tmp_path_factory: pytest.TempPathFactory, fake_llm_server: FakeLLMHandle
) -> Iterator[RunningUpstream]:
    """One slidestream upstream for the module (gateway processes are slow to start)."""
    fake_llm_server.reset()  # no faults left over from other modules' tests
    settings = make_settings(tmp_path_factory.mktemp("upstream"), fake_llm_server.api_url)
    log = RequestLog(create_app(settings))
    server = ThreadedServer(log).start()
    try:
        yield RunningUpstream(server, log)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def start_process(
    tmp_path_factory: pytest.TempPathFactory, upstream: RunningUpstream
) -> Iterator[Callable[[], GatewayProcess]]:
    directory = tmp_path_factory.mktemp("gateway")
    env = {
        "SLIDESTREAM_GATEWAY_API_KEYS": ",".join(f"{c}={k}" for c, k in KEYS.items()),
        "SLIDESTREAM_GATEWAY_UPSTREAM_API_KEY": "upstream-secret",
        "SLIDESTREAM_GATEWAY_CORS_ORIGINS": f"{ORIGIN}, https://admin.example",
        "SLIDESTREAM_GATEWAY_MAX_BODY_BYTES": "4096",
        "SLIDESTREAM_GATEWAY_QUERY_API_KEYS": "true",
        "SLIDESTREAM_GATEWAY_DATA_DIR": str(directory / "data"),
        "SLIDESTREAM_GATEWAY_LOG_LEVEL": "warning",
    }
    started: list[GatewayProcess] = []

    def start() -> GatewayProcess:
        process = GatewayProcess(upstream.url, env, directory / "gateway.log").start()
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.stop()


@pytest.fixture(scope="module")
def gateway(start_process: Callable[[], GatewayProcess]) -> GatewayProcess:
    return start_process()


def _as(caller: str, url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {KEYS[caller]}"}, timeout=30
    )


async def test_api_keys_guard_every_call_and_the_upstream_key_goes_upstream(
    gateway: GatewayProcess, upstream: RunningUpstream
) -> None:
    seen = len(upstream.log.api_requests())
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as anonymous:
        missing = await anonymous.post("/presentations/create", json={"content": "x"})
        wrong = await anonymous.post(
            "/presentations/create",
            json={"content": "x"},
            headers={"Authorization": "Bearer key-alice-0124"},
        )
    for answer in (missing, wrong):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert len(upstream.log.api_requests()) == seen

    async with _as("alice", gateway.url) as alice:
        pid = await prepared(alice, n=3)
        frames = await read_all(alice, deck_stream(pid))
    assert frames[-1].type == "complete"
    sent = upstream.log.api_requests()[seen:]
    assert {r.headers.get("authorization") for r in sent} == {"Bearer upstream-secret"}
    # EventSource cannot send headers: the key may come as a query parameter (enabled
    # here), and as X-API-Key from other clients.
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as browser:
        by_query = await read_all(browser, f"{deck_stream(pid)}?api_key={KEYS['alice']}")
        by_header = await browser.get(f"/presentations/{pid}", headers={"X-API-Key": KEYS["alice"]})
    assert by_query[-1].type == "complete"
    assert by_header.status_code == 200


async def test_cors_is_open_to_configured_origins_only(gateway: GatewayProcess) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as browser:
        allowed = await browser.options(
            "/presentations/create", headers={"Origin": ORIGIN, **preflight}
        )
        refused = await browser.options(
            "/presentations/create", headers={"Origin": "https://evil.example", **preflight}
        )
        unauthenticated = await browser.get(
            "/presentations/status/task-1", headers={"Origin": ORIGIN}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["access-control-allow-origin"] == ORIGIN


async def test_bodies_over_the_limit_are_413_without_an_upstream_call(
    gateway: GatewayProcess, upstream: RunningUpstream
) -> None:
    seen = len(upstream.log.api_requests())
    async with _as("alice", gateway.url) as alice:
        answer = await alice.post(
            "/presentations/create", json={"content": "x" * 5000, "n_slides": 2}
        )
    assert answer.status_code == 413
    assert answer.json() == {"detail": "Request body is larger than 4096 bytes"}
    assert len(upstream.log.api_requests()) == seen


async def test_ownership_survives_a_restart(
    start_process: Callable[[], GatewayProcess],
) -> None:
    first = start_process()
    async with _as("alice", first.url) as alice:
        pid = await prepared(alice, n=2)
    first.stop()
    second = start_process()
    async with _as("alice", second.url) as alice, _as("bob", second.url) as bob:
        assert (await alice.get(f"/presentations/{pid}")).status_code == 200
        assert (await bob.get(f"/presentations/{pid}")).status_code == 404


def test_without_api_keys_the_gateway_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIDESTREAM_GATEWAY_")}
    result = subprocess.run(
        [sys.executable, "-m", "slidestream", "gateway", "--upstream", "http://127.0.0.1:9"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SLIDESTREAM_GATEWAY_API_KEYS" in result.stderr


def test_the_gateway_process_runs_light_on_uvloop_and_httptools(gateway: GatewayProcess) -> None:
    # `slidestream gateway` replaced itself with the gateway's own entry point, which runs
    # uvicorn as production does (uvicorn[standard]: uvloop, httptools).
    assert gateway.process is not None
    proc = Path(f"/proc/{gateway.process.pid}")
    if not proc.exists():
        pytest.skip("needs /proc")
    assert proc.joinpath("cmdline").read_bytes().split(b"\0")[1:3] == [
        b"-m",
        b"slidestream.gateway",
    ]
    libraries = proc.joinpath("maps").read_text()
    assert "uvloop" in libraries and "httptools" in libraries


def test_the_gateway_app_loads_no_rendering_templates_or_migrations() -> None:
    script = (
        "import sys; from slidestream.gateway.serve import main; "
        "from slidestream.gateway import create_gateway_app, GatewaySettings; "
        "create_gateway_app(GatewaySettings(data_dir='.')); "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = result.stdout.split()
    heavy = (
        "slidestream.render",
        "slidestream.templates",
        "slidestream.generation",
        "slidestream.storage",
        "slidestream.app",
        "alembic",
        "pptx",
        "fpdf",
    )
    assert [m for m in loaded if m.startswith(heavy)] == []
