// The Swaps tab: one of the fan's tokens for another fan's, one for one, in a single chain
// transaction that moves both or neither. The fan picks a token of theirs and types the id of the
// one they want (POST /v1/swaps), signs the server's EIP-712 offer in their wallet
// (eth_signTypedData_v4, then POST /v1/swaps/{id}/signature); the other fan sees it under "Offers
// to you" and accepts (signs the same offer) or declines (DELETE); the maker may cancel until then.
// An accepted swap is relayed by geohunt's worker; the tab asks GET /v1/me/swaps again by itself
// (often while a swap is on its way) and says how each one ended. Opened from a twin or a
// leaderboard row ("Offer a swap to …"), the form lists that fan's tokens to pick the one wanted
// (fanswap.js); the token id field takes any other.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { art } from "./art.js";
import { FanTokens, fanFromUrl, fanName } from "./fanswap.js";
import * as session from "./session.js";
import { signTypedData, SignFailure } from "./typedsign.js";
import { icon, short, walletControls } from "./wallet.js";

const MAX_TOKEN_ID = (1n << 63n) - 1n; // token ids are kept as bigint on the server
const MOMENT_TOKEN_BASE = 1n << 62n; // a moment's token id is 2^62 + its id
const BUSY_POLL_MS = 2000; // while a swap is on its way to the chain
const IDLE_POLL_MS = 8000; // otherwise: new offers to the fan, the other fan's answer
const PREVIEW_DELAY_MS = 350;
const HOLDINGS_MS = 30_000; // how old the fan's finds and moments may get before asked again
const LIVES = [
  [3600, "1 hour"],
  [86_400, "1 day"],
  [3 * 86_400, "3 days"],
  [7 * 86_400, "7 days"],
];
const DEFAULT_LIFE = 86_400;
const WANT_HINT = "Ask the fan for its id: each token's Collection card says “token #…”. Or offer from the Leaderboard or your taste twins: each fan there has a Swap link.";
const ON_ITS_WAY = new Set(["accepted", "submitted"]);
const SETTLED = new Set(["completed", "failed", "cancelled", "declined", "expired"]);
const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const PILL = {
  awaiting_maker_signature: "not signed",
  open: "open",
  accepted: "accepted",
  submitted: "on chain",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
  declined: "declined",
  expired: "expired",
};

const lower = (value) => String(value || "").toLowerCase();

