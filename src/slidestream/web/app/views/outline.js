// Step 2: the outline. It appears live while `outlines/stream/{id}` is written, then every
// item can be edited, reordered, added or deleted. "Generate slides" stores an edited
// outline (`PUT /outlines/{id}`), prepares the deck with the chosen template and moves on.

import { api, streamTokens } from "../api.js";
import { announce, clear, h, icon } from "../dom.js";
import { generationMessage, notice, plainMessage } from "../errors.js";
import { navigate } from "../router.js";
import { streamOutline } from "/web/slidestream.js";
import { outlineEditor, outlinePreview } from "./outline-editor.js";
import { slideFrame } from "../render.js";
import { loadTemplates, titleCase } from "./template-picker.js";

const draftKey = (id) => `slidestream:outline:${id}`;

function loadDraft(id) {
  try {
    const raw = sessionStorage.getItem(draftKey(id));
    const slides = raw ? JSON.parse(raw) : null;
    return Array.isArray(slides) && slides.every((s) => typeof s?.content === "string") ? slides : null;
  } catch {
    return null;
  }
}

function forgetDraft(id) {
  try {
    sessionStorage.removeItem(draftKey(id));
  } catch {
    // nothing stored
  }
}

function saveDraft(id, slides) {
  try {
    sessionStorage.setItem(draftKey(id), JSON.stringify(slides));
  } catch {
    // Storage full or disabled: the draft lives as long as the page.
  }
}

/** The template choice, with a preview of the chosen group's title slide. */
async function templateChooser(selected) {
  const select = h("select", { id: "outline-template", "aria-describedby": "outline-template-desc" });
  const preview = h("div", { className: "outline-template-preview", "aria-hidden": "true" });
  const description = h("p", { className: "hint", id: "outline-template-desc" });
  let list = [];
  try {
    list = await loadTemplates();
  } catch {
    list = [{ name: selected || "general", samples: [], theme_description: "" }];
  }
  for (const t of list) select.append(h("option", { value: t.name, text: titleCase(t.name), selected: t.name === selected }));
  const show = () => {
    const chosen = list.find((t) => t.name === select.value) || list[0];
    description.textContent = chosen?.theme_description || chosen?.description || "";
    preview.replaceChildren(...(chosen?.samples?.length ? [slideFrame(chosen.samples[0], { decorative: true })] : []));
  };
  select.addEventListener("change", show);
  show();
  return {
    select,
    element: h("div", { className: "field" }, h("label", { htmlFor: "outline-template", text: "Template" }), preview, select, description),
  };
}

