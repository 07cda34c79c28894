// The fan app: one page for /, /c/{code} and the tabs, routed here without reloads.
import { fill, h } from "../shared/dom.js";
import { codeOf, codePage, showFind } from "./claim.js";
import { collectionPage } from "./collection.js";
import { joinForm } from "./account.js";
import { chooseHunt, homePage } from "./home.js";
import { leaderboardPage } from "./leaderboard.js";
import { momentsPage } from "./moments.js";
import { nearbyPage } from "./nearby.js";
import { flush } from "./outbox.js";
import { openScanner } from "./scan.js";
import * as session from "./session.js";
import { soonPage } from "./soon.js";
import { swapsPage } from "./swaps.js";
import { refusal } from "./verdicts.js";

const view = document.getElementById("view");
const notice = document.getElementById("notice");
let hunt = null;
let leave = null;

function go(path, options = {}) {
  history.pushState({}, "", path);
  route(options);
}

function scan() {
  openScanner((code) => go(`/c/${encodeURIComponent(code)}`, { autoClaim: true }));
}

async function route({ autoClaim = false } = {}) {
  leave?.();
  leave = null;
  const path = location.pathname;
  const tab = path.startsWith("/c/") ? "home" : path.slice(1) || "home";
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const code = path.startsWith("/c/") ? codeOf(decodeURIComponent(path.slice(3))) : null;
  try {
    if (code) await codePage(view, code, { autoClaim });
    else if (tab === "collection") await needsAccount(() => collectionPage(view, { hunt }));
    else if (tab === "nearby") leave = (await needsAccount(() => nearbyPage(view, { hunt, go }))) || null;
    else if (tab === "leaderboard") leave = hunt ? leaderboardPage(view, hunt.slug) : noHunt();
    else if (tab === "moments") leave = (await momentsPage(view, { hunt })) || null;
    else if (tab === "swaps") leave = (await needsAccount(() => swapsPage(view))) || null;
    else await homePage(view, { hunt, onScan: scan });
  } catch (error) {
    fill(view, h("h1", {}, "Something went wrong"), h("p", {}, error.message || String(error)), h("button", { onclick: () => route() }, "Try again"));
  }
  view.focus({ preventScroll: true });
}

async function needsAccount(page) {
  if (session.token()) return page();
  // Signed out: join or sign in right here; the tab opens as soon as the fan is in.
  fill(view, h("p", { class: "muted" }, "Join the hunt to see this tab, or sign in with your passkey."), joinForm());
  const off = session.onChange((now) => {
    off();
    if (now) route();
  });
  return undefined;
}

function noHunt() {
  soonPage(view, "Leaderboard", "Open a hunt's code first.");
  return null;
}

function showNotice(...content) {
  fill(notice, ...content);
  notice.hidden = false;
  setTimeout(() => (notice.hidden = true), 12_000);
}

// Claims kept while offline: sent when the network is back, and the outcome shown.
function sendKept() {
  flush((entry, outcome) => {
    // The claim's own page, if it is still open, shows the outcome; otherwise a notice does.
    const event = new CustomEvent("geohunt:kept-sent", { detail: { entry, outcome }, cancelable: true });
    if (!window.dispatchEvent(event)) return;
    if (outcome.data) {
      const status = h("div");
      const mint = h("div");
      showNotice(status, mint);
      showFind(status, mint, outcome.data, entry.token);
    } else {
      const answer = refusal(outcome.problem, { collectible: entry.label });
      showNotice(h("div", {}, h("strong", {}, `Your kept claim of ${entry.label}: ${answer.title}`), " ", answer.text));
    }
  });
}

function header() {
  fill(document.getElementById("hunt-name"), hunt?.name || "");
  const who = session.current();
  fill(document.getElementById("who"), who?.handle ? h("b", {}, who.handle) : who ? "signed in" : "");
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='/']");
  if (!link || event.defaultPrevented || event.metaKey || event.ctrlKey || link.target) return;
  const url = new URL(link.href);
  if (url.pathname.startsWith("/v1/") || url.pathname.startsWith("/app/")) return;
  event.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener("popstate", () => route());
window.addEventListener("online", sendKept);
session.onChange(header);

hunt = await chooseHunt();
session.onChange(async () => {
  if (hunt?.slug !== session.huntSlug()) {
    hunt = await chooseHunt();
    header();
  }
});
header();
await route();
sendKept();
setInterval(() => navigator.onLine && sendKept(), 20_000);
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
