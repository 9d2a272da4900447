"""Images: each provider ends in a real image file served by the app; anything that goes
wrong ends in the placeholder; the filler fills whole slide contents."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from slidestream.app import create_app
from slidestream.assets.fill import AssetFiller, has_pending
from slidestream.assets.images import (
    IMAGE_PLACEHOLDER,
    ImageService,
    is_placeholder,
    sniff_image,
)
from slidestream.settings import Settings
from tests.assets.fakes import GIF, OPENAI_PNG, PNG, FakeWorldServer
from tests.conftest import make_settings
from tests.support.apps import in_process
from tests.support.servers import free_port


def asset_settings(tmp_path: Path, world: FakeWorldServer, **overrides: object) -> Settings:
    values = {**world.provider_settings(), **overrides}
    return make_settings(tmp_path / "data", None, **values)


@pytest.fixture
async def make_service() -> AsyncIterator[Any]:
    services: list[ImageService] = []

    def make(settings: Settings) -> ImageService:
        service = ImageService(settings)
        services.append(service)
        return service

    yield make
    for service in services:
        await service.aclose()


async def served(settings: Settings, url: str) -> httpx.Response:
    """GET `url` from the app built on `settings` (in-process, lifespan running)."""
    app = create_app(settings)
    async with in_process(app) as http:
        return await http.get(url)


def stored_file(settings: Settings, url: str) -> Path:
    assert url.startswith("/app_data/images/"), url
    path = settings.images_dir / url.rsplit("/", 1)[-1]
    assert path.is_file()
    return path


@pytest.mark.parametrize(
    ("provider", "expected", "extension", "path_prefix"),
    [
        ("pexels", PNG, "png", "/pexels/v1/search"),
        ("pixabay", GIF, "gif", "/pixabay/api/"),
        ("openai", OPENAI_PNG, "png", "/openai/v1/images/generations"),
        ("gpt-image-1", OPENAI_PNG, "png", "/openai/v1/images/generations"),
    ],
    ids=["pexels", "pixabay", "openai", "gpt-image-1"],
)
async def test_each_provider_stores_a_real_image_the_app_serves(
    tmp_path: Path,
    world: FakeWorldServer,
    make_service: Any,
    provider: str,
    expected: bytes,
    extension: str,
    path_prefix: str,
) -> None:
    settings = asset_settings(tmp_path, world, image_provider=provider)
    service = make_service(settings)
    url = await service.generate("Solar panels on a red roof at sunset")

    path = stored_file(settings, url)
    assert path.suffix == f".{extension}"
    assert path.read_bytes() == expected
    assert len(world.world.calls(path_prefix)) == 1

    response = await served(settings, url)
    assert response.status_code == 200
    assert response.content == expected
    assert response.headers["content-type"].startswith(f"image/{extension}")


async def test_provider_requests_look_like_the_real_apis(
    tmp_path: Path, world: FakeWorldServer, make_service: Any
) -> None:
    prompt = "A team of engineers " + "reviewing plans " * 20
    for provider in ("pexels", "pixabay", "dall-e-3", "gpt-image-1"):
        service = make_service(asset_settings(tmp_path, world, image_provider=provider))
        assert not is_placeholder(await service.generate(prompt))

    pexels = world.world.calls("/pexels/")[0]
    assert pexels["headers"]["authorization"] == "pexels-key"
    assert len(pexels["query"]["query"]) <= 100
    assert pexels["query"]["query"].startswith("A team of engineers reviewing")
    pixabay = world.world.calls("/pixabay/")[0]
    assert pixabay["query"]["key"] == "pixabay-key"
    assert pixabay["query"]["image_type"] == "photo"
    dalle, gpt_image = (json.loads(call["body"]) for call in world.world.calls("/openai/"))
    assert dalle["model"] == "dall-e-3"
    assert dalle["response_format"] == "b64_json"
    assert gpt_image["model"] == "gpt-image-1"
    assert "response_format" not in gpt_image
    assert world.world.calls("/openai/")[0]["headers"]["authorization"] == "Bearer openai-key"


async def test_same_prompt_is_fetched_once(
    tmp_path: Path, world: FakeWorldServer, make_service: Any
) -> None:
    settings = asset_settings(tmp_path, world, image_provider="pexels")
    service = make_service(settings)
    urls = await asyncio.gather(*(service.generate("City skyline at night") for _ in range(5)))
    again = await service.generate("  city skyline AT night ")
    assert len(set(urls)) == 1
    assert again == urls[0]
    assert len(world.world.calls("/pexels/")) == 1
    assert len(world.world.calls("/img/")) == 1
    other = await service.generate("Mountain lake")
    assert other != urls[0]
    assert len(world.world.calls("/pexels/")) == 2


async def test_provider_down_gives_the_placeholder(
    tmp_path: Path, world: FakeWorldServer, make_service: Any
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    for overrides in (
        {"image_provider": "pexels", "pexels_url": f"{closed}/v1"},
        {"image_provider": "pixabay", "pixabay_url": f"{closed}/api/"},
        {"image_provider": "dall-e-3", "openai_images_url": f"{closed}/v1"},
    ):
        service = make_service(asset_settings(tmp_path, world, **overrides))
        assert await service.generate("Anything at all") == IMAGE_PLACEHOLDER
    assert not (tmp_path / "data" / "images").exists() or not any(
        (tmp_path / "data" / "images").iterdir()
    )


@pytest.mark.parametrize("provider", ["pexels", "pixabay", "dall-e-3"])
async def test_provider_errors_give_the_placeholder_and_are_not_cached(
    tmp_path: Path,
    world: FakeWorldServer,
    make_service: Any,
    provider: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = asset_settings(tmp_path, world, image_provider=provider)
    service = make_service(settings)
    world.world.fail_providers = True
    with caplog.at_level(logging.WARNING):
        assert await service.generate("Wind turbines") == IMAGE_PLACEHOLDER
    assert "image.failed" in caplog.text
    assert "-key" not in caplog.text  # no API key in the logs (Pixabay's is in its URL)
    world.world.fail_providers = False
    url = await service.generate("Wind turbines")
    assert sniff_image(stored_file(settings, url).read_bytes()) in ("png", "gif")


@pytest.mark.parametrize(
    ("overrides", "image_path"),
    [
        ({"pexels_api_key": "wrong"}, "/img/a.png"),  # 401 from the API
        ({"pexels_url": "{url}/empty/v1"}, "/img/a.png"),  # no results
        ({}, "/html"),  # the hit is a web page
        ({}, "/html-as-png"),  # says image/png, is HTML: sniffed out
        ({}, "/big?size=300000"),  # over the size cap
        ({}, "/nothing-here"),  # 404
        ({"fetch_allow_hosts": []}, "/img/a.png"),  # loopback hit, not allowed
    ],
)
async def test_unusable_answers_give_the_placeholder(
    tmp_path: Path,
    world: FakeWorldServer,
    make_service: Any,
    overrides: dict[str, Any],
    image_path: str,
) -> None:
    values = {key: str(value).format(url=world.url) for key, value in overrides.items()}
    if "fetch_allow_hosts" in overrides:
        values["fetch_allow_hosts"] = overrides["fetch_allow_hosts"]
    world.world.pexels_image_path = image_path
    settings = asset_settings(
        tmp_path, world, image_provider="pexels", image_fetch_max_bytes=100_000, **values
    )
    service = make_service(settings)
    assert await service.generate("Forest trail") == IMAGE_PLACEHOLDER
    images_dir = settings.images_dir
    assert not images_dir.exists() or not any(images_dir.iterdir())


async def test_no_provider_gives_the_placeholder(
    tmp_path: Path, world: FakeWorldServer, make_service: Any
) -> None:
    for overrides in (
        {"image_provider": "none"},
        {"image_provider": ""},
        {"image_provider": "gemini_flash"},  # Presenton's, not supported here
        {"image_provider": "pexels", "pexels_api_key": None},
        {"image_provider": "pixabay", "pixabay_api_key": ""},
    ):
        service = make_service(asset_settings(tmp_path, world, **overrides))
        assert not service.enabled
        assert await service.generate("Ocean waves") == IMAGE_PLACEHOLDER
    assert await make_service(asset_settings(tmp_path, world, image_provider="pexels")).generate(
        "   "
    ) == (IMAGE_PLACEHOLDER)
    assert world.world.requests == []


def test_sniff_image() -> None:
    assert sniff_image(PNG) == "png"
    assert sniff_image(GIF) == "gif"
    assert sniff_image(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") == "jpg"
    assert sniff_image(b"RIFF\x24\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    assert sniff_image(b"<!doctype html>") is None
    assert sniff_image(b"") is None


SLIDE: dict[str, Any] = {
    "title": "Our growth",
    "image": {"__image_prompt__": "Rocket launching at dawn", "__image_url__": IMAGE_PLACEHOLDER},
    "items": [
        {
            "heading": "Revenue",
            "icon": {"__icon_query__": "money", "__icon_url__": "/static/icons/placeholder.svg"},
        },
        {"heading": "Team", "icon": {"__icon_query__": "team"}},
        {
            "heading": "Photo",
            "media": {"deep": [{"__image_prompt__": "Rocket launching at dawn"}]},
        },
        {"heading": "Kept", "image": {"__image_prompt__": "x", "__image_url__": "/keep/me.png"}},
        {"heading": "No prompt", "image": {"__image_prompt__": "", "__image_url__": ""}},
    ],
    "__speaker_note__": "Talk about growth.",
}


async def test_filler_fills_every_image_and_icon(
    tmp_path: Path, world: FakeWorldServer, make_service: Any
) -> None:
    settings = asset_settings(tmp_path, world, image_provider="pexels")
    filler = AssetFiller(make_service(settings))
    original = copy.deepcopy(SLIDE)
    assert has_pending(SLIDE)
    assert AssetFiller.has_pending(SLIDE)

    filled = await filler.fill(SLIDE)

    assert original == SLIDE  # input untouched
    url = filled["image"]["__image_url__"]
    assert stored_file(settings, url).read_bytes() == PNG
    assert filled["items"][2]["media"]["deep"][0]["__image_url__"] == url
    assert filled["items"][3]["image"]["__image_url__"] == "/keep/me.png"
    assert filled["items"][4]["image"]["__image_url__"] == IMAGE_PLACEHOLDER
    assert filled["items"][0]["icon"]["__icon_url__"].startswith("/static/icons/bold/")
    assert filled["items"][1]["icon"]["__icon_url__"] == "/static/icons/bold/users-three.svg"
    assert filled["__speaker_note__"] == SLIDE["__speaker_note__"]
    assert not has_pending(filled)
    assert len(world.world.calls("/pexels/")) == 1  # one prompt, fetched once

    icons_only = filler.fill_icons(SLIDE)
    assert icons_only["items"][1]["icon"]["__icon_url__"].endswith("users-three.svg")
    assert icons_only["image"]["__image_url__"] == IMAGE_PLACEHOLDER
    assert has_pending(icons_only)


async def test_filler_without_provider_leaves_images_pending(
    tmp_path: Path, world: FakeWorldServer, make_service: Any
) -> None:
    filler = AssetFiller(make_service(asset_settings(tmp_path, world, image_provider="none")))
    filled = await filler.fill(SLIDE)
    assert filled["image"]["__image_url__"] == IMAGE_PLACEHOLDER
    assert filled["items"][2]["media"]["deep"][0]["__image_url__"] == IMAGE_PLACEHOLDER
    assert filled["items"][1]["icon"]["__icon_url__"].startswith("/static/icons/bold/")
    assert has_pending(filled)
    assert not has_pending({"title": "plain", "list": [1, "two", None]})
