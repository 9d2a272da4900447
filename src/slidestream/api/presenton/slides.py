"""`POST /api/v1/ppt/slide/regenerate`: generate one slide's content again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.domain.presentations import SlideModel, SlideRegenerateRequest
from slidestream.domain.views import slide_model

router = APIRouter(prefix="/slide", tags=["slide"])
ServicesDep = Annotated[Services, Depends(services)]


@router.post(
    "/regenerate",
    response_model=SlideModel,
    responses={404: {}, 409: {"description": "The deck is being generated"}, 502: {}},
)
async def regenerate_slide(
    body: SlideRegenerateRequest, svc: ServicesDep, access: AccessDep
) -> SlideModel:
    """Write one slide again with the same layout (optionally steered by `prompt`).
    The slide keeps its id and index; the work finishes even if this request is dropped."""
    return slide_model(await svc.presentations.regenerate_slide(body.id, body.prompt, access))
