"""Errors to HTTP, in one place: domain errors keep their status and message; anything
unexpected is a JSON 500 (never a plain-text page) and is logged with its traceback. A
database that cannot be reached (restarting, say) is a 503 with `Retry-After`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from slidestream.errors import SlidestreamError
from slidestream.storage.database import is_database_outage

log = logging.getLogger(__name__)


async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SlidestreamError)
    return JSONResponse({"detail": error.detail}, status_code=error.status_code)


DATABASE_UNAVAILABLE = "The database is unavailable right now; try again shortly"


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    if is_database_outage(error):
        log.warning(
            "request.database_unavailable method=%s path=%s", request.method, request.url.path
        )
        return JSONResponse(
            {"detail": DATABASE_UNAVAILABLE}, status_code=503, headers={"Retry-After": "2"}
        )
    log.error("request.error method=%s path=%s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SlidestreamError, _domain_error)
    app.add_exception_handler(Exception, _unexpected_error)
