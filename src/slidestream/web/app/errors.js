// Errors in plain words, and the error boundary: nothing that goes wrong leaves a blank page.

import { ApiError } from "./api.js";
import { h, icon } from "./dom.js";

/** A sentence a person can act on, from any thrown value. */
export function plainMessage(error) {
  if (error instanceof ApiError) return error.message;
  if (error?.name === "AbortError") return "The request was stopped.";
  const text = error?.message || String(error || "");
  return text ? `Unexpected error: ${text}` : "An unexpected error happened.";
}

/** A notice block: {title, message, kind: error|warn|info, actions: [element], live}. */
export function notice({ title, message, kind = "error", actions = [], live = true }) {
  const body = h(
    "div",
    { className: "notice-body" },
    title ? h("p", { className: "notice-title", text: title }) : null,
    message ? h("p", { className: "notice-message", text: message }) : null,
    actions.length ? h("div", { className: "notice-actions" }, actions) : null,
  );
  const role = !live ? null : kind === "error" ? "alert" : "status";
  return h("div", { className: `notice notice-${kind}`, role }, body);
}

/** The panel a view shows in place of itself when it cannot be shown. */
export function errorPanel(error, { retry, title = "This page could not be shown" } = {}) {
  const actions = [];
  if (retry) actions.push(h("button", { type: "button", className: "btn", on: { click: retry } }, icon("refresh"), "Try again"));
  actions.push(h("a", { className: "btn btn-ghost", href: "#/" }, "Start a new deck"));
  actions.push(h("a", { className: "btn btn-ghost", href: "#/library" }, "Open the library"));
  return notice({ title, message: plainMessage(error), actions });
}

let installed = false;

/** Unexpected failures anywhere (a bug, a rejected promise nobody awaited) show a banner. */
export function installErrorBoundary() {
  if (installed) return;
  installed = true;
  const crash = document.getElementById("crash");
  const show = (error) => {
    if (error?.name === "AbortError") return;
    console.error(error);
    const dismiss = h("button", { type: "button", className: "btn", text: "Dismiss" });
    const reload = h("button", { type: "button", className: "btn btn-primary", text: "Reload the page" });
    dismiss.addEventListener("click", () => {
      crash.hidden = true;
    });
    reload.addEventListener("click", () => location.reload());
    crash.replaceChildren(
      notice({
        title: "Something went wrong",
        message: `${plainMessage(error)} Your decks are safe on the server; reloading usually helps.`,
        actions: [reload, dismiss],
      }),
    );
    crash.hidden = false;
  };
  window.addEventListener("error", (event) => show(event.error || event.message));
  window.addEventListener("unhandledrejection", (event) => show(event.reason));
}

const PROVIDER_TROUBLE = /API error|rate limit|timed out|did not answer|could not connect|could not be reached|connection failed|overloaded|server error|unavailable|\b5\d\d\b/i;
const PROVIDER_REFUSED = /\b40[13]\b|API key|permission/i;

/** The stream's error `detail`, with what a person can do about it. */
export function generationMessage(detail) {
  const text = String(detail || "Generation failed.");
  if (PROVIDER_REFUSED.test(text)) {
    return `${text} The language model refused the request: check the server's API key and model settings.`;
  }
  if (PROVIDER_TROUBLE.test(text)) {
    return `${text} The language model provider is having trouble; try again in a moment.`;
  }
  return text;
}
