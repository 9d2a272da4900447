"""Charts drawn as primitives from untrusted data."""

from __future__ import annotations

from typing import Any

import pytest

from slidestream.render.charts import (
    EMPTY_LABEL,
    MAX_CATEGORIES,
    chart_element,
    format_value,
    normalize_data,
    to_number,
)
from slidestream.render.model import Box, ChartElement
from tests.render.geometry_checks import check_chart

BOX = Box(x=64, y=160, w=1152, h=496)
COLORS = ["#1d4ed8", "#f59e0b", "#10b981"]


def chart(kind: Any, categories: Any, series: Any, box: Box = BOX) -> ChartElement:
    element = chart_element(
        box,
        kind,
        categories,
        series,
        colors=COLORS,
        font="Inter",
        font_size=16,
        text_color="#111827",
        grid_color="#d1d5db",
        min_size=10,
    )
    check_chart(element)
    return element


def _kinds(el: ChartElement, kind: str) -> list[Any]:
    return [p for p in el.parts if p.kind == kind]


def test_bar_chart_with_negative_values() -> None:
    el = chart("bar", ["A", "B", "C"], [{"name": "S", "values": [3, -2, 5]}])
    bars = _kinds(el, "rect")
    assert len(bars) == 3
    zero_y = _kinds(el, "polyline")[0].points[0][1]
    assert bars[0].box.y + bars[0].box.h == pytest.approx(zero_y)
    assert bars[1].box.y == pytest.approx(zero_y)
    assert bars[2].box.h > bars[0].box.h
    labels = [p.text for p in _kinds(el, "label")]
    assert {"3", "-2", "5", "A", "B", "C"} <= set(labels)
    assert el.colors == COLORS[:1]


def test_legend_only_with_several_series() -> None:
    one = chart("bar", ["A", "B"], [{"name": "Solo", "values": [1, 2]}])
    assert "Solo" not in [p.text for p in _kinds(one, "label")]
    two = chart(
        "bar", ["A", "B"], [{"name": "X", "values": [1, 2]}, {"name": "Y", "values": [2, 1]}]
    )
    texts = [p.text for p in _kinds(two, "label")]
    assert "X" in texts and "Y" in texts
    assert len(_kinds(two, "rect")) == 2 + 4  # legend swatches + bars


def test_line_chart() -> None:
    series = [{"name": "X", "values": [1, -4, 2, 8]}, {"name": "Y", "values": [0, 1, 2, 3]}]
    el = chart("line", ["Q1", "Q2", "Q3", "Q4"], series)
    lines = [p for p in _kinds(el, "polyline") if len(p.points) == 4]
    assert len(lines) == 2 and len(_kinds(el, "dot")) == 8
    xs = [x for x, _ in lines[0].points]
    assert xs == sorted(xs)


def test_pie_chart() -> None:
    el = chart("pie", ["A", "B", "C", "D"], [{"name": "S", "values": [1, 1, 2, -5]}])
    wedges = _kinds(el, "wedge")
    assert len(wedges) == 3
    assert wedges[0].start_angle == 0
    assert wedges[-1].end_angle == pytest.approx(360)
    assert sum(w.end_angle - w.start_angle for w in wedges) == pytest.approx(360)
    texts = [p.text for p in _kinds(el, "label")]
    assert "50%" in texts and all(c in texts for c in "ABCD")
    assert len(el.colors) == 4


@pytest.mark.parametrize(
    ("categories", "series"),
    [
        ([], []),
        (None, None),
        ("abc", "def"),
        (["A", "B"], []),
        ([], [{"name": "S", "values": []}]),
        (["A"], [{"name": "S", "values": "nope"}]),
        ({"a": 1}, {"values": {"x": 1}}),
    ],
)
@pytest.mark.parametrize("kind", ["bar", "line", "pie"])
def test_empty_data_gives_a_labelled_empty_chart(kind: str, categories: Any, series: Any) -> None:
    el = chart(kind, categories, series)
    labels = [p.text for p in _kinds(el, "label")]
    if not el.categories or not el.series:
        assert labels == [EMPTY_LABEL]


