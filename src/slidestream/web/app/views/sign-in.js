// Signing in: the API key the server asks for, checked against the server before it is
// kept (in this tab, or on this device when asked). Shown instead of any view while the
// server needs a key the app does not have, or after the server refused the stored one.

import { ApiError, api } from "../api.js";
import { h } from "../dom.js";
import { notice, plainMessage } from "../errors.js";

/**
 * reason: {title, message, kind} to show above the form, or null.
 * onSignedIn(key, {remember}) is called once the server has accepted the key.
 */
export function mountSignIn(root, { reason = null, onSignedIn }) {
  let left = false;
  const key = h("input", {
    type: "password",
    id: "api-key",
    name: "api-key",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "api-key-hint",
  });
  const remember = h("input", { type: "checkbox", id: "remember-key", "aria-describedby": "remember-key-hint" });
  const submit = h("button", { type: "submit", className: "btn btn-primary btn-lg", text: "Sign in" });
  const status = h("div", { className: "sign-in-status" });
  if (reason) status.append(notice({ kind: reason.kind || "error", title: reason.title, message: reason.message }));

  const form = h(
    "form",
    { className: "sign-in card", "aria-labelledby": "sign-in-title", novalidate: true },
    h("span", { className: "eyebrow", text: "API key" }),
    h("h1", { id: "sign-in-title", text: "Sign in" }),
    h("p", { text: "This slidestream server needs an API key. Ask its operator for one (they make keys with: slidestream keys create NAME)." }),
    status,
    h(
      "div",
      { className: "field" },
      h("label", { htmlFor: "api-key", text: "API key" }),
      key,
      h("span", { className: "hint", id: "api-key-hint", text: "It starts with ssk_. It is sent only in the Authorization header, never in an address." }),
    ),
    h(
      "div",
      { className: "field" },
      h("label", { className: "check", htmlFor: "remember-key" }, remember, "Remember on this device"),
      h("span", {
        className: "hint",
        id: "remember-key-hint",
        text: "Off: the key is forgotten when this tab closes. On: it stays in this browser until you sign out (not on a shared computer).",
      }),
    ),
    h("div", { className: "form-footer" }, submit),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = key.value.trim();
    if (!text) {
      status.replaceChildren(notice({ message: "Enter your API key." }));
      key.setAttribute("aria-invalid", "true");
      key.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Checking…";
    status.replaceChildren();
    try {
      await api.checkKey(text);
    } catch (error) {
      if (left) return;
      submit.disabled = false;
      submit.textContent = "Sign in";
      const refused = error instanceof ApiError && error.status === 401;
      status.replaceChildren(
        notice({
          title: refused ? "The server did not accept this key" : "The key could not be checked",
          message: plainMessage(error),
        }),
      );
      if (refused) key.setAttribute("aria-invalid", "true");
      key.focus();
      return;
    }
    if (left) return;
    key.removeAttribute("aria-invalid");
    onSignedIn(text, { remember: remember.checked });
  });

  root.append(form);
  queueMicrotask(() => {
    if (!left) key.focus();
  });
  return () => {
    left = true;
  };
}
