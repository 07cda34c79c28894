// A find's token, followed until it is minted. Every mint line still on its way is kept up to
// date by itself: one GET /v1/me/finds asks for all the lines of a hunter at once, less often as
// time goes on, again at once when the session changes (a wallet was just linked), the page
// comes back into view or the network returns, and a line stops at `minted` (with the token's
// link) or `failed`. While a find waits for a wallet, its page offers "Connect wallet".
import { api, Problem } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import * as session from "./session.js";
import { walletControls } from "./wallet.js";

const WORDS = {
  awaiting_wallet: "Waiting for a wallet: connect one and your collectible is minted to it.",
  queued: "Minting is queued…",
  submitted: "Minting on chain…",
  minted: "Minted to your wallet.",
  failed: "Minting failed; the organisers can retry it.",
};
const SETTLED = new Set(["minted", "failed"]);
const FIRST_DELAY_MS = 1500;
const MAX_DELAY_MS = 10_000;

function lineContent(mint) {
  const status = mint?.status || "queued";
  const minted = status === "minted" && mint.token_id;
  return [
    h("span", { class: `pill ${status}` }, status.replace("_", " ")),
    " ",
    minted ? `Minted to your wallet as token #${mint.token_id}.` : WORDS[status] || status,
    minted ? [" ", h("a", { href: `/v1/tokens/${mint.token_id}` }, "See the token")] : null,
  ];
}

/** A find's mint status as a line; given the find's id, the line keeps itself up to date. */
export function mintLine(mint, findId = null) {
  const line = h("p", { class: "mint-line" }, lineContent(mint));
  if (findId !== null) follow({ findId, token: null, node: line, mint, show: (value) => fill(line, lineContent(value)) });
  return line;
}

/** The mint status of a find just claimed, in `element`, followed until it settles, with
 * "Connect wallet" under it while the find waits for one. Returns a function that stops it. */
export function followMint(element, findId, token, first) {
  const show = (mint) =>
    fill(
      element,
      h("p", { class: "mint-line" }, lineContent(mint)),
      mint?.status === "awaiting_wallet" ? walletControls(session.current(), { prominent: true }) : null,
    );
  const entry = { findId, token, node: element, mint: { status: first }, show };
  show(entry.mint);
  follow(entry);
  return () => followed.delete(entry);
}

// --- one poll for every line ----------------------------------------------------------------

const followed = new Set();
let timer = null;
let delay = FIRST_DELAY_MS;
let asking = false;
let askAgain = false;

function follow(entry) {
  if (SETTLED.has(entry.mint?.status)) return;
  followed.add(entry);
  if (timer === null && !asking) later(delay);
}

function later(ms) {
  clearTimeout(timer);
  timer = setTimeout(poll, ms);
}

/** Ask now, and then often again for a while (something just changed). */
function soon() {
  delay = FIRST_DELAY_MS;
  if (followed.size) later(0);
}

async function poll() {
  timer = null;
  if (asking) {
    askAgain = true;
    return;
  }
  for (const entry of followed) if (!entry.node.isConnected) followed.delete(entry);
  if (!followed.size || document.hidden) return; // coming back into view asks again
  asking = true;
  const byToken = new Map();
  for (const entry of followed) {
    const token = entry.token || session.token();
    if (!token) continue;
    if (!byToken.has(token)) byToken.set(token, []);
    byToken.get(token).push(entry);
  }
  await Promise.all([...byToken].map(([token, entries]) => update(token, entries)));
  asking = false;
  if (askAgain) {
    askAgain = false;
    later(0);
  } else if (followed.size) {
    later(delay);
    delay = Math.min(delay * 1.4, MAX_DELAY_MS);
  }
}

async function update(token, entries) {
  let finds;
  try {
    ({ data: finds } = await api("/v1/me/finds", { token }));
  } catch (error) {
    // A token that no longer works will not start working: those lines stay as they are.
    if (error instanceof Problem && (error.status === 401 || error.status === 403)) for (const entry of entries) followed.delete(entry);
    return; // offline for a moment: ask again later
  }
  for (const entry of entries) {
    const find = finds.find((item) => item.id === entry.findId);
    if (!find) continue;
    // Shown again only when it changed: "Connect wallet" keeps its state while the fan uses it.
    if (find.mint.status !== entry.mint?.status || find.mint.token_id !== entry.mint?.token_id) {
      entry.mint = find.mint;
      entry.show(find.mint);
    }
    if (SETTLED.has(find.mint.status)) followed.delete(entry);
  }
}

session.onChange(soon);
window.addEventListener("online", soon);
document.addEventListener("visibilitychange", () => document.hidden || soon());
