"""Memory per idle stream and heartbeat punctuality with many open streams on one process.

One deck is started and held mid-generation (the simulated LLM stalls one slide), then N
clients open its presentation stream and sit idle. The server's resident memory growth
divided by N is the memory per stream; the largest gap between two `: ping` comments any
client saw says whether heartbeats stay on time under that load.

    .venv/bin/python -m bench.bench_idle_streams [--streams 1000] [--heartbeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

import httpx

from bench.common import API, fake_llm, markdown_table, raise_fd_limit, rss_bytes, server

MARKER = "IDLEBENCH{:02d}X"


async def open_stream(port: int, pid: str, ready: asyncio.Event, pings: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {API}/presentation/stream/{pid} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    await writer.drain()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if b"index" in line:  # the first slide's chunk (quotes are escaped in data)
                ready.set()
            if line.startswith(b": ping"):
                pings.append(time.monotonic())
    finally:
        writer.close()


def prepare_stalled_deck(base: str, llm: str) -> str:
    with httpx.Client(base_url=base, timeout=60) as http:
        pid = http.post(
            f"{API}/presentation/create", json={"content": "Idle streams", "n_slides": 3}
        ).json()["id"]
        outlines = [{"content": f"# Part {i} {MARKER.format(i)}"} for i in range(3)]
        http.post(
            f"{API}/presentation/prepare", json={"presentation_id": pid, "outlines": outlines}
        )
    httpx.post(
        f"{llm}/_faults",
        json={"faults": [{"kind": "stall", "times": 100000, "match": MARKER.format(1)}]},
    ).raise_for_status()
    return str(pid)


async def _open_all(
    port: int, pid: str, streams: int
) -> tuple[list[asyncio.Task[None]], list[list[float]], float]:
    events = [asyncio.Event() for _ in range(streams)]
    pings: list[list[float]] = [[] for _ in range(streams)]
    opened = time.monotonic()
    tasks = [
        asyncio.create_task(open_stream(port, pid, events[i], pings[i])) for i in range(streams)
    ]
    await asyncio.gather(*(e.wait() for e in events))
    return tasks, pings, time.monotonic() - opened


async def _close_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def measure(
    base: str, pid: str, server_pid: int, streams: int, heartbeat: float
) -> list[object]:
    port = int(base.rsplit(":", 1)[1])
    warm = asyncio.Event()
    warm_task = asyncio.create_task(open_stream(port, pid, warm, []))
    await warm.wait()
    await asyncio.sleep(1)
    cold = rss_bytes(server_pid)
    # A first round grows pools, caches and allocator arenas once; the second round's
    # growth is what each further stream costs.
    tasks, _, _ = await _open_all(port, pid, streams)
    await asyncio.sleep(1)
    first_round = rss_bytes(server_pid)
    await _close_all(tasks)
    await asyncio.sleep(2)
    baseline = rss_bytes(server_pid)
    tasks, pings, all_open = await _open_all(port, pid, streams)
    await asyncio.sleep(1)
    loaded = rss_bytes(server_pid)
    window_start = time.monotonic()
    await asyncio.sleep(heartbeat * 4)
    window_end = time.monotonic()
    worst_gap = 0.0
    for times in pings:
        inside = [window_start, *[t for t in times if window_start <= t <= window_end], window_end]
        worst_gap = max(worst_gap, *(b - a for a, b in itertools.pairwise(inside)))
    await _close_all([*tasks, warm_task])
    return [
        streams,
        f"{all_open:.2f}",
        f"{(first_round - cold) / streams / 1024:.1f}",
        f"{baseline / 2**20:.1f}",
        f"{loaded / 2**20:.1f}",
        f"{(loaded - baseline) / streams / 1024:.1f}",
        f"{heartbeat:g}",
        f"{worst_gap:.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, nargs="+", default=[1000])
    parser.add_argument("--heartbeat", type=float, default=2.0)
    args = parser.parse_args()
    raise_fd_limit()
    rows = []
    for streams in args.streams:
        with (
            fake_llm(0.0) as llm,
            server(llm.url, SLIDESTREAM_HEARTBEAT_SECONDS=str(args.heartbeat)) as api,
        ):
            pid = prepare_stalled_deck(api.url, llm.url)
            rows.append(asyncio.run(measure(api.url, pid, api.pid, streams, args.heartbeat)))
    print(
        markdown_table(
            [
                "idle streams",
                "all open after s",
                "first round KB per stream",
                "server RSS before MiB",
                "server RSS with streams MiB",
                "KB per stream",
                "heartbeat s",
                "worst heartbeat gap s",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
