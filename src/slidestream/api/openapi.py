"""Additions to the OpenAPI document FastAPI builds from the routes: what a route cannot
declare itself (answers given before any route runs, security schemes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI

Document = dict[str, Any]


def amend_openapi(app: FastAPI, amend: Callable[[Document], None]) -> None:
    """Have `amend` edit the document once, when FastAPI builds it (it keeps the document
    it built, so the edit stays). Several amendments chain."""
    build = app.openapi

    def openapi() -> Document:
        fresh = app.openapi_schema is None
        document = build()
        if fresh:
            amend(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def operations(document: Document) -> Iterator[tuple[str, Document]]:
    """Every operation of the document, with its path."""
    for path, path_item in document.get("paths", {}).items():
        for operation in path_item.values():
            if isinstance(operation, dict):
                yield path, operation
