"""The per-process cap on concurrent LLM calls: past it, calls queue instead of failing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from slidestream.app import create_app
from slidestream.llm.capped import CappedProvider
from tests.conftest import make_settings
from tests.support.fake_llm import FakeLLMHandle
from tests.support.flows import deck_url, marker, prepared
from tests.support.servers import ThreadedServer
from tests.support.sse import read_all
from tests.support.waiting import wait_for


async def test_a_burst_over_the_cap_waits_its_turn_and_every_deck_completes(
    tmp_path: Path, fake_llm: FakeLLMHandle
) -> None:
    settings = make_settings(tmp_path / "data", fake_llm.api_url, max_concurrent_llm_calls=1)
    app = create_app(settings)
    server = ThreadedServer(app).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            first = await prepared(http, n=2)
            second = await prepared(http, n=2, content="Wind power")
            capped = app.state.runtime.provider()
            assert isinstance(capped, CappedProvider)
            fake_llm.add_faults({"kind": "stall", "times": 1, "match": marker(0)})
            readers = [asyncio.create_task(read_all(http, deck_url(first)))]
            await wait_for(lambda: fake_llm.waiting_on(marker(0)), bool, "a call is stalled")
            readers.append(asyncio.create_task(read_all(http, deck_url(second))))
            # The second deck's first call is held by the cap, not sent.
            await wait_for(lambda: capped.waiting, lambda n: n >= 1, "a call waits its turn")
            assert capped.in_flight == 1
            assert len(fake_llm.waiting_on(marker(0))) == 1
            fake_llm.release()
            results = await asyncio.gather(*readers)
        for frames in results:
            assert frames[-1].type == "complete"
        assert capped.in_flight == 0 and capped.waiting == 0
        # Nothing failed and nothing was retried: each slide was asked once per deck.
        assert len(fake_llm.calls_mentioning(marker(0))) == 2
        assert len(fake_llm.calls_mentioning(marker(1))) == 2
    finally:
        server.stop()
