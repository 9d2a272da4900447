// Step 1: the prompt form. Creates the presentation (`POST /presentation/create`) and
// moves on to its outline; the chosen template travels in the URL.

import { ApiError, api } from "../api.js";
import { h, icon } from "../dom.js";
import { notice, plainMessage } from "../errors.js";
import { navigate } from "../router.js";
import { templatePicker } from "./template-picker.js";
import { uploadsField } from "./uploads.js";

const TONES = [
  ["default", "Balanced"],
  ["professional", "Professional"],
  ["casual", "Casual"],
  ["educational", "Educational"],
  ["sales_pitch", "Sales pitch"],
  ["funny", "Funny"],
];
const VERBOSITY = [
  ["concise", "Concise"],
  ["standard", "Standard"],
  ["text-heavy", "Text-heavy"],
];
const LANGUAGES = [
  "English", "Spanish", "French", "German", "Portuguese", "Italian", "Dutch", "Polish",
  "Swedish", "Turkish", "Arabic", "Hebrew", "Hindi", "Chinese", "Japanese", "Korean",
];

function field(id, label, control, hint) {
  control.id = id;
  const parts = [h("label", { htmlFor: id, text: label }), control];
  if (hint) {
    parts.push(h("span", { className: "hint", id: `${id}-hint`, text: hint }));
    control.setAttribute("aria-describedby", `${id}-hint`);
  }
  return h("div", { className: "field" }, parts);
}

const select = (options, value) =>
  h("select", {}, options.map(([v, text]) => h("option", { value: v, text, selected: v === value })));

function fieldError(control, message) {
  const id = `${control.id}-error`;
  control.closest(".field").querySelector(".field-error")?.remove();
  if (!message) {
    control.removeAttribute("aria-invalid");
    control.setAttribute("aria-describedby", control.getAttribute("aria-describedby")?.replace(id, "").trim() || "");
    return;
  }
  control.setAttribute("aria-invalid", "true");
  const described = (control.getAttribute("aria-describedby") || "").replace(id, "").trim();
  control.setAttribute("aria-describedby", `${described} ${id}`.trim());
  control.closest(".field").append(h("span", { className: "field-error", id, text: message }));
}

export async function mountNewDeck(root) {
  const topic = h("textarea", {
    rows: "4",
    name: "content",
    placeholder: "For example: Community solar for our town: costs, who can join, and a timeline. For the city council.",
  });
  const slides = h("input", { type: "number", min: "1", max: "50", step: "1", value: "8", name: "n_slides", inputmode: "numeric" });
  const language = h("input", { type: "text", list: "languages", name: "language", placeholder: "Same as your prompt", autocomplete: "off" });
  const tone = select(TONES, "default");
  const verbosity = select(VERBOSITY, "standard");
  const instructions = h("textarea", { rows: "3", name: "instructions", placeholder: "For example: Keep titles under six words. End with a call to action." });
  const titleSlide = h("input", { type: "checkbox", checked: true, name: "include_title_slide" });
  const toc = h("input", { type: "checkbox", name: "include_table_of_contents" });
  const uploads = uploadsField();
  const status = h("div", { className: "form-status" });
  const submit = h("button", { type: "submit", className: "btn btn-primary btn-lg" }, "Write the outline", icon("right"));

  const picker = await templatePicker({ selected: "general" });

  const form = h(
    "form",
    { className: "new-deck card", novalidate: true, "aria-labelledby": "new-deck-title" },
    field("topic", "Topic or prompt", topic, "A sentence is enough; notes or a draft work too."),
    h(
      "div",
      { className: "field-row" },
      field("n-slides", "Slides", slides),
      field("language", "Language", language),
      field("tone", "Tone", tone),
      field("verbosity", "Text per slide", verbosity),
    ),
    h("datalist", { id: "languages" }, LANGUAGES.map((name) => h("option", { value: name }))),
    picker.element,
    uploads.element,
    h(
      "details",
      { className: "more-options" },
      h("summary", { text: "More options" }),
      h(
        "div",
        { className: "more-options-body" },
        field("instructions", "Instructions for the writer", instructions),
        h("label", { className: "check" }, titleSlide, "Start with a title slide"),
        h("label", { className: "check" }, toc, "Add a table of contents (3 slides or more)"),
      ),
    ),
    h("div", { className: "form-footer" }, status, submit),
  );

  root.append(
    h(
      "header",
      { className: "page-head" },
      h(
        "div",
        {},
        h("span", { className: "eyebrow", text: "Step 1 of 3 · Prompt" }),
        h("h1", { id: "new-deck-title", text: "What is your presentation about?" }),
        h("p", { text: "You get an outline to edit first; then the slides are written while you watch." }),
      ),
    ),
    form,
  );

  function validate() {
    let first = null;
    const count = Number(slides.value);
    const countError = Number.isInteger(count) && count >= 1 && count <= 50 ? "" : "Choose between 1 and 50 slides.";
    fieldError(slides, countError);
    if (countError) first ||= slides;
    const topicError = topic.value.trim() || uploads.count() ? "" : "Describe the topic, or add a document to build the deck from.";
    fieldError(topic, topicError);
    if (topicError) first ||= topic;
    return first;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const invalid = validate();
    if (invalid) {
      invalid.focus();
      return;
    }
    submit.disabled = true;
    submit.replaceChildren(h("span", { className: "spinner", "aria-hidden": "true" }), "Creating…");
    try {
      const file_paths = await uploads.paths();
      if (uploads.failed().length) {
        throw new ApiError("A document could not be uploaded. Remove it, or add it again.");
      }
      const created = await api.create({
        content: topic.value.trim(),
        n_slides: Number(slides.value),
        language: language.value.trim(),
        tone: tone.value,
        verbosity: verbosity.value,
        instructions: instructions.value.trim() || null,
        include_title_slide: titleSlide.checked,
        include_table_of_contents: toc.checked,
        file_paths: file_paths.length ? file_paths : null,
      });
      // Left for another page meanwhile: the deck waits in the library at its outline.
      if (!left) navigate("outline", created.id, { template: picker.value() });
    } catch (error) {
      submit.disabled = false;
      submit.replaceChildren("Write the outline", icon("right"));
      status.replaceChildren(notice({ title: "The deck could not be created", message: plainMessage(error) }));
    }
  });
  [topic, slides].forEach((control) => control.addEventListener("input", () => control.hasAttribute("aria-invalid") && validate()));
  // The prompt is the page's one task; on small screens a keyboard popping up is unwelcome.
  if (matchMedia("(min-width: 700px)").matches) topic.focus({ preventScroll: true });
  let left = false;
  return () => {
    left = true;
  };
}
