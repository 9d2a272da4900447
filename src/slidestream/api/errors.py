"""Errors to HTTP, in one place: domain errors keep their status and message; anything
unexpected is a JSON 500 (never a plain-text page) and is logged with its traceback. A
database that cannot be reached (restarting, say) is a domain error: 503 with `Retry-After`.
A body FastAPI cannot decode is its 400, declared on every operation that takes a body."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from slidestream.api.openapi import Document, amend_openapi, operations
from slidestream.errors import SlidestreamError

log = logging.getLogger(__name__)

UNREADABLE_BODY = {
    "description": "The body could not be read (not UTF-8 JSON, say), or a value in it breaks "
    "a rule the schema cannot express; `detail` says which"
}


async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SlidestreamError)
    headers = getattr(error, "headers", None)
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.error("request.error method=%s path=%s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SlidestreamError, _domain_error)
    app.add_exception_handler(Exception, _unexpected_error)
    amend_openapi(app, _declare_body_errors)


def _declare_body_errors(document: Document) -> None:
    """Declare the 400 every operation with a request body can answer: FastAPI refuses a
    body it cannot decode with 400 before the route runs. An operation's own description
    of its 400 is kept."""
    for _path, operation in operations(document):
        if "requestBody" in operation:
            operation.setdefault("responses", {}).setdefault("400", dict(UNREADABLE_BODY))
