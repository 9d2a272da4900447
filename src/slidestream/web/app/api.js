// The server's HTTP API, as small async functions. Failures become ApiError with a
// message a person can read: the server's JSON `detail` when it sent one. Calls to `/api/`
// carry the stored API key; a 401 is reported to the handler set with onUnauthorized().

import { storedKey } from "./credentials.js";

export const API = "/api/v1/ppt";
const WEB = "/api/web";

export class ApiError extends Error {
  constructor(message, { status = 0, detail = null, network = false } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.network = network;
  }
}

function detailText(detail) {
  if (typeof detail === "string") return detail;
  // FastAPI validation errors: [{loc, msg}, ...]
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const field = Array.isArray(item?.loc) ? item.loc.filter((p) => p !== "body").join(" › ") : "";
        return field ? `${field}: ${item.msg}` : String(item?.msg ?? "");
      })
      .join("; ");
  }
  return "";
}

const STATUS_WORDS = {
  404: "It no longer exists (it may have been deleted).",
  409: "That cannot be done while the deck is being generated.",
  413: "That is too large for the server.",
  502: "The language model failed to answer.",
  503: "The server cannot generate right now.",
  504: "The server took too long to answer.",
};

async function failure(response) {
  let detail = null;
  try {
    detail = (await response.json()).detail;
  } catch {
    // Not JSON (a proxy's error page): fall back to the status.
  }
  const text = detailText(detail);
  const fallback = STATUS_WORDS[response.status] || `The server answered ${response.status}.`;
  return new ApiError(text || fallback, { status: response.status, detail });
}

let unauthorized = null;

/** `handler(error)` is called when the server refuses the stored key (or its absence). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/**
 * fetch() with errors in plain words. Resolves to the Response when it is ok. `key`
 * overrides the stored key (checking one before keeping it); such a call reports no 401.
 */
export async function send(path, { method = "GET", json, body, signal, headers = {}, key } = {}) {
  const init = { method, signal, headers: { Accept: "application/json", ...headers } };
  const usedKey = key ?? storedKey();
  if (usedKey && path.startsWith("/api/")) init.headers.Authorization = `Bearer ${usedKey}`;
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError("Cannot reach the slidestream server. Check your connection; nothing is lost.", {
      network: true,
    });
  }
  if (!response.ok) {
    const error = await failure(response);
    // Only the key still in use is signed out: an answer to an older one changes nothing.
    if (response.status === 401 && key === undefined && usedKey === storedKey()) unauthorized?.(error);
    throw error;
  }
  return response;
}

export async function getJSON(path, options) {
  const response = await send(path, options);
  return response.status === 204 ? null : response.json();
}

const post = (path, json, options = {}) => getJSON(path, { ...options, method: "POST", json });

/** Retry a GET through network loss and 5xx answers until it works or `signal` aborts. */
export async function getPatiently(path, { signal, maxDelayMs = 4000 } = {}) {
  let delay = 250;
  for (;;) {
    try {
      return await getJSON(path, { signal });
    } catch (error) {
      const transient = error instanceof ApiError && (error.network || error.status >= 500);
      if (!transient || signal?.aborted) throw error;
    }
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, delay);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new DOMException("Aborted", "AbortError"));
      });
    });
    delay = Math.min(delay * 2, maxDelayMs);
  }
}

export const api = {
  health: () => getJSON("/health"),
  templates: () => getJSON(`${WEB}/templates`),
  layout: (name) => getJSON(`${API}/layouts/${encodeURIComponent(name)}`),
  upload(files) {
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    return getJSON(`${API}/files/upload`, { method: "POST", body: form });
  },
  create: (fields) => post(`${API}/presentation/create`, fields),
  presentation: (id, options) => getJSON(`${API}/presentation/${id}`, options),
  all: () => getJSON(`${API}/presentation/all`),
  library: () => getJSON("/api/web/presentations"),
  remove: (id) => send(`${API}/presentation/${id}`, { method: "DELETE" }),
  outline: (id) => getJSON(`${API}/outlines/${id}`),
  putOutline: (id, slides) =>
    getJSON(`${API}/outlines/${id}`, { method: "PUT", json: { slides } }),
  prepare: (id, outlines, layout) =>
    post(`${API}/presentation/prepare`, { presentation_id: id, outlines, layout }),
  cancel: (id) => post(`${API}/presentation/cancel/${id}`),
  update: (body) => getJSON(`${API}/presentation/update`, { method: "PATCH", json: body }),
  regenerateSlide: (id, prompt) => post(`${API}/slide/regenerate`, { id, prompt: prompt || null }),
  deckGeometry: (id, options) => getPatiently(`${WEB}/presentations/${id}/geometry`, options),
  slideGeometry: (id, index, options) =>
    getPatiently(`${WEB}/presentations/${id}/geometry/${index}`, options),
  download: (id, format) => send(`${API}/presentation/download/${id}?format=${format}`),
  streamToken: (id) => post(`${API}/presentation/stream_token/${id}`),
  /** Whether the server takes `key`: resolves, or throws ApiError (401 with its detail). */
  checkKey: (key) => send(`${WEB}/fonts`, { key }),
};

const TOKEN_MARGIN_MS = 30000;

/**
 * The `token` option of slidestream.js for deck `id`: a stream token minted with
 * `POST /presentation/stream_token/{id}`, kept until shortly before it expires, and minted
 * again when the helper says the server refused it (`refresh`).
 */
export function streamTokens(id) {
  let current = null;
  return async ({ refresh = false } = {}) => {
    if (refresh || !current || Date.now() > current.until) {
      const minted = await api.streamToken(id);
      const seconds = Math.max(0, Number(minted.expires_in) || 0);
      const lifetime = seconds * 1000 - Math.min(TOKEN_MARGIN_MS, seconds * 500);
      current = { token: minted.token, until: Date.now() + lifetime };
    }
    return current.token;
  };
}
