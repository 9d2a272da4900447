"""Export time and memory: geometry + PPTX, and geometry + PDF, for decks of 10, 20 and 50
slides in every template (the layouts' sample content, cycled).

    python -m bench.bench_export

Each figure is the median of 5 runs in this process (after one warm-up run, so font files
and the icon rasteriser are loaded); memory is the peak of Python allocations during one
export (tracemalloc) and the process's RSS afterwards.
"""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from collections.abc import Callable

import psutil

from bench.common import markdown_table
from slidestream.render.assets import AssetResolver, package_static_dir
from slidestream.render.geometry import deck_geometry
from slidestream.render.model import Box, DeckGeometry, TextStyle
from slidestream.render.pdf import render_pdf
from slidestream.render.pptx import render_pptx
from slidestream.render.samples import sample_content
from slidestream.render.text import fit_text
from slidestream.templates.registry import get_layout_group, get_theme, list_layout_groups

SIZES = (10, 20, 50)
RUNS = 5


def build(group: str, n: int) -> DeckGeometry:
    layouts = get_layout_group(group).slides
    slides = [
        (
            sample_content(layouts[i % len(layouts)].kind or ""),
            layouts[i % len(layouts)].id,
            layouts[i % len(layouts)].kind,
            "A speaker note for this slide.",
        )
        for i in range(n)
    ]
    return deck_geometry(f"{group} benchmark", slides, get_theme(group))


def measure(task: Callable[[], object]) -> tuple[float, float]:
    """(median seconds, peak MiB of Python allocations)."""
    task()  # warm-up
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    task()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main() -> None:
    resolver = AssetResolver(package_static_dir(), package_static_dir())
    rows: list[list[object]] = []
    for summary in list_layout_groups():
        group = summary.name
        for n in SIZES:
            for fmt, render in (("pptx", render_pptx), ("pdf", render_pdf)):

                def task(
                    group: str = group, n: int = n, render: Callable[..., bytes] = render
                ) -> bytes:
                    return render(build(group, n), resolver)

                seconds, peak = measure(task)
                size_kb = len(task()) / 1024
                rows.append(
                    [
                        group,
                        n,
                        fmt,
                        f"{seconds:.3f}",
                        f"{seconds / n * 1000:.1f}",
                        f"{peak:.1f}",
                        f"{size_kb:.0f}",
                    ]
                )
    rss = psutil.Process(os.getpid()).memory_info().rss / 2**20
    print(
        markdown_table(
            [
                "template",
                "slides",
                "format",
                "seconds",
                "ms per slide",
                "peak alloc MiB",
                "file KB",
            ],
            rows,
        )
    )
    print(f"\nprocess RSS after all runs: {rss:.0f} MiB")
    print()
    print(text_fitting_table())


def text_fitting_table() -> str:
    """Fitting text far too long for its box (model output gone wrong): it is cut, and
    the cut must stay quick however long the text."""
    box = Box(x=100, y=50, w=400, h=200)
    style = TextStyle(font="Inter", size=24, color="#111111")
    rows: list[list[object]] = []
    for words in (2_000, 20_000, 200_000):
        paragraphs = ["word " * words, "x" * words] * 3
        seconds, peak = measure(lambda p=paragraphs: fit_text(p, box, style, min_size=10))
        rows.append([f"{len(''.join(paragraphs)):,}", f"{seconds:.3f}", f"{peak:.1f}"])
    return markdown_table(["characters", "seconds (text fitting)", "peak alloc MiB"], rows)


if __name__ == "__main__":
    main()
