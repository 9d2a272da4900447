/**
 * slidestream.js: a dependency-free browser helper for Presenton-style presentation streams.
 *
 * It wraps `EventSource` for `GET /api/v1/ppt/outlines/stream/{id}` and
 * `GET /api/v1/ppt/presentation/stream/{id}`: it accumulates `chunk` frames, parses the
 * partial JSON they form, hands out outlines and slides as plain data, and survives lost
 * networks (resuming by event id where the server sends ids; where it does not, re-reading
 * the stored presentation first and de-duplicating slides on a replay). On servers that
 * require API keys it opens streams with a deck-scoped `?token=` (EventSource cannot send an
 * Authorization header) and asks for a fresh one when a reconnect is refused with 401. It
 * never touches the DOM. Documentation: docs/browser-helper.md.
 */

const OUTLINE_PATH = "/outlines/stream/";
// What a deck stream's first chunk holds. Put in front of the text when a stream resumes
// from an id without the text received before it, so the slides still parse.
const DECK_OPENING = '{ "slides": [ ';
const CLOSED = 2; // EventSource.CLOSED, without needing the global in Node
// 408, 425 and 429 say "try again later"; every other 4xx will not change by retrying.
const RETRYABLE_4XX = new Set([408, 425, 429]);
const PROBE_TIMEOUT_MS = 15000;
const DETAIL_MAX_CHARS = 64 * 1024;
// Deeper nesting than any presentation has; stops a hostile "[[[[..." from exhausting the stack.
const MAX_DEPTH = 512;

// --- tolerant parsing of JSON prefixes --------------------------------------------------

