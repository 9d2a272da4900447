"""A whole deck through the app on a loopback server, with a given provider configuration:
outline stream, prepare (structure call), deck stream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from slidestream.app import create_app
from tests.conftest import make_settings
from tests.support.flows import create, deck_url, outline_url, prepare
from tests.support.servers import threaded_server
from tests.support.sse import chunks_text, read_all, slide_frames


async def generate_deck(data_dir: Path, n_slides: int, **settings: Any) -> dict[str, Any]:
    """Generate a deck with `settings` (e.g. `llm="anthropic"`); returns the streamed
    outline, the slides the deck stream carried and the stored presentation."""
    app = create_app(make_settings(data_dir, None, **settings))
    with threaded_server(app) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            created = await create(http, n_slides=n_slides, content="Solar energy in 2025")
            pid = created["id"]
            outline = await read_all(http, outline_url(pid))
            assert outline[-1].type == "complete", outline[-1].data
            streamed_outline = json.loads(chunks_text(outline))
            stored = outline[-1].data["presentation"]["outlines"]["slides"]
            await prepare(http, pid, stored)
            deck = await read_all(http, deck_url(pid))
            assert deck[-1].type == "complete", deck[-1].data
            response = await http.get(f"/api/v1/ppt/presentation/{pid}")
            assert response.status_code == 200
            return {
                "outline": streamed_outline,
                "slides": slide_frames(deck),
                "presentation": response.json(),
            }
