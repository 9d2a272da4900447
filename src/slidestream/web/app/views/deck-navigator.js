// The slide navigator: a thumbnail per slide (a placeholder while it is being written),
// drawn from the slide's geometry. Arrow keys move between thumbnails.

import { h } from "../dom.js";
import { slideFrame } from "../render.js";

export function deckNavigator({ onSelect }) {
  const list = h("ol", { className: "thumbs" });
  const element = h("nav", { className: "navigator", "aria-label": "Slides" }, list);
  let selected = -1;
  let writing = true;
  const pendingLabel = (index) => `Slide ${index + 1}: ${writing ? "being written" : "not written"}`;

  function button(index) {
    return list.children[index]?.querySelector("button");
  }

  function ensure(total) {
    while (list.children.length < total) {
      const index = list.children.length;
      const thumb = h(
        "button",
        { type: "button", className: "thumb", "aria-label": pendingLabel(index), on: { click: () => onSelect(index, true) } },
        h("span", { className: "thumb-number", "aria-hidden": "true", text: String(index + 1) }),
        h("span", { className: "thumb-skeleton slide-skeleton", "aria-hidden": "true" }),
      );
      list.append(h("li", { dataset: { index: String(index), state: "pending" } }, thumb));
    }
    while (list.children.length > total) list.lastElementChild.remove();
  }

  function setSlide(index, geometry, slide, title, { arriving = false } = {}) {
    ensure(Math.max(list.children.length, index + 1));
    const li = list.children[index];
    li.dataset.state = "ready";
    li.dataset.slideId = String(slide.id ?? "");
    li.classList.toggle("arriving", arriving);
    const thumb = button(index);
    thumb.setAttribute("aria-label", title ? `Slide ${index + 1}: ${title}` : `Slide ${index + 1}`);
    thumb.replaceChildren(
      h("span", { className: "thumb-number", "aria-hidden": "true", text: String(index + 1) }),
      slideFrame(geometry, { decorative: true }),
    );
  }

  function setPending(index) {
    const li = list.children[index];
    if (!li) return;
    li.dataset.state = "pending";
    delete li.dataset.slideId;
    const thumb = button(index);
    thumb.setAttribute("aria-label", pendingLabel(index));
    thumb.replaceChildren(
      h("span", { className: "thumb-number", "aria-hidden": "true", text: String(index + 1) }),
      h("span", { className: "thumb-skeleton slide-skeleton", "aria-hidden": "true" }),
    );
  }

  function select(index) {
    selected = index;
    [...list.children].forEach((li, i) => {
      const thumb = li.querySelector("button");
      if (i === index) thumb.setAttribute("aria-current", "true");
      else thumb.removeAttribute("aria-current");
    });
    button(index)?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  list.addEventListener("keydown", (event) => {
    const keys = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
    if (!(event.key in keys) && event.key !== "Home" && event.key !== "End") return;
    const current = [...list.children].findIndex((li) => li.contains(document.activeElement));
    if (current < 0) return;
    event.preventDefault();
    const last = list.children.length - 1;
    const next = event.key === "Home" ? 0 : event.key === "End" ? last : Math.min(last, Math.max(0, current + keys[event.key]));
    button(next)?.focus();
    onSelect(next, true);
  });

  /** Placeholders say "being written" while the deck is generated, "not written" after. */
  function setWriting(value) {
    writing = value;
    element.classList.toggle("navigator-idle", !value);
    for (const li of list.children) {
      if (li.dataset.state === "pending") li.querySelector("button").setAttribute("aria-label", pendingLabel(Number(li.dataset.index)));
    }
  }

  return { element, ensure, setSlide, setPending, select, setWriting, get selected() { return selected; } };
}
