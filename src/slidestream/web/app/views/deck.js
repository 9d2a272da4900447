// Step 3: the deck. Slides appear one by one while the deck stream runs (reattaching after
// a reload: the server replays stored slides, then continues), each drawn from its
// geometry. Then: navigate, edit a slide's text, regenerate a slide, read the speaker
// notes, present full screen, download PPTX or PDF.

import { ApiError, api } from "../api.js";
import { announce, h, icon } from "../dom.js";
import { generationMessage, notice, plainMessage } from "../errors.js";
import { slideTitle } from "../format.js";
import { loadFonts } from "../fonts.js";
import { href, navigate } from "../router.js";
import { deckNavigator } from "./deck-navigator.js";
import { deckStage } from "./deck-stage.js";
import { downloadDeck } from "./deck-export.js";
import { generationPanel } from "./deck-generation.js";
import { present } from "./present.js";
import { askRegenerate, editSlideText } from "./slide-editor.js";

export async function mountDeck(root, { id }) {
  const aborter = new AbortController();
  const signal = aborter.signal;
  const [presentation] = await Promise.all([api.presentation(id), loadFonts()]);
  const deck = {
    total: Math.max(presentation.n_slides, presentation.slides.length, 1),
    slides: [], // SlideModel by index
    geometry: [], // SlideGeometry by index
    selected: 0,
    follow: true, // the stage follows the newest slide until the person picks one
    status: presentation.generation.deck_status,
  };

  const title = h("h1", { className: "deck-title", text: presentation.title || "Untitled deck" });
  const badge = h("span", { className: "deck-status" });
  const problems = h("div", { className: "deck-problems" });
  const presentButton = h("button", { type: "button", className: "btn btn-primary" }, icon("play"), "Present");
  const pptx = h("button", { type: "button", className: "btn" }, icon("download"), "PPTX");
  const pdf = h("button", { type: "button", className: "btn" }, icon("download"), "PDF");
  pptx.setAttribute("aria-label", "Download as PowerPoint (PPTX)");
  pdf.setAttribute("aria-label", "Download as PDF");
  const nav = deckNavigator({ onSelect: (index, byPerson) => select(index, byPerson) });
  const stage = deckStage({ onMove: (step) => select(deck.selected + step, true), onEdit: edit, onRegenerate: regenerate });
  const generation = generationPanel(id, { onSlide, onComplete, onError, onReset });

  const view = h(
    "div",
    { className: "deck-view" },
    h(
      "header",
      { className: "page-head deck-head" },
      h("div", { className: "deck-heading" }, h("span", { className: "eyebrow", text: "Slides" }), title, badge),
      h("div", { className: "deck-actions", role: "group", "aria-label": "Deck actions" }, presentButton, pptx, pdf),
    ),
    presentation.generation.offline_draft
      ? notice({
          kind: "info",
          live: false,
          title: "An offline draft",
          message: "No language model is configured, so this deck was drafted from your prompt and documents without one. Check and edit it before you use it.",
        })
      : null,
    generation.element,
    problems,
    h("div", { className: "deck-layout" }, nav.element, stage.element, stage.notes),
  );
  root.append(view);

  // One slide at a time is saved or rewritten: {index, message} while that runs.
  let working = null;
  let gone = false; // deleted on the server (elsewhere) while this page showed it
  const ready = () => deck.geometry.filter(Boolean).length;
  const busy = () => deck.status === "generating" || generation.streaming;

  function refreshState() {
    const generating = busy();
    view.dataset.status = generating ? "generating" : deck.status;
    const labels = { completed: "Ready", failed: "Stopped", cancelled: "Cancelled", generating: "Writing…", none: "Starting…" };
    badge.textContent = labels[generating ? "generating" : deck.status] || "";
    badge.dataset.status = generating ? "generating" : deck.status;
    presentButton.disabled = ready() === 0;
    pptx.disabled = pdf.disabled = generating || ready() === 0 || Boolean(working) || gone;
    generation.setProgress(ready(), deck.total);
    showStage();
  }

  function showStage() {
    const i = deck.selected;
    stage.show(i, deck.total, deck.geometry[i] || null, deck.slides[i], { editable: !busy() && !working && !gone, writing: busy() });
    stage.busy(working?.index === i ? working.message : null);
    nav.setWriting(busy());
  }

  function select(index, byPerson) {
    if (index < 0 || index >= deck.total) return;
    if (byPerson) deck.follow = false;
    deck.selected = index;
    nav.select(index);
    showStage();
  }

  function draw(index, slide, geometry, { arriving = false } = {}) {
    deck.slides[index] = slide;
    deck.geometry[index] = geometry;
    if (index >= deck.total) {
      deck.total = index + 1;
      nav.ensure(deck.total);
    }
    nav.setSlide(index, geometry, slide, slideTitle(slide), { arriving });
  }

  const same = (a, b) => a && b && a.id === b.id && JSON.stringify(a.content) === JSON.stringify(b.content) && a.speaker_note === b.speaker_note;

  const drawing = new Set(); // slides whose geometry is on its way

  function onSlide(slide) {
    const pending = drawSlide(slide);
    drawing.add(pending);
    pending.finally(() => drawing.delete(pending));
  }

  async function drawSlide(slide) {
    const index = slide.index;
    if (deck.slides[index]?.id === slide.id && deck.geometry[index]) return; // already drawn
    deck.slides[index] = slide;
    let geometry;
    try {
      geometry = await api.slideGeometry(id, index, { signal });
    } catch (error) {
      if (!signal.aborted) problems.replaceChildren(notice({ title: `Slide ${index + 1} could not be drawn`, message: plainMessage(error) }));
      return;
    }
    if (signal.aborted || deck.slides[index]?.id !== slide.id) return;
    draw(index, slide, geometry, { arriving: true });
    if (deck.follow) select(deck.geometry.length - 1, false);
    refreshState();
    announce(`Slide ${index + 1} of ${deck.total} is ready.`);
  }

  async function loadAll() {
    const fresh = await api.presentation(id, { signal });
    const geometry = fresh.slides.length ? await api.deckGeometry(id, { signal }) : { slides: [] };
    deck.status = fresh.generation.deck_status;
    title.textContent = fresh.title || "Untitled deck";
    document.title = `${title.textContent} · slidestream`;
    // A finished deck has the slides it has; one still to be written expects n_slides.
    const expected = deck.status === "completed" ? 0 : fresh.n_slides;
    deck.total = Math.max(fresh.slides.length, expected, 1);
    nav.ensure(deck.total);
    const before = { slides: deck.slides, geometry: deck.geometry };
    deck.slides = [];
    deck.geometry = [];
    fresh.slides.forEach((slide, position) => {
      const g = geometry.slides[position];
      if (!g) return;
      const index = slide.index;
      if (same(before.slides[index], slide) && before.geometry[index]) {
        // Unchanged: keep what is drawn (no flicker when a finished deck is reloaded).
        deck.slides[index] = slide;
        deck.geometry[index] = before.geometry[index];
      } else draw(index, slide, g);
    });
    for (let i = 0; i < deck.total; i += 1) if (!deck.geometry[i]) nav.setPending(i);
    return fresh;
  }

  function stopped(detail, { reason, status } = {}) {
    const actions = [];
    if (reason === "http" && status === 400) {
      actions.push(h("a", { className: "btn", href: href("outline", id) }, "Back to the outline"));
    } else {
      actions.push(h("button", { type: "button", className: "btn btn-primary", on: { click: resume } }, icon("refresh"), "Continue generating"));
    }
    const cancelled = /cancel/i.test(detail);
    problems.replaceChildren(
      notice({
        kind: cancelled ? "warn" : "error",
        title: cancelled ? "Generation was cancelled" : "The slides could not all be written",
        message: cancelled
          ? `${ready()} of ${deck.total} slides were kept. Continue to write the rest.`
          : `${generationMessage(detail)} ${ready() ? `The ${ready()} slides already written are kept.` : ""}`.trim(),
        actions,
      }),
    );
  }

  async function onComplete() {
    problems.replaceChildren();
    try {
      // Final slides carry their real image URLs. The deck reads as completed only once
      // they are all drawn: a slide still on its way must not see the status flip first.
      await loadAll();
    } catch (error) {
      deck.status = "completed";
      if (!signal.aborted) problems.replaceChildren(notice({ message: plainMessage(error) }));
    }
    if (!signal.aborted) {
      if (deck.follow) select(0, false);
      refreshState();
      announce(`All ${ready()} slides are ready.`);
    }
  }

  async function onError(detail, info) {
    deck.status = /cancel/i.test(detail) ? "cancelled" : "failed";
    await Promise.allSettled([...drawing]); // count the slides that did arrive
    if (signal.aborted) return;
    gone = await deleted(info);
    if (signal.aborted) return;
    if (gone) {
      problems.replaceChildren(
        notice({
          title: "This deck was deleted",
          message: "It was deleted while it was open here, with its slides and files.",
          actions: [
            h("a", { className: "btn btn-primary", href: href("library") }, "Open the library"),
            h("a", { className: "btn", href: href("new") }, "Start a new deck"),
          ],
        }),
      );
      refreshState();
      announce("This deck was deleted.");
      return;
    }
    if (info?.reason === "http" && info.status === 400 && ready() === 0) {
      // Not prepared yet (its outline is being written, or waits to be generated): the
      // deck starts at its outline.
      navigate("outline", id, {}, { replace: true });
      return;
    }
    stopped(detail, info);
    refreshState();
    announce(deck.status === "cancelled" ? "Generation was cancelled." : `Generation stopped: ${detail}`);
  }

  /** Whether the stream ended because the deck no longer exists. */
  async function deleted(info) {
    if (info?.reason === "http") return info.status === 404;
    try {
      await api.presentation(id, { signal });
      return false;
    } catch (error) {
      return error instanceof ApiError && error.status === 404;
    }
  }

  function onReset() {
    deck.slides = [];
    deck.geometry = [];
    for (let i = 0; i < deck.total; i += 1) nav.setPending(i);
    refreshState();
  }

  function resume() {
    problems.replaceChildren();
    deck.status = "generating";
    generation.start();
    refreshState();
  }

  async function edit() {
    const index = deck.selected;
    const slide = deck.slides[index];
    if (!slide || working) return;
    const change = await editSlideText(slide, index + 1);
    if (!change || working || signal.aborted) return;
    await saveSlide(index, { ...slide, ...change }, "Saving…");
  }

  async function saveSlide(index, changed, message) {
    working = { index, message };
    refreshState();
    try {
      const fresh = await api.presentation(id);
      const slides = fresh.slides.map((s) => (s.id === changed.id ? { ...s, content: changed.content, speaker_note: changed.speaker_note } : s));
      const saved = await api.update({ id, slides });
      const slide = saved.slides.find((s) => s.id === changed.id) || changed;
      draw(index, slide, await api.slideGeometry(id, slide.index, { signal }));
      problems.replaceChildren();
      announce(`Slide ${index + 1} saved.`);
    } catch (error) {
      problems.replaceChildren(notice({ title: "The slide could not be saved", message: plainMessage(error) }));
    } finally {
      working = null;
      refreshState();
    }
  }

  async function regenerate() {
    const index = deck.selected;
    const slide = deck.slides[index];
    if (!slide || working) return;
    const answer = await askRegenerate(index + 1);
    if (!answer || working || signal.aborted) return;
    working = { index, message: `Rewriting slide ${index + 1}…` };
    refreshState();
    try {
      const fresh = await api.regenerateSlide(slide.id, answer.prompt);
      draw(index, fresh, await api.slideGeometry(id, fresh.index, { signal }));
      problems.replaceChildren();
      announce(`Slide ${index + 1} was written again.`);
    } catch (error) {
      problems.replaceChildren(notice({ title: "The slide could not be regenerated", message: plainMessage(error) }));
    } finally {
      working = null;
      refreshState();
    }
  }

  async function download(format, button) {
    const label = button.lastChild.textContent;
    button.disabled = true;
    button.lastChild.textContent = "Preparing…";
    try {
      const name = await downloadDeck(id, format);
      announce(`${name} downloaded.`);
    } catch (error) {
      problems.replaceChildren(notice({ title: `The ${format.toUpperCase()} could not be made`, message: plainMessage(error) }));
    } finally {
      button.lastChild.textContent = label;
      refreshState();
    }
  }

  presentButton.addEventListener("click", () => {
    const slides = deck.geometry.map((geometry, index) => ({ geometry, index })).filter((s) => s.geometry);
    const start = Math.max(0, slides.findIndex((s) => s.index === deck.selected));
    present(slides, start, { onClose: (index) => select(index, true) });
  });
  pptx.addEventListener("click", () => download("pptx", pptx));
  pdf.addEventListener("click", () => download("pdf", pdf));

  nav.ensure(deck.total);
  await loadAll();
  select(0, false);
  if (["generating", "none"].includes(deck.status)) resume();
  else if (["failed", "cancelled"].includes(deck.status)) {
    stopped(presentation.generation.error || (deck.status === "cancelled" ? "Generation was cancelled" : "Generation failed"));
  }
  refreshState();

  return () => {
    aborter.abort();
    generation.stop();
  };
}
