"""`/api/v1/ppt/layouts`: the built-in template groups in Presenton's layout model."""

from __future__ import annotations

from fastapi import APIRouter

from slidestream.domain.layouts import PresentationLayoutModel
from slidestream.errors import NotFound
from slidestream.templates.registry import (
    LayoutGroupNotFound,
    LayoutGroupSummary,
    get_layout_group,
    list_layout_groups,
)

router = APIRouter(prefix="/layouts", tags=["layouts"])


@router.get("", response_model=list[LayoutGroupSummary])
async def list_layouts() -> list[LayoutGroupSummary]:
    """The built-in template groups."""
    return list_layout_groups()


@router.get("/{name}", response_model=PresentationLayoutModel, responses={404: {}})
async def get_layout(name: str) -> PresentationLayoutModel:
    """One template group, ready to send as `layout` in `/presentation/prepare`."""
    try:
        return get_layout_group(name)
    except LayoutGroupNotFound as error:
        raise NotFound(f"Layout group {name!r} not found") from error
