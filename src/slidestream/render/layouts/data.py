"""Data slides: a table and a chart under the title."""

from __future__ import annotations

from typing import Any

from slidestream.render.charts import chart_element
from slidestream.render.fonts import text_em
from slidestream.render.layouts.common import SlideBuilder, flat_text, list_of, text_of
from slidestream.render.model import Box, TableElement, TextElement
from slidestream.render.text import ELLIPSIS, fit_text, text_tail

MAX_COLUMNS = 8
MAX_ROWS = 40
MAX_CELL = 400
_LINE = 1.2


def _row(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [flat_text(v)[:MAX_CELL] for v in list(value.values())[:MAX_COLUMNS]]
    if isinstance(value, list | tuple):
        return [flat_text(v)[:MAX_CELL] for v in value[:MAX_COLUMNS]]
    text = text_of(value, MAX_CELL)
    return [text] if text else []


def _sizes(start: float, minimum: float) -> list[float]:
    out = [start]
    while out[-1] > minimum:
        out.append(max(minimum, round((out[-1] - max(0.5, out[-1] * 0.08)) * 2) / 2))
    return out


class _Table:
    def __init__(self, b: SlideBuilder, header: list[str], rows: list[list[str]], box: Box):
        self.b, self.header, self.rows, self.box = b, header, rows, box
        n = len(header)
        font = b.body_font
        natural = [
            max(
                [min(25.0, text_em(header[c], font, bold=True))]
                + [min(25.0, text_em(r[c], font)) for r in rows]
            )
            for c in range(n)
        ]
        weights = [max(3.0, w) for w in natural]
        total = sum(weights)
        self.col_widths = [box.w * w / total for w in weights]

    def pads(self, size: float) -> tuple[float, float]:
        return max(4.0, size * 0.5), max(2.0, size * 0.3)

    def need(self, cells: list[str], size: float, bold: bool) -> float:
        """The height a row needs at `size` with every cell wrapped in full."""
        pad_x, pad_y = self.pads(size)
        style = self.b.style(size, bold=bold, line_height=_LINE)
        lines = 1
        for text, width in zip(cells, self.col_widths, strict=True):
            box = Box(x=0, y=0, w=max(0.0, width - 2 * pad_x), h=1e6)
            fitted = fit_text([text], box, style, min_size=size)
            lines = max(lines, len(fitted.lines))
        return lines * size * _LINE + 2 * pad_y

    def layout(self) -> tuple[float, list[float], list[list[str]]]:
        """The font size, row heights (header first) and the rows shown."""
        minimum = self.b.minimum
        start = max(minimum, self.b.body_size * 0.85)  # shrinks to fit a big table
        sizes = _sizes(start, minimum)
        for size in sizes[:-1]:
            needs = self._needs(size, stop_above=self.box.h)
            if needs is not None:
                return size, needs, self.rows
        size = sizes[-1]
        needs = self._needs(size)
        assert needs is not None
        if sum(needs) <= self.box.h:
            return size, needs, self.rows
        return size, *self._squeeze(size, needs)

    def _needs(self, size: float, stop_above: float | None = None) -> list[float] | None:
        """Every row's need at `size`; None as soon as their sum exceeds `stop_above`."""
        needs: list[float] = []
        total = 0.0
        for r, cells in enumerate([self.header, *self.rows]):
            needs.append(self.need(cells, size, r == 0))
            total += needs[-1]
            if stop_above is not None and total > stop_above:
                return None
        return needs

    def _squeeze(self, size: float, needs: list[float]) -> tuple[list[float], list[list[str]]]:
        """Row heights at the minimum size when the table is too tall: whole lines only,
        rows that no longer fit replaced by one row of an ellipsis."""
        _, pad_y = self.pads(size)
        pitch = size * _LINE
        one = pitch + 2 * pad_y

        def lines_in(height: float) -> int:
            return max(0, int((height - 2 * pad_y + 1e-6) // pitch))

        header_h = min(needs[0], max(one, self.box.h * 0.3))
        if header_h > self.box.h:
            return [], []
        header_h = lines_in(header_h) * pitch + 2 * pad_y
        room = self.box.h - header_h
        rows, body_needs = self.rows, needs[1:]
        max_rows = int((room + 1e-6) // one)
        if len(rows) > max_rows:
            keep = max(0, max_rows - 1)
            rows = rows[:keep] + ([[ELLIPSIS] + [""] * (len(self.header) - 1)] if max_rows else [])
            body_needs = body_needs[:keep] + ([one] if max_rows else [])
        heights = [0.0] * len(rows)
        order = sorted(range(len(rows)), key=lambda i: body_needs[i])
        left = room
        for k, i in enumerate(order):
            share = left / (len(order) - k)
            heights[i] = max(one, lines_in(min(body_needs[i], share)) * pitch + 2 * pad_y)
            left -= heights[i]
        return [header_h, *heights], rows

    def element(self) -> TableElement:
        b = self.b
        size, heights, rows = self.layout()
        pad_x, pad_y = self.pads(size)
        cells: list[list[TextElement]] = []
        y = self.box.y
        for r, (texts, height) in enumerate(zip([self.header, *rows], heights, strict=False)):
            header = r == 0
            color = b.colors.on_primary if header else b.colors.text
            style = b.style(size, bold=header, color=color, line_height=_LINE)
            descender_room = text_tail(style, size)
            row: list[TextElement] = []
            x = self.box.x
            for text, width in zip(texts, self.col_widths, strict=True):
                inner = Box(
                    x=x + pad_x,
                    y=y + pad_y,
                    w=max(0.0, width - 2 * pad_x),
                    # Descenders of the last line may reach into the bottom padding (the
                    # rows are sized in whole line pitches).
                    h=max(0.0, height - 2 * pad_y + min(pad_y, descender_room)),
                )
                fitted = fit_text([text], inner, style, valign="middle", min_size=size)
                row.append(fitted.element("table-header" if header else "table-cell"))
                x += width
            cells.append(row)
            y += height
        return TableElement(
            x=self.box.x,
            y=self.box.y,
            w=self.box.w,
            h=sum(heights),
            header=self.header,
            rows=rows[: max(0, len(heights) - 1)],
            col_widths=self.col_widths,
            row_heights=heights,
            font=b.body_font,
            font_size=size,
            text_color=b.colors.text,
            header_fill=b.colors.primary,
            header_color=b.colors.on_primary,
            row_fills=[b.colors.surface, b.colors.background],
            border=b.colors.border,
            cells=cells,
        )


def place_table(b: SlideBuilder, content: dict[str, Any]) -> None:
    y = b.title(text_of(content.get("title")))
    region = b.below(y)
    header = [text_of(c, MAX_CELL) for c in list_of(content.get("columns"), MAX_COLUMNS)]
    rows = [r for r in (_row(v) for v in list_of(content.get("rows"), MAX_ROWS)) if r]
    n = len(header) or max((len(r) for r in rows), default=0)
    if n == 0 or region.h <= 0 or region.w <= 0:
        return
    header = (header + [""] * n)[:n]
    rows = [(r + [""] * n)[:n] for r in rows]
    b.elements.append(_Table(b, header, rows, region).element())


def place_chart(b: SlideBuilder, content: dict[str, Any]) -> None:
    y = b.title(text_of(content.get("title")))
    region = b.below(y)
    if region.h < 1 or region.w < 1:
        return
    b.elements.append(
        chart_element(
            region,
            content.get("chart_type"),
            content.get("categories"),
            content.get("series"),
            colors=b.theme.chart_colors,
            font=b.body_font,
            font_size=b.small_size,
            text_color=b.colors.text,
            grid_color=b.colors.border,
            min_size=b.minimum,
        )
    )