const NOTHING = Symbol("nothing");
const VALUE_START = /[{["\-0-9tfn]/;
const NUMBER_CHARS = /[-+0-9.eE]/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;
const ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * Parses a prefix of a JSON document. Open strings, arrays and objects are closed; a key
 * without a value, a partial literal, a half-written escape and a number that may still
 * grow are left out, so the value for a longer prefix only ever extends the value for a
 * shorter one. Missing commas between values are accepted (Presenton's deck text has none),
 * and text before the first `{` or `[` (a model's preamble) is skipped. Parsing stops at the
 * first character that cannot continue the document.
 */
class PrefixParser {
  constructor(text) {
    this.text = text;
    this.pos = 0;
    this.depth = 0;
    /** Objects and arrays whose closing bracket was seen: complete values. */
    this.closed = new Set();
  }

  parseDocument() {
    this.skipSpace();
    if (this.pos < this.text.length && !VALUE_START.test(this.text[this.pos])) {
      const starts = [this.text.indexOf("{", this.pos), this.text.indexOf("[", this.pos)];
      const found = starts.filter((at) => at >= 0);
      if (found.length === 0) return undefined;
      this.pos = Math.min(...found);
    }
    const value = this.parseValue();
    return value === NOTHING ? undefined : value;
  }

  atEnd() {
    return this.pos >= this.text.length;
  }

  /** Garbage: treat it as the end of the text, which keeps results growing. */
  stop() {
    this.pos = this.text.length;
    return NOTHING;
  }

  skipSpace() {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
      pos += 1;
    }
    this.pos = pos;
  }

  parseValue() {
    this.skipSpace();
    if (this.atEnd()) return NOTHING;
    const c = this.text[this.pos];
    if (c === "{" || c === "[") {
      if (this.depth >= MAX_DEPTH) return this.stop();
      this.depth += 1;
      const value = c === "{" ? this.parseObject() : this.parseArray();
      this.depth -= 1;
      return value;
    }
    if (c === '"') return this.parseString().value;
    if (c === "-" || (c >= "0" && c <= "9")) return this.parseNumber();
    if (c === "t") return this.parseLiteral("true", true);
    if (c === "f") return this.parseLiteral("false", false);
    if (c === "n") return this.parseLiteral("null", null);
    return this.stop();
  }

  parseObject() {
    const object = {};
    this.pos += 1;
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) return object;
      const c = this.text[this.pos];
      if (c === "}") {
        this.pos += 1;
        this.closed.add(object);
        return object;
      }
      if (c === ",") {
        this.pos += 1;
        continue;
      }
      if (c !== '"') {
        this.stop();
        return object;
      }
      const key = this.parseString();
      if (!key.complete) return object; // a key still being written
      this.skipSpace();
      if (this.atEnd()) return object;
      if (this.text[this.pos] !== ":") {
        this.stop();
        return object;
      }
      this.pos += 1;
      const value = this.parseValue();
      if (value === NOTHING) return object; // a dangling key: no usable value yet
      // defineProperty, so that a "__proto__" key is data (as in JSON.parse), not a prototype.
      Object.defineProperty(object, key.value, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
  }

  parseArray() {
    const array = [];
    this.pos += 1;
    for (;;) {
      this.skipSpace();
      if (this.atEnd()) return array;
      const c = this.text[this.pos];
      if (c === "]") {
        this.pos += 1;
        this.closed.add(array);
        return array;
      }
      if (c === ",") {
        this.pos += 1;
        continue;
      }
      const value = this.parseValue();
      if (value === NOTHING) return array;
      array.push(value);
    }
  }

  /** {value, complete}: an unterminated string keeps what was written so far. */
  parseString() {
    const text = this.text;
    let pos = this.pos + 1;
    let value = "";
    for (;;) {
      const quote = text.indexOf('"', pos);
      const backslash = text.indexOf("\\", pos);
      if (quote < 0 && backslash < 0) {
        this.pos = text.length;
        return { value: value + text.slice(pos), complete: false };
      }
      if (backslash < 0 || (quote >= 0 && quote < backslash)) {
        this.pos = quote + 1;
        return { value: value + text.slice(pos, quote), complete: true };
      }
      value += text.slice(pos, backslash);
      const escape = text[backslash + 1];
      if (escape === undefined) {
        this.pos = text.length; // a half-written escape is left out
        return { value, complete: false };
      }
      if (escape === "u") {
        const hex = text.slice(backslash + 2, backslash + 6);
        if (hex.length < 4) {
          this.pos = text.length;
          return { value, complete: false };
        }
        if (/^[0-9a-fA-F]{4}$/.test(hex)) {
          value += String.fromCharCode(parseInt(hex, 16));
          pos = backslash + 6;
        } else {
          value += "u"; // not an escape a writer meant; keep the text, best effort
          pos = backslash + 2;
        }
        continue;
      }
      value += Object.hasOwn(ESCAPES, escape) ? ESCAPES[escape] : escape;
      pos = backslash + 2;
    }
  }

  parseNumber() {
    const text = this.text;
    let end = this.pos;
    while (end < text.length && NUMBER_CHARS.test(text[end])) end += 1;
    if (end >= text.length) {
      // More digits may follow: leave the number out until something ends it.
      this.pos = end;
      return NOTHING;
    }
    const written = text.slice(this.pos, end);
    if (!JSON_NUMBER.test(written)) return this.stop();
    this.pos = end;
    return Number(written);
  }

  parseLiteral(word, value) {
    const rest = this.text.slice(this.pos, this.pos + word.length);
    if (rest === word) {
      this.pos += word.length;
      return value;
    }
    if (this.pos + rest.length >= this.text.length && word.startsWith(rest)) {
      this.pos = this.text.length; // a partial literal ("tr") is left out
      return NOTHING;
    }
    return this.stop();
  }
}

/** The parsed value and the set of containers that were complete (closed). */
function parseWithCompleteness(text) {
  const parser = new PrefixParser(text);
  try {
    return { value: parser.parseDocument(), closed: parser.closed };
  } catch {
    // Never throw on model output; a failure here means "nothing usable yet".
    return { value: undefined, closed: new Set() };
  }
}

/**
 * The best-effort value of a JSON prefix, or `undefined` when nothing usable has been
 * written yet. Never throws. Results for longer prefixes only extend shorter ones.
 */
export function parsePartialJSON(text) {
  if (typeof text !== "string") return undefined;
  return parseWithCompleteness(text).value;
}

function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The slide objects of a deck document whose closing brace has been seen, in order. */
function completeSlides(text) {
  const { value, closed } = parseWithCompleteness(text);
  const list = Array.isArray(value) ? value : isPlainObject(value) ? value.slides : undefined;
  const complete = [];
  if (!Array.isArray(list)) return complete;
  for (const item of list) {
    if (!isPlainObject(item) || !closed.has(item)) break;
    complete.push(item);
  }
  return complete;
}

/** Whether a deck chunk opens the document (`{ "slides": [ `), rather than carrying a slide. */
function isDeckOpening(chunk) {
  const start = parsePartialJSON(chunk);
  return isPlainObject(start) && Array.isArray(start.slides);
}

/** Always `{slides: [...]}`, whatever shape the partial text has reached. */
function normalizeOutline(value) {
  const list = Array.isArray(value) ? value : isPlainObject(value) ? value.slides : undefined;
  if (!Array.isArray(list)) return { slides: [] };
  const slides = list
    .map((item) => (typeof item === "string" ? { content: item } : item))
    .filter(isPlainObject);
  return { ...(isPlainObject(value) ? value : {}), slides };
}

// --- the stream -------------------------------------------------------------------------

function inferKind(url) {
  return String(url).includes(OUTLINE_PATH) ? "outline" : "deck";
}

/**
 * `GET {base}/api/v1/ppt/presentation/{id}` for a stream URL `{base}/api/v1/ppt/
 * (presentation|outlines)/stream/{id}`, or null when the URL has another shape.
 */
function storedPresentationUrl(streamUrl) {
  let url;
  try {
    url = new URL(streamUrl, globalThis.location?.href ?? "http://localhost/");
  } catch {
    return null;
  }
  const match = /^(.*)\/(?:presentation|outlines)\/stream\/([^/]+)\/?$/.exec(url.pathname);
  if (!match) return null;
  url.pathname = `${match[1]}/presentation/${match[2]}`;
  url.search = "";
  url.hash = "";
  return url.href;
}

function backoffDelay(attempt, initialMs, maxMs) {
  // Exponential with "equal jitter": half fixed, half random, so clients that lost the
  // same network do not come back in lockstep and no wait collapses to zero.
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

async function readSmallText(response, limit) {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return text.slice(0, limit);
}

/** The server's `detail`, as text: a string, or FastAPI's validation list, or the status. */
function describeError(status, body) {
  let detail;
  try {
    detail = JSON.parse(body).detail;
  } catch {
    detail = undefined;
  }
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail)) {
    const messages = detail.map((item) => (isPlainObject(item) ? item.msg : item));
    const text = messages.filter((m) => typeof m === "string").join("; ");
    if (text) return text;
  }
  return `HTTP ${status}`;
}

/**
 * One outline or deck stream. Events (CustomEvent, payload in `event.detail`): status,
 * outline, slide, slides, complete, error, ended, reset, connection, frame.
 * Create it, add listeners, then `start()`; or use `streamOutline` / `streamDeck`.
 */
export class SlideStream extends EventTarget {
  #url;
  #kind;
  #withCredentials;
  #EventSource;
  #initialBackoffMs;
  #maxBackoffMs;
  #presentationUrl; // the stored presentation, re-read before reconnecting without ids; or null
  #token; // the `token` option: null, a string, or a function returning (a promise of) one
  #fetch; // the `fetch` option, or null for the global fetch
  #headers; // the `headers` option for the stored-presentation read: null, an object or a function

  #state = "idle";
  #es = null;
  #attempt = 0;
  #retryTimer = null;
  #probe = null; // AbortController of the diagnostic fetch in flight
  #finished = false;
  #connectSerial = 0; // the newest connection being opened (a token may still be on its way)
  #currentToken = ""; // the token the current connection was opened with
  #tokenRefreshed = false; // a 401 made us fetch a new token; cleared when a connection opens

  #lastEventId = "";
  #noIds = false; // the last frame came without an id: the server cannot resume
  #connectedOnce = false;
  #firstFrameOfConnection = false;
  #text = "";
  #prefix = ""; // synthetic deck opening when resuming without the earlier text
  #replayFloor = 0; // outline: text length already shown before a replay from the start
  #outline = { slides: [] };
  #slidesByIndex = new Map();
  #slideList = [];
  #dispatched = new Set(); // slide indices handed out as "slide" events in this run
  #handledSlides = 0; // complete slide objects of the current text already looked at

  #done;
  #resolveDone;

  constructor(
    url,
    {
      kind,
      lastEventId,
      text,
      withCredentials = false,
      EventSourceImpl,
      maxBackoffMs = 30000,
      initialBackoffMs = 1000,
      presentationUrl,
      token,
      fetch: fetchImpl,
      headers,
    } = {},
  ) {
    super();
    this.#url = String(url);
    this.#kind = kind ?? inferKind(this.#url);
    if (this.#kind !== "outline" && this.#kind !== "deck") {
      throw new TypeError(`kind must be "outline" or "deck", not ${JSON.stringify(kind)}`);
    }
    this.#withCredentials = Boolean(withCredentials);
    this.#EventSource = EventSourceImpl ?? globalThis.EventSource;
    this.#maxBackoffMs = Math.max(0, Number(maxBackoffMs));
    this.#initialBackoffMs = Math.max(0, Math.min(Number(initialBackoffMs), this.#maxBackoffMs));
    // Where to re-read the stored presentation after a break without ids: derived from the
    // stream URL unless given; false (or null, "") turns the re-read off.
    this.#presentationUrl =
      presentationUrl === undefined
        ? storedPresentationUrl(this.#url)
        : presentationUrl
          ? String(presentationUrl)
          : null;
    if (token !== undefined && token !== null && typeof token !== "function" && typeof token !== "string") {
      throw new TypeError("token must be a string or a function returning one");
    }
    this.#token = token || null;
    if (typeof this.#token === "string") this.#currentToken = this.#token;
    if (fetchImpl !== undefined && fetchImpl !== null && typeof fetchImpl !== "function") {
      throw new TypeError("fetch must be a function");
    }
    this.#fetch = fetchImpl || null;
    this.#headers = headers || null;
    this.#lastEventId = lastEventId ? String(lastEventId) : "";
    // Earlier text only means something together with the id it ends at.
    this.#text = this.#lastEventId && typeof text === "string" ? text : "";
    if (this.#lastEventId && !this.#text) {
      if (this.#kind === "deck") {
        // Each slide is a whole object, so the rest of a deck parses on its own.
        this.#prefix = DECK_OPENING;
      } else {
        // The rest of an outline starts mid-string and cannot be parsed without its start:
        // ask for the whole outline again instead (the server replays it from storage).
        this.#lastEventId = "";
      }
    }
    if (this.#text) this.#adoptEarlierText();
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /** The stream's URL as given (resume parameters are added per connection). */
  get url() {
    return this.#url;
  }
  /** "outline" or "deck". */
  get kind() {
    return this.#kind;
  }
  /** The id of the last frame received: store it to resume later. */
  get lastEventId() {
    return this.#lastEventId;
  }
  /** The chunks received so far, concatenated (since the last reset). */
  get text() {
    return this.#text;
  }
  /** Deck: the complete slides received so far, by index. */
  get slides() {
    return this.#slideList.slice();
  }
  /** Outline: `{slides: [{content}]}` parsed from the text so far (the last item may be partial). */
  get outline() {
    return this.#outline;
  }
  /** "idle" | "connecting" | "open" | "reconnecting" | "closed". */
  get state() {
    return this.#state;
  }
  /** Settles once: {type: "complete"|"error"|"ended"|"closed", ...}. Never rejects. */
  get done() {
    return this.#done;
  }

  /** Opens the stream. Calling it again does nothing. */
  start() {
    if (this.#state !== "idle") return this;
    if (typeof this.#EventSource !== "function") {
      throw new TypeError("no EventSource here: pass options.EventSourceImpl");
    }
    this.#state = "connecting";
    this.#connect();
    // Deferred, so that listeners added right after `streamDeck(...)` returns still see it.
    queueMicrotask(() => {
      if (this.#state === "connecting") this.#emit("connection", { state: "connecting", attempt: 0 });
    });
    return this;
  }

  /** Stops listening (generation on the server goes on). `done` settles with "closed". */
  close() {
    this.#finish({ type: "closed" });
  }

  // --- connections --------------------------------------------------------------------

  #connectionUrl() {
    if (!this.#lastEventId && !this.#currentToken) return this.#url;
    // Query parameters, because EventSource cannot set headers; the native reconnects of
    // this EventSource still send Last-Event-ID, which the server prefers over the query.
    const base = globalThis.location?.href ?? "http://localhost/";
    const url = new URL(this.#url, base);
    if (this.#currentToken) url.searchParams.set("token", this.#currentToken);
    if (this.#lastEventId) url.searchParams.set("last_event_id", this.#lastEventId);
    return url.href;
  }

  /** fetch() as the `fetch` option gives it, else the global one. */
  #request(url, init) {
    const fetchImpl = this.#fetch ?? globalThis.fetch;
    return fetchImpl(url, init);
  }

  /**
   * Opens a connection. With a `token` function the token is asked for first (`refresh`:
   * the server refused the last one), so the EventSource is created a little later.
   */
  #connect(refresh = false) {
    const serial = ++this.#connectSerial;
    if (typeof this.#token !== "function") {
      this.#open();
      return;
    }
    let pending;
    try {
      pending = Promise.resolve(this.#token({ refresh }));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (token) => {
        if (this.#finished || serial !== this.#connectSerial) return;
        this.#currentToken = token === undefined || token === null ? "" : String(token);
        this.#open();
      },
      (error) => {
        if (this.#finished || serial !== this.#connectSerial) return;
        this.#onTokenFailure(error);
      },
    );
  }

  /**
   * The token function threw: a thrown value with a 4xx `status` (other than 408, 425, 429)
   * ends the stream, e.g. a revoked key that can mint nothing; anything else is retried.
   */
  #onTokenFailure(error) {
    const status = Number(error?.status);
    const text = error instanceof Error ? error.message : String(error ?? "");
    const detail = text || "Could not get a stream token";
    this.#attempt += 1;
    if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
      const failure = { detail, reason: "http", status };
      this.#finish({ type: "error", ...failure }, "error", failure);
      return;
    }
    this.#state = "reconnecting";
    this.#scheduleReconnect(Number.isFinite(status) && status > 0 ? status : undefined, detail);
  }

  #open() {
    const es = new this.#EventSource(this.#connectionUrl(), {
      withCredentials: this.#withCredentials,
    });
    this.#es = es;
    es.addEventListener("open", () => this.#onOpen(es));
    // Presenton names every event "response"; "message" covers servers that name none.
    es.addEventListener("response", (event) => this.#onMessage(es, event));
    es.addEventListener("message", (event) => this.#onMessage(es, event));
    es.addEventListener("error", () => this.#onError(es));
  }

  #onOpen(es) {
    if (es !== this.#es || this.#finished) return;
    this.#tokenRefreshed = false;
    this.#firstFrameOfConnection = true;
    this.#connectedOnce = true;
    const attempt = this.#attempt;
    this.#attempt = 0;
    this.#state = "open";
    this.#emit("connection", { state: "open", attempt });
  }

  #onError(es) {
    if (es !== this.#es || this.#finished) return;
    this.#attempt += 1;
    this.#state = "reconnecting";
    if (this.#noIds) {
      // No ids: the browser's own reconnect would be a stream request without a position.
      // On slidestream that starts a new run of a deck that failed or was cancelled in the
      // meantime; on Presenton it generates the deck again. Hang up and decide ourselves.
      const refused = es.readyState === CLOSED; // the browser gave up (an HTTP status)
      es.close();
      this.#es = null;
      this.#scheduleRecovery(refused);
      return;
    }
    if (es.readyState !== CLOSED) {
      // The browser reconnects by itself (after `retry:`), sending Last-Event-ID.
      this.#emit("connection", { state: "reconnecting", attempt: this.#attempt });
      return;
    }
    // The browser gave up: an HTTP error status, a 204, or a response that is not an
    // event stream. Ask the server why before deciding between retrying and stopping.
    es.close();
    this.#es = null;
    this.#diagnose();
  }

  async #diagnose() {
    const probe = new AbortController();
    this.#probe = probe;
    const timer = setTimeout(() => probe.abort(), PROBE_TIMEOUT_MS);
    let status;
    let detail;
    let verdict = "retry";
    try {
      // The same request as the EventSource's (its URL, no `headers`), so the answer is the
      // one the browser got.
      const response = await this.#request(this.#connectionUrl(), {
        headers: { Accept: "text/event-stream" },
        credentials: this.#withCredentials ? "include" : "same-origin",
        cache: "no-store",
        signal: probe.signal,
      });
      status = response.status;
      if (status === 204) {
        verdict = "ended";
      } else if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
        verdict = "fatal";
        detail = describeError(status, await readSmallText(response, DETAIL_MAX_CHARS));
      } else if (status >= 400) {
        detail = describeError(status, await readSmallText(response, DETAIL_MAX_CHARS));
      } else if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        // A 200 the browser refused: typically a login or error page from a proxy.
        detail = `Not an event stream: ${response.headers.get("content-type") ?? "no content-type"}`;
      }
    } catch {
      // A network error or the probe's own timeout: the network is still down; retry.
    } finally {
      clearTimeout(timer);
      // A 200 is a live stream (this server attaches it to the running job): hang up at
      // once; the EventSource opened next is the one that reads it.
      probe.abort();
    }
    if (this.#finished || this.#probe !== probe) return;
    this.#probe = null;
    if (verdict === "ended") {
      this.#finish({ type: "ended", lastEventId: this.#lastEventId }, "ended", {
        lastEventId: this.#lastEventId,
      });
    } else if (verdict === "fatal" && status === 401 && this.#mayRefreshToken()) {
      // The token expired (or was refused): ask for a new one once and go on from the
      // last id; a second 401 in a row ends the stream.
      this.#tokenRefreshed = true;
      this.#emit("connection", { state: "reconnecting", attempt: this.#attempt, delay: 0, status, detail });
      if (!this.#finished) this.#connect(true);
    } else if (verdict === "fatal") {
      const error = { detail, reason: "http", status };
      this.#finish({ type: "error", ...error }, "error", error);
    } else {
      this.#scheduleReconnect(status, detail);
    }
  }

  #mayRefreshToken() {
    return typeof this.#token === "function" && !this.#tokenRefreshed;
  }

  #scheduleReconnect(status, detail) {
    const delay = backoffDelay(this.#attempt, this.#initialBackoffMs, this.#maxBackoffMs);
    const info = { state: "reconnecting", attempt: this.#attempt, delay };
    if (status !== undefined) info.status = status;
    if (detail !== undefined) info.detail = detail;
    this.#emit("connection", info);
    if (this.#finished) return; // a listener closed the stream
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (!this.#finished) this.#connect();
    }, delay);
  }

  // --- recovering without ids ----------------------------------------------------------

  #scheduleRecovery(refused, status, detail) {
    const delay = backoffDelay(this.#attempt, this.#initialBackoffMs, this.#maxBackoffMs);
    const info = { state: "reconnecting", attempt: this.#attempt, delay };
    if (status !== undefined) info.status = status;
    if (detail !== undefined) info.detail = detail;
    this.#emit("connection", info);
    if (this.#finished) return; // a listener closed the stream
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (!this.#finished) this.#recover(refused);
    }, delay);
  }

  /**
   * After a break on a server without ids: re-read the stored presentation, then finish
   * from it (deck completed; deck or outline failed or cancelled after this stream had
   * connected) or open the stream again (still generating, or the server does not say).
   */
  async #recover(refused) {
    if (!this.#presentationUrl) {
      this.#reopen(refused);
      return;
    }
    const probe = new AbortController();
    this.#probe = probe;
    const timer = setTimeout(() => probe.abort(), PROBE_TIMEOUT_MS);
    let status;
    let detail;
    let stored;
    try {
      const extra = typeof this.#headers === "function" ? await this.#headers() : this.#headers;
      const response = await this.#request(this.#presentationUrl, {
        headers: { Accept: "application/json", ...(extra ?? {}) },
        credentials: this.#withCredentials ? "include" : "same-origin",
        cache: "no-store",
        signal: probe.signal,
      });
      status = response.status;
      if (response.ok) {
        try {
          stored = await response.json();
        } catch {
          detail = `Not a JSON presentation: ${response.headers.get("content-type") ?? "no content-type"}`;
        }
      } else {
        detail = describeError(status, await readSmallText(response, DETAIL_MAX_CHARS));
      }
    } catch {
      // A network error or the read's own timeout: the network is still down.
    } finally {
      clearTimeout(timer);
    }
    if (this.#finished || this.#probe !== probe) return;
    this.#probe = null;
    if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
      // The stored presentation cannot be read here (a gateway without that route, say):
      // let the stream itself answer.
      this.#reopen(refused);
      return;
    }
    if (!isPlainObject(stored)) {
      this.#attempt += 1;
      this.#scheduleRecovery(refused, status, detail);
      return;
    }
    const generation = isPlainObject(stored.generation) ? stored.generation : {};
    const stage = generation[this.#kind === "deck" ? "deck_status" : "outline_status"];
    if (this.#kind === "deck" && stage === "completed") {
      // Finished while we were away: the rest comes from the stored deck, with no stream.
      this.#handOutStored(stored);
      if (!this.#finished) this.#onComplete(stored);
      return;
    }
    if ((stage === "failed" || stage === "cancelled") && this.#connectedOnce) {
      // The run this stream was reading ended while we were away; a stream request
      // without an id would start a new one. End with the error the stream would have sent.
      this.#handOutStored(stored);
      if (this.#kind === "deck" && !this.#finished) this.#emit("slides", { slides: this.slides });
      const fallback = stage === "cancelled" ? "Generation was cancelled" : "Generation failed";
      const error = { detail: String(generation.error || fallback), reason: "server" };
      this.#finish({ type: "error", ...error }, "error", error);
      return;
    }
    this.#reopen(refused);
  }

  #reopen(refused) {
    if (this.#finished) return;
    // A browser that refused the last response (an HTTP status) would refuse it again:
    // ask the server why first, as with ids.
    if (refused) this.#diagnose();
    else this.#connect();
  }

  /** Deck: hand out the stored slides not handed out yet; keep the stored copies. */
  #handOutStored(presentation) {
    if (this.#kind !== "deck" || !Array.isArray(presentation.slides)) return;
    const stored = presentation.slides
      .filter(isPlainObject)
      .map((slide, position) => [Number.isInteger(slide.index) ? slide.index : position, slide])
      .sort((a, b) => a[0] - b[0]);
    const fresh = [];
    for (const [index, slide] of stored) {
      this.#slidesByIndex.set(index, slide);
      if (this.#dispatched.has(index)) continue;
      this.#dispatched.add(index);
      fresh.push({ slide, index });
    }
    this.#rebuildSlideList();
    for (const item of fresh) {
      this.#emit("slide", item);
      if (this.#finished) return;
    }
  }

  #teardown() {
    if (this.#es) {
      this.#es.close();
      this.#es = null;
    }
    if (this.#retryTimer !== null) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
    if (this.#probe) {
      this.#probe.abort();
      this.#probe = null;
    }
  }

  #finish(result, eventName, eventDetail) {
    if (this.#finished) return;
    this.#finished = true;
    // Closed before anything is dispatched: whatever a listener does, the browser cannot
    // reconnect (and, on Presenton, start the generation over) after a terminal frame.
    this.#teardown();
    this.#state = "closed";
    if (eventName) this.#emit(eventName, eventDetail);
    this.#emit("connection", { state: "closed", attempt: this.#attempt });
    this.#resolveDone(result);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  // --- frames -------------------------------------------------------------------------

  #onMessage(es, event) {
    if (es !== this.#es || this.#finished) return;
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return; // not a Presenton frame
    }
    if (!isPlainObject(frame) || typeof frame.type !== "string") return;
    const id = event.lastEventId || "";
    this.#noIds = !id;
    if (this.#firstFrameOfConnection) {
      this.#firstFrameOfConnection = false;
      // No id on a connection's first frame: the server does not resume (Presenton, or
      // slidestream's strict mode) and is replaying from the beginning.
      if (!id && (this.#text || this.#prefix)) this.#restartText();
    }
    if (id) this.#lastEventId = id;
    this.#emit("frame", { frame, id });
    if (this.#finished) return;
    switch (frame.type) {
      case "status":
        this.#emit("status", { status: frame.status });
        break;
      case "chunk":
        this.#onChunk(frame.chunk);
        break;
      case "complete":
        this.#onComplete(frame.presentation);
        break;
      case "error": {
        const error = { detail: String(frame.detail ?? "Generation failed"), reason: "server" };
        this.#finish({ type: "error", ...error }, "error", error);
        break;
      }
      case "reset":
        this.#onReset(frame.detail);
        break;
      default:
        break; // types from newer servers (e.g. slide_assets): the "frame" event has them
    }
  }

  /** Text given to the constructor was received before: its slides are not new. */
  #adoptEarlierText() {
    if (this.#kind === "outline") {
      this.#outline = normalizeOutline(parsePartialJSON(this.#text));
      return;
    }
    const complete = completeSlides(this.#text);
    complete.forEach((slide, position) => {
      const index = Number.isInteger(slide.index) ? slide.index : position;
      this.#dispatched.add(index);
      this.#slidesByIndex.set(index, slide);
    });
    this.#handledSlides = complete.length;
    this.#rebuildSlideList();
  }

  /** A replay from the start: drop the text but remember which slides went out. */
  #restartText() {
    this.#replayFloor = Math.max(this.#replayFloor, this.#text.length);
    this.#text = "";
    this.#prefix = "";
    this.#handledSlides = 0;
  }

  #onChunk(chunk) {
    if (typeof chunk !== "string") return;
    if (this.#prefix && !this.#text && isDeckOpening(chunk)) {
      // Resumed right before the opening (the id of a reset frame): the document starts
      // here after all, and a second opening in front of it would swallow every slide.
      this.#prefix = "";
    }
    this.#text += chunk;
    if (this.#kind === "outline") this.#updateOutline();
    else this.#updateSlides();
  }

  #updateOutline() {
    // While a replay re-sends text already shown, hold the outline still.
    if (this.#text.length < this.#replayFloor) return;
    this.#replayFloor = 0;
    this.#outline = normalizeOutline(parsePartialJSON(this.#text));
    this.#emit("outline", { outline: this.#outline, text: this.#text });
  }

  #updateSlides() {
    const complete = completeSlides(this.#prefix + this.#text);
    const fresh = [];
    let changed = false;
    for (let position = this.#handledSlides; position < complete.length; position += 1) {
      const slide = complete[position];
      const index = Number.isInteger(slide.index) ? slide.index : position;
      if (this.#dispatched.has(index)) {
        // Replayed after a reconnect without ids: keep the newest copy, say nothing new.
        if (JSON.stringify(this.#slidesByIndex.get(index)) !== JSON.stringify(slide)) {
          this.#slidesByIndex.set(index, slide);
          changed = true;
        }
        continue;
      }
      this.#dispatched.add(index);
      this.#slidesByIndex.set(index, slide);
      fresh.push({ slide, index });
      changed = true;
    }
    this.#handledSlides = complete.length;
    if (!changed) return;
    this.#rebuildSlideList();
    for (const item of fresh) {
      this.#emit("slide", item);
      if (this.#finished) return;
    }
    this.#emit("slides", { slides: this.slides });
  }

  #rebuildSlideList() {
    this.#slideList = [...this.#slidesByIndex.entries()]
      .sort((a, b) => a[0] - b[0])
      .map((entry) => entry[1]);
  }

  #onComplete(presentation) {
    if (this.#kind === "outline" && isPlainObject(presentation?.outlines)) {
      // The server's parsed, trimmed outline is the one to keep.
      this.#outline = normalizeOutline(presentation.outlines);
      this.#emit("outline", { outline: this.#outline, text: this.#text });
    } else if (this.#kind === "deck" && Array.isArray(presentation?.slides)) {
      // The final slides carry the real image URLs (the streamed ones have placeholders).
      this.#slidesByIndex = new Map(
        presentation.slides
          .filter(isPlainObject)
          .map((slide, position) => [Number.isInteger(slide.index) ? slide.index : position, slide]),
      );
      this.#rebuildSlideList();
      this.#emit("slides", { slides: this.slides });
    }
    if (this.#finished) return;
    this.#finish({ type: "complete", presentation }, "complete", { presentation });
  }

  #onReset(detail) {
    this.#text = "";
    this.#prefix = "";
    this.#replayFloor = 0;
    this.#handledSlides = 0;
    this.#outline = { slides: [] };
    this.#slidesByIndex = new Map();
    this.#slideList = [];
    this.#dispatched = new Set();
    this.#emit("reset", { detail: String(detail ?? "") });
    if (this.#kind === "deck" && !this.#finished) this.#emit("slides", { slides: [] });
  }
}

function streamUrl(path, id, baseUrl = "") {
  return `${String(baseUrl).replace(/\/+$/, "")}/api/v1/ppt/${path}/${encodeURIComponent(id)}`;
}

/** A started SlideStream of `GET {baseUrl}/api/v1/ppt/outlines/stream/{id}`. */
export function streamOutline(id, options = {}) {
  const { baseUrl, ...rest } = options;
  return new SlideStream(streamUrl("outlines/stream", id, baseUrl), {
    ...rest,
    kind: "outline",
  }).start();
}

/** A started SlideStream of `GET {baseUrl}/api/v1/ppt/presentation/stream/{id}`. */
export function streamDeck(id, options = {}) {
  const { baseUrl, ...rest } = options;
  return new SlideStream(streamUrl("presentation/stream", id, baseUrl), {
    ...rest,
    kind: "deck",
  }).start();
}
