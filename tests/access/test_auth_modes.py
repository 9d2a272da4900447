"""`auth`: `auto` asks for keys beyond loopback only, `keys` always, `off` never; a server
that asks for keys and has none refuses to start."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from slidestream.app import create_app
from slidestream.settings import DeploymentError, Settings
from tests.access.support import assert_unauthorized
from tests.conftest import make_settings
from tests.support.apps import in_process
from tests.support.flows import API
from tests.support.keys import bearer, make_key
from tests.support.servers import ThreadedServer


@pytest.mark.parametrize(
    "auth,host,required",
    [
        ("auto", "127.0.0.1", False),
        ("auto", "localhost", False),
        ("auto", "::1", False),
        ("auto", "[::1]", False),
        ("auto", "127.0.0.2", False),
        ("auto", "0.0.0.0", True),
        ("auto", "::", True),
        ("auto", "192.168.1.20", True),
        ("auto", "myhost.example", True),
        ("keys", "127.0.0.1", True),
        ("off", "0.0.0.0", False),
    ],
)
def test_keys_required(auth: str, host: str, required: bool) -> None:
    assert Settings.model_validate({"auth": auth, "host": host}).keys_required is required


@pytest.mark.parametrize("overrides", [{"host": "0.0.0.0"}, {"auth": "keys"}])
async def test_an_app_that_requires_keys_refuses_to_start_without_one(
    tmp_path: Path, overrides: dict[str, object]
) -> None:
    app = create_app(make_settings(tmp_path / "data", None, **overrides))
    with pytest.raises(DeploymentError, match="slidestream keys create"):
        async with LifespanManager(app):
            pass


async def test_beyond_loopback_every_call_needs_a_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", None, host="0.0.0.0")
    key = await make_key(settings, "alice")
    async with in_process(create_app(settings)) as http:
        assert_unauthorized(await http.get(f"{API}/presentation/all"))
        assert (await http.get(f"{API}/presentation/all", headers=bearer(key))).status_code == 200
        assert (await http.get("/health")).json()["keys_required"] is True


async def test_on_loopback_auto_needs_no_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", None)
    assert settings.auth == "auto" and settings.host == "127.0.0.1"
    server = ThreadedServer(create_app(settings)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            assert (await http.get("/health")).json()["keys_required"] is False
            created = await http.post(
                f"{API}/presentation/create", json={"content": "Owls", "n_slides": 2}
            )
            assert created.status_code == 200, created.text
            assert (await http.get(f"{API}/presentation/{created.json()['id']}")).status_code == 200
    finally:
        server.stop()


async def test_off_needs_no_key_anywhere(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", None, host="0.0.0.0", auth="off")
    async with in_process(create_app(settings)) as http:
        assert (await http.get(f"{API}/presentation/all")).status_code == 200
        assert (await http.get("/health")).json()["keys_required"] is False


async def test_a_keyless_loopback_server_refuses_requests_that_reach_it_elsewhere(
    tmp_path: Path,
) -> None:
    """`auto` turned keys off from the settings' loopback host, but the server was bound
    wider behind their back (plain `uvicorn --host 0.0.0.0`): a request that arrives on a
    LAN address is refused, one on loopback is served, public paths stay public."""
    app = create_app(make_settings(tmp_path / "data", None))
    async with LifespanManager(app) as manager:
        for host, expected in (("10.1.2.3", 401), ("127.0.0.1", 200)):
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as h:
                listing = await h.get("/api/v1/ppt/presentation/all")
                assert listing.status_code == expected, listing.text
                assert (await h.get("/health")).status_code == 200
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://10.1.2.3") as h:
            refused = await h.post("/api/v1/ppt/presentation/create", json={"content": "x"})
            assert refused.status_code == 401
            assert "SLIDESTREAM_HOST" in refused.json()["detail"]
