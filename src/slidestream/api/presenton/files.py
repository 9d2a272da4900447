"""`/api/v1/ppt/files/...`: upload documents and decompose them into text files.

Presenton's `/files/update` (overwrite any path: an arbitrary-file-write hole) is not
offered.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from slidestream.api.auth import AccessDep
from slidestream.api.deps import Services, services
from slidestream.documents.loader import decompose
from slidestream.documents.multipart import NoFilesUploaded, receive_uploads
from slidestream.settings import Settings

router = APIRouter(prefix="/files", tags=["files"])
ServicesDep = Annotated[Services, Depends(services)]

UPLOAD_PATH = "/files/upload"
MAX_DECOMPOSE_PATHS = 100
# Multipart framing per part (boundary, headers with a long file name), plus slack.
_PART_OVERHEAD = 16 * 1024
_BODY_OVERHEAD = 1024 * 1024


def upload_body_limit(settings: Settings) -> int:
    """The request body size `BodySizeLimit` allows on `/files/upload`."""
    per_request = settings.max_upload_files * (settings.max_upload_bytes + _PART_OVERHEAD)
    return max(settings.max_body_bytes, per_request + _BODY_OVERHEAD)


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "minItems": 1,  # multipart cannot carry an empty list: 422
                            "items": {"type": "string", "format": "binary"},
                            "description": "PDF, DOCX, PPTX, TXT, Markdown or HTML files.",
                        }
                    },
                }
            }
        },
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A file was refused (empty, unsupported or disguised type, bad name)"},
    413: {"description": "A file (or the whole body) is over the size limit"},
}


@router.post(
    "/upload",
    response_model=list[str],
    openapi_extra=_UPLOAD_BODY,
    responses={**_ERRORS, 422: {"description": "No `files` field"}},
)
async def upload_files(request: Request, svc: ServicesDep, access: AccessDep) -> list[str]:
    """Store uploaded documents; returns their absolute server paths, in order.

    Each file's real type is decided from its bytes (the declared type and extension are
    only hints). Pass the paths as `file_paths` to `/presentation/create`, or to
    `/files/decompose` for their text."""
    try:
        return await receive_uploads(
            request.stream(),
            request.headers.get("content-type"),
            svc.uploads,
            owner=access.owner,
        )
    except NoFilesUploaded:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", "files"), "msg": "Field required", "input": None}]
        ) from None


class DecomposeRequest(BaseModel):
    file_paths: list[str] = Field(max_length=MAX_DECOMPOSE_PATHS)


class DecomposedFileModel(BaseModel):
    name: str
    file_path: str


@router.post(
    "/decompose",
    response_model=list[DecomposedFileModel],
    responses={
        400: {"description": "A path this server did not issue, or an unreadable document"},
        404: {"description": "An uploaded file that no longer exists"},
    },
)
async def decompose_files(
    body: DecomposeRequest, svc: ServicesDep, access: AccessDep
) -> list[DecomposedFileModel]:
    """Text files come back as they are; other documents are parsed and their text written
    to a `.txt` next to the upload, whose path comes back."""
    results = await decompose(body.file_paths, svc.uploads, access)
    return [DecomposedFileModel(name=r.name, file_path=r.file_path) for r in results]
