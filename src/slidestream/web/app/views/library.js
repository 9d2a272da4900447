// The library: every deck (`GET /api/web/presentations`), newest first, each with its first
// slide drawn from geometry when it has one; open one (a deck with no slides yet opens at
// its outline), or delete it after a confirmation.

import { api } from "../api.js";
import { announce, clear, h, icon } from "../dom.js";
import { confirmDialog } from "../components/dialog.js";
import { notice, plainMessage } from "../errors.js";
import { date, plural } from "../format.js";
import { loadFonts } from "../fonts.js";
import { slideFrame } from "../render.js";
import { href } from "../router.js";

const STATUS = { generating: "Writing…", failed: "Stopped", cancelled: "Cancelled" };

export async function mountLibrary(root) {
  const aborter = new AbortController();
  const [decks] = await Promise.all([api.library(), loadFonts()]);
  const problems = h("div", { className: "library-problems" });
  const grid = h("ul", { className: "library-grid", "aria-label": "Decks" });
  const countText = h("p", { text: decks.length ? `${plural(decks.length, "deck")}, newest first.` : "" });

  root.append(
    h(
      "header",
      { className: "page-head" },
      h("div", {}, h("span", { className: "eyebrow", text: "Library" }), h("h1", { text: "Your decks" }), countText),
      h("a", { className: "btn btn-primary", href: "#/" }, icon("plus"), "New deck"),
    ),
    problems,
    grid,
  );

  function empty() {
    clear(grid).replaceWith(
      h(
        "section",
        { className: "empty card library-empty" },
        h("h2", { text: "No decks yet" }),
        h("p", { text: "Decks you generate are kept here, with their slides, ready to edit, present or download." }),
        h("a", { className: "btn btn-primary", href: "#/", text: "Create your first deck" }),
      ),
    );
  }

  async function remove(deck, card, button) {
    const name = deck.title || "Untitled deck";
    const sure = await confirmDialog({
      title: "Delete this deck?",
      message: `"${name}" and its slides and files will be deleted. This cannot be undone.`,
      confirm: "Delete deck",
    });
    if (!sure) return;
    button.disabled = true;
    try {
      await api.remove(deck.id);
      const next = card.nextElementSibling || card.previousElementSibling;
      card.remove();
      const left = grid.children.length;
      countText.textContent = left ? `${plural(left, "deck")}, newest first.` : "";
      announce(`Deleted "${name}".`);
      if (!left) empty();
      else next?.querySelector(".library-delete")?.focus();
    } catch (error) {
      button.disabled = false;
      problems.replaceChildren(notice({ title: "The deck could not be deleted", message: plainMessage(error) }));
    }
  }

  function card(deck) {
    const name = deck.title || "Untitled deck";
    const thumb = h("span", { className: "library-thumb slide-skeleton", "aria-hidden": "true" });
    const stage = deck.generation?.deck_status;
    const atOutline = !deck.slides?.length && (!stage || stage === "none");
    const status = atOutline ? "Outline" : STATUS[stage];
    const del = h("button", {
      type: "button",
      className: "icon-btn library-delete",
      "aria-label": `Delete ${name}`,
      title: "Delete",
    }, icon("trash"));
    const item = h(
      "li",
      { className: "library-card card", dataset: { id: deck.id } },
      h("a", { className: "library-open", href: href(atOutline ? "outline" : "deck", deck.id) }, thumb, h("span", { className: "library-name", text: name })),
      h(
        "div",
        { className: "library-meta" },
        h("span", { text: `${plural(deck.n_slides, "slide")} · ${date(deck.updated_at || deck.created_at)}` }),
        status ? h("span", { className: "tag", text: status }) : null,
        del,
      ),
    );
    del.addEventListener("click", () => remove(deck, item, del));
    // The first slide, drawn from geometry; a placeholder stays if it cannot be had.
    if (!deck.slides?.length) return item;
    api
      .slideGeometry(deck.id, 0, { signal: aborter.signal })
      .then((geometry) => {
        thumb.classList.remove("slide-skeleton");
        thumb.replaceChildren(slideFrame(geometry, { decorative: true }));
      })
      .catch(() => {});
    return item;
  }

  if (!decks.length) empty();
  else grid.append(...decks.map(card));
  return () => aborter.abort();
}
