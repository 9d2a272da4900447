"""Deck generation wall time against the ideal the simulated LLM's latency implies.

With every LLM call taking `latency` seconds, the fastest possible outline + deck is
`latency + ceil(slides / concurrency) * latency`. This measures how close the real server
(a subprocess, over loopback HTTP, with SQLite) comes, and how long after its LLM call
returns the first slide frame reaches the client.

    .venv/bin/python -m bench.bench_deck [--slides 16] [--latency 0.5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import time
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from bench.common import API, fake_llm, markdown_table, server

MARK = "BENCHMARK{:02d}X"
SLIDE_PROMPT = "You write the content of one presentation slide"


async def one_deck(base: str, llm: str, slides: int) -> dict[str, float]:
    httpx.post(f"{llm}/_reset").raise_for_status()
    async with httpx.AsyncClient(base_url=base, timeout=None) as http:
        created = (
            await http.post(
                f"{API}/presentation/create", json={"content": "Solar energy", "n_slides": slides}
            )
        ).json()
        pid = created["id"]
        started = time.perf_counter()
        async with aconnect_sse(http, "GET", f"{API}/outlines/stream/{pid}") as source:
            async for event in source.aiter_sse():
                if not event.data:
                    continue  # the opening retry/comment block
                data = json.loads(event.data)
                if data["type"] in ("complete", "error"):
                    outlines = data["presentation"]["outlines"]["slides"]
                    break
        outline_seconds = time.perf_counter() - started
        marked = [{"content": f"{o['content']} {MARK.format(i)}"} for i, o in enumerate(outlines)]
        await http.post(
            f"{API}/presentation/prepare", json={"presentation_id": pid, "outlines": marked}
        )
        started = time.perf_counter()
        first_slide_at: float | None = None
        async with aconnect_sse(http, "GET", f"{API}/presentation/stream/{pid}") as source:
            async for event in source.aiter_sse():
                if not event.data:
                    continue
                data = json.loads(event.data)
                if first_slide_at is None and '"index":0' in data.get("chunk", ""):
                    first_slide_at = time.time()
                if data["type"] in ("complete", "error"):
                    assert data["type"] == "complete", data
                    break
        deck_seconds = time.perf_counter() - started
    calls: list[dict[str, Any]] = httpx.get(f"{llm}/_stats").json()["calls"]
    first_call = next(
        c for c in calls if MARK.format(0) in c["user"] and c["system"].startswith(SLIDE_PROMPT)
    )
    assert first_slide_at is not None
    return {
        "outline": outline_seconds,
        "deck": deck_seconds,
        "first_slide_delay_ms": (first_slide_at - first_call["finished_at"]) * 1000,
    }


def run(slides: int, latency: float, concurrencies: list[int], repeat: int) -> str:
    rows: list[list[object]] = []
    for concurrency in concurrencies:
        with (
            fake_llm(latency) as llm,
            server(llm.url, SLIDESTREAM_SLIDE_CONCURRENCY=str(concurrency)) as api,
        ):
            results = [asyncio.run(one_deck(api.url, llm.url, slides)) for _ in range(repeat)]
        total = statistics.median(r["outline"] + r["deck"] for r in results)
        ideal = latency + math.ceil(slides / concurrency) * latency
        rows.append(
            [
                concurrency,
                f"{statistics.median(r['outline'] for r in results):.2f}",
                f"{statistics.median(r['deck'] for r in results):.2f}",
                f"{total:.2f}",
                f"{ideal:.2f}",
                f"{total / ideal:.3f}",
                f"{max(r['first_slide_delay_ms'] for r in results):.1f}",
            ]
        )
    return markdown_table(
        [
            "slide concurrency",
            "outline s",
            "deck s",
            "total s",
            "ideal s",
            "total / ideal",
            "first slide after its LLM call, ms (worst)",
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slides", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    print(
        f"{args.slides} slides, simulated LLM latency {args.latency} s per call, "
        f"median of {args.repeat} runs\n"
    )
    print(run(args.slides, args.latency, args.concurrency, args.repeat))


if __name__ == "__main__":
    main()
