"""Fill a slide's assets: every image object (`__image_prompt__`) gets a real
`__image_url__` and every icon object (`__icon_query__`) an `__icon_url__`, at any depth.

Pure: takes a content dict, answers a new one (the input is not changed), no database.
Icons are found instantly from the bundled index; images are fetched concurrently (the
image service bounds how many at once, process-wide) and never raise: a failed image
keeps the placeholder, which `has_pending` reports so a caller can try again later.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from slidestream.assets.icons import ICON_PLACEHOLDER, IconIndex, default_icon_index
from slidestream.assets.images import IMAGE_PLACEHOLDER, ImageService, is_placeholder
from slidestream.settings import Settings

IMAGE_PROMPT = "__image_prompt__"
IMAGE_URL = "__image_url__"
ICON_QUERY = "__icon_query__"
ICON_URL = "__icon_url__"
_MAX_DEPTH = 64


def _prompt_of(node: dict[str, Any]) -> str:
    prompt = node.get(IMAGE_PROMPT)
    return prompt.strip() if isinstance(prompt, str) else ""


def _needs_image(node: dict[str, Any]) -> bool:
    return IMAGE_PROMPT in node and is_placeholder(node.get(IMAGE_URL))


def _needs_icon(node: dict[str, Any]) -> bool:
    url = node.get(ICON_URL)
    return ICON_QUERY in node and (
        not isinstance(url, str) or not url.strip() or url == ICON_PLACEHOLDER
    )


def _image_nodes(node: Any, depth: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if depth > _MAX_DEPTH:
        return found
    if isinstance(node, dict):
        if IMAGE_PROMPT in node:
            found.append(node)
        for value in node.values():
            found.extend(_image_nodes(value, depth + 1))
    elif isinstance(node, list):
        for item in node:
            found.extend(_image_nodes(item, depth + 1))
    return found


def has_pending(content: Any) -> bool:
    """True when an image object has a prompt but still no real URL (placeholder)."""
    return any(_prompt_of(node) and _needs_image(node) for node in _image_nodes(content))


class AssetFiller:
    """Fills image and icon URLs in slide content."""

    def __init__(self, images: ImageService, icons: IconIndex | None = None) -> None:
        self.images = images
        self._icons = icons

    @classmethod
    def from_settings(cls, settings: Settings) -> AssetFiller:
        return cls(ImageService(settings))

    @property
    def icons(self) -> IconIndex:
        """The icon index (the bundled set, loaded on first use)."""
        if self._icons is None:
            self._icons = default_icon_index()
        return self._icons

    @property
    def images_enabled(self) -> bool:
        """False when no image provider is configured: images stay on the placeholder."""
        return self.images.enabled

    async def aclose(self) -> None:
        await self.images.aclose()

    @staticmethod
    def has_pending(content: Any) -> bool:
        """True when an image object has a prompt but still no real URL (placeholder)."""
        return has_pending(content)

    async def image_url(self, prompt: str) -> str:
        """The served URL of an image for `prompt`, or the placeholder. Never raises."""
        return await self.images.generate(prompt)

    def icon_url(self, query: str) -> str:
        """The best icon URL for `query` (a generic icon when nothing matches)."""
        return self.icons.find(query if isinstance(query, str) else "")

    def fill_icons(self, content: dict[str, Any]) -> dict[str, Any]:
        """A copy of `content` with every icon URL filled (images untouched). Instant."""
        filled: dict[str, Any] = self._rebuild(content, {}, fill_images=False)
        return filled

    async def fill(self, content: dict[str, Any]) -> dict[str, Any]:
        """A copy of `content` with every icon and image URL filled.

        An image that already has a real URL is kept; one whose prompt is empty, or whose
        fetch fails, gets the placeholder. Each distinct prompt is fetched once.
        """
        prompts = sorted(
            {_prompt_of(node) for node in _image_nodes(content) if _needs_image(node)} - {""}
        )
        urls = await asyncio.gather(*(self.images.generate(prompt) for prompt in prompts))
        filled: dict[str, Any] = self._rebuild(
            content, dict(zip(prompts, urls, strict=True)), fill_images=True
        )
        return filled

    def _rebuild(
        self, node: Any, image_urls: dict[str, str], *, fill_images: bool, depth: int = 0
    ) -> Any:
        if depth > _MAX_DEPTH:
            return copy.deepcopy(node)
        if isinstance(node, list):
            return [
                self._rebuild(item, image_urls, fill_images=fill_images, depth=depth + 1)
                for item in node
            ]
        if not isinstance(node, dict):
            return node
        result = {
            key: self._rebuild(value, image_urls, fill_images=fill_images, depth=depth + 1)
            for key, value in node.items()
        }
        if fill_images and _needs_image(result):
            result[IMAGE_URL] = image_urls.get(_prompt_of(result), IMAGE_PLACEHOLDER)
        if _needs_icon(result):
            query = result.get(ICON_QUERY)
            result[ICON_URL] = self.icon_url(query if isinstance(query, str) else "")
        return result