/** A token's art, small and beside its name (which says it all to a screen reader). */
function tokenArt(collectible) {
  const name = String(collectible.name || "").replace(/ #\d+$/, ""); // the episode's, not the token's
  return h("span", { class: "token-art", "aria-hidden": "true" }, art({ ...collectible, name }, "token-pic"));
}

/** The exact ids of a swap, as decimal digits (the API's JSON is read with every digit). */
function idsOf(swap) {
  return { give: String(swap.give_token_id), want: String(swap.want_token_id) };
}

/** A token id as JSON: a number, a BigInt where a Number would round (sent with every digit). */
function jsonId(id) {
  const number = Number(id);
  return Number.isSafeInteger(number) ? number : BigInt(id);
}

function tokenName(name, id) {
  return `${name} #${id}`;
}

function retryIn(problem) {
  return `${problem.retryAfterS || 5} s`;
}

/** The sentences every call can get: no network, the session over, too busy. Null otherwise. */
function common(problem, nothing) {
  if (problem instanceof Unreachable) return `No network: ${nothing}. Try again when you are back online.`;
  if (!(problem instanceof Problem)) return null;
  if (problem.code === "unauthorized") return `Your session has ended: ${nothing}. Sign in again on the Hunt tab, then come back to Swaps.`;
  if (problem.code === "rate_limited") return `Too many requests: ${nothing}. Try again in ${retryIn(problem)}.`;
  if (problem.code === "overloaded") return `geohunt is very busy right now: ${nothing}. Try again in ${retryIn(problem)}.`;
  if (problem.code === "unavailable") return `geohunt cannot reach the chain right now: ${nothing}. Try again in a moment.`;
  return null;
}

/** The sentence for an offer the server refused to make. */
export function offerRefusal(problem, { give, want }) {
  const said = common(problem, "nothing was offered");
  if (said) return said;
  if (!(problem instanceof Problem)) return problem.message || String(problem);
  const detail = problem.message || "";
  switch (problem.code) {
    case "not_holder":
      return `Your wallet does not hold token #${give} any more, so it cannot be offered: pick another of your tokens.`;
    case "not_found":
      if (/not minted/.test(detail)) {
        const which = detail.match(/token (\d+)/)?.[1] || want;
        return which === give ? `Your token #${give} is not minted yet: offer it once it is.` : `Token #${which} is not minted yet: its owner must connect a wallet first. Offer again once it is minted.`;
      }
      return `There is no token #${detail.match(/token (\d+)/)?.[1] || want}: check the id with the fan who holds it.`;
    case "conflict":
      if (/already yours|one you give/.test(detail)) return `Token #${want} is already yours: enter the id of a token another fan holds.`;
      return "This very offer was just made: wait a second and offer again.";
    case "invalid_request":
      return "A token id is a whole number from 1: check the id you typed.";
    default:
      return `The offer was not made: ${detail}`;
  }
}

/** The sentence for a signature the server refused (`role`: "maker" or "taker"). */
export function signatureRefusal(problem, wallet) {
  const said = common(problem, "your signature was not sent");
  if (said) return said;
  if (!(problem instanceof Problem)) return problem.message || String(problem);
  switch (problem.code) {
    case "bad_signature":
      return `The signature did not check out: it must come from the wallet linked to your account (${short(wallet)}). Nothing was sent; switch to that account in your wallet and sign again.`;
    case "swap_closed":
      return "This swap can no longer be signed: it changed meanwhile. Its line below says what happened.";
    case "not_found":
      return "This swap is no longer yours to see: it may have been withdrawn. The list is up to date again.";
    case "invalid_request":
      return "Your wallet answered with a signature geohunt cannot read: try again, or with another wallet.";
    default:
      return `Your signature was not sent: ${problem.message}`;
  }
}

/** The sentence for a cancel or decline the server refused. */
export function withdrawRefusal(problem, verb) {
  const said = common(problem, `the swap was not ${verb}`);
  if (said) return said;
  if (problem instanceof Problem && problem.code === "swap_closed") {
    return `Too late to ${verb === "cancelled" ? "cancel" : "decline"}: the swap was already accepted, or closed meanwhile. Its line below says what happened.`;
  }
  if (problem instanceof Problem && problem.code === "not_found") return "This swap is no longer yours to see. The list is up to date again.";
  return `The swap was not ${verb}: ${problem.message || problem}`;
}

/** The sentence for a wallet that did not sign. */
export function walletRefusal(error, wallet) {
  if (!(error instanceof SignFailure)) return error?.message || String(error);
  const name = error.name;
  switch (error.kind) {
    case "none":
      return `No wallet in this browser. Swaps are signed in the wallet linked to your account (${short(wallet)}): open this page in that wallet's app or browser, and sign there.`;
    case "declined":
      return `Nothing was signed: you declined in ${name}. The swap stays as it was; sign when you are ready.`;
    case "pending":
      return `${name} already shows a request from this page: open it and answer there.`;
    case "other_account":
      return `${name} shared another account, not the one linked to your account (${short(wallet)}): switch to that account in ${name}, then sign again.`;
    case "chain":
      return `${name} could not switch to the hunt's chain (chain id ${error.detail}): switch it there yourself, then sign again.`;
    default:
      return `${name} did not sign: ${error.detail}. Try again.`;
  }
}

/** What became of a failed swap, as a sentence: nothing moved in every case. */
export function failureSentence(error) {
  const reason = String(error || "");
  if (reason === "token_moved") return "One of the two tokens changed hands before the swap went through, so neither moved. Make a new offer with tokens you both hold now.";
  if (reason === "expired") return "The offer ran out before it reached the chain, so neither token moved. Make a new offer if you both still want it.";
  if (reason.startsWith("OfferNonceStale")) return "The offer's maker withdrew all their offers in their wallet, so the chain refused this one and neither token moved.";
  if (reason.startsWith("OfferIsCancelled")) return "The offer's maker cancelled it in their wallet, so the chain refused it and neither token moved.";
  if (reason.startsWith("OfferUsed")) return "The chain had already carried out this very offer, so it was not sent again.";
  if (reason.startsWith("BadSignature")) return "The chain did not accept one of the signatures, so neither token moved. Make a new offer and sign it again.";
  return `The chain refused the swap${reason ? ` (${reason})` : ""}, so neither token moved. Make a new offer if you both still want it.`;
}

export function swapsPage(view) {
  const page = new SwapsPage(view);
  page.start();
  return () => page.stop();
}

class SwapsPage {
  constructor(view) {
    this.view = view;
    this.stopped = false;
    this.timer = null;
    this.previewTimer = null;
    this.swaps = null; // the last GET /v1/me/swaps
    this.shown = ""; // what the lists show, to draw them again only when it changed
    this.tokens = new Map(); // the fan's tokens: id -> name
    this.owned = ""; // the same, to redraw the picker only when it changed
    this.known = new Map(); // swap id -> status, to announce what changed while the tab is open
    this.busy = new Set(); // swap ids with an action under way (their cards keep their note)
    this.notes = new Map(); // swap id -> the note of its last action that did not go through
    this.who = session.current()?.hunter_id ?? null;
    this.offSession = session.onChange((now) => {
      if (this.stopped) return;
      // Another fan, or a wallet just linked: everything changes.
      if ((now?.hunter_id ?? null) !== this.who || (now?.wallet && !this.wallet)) this.start();
    });
    this.onVisible = () => document.hidden || this.poll(0);
    document.addEventListener("visibilitychange", this.onVisible);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.previewTimer);
    this.offSession();
    document.removeEventListener("visibilitychange", this.onVisible);
  }

  async start() {
    clearTimeout(this.timer);
    this.who = session.current()?.hunter_id ?? null;
    this.swaps = null;
    this.shown = "";
    this.owned = "";
    this.known = new Map();
    this.loadedOnce = false;
    this.completed = null;
    this.ownedAt = 0;
    this.tokens = new Map();
    fill(this.view, h("h1", {}, "Swaps"), h("p", { class: "muted" }, "Loading your swaps…"));
    let me;
    try {
      me = await session.me();
    } catch {
      me = session.current(); // offline: the wallet this phone knows
    }
    if (this.stopped) return;
    this.wallet = lower(me?.wallet) || null;
    // /swaps?give=ID&want=ID (a Collection card's "Offer in a swap", a link a fan shared): the
    // form filled in, the token to give picked once the tab knows the fan holds it.
    // &fan=HUNTER_ID&name=NAME (a twin's or a leaderboard row's "Offer a swap"): that fan's
    // tokens to choose from.
    const asked = new URLSearchParams(location.search);
    this.prefill = { give: asked.get("give"), want: asked.get("want") };
    const fan = fanFromUrl(asked);
    this.fanTokens = fan ? new FanTokens(fan, { onPick: (id) => this.pickWanted(id), onDrop: () => this.dropFan() }) : null;
    this.scrolled = false;
    if (!this.wallet) return this.noWallet(me);
    this.render();
    if (this.prefill.want) {
      this.want.value = this.prefill.want;
      this.showPreview();
    }
    this.fanTokens?.load({ wanted: this.prefill.want });
    this.load();
  }

  intro() {
    return h(
      "p",
      { class: "muted" },
      "Trade one of your tokens for another fan's, one for one. You both sign the same offer in your wallets; geohunt sends it to the chain and pays the fee, and both tokens move in one transaction, or neither does.",
    );
  }

  noWallet(me) {
    fill(
      this.view,
      h("h1", {}, "Swaps"),
      this.intro(),
      h(
        "section",
        { class: "card stack swap-wallet", "aria-labelledby": "swap-wallet" },
        h("h2", { id: "swap-wallet" }, "Connect your wallet to swap"),
        h("p", {}, "Your tokens are in your wallet, and a swap is signed there: connect the wallet your finds are minted to."),
        this.fanTokens ? h("p", { class: "swap-for" }, `You chose ${fanName(this.fanTokens.fan)}: once your wallet is connected, the tokens they hold show here to pick the one you want.`) : null,
        walletControls(me, { prominent: true }),
      ),
    );
  }

  render() {
    this.announce = h("div", { class: "status", role: "status", "aria-live": "polite" });
    this.received = h("div", { class: "swap-list", "aria-busy": "true" }, h("p", { class: "muted" }, "Looking for offers…"));
    this.mine = h("div", { class: "swap-list", "aria-busy": "true" });
    fill(
      this.view,
      h(
        "div",
        { class: "swaps" },
        h("h1", {}, "Swaps"),
        this.intro(),
        h("p", { class: "small muted swap-me" }, "Your wallet ", h("b", {}, short(this.wallet))),
        this.announce,
        h("section", { class: "swap-section", "aria-labelledby": "swaps-received" }, h("h2", { id: "swaps-received" }, "Offers to you"), this.received),
        this.offerForm(),
        h("section", { class: "swap-section", "aria-labelledby": "swaps-mine" }, h("h2", { id: "swaps-mine" }, "Your swaps"), this.mine),
      ),
    );
  }

  // --- loading, and asking again -----------------------------------------------------------

  poll(ms) {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => (document.hidden ? null : this.load()), ms);
  }

  async load() {
    clearTimeout(this.timer);
    // Nothing to follow before the lists are drawn (still loading, or no wallet yet).
    if (this.stopped || !this.received?.isConnected) return;
    const token = session.token();
    let swaps;
    let owns = null; // the fan's finds and moments, when asked again
    try {
      ({ data: swaps } = await api("/v1/me/swaps", { token }));
      // The fan's finds and moments change far less often than swaps: asked again when a swap
      // completed, while the fan has no token yet (one is being minted), and now and then.
      const completed = swaps.filter((swap) => swap.status === "completed").map((swap) => swap.id).join();
      if (completed !== this.completed || !this.tokens.size || Date.now() - this.ownedAt > HOLDINGS_MS) {
        const [{ data: finds }, { data: moments }] = await Promise.all([
          api("/v1/me/finds", { token }),
          api("/v1/me/moments", { token }).catch(() => ({ data: [] })), // moments are a bonus
        ]);
        this.completed = completed;
        this.ownedAt = Date.now();
        owns = { finds, moments };
      }
    } catch (problem) {
      if (this.stopped) return;
      if (this.swaps === null) {
        const text = common(problem, "your swaps could not be loaded") || `Your swaps could not be loaded: ${problem.message || problem}`;
        fill(this.received, h("p", { class: "status bad", role: "alert" }, text), h("button", { type: "button", class: "secondary wide", onclick: () => this.load() }, "Try again"));
        this.received.setAttribute("aria-busy", "false");
        fill(this.mine);
      }
      if (!(problem instanceof Problem && problem.status === 401)) this.poll(IDLE_POLL_MS);
      return;
    }
    if (this.stopped) return;
    this.swaps = swaps;
    this.holdings(owns, swaps);
    this.tellChanges(swaps);
    this.showLists();
    if (this.fanTokens && !this.scrolled) {
      // Come to offer to a fan: the form is what they came for, whatever the lists above hold.
      this.scrolled = true;
      this.form.scrollIntoView?.({ block: "start" });
    } else if (owns) this.fanTokens?.load({ quiet: true }); // their tokens may have moved too
    this.poll(swaps.some((swap) => ON_ITS_WAY.has(swap.status)) ? BUSY_POLL_MS : IDLE_POLL_MS);
  }

  /** The tokens the fan holds now: minted finds and moments, and what completed swaps moved. */
  holdings(owns, swaps) {
    this.owns = owns || this.owns; // or as last asked
    const { finds, moments } = this.owns;
    const tokens = new Map();
    for (const find of finds) {
      if (find.mint?.status === "minted") tokens.set(String(find.id), { name: tokenName(find.collectible.name, find.id), key: find.collectible.key });
    }
    for (const moment of moments || []) {
      if (moment.mint?.status === "minted") {
        const id = String(moment.token_id ?? MOMENT_TOKEN_BASE + BigInt(moment.id));
        tokens.set(id, { name: `Moment “${moment.title}”`, key: moment.collectible });
      }
    }
    const completed = swaps.filter((swap) => swap.status === "completed").sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at));
    for (const swap of completed) {
      const { give, want } = idsOf(swap);
      if (lower(swap.maker) === this.wallet) {
        tokens.delete(give);
        tokens.set(want, { name: tokenName(swap.want.name, want), key: swap.want.key });
      } else {
        tokens.delete(want);
        tokens.set(give, { name: tokenName(swap.give.name, give), key: swap.give.key });
      }
    }
    this.tokens = tokens;
    // A token in a swap on its way is not offered again until it settles.
    this.moving = new Set(swaps.filter((swap) => ON_ITS_WAY.has(swap.status)).flatMap((swap) => Object.values(idsOf(swap))));
    const owned = JSON.stringify([[...tokens], [...this.moving]]);
    if (owned !== this.owned) {
      this.owned = owned;
      this.showPicker();
    }
  }

  /** Says in the status region what happened to a swap since the tab last looked. */
  tellChanges(swaps) {
    const first = !this.loadedOnce;
    this.loadedOnce = true;
    for (const swap of swaps) {
      const before = this.known.get(swap.id);
      this.known.set(swap.id, swap.status);
      if (first || before === swap.status) continue;
      // "Offer sent" is old news once that offer moved on: its card says what now.
      if (swap.id === this.sentId && swap.status !== "open") {
        this.sentId = null;
        fill(this.formNote);
      }
      const mine = lower(swap.maker) === this.wallet;
      const { give, want } = idsOf(swap);
      const got = mine ? tokenName(swap.want.name, want) : tokenName(swap.give.name, give);
      if (before === undefined && !mine && swap.status === "open") this.say("good", h("strong", {}, "A new offer to you"), `${short(swap.maker)} offers ${tokenName(swap.give.name, give)} for your ${tokenName(swap.want.name, want)}.`);
      else if (swap.status === "completed") this.say("good", h("strong", {}, `Swap #${swap.id} completed`), `You now hold ${got}.`);
      else if (swap.status === "failed") this.say("bad", h("strong", {}, `Swap #${swap.id} failed`), failureSentence(swap.error));
      else if (swap.status === "declined" && mine) this.say("bad", h("strong", {}, `Swap #${swap.id} declined`), `${short(swap.taker)} declined your offer.`);
      else if (swap.status === "cancelled" && !mine) this.say("bad", h("strong", {}, `Swap #${swap.id} withdrawn`), `${short(swap.maker)} cancelled the offer.`);
      else if (swap.status === "accepted" && mine) this.say("good", h("strong", {}, `Swap #${swap.id} accepted`), "Both signed: geohunt is sending it to the chain.");
    }
  }

  say(tone, ...content) {
    this.announce.className = `status ${tone}`;
    fill(this.announce, ...content);
  }

  showLists() {
    const shown = JSON.stringify(this.swaps.map((s) => [s.id, s.status, s.error, s.tx_hash]));
    if (shown === this.shown) return;
    this.shown = shown;
    const received = this.swaps.filter((swap) => swap.status === "open" && lower(swap.taker) === this.wallet);
    const others = this.swaps.filter((swap) => !received.includes(swap));
    // A card whose action is under way keeps its note: it is drawn again when the action ends.
    const keep = new Map([...this.view.querySelectorAll("[data-swap-id]")].filter((node) => this.busy.has(Number(node.dataset.swapId))).map((node) => [Number(node.dataset.swapId), node]));
    const card = (swap, make) => keep.get(swap.id) || make(swap);
    fill(
      this.received,
      received.length
        ? received.map((swap) => card(swap, (s) => this.receivedCard(s)))
        : h("p", { class: "empty-line" }, "No offers to you right now. When a fan offers a token for one of yours, it shows here to accept or decline."),
    );
    fill(
      this.mine,
      others.length
        ? others.map((swap) => card(swap, (s) => this.swapCard(s)))
        : h("section", { class: "card empty" }, h("p", {}, "No swaps yet."), h("p", { class: "small" }, "Offer one of your tokens above: the swaps you make and those offered to you are followed here until they complete.")),
    );
    this.received.setAttribute("aria-busy", "false");
    this.mine.setAttribute("aria-busy", "false");
  }

  // --- a new offer -------------------------------------------------------------------------

  offerForm() {
    this.picker = h("div", { class: "token-picker" }, h("p", { class: "muted" }, "Looking for your tokens…"));
    this.want = h("input", {
      id: "swap-want",
      name: "want",
      inputmode: "numeric",
      autocomplete: "off",
      enterkeyhint: "go",
      placeholder: "e.g. 42",
      "aria-describedby": "swap-want-hint",
    });
    this.preview = h("div", { class: "token-preview", "aria-live": "polite" });
    this.life = h(
      "select",
      { id: "swap-life", name: "life" },
      LIVES.map(([seconds, label]) => h("option", { value: seconds, selected: seconds === DEFAULT_LIFE }, label)),
    );
    this.formNote = h("div", { class: "swap-note", "aria-live": "polite" });
    this.chooser = h("div", { class: "swap-chooser" });
    this.send = h("button", { type: "submit", class: "wide" }, "Offer swap");
    this.want.addEventListener("input", () => {
      this.fanTokens?.pick(this.wantedId());
      fill(this.formNote);
      clearTimeout(this.previewTimer);
      this.previewTimer = setTimeout(() => this.showPreview(), PREVIEW_DELAY_MS);
    });
    const form = h(
      "form",
      { class: "card swap-form", "aria-label": "Offer a swap", novalidate: true },
      h("h2", {}, "Offer a swap"),
      h("fieldset", { class: "token-choice" }, h("legend", {}, "Your token"), this.picker),
      this.fanTokens?.node,
      h("div", { class: "field" }, h("label", { for: this.want.id }, "Token you want"), this.want),
      h(
        "p",
        { id: "swap-want-hint", class: "hint" },
        this.fanTokens ? "Or enter the id of any token: each token's Collection card says “token #…”." : WANT_HINT,
      ),
      this.preview,
      h("div", { class: "field" }, h("label", { for: this.life.id }, "Offer open for"), this.life),
      this.formNote,
      this.chooser,
      this.send,
    );
    this.form = form;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.makeOffer();
    });
    return form;
  }

  showPicker() {
    const chosen = this.picker.querySelector("input:checked")?.value;
    if (!this.tokens.size) {
      fill(this.picker, h("p", { class: "empty-line" }, "No tokens in your wallet yet: your finds show here once they are minted to it."));
      this.send.disabled = true;
      return;
    }
    this.send.disabled = false;
    const ids = [...this.tokens.keys()];
    const free = (id) => id && this.tokens.has(id) && !this.moving.has(id);
    const asked = this.prefill?.give;
    if (asked) {
      this.prefill.give = null; // once: then the fan's own pick counts
      if (!free(asked)) this.note(this.formNote, "bad", `Your wallet does not hold token #${asked} now (it may have been swapped away): pick one of the tokens it holds.`);
    }
    const pick = [asked, chosen].find(free) || ids.find((id) => !this.moving.has(id));
    fill(
      this.picker,
      ids.map((id) => {
        const moving = this.moving.has(id);
        const { name, key } = this.tokens.get(id);
        return h(
          "label",
          { class: "token-option" },
          h("input", { type: "radio", name: "give", value: id, checked: id === pick, disabled: moving }),
          tokenArt({ key, name }),
          h("span", { class: "grow" }, h("b", {}, name), moving ? h("small", {}, "In a swap on its way") : null),
        );
      }),
    );
  }

  wantedId() {
    const text = this.want.value.trim().replace(/^#/, "");
    if (!/^\d{1,19}$/.test(text) || BigInt(text) < 1n || BigInt(text) > MAX_TOKEN_ID) return null;
    return BigInt(text).toString();
  }

  async showPreview() {
    const id = this.wantedId();
    const asked = (this.previewAsked = {});
    if (!this.want.value.trim()) return fill(this.preview);
    if (!id) return fill(this.preview, h("p", { class: "field-problem" }, "A token id is a whole number from 1, as its Collection card shows it."));
    if (this.tokens.has(id)) return fill(this.preview, h("p", { class: "field-problem" }, `Token #${id} is yours already: enter the id of a token another fan holds.`));
    if (this.fanTokens?.has(id)) return fill(this.preview); // its radio above shows it
    let metadata;
    try {
      ({ data: metadata } = await api(`/v1/tokens/${id}`));
    } catch (problem) {
      if (asked !== this.previewAsked) return;
      if (problem instanceof Problem && problem.code === "not_found") fill(this.preview, h("p", { class: "field-problem" }, `There is no token #${id}: check the id with the fan who holds it.`));
      else fill(this.preview);
      return;
    }
    if (asked !== this.previewAsked) return;
    const episode = metadata.attributes?.find((attribute) => attribute.trait_type === "Episode")?.value;
    const name = metadata.name || `Token #${id}`;
    fill(
      this.preview,
      h(
        "div",
        { class: "token-option wanted" },
        tokenArt({ key: name.replace(/ #\d+$/, ""), name, image_url: metadata.image }),
        h("span", { class: "grow" }, h("b", {}, name), episode && !name.startsWith(episode) ? h("small", {}, `Episode ${episode}`) : h("small", {}, "The token you ask for")),
      ),
    );
  }

  async makeOffer() {
    fill(this.formNote);
    const give = this.picker.querySelector("input:checked")?.value;
    const want = this.wantedId();
    if (!give) return this.note(this.formNote, "bad", "Pick one of your tokens to offer.");
    if (!want) {
      this.want.focus();
      return this.note(this.formNote, "bad", "Enter the id of the token you want: a whole number from 1, as its Collection card shows it.");
    }
    if (this.tokens.has(want)) return this.note(this.formNote, "bad", `Token #${want} is yours already: enter the id of a token another fan holds.`);
    this.send.disabled = true;
    this.note(this.formNote, "wait", "Making the offer…");
    let swap;
    try {
      ({ data: swap } = await api("/v1/swaps", {
        method: "POST",
        body: { give_token_id: jsonId(give), want_token_id: jsonId(want), expires_in_s: Number(this.life.value) },
        token: session.token(),
      }));
    } catch (problem) {
      this.note(this.formNote, "bad", offerRefusal(problem, { give, want }));
      this.send.disabled = false;
      return;
    }
    this.busy.add(swap.id);
    // The taker by name when the token came from the chosen fan's list (their wallet is never shown).
    const taker = this.fanTokens?.has(want) ? fanName(this.fanTokens.fan) : short(swap.taker);
    const signed = await this.sign(swap, this.formNote, this.chooser);
    this.busy.delete(swap.id);
    this.send.disabled = false;
    if (signed) {
      this.sentId = swap.id;
      this.want.value = "";
      this.fanTokens?.pick(null);
      fill(this.preview);
      this.note(this.formNote, "good", h("strong", {}, "Offer sent"), `${taker} now sees it under Offers to you; it is open until ${WHEN.format(new Date(swap.deadline))}. Follow it under Your swaps.`);
    } else {
      this.formNote.append(h("p", { class: "small" }, "The offer waits under Your swaps: sign it there, or cancel it."));
    }
    this.load();
  }

  /** One of the chosen fan's tokens picked: it is the token wanted. */
  pickWanted(id) {
    this.want.value = id;
    fill(this.formNote);
    clearTimeout(this.previewTimer);
    this.showPreview();
  }

  /** "Not this fan": the form as it is without one, the address bar too. */
  dropFan() {
    const listed = this.fanTokens.has(this.wantedId());
    this.fanTokens.node.remove();
    this.fanTokens = null;
    history.replaceState(history.state, "", "/swaps");
    fill(this.form.querySelector("#swap-want-hint"), WANT_HINT);
    if (listed) this.want.value = "";
    fill(this.preview);
    this.want.focus();
  }

  note(node, tone, ...content) {
    node.className = `swap-note ${tone}`;
    fill(node, ...content);
    if (tone === "bad") node.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }

  /** The fan's signature of `swap`, asked of their wallet and posted; true when it went through. */
  async sign(swap, note, chooser) {
    let signature;
    try {
      signature = await signTypedData(swap.typed_data, this.wallet, {
        step: (text) => this.note(note, "wait", text),
        choose: (wallets) => this.choose(chooser, wallets),
      });
    } catch (error) {
      this.note(note, "bad", walletRefusal(error, this.wallet));
      return false;
    }
    this.note(note, "wait", "Sending your signature…");
    try {
      await api(`/v1/swaps/${swap.id}/signature`, { method: "POST", body: { signature }, token: session.token() });
    } catch (problem) {
      this.note(note, "bad", signatureRefusal(problem, this.wallet));
      return false;
    }
    return true;
  }

  /** Which wallet signs, when several are in this browser and none says it holds the address. */
  choose(container, wallets) {
    return new Promise((resolve) => {
      const done = (wallet) => {
        fill(container);
        resolve(wallet);
      };
      fill(
        container,
        h(
          "div",
          { role: "group", "aria-label": "Choose a wallet", class: "stack" },
          h("p", { class: "wallet-ask" }, `Which wallet holds ${short(this.wallet)}?`),
          wallets.map((wallet) => h("button", { class: "secondary wide wallet-choice", type: "button", onclick: () => done(wallet) }, icon(wallet.info.icon), wallet.info.name || "Wallet")),
          h("button", { class: "quiet", type: "button", onclick: () => done(null) }, "Cancel"),
        ),
      );
    });
  }

  // --- the swaps ---------------------------------------------------------------------------

  pair(swap) {
    const { give, want } = idsOf(swap);
    return { give: tokenName(swap.give.name, give), want: tokenName(swap.want.name, want), giveCollectible: swap.give, wantCollectible: swap.want };
  }

  tokensRow(swap, leftLabel, rightLabel) {
    const { give, want, giveCollectible, wantCollectible } = this.pair(swap);
    return h(
      "div",
      { class: "swap-tokens" },
      h("div", { class: "swap-token" }, tokenArt(giveCollectible), h("small", {}, leftLabel), h("b", {}, give)),
      h("span", { class: "swap-arrow", "aria-hidden": "true" }, "⇄"),
      h("div", { class: "swap-token" }, tokenArt(wantCollectible), h("small", {}, rightLabel), h("b", {}, want)),
    );
  }

  noteOf(swap) {
    const said = this.notes.get(swap.id);
    return said ? said : h("div", { class: "swap-note", "aria-live": "polite" });
  }

  receivedCard(swap) {
    const { give, want } = this.pair(swap);
    const note = this.noteOf(swap);
    const chooser = h("div", { class: "swap-chooser" });
    const accept = h("button", { type: "button" }, "Accept");
    const decline = h("button", { type: "button", class: "secondary" }, "Decline");
    const buttons = [accept, decline];
    accept.addEventListener("click", () =>
      this.act(swap, buttons, note, async () => {
        if (await this.sign(swap, note, chooser)) {
          this.say("good", h("strong", {}, `Swap #${swap.id} accepted`), "Both signed: geohunt is sending it to the chain. It completes below in a moment.");
          return true;
        }
        return false;
      }),
    );
    decline.addEventListener("click", () => this.act(swap, buttons, note, () => this.withdraw(swap, note, "declined")));
    return h(
      "article",
      { class: "card swap received", "aria-label": `Offer #${swap.id} from ${short(swap.maker)}`, dataset: { swapId: swap.id } },
      h("p", { class: "swap-head" }, h("span", { class: "pill open" }, "offer to you"), h("span", { class: "muted small" }, `from ${short(swap.maker)}`)),
      this.tokensRow(swap, "You get", "You give"),
      h("p", {}, `${short(swap.maker)} offers ${give} for your ${want}. Open until ${WHEN.format(new Date(swap.deadline))}.`),
      h("p", { class: "hint" }, "Accepting signs the offer in your wallet; geohunt then sends the swap and pays the fee."),
      note,
      chooser,
      h("div", { class: "row swap-actions" }, decline, accept),
    );
  }

  swapCard(swap) {
    const maker = lower(swap.maker) === this.wallet;
    const other = short(maker ? swap.taker : swap.maker);
    const { give, want } = this.pair(swap);
    const note = this.noteOf(swap);
    const chooser = h("div", { class: "swap-chooser" });
    const buttons = [];
    if (maker && swap.status === "awaiting_maker_signature") {
      buttons.push(h("button", { type: "button" }, "Sign in wallet"));
      buttons[0].addEventListener("click", () => this.act(swap, buttons, note, () => this.sign(swap, note, chooser)));
    }
    if (maker && (swap.status === "awaiting_maker_signature" || swap.status === "open")) {
      const cancel = h("button", { type: "button", class: "secondary" }, "Cancel offer");
      cancel.addEventListener("click", () => this.act(swap, buttons, note, () => this.withdraw(swap, note, "cancelled")));
      buttons.unshift(cancel);
    }
    return h(
      "article",
      { class: `card swap ${swap.status}`, "aria-label": `Swap #${swap.id}`, dataset: { swapId: swap.id, status: swap.status } },
      h(
        "p",
        { class: "swap-head" },
        h("span", { class: `pill ${swap.status}` }, PILL[swap.status] || swap.status),
        h("span", { class: "muted small" }, maker ? `you offered to ${other}` : `offered to you by ${other}`),
      ),
      maker ? this.tokensRow(swap, "You give", "You get") : this.tokensRow(swap, "You get", "You give"),
      h("p", { class: "swap-says" }, this.sentence(swap, { maker, other, give, want })),
      swap.tx_hash ? h("p", { class: "hint tx" }, "Transaction ", h("code", {}, `${swap.tx_hash.slice(0, 10)}…${swap.tx_hash.slice(-6)}`)) : null,
      ON_ITS_WAY.has(swap.status) ? h("div", { class: "swap-progress", role: "progressbar", "aria-label": `Swap #${swap.id} on its way` }, h("span", {})) : null,
      note,
      chooser,
      buttons.length ? h("div", { class: "row swap-actions" }, buttons) : null,
    );
  }

  sentence(swap, { maker, other, give, want }) {
    const until = WHEN.format(new Date(swap.deadline));
    const mineGone = maker ? give : want;
    const got = maker ? want : give;
    switch (swap.status) {
      case "awaiting_maker_signature":
        return `Not sent yet: sign it in your wallet and ${other} sees your offer of ${give} for ${want}.`;
      case "open":
        return maker ? `Waiting for ${other} to accept your ${give} for their ${want}, until ${until}.` : `Open until ${until}.`;
      case "accepted":
        return "Both of you signed: geohunt is sending the swap to the chain…";
      case "submitted":
        return "On its way: the swap is in a transaction on the chain, waiting for its block…";
      case "completed":
        return `Swapped: you gave ${mineGone} and now hold ${got}.`;
      case "failed":
        return failureSentence(swap.error);
      case "cancelled":
        return maker ? "You cancelled this offer." : `${other} cancelled this offer before you answered.`;
      case "declined":
        return maker ? `${other} declined your offer.` : "You declined this offer.";
      case "expired":
        return `The offer ran out on ${until} before it was accepted: nothing moved.`;
      default:
        return swap.status;
    }
  }

  /** Cancel (the maker) or decline (the taker); true when it went through. */
  async withdraw(swap, note, verb) {
    this.note(note, "wait", verb === "cancelled" ? "Cancelling…" : "Declining…");
    try {
      await api(`/v1/swaps/${swap.id}`, { method: "DELETE", token: session.token() });
    } catch (problem) {
      this.note(note, "bad", withdrawRefusal(problem, verb));
      return false;
    }
    this.say("good", h("strong", {}, `Swap #${swap.id} ${verb}`), verb === "cancelled" ? "Your offer is withdrawn: nothing moved." : `You declined the offer from ${short(swap.maker)}: nothing moved.`);
    return true;
  }

  /** An action of a card: its buttons held, its note kept while it runs, the lists asked again
   * after (at once, redrawn whether or not it went through so that the card shows the truth). */
  async act(swap, buttons, note, action) {
    for (const button of buttons) button.disabled = true;
    this.busy.add(swap.id);
    this.notes.delete(swap.id);
    let ok = false;
    try {
      ok = await action();
    } finally {
      this.busy.delete(swap.id);
      for (const button of buttons) button.disabled = false;
    }
    // What went wrong stays said, on the card drawn again if the swap changed meanwhile.
    if (!ok) this.notes.set(swap.id, note);
    if (ok) this.shown = ""; // the card is drawn again from what the server says now
    await this.load();
  }
}
