// The editable outline: one card per slide with its text, reorderable by dragging its
// handle or with Move up / Move down buttons, plus Delete and Add a slide.

import { announce, h, icon } from "../dom.js";

const MAX_SLIDES = 50;

function rowsFor(text) {
  return String(Math.min(12, Math.max(3, text.split("\n").length + 1)));
}

/**
 * `slides`: [{content}]. `onChange(slides)` after every edit. Returns {element, slides()}.
 */
export function outlineEditor(initial, { onChange = () => {} } = {}) {
  let slides = initial.map((slide) => ({ content: String(slide.content ?? "") }));
  let dragFrom = null;
  const list = h("ol", { className: "outline-list", "aria-label": "Outline" });
  const add = h("button", { type: "button", className: "btn outline-add" }, icon("plus"), "Add a slide");

  const changed = () => onChange(slides.map((s) => ({ ...s })));

  function focusAfterDraw(index, action) {
    const item = list.children[index];
    const target = item?.querySelector(`[data-action="${action}"]:not(:disabled)`) || item?.querySelector("textarea");
    target?.focus();
  }

  function move(from, to, action) {
    if (to < 0 || to >= slides.length || from === to) return;
    const [slide] = slides.splice(from, 1);
    slides.splice(to, 0, slide);
    draw();
    changed();
    announce(`Slide moved to position ${to + 1} of ${slides.length}.`);
    if (action) focusAfterDraw(to, action);
  }

  function remove(index) {
    slides.splice(index, 1);
    draw();
    changed();
    announce(`Slide ${index + 1} deleted. ${slides.length} slides left.`);
    if (slides.length) focusAfterDraw(Math.min(index, slides.length - 1), "delete");
    else add.focus();
  }

  function item(slide, index) {
    const number = index + 1;
    const textarea = h("textarea", {
      id: `outline-${number}`,
      className: "outline-text",
      rows: rowsFor(slide.content),
      value: slide.content,
      on: {
        input: (event) => {
          slide.content = event.target.value;
          changed();
        },
      },
    });
    const handle = h(
      "span",
      { className: "drag-handle", draggable: "true", title: "Drag to reorder", "aria-hidden": "true" },
      icon("grip"),
    );
    const button = (action, label, iconName, onClick, disabled = false) =>
      h("button", {
        type: "button",
        className: "icon-btn",
        dataset: { action },
        "aria-label": label,
        title: label,
        disabled,
        on: { click: onClick },
      }, icon(iconName));
    const li = h(
      "li",
      { className: "outline-item", dataset: { index: String(index) } },
      handle,
      h("span", { className: "outline-number", "aria-hidden": "true", text: String(number) }),
      h(
        "div",
        { className: "outline-field" },
        h("label", { className: "visually-hidden", htmlFor: textarea.id, text: `Slide ${number} of ${slides.length}` }),
        textarea,
      ),
      h(
        "div",
        { className: "outline-actions" },
        button("up", `Move slide ${number} up`, "up", () => move(index, index - 1, "up"), index === 0),
        button("down", `Move slide ${number} down`, "down", () => move(index, index + 1, "down"), index === slides.length - 1),
        button("delete", `Delete slide ${number}`, "trash", () => remove(index), slides.length <= 1),
      ),
    );
    handle.addEventListener("dragstart", (event) => {
      dragFrom = index;
      li.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(number));
      event.dataTransfer.setDragImage(li, 24, 24);
    });
    handle.addEventListener("dragend", () => {
      dragFrom = null;
      for (const other of list.children) other.classList.remove("dragging", "drop-before", "drop-after");
    });
    li.addEventListener("dragover", (event) => {
      if (dragFrom === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      const after = event.clientY > li.getBoundingClientRect().top + li.offsetHeight / 2;
      for (const other of list.children) other.classList.remove("drop-before", "drop-after");
      li.classList.add(after ? "drop-after" : "drop-before");
    });
    li.addEventListener("drop", (event) => {
      if (dragFrom === null) return;
      event.preventDefault();
      const after = event.clientY > li.getBoundingClientRect().top + li.offsetHeight / 2;
      let to = index + (after ? 1 : 0);
      if (dragFrom < to) to -= 1;
      const from = dragFrom;
      dragFrom = null;
      if (from !== to) move(from, to);
      else draw();
    });
    return li;
  }

  function draw() {
    list.replaceChildren(...slides.map(item));
    add.disabled = slides.length >= MAX_SLIDES;
  }

  add.addEventListener("click", () => {
    slides.push({ content: "" });
    draw();
    changed();
    list.lastElementChild?.querySelector("textarea")?.focus();
    announce(`Slide ${slides.length} added.`);
  });
  draw();
  return {
    element: h("div", { className: "outline-editor" }, list, add),
    slides: () => slides.map((s) => ({ content: s.content })),
  };
}

/** The outline while it is being written: read-only cards that grow with the stream. */
export function outlinePreview() {
  const list = h("ol", { className: "outline-list outline-live", "aria-label": "Outline so far" });
  return {
    element: list,
    update(slides) {
      slides.forEach((slide, index) => {
        let li = list.children[index];
        if (!li) {
          li = h(
            "li",
            { className: "outline-item outline-item-live" },
            h("span", { className: "outline-number", "aria-hidden": "true", text: String(index + 1) }),
            h("p", { className: "outline-text-live" }),
          );
          list.append(li);
        }
        const text = String(slide.content ?? "");
        const p = li.querySelector("p");
        if (p.textContent !== text) p.textContent = text;
        li.classList.toggle("outline-item-writing", index === slides.length - 1);
      });
      while (list.children.length > slides.length) list.lastElementChild.remove();
    },
  };
}
