// Charts and tables of a slide's geometry, drawn as render/html.py draws them: a chart as
// SVG from its `parts` (bars, wedges, lines, dots, labels), a table as fills and grid
// lines with every cell's fitted lines on top.

import { h, svg } from "./dom.js";
import { fontMetrics, fontStack, resolveFamily } from "./fonts.js";
import { box, lineText, px, textElement } from "./render.js";

const num = (value) => String(Number.isFinite(value) ? value : 0);

function wedgePath([cx, cy], radius, start, end) {
  const at = (angle) => {
    const rad = (angle * Math.PI) / 180;
    return [cx + radius * Math.sin(rad), cy - radius * Math.cos(rad)];
  };
  const [x0, y0] = at(start);
  const [x1, y1] = at(end);
  const large = Math.abs(end - start) > 180 ? 1 : 0;
  const sweep = end >= start ? 1 : 0;
  return `M${num(cx)} ${num(cy)}L${num(x0)} ${num(y0)}A${num(radius)} ${num(radius)} 0 ${large} ${sweep} ${num(x1)} ${num(y1)}Z`;
}

function label(part, chart) {
  const size = part.size || chart.font_size;
  const family = resolveFamily(part.font || chart.font);
  const metrics = fontMetrics(family);
  const textH = (metrics.ascent + metrics.descent) * size;
  let x;
  let top;
  if (part.box) {
    top = part.box.y; // a label's box is one line high, its top the line's top
    x = { left: part.box.x, center: part.box.x + part.box.w / 2, right: part.box.x + part.box.w }[part.align];
  } else {
    const [px0, cy] = part.center || (part.points?.length ? part.points[0] : [0, 0]);
    x = px0;
    top = cy - textH / 2;
  }
  const anchor = { left: "start", center: "middle", right: "end" }[part.align] || "start";
  return svg("text", {
    x: num(x),
    y: num(top + metrics.ascent * size),
    "text-anchor": anchor,
    fill: part.color,
    "font-family": fontStack(family),
    "font-size": num(size),
    direction: "ltr",
    "unicode-bidi": "plaintext",
    style: { whiteSpace: "pre" },
    text: lineText(part.text),
  });
}

function chartPart(part, chart) {
  if (part.kind === "rect" && part.box) {
    const b = part.box;
    return svg("rect", {
      x: num(b.x),
      y: num(b.y),
      width: num(Math.max(b.w, 0)),
      height: num(Math.max(b.h, 0)),
      fill: part.color,
    });
  }
  if (part.kind === "wedge" && part.center && part.radius > 0) {
    const [cx, cy] = part.center;
    if (Math.abs(part.end_angle - part.start_angle) >= 359.99) {
      return svg("circle", { cx: num(cx), cy: num(cy), r: num(part.radius), fill: part.color });
    }
    return svg("path", { d: wedgePath(part.center, part.radius, part.start_angle, part.end_angle), fill: part.color });
  }
  if (part.kind === "polyline" && part.points?.length >= 2) {
    return svg("polyline", {
      points: part.points.map(([x, y]) => `${num(x)},${num(y)}`).join(" "),
      fill: "none",
      stroke: part.color,
      "stroke-width": num(part.width || 2),
      "stroke-linejoin": "round",
      "stroke-linecap": "round",
    });
  }
  if (part.kind === "dot" && part.center && part.radius > 0) {
    const [cx, cy] = part.center;
    return svg("circle", { cx: num(cx), cy: num(cy), r: num(part.radius), fill: part.color });
  }
  if (part.kind === "label" && String(part.text ?? "").trim()) return label(part, chart);
  return null;
}

/** The chart's primitives as SVG in canvas coordinates. */
export function chartElement(element) {
  const names = (element.series || []).map((series) => series.name).join(", ");
  return svg(
    "svg",
    {
      className: "ss-chart",
      role: "img",
      "aria-label": `${element.chart} chart: ${names}`,
      width: num(element.w),
      height: num(element.h),
      viewBox: `${num(element.x)} ${num(element.y)} ${num(element.w)} ${num(element.h)}`,
      style: { ...box(element.x, element.y, element.w, element.h), overflow: "visible" },
    },
    (element.parts || []).map((part) => chartPart(part, element)),
  );
}

function gridPath(cols, heights, totalW, totalH) {
  const parts = [];
  let y = 0;
  for (const height of [0, ...heights]) {
    y += height;
    parts.push(`M0 ${num(y)}H${num(totalW)}`);
  }
  let x = 0;
  for (const width of [0, ...cols]) {
    x += width;
    parts.push(`M${num(x)} 0V${num(totalH)}`);
  }
  return parts.join("");
}

/** Tables without fitted cells: each string on one line, vertically centred. */
function tableStrings(element) {
  const out = [];
  let top = 0;
  [element.header, ...element.rows].forEach((row, r) => {
    const height = element.row_heights[r];
    if (height === undefined) return;
    let left = 0;
    row.forEach((value, c) => {
      const width = element.col_widths[c];
      if (width === undefined) return;
      out.push(
        h("div", {
          text: lineText(value),
          style: {
            ...box(left + 6, top, width - 12, height),
            display: "flex",
            alignItems: "center",
            overflow: "hidden",
            whiteSpace: "pre",
            color: r === 0 ? element.header_color : element.text_color,
            fontFamily: fontStack(element.font),
            fontSize: px(element.font_size),
            fontWeight: r === 0 ? "700" : "400",
          },
        }),
      );
      left += width;
    });
    top += height;
  });
  return out;
}

/** Cells as positioned fills with grid lines, then every cell's fitted lines. */
export function tableElement(element) {
  const cols = element.col_widths || [];
  const heights = element.row_heights || [];
  const totalW = cols.reduce((a, b) => a + b, 0);
  const totalH = heights.reduce((a, b) => a + b, 0);
  const fills = element.row_fills?.length ? element.row_fills : ["#ffffff"];
  const grid = svg("svg", {
    "aria-hidden": "true",
    width: num(totalW),
    height: num(totalH),
    style: { position: "absolute", left: "0px", top: "0px", overflow: "visible" },
  });
  let top = 0;
  heights.forEach((height, r) => {
    const fill = r === 0 ? element.header_fill : fills[(r - 1) % fills.length];
    grid.append(svg("rect", { x: "0", y: num(top), width: num(totalW), height: num(height), fill }));
    top += height;
  });
  grid.append(
    svg("path", { d: gridPath(cols, heights, totalW, totalH), fill: "none", stroke: element.border, "stroke-width": "0.75" }),
  );
  const origin = [element.x, element.y];
  const cells = element.cells?.length
    ? element.cells.flat().map((cell) => textElement(cell, origin))
    : tableStrings(element);
  return h("div", { className: "ss-table", style: box(element.x, element.y, totalW, totalH) }, grid, cells);
}
