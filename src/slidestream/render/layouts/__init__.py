"""The arrangements of slide content on the canvas, one per layout kind (`templates.kinds`).

`PLACERS` maps each kind to a function that reads the content (untrusted: anything may be
missing, of the wrong type or too long) and adds themed elements to a `SlideBuilder`.
Layouts without a known kind use `place_generic`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slidestream.render.layouts.blocks import (
    place_icon_cards,
    place_metrics,
    place_timeline,
    place_two_columns,
)
from slidestream.render.layouts.common import SlideBuilder
from slidestream.render.layouts.data import place_chart, place_table
from slidestream.render.layouts.hero import place_closing, place_quote, place_title
from slidestream.render.layouts.lists import (
    place_agenda,
    place_bullets,
    place_bullets_image,
    place_generic,
)

Placer = Callable[[SlideBuilder, dict[str, Any]], None]

PLACERS: dict[str, Placer] = {
    "title": place_title,
    "agenda": place_agenda,
    "bullets": place_bullets,
    "bullets-image": place_bullets_image,
    "two-columns": place_two_columns,
    "icon-cards": place_icon_cards,
    "metrics": place_metrics,
    "quote": place_quote,
    "timeline": place_timeline,
    "table": place_table,
    "chart": place_chart,
    "closing": place_closing,
}

__all__ = ["PLACERS", "Placer", "SlideBuilder", "place_generic"]
