"""`/api/v1/ppt/presentation/...`: create, prepare, read, list, update, delete, and the
generation controls slidestream adds (cancel, regenerate)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Response, status

from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.domain.presentations import (
    CreatePresentationRequest,
    PrepareRequest,
    PresentationModel,
    PresentationWithSlides,
    StreamTokenModel,
    UpdatePresentationRequest,
)
from slidestream.domain.views import presentation_model, presentation_with_slides

API_PREFIX = "/api/v1/ppt"
router = APIRouter(prefix="/presentation", tags=["presentation"])
ServicesDep = Annotated[Services, Depends(services)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Presentation not found"}}


@router.post("/create", response_model=PresentationModel)
async def create_presentation(
    body: CreatePresentationRequest, svc: ServicesDep, access: AccessDep
) -> PresentationModel:
    """Store a new presentation's parameters. No LLM call is made."""
    return presentation_model(await svc.presentations.create(body, access))


@router.post("/prepare", response_model=PresentationModel, responses=NOT_FOUND)
async def prepare_presentation(
    body: PrepareRequest, svc: ServicesDep, access: AccessDep
) -> PresentationModel:
    """Store the (edited) outlines and layout and choose one layout per slide.

    A structure the model gets wrong (too short, too long, out of range) is repaired;
    `layout` may be omitted to use the built-in default template group."""
    return presentation_model(await svc.presentations.prepare(body, access))


@router.get("/all", response_model=list[PresentationWithSlides])
async def list_presentations(svc: ServicesDep, access: AccessDep) -> list[PresentationWithSlides]:
    """The caller's presentations that have at least one slide (an admin key's: everyone's),
    newest first, each with its first slide."""
    pairs = await svc.repository.list_presentations_with_first_slide(access.owner_filter)
    return [presentation_with_slides(row, [slide]) for row, slide in pairs]


@router.get("/{id}", response_model=PresentationWithSlides, responses=NOT_FOUND)
async def get_presentation(
    id: uuid.UUID, svc: ServicesDep, access: AccessDep
) -> PresentationWithSlides:
    """A presentation with all its stored slides, ordered by index."""
    row = await svc.presentations.require_with_slides(id, access)
    return presentation_with_slides(row, list(row.slides))


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_presentation(id: uuid.UUID, svc: ServicesDep, access: AccessDep) -> Response:
    """Delete a presentation, its slides and its files; a running generation is stopped."""
    await svc.presentations.delete(id, access)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/update", response_model=PresentationWithSlides, responses=NOT_FOUND)
async def update_presentation(
    body: UpdatePresentationRequest, svc: ServicesDep, access: AccessDep
) -> PresentationWithSlides:
    """Change the title or slide count, or replace the slides."""
    row = await svc.presentations.update(body, access)
    return presentation_with_slides(row, list(row.slides))


@router.post(
    "/cancel/{id}",
    response_model=PresentationModel,
    responses={**NOT_FOUND, 409: {"description": "Nothing is being generated"}},
)
async def cancel_generation(
    id: uuid.UUID, svc: ServicesDep, access: AccessDep
) -> PresentationModel:
    """Stop the running outline or deck generation. Stored slides are kept; every open
    stream receives a terminal `error` frame. Closing a stream never cancels anything."""
    return presentation_model(await svc.presentations.cancel(id, access))


@router.post(
    "/regenerate/{id}",
    response_model=PresentationModel,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**NOT_FOUND, 400: {"description": "Presentation not prepared for stream"}},
)
async def regenerate_presentation(
    id: uuid.UUID, svc: ServicesDep, access: AccessDep
) -> PresentationModel:
    """Discard the stored slides and generate the deck again as a new run. Follow it with
    `GET /presentation/stream/{id}`; readers of the old run receive a `reset` frame."""
    return presentation_model(await svc.presentations.regenerate_deck(id, access))


@router.post(
    "/stream_token/{id}",
    response_model=StreamTokenModel,
    responses=NOT_FOUND,
)
async def stream_token(id: uuid.UUID, svc: ServicesDep, access: AccessDep) -> StreamTokenModel:
    """A short-lived token that opens this deck's outline and slide streams as `?token=`
    (for `EventSource`, which cannot send an `Authorization` header). It grants nothing
    else, expires after `SLIDESTREAM_STREAM_TOKEN_SECONDS` and dies with its key."""
    await svc.presentations.check_access(id, access)
    minted = svc.keys.mint(access, id)
    query = urlencode({"token": minted.token})
    return StreamTokenModel(
        token=minted.token,
        expires_at=minted.expires_at,
        expires_in=minted.expires_in,
        stream_url=f"{API_PREFIX}/presentation/stream/{id}?{query}",
        outline_stream_url=f"{API_PREFIX}/outlines/stream/{id}?{query}",
    )
