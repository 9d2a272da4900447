"""Proxy overhead of the gateway: many concurrent streams through one gateway process.

A ticker upstream (a tiny Presenton-shaped server, run by this module) emits, on every
stream, one slide-sized chunk frame every `interval` seconds, stamped with the time it is
written (CLOCK_REALTIME, shared by every process on the machine), then a complete frame.
Each stream starts at a random phase of the interval, so frames are spread out rather
than all due at once. The same clients read N streams straight from the ticker, then N
streams through `slidestream gateway`; the gateway's added latency is the difference
between the two distributions.

The processes run as in production: the ticker and the gateway under uvicorn with uvloop
and httptools (what uvicorn[standard] installs; the report says what each process loaded),
each in its own process; the gateway is started with the `slidestream gateway` command.

A frame's latency is the time the client's kernel received it minus its stamp: the kernel
timestamps every packet it queues on a client socket (SO_TIMESTAMPNS), so the time the
client process itself takes to get scheduled and parse is not counted. That time is
reported on its own ("client delay": when the client read the frame, minus when its kernel
had it), with the client's CPU per frame.

Memory per stream is the gateway's RSS growth with all N streams flowing, divided by N:
once in a cold round (the first streams the process ever relays), then warm.

    .venv/bin/python -m bench.bench_gateway [--streams 200] [--intervals 1 0.2] [--seconds 12]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from bench.common import API, free_port, markdown_table, raise_fd_limit

KEY = "bench-key"
PADDING = "x" * 500  # about one slide's JSON per frame
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux
STAMP = b'"chunk": "'
COMPLETE = b'"type": "complete"'


# --- the ticker upstream (runs in its own process) ------------------------------------------


def ticker_app() -> object:
    """Presenton's create and stream routes, streaming stamped frames on the schedule last
    set with `POST /_schedule {"frames": F, "interval": S}`."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    schedule = {"frames": 10, "interval": 1.0}

    async def create(_request: Request) -> JSONResponse:
        return JSONResponse({"id": str(uuid.uuid4())})

    async def set_schedule(request: Request) -> JSONResponse:
        schedule.update(await request.json())
        return JSONResponse(schedule)

    async def stream(request: Request) -> StreamingResponse:
        frames, interval = int(schedule["frames"]), float(schedule["interval"])
        phase = (uuid.UUID(request.path_params["pid"]).int % 1000) / 1000 * interval

        async def events() -> AsyncIterator[bytes]:
            start = time.monotonic() + phase
            for index in range(frames):
                await asyncio.sleep(max(0.0, start + index * interval - time.monotonic()))
                chunk = f"{time.time_ns()} {PADDING}"
                yield (
                    f"id: t:{index}\nevent: response\n"
                    f'data: {{"type": "chunk", "chunk": "{chunk}"}}\n\n'
                ).encode()
            yield b'id: t:end\nevent: response\ndata: {"type": "complete", "presentation": {}}\n\n'

        return StreamingResponse(events(), media_type="text/event-stream")

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route(f"{API}/presentation/create", create, methods=["POST"]),
            Route(f"{API}/presentation/stream/{{pid}}", stream),
            Route("/_schedule", set_schedule, methods=["POST"]),
            Route("/health", health),
        ]
    )


def run_ticker(port: int) -> None:
    import uvicorn

    uvicorn.run(
        ticker_app(),  # type: ignore[arg-type]
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
    )


# --- processes ----------------------------------------------------------------------


