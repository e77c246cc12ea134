// The dashboard shell: sign-in, the hash router, the live feed and the banners.
import { api, session, onUnauthorized, ApiError } from "./api.js";
import { h, replace } from "./dom.js";
import { LiveFeed } from "./live.js";
import * as overview from "./views/overview.js";
import * as containers from "./views/containers.js";
import * as detail from "./views/detail.js";
import * as nodes from "./views/nodes.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const liveBadge = document.getElementById("live");
const signOutButton = document.getElementById("signout");
const banner = document.getElementById("banner");
const feed = new LiveFeed();
let current = null;
let signInError = "";

const LIVE_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", polling: "Polling", idle: "" };

feed.addEventListener("state", (event) => {
  const { state } = event.detail;
  liveBadge.textContent = LIVE_TEXT[state] ?? state;
  liveBadge.className = `live ${state}`;
  liveBadge.dataset.state = state;
});
feed.addEventListener("container", (event) => current?.onEvent?.(event.detail));
feed.addEventListener("open", () => current?.onOpen?.());
feed.addEventListener("unauthorized", () => signOut("The API key is no longer accepted. Sign in again."));
onUnauthorized(() => signOut("The API key is no longer accepted. Sign in again."));

/** Shows a problem across the top of every view; empty text hides it. */
export function showBanner(text) {
  banner.hidden = !text;
  banner.textContent = text ?? "";
}

/** Asks before a destructive action; resolves true when confirmed. */
export function confirmAction(title, text, action) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = action;
  dialog.returnValue = "";
  dialog.showModal();
  document.getElementById("confirm-cancel").focus();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

function signOut(message = "") {
  session.signOut();
  feed.stop();
  signInError = message;
  if (location.hash !== "#/signin") location.hash = "#/signin"; else route();
}

function renderSignIn() {
  nav.hidden = true;
  signOutButton.hidden = true;
  liveBadge.hidden = true;
  showBanner("");
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "current-password", required: true, "aria-describedby": "signin-error" });
  const error = h("p", { id: "signin-error", class: "error", role: "alert", text: signInError });
  const button = h("button", { type: "submit", id: "signin-submit", text: "Sign in" });
  const form = h("form", { class: "card signin", "aria-labelledby": "signin-title" },
    h("h2", { id: "signin-title", text: "Sign in" }),
    h("p", { text: "Enter an API key of this service. It is kept in this browser tab only (sessionStorage) and sent as a bearer header." }),
    h("label", { for: "api-key", text: "API key" }), input, error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) { error.textContent = "Enter an API key."; return; }
    button.disabled = true;
    error.textContent = "";
    try {
      await api("/api/queue", { key });
      session.signIn(key);
      signInError = "";
      location.hash = "#/overview";
    } catch (failure) {
      error.textContent = failure instanceof ApiError && failure.status === 401
        ? "That API key was not accepted."
        : `Cannot sign in: ${failure.message}`;
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  replace(main, form);
  input.focus();
}

function route() {
  current?.unmount?.();
  current = null;
  const hash = location.hash || "#/overview";
  if (!session.key) {
    if (hash !== "#/signin") { location.hash = "#/signin"; return; }
    renderSignIn();
    return;
  }
  if (hash === "#/signin") { location.hash = "#/overview"; return; }
  nav.hidden = false;
  signOutButton.hidden = false;
  liveBadge.hidden = false;
  showBanner("");
  const [, name, id] = hash.split("/");
  const view = name === "containers" && id ? detail : { overview, containers, nodes }[name];
  if (!view) { location.hash = "#/overview"; return; }
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  main.replaceChildren();
  current = view.mount(main, { id: id && decodeURIComponent(id), feed, showBanner, confirmAction });
  feed.start();
}

signOutButton.addEventListener("click", () => signOut(""));
window.addEventListener("hashchange", route);
route();
