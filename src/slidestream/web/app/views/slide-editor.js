// Editing one slide: a field for every text of its content (string leaves, not URLs and not
// the `__…__` keys the generator keeps for itself) and its speaker notes; and the
// "regenerate this slide" dialog with an optional instruction.

import { h } from "../dom.js";
import { openDialog } from "../components/dialog.js";

const RESERVED = /^__.*__$/;
const URLISH = /^(?:[a-z][a-z0-9+.-]*:|\/|www\.)/i;
const URL_KEYS = /(?:url|src|href|path)$/i;
const SPEAKER_NOTE = "__speaker_note__";

function words(key) {
  return String(key).replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase());
}

/** [{path, label, value}] for every editable text of a slide's content, in order. */
export function textFields(content) {
  const fields = [];
  const walk = (value, path, label) => {
    if (typeof value === "string") {
      const key = path[path.length - 1];
      if (typeof key === "string" && URL_KEYS.test(key)) return;
      if (URLISH.test(value.trim()) && !/\s/.test(value.trim())) return;
      fields.push({ path, label: label || "Text", value });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, [...path, i], `${label} ${i + 1}`.trim()));
    } else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (RESERVED.test(key)) continue;
        walk(item, [...path, key], label ? `${label} · ${words(key)}` : words(key));
      }
    }
  };
  walk(content, [], "");
  return fields;
}

function setPath(target, path, value) {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
}

/** Opens the editor; resolves {content, speaker_note} to save, or null when cancelled. */
export function editSlideText(slide, number) {
  const fields = textFields(slide.content);
  const controls = fields.map((field, i) => {
    const id = `edit-field-${i}`;
    const long = field.value.length > 40 || field.value.includes("\n");
    const control = long
      ? h("textarea", { id, rows: String(Math.min(6, Math.ceil(field.value.length / 60) + 1)), value: field.value })
      : h("input", { id, type: "text", value: field.value });
    return { field, control, element: h("div", { className: "field" }, h("label", { htmlFor: id, text: field.label }), control) };
  });
  const note = h("textarea", { id: "edit-notes", rows: "4", value: slide.speaker_note || slide.content?.[SPEAKER_NOTE] || "" });
  return openDialog({
    title: `Edit slide ${number}`,
    description: fields.length ? "Change the words; the slide is laid out again to fit them." : "This slide has no text to edit.",
    className: "editor-dialog",
    build: () => [
      h("div", { className: "editor-fields" }, controls.map((c) => c.element)),
      h("div", { className: "field" }, h("label", { htmlFor: "edit-notes", text: "Speaker notes" }), note),
    ],
    actions: (close) => [
      h("button", { type: "button", className: "btn", text: "Cancel", on: { click: () => close(null) } }),
      h("button", {
        type: "button",
        className: "btn btn-primary",
        text: "Save changes",
        on: {
          click: () => {
            const content = structuredClone(slide.content);
            for (const { field, control } of controls) setPath(content, field.path, control.value);
            if (typeof content[SPEAKER_NOTE] === "string") content[SPEAKER_NOTE] = note.value;
            close({ content, speaker_note: note.value });
          },
        },
      }),
    ],
  }).then((result) => result || null);
}

/** Asks what to change; resolves {prompt} to regenerate, or null when cancelled. */
export function askRegenerate(number) {
  const prompt = h("textarea", { id: "regen-prompt", rows: "3", maxlength: "4000", placeholder: "For example: Shorter bullets, and a concrete example." });
  return openDialog({
    title: `Regenerate slide ${number}`,
    description: "The slide is written again with the same layout. Say what should change, or leave it empty.",
    build: () => [h("div", { className: "field" }, h("label", { htmlFor: "regen-prompt", text: "Instruction (optional)" }), prompt)],
    actions: (close) => [
      h("button", { type: "button", className: "btn", text: "Cancel", on: { click: () => close(null) } }),
      h("button", { type: "button", className: "btn btn-primary", text: "Regenerate", on: { click: () => close({ prompt: prompt.value.trim() }) } }),
    ],
  }).then((result) => result || null);
}
