"""Small steps of the Presenton flow, shared by API, streaming and reliability tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

API = "/api/v1/ppt"


def marker(index: int) -> str:
    """A token that appears in slide `index`'s LLM prompt, to count calls per slide."""
    return f"MARK{index:02d}X"


def marked_outlines(n: int) -> list[dict[str, str]]:
    return [
        {"content": f"# Part {i + 1} {marker(i)}\n\n- A point about solar power\n- Another point"}
        for i in range(n)
    ]


async def create(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"content": "Solar energy in 2025", "n_slides": 4, "language": "English", **fields}
    response = await http.post(f"{API}/presentation/create", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def prepare(
    http: httpx.AsyncClient, pid: str, outlines: list[dict[str, str]], **fields: Any
) -> dict[str, Any]:
    response = await http.post(
        f"{API}/presentation/prepare",
        json={"presentation_id": pid, "outlines": outlines, **fields},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def prepared(http: httpx.AsyncClient, n: int = 4, **create_fields: Any) -> str:
    """A presentation ready to stream, with marked outlines (no outline LLM call)."""
    created = await create(http, n_slides=n, **create_fields)
    pid = str(created["id"])
    await prepare(http, pid, marked_outlines(n))
    return pid


async def get_presentation(http: httpx.AsyncClient, pid: str) -> dict[str, Any]:
    response = await http.get(f"{API}/presentation/{pid}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def deck_url(pid: str | uuid.UUID) -> str:
    return f"{API}/presentation/stream/{pid}"


def outline_url(pid: str | uuid.UUID) -> str:
    return f"{API}/outlines/stream/{pid}"
