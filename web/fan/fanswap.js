// Offering a swap to a fan met in the Twins list or on the Leaderboard: their "Offer a swap"
// link opens the Swaps tab as /swaps?fan={hunter_id}&name={name}, and the offer form lists the
// tokens that fan holds now (GET /v1/fans/{hunter_id}/tokens) as choices that fill in the token
// wanted. The server lists a fan only where the caller sees them anyway (a leaderboard's first
// entries, or a twin), and nothing but each token's id, episode and art.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { art } from "./art.js";
import * as session from "./session.js";

const MAX_ID = (1n << 63n) - 1n;
const LIMIT = 50; // a phone's list of choices; the token id field takes any other

/** The link a twin or a leaderboard row carries to the Swaps tab, that fan chosen. */
export function offerLink(hunterId, name) {
  const query = new URLSearchParams({ fan: String(hunterId), name: String(name || "") });
  return h(
    "a",
    { class: "offer-swap", href: `/swaps?${query}`, "aria-label": `Offer a swap to ${name || "this fan"}` },
    h("span", { "aria-hidden": "true" }, "⇄"),
    " Swap",
  );
}

/** The fan a Swaps URL names ({id, name}), or null for none or an id that names nobody. */
export function fanFromUrl(params) {
  const id = params.get("fan");
  if (!id || !/^\d{1,19}$/.test(id) || BigInt(id) < 1n || BigInt(id) > MAX_ID) return null;
  const name = (params.get("name") || "").trim().slice(0, 48);
  return { id: BigInt(id).toString(), name: name || null };
}

/** What a fan is called here: their handle, else the name their link showed, else the id. */
export function fanName(fan) {
  return fan.handle || fan.name || `fan #${fan.id}`;
}

function tokenLabel(token) {
  return token.title ? `Moment “${token.title}”` : `${token.collectible.name} #${token.token_id}`;
}

/** The chosen fan's tokens in the offer form: radio buttons named "want-pick"; `onPick(id)` when
 * the fan picks one (or one is picked for them), `onDrop()` when they choose no fan after all. */
export class FanTokens {
  constructor(fan, { onPick, onDrop }) {
    this.fan = fan;
    this.onPick = onPick;
    this.onDrop = onDrop;
    this.tokens = null; // the last answer's tokens
    this.shown = "";
    this.node = h("section", { class: "fan-tokens", "aria-labelledby": "fan-tokens-title", "aria-live": "polite" });
    this.title = h("h3", { id: "fan-tokens-title" });
    this.body = h("div", { class: "fan-tokens-body" });
    const drop = h("button", { type: "button", class: "quiet fan-drop" }, "Not this fan");
    drop.addEventListener("click", () => this.onDrop());
    fill(this.node, h("div", { class: "fan-tokens-head" }, this.title, drop), this.body);
    this.heading();
  }

  heading() {
    fill(this.title, `Offering to ${fanName(this.fan)}`);
  }

  /** Whether `id` is one of the fan's tokens listed here. */
  has(id) {
    return Boolean(this.tokens?.some((token) => token.token_id === id));
  }

  /** Checks the radio of `id` (none when it is not listed), as the token id field says. */
  pick(id) {
    for (const radio of this.body.querySelectorAll("input[name='want-pick']")) radio.checked = radio.value === id;
  }

  /** Asks the server again; `quiet`: keeps what is shown until the answer, and redraws only
   * when it changed. `wanted`: the token to pick first (a link's, or the one picked before). */
  async load({ quiet = false, wanted = null } = {}) {
    if (this.fan.id === String(session.current()?.hunter_id ?? "")) {
      return this.say("That is you: choose another fan on the Leaderboard or among your taste twins, or enter a token id below.");
    }
    if (!quiet) fill(this.body, h("p", { class: "muted" }, `Looking for the tokens ${fanName(this.fan)} holds…`));
    let data;
    try {
      ({ data } = await api(`/v1/fans/${this.fan.id}/tokens?limit=${LIMIT}`, { token: session.token() }));
    } catch (problem) {
      if (quiet && !(problem instanceof Problem && problem.status === 404)) return; // keep the last list
      this.tokens = null;
      this.shown = "";
      if (problem instanceof Problem && problem.status === 404) {
        return this.say(`${fanName(this.fan)} is not listed for you any more: they may have left the leaderboard's top places or turned taste twins off. Ask them for a token id and enter it below.`, "bad");
      }
      const why =
        problem instanceof Unreachable
          ? "No network: their tokens could not be loaded."
          : problem instanceof Problem && problem.status === 401
            ? "Your session has ended: sign in again on the Hunt tab."
            : `Their tokens could not be loaded: ${problem.message || problem}`;
      fill(this.body, h("p", { class: "status bad", role: "alert" }, why), h("button", { type: "button", class: "secondary", onclick: () => this.load({ wanted }) }, "Try again"));
      return;
    }
    if (data.handle) this.fan.handle = data.handle;
    this.heading();
    const shown = JSON.stringify(data.tokens);
    if (quiet && shown === this.shown) return;
    const before = this.body.querySelector("input[name='want-pick']:checked")?.value;
    this.tokens = data.tokens;
    this.shown = shown;
    if (quiet) return this.draw(this.has(before) ? before : null, data.more); // the fan's pick stays theirs
    const pick = this.has(wanted) ? wanted : this.tokens[0]?.token_id;
    this.draw(pick, data.more);
    if (pick) this.onPick(pick);
  }

  say(text, tone = "") {
    this.tokens = [];
    fill(this.body, h("p", { class: `empty-line ${tone}`.trim() }, text));
  }

  draw(pick, more) {
    const name = fanName(this.fan);
    if (!this.tokens.length) {
      return this.say(`${name} holds no minted tokens right now, so there is nothing of theirs to ask for yet. Their finds show here once they are minted to their wallet.`);
    }
    fill(
      this.body,
      h(
        "fieldset",
        { class: "token-choice" },
        h("legend", {}, "Their tokens"),
        this.tokens.map((token) =>
          h(
            "label",
            { class: "token-option" },
            h("input", {
              type: "radio",
              name: "want-pick",
              value: token.token_id,
              checked: token.token_id === pick,
              onchange: (event) => event.target.checked && this.onPick(token.token_id),
            }),
            h("span", { class: "token-art", "aria-hidden": "true" }, art({ ...token.collectible }, "token-pic")),
            h(
              "span",
              { class: "grow" },
              h("b", {}, tokenLabel(token)),
              token.title ? h("small", {}, `A fans’ moment of ${token.collectible.name}`) : token.collectible.episode ? h("small", {}, `Episode ${token.collectible.episode}`) : null,
            ),
          ),
        ),
        more ? h("p", { class: "hint" }, `${name} holds more tokens than these ${this.tokens.length}: for another one, enter its id below.`) : null,
      ),
    );
  }
}
