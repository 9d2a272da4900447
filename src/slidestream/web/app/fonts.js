// The bundled fonts as the geometry measured them: CSS font stacks and the ascent and
// descent (in em) that put a fitted line's baseline where the exports put it.
// `/api/web/fonts.css` declares the faces; this module only needs their numbers.

import { getPatiently } from "./api.js";

let info = null;
let loading = null;

/** Load the font table once; every renderer call after this is synchronous. */
export function loadFonts() {
  loading ||= getPatiently("/api/web/fonts").then(
    (table) => {
      info = table;
      return table;
    },
    (error) => {
      loading = null; // a later call tries again (after signing in, say)
      throw error;
    },
  );
  return loading;
}

const squash = (name) => String(name).replace(/\s+/g, "").toLowerCase();

/** The bundled family a name means (case and spacing ignored); unknown names: the default. */
export function resolveFamily(name) {
  const families = Object.keys(info.families);
  return families.find((family) => squash(family) === squash(name)) || info.default;
}

export function fontStack(family) {
  return info.families[resolveFamily(family)].stack;
}

/** {ascent, descent} in em for the file the geometry measured this style with. */
export function fontMetrics(family, bold = false, italic = false) {
  const key = bold && italic ? "bold_italic" : bold ? "bold" : italic ? "italic" : "regular";
  return info.families[resolveFamily(family)].styles[key];
}