export async function mountOutline(root, { id, query }) {
  const presentation = await api.presentation(id);
  if (presentation.generation.deck_status !== "none") {
    navigate("deck", id, {}, { replace: true });
    return null;
  }
  const prompt = presentation.content?.trim().split("\n")[0].slice(0, 240) || "";
  let stream = null;
  let editor = null;
  let edited = false;
  let left = false; // the view was left: a request still on its way must not navigate
  const chooser = await templateChooser(query.get("template") || "general");
  const template = chooser.select;
  const status = h("div", { className: "outline-status", role: "status" });
  const connection = h("p", { className: "outline-connection", role: "status", hidden: true });
  const body = h("div", { className: "outline-body" });
  const problems = h("div", { className: "generate-status" });
  const count = h("span", { className: "outline-count" });
  const generate = h("button", { type: "button", className: "btn btn-primary btn-lg", disabled: true }, "Generate slides", icon("right"));
  const stop = h("button", { type: "button", className: "btn", hidden: true }, icon("stop"), "Stop writing");

  root.append(
    h(
      "header",
      { className: "page-head" },
      h(
        "div",
        {},
        h("span", { className: "eyebrow", text: "Step 2 of 3 · Outline" }),
        h("h1", { text: "Shape the outline" }),
        h("p", { text: "Edit each slide's text, drag or move slides into order, add or delete them. No slide is written until you generate." }),
        prompt ? h("p", { className: "outline-prompt" }, h("span", { className: "outline-prompt-label", text: "Prompt" }), h("span", { text: prompt })) : null,
      ),
    ),
    h(
      "div",
      { className: "outline-layout" },
      h("section", { className: "outline-main", "aria-label": "Outline" }, status, connection, body),
      h(
        "aside",
        { className: "outline-side card" },
        chooser.element,
        count,
        generate,
        stop,
        problems,
      ),
    ),
  );

  const setCount = (n) => {
    count.textContent = n === 1 ? "1 slide" : `${n} slides`;
  };

  function setConnection(state) {
    body.dataset.connection = state;
    const lost = state === "reconnecting";
    connection.hidden = !lost;
    connection.textContent = lost ? "Connection lost, reconnecting… The outline goes on being written on the server." : "";
  }

  function showEditor(slides, { fromDraft = false } = {}) {
    edited = fromDraft;
    setConnection("closed");
    stop.hidden = true;
    status.replaceChildren(
      fromDraft
        ? notice({ kind: "info", message: "Your unsaved edits to this outline were restored.", live: false })
        : h("p", { className: "outline-ready" }, icon("spark"), "The outline is ready. Edit anything, then generate the slides."),
    );
    editor = outlineEditor(slides, {
      onChange: (current) => {
        edited = true;
        setCount(current.length);
        saveDraft(id, current);
      },
    });
    clear(body).append(editor.element);
    setCount(slides.length);
    generate.disabled = false;
  }

  function showFailure(detail) {
    setConnection("closed");
    stop.hidden = true;
    generate.disabled = true;
    const cancelled = /cancel/i.test(detail);
    const retry = h("button", { type: "button", className: "btn btn-primary", on: { click: startStream } }, icon("refresh"), cancelled ? "Write it again" : "Try again");
    status.replaceChildren(
      cancelled
        ? notice({ kind: "warn", title: "Writing the outline was stopped", message: "Start it again when you are ready.", actions: [retry] })
        : notice({ title: "The outline could not be written", message: generationMessage(detail), actions: [retry] }),
    );
    announce(cancelled ? "Writing the outline was stopped." : "The outline could not be written.");
  }

  async function showStored() {
    try {
      showEditor((await api.outline(id)).slides);
    } catch (error) {
      showFailure(plainMessage(error));
    }
  }

  function startStream() {
    stream?.close();
    const preview = outlinePreview();
    clear(body).append(preview.element);
    generate.disabled = true;
    stop.hidden = false;
    status.replaceChildren(h("p", { className: "outline-writing" }, h("span", { className: "spinner", "aria-hidden": "true" }), "Writing the outline…"));
    stream = streamOutline(id, { maxBackoffMs: 5000, token: streamTokens(id) });
    stream.addEventListener("outline", (event) => {
      const slides = event.detail.outline.slides;
      preview.update(slides);
      setCount(slides.length);
    });
    stream.addEventListener("connection", (event) => {
      const { state, attempt } = event.detail;
      setConnection(state);
      if (state === "reconnecting" && attempt === 1) announce("Connection lost. Reconnecting…");
    });
    stream.addEventListener("complete", (event) => {
      const slides = event.detail.presentation?.outlines?.slides || stream.outline.slides;
      showEditor(slides);
      announce(`The outline is ready: ${slides.length} slides.`);
    });
    stream.addEventListener("error", (event) => showFailure(event.detail.detail));
    // The server had already sent the end (a reconnect after it): read what was stored.
    stream.addEventListener("ended", showStored);
  }

  stop.addEventListener("click", async () => {
    stop.disabled = true;
    try {
      await api.cancel(id);
    } catch (error) {
      problems.replaceChildren(notice({ message: plainMessage(error) }));
    } finally {
      stop.disabled = false;
    }
  });

  generate.addEventListener("click", async () => {
    const slides = editor.slides().filter((s) => s.content.trim());
    if (!slides.length) {
      problems.replaceChildren(notice({ message: "The outline is empty: write at least one slide." }));
      return;
    }
    generate.disabled = true;
    generate.replaceChildren(h("span", { className: "spinner", "aria-hidden": "true" }), "Preparing…");
    problems.replaceChildren();
    try {
      if (edited) await api.putOutline(id, slides);
      const layout = await api.layout(template.value);
      await api.prepare(id, slides, layout);
      forgetDraft(id);
      if (!left) navigate("deck", id);
    } catch (error) {
      generate.disabled = false;
      generate.replaceChildren("Generate slides", icon("right"));
      problems.replaceChildren(notice({ title: "The slides could not be started", message: plainMessage(error) }));
    }
  });

  const state = presentation.generation.outline_status;
  const draft = loadDraft(id);
  if (state === "ready") {
    showEditor(draft || (await api.outline(id)).slides, { fromDraft: Boolean(draft) });
  } else if (state === "failed" || state === "cancelled") {
    showFailure(presentation.generation.error || (state === "cancelled" ? "Writing the outline was stopped." : "The outline failed."));
  } else {
    startStream();
  }
  return () => {
    left = true;
    stream?.close();
  };
}
