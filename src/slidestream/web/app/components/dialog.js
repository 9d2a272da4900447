// Modal dialogs on the native <dialog> element: focus moves in and is trapped by the
// browser, Escape closes, and focus returns to where it was.

import { h } from "../dom.js";

let counter = 0;
const open = new Set();

/** Dismiss every open dialog (as Escape would): a view that is left takes its dialogs along. */
export function closeDialogs() {
  for (const dialog of [...open]) dialog.close();
}

/**
 * Open a modal. `build(close)` returns the body's children; `actions(close)` the buttons.
 * Resolves with the value passed to close() (undefined when dismissed with Escape).
 */
export function openDialog({ title, description, build = () => [], actions = () => [], className = "" }) {
  const id = `dialog-${++counter}`;
  const previous = document.activeElement;
  return new Promise((resolve) => {
    let result;
    const dialog = h("dialog", { className, "aria-labelledby": `${id}-title` });
    const close = (value) => {
      result = value;
      dialog.close();
    };
    const body = h(
      "div",
      { className: "dialog-body" },
      h("h2", { id: `${id}-title`, text: title }),
      description ? h("p", { id: `${id}-desc`, text: description }) : null,
      build(close),
    );
    if (description) dialog.setAttribute("aria-describedby", `${id}-desc`);
    dialog.append(body, h("div", { className: "dialog-actions" }, actions(close)));
    dialog.addEventListener("close", () => {
      open.delete(dialog);
      dialog.remove();
      if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
      resolve(result);
    });
    document.body.append(dialog);
    open.add(dialog);
    dialog.showModal();
  });
}

/** Ask before something that cannot be undone. Resolves true when confirmed. */
export async function confirmDialog({ title, message, confirm = "Delete", danger = true }) {
  const answer = await openDialog({
    title,
    description: message,
    className: "confirm-dialog",
    actions: (close) => {
      const cancel = h("button", { type: "button", className: "btn", text: "Cancel", on: { click: () => close(false) } });
      const ok = h("button", {
        type: "button",
        className: danger ? "btn btn-danger-solid" : "btn btn-primary",
        text: confirm,
        on: { click: () => close(true) },
      });
      // The safe choice has focus, so a stray Enter never deletes anything.
      queueMicrotask(() => cancel.focus());
      return [cancel, ok];
    },
  });
  return answer === true;
}
