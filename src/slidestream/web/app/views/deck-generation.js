// The live part of the deck view: the deck stream (attach, resume and replay are the
// helper's and the server's), a progress bar with "k of n" and elapsed time, the
// connection state, and a Cancel button (`POST /presentation/cancel/{id}`). The stream opens
// with a deck-scoped token (EventSource cannot send the key); an expired one is replaced by
// the helper on the reconnect the server refuses, which goes on from the last event id.

import { api, streamTokens } from "../api.js";
import { announce, h, icon } from "../dom.js";
import { plainMessage } from "../errors.js";
import { elapsed } from "../format.js";
import { streamDeck } from "/web/slidestream.js";

const startKey = (id) => `slidestream:started:${id}`;

function startedAt(id) {
  try {
    const stored = Number(sessionStorage.getItem(startKey(id)));
    if (stored > 0) return stored;
    const now = Date.now();
    sessionStorage.setItem(startKey(id), String(now));
    return now;
  } catch {
    return Date.now();
  }
}

/**
 * handlers: onSlide(slide), onComplete(presentation), onError(detail), onReset().
 * Returns {element, start(), stop(), setProgress(done, total)}.
 */
export function generationPanel(id, handlers) {
  let stream = null;
  const token = streamTokens(id);
  let timer = 0;
  let since = 0;
  const bar = h("progress", { className: "gen-bar", max: "1", value: "0", "aria-label": "Slides written" });
  const count = h("span", { className: "gen-count", text: "Starting…" });
  const clock = h("span", { className: "gen-clock", "aria-label": "Elapsed time" });
  const connection = h("span", { className: "gen-connection", hidden: true });
  const problem = h("span", { className: "gen-problem" });
  const cancel = h("button", { type: "button", className: "btn btn-danger" }, icon("stop"), "Cancel");
  const element = h(
    "section",
    { className: "generation card", "aria-label": "Generation progress", hidden: true },
    h(
      "div",
      { className: "gen-line" },
      h("span", { className: "spinner gen-spinner", "aria-hidden": "true" }),
      h("div", { className: "gen-text" }, count, h("span", { className: "gen-sep", "aria-hidden": "true", text: "·" }), clock, connection),
      cancel,
    ),
    bar,
    problem,
  );

  function tick() {
    clock.textContent = `${elapsed(Date.now() - since)} elapsed`;
  }

  function setProgress(done, total) {
    bar.max = Math.max(total, 1);
    bar.value = Math.min(done, total);
    count.textContent = done >= total ? `All ${total} slides written` : `${done} of ${total} slides written`;
  }

  function finish() {
    clearInterval(timer);
    timer = 0;
    element.hidden = true;
    element.dataset.state = "done";
    try {
      sessionStorage.removeItem(startKey(id));
    } catch {
      // nothing to forget
    }
  }

  function start() {
    stream?.close();
    since = startedAt(id);
    tick();
    clearInterval(timer);
    timer = setInterval(tick, 1000);
    element.hidden = false;
    element.dataset.state = "streaming";
    problem.replaceChildren();
    cancel.disabled = false;
    stream = streamDeck(id, { maxBackoffMs: 5000, token });
    stream.addEventListener("slide", (event) => handlers.onSlide({ ...event.detail.slide, index: event.detail.slide.index ?? event.detail.index }));
    stream.addEventListener("reset", () => handlers.onReset());
    stream.addEventListener("connection", (event) => {
      const state = event.detail.state;
      element.dataset.connection = state;
      const lost = state === "reconnecting";
      connection.hidden = !lost;
      connection.textContent = lost ? "Connection lost, reconnecting…" : "";
      if (lost && event.detail.attempt === 1) announce("Connection lost. Reconnecting…");
    });
    stream.addEventListener("complete", (event) => {
      finish();
      handlers.onComplete(event.detail.presentation);
    });
    stream.addEventListener("ended", () => {
      finish();
      handlers.onComplete(null);
    });
    stream.addEventListener("error", (event) => {
      finish();
      const { detail, reason, status } = event.detail;
      handlers.onError(detail || "Generation failed", { reason, status });
    });
  }

  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try {
      await api.cancel(id);
      // The stream ends with "Generation was cancelled"; the deck view reports it.
    } catch (error) {
      cancel.disabled = false;
      problem.textContent = plainMessage(error);
    }
  });

  return {
    element,
    start,
    setProgress,
    stop() {
      clearInterval(timer);
      stream?.close();
      stream = null;
    },
    get streaming() {
      return element.dataset.state === "streaming";
    },
  };
}
