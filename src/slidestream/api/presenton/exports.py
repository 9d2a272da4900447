"""`/api/v1/ppt/presentation/export` (Presenton's) and a download route for the files."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel

from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.domain.tasks import PresentationPathAndEditPath
from slidestream.generation.tasks import edit_path
from slidestream.render.export import MEDIA_TYPES

router = APIRouter(prefix="/presentation", tags=["export"])
ServicesDep = Annotated[Services, Depends(services)]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Presentation not found"},
    409: {"description": "The deck is still being generated, or has no slides"},
}


class ExportRequest(BaseModel):
    id: uuid.UUID
    export_as: Literal["pptx", "pdf"] = "pptx"


def download_url(presentation_id: uuid.UUID, export_as: str) -> str:
    return f"/api/v1/ppt/presentation/download/{presentation_id}?format={export_as}"


class ExportResponse(PresentationPathAndEditPath):
    download_url: str


@router.post("/export", response_model=ExportResponse, responses=ERRORS)
async def export_presentation(
    body: ExportRequest, svc: ServicesDep, access: AccessDep
) -> ExportResponse:
    """Write the deck as an editable PPTX or a PDF; `path` is the file on the server,
    `download_url` fetches it."""
    exported = await svc.exports.export(body.id, body.export_as, access=access)
    return ExportResponse(
        presentation_id=body.id,
        path=str(exported.path.resolve()),
        edit_path=edit_path(body.id),
        download_url=download_url(body.id, body.export_as),
    )


@router.get(
    "/download/{id}",
    response_class=FileResponse,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}, **ERRORS},
)
async def download_presentation(
    id: uuid.UUID,
    svc: ServicesDep,
    access: AccessDep,
    format: Annotated[Literal["pptx", "pdf"], Query()] = "pptx",
) -> FileResponse:
    """The deck as a file, rendered from its current slides (edits included)."""
    exported = await svc.exports.export(id, format, access=access)
    return FileResponse(
        exported.path,
        media_type=MEDIA_TYPES[format],
        filename=exported.path.name,
    )


@router.get("/preview/{id}", response_class=HTMLResponse, responses=ERRORS)
async def preview_presentation(id: uuid.UUID, svc: ServicesDep, access: AccessDep) -> HTMLResponse:
    """The deck as an HTML page, laid out exactly as its PPTX and PDF exports."""
    return HTMLResponse(await svc.exports.preview_html(id, access))
