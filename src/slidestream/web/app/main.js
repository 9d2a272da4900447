// The web app's entry point: error boundary, routing, one mounted view at a time, and
// the sign-in that stands in for every view while the server needs a key the app lacks.

import { api, onUnauthorized } from "./api.js";
import { closeDialogs } from "./components/dialog.js";
import { forgetKey, storeKey, storedKey } from "./credentials.js";
import { announce, clear, h } from "./dom.js";
import { errorPanel, installErrorBoundary } from "./errors.js";
import { parse, start } from "./router.js";
import { mountDeck } from "./views/deck.js";
import { mountLibrary } from "./views/library.js";
import { mountNewDeck } from "./views/new-deck.js";
import { mountOutline } from "./views/outline.js";
import { stopPresenting } from "./views/present.js";
import { mountSignIn } from "./views/sign-in.js";

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

const TITLES = {
  new: "New deck",
  library: "Library",
  outline: "Outline",
  deck: "Slides",
  "not-found": "Not found",
  "sign-in": "Sign in",
};
const main = document.getElementById("main");
const signOut = document.getElementById("sign-out");
let unmount = null;
let generation = 0;
let first = true;
let current = null; // the route in the address
let keysRequired = false;
// While the app needs a key: {title, message, kind} to say why (or {}); null when it has one.
let signIn = null;

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

/** The view for `route`, or the sign-in in its place: [name, mount]. */
function viewFor(route) {
  if (!signIn) return [route.name, VIEWS[route.name]];
  const reason = signIn.message ? signIn : null;
  return ["sign-in", (root) => mountSignIn(root, { reason, onSignedIn })];
}

function onSignedIn(key, { remember }) {
  storeKey(key, { remember });
  signIn = null;
  showAccount();
  announce("Signed in.");
  show(current);
}

/** The server refused the key (or wanted one): forget it and ask for another. */
function requireSignIn(error) {
  const hadKey = Boolean(storedKey());
  forgetKey();
  showAccount();
  if (signIn) return; // already asking (several requests were refused at once)
  keysRequired = true;
  // The server's own words (its `detail`): "Invalid or revoked API key", say.
  signIn = hadKey
    ? { title: "The server did not accept your API key", message: error.message }
    : { title: "This server needs an API key", message: error.message, kind: "warn" };
  show(current);
}

function showAccount() {
  signOut.hidden = !storedKey();
}

signOut.addEventListener("click", () => {
  forgetKey();
  showAccount();
  announce("Signed out.");
  if (keysRequired) signIn = { title: "You are signed out", message: "Sign in again to see your decks.", kind: "info" };
  show(current);
});

async function show(route) {
  current = route;
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
  const [name, mount] = viewFor(route);
  highlightNav(name);
  main.dataset.view = name;
  document.title = `${TITLES[name]} · slidestream`;
  const view = h("div", { className: `view view-${name}` });
  main.append(view);
  try {
    const cleanup = await mount(view, route);
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

function showEngine(health) {
  const badge = document.getElementById("engine");
  if (health) {
    const offline = health.engine === "offline";
    badge.textContent = offline ? "Offline drafts (no LLM)" : `Model: ${health.engine}`;
    badge.title = offline
      ? "No language model is configured: decks are drafted from your prompt and documents."
      : "The language model provider the server uses.";
    if (offline) badge.dataset.offline = "";
    badge.hidden = false;
  }
  // Without health the badge stays hidden: the views report a server that cannot be reached.
}

installErrorBoundary();
document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
onUnauthorized(requireSignIn);
// A server that cannot be reached still gets its views (they say so); a key it turns
// down shows the sign-in on the first 401.
const health = await api.health().catch(() => null);
showEngine(health);
keysRequired = Boolean(health?.keys_required);
if (keysRequired && !storedKey()) signIn = {};
showAccount();
current = parse(location.hash || "#/");
start(show);
