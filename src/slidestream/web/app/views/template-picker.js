// The template picker: one radio card per built-in template group, each previewed with
// sample slides drawn from real geometry (the same placement the exports use).

import { api } from "../api.js";
import { h } from "../dom.js";
import { loadFonts } from "../fonts.js";
import { slideFrame } from "../render.js";

let templates = null;

/** The template groups with their sample slides (fetched once per page). */
export function loadTemplates() {
  templates ||= Promise.all([api.templates(), loadFonts()]).then(([list]) => list);
  templates.catch(() => {
    templates = null; // let a later attempt try again
  });
  return templates;
}

export const titleCase = (name) => String(name).charAt(0).toUpperCase() + String(name).slice(1);

function card(template, name, checked) {
  const [main, ...minis] = template.samples;
  const input = h("input", {
    type: "radio",
    name,
    value: template.name,
    className: "visually-hidden",
    checked,
    "aria-labelledby": `template-${template.name}-name`,
    "aria-describedby": `template-${template.name}-desc`,
  });
  return h(
    "label",
    { className: "template-card", dataset: { template: template.name } },
    input,
    h(
      "span",
      { className: "template-previews", "aria-hidden": "true" },
      main ? slideFrame(main, { decorative: true }) : null,
      h("span", { className: "template-minis" }, minis.map((g) => slideFrame(g, { decorative: true }))),
    ),
    h(
      "span",
      { className: "template-text" },
      h("span", { className: "template-name", id: `template-${template.name}-name` }, titleCase(template.name), template.default ? h("span", { className: "tag", text: "Default" }) : null),
      h("span", { className: "template-desc", id: `template-${template.name}-desc`, text: template.theme_description || template.description }),
    ),
  );
}

/** A radio group of template cards; `value()` is the chosen group's name. */
export async function templatePicker({ selected, name = "template" } = {}) {
  const list = await loadTemplates();
  const chosen = list.some((t) => t.name === selected) ? selected : (list.find((t) => t.default) || list[0])?.name;
  const fieldset = h(
    "fieldset",
    { className: "template-picker" },
    h("legend", { className: "field-label", text: "Template" }),
    h("div", { className: "template-grid" }, list.map((t) => card(t, name, t.name === chosen))),
  );
  return {
    element: fieldset,
    value: () => fieldset.querySelector("input:checked")?.value || chosen,
  };
}
