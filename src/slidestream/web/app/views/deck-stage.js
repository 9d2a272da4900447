// The stage: the selected slide drawn large, its toolbar (previous / next, edit text,
// regenerate) and its speaker notes.

import { h, icon } from "../dom.js";
import { slideFrame } from "../render.js";

export function deckStage({ onMove, onEdit, onRegenerate }) {
  const frame = h("div", { className: "stage-frame" });
  let drawn = {}; // what the frame shows, so an unchanged slide is not drawn again
  const position = h("span", { className: "stage-position", "aria-live": "off" });
  const prev = h("button", { type: "button", className: "icon-btn", "aria-label": "Previous slide", title: "Previous slide", on: { click: () => onMove(-1) } }, icon("left"));
  const next = h("button", { type: "button", className: "icon-btn", "aria-label": "Next slide", title: "Next slide", on: { click: () => onMove(1) } }, icon("right"));
  const edit = h("button", { type: "button", className: "btn", on: { click: () => onEdit() } }, icon("edit"), "Edit text");
  const regenerate = h("button", { type: "button", className: "btn", on: { click: () => onRegenerate() } }, icon("refresh"), "Regenerate");
  const notes = h("p", { className: "notes-text" });
  const busy = h("div", { className: "stage-busy", hidden: true }, h("span", { className: "spinner", "aria-hidden": "true" }), h("span", { className: "stage-busy-text" }));
  const element = h(
    "section",
    { className: "stage", "aria-label": "Selected slide" },
    h("div", { className: "stage-canvas" }, frame, busy),
    h(
      "div",
      { className: "stage-bar" },
      h("div", { className: "stage-nav" }, prev, position, next),
      h("div", { className: "stage-tools" }, edit, regenerate),
    ),
  );
  const notesElement = h("section", { className: "notes card", "aria-labelledby": "notes-title" }, h("h2", { id: "notes-title" }, icon("notes"), "Speaker notes"), notes);

  return {
    element,
    notes: notesElement,
    /** Show slide `index` of `total`: its geometry (null while it is being written). */
    show(index, total, geometry, slide, { editable, writing }) {
      position.textContent = total ? `${index + 1} / ${total}` : "";
      const focused = document.activeElement;
      prev.disabled = index <= 0;
      next.disabled = index >= total - 1;
      // At either end the button pressed is disabled: keep focus on the other one, not lost.
      if (focused === next && next.disabled && !prev.disabled) prev.focus();
      if (focused === prev && prev.disabled && !next.disabled) next.focus();
      const ready = Boolean(geometry);
      edit.disabled = !ready || !editable;
      regenerate.disabled = !ready || !editable;
      const label = `Slide ${index + 1} of ${total}`;
      const same = drawn.index === index && drawn.geometry === geometry && drawn.label === label;
      drawn = { index, geometry, label };
      frame.dataset.index = String(index);
      if (ready) {
        if (!same) frame.replaceChildren(slideFrame(geometry, { label }));
        const text = slide?.speaker_note || geometry.notes || "";
        notes.textContent = text || "This slide has no speaker notes.";
        notes.classList.toggle("notes-empty", !text);
      } else {
        frame.replaceChildren(
          h(
            "div",
            { className: `slide-frame stage-skeleton${writing ? " slide-skeleton" : ""}` },
            h("span", { className: "stage-skeleton-text", text: writing ? `Writing slide ${index + 1}…` : `Slide ${index + 1} has not been written` }),
          ),
        );
        notes.textContent = "";
      }
    },
    busy(message) {
      busy.hidden = !message;
      busy.querySelector(".stage-busy-text").textContent = message || "";
      element.setAttribute("aria-busy", message ? "true" : "false");
    },
  };
}
