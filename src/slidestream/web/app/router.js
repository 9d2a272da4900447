// Hash routing: `#/`, `#/library`, `#/outline/<id>`, `#/deck/<id>`, each with an optional
// `?query`. The hash keeps a deck's place across reloads and needs no server catch-all.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ROUTES = [
  { name: "new", pattern: /^\/?$/ },
  { name: "library", pattern: /^\/library\/?$/ },
  { name: "outline", pattern: /^\/outline\/([^/]+)\/?$/ },
  { name: "deck", pattern: /^\/deck\/([^/]+)\/?$/ },
];

/** {name, id, query} for a hash; ids must be UUIDs (they go into API paths). */
export function parse(hash) {
  const raw = hash.replace(/^#/, "");
  const [path, search = ""] = raw.split("?");
  const query = new URLSearchParams(search);
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    const id = match[1];
    if (id !== undefined && !UUID.test(id)) return { name: "not-found", query };
    return { name: route.name, id, query };
  }
  return { name: "not-found", query };
}

export function href(name, id, query) {
  const search = query && Object.keys(query).length ? `?${new URLSearchParams(query)}` : "";
  if (name === "new") return `#/${search}`;
  if (name === "library") return `#/library${search}`;
  return `#/${name}/${id}${search}`;
}

export function navigate(name, id, query, { replace = false } = {}) {
  const target = href(name, id, query);
  if (replace) {
    history.replaceState(null, "", target);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = target;
  }
}

/** Call `onRoute(route)` now and on every hash change that names a route. */
export function start(onRoute) {
  const run = () => {
    // In-page anchors (not "#/..."), e.g. a skip link, are not routes.
    if (location.hash && !location.hash.startsWith("#/")) return;
    onRoute(parse(location.hash || "#/"));
  };
  window.addEventListener("hashchange", run);
  run();
}
