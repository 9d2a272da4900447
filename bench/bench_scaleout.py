"""Throughput and streams of the distributed deployment: API nodes, workers, PostgreSQL.

Everything runs as real processes on loopback, as in production: one PostgreSQL server
(started here, `fsync=off`), one simulated LLM (`slidestream fake-llm`), and for each
configuration N `slidestream serve` API nodes and M `slidestream worker` processes on a
fresh database (`SLIDESTREAM_JOBS=distributed`, every other setting at its default).

1. Decks per minute. A batch of decks, all at once, spread round-robin over the API
   nodes; each deck is created, prepared with given outlines (no outline call; `prepare`
   makes its one structure call on the API node) and streamed to its `complete` frame.
   Wall time runs from the first create to the last `complete` frame. Every deck must
   stream every slide exactly once, in order, and the simulated LLM must have been asked
   for every slide exactly once; the benchmark stops with an error otherwise.
2. Streams per node. A few decks are prepared and held mid-generation (the simulated LLM
   stalls slide 2 of each), and K clients per API node open their streams at once, spread
   over the decks (so every deck has viewers on every node). Once every client has slides
   0 and 1, the API processes' memory growth divided by K is the memory per stream; then
   the stall is released and the remaining slides fan out live to every viewer.

"Stored → client" is the time from a slide becoming sendable (the `created_at` of its
row, stamped by the worker when it inserts the slide, or of an earlier slide that held it
back, since slides are emitted in order) to the client reading its frame; both clocks are
this machine's CLOCK_REALTIME. The clients run in this one Python process, reading raw
sockets; its own scheduling delay is included.

    .venv/bin/python -m bench.bench_scaleout [--quick] [--decks 60] [--slides 5]
        [--streams-per-node 200] [--configs 1x1 2x2 4x4 1x4 4x1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.common import API, fake_llm, markdown_table, raise_fd_limit, rss_bytes
from tests.support.postgres import PostgresServer
from tests.support.scaleout import (
    ServerProcess,
    WorkerProcess,
    log_text,
    new_database,
    registered_workers,
)

SLIDE_PROMPT = "You write the content of one presentation slide"
HOLD = "HOLDSLIDE"  # in the outline of the slide the streams phase stalls on
HELD_INDEX = 2
STARTUP_SECONDS = 180
PROBLEMS = ("ERROR", "CRITICAL", "job.stalled", "worker.restart", "too many", "status: Aborted")


def token(run: str, deck: int, index: int) -> str:
    """A token that appears only in one slide's LLM prompt (and the deck's structure call)."""
    return f"{run}D{deck:03d}S{index:02d}X"


@contextmanager
def peak_connections(database_url: str) -> Iterator[list[int]]:
    """Sample the database's open connections (all processes, this sampler excluded) every
    0.2 s while the block runs; the list's one element is the peak."""
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        with psycopg.connect(database_url, autocommit=True) as connection:
            while not stop.wait(0.2):
                row = connection.execute(
                    "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()"
                ).fetchone()
                peak[0] = max(peak[0], int(row[0]) if row else 0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join(timeout=5)


# --- the cluster ------------------------------------------------------------------------


@dataclass
class Cluster:
    """N API nodes and M workers on one fresh database."""

    database_url: str
    nodes: list[ServerProcess] = field(default_factory=list)
    workers: list[WorkerProcess] = field(default_factory=list)

    def rss(self) -> list[int]:
        """Resident memory of each API node (one process each), bytes."""
        sizes = []
        for node in self.nodes:
            assert node.process is not None
            sizes.append(rss_bytes(node.process.pid))
        return sizes

    def logs(self) -> list[Path]:
        return [node.log_path for node in self.nodes] + [w.log_path for w in self.workers]


def healthy(node: ServerProcess) -> bool:
    assert node.process is not None
    if node.process.poll() is not None:
        raise RuntimeError(f"{node.url} exited with {node.process.returncode}")
    try:
        return httpx.get(f"{node.url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def cluster(
    postgres: PostgresServer, llm_url: str, nodes: int, workers: int, logs: Path
) -> Iterator[Cluster]:
    """Start the processes, wait until every node is healthy and every worker registered;
    stop them all when the block ends, whatever happens."""
    database_url = new_database(postgres)
    env = {
        "APP_DATA_DIRECTORY": str(logs / "data"),
        "DATABASE_URL": database_url,
        "SLIDESTREAM_JOBS": "distributed",
        "LLM": "custom",
        "CUSTOM_LLM_URL": f"{llm_url}/v1",
        "CUSTOM_MODEL": "slidestream-fake",
        "SLIDESTREAM_LOG_LEVEL": "info",
    }
    running = Cluster(database_url)
    try:
        # Workers first: the first process creates the schemas; they start in parallel.
        for number in range(1, workers + 1):
            worker = WorkerProcess(env, logs / f"worker{number}.log", f"w{number}")
            running.workers.append(worker.start())
        for number in range(1, nodes + 1):
            node = ServerProcess(env, logs / f"node{number}.log")
            running.nodes.append(node)
            # Started together and waited for below: on two busy cores, eight processes
            # importing at once take longer than ServerProcess.start's 30 s.
            node.process = subprocess.Popen(
                [sys.executable, "-m", "slidestream", "serve", "--port", str(node.port)],
                env=node.env,
                stdout=node.log_path.open("ab"),
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while registered_workers(database_url) < workers or not all(map(healthy, running.nodes)):
            for worker in running.workers:
                worker.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes not ready within {STARTUP_SECONDS} s")
            time.sleep(0.2)
        yield running
    finally:
        for node in running.nodes:
            node.stop()
        for worker in running.workers:
            worker.stop()


# --- a stream client on a raw socket ----------------------------------------------------


@dataclass
class Watched:
    """One client's view of one deck stream."""

    pid: str
    node: int
    opened: float = 0.0  # time.time() when the request was sent
    slides: list[tuple[int, float]] = field(default_factory=list)  # (index, received at)
    end: str = ""  # the terminal frame's type
    detail: str = ""
    ended: float = 0.0

    def indexes(self) -> list[int]:
        return [index for index, _ in self.slides]


async def watch(port: int, watched: Watched, got: asyncio.Event | None, wanted: int) -> None:
    """Read a deck stream to its terminal frame, noting when each slide arrives; set `got`
    once `wanted` slides are in. HTTP/1.1 chunked, parsed by hand: cheap for many streams."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        watched.opened = time.time()
        writer.write(
            f"GET {API}/presentation/stream/{watched.pid} HTTP/1.1\r\nHost: bench\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        if status != b"200" or b"chunked" not in head.lower():
            watched.end, watched.detail = "http", head.decode(errors="replace")[:200]
            return
        buffer = b""
        while not watched.end:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                watched.end = watched.end or "closed"
                return
            buffer += (await reader.readexactly(size + 2))[:-2]
            received = time.time()
            *events, buffer = buffer.replace(b"\r\n", b"\n").split(b"\n\n")
            for event in events:
                on_event(watched, event, received)
            if got is not None and len(watched.slides) >= wanted:
                got.set()
    except (OSError, asyncio.IncompleteReadError) as error:
        watched.end, watched.detail = "broken", repr(error)
    finally:
        watched.ended = time.time()
        if got is not None:
            got.set()
        writer.close()


def on_event(watched: Watched, event: bytes, received: float) -> None:
    data = b"".join(line[5:].strip() for line in event.split(b"\n") if line.startswith(b"data:"))
    if not data:
        return  # a comment (heartbeat) or the opening retry block
    frame: dict[str, Any] = json.loads(data)
    kind = frame.get("type")
    if kind == "chunk":
        text = str(frame["chunk"]).lstrip(", ")
        if text.startswith('{"presentation"'):
            watched.slides.append((int(json.loads(text)["index"]), received))
    elif kind in ("complete", "error"):
        watched.end = str(kind)
        watched.detail = str(frame.get("detail", ""))[:200]


# --- helpers ---------------------------------------------------------------------------


def port_of(node: ServerProcess) -> int:
    return int(node.url.rsplit(":", 1)[1])


async def create_prepared(http: httpx.AsyncClient, outlines: list[str]) -> str:
    created = await http.post(
        f"{API}/presentation/create",
        json={"content": "Solar energy in 2025", "n_slides": len(outlines), "language": "English"},
    )
    created.raise_for_status()
    pid = str(created.json()["id"])
    prepared = await http.post(
        f"{API}/presentation/prepare",
        json={"presentation_id": pid, "outlines": [{"content": text} for text in outlines]},
    )
    prepared.raise_for_status()
    return pid


def outlines_for(run: str, deck: int, slides: int, hold: bool = False) -> list[str]:
    return [
        f"# Part {i + 1} {token(run, deck, i)}{' ' + HOLD if hold and i == HELD_INDEX else ''}\n\n"
        "- A point about solar power\n- Another point"
        for i in range(slides)
    ]


def stored_at(database_url: str) -> dict[tuple[str, int], float]:
    """When each slide row was stored (its `created_at`, set by the worker at insert)."""
    with psycopg.connect(database_url) as connection:
        rows = connection.execute('SELECT presentation, "index", created_at FROM slides').fetchall()
    return {(str(row[0]), int(row[1])): row[2].timestamp() for row in rows}


def sendable_delays(watched: list[Watched], stored: dict[tuple[str, int], float]) -> list[float]:
    """Per received slide: received minus when it became sendable (its own store time, or a
    later-stored earlier slide's, since frames go out in order)."""
    delays = []
    for one in watched:
        ready = 0.0
        for index, received in one.slides:
            ready = max(ready, stored[(one.pid, index)])
            delays.append(received - ready)
    return delays


def percentile(values: list[float], p: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def check_complete(watched: list[Watched], slides: int, what: str) -> None:
    """Every stream ended `complete` with every slide exactly once, in order."""
    wrong = [w for w in watched if w.end != "complete" or w.indexes() != list(range(slides))]
    if wrong:
        sample = "; ".join(
            f"{w.pid} end={w.end} {w.detail} slides={w.indexes()}" for w in wrong[:5]
        )
        raise RuntimeError(f"{what}: {len(wrong)} of {len(watched)} streams wrong: {sample}")


def check_llm_once(llm_url: str, run: str, decks: int, slides: int) -> None:
    """The simulated LLM was asked for every slide of the run exactly once."""
    calls = httpx.get(f"{llm_url}/_stats", timeout=30).json()["calls"]
    asked = Counter(
        token_in
        for call in calls
        if call["system"].startswith(SLIDE_PROMPT)
        for token_in in [token(run, d, i) for d in range(decks) for i in range(slides)]
        if token_in in call["user"]
    )
    wrong = {
        token(run, d, i): asked[token(run, d, i)]
        for d in range(decks)
        for i in range(slides)
        if asked[token(run, d, i)] != 1
    }
    if wrong:
        raise RuntimeError(f"slides not generated exactly once: {dict(list(wrong.items())[:10])}")


# --- 1. decks per minute -----------------------------------------------------------------


@dataclass
class Throughput:
    seconds: float
    time_to_first_slide: list[float]
    gaps: list[float]
    delays: list[float]
    jobs_per_worker: list[int]
    stuck: int = 0


async def run_decks(running: Cluster, llm_url: str, decks: int, slides: int) -> Throughput:
    run = "T"
    limits = httpx.Limits(max_connections=decks + 10)
    clients = [
        httpx.AsyncClient(base_url=node.url, timeout=600, limits=limits) for node in running.nodes
    ]

    async def one(deck: int) -> Watched:
        node = deck % len(running.nodes)
        pid = await create_prepared(clients[node], outlines_for(run, deck, slides))
        watched = Watched(pid, node)
        await watch(port_of(running.nodes[node]), watched, None, 0)
        return watched

    try:
        started = time.time()
        watched = await asyncio.gather(*(one(deck) for deck in range(decks)))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    check_complete(watched, slides, "decks")
    check_llm_once(llm_url, run, decks, slides)
    seconds = max(w.ended for w in watched) - started
    gaps = [b[1] - a[1] for w in watched for a, b in zip(w.slides, w.slides[1:], strict=False)]
    return Throughput(
        seconds=seconds,
        time_to_first_slide=[w.slides[0][1] - w.opened for w in watched],
        gaps=gaps,
        delays=sendable_delays(watched, stored_at(running.database_url)),
        jobs_per_worker=[log_text(w.log_path).count("job.run ") for w in running.workers],
    )


# --- 2. streams per node -----------------------------------------------------------------


@dataclass
class Fanout:
    streams_per_node: int
    all_open_seconds: float
    rss_before: list[int]
    rss_with_streams: list[int]
    delays: list[float]
    time_to_first_slide: list[float]
    stuck: int = 0


async def run_streams(
    running: Cluster, llm_url: str, per_node: int, decks: int, slides: int
) -> Fanout:
    run = "F"
    async with httpx.AsyncClient(base_url=running.nodes[0].url, timeout=600) as http:
        pids = [
            await create_prepared(http, outlines_for(run, deck, slides, hold=True))
            for deck in range(decks)
        ]
    # Added after `prepare`: the structure call lists every outline and would stall too.
    httpx.post(
        f"{llm_url}/_faults", json={"faults": [{"kind": "stall", "times": 10**6, "match": HOLD}]}
    ).raise_for_status()
    await asyncio.sleep(1)
    rss_before = running.rss()
    watched: list[Watched] = []
    held: list[asyncio.Event] = []
    tasks = []
    opened = time.monotonic()
    for number in range(per_node * len(running.nodes)):
        node = number % len(running.nodes)
        one = Watched(pids[(number // len(running.nodes)) % decks], node)
        event = asyncio.Event()
        watched.append(one)
        held.append(event)
        tasks.append(asyncio.create_task(watch(port_of(running.nodes[node]), one, event, 2)))
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in held)), 300)
        all_open = time.monotonic() - opened
        broken = [w for w in watched if w.end]
        if broken:
            raise RuntimeError(f"{len(broken)} streams ended early: {broken[0]}")
        await asyncio.sleep(1)
        rss_with_streams = running.rss()
        httpx.delete(f"{llm_url}/_faults").raise_for_status()
        httpx.post(f"{llm_url}/_release").raise_for_status()
        await asyncio.wait_for(asyncio.gather(*tasks), 300)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    check_complete(watched, slides, "streams")
    stored = stored_at(running.database_url)
    # Only the slides that fanned out live, after the release (0 and 1 came before).
    live = [
        Watched(w.pid, w.node, w.opened, [s for s in w.slides if s[0] >= HELD_INDEX])
        for w in watched
    ]
    return Fanout(
        streams_per_node=per_node,
        all_open_seconds=all_open,
        rss_before=rss_before,
        rss_with_streams=rss_with_streams,
        delays=sendable_delays(live, stored),
        time_to_first_slide=[w.slides[0][1] - w.opened for w in watched],
    )


# --- the whole benchmark -----------------------------------------------------------------


@dataclass
class Result:
    nodes: int
    workers: int
    throughput: Throughput
    fanout: Fanout
    connections: int


def problems_in(paths: list[Path]) -> list[str]:
    """Suspicious log lines; a traceback is shown by the line before it and its last line."""
    found = []
    for path in paths:
        lines = log_text(path).splitlines()
        for number, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = next(
                    (
                        later
                        for later in lines[number + 1 :]
                        if later and not later.startswith((" ", "Traceback"))
                    ),
                    "?",
                )
                found.append(f"{path.name}: {lines[number - 1][:160]} -> {end[:160]}")
            elif any(word in line for word in PROBLEMS):
                found.append(f"{path.name}: {line[:300]}")
    return found


def stuck_jobs(database_url: str) -> int:
    """Procrastinate jobs still `doing` although every deck has completed."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"
        ).fetchone()
    return int(row[0]) if row else 0


def measure(args: argparse.Namespace) -> tuple[list[Result], list[str], dict[str, float]]:
    logs = Path(tempfile.mkdtemp(prefix="slidestream-bench-scaleout-"))
    results: list[Result] = []
    problems: list[str] = []
    llm_figures: dict[str, float] = {}
    ok = False
    postgres = PostgresServer(max_connections=str(args.max_connections))
    try:
        postgres.start()
        with fake_llm(args.latency, args.tokens_per_second) as llm:
            for config in args.configs:
                nodes, workers = (int(part) for part in config.split("x"))
                httpx.post(f"{llm.url}/_reset").raise_for_status()
                where = logs / config
                where.mkdir()
                begun = time.monotonic()
                with (
                    cluster(postgres, llm.url, nodes, workers, where) as running,
                    peak_connections(running.database_url) as peak,
                ):
                    print(f"{config}: started in {time.monotonic() - begun:.1f} s", flush=True)
                    throughput = asyncio.run(run_decks(running, llm.url, args.decks, args.slides))
                    time.sleep(2)  # every job has had time to finish
                    throughput.stuck = stuck_jobs(running.database_url)
                    if not llm_figures:
                        llm_figures = llm_call_seconds(llm.url)
                    fanout = asyncio.run(
                        run_streams(
                            running, llm.url, args.streams_per_node, args.stream_decks, args.slides
                        )
                    )
                    time.sleep(2)
                    fanout.stuck = stuck_jobs(running.database_url) - throughput.stuck
                results.append(Result(nodes, workers, throughput, fanout, peak[0]))
                problems += [f"{config} {line}" for line in problems_in(running.logs())]
                print(f"{config}: done in {time.monotonic() - begun:.1f} s", flush=True)
        ok = True
    finally:
        postgres.stop()
        if ok and not problems:
            shutil.rmtree(logs, ignore_errors=True)
        else:
            print(f"logs kept in {logs}", flush=True)
    return results, problems, llm_figures


def llm_call_seconds(llm_url: str) -> dict[str, float]:
    """How long the simulated LLM took per slide call, as it recorded them."""
    calls = httpx.get(f"{llm_url}/_stats", timeout=30).json()["calls"]
    durations = [
        c["finished_at"] - c["started_at"]
        for c in calls
        if c["system"].startswith(SLIDE_PROMPT) and c["finished_at"]
    ]
    return {"median": statistics.median(durations), "max": max(durations)}


def report(args: argparse.Namespace, results: list[Result]) -> None:
    decks_rows: list[list[object]] = []
    stream_rows: list[list[object]] = []
    for r in results:
        t, f = r.throughput, r.fanout
        decks_rows.append(
            [
                r.nodes,
                r.workers,
                f"{args.decks} x {args.slides}",
                f"{t.seconds:.1f}",
                f"{args.decks / t.seconds * 60:.0f}",
                f"{args.decks * args.slides / t.seconds:.1f}",
                f"{args.decks / t.seconds * 60 / r.workers:.0f}",
                f"{percentile(t.time_to_first_slide, 50):.2f} / "
                f"{percentile(t.time_to_first_slide, 99):.2f}",
                f"{percentile(t.gaps, 50):.2f} / {percentile(t.gaps, 99):.2f}",
                f"{percentile(t.delays, 50) * 1000:.0f} / {percentile(t.delays, 99) * 1000:.0f}",
                " / ".join(str(n) for n in t.jobs_per_worker),
                f"{t.stuck} / {args.decks}",
                r.connections,
            ]
        )
        growth = [
            (after - before) / f.streams_per_node / 1024
            for before, after in zip(f.rss_before, f.rss_with_streams, strict=True)
        ]
        stream_rows.append(
            [
                r.nodes,
                r.workers,
                f"{f.streams_per_node} x {r.nodes}",
                f"{f.all_open_seconds:.1f}",
                f"{statistics.mean(f.rss_before) / 2**20:.0f}",
                f"{statistics.mean(f.rss_with_streams) / 2**20:.0f}",
                f"{statistics.mean(growth):.0f} ({min(growth):.0f}-{max(growth):.0f})",
                f"{percentile(f.delays, 50) * 1000:.0f}",
                f"{percentile(f.delays, 99) * 1000:.0f}",
                f"{max(f.delays) * 1000:.0f}",
                f"{f.stuck} / {args.stream_decks}",
            ]
        )
    print(
        markdown_table(
            [
                "API nodes",
                "workers",
                "decks x slides",
                "wall s",
                "decks/min",
                "slides/s",
                "decks/min per worker",
                "first slide s, p50 / p99",
                "slide gap s, p50 / p99",
                "stored → client ms, p50 / p99",
                "decks run per worker",
                "jobs left running",
                "peak PostgreSQL connections",
            ],
            decks_rows,
        )
    )
    print()
    print(
        markdown_table(
            [
                "API nodes",
                "workers",
                "streams (per node x nodes)",
                "all open after s",
                "node RSS before MiB",
                "node RSS with streams MiB",
                "KB per stream (min-max over nodes)",
                "stored → client p50 ms",
                "p99 ms",
                "max ms",
                "jobs left running",
            ],
            stream_rows,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1x1 and 2x2, a small batch")
    parser.add_argument("--configs", nargs="+", default=["1x1", "2x2", "4x4", "1x4", "4x1"])
    parser.add_argument("--decks", type=int, default=60)
    parser.add_argument("--slides", type=int, default=5)
    parser.add_argument("--streams-per-node", type=int, default=200)
    parser.add_argument("--stream-decks", type=int, default=4, help="decks the streams watch")
    parser.add_argument("--max-connections", type=int, default=400, help="PostgreSQL's")
    parser.add_argument("--latency", type=float, default=0.3, help="simulated LLM, s per call")
    parser.add_argument("--tokens-per-second", type=float, default=400.0)
    args = parser.parse_args()
    if args.quick:
        args.configs, args.decks, args.streams_per_node = ["1x1", "2x2"], 16, 50
    raise_fd_limit()  # inherited by every process started from here
    load = os.getloadavg()[0]
    started = time.monotonic()
    results, problems, llm = measure(args)
    print(
        f"\n{args.decks} decks of {args.slides} slides; simulated LLM latency {args.latency} s "
        f"+ {args.tokens_per_second:g} tokens/s (slide call median {llm['median']:.2f} s, "
        f"max {llm['max']:.2f} s); {args.streams_per_node} streams per node on "
        f"{args.stream_decks} decks; PostgreSQL max_connections {args.max_connections}; "
        f"{os.cpu_count()} CPUs\n"
    )
    report(args, results)
    print(
        f"\nload average (1 min) before: {load:.2f}, after: {os.getloadavg()[0]:.2f}; "
        f"benchmark took {time.monotonic() - started:.0f} s"
    )
    if problems:
        print(f"\n{len(problems)} problem lines in the process logs:")
        for line in problems[:40]:
            print(f"  {line}")


if __name__ == "__main__":
    main()
