// The web app's entry point: error boundary, routing, and one mounted view at a time.

import { api } from "./api.js";
import { closeDialogs } from "./components/dialog.js";
import { clear, h } from "./dom.js";
import { errorPanel, installErrorBoundary } from "./errors.js";
import { start } from "./router.js";
import { mountDeck } from "./views/deck.js";
import { mountLibrary } from "./views/library.js";
import { mountNewDeck } from "./views/new-deck.js";
import { mountOutline } from "./views/outline.js";
import { stopPresenting } from "./views/present.js";

const VIEWS = {
  new: mountNewDeck,
  library: mountLibrary,
  outline: mountOutline,
  deck: mountDeck,
  "not-found": mountNotFound,
};

function mountNotFound(root) {
  root.append(
    h(
      "section",
      { className: "empty card" },
      h("h1", { text: "Nothing here" }),
      h("p", { text: "This address does not name a page of slidestream." }),
      h("a", { className: "btn btn-primary", href: "#/", text: "Start a new deck" }),
    ),
  );
}

const TITLES = { new: "New deck", library: "Library", outline: "Outline", deck: "Slides", "not-found": "Not found" };
const main = document.getElementById("main");
let unmount = null;
let generation = 0;
let first = true;

/** After a navigation that took focus away, put it on the new view's heading. */
function focusHeading(view) {
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  const heading = view.querySelector("h1");
  if (!heading) return main.focus();
  heading.tabIndex = -1;
  heading.focus();
}

function highlightNav(name) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function show(route) {
  const mine = ++generation;
  // Dialogs and present mode belong to the view being left (Back, a link, a typed address).
  closeDialogs();
  stopPresenting();
  if (unmount) {
    try {
      unmount();
    } catch (error) {
      console.error(error);
    }
    unmount = null;
  }
  clear(main);
  highlightNav(route.name);
  main.dataset.view = route.name;
  document.title = `${TITLES[route.name]} · slidestream`;
  const view = h("div", { className: `view view-${route.name}` });
  main.append(view);
  try {
    const cleanup = await VIEWS[route.name](view, route);
    if (mine !== generation) {
      cleanup?.();
      return;
    }
    unmount = cleanup || null;
    if (!first) focusHeading(view);
  } catch (error) {
    if (mine !== generation) return;
    console.error(error);
    clear(view).append(errorPanel(error, { retry: () => show(route) }));
  } finally {
    if (mine === generation) first = false;
  }
}

async function showEngine() {
  const badge = document.getElementById("engine");
  try {
    const health = await api.health();
    const offline = health.engine === "offline";
    badge.textContent = offline ? "Offline drafts (no LLM)" : `Model: ${health.engine}`;
    badge.title = offline
      ? "No language model is configured: decks are drafted from your prompt and documents."
      : "The language model provider the server uses.";
    if (offline) badge.dataset.offline = "";
    badge.hidden = false;
  } catch {
    // The badge is decoration; the views report a server that cannot be reached.
  }
}

installErrorBoundary();
document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
showEngine();
start(show);
