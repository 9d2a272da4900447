"""Images in a generated deck: slides stream with placeholders without waiting for image
downloads; the final URLs are stored, served by the app, and in the `complete` frame."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from slidestream.app import create_app
from slidestream.templates.registry import get_layout_group
from tests.assets.fakes import FakeWorldServer
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import create, deck_url, get_presentation, marked_outlines, prepare
from tests.support.servers import ThreadedServer
from tests.support.sse import Frame, open_stream, slide_frames

PLACEHOLDER = "/static/images/placeholder.svg"


@pytest.fixture
def server(
    tmp_path: Path, fake_llm: FakeLLMHandle, world: FakeWorldServer
) -> Iterator[ThreadedServer]:
    settings = make_settings(
        tmp_path / "data", fake_llm.api_url, image_provider="pexels", **world.provider_settings()
    )
    running = ThreadedServer(create_app(settings)).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def http(server: ThreadedServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


def image_layout() -> dict[str, Any]:
    group = get_layout_group("general")
    slides = [s for s in group.slides if s.id == "general:bullets-with-image"]
    return {"name": group.name, "ordered": False, "slides": [s.model_dump() for s in slides]}


async def test_slides_stream_before_their_images_and_complete_carries_the_final_urls(
    http: httpx.AsyncClient, world: FakeWorldServer
) -> None:
    pid = str((await create(http, n_slides=3))["id"])
    await prepare(http, pid, marked_outlines(3), layout=image_layout())
    world.world.images_released.clear()  # every image download now hangs
    frames: list[Frame] = []
    async with open_stream(http, deck_url(pid)) as stream:
        async for frame in stream:
            frames.append(frame)
            if len(slide_frames(frames)) == 3:
                break
        # All three slides arrived while no image could be downloaded.
        assert [s["content"]["image"]["__image_url__"] for s in slide_frames(frames)] == [
            PLACEHOLDER
        ] * 3
        world.world.images_released.set()
        async for frame in stream:
            frames.append(frame)
    assert frames[-1].type == "complete"
    final = frames[-1].data["presentation"]["slides"]
    urls = [s["content"]["image"]["__image_url__"] for s in final]
    assert all(url.startswith("/app_data/images/") for url in urls), urls
    image = await http.get(urls[0])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    stored = await get_presentation(http, pid)
    assert [s["content"]["image"]["__image_url__"] for s in stored["slides"]] == urls
    assert world.world.calls("/pexels/v1/search")


async def test_an_image_provider_outage_leaves_placeholders_and_the_deck_completes(
    http: httpx.AsyncClient, world: FakeWorldServer
) -> None:
    world.world.fail_providers = True
    pid = str((await create(http, n_slides=2))["id"])
    await prepare(http, pid, marked_outlines(2), layout=image_layout())
    async with open_stream(http, deck_url(pid)) as stream:
        frames = [frame async for frame in stream]
    assert frames[-1].type == "complete"
    final = frames[-1].data["presentation"]["slides"]
    assert [s["content"]["image"]["__image_url__"] for s in final] == [PLACEHOLDER] * 2


async def test_icons_come_from_the_bundled_set_and_are_served(
    http: httpx.AsyncClient,
) -> None:
    group = get_layout_group("general")
    cards = [s.model_dump() for s in group.slides if s.id == "general:icon-cards"]
    pid = str((await create(http, n_slides=2))["id"])
    await prepare(
        http, pid, marked_outlines(2), layout={"name": "general", "ordered": False, "slides": cards}
    )
    async with open_stream(http, deck_url(pid)) as stream:
        frames = [frame async for frame in stream]
    assert frames[-1].type == "complete"
    urls = [
        card["icon"]["__icon_url__"]
        for slide in frames[-1].data["presentation"]["slides"]
        for card in slide["content"]["cards"]
    ]
    assert urls and all(u.startswith("/static/icons/bold/") for u in urls), urls
    icon = await http.get(urls[0])
    assert icon.status_code == 200
    assert b"<svg" in icon.content
