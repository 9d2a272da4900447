"""`/api/v1/ppt/presentation/generate`, `/generate/async` and `/status/{id}`: one-shot
generation for callers that do not stream. The deck of either can still be streamed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.domain.tasks import (
    GeneratePresentationRequest,
    PresentationPathAndEditPath,
    TaskModel,
)

router = APIRouter(prefix="/presentation", tags=["generate"])
ServicesDep = Annotated[Services, Depends(services)]
BAD_INPUT: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Nothing to generate, slide count out of range, unknown template, "
        "or a file path the server did not issue"
    },
}
WAIT_ERRORS: dict[int | str, dict[str, Any]] = {
    **BAD_INPUT,
    502: {"description": "The generation failed; `detail` says why"},
    504: {"description": "Still generating after SLIDESTREAM_GENERATE_WAIT_SECONDS: poll"},
}


@router.post("/generate", response_model=PresentationPathAndEditPath, responses=WAIT_ERRORS)
async def generate_presentation(
    body: GeneratePresentationRequest, svc: ServicesDep, access: AccessDep
) -> PresentationPathAndEditPath:
    """Generate a whole deck and answer when it is done (as long as that takes).

    The generation runs as a job: if this request is cut off (a proxy timeout, say) the
    deck is still finished. Callers behind short timeouts use `generate/async` instead."""
    task = await svc.tasks.start(body, access)
    return await svc.tasks.wait(task)


@router.post("/generate/async", response_model=TaskModel, responses=BAD_INPUT)
async def generate_presentation_async(
    body: GeneratePresentationRequest, svc: ServicesDep, access: AccessDep
) -> TaskModel:
    """Queue a deck and return its task at once; poll `status/{id}` (or stream the deck
    with `data.presentation_id`)."""
    task = await svc.tasks.start(body, access)
    return await svc.tasks.view(task)


@router.get(
    "/status/{id}",
    response_model=TaskModel,
    responses={404: {"description": "No presentation generation task found"}},
)
async def generation_status(
    id: Annotated[str, Path(max_length=200)], svc: ServicesDep, access: AccessDep
) -> TaskModel:
    """Where an async generation stands: `pending` (with progress), `completed` (with the
    file's path) or `error` (with `error.detail`)."""
    return await svc.tasks.view(await svc.tasks.require(id, access))
