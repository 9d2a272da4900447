// Present mode: the deck full screen, one slide at a time. Arrows, Space, PageUp/PageDown,
// Home/End move; Escape (or the close button) leaves and gives focus back.

import { h, icon } from "../dom.js";
import { slideFrame } from "../render.js";

const NEXT = new Set(["ArrowRight", "ArrowDown", "PageDown", " ", "Spacebar", "Enter", "n"]);
const PREV = new Set(["ArrowLeft", "ArrowUp", "PageUp", "Backspace", "p"]);

let current = null;

/** Leave present mode if it is on (the view that started it is being left). */
export function stopPresenting() {
  current?.leave();
}

/** slides: [{geometry, index}] (ready slides only); start: position in that list. */
export function present(slides, start = 0, { onClose = () => {} } = {}) {
  if (!slides.length) return;
  const previous = document.activeElement;
  let position = Math.min(Math.max(0, start), slides.length - 1);
  const stage = h("div", { className: "present-stage" });
  const counter = h("span", { className: "present-counter", "aria-live": "polite" });
  const close = h("button", { type: "button", className: "present-close", "aria-label": "Exit presentation (Escape)", title: "Exit (Esc)" }, icon("close"));
  const overlay = h(
    "div",
    { className: "present", role: "dialog", "aria-modal": "true", "aria-label": "Presentation", tabindex: "-1" },
    stage,
    h("div", { className: "present-bar" }, counter, close),
  );

  function show() {
    const { geometry, index } = slides[position];
    stage.replaceChildren(slideFrame(geometry, { label: `Slide ${index + 1}` }));
    counter.textContent = `${position + 1} / ${slides.length}`;
    overlay.dataset.position = String(position);
  }

  function go(to) {
    const next = Math.min(Math.max(0, to), slides.length - 1);
    if (next !== position) {
      position = next;
      show();
    }
  }

  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Escape") leave();
    else if (NEXT.has(event.key) && event.target !== close) go(position + 1);
    else if (PREV.has(event.key)) go(position - 1);
    else if (event.key === "Home") go(0);
    else if (event.key === "End") go(slides.length - 1);
    else return;
    event.preventDefault();
  }

  function onFullscreenChange() {
    // Leaving full screen with the browser's own Escape also leaves present mode.
    if (!document.fullscreenElement) leave();
  }

  let left = false;
  function leave() {
    if (left) return;
    left = true;
    current = null;
    document.removeEventListener("keydown", onKey, true);
    document.removeEventListener("fullscreenchange", onFullscreenChange);
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    overlay.remove();
    document.body.classList.remove("presenting");
    if (previous instanceof HTMLElement && previous.isConnected) previous.focus();
    onClose(slides[position].index);
  }

  current?.leave();
  current = { leave };
  close.addEventListener("click", leave);
  stage.addEventListener("click", (event) => {
    const rect = stage.getBoundingClientRect();
    go(event.clientX < rect.left + rect.width / 3 ? position - 1 : position + 1);
  });
  document.addEventListener("keydown", onKey, true);
  document.body.classList.add("presenting");
  document.body.append(overlay);
  show();
  overlay.focus();
  if (overlay.requestFullscreen) {
    overlay
      .requestFullscreen({ navigationUI: "hide" })
      .then(() => document.addEventListener("fullscreenchange", onFullscreenChange))
      .catch(() => {
        // Not allowed here (an iframe, a headless browser): the overlay fills the window.
      });
  }
  return { leave };
}