def test_pie_with_only_zero_or_negative_values_is_empty() -> None:
    el = chart("pie", ["A", "B"], [{"name": "S", "values": [0, -1]}])
    assert not _kinds(el, "wedge") and [p.text for p in _kinds(el, "label")] == [EMPTY_LABEL]


def test_values_are_normalised() -> None:
    cats, series = normalize_data(
        ["A", 2, None, "D"], [{"name": None, "values": ["1,5", "x", None, True, 9]}]
    )
    assert cats == ["A", "2", "", "D"]
    assert series[0].name == "Series 1" and series[0].values == [15, 0, 0, 0]
    cats, series = normalize_data(None, [1, 2, 3])
    assert cats == ["1", "2", "3"] and series[0].values == [1, 2, 3]
    cats, series = normalize_data(["a"] * 100, [{"values": list(range(100))}] * 50)
    assert len(cats) == MAX_CATEGORIES and len(series) == 6


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        ("12%", 12.0),
        ("$1,200", 1200.0),
        (" 4.5 ", 4.5),
        ("nan", 0.0),
        ("inf", 0.0),
        (float("nan"), 0.0),
        (None, 0.0),
        (True, 0.0),
        ([1], 0.0),
        ("1e400", 0.0),
    ],
)
def test_to_number(value: Any, expected: float) -> None:
    assert to_number(value) == expected


def test_format_value() -> None:
    assert [format_value(v) for v in (0, 3, 2.5, -1.25, 12345, 3_400_000, 2.1e9, -0.001)] == [
        "0",
        "3",
        "2.5",
        "-1.25",
        "12,345",
        "3.4M",
        "2.1B",
        "0",
    ]


@pytest.mark.parametrize("kind", ["bar", "line", "pie"])
def test_crowded_and_exotic_charts_stay_inside(kind: str) -> None:
    cats = ["مرحبا بالعالم", "שלום", "你好世界", "🚀 launch", "<b>&amp;</b>" * 5] * 6
    series = [
        {"name": f"Series {i} " * 5, "values": [i * j - 50 for j in range(30)]} for i in range(8)
    ]
    chart(kind, cats, series)
    chart(kind, cats, series, Box(x=0, y=0, w=120, h=80))
    chart(kind, cats, series, Box(x=10, y=10, w=0, h=0))


def test_big_values_and_deterministic() -> None:
    series = [{"name": "S", "values": [1e15, -1e15, 3]}]
    assert chart("bar", ["a", "b", "c"], series) == chart("bar", ["a", "b", "c"], series)


def test_values_beyond_a_float_are_clamped_and_drawn_alike() -> None:
    from slidestream.render.charts import MAX_VALUE, to_number

    assert to_number(10**400) == 0.0  # not a float at all: no value
    assert to_number(1e308) == MAX_VALUE and to_number(-1e308) == -MAX_VALUE
    assert to_number("1e999") == 0.0


def test_a_chart_with_overflowing_values_stays_a_chart() -> None:
    from slidestream.render.geometry import slide_geometry
    from slidestream.render.model import ChartElement
    from slidestream.templates.registry import get_theme

    content = {
        "title": "Huge",
        "chart_type": "bar",
        "categories": ["a", "b", "c"],
        "series": [{"name": "s", "values": [10**400, 1e308, -1e308]}],
    }
    slide = slide_geometry(content, "general:chart", "chart", get_theme("general"))
    assert slide.kind == "chart"
    chart = next(e for e in slide.elements if isinstance(e, ChartElement))
    bars = [p for p in chart.parts if p.kind == "rect" and p.box is not None]
    assert any(p.box.h > 1 for p in bars if p.box is not None)  # drawn, as PPTX draws them
