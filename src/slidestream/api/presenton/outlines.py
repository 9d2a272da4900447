"""`GET/PUT /api/v1/ppt/outlines/{id}`: read and replace a presentation's outline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.domain.presentations import OutlineModel, PresentationModel
from slidestream.domain.views import presentation_model

router = APIRouter(prefix="/outlines", tags=["outlines"])
ServicesDep = Annotated[Services, Depends(services)]


@router.get("/{id}", response_model=OutlineModel, responses={404: {}})
async def get_outline(id: uuid.UUID, svc: ServicesDep, access: AccessDep) -> OutlineModel:
    """The stored outline (an empty list before one is generated)."""
    row = await svc.presentations.require(id, access)
    return OutlineModel.model_validate(row.outlines or {"slides": []})


@router.put("/{id}", response_model=PresentationModel, responses={404: {}, 409: {}})
async def put_outline(
    id: uuid.UUID, body: OutlineModel, svc: ServicesDep, access: AccessDep
) -> PresentationModel:
    """Replace the outline; `n_slides` becomes its length and the title is recomputed."""
    return presentation_model(await svc.presentations.update_outline(id, body, access))
