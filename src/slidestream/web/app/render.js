// Draws a slide from its geometry (render/model.py, served as JSON by /api/web), exactly
// as render/html.py lays it out for the exports: a 1280 x 720 box of absolutely positioned
// elements, one block per fitted line with `white-space: pre`, so the browser never wraps
// text differently from the PPTX and the PDF. Built with createElement/createElementNS and
// textContent only: slide text is data, never markup.

import { h, svg } from "./dom.js";
import { fontMetrics, fontStack, resolveFamily } from "./fonts.js";
import { chartElement, tableElement } from "./render-parts.js";

const BULLET = "\u2022";
const PLACEHOLDER_FILL = "#e8ecf2";
const PLACEHOLDER_INK = "#b8c2d1";
const SAFE_IMAGE_PATH = /^\/(?:static|app_data)(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/;

/** A finite number in CSS pixels (geometry is trusted-shaped but never blindly). */
export const px = (value) => `${Number.isFinite(value) ? value : 0}px`;

/** Text for one line: line breaks would re-wrap, so they become spaces (as in html.py). */
export const lineText = (value) => String(value ?? "").replace(/[\r\n\u2028\u2029]/g, " ");

export function box(x, y, w, h) {
  return { position: "absolute", left: px(x), top: px(y), width: px(w), height: px(h) };
}

/** `src` when it is a plain path the app serves images at (render/html.py's rule), else null. */
export function safeImageSrc(src) {
  if (typeof src !== "string" || !SAFE_IMAGE_PATH.test(src)) return null;
  if (src.split("/").some((segment) => segment === "." || segment === "..")) return null;
  return src;
}

export function lineHeight(family, bold, italic, size) {
  const metrics = fontMetrics(family, bold, italic);
  return (metrics.ascent + metrics.descent) * size;
}

/** A text element: its box, and every fitted line positioned inside it. */
export function textElement(element, origin = [0, 0]) {
  const style = element.style;
  const family = resolveFamily(style.font);
  const lineH = lineHeight(family, style.bold, style.italic, style.size);
  const node = h("div", {
    className: "ss-text",
    dataset: { role: String(element.role ?? "") },
    style: {
      ...box(element.x - origin[0], element.y - origin[1], element.w, element.h),
      fontFamily: fontStack(family),
      fontSize: px(style.size),
      lineHeight: px(lineH),
      color: style.color,
      fontWeight: style.bold ? "700" : "400",
      fontStyle: style.italic ? "italic" : "normal",
    },
  });
  for (const line of element.lines || []) {
    const top = px(line.y - element.y);
    if (line.bullet) {
      node.append(
        h("div", {
          className: "ss-bullet",
          "aria-hidden": "true",
          text: BULLET,
          style: { position: "absolute", left: "0px", top, whiteSpace: "pre" },
        }),
      );
    }
    if (!line.text) continue;
    node.append(
      h("div", {
        className: "ss-line",
        dir: "auto",
        text: lineText(line.text),
        style: {
          position: "absolute",
          left: px(line.x - element.x),
          top,
          width: px(line.width),
          height: px(lineH),
          whiteSpace: "pre",
          textAlign: style.align,
          unicodeBidi: "plaintext",
        },
      }),
    );
  }
  return node;
}

function shapeElement(element) {
  const { x, y, w, h: height } = element;
  if (element.shape === "line") {
    const width = Math.max(w, 1);
    const tall = Math.max(height, 1);
    return svg(
      "svg",
      {
        className: "ss-shape",
        "aria-hidden": "true",
        width: String(width),
        height: String(tall),
        style: { ...box(x, y, width, tall), overflow: "visible" },
      },
      svg("line", {
        x1: "0",
        y1: "0",
        x2: String(w),
        y2: String(height),
        stroke: element.stroke || element.fill || "#000000",
        "stroke-width": String(element.stroke_width || 1),
      }),
    );
  }
  const style = { ...box(x, y, w, height), boxSizing: "border-box", background: element.fill || "transparent" };
  if (element.stroke && element.stroke_width > 0) {
    // Strokes are centred on the outline, as in the PPTX and the PDF.
    const sw = element.stroke_width;
    Object.assign(style, box(x - sw / 2, y - sw / 2, w + sw, height + sw));
    style.border = `${px(sw)} solid ${element.stroke}`;
  }
  if (element.shape === "ellipse") style.borderRadius = "50%";
  else if (element.shape === "rounded" && element.radius > 0) style.borderRadius = px(element.radius);
  return h("div", { className: "ss-shape", "aria-hidden": "true", style });
}

function placeholder(x, y, w, height, radius = 0) {
  const r = radius > 0 ? radius : Math.min(w, height) * 0.06;
  const g = Math.max(Math.min(w, height) * 0.3, 1);
  const gx = (w - g) / 2;
  const gy = (height - g) / 2;
  const sun = g * 0.28;
  return h(
    "div",
    {
      className: "ss-image ss-placeholder",
      role: "img",
      "aria-label": "image",
      style: { ...box(x, y, w, height), background: PLACEHOLDER_FILL, borderRadius: px(r) },
    },
    svg(
      "svg",
      { width: String(w), height: String(height), style: { position: "absolute", left: "0px", top: "0px" } },
      svg("polygon", {
        fill: PLACEHOLDER_INK,
        points: `${gx},${gy + g} ${gx + g * 0.375},${gy + g * 0.35} ${gx + g * 0.75},${gy + g}`,
      }),
      svg("circle", { fill: PLACEHOLDER_INK, cx: String(gx + g - sun / 2), cy: String(gy + sun / 2), r: String(sun / 2) }),
    ),
  );
}

function imageElement(element) {
  const src = safeImageSrc(element.src);
  if (src === null) return placeholder(element.x, element.y, element.w, element.h, element.radius);
  const area = box(element.x, element.y, element.w, element.h);
  if (element.tint && src.toLowerCase().endsWith(".svg")) {
    // A one-colour icon: its shape as a mask over the theme colour. `src` holds only
    // letters, digits and `/._-`, so it is safe inside url("...").
    const mask = `url("${src}") center / contain no-repeat`;
    return h("div", {
      className: "ss-icon",
      role: "img",
      "aria-label": String(element.alt ?? ""),
      style: { ...area, backgroundColor: element.tint, webkitMask: mask, mask },
    });
  }
  return h("img", {
    className: "ss-image",
    src,
    alt: String(element.alt ?? ""),
    loading: "lazy",
    decoding: "async",
    draggable: "false",
    style: {
      ...area,
      objectFit: element.fit,
      display: "block",
      borderRadius: element.radius > 0 ? px(element.radius) : "",
    },
  });
}

const DRAW = {
  text: (element) => textElement(element),
  shape: shapeElement,
  image: imageElement,
  chart: chartElement,
  table: tableElement,
};

/** One slide as a 1280 x 720 element; scale it with the `.slide-frame` around it. */
export function renderSlide(geometry) {
  const slide = h("div", {
    className: "ss-slide",
    dataset: { kind: String(geometry.kind ?? ""), layout: String(geometry.layout ?? "") },
    style: { width: px(geometry.width), height: px(geometry.height), background: geometry.background },
  });
  for (const element of geometry.elements || []) {
    const draw = DRAW[element.type];
    if (draw) slide.append(draw(element));
  }
  return slide;
}

/**
 * A slide scaled to the width of its container: `.slide-frame` keeps 16:9 and scales the
 * 1280 px canvas with a container-query transform (CSS only, no resize handlers).
 * `decorative` hides the drawing from assistive technology (a thumbnail inside a labelled
 * button); otherwise the frame is a labelled group.
 */
export function slideFrame(geometry, { label = "Slide", decorative = false } = {}) {
  const frame = h("div", { className: "slide-frame" });
  if (decorative) frame.setAttribute("aria-hidden", "true");
  else {
    frame.setAttribute("role", "group");
    frame.setAttribute("aria-label", label);
  }
  frame.append(renderSlide(geometry));
  return frame;
}