@dataclass
class Started:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def started(args: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[Started]:
    """`python ARGS` until the block ends, once its /health answers."""
    process = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=raise_fd_limit,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args} did not start")
            try:
                httpx.get(f"{url}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield Started(url, process)
    finally:
        process.terminate()
        process.wait()


def runtime_of(pid: int) -> str:
    """What a process runs on: its event loop and HTTP parser, from the libraries it
    mapped, and its command line."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    loop = "uvloop" if "uvloop" in maps else "asyncio"
    parser = "httptools" if "httptools" in maps else "h11"
    command = " ".join(Path(f"/proc/{pid}/cmdline").read_text().split("\0")[1:]).strip()
    return f"{loop} + {parser} (`python {command}`)"


# --- clients --------------------------------------------------------------------------


@dataclass
class Round:
    """What the clients saw: per frame its stamp, when the client's kernel received it and
    when the client read it (all CLOCK_REALTIME, ns)."""

    frames: list[tuple[int, int, int]] = field(default_factory=list)
    completed: int = 0
    all_flowing_ns: int = 0

    def latencies(self, *, steady: bool) -> list[int]:
        """Kernel arrival minus stamp, of all frames or of those written once every stream
        was flowing (the burst of opening N streams at once is over)."""
        since = self.all_flowing_ns if steady else 0
        return [kernel - stamp for stamp, kernel, _ in self.frames if stamp >= since]

    def client_delays(self) -> list[int]:
        """How long each frame waited in the client's socket before the client read it."""
        return [
            user - kernel for stamp, kernel, user in self.frames if stamp >= self.all_flowing_ns
        ]


class StreamReader:
    """One raw HTTP/1.1 stream on a non-blocking socket, read with recvmsg in a reader
    callback (no parsing beyond finding the stamps); each read carries the kernel's
    receive time."""

    def __init__(self, result: Round, flowing: asyncio.Event, done: asyncio.Future[None]) -> None:
        self.result = result
        self.flowing = flowing
        self.done = done
        self.buffer = b""
        self.count = 0
        self.sock: socket.socket | None = None

    async def start(self, port: int, path: str) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        request = (
            f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {KEY}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        await loop.sock_sendall(sock, request.encode())
        self.sock = sock
        loop.add_reader(sock.fileno(), self.readable)

    def readable(self) -> None:
        assert self.sock is not None
        ancillary_size = socket.CMSG_SPACE(16)
        while True:
            try:
                data, ancillary, _flags, _address = self.sock.recvmsg(1 << 16, ancillary_size)
            except BlockingIOError:
                return
            user = time.time_ns()
            if not data:
                self.finish()
                return
            kernel = user
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", value[:16])
                    kernel = seconds * 1_000_000_000 + nanoseconds
            self.parse(data, kernel, user)
            if self.done.done():
                return

    def parse(self, data: bytes, kernel: int, user: int) -> None:
        *whole, self.buffer = (self.buffer + data).split(b"\n\n")
        for piece in whole:
            at = piece.find(STAMP)
            if at >= 0:
                stamp = int(piece[at + len(STAMP) :].split(b" ", 1)[0])
                self.result.frames.append((stamp, kernel, user))
                self.count += 1
                if self.count == 3:
                    self.flowing.set()
            elif COMPLETE in piece:
                self.result.completed += 1
                self.finish()
                return

    def finish(self) -> None:
        if self.sock is not None:
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None
        self.flowing.set()
        if not self.done.done():
            self.done.set_result(None)


@dataclass
class Watched:
    """CPU time and memory of the processes over one round."""

    ticker: psutil.Process
    gateway: psutil.Process
    figures: dict[str, float] = field(default_factory=dict)

    def cpu(self) -> tuple[float, float, float]:
        """User + system seconds of the ticker, the gateway and this client so far."""
        times = [p.cpu_times() for p in (self.ticker, self.gateway, psutil.Process())]
        return tuple(t.user + t.system for t in times)  # type: ignore[return-value]


async def run_round(port: int, paths: list[str], watched: Watched) -> Round:
    """All streams at once, read to their end."""
    loop = asyncio.get_running_loop()
    result = Round()
    figures = watched.figures
    figures["rss_before"] = watched.gateway.memory_info().rss
    ticker_cpu, gateway_cpu, _client_cpu = watched.cpu()
    readers = [StreamReader(result, asyncio.Event(), loop.create_future()) for _ in paths]
    await asyncio.gather(
        *(reader.start(port, path) for reader, path in zip(readers, paths, strict=True))
    )
    await asyncio.gather(*(reader.flowing.wait() for reader in readers))
    result.all_flowing_ns = time.time_ns()
    figures["rss_flowing"] = watched.gateway.memory_info().rss
    steady_cpu = watched.cpu()
    await asyncio.gather(*(reader.done for reader in readers))
    ticker_after, gateway_after, client_after = watched.cpu()
    figures["ticker_cpu"] = ticker_after - ticker_cpu
    figures["gateway_cpu"] = gateway_after - gateway_cpu
    # CPU per frame once every stream is open (the end of the round closes them, too).
    steady_frames = len(result.latencies(steady=True)) or 1
    figures["gateway_us_per_frame"] = (gateway_after - steady_cpu[1]) / steady_frames * 1e6
    figures["client_us_per_frame"] = (client_after - steady_cpu[2]) / steady_frames * 1e6
    return result


def run_client(port: int, paths: list[str], watched: Watched) -> Round:
    import uvloop

    return uvloop.run(run_round(port, paths, watched))


def create_presentations(base: str, count: int) -> list[str]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"}) as http:
        return [
            http.post("/presentations/create", json={"content": "bench"}).json()["id"]
            for _ in range(count)
        ]


def percentiles(values_ns: list[int]) -> list[float]:
    """p50, p95, p99 and max, in milliseconds."""
    cuts = statistics.quantiles(values_ns, n=100, method="inclusive")
    return [cuts[49] / 1e6, cuts[94] / 1e6, cuts[98] / 1e6, max(values_ns) / 1e6]


@dataclass
class Measured:
    interval: float
    frames: int
    direct: Round
    gateway: Round
    direct_cpu: dict[str, float]
    gateway_cpu: dict[str, float]


def measure(streams: int, intervals: list[float], seconds: float) -> None:
    ticker_port, gateway_port = free_port(), free_port()
    env = {
        "SLIDESTREAM_GATEWAY_API_KEYS": f"bench={KEY}",
        "SLIDESTREAM_GATEWAY_LOG_LEVEL": "warning",
    }
    with (
        tempfile.TemporaryDirectory(prefix="slidestream-bench-gateway-") as data,
        started(["-m", "bench.bench_gateway", "--ticker", str(ticker_port)], ticker_port) as ticker,
        started(
            ["-m", "slidestream", "gateway", "--upstream", ticker.url, "--port", str(gateway_port)],
            gateway_port,
            {**env, "SLIDESTREAM_GATEWAY_DATA_DIR": data},
        ) as gateway,
    ):
        processes = (psutil.Process(ticker.process.pid), psutil.Process(gateway.process.pid))
        runtimes = {
            "ticker": runtime_of(ticker.process.pid),
            "gateway": runtime_of(gateway.process.pid),
        }
        pids = create_presentations(gateway.url, streams)
        direct_paths = [f"{API}/presentation/stream/{pid}" for pid in pids]
        gateway_paths = [f"/presentations/{pid}/stream" for pid in pids]

        def schedule(interval: float) -> int:
            frames = max(3, round(seconds / interval))
            httpx.post(f"{ticker.url}/_schedule", json={"frames": frames, "interval": interval})
            return frames

        schedule(intervals[0])
        cold = Watched(*processes)
        run_client(gateway_port, gateway_paths, cold)
        results = []
        for interval in intervals:
            frames = schedule(interval)
            direct, through = Watched(*processes), Watched(*processes)
            direct_round = run_client(ticker_port, direct_paths, direct)
            gateway_round = run_client(gateway_port, gateway_paths, through)
            results.append(
                Measured(
                    interval, frames, direct_round, gateway_round, direct.figures, through.figures
                )
            )
    report(streams, results, cold.figures, results[0].gateway_cpu, runtimes)


def report(
    streams: int,
    results: list[Measured],
    cold: dict[str, float],
    warm: dict[str, float],
    runtimes: dict[str, str],
) -> None:
    rows: list[list[object]] = []
    delays: list[list[object]] = []
    for measured in results:
        expected = streams * measured.frames
        base = percentiles(measured.direct.latencies(steady=True))
        through = percentiles(measured.gateway.latencies(steady=True))
        for name, result, figures, cuts in (
            ("direct", measured.direct, measured.direct_cpu, base),
            ("gateway", measured.gateway, measured.gateway_cpu, through),
        ):
            burst = percentiles(result.latencies(steady=False))
            rows.append(
                [
                    f"{measured.interval:g}",
                    f"{streams / measured.interval:.0f}",
                    name,
                    f"{len(result.frames)} / {expected}",
                    f"{result.completed} / {streams}",
                    *(f"{cut:.2f}" for cut in cuts),
                    f"{burst[2]:.1f}",
                    f"{figures['ticker_cpu']:.1f}",
                    f"{figures['gateway_cpu']:.1f}" if name == "gateway" else "",
                    f"{figures['gateway_us_per_frame']:.0f}" if name == "gateway" else "",
                ]
            )
            waited = percentiles(result.client_delays())
            delays.append(
                [
                    f"{measured.interval:g}",
                    name,
                    *(f"{cut:.2f}" for cut in (waited[0], waited[2], waited[3])),
                    f"{figures['client_us_per_frame']:.0f}",
                ]
            )
        added = (f"**{t - b:.2f}**" for t, b in zip(through[:3], base[:3], strict=True))
        rows.append([f"{measured.interval:g}", "", "**added**", "", "", *added, "", "", "", "", ""])
    print(f"{streams} concurrent streams; {os.cpu_count()} CPUs")
    for name, runtime in runtimes.items():
        print(f"- {name}: {runtime}")
    print()
    print(
        markdown_table(
            [
                "interval s",
                "frames/s",
                "path",
                "frames received",
                "streams completed",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "p99 ms, opening burst included",
                "ticker CPU s",
                "gateway CPU s",
                "gateway CPU µs per frame",
            ],
            rows,
        )
    )
    print()
    print(
        markdown_table(
            [
                "interval s",
                "path",
                "client delay p50 ms",
                "p99 ms",
                "max ms",
                "client CPU µs per frame",
            ],
            delays,
        )
    )
    memory: list[list[object]] = [
        [
            name,
            f"{figures['rss_before'] / 2**20:.1f}",
            f"{figures['rss_flowing'] / 2**20:.1f}",
            f"{(figures['rss_flowing'] - figures['rss_before']) / streams / 1024:.1f}",
        ]
        for name, figures in (("cold", cold), ("warm", warm))
    ]
    print()
    print(
        markdown_table(
            ["round", "gateway RSS before MiB", "with streams MiB", "KB per stream"], memory
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--intervals", type=float, nargs="+", default=[1.0, 0.2])
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each round")
    parser.add_argument("--ticker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ticker:
        run_ticker(args.ticker)
        return
    raise_fd_limit()
    load = os.getloadavg()[0]
    measure(args.streams, args.intervals, args.seconds)
    print(f"\nload average (1 min) before: {load:.2f}, after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
