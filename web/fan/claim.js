// /c/{code}: what the code is for, then a claim where the fan stands (location, POST /v1/scans
// with an Idempotency-Key), and every answer as a sentence with the next step.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { joinForm } from "./account.js";
import { art } from "./art.js";
import { followMint } from "./mint.js";
import { LocationError, locate } from "./location.js";
import { keep } from "./outbox.js";
import * as session from "./session.js";
import { metres, refusal } from "./verdicts.js";

/** The bare code of a scanned URL (`.../c/{code}`) or of a bare code; null for anything else. */
export function codeOf(text) {
  const value = String(text || "").trim();
  try {
    const url = new URL(value);
    const match = url.pathname.match(/^\/c\/([^/]+)$/);
    return match ? decodeURIComponent(match[1]) : null;
  } catch {
    return /^[A-Za-z0-9_.~-]{8,512}$/.test(value) ? value : null;
  }
}

export async function codePage(view, code, { autoClaim = false } = {}) {
  fill(view, h("p", { class: "muted" }, "Reading the code…"));
  let info;
  try {
    ({ data: info } = await api(`/v1/codes/${encodeURIComponent(code)}`));
  } catch (error) {
    const offline = error instanceof Unreachable;
    fill(
      view,
      h("h1", {}, offline ? "You are offline" : "This is not a geohunt code"),
      h("p", {}, offline ? "Claim it anyway: the claim waits on this phone and is sent when you are back online." : "It may be mistyped, or from an old season. Scan a code from a geohunt billboard, screen or post."),
      offline ? claimBlock(view, code, null) : h("a", { class: "button wide", href: "/" }, "Back to the hunt"),
    );
    return;
  }
  session.setHunt(info.hunt.slug);
  const { collectible, clue } = info;
  const where = [clue.label, clue.city].filter(Boolean).join(", ");
  fill(
    view,
    h("p", { class: "muted small" }, info.hunt.name),
    h("h1", {}, collectible.name),
    art(collectible),
    h(
      "div",
      { class: "meta" },
      collectible.episode ? h("span", {}, `Episode ${collectible.episode}`) : null,
      where ? h("span", {}, `At ${where}`) : null,
      clue.kind === "social" ? h("span", {}, "Online drop") : null,
      info.expires_in_s ? h("span", {}, `Screen code, changes in ${info.expires_in_s} s`) : null,
    ),
    clue.kind === "social"
      ? h("p", { class: "muted small" }, "This code was posted online: you can claim it from anywhere while the drop lasts.")
      : h("p", { class: "muted small" }, "Codes count only on the spot: claiming asks your phone where you are."),
    claimBlock(view, code, info, autoClaim),
  );
}

function claimBlock(view, code, info, autoClaim = false) {
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const mint = h("div", { "aria-live": "polite" });
  const button = h("button", { class: "wide", type: "button" }, "Claim");
  const block = h("section", { class: "stack", "aria-label": "Claim" });
  let shown = null;
  // Drawn again only when the fan signs in or out (linking a wallet changes the session too,
  // and must not bring back "Claim" after a find).
  const render = () => {
    const signedIn = Boolean(session.token());
    if (signedIn === shown) return;
    shown = signedIn;
    const action = block.querySelector("a.done") || button;
    fill(block, signedIn ? null : joinForm({ compact: true }), action, status, mint);
    button.disabled = !signedIn;
  };
  const off = session.onChange(() => (block.isConnected ? render() : off()));
  button.addEventListener("click", () => claim({ code, info, button, status, mint }));
  render();
  if (autoClaim && session.token()) queueMicrotask(() => button.click());
  return block;
}

function say(status, tone, title, text, ...more) {
  status.className = `status ${tone}`;
  fill(status, h("strong", {}, title), text ? h("span", {}, text) : null, ...more);
}

async function claim({ code, info, button, status, mint }) {
  button.disabled = true;
  fill(mint);
  const token = session.token();
  const body = { code, scanned_at: new Date().toISOString(), device_id: session.deviceId() };
  const located = info?.clue.kind !== "social";
  try {
    if (located) {
      const fixLine = h("div", { class: "fix" });
      say(status, "wait", "Finding where you are…", "Hold the phone up, with a view of the sky if you can.", fixLine);
      const wantM = Math.min(info?.max_accuracy_m ?? 50, 50);
      const fix = await locate({
        wantM,
        onFix: (best, waiting) => fill(fixLine, `Accuracy ±${metres(best.accuracy_m)}${waiting ? ", waiting for a better fix…" : ""}`),
      });
      Object.assign(body, fix);
      body.scanned_at = new Date().toISOString();
    }
  } catch (error) {
    say(status, "bad", "We could not tell where you are.", error instanceof LocationError ? error.message : String(error));
    button.disabled = false;
    return;
  }
  const key = crypto.randomUUID();
  await send({ key, body, token, info, button, status, mint });
}

async function send({ key, body, token, info, button, status, mint }) {
  say(status, "wait", "Claiming…", null);
  const names = { place: placeOf(info), collectible: info?.collectible.name || "this collectible" };
  const outcome = ({ data, problem }) => {
    if (data) {
      showFind(status, mint, data, token);
      button.replaceWith(h("a", { class: "button secondary wide done", href: "/collection" }, "Open your collection"));
      return;
    }
    const answer = refusal(problem, names);
    if (answer.retryAfterS) {
      countdown(status, answer, () => (answer.automatic ? send({ key, body, token, info, button, status, mint }) : (button.disabled = false)));
      return;
    }
    say(status, "bad", answer.title, answer.text);
    button.disabled = false;
  };
  try {
    const { data } = await api("/v1/scans", { method: "POST", body, token, headers: { "Idempotency-Key": key } });
    outcome({ data });
  } catch (error) {
    if (error instanceof Unreachable) {
      await keep({ key, body, token, label: info?.collectible.name || "a code" });
      say(status, "wait", "No network: your claim is kept on this phone.", "It is sent by itself when you are back online, with the place and time you claimed it.");
      // When it is sent, this page shows the outcome itself (main.js asks before a notice).
      const sent = (event) => {
        if (event.detail.entry.key !== key) return;
        window.removeEventListener("geohunt:kept-sent", sent);
        if (!status.isConnected) return;
        event.preventDefault();
        outcome(event.detail.outcome);
      };
      window.addEventListener("geohunt:kept-sent", sent);
      return;
    }
    if (!(error instanceof Problem)) throw error;
    outcome({ problem: error });
  }
}

function countdown(status, answer, done) {
  let left = Math.ceil(answer.retryAfterS);
  const clock = h("div", { class: "fix" });
  say(status, "wait", answer.title, answer.text, clock);
  const tick = () => {
    fill(clock, left > 0 ? `Try again in ${left} s` : "Trying again…");
    if (left-- <= 0) return done();
    setTimeout(tick, 1000);
  };
  tick();
}

function placeOf(info) {
  if (!info) return "the place this code is";
  return [info.clue.label, info.clue.city].filter(Boolean).join(", ") || "the place this code is";
}

export function showFind(status, mint, data, token) {
  const { find } = data;
  say(
    status,
    "good",
    `You found ${find.collectible.name}!`,
    `${find.collectible.episode ? `Episode ${find.collectible.episode}. ` : ""}Score ${data.score}, rank ${data.rank}.`,
  );
  followMint(mint, find.id, token, find.mint?.status);
}
