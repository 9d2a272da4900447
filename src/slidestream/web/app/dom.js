// Building DOM without HTML strings: every text goes through textContent, every style
// through element.style (the CSSOM), every listener through addEventListener. Nothing here
// parses markup, so text from a model or a user can never become an element.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(element, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") element.textContent = String(value);
    else if (key === "className") element.setAttribute("class", value);
    else if (key === "style") Object.assign(element.style, value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (/^on/i.test(key) && key !== "on") throw new TypeError(`use {on: {...}} for ${key}`);
    else if (key === "on") {
      for (const [type, listener] of Object.entries(value)) element.addEventListener(type, listener);
    } else if (key in PROPERTIES) element[key] = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  return element;
}

// Set as properties, not attributes (their live state differs from the attribute).
const PROPERTIES = { value: 1, checked: 1, disabled: 1, selected: 1, hidden: 1, htmlFor: 1 };

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h("button", {className: "btn", on: {click}}, "Save"). */
export function h(tag, props, ...children) {
  return append(apply(document.createElement(tag), props), children);
}

/** An SVG element; attributes are set as given, styles through element.style. */
export function svg(tag, props, ...children) {
  return append(apply(document.createElementNS(SVG_NS, tag), props), children);
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

let liveTimer = 0;

/** Tell assistive technology something, politely (the page's live region). */
export function announce(message) {
  const region = document.getElementById("live");
  if (!region) return;
  clearTimeout(liveTimer);
  // Clearing first makes a repeated message be announced again.
  region.textContent = "";
  liveTimer = setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** Icons drawn as SVG paths (Phosphor-style, 24 px grid), hidden from assistive tech. */
const ICONS = {
  plus: "M12 5v14M5 12h14",
  up: "M12 19V5M6 11l6-6 6 6",
  down: "M12 5v14M6 13l6 6 6-6",
  trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13",
  grip: "M9 6h.01M15 6h.01M9 12h.01M15 12h.01M9 18h.01M15 18h.01",
  play: "M7 5l12 7-12 7z",
  download: "M12 4v11M7 10l5 5 5-5M5 20h14",
  edit: "M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4",
  refresh: "M20 11a8 8 0 1 0-2.3 5.7M20 5v6h-6",
  close: "M6 6l12 12M18 6L6 18",
  stop: "M7 7h10v10H7z",
  upload: "M12 16V4M7 9l5-5 5 5M5 20h14",
  file: "M7 3h7l5 5v13H7zM14 3v5h5",
  left: "M15 6l-6 6 6 6",
  right: "M9 6l6 6-6 6",
  spark: "M12 3l2 6 6 2-6 2-2 6-2-6-6-2 6-2z",
  notes: "M5 4h14v16H5zM8 8h8M8 12h8M8 16h5",
};

export function icon(name) {
  return svg(
    "svg",
    {
      className: "icon",
      viewBox: "0 0 24 24",
      width: "20",
      height: "20",
      "aria-hidden": "true",
      focusable: "false",
    },
    svg("path", { d: ICONS[name] || "" }),
  );
}
