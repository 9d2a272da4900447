"""`GET /api/v1/ppt/images/generate` and `GET /api/v1/ppt/icons/search`, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from slidestream.app import create_app
from tests.assets.fakes import PNG, FakeWorldServer
from tests.conftest import make_settings
from tests.support.apps import in_process

API = "/api/v1/ppt"


@pytest.fixture(scope="module")
def world_server() -> Iterator[FakeWorldServer]:
    server = FakeWorldServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(world_server: FakeWorldServer) -> FakeWorldServer:
    world_server.reset()
    return world_server


@pytest.fixture
async def pexels_client(tmp_path: Path, world: FakeWorldServer) -> AsyncIterator[httpx.AsyncClient]:
    """The app with Pexels (fake, on loopback) as its image provider."""
    settings = make_settings(
        tmp_path / "data", None, image_provider="pexels", **world.provider_settings()
    )
    app = create_app(settings)
    async with in_process(app) as http:
        yield http


async def test_icon_search(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/icons/search", params={"query": "money", "limit": 3})
    assert response.status_code == 200
    urls = response.json()
    assert len(urls) == 3
    assert all(url.startswith("/static/icons/bold/") and url.endswith(".svg") for url in urls)
    assert urls[0] == "/static/icons/bold/money.svg"
    for url in urls:
        icon = await client.get(url)
        assert icon.status_code == 200
        assert icon.headers["content-type"].startswith("image/svg+xml")
        assert icon.text.startswith("<svg")

    default = await client.get(f"{API}/icons/search", params={"query": "team"})
    assert default.status_code == 200
    assert 1 <= len(default.json()) <= 20
    assert default.json()[0] == "/static/icons/bold/users-three.svg"

    nothing = await client.get(f"{API}/icons/search", params={"query": "zzqqxx"})
    assert nothing.json() == ["/static/icons/bold/sparkle.svg"]


@pytest.mark.parametrize(
    "params",
    [
        {"query": "money", "limit": 0},
        {"query": "money", "limit": 101},
        {"query": "money", "limit": "many"},
        {"limit": 5},
        {"query": "x" * 501},
    ],
)
async def test_icon_search_rejects_bad_parameters(
    client: httpx.AsyncClient, params: dict[str, object]
) -> None:
    response = await client.get(f"{API}/icons/search", params=params)
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()


async def test_image_generate_without_provider_is_the_placeholder(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"{API}/images/generate", params={"prompt": "A red bicycle"})
    assert response.status_code == 200
    assert response.json() == "/static/images/placeholder.svg"
    placeholder = await client.get(response.json())
    assert placeholder.status_code == 200

    missing = await client.get(f"{API}/images/generate")
    assert missing.status_code == 422
    assert "detail" in missing.json()


async def test_image_generate_with_a_provider(
    pexels_client: httpx.AsyncClient, world: FakeWorldServer
) -> None:
    response = await pexels_client.get(f"{API}/images/generate", params={"prompt": "Red bicycle"})
    assert response.status_code == 200
    url = response.json()
    assert url.startswith("/app_data/images/") and url.endswith(".png")
    image = await pexels_client.get(url)
    assert image.status_code == 200
    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"

    again = await pexels_client.get(f"{API}/images/generate", params={"prompt": "Red bicycle"})
    assert again.json() == url
    assert len(world.world.calls("/pexels/")) == 1

    missing = await pexels_client.get("/app_data/images/nope.png")
    assert missing.status_code == 404
    escape = await pexels_client.get("/app_data/images/..%2F..%2Fslidestream.db")
    assert escape.status_code == 404


async def test_image_generate_provider_down(
    pexels_client: httpx.AsyncClient, world: FakeWorldServer
) -> None:
    world.world.fail_providers = True
    response = await pexels_client.get(f"{API}/images/generate", params={"prompt": "Boat"})
    assert response.status_code == 200
    assert response.json() == "/static/images/placeholder.svg"
