"""`/api/v1/ppt/images/generate` and `/api/v1/ppt/icons/search` (Presenton v1 §1.4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from slidestream.assets.fill import AssetFiller

router = APIRouter(tags=["assets"])

MAX_PROMPT_CHARS = 4000
MAX_QUERY_CHARS = 500


def _assets(request: Request) -> AssetFiller:
    filler: AssetFiller = request.app.state.runtime.assets
    return filler


@router.get("/images/generate", response_model=str)
async def generate_image(
    request: Request,
    prompt: Annotated[str, Query(max_length=MAX_PROMPT_CHARS)],
) -> str:
    """An image for `prompt` from the configured provider, stored and served under
    `/app_data/images/`; the placeholder when there is no provider or it fails."""
    return await _assets(request).image_url(prompt)


@router.get("/icons/search", response_model=list[str])
async def search_icons(
    request: Request,
    query: Annotated[str, Query(max_length=MAX_QUERY_CHARS)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[str]:
    """Icons of the bundled set for `query`, best first: `/static/icons/bold/<name>.svg`."""
    return _assets(request).icons.search(query, limit)
