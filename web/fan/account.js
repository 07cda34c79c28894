// Accounts: start with a handle (a walletless hunter that can claim at once and mint later), keep
// it with a passkey, link a wallet so waiting finds mint.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { passkeyControls } from "./passkeys.js";
import * as session from "./session.js";
import { walletControls } from "./wallet.js";

/** "Handle" + "Join" (and "Sign in with a passkey"), for pages a signed-out fan lands on. */
export function joinForm({ compact = false } = {}) {
  const input = h("input", {
    id: `handle-${Math.random().toString(36).slice(2)}`,
    name: "handle",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
    minlength: 3,
    maxlength: 32,
    pattern: "[A-Za-z0-9_.\\-]{3,32}",
    required: true,
  });
  const error = h("p", { class: "hint", role: "alert" });
  const join = h("button", { class: "wide", type: "submit" }, "Join");
  const form = h(
    "form",
    { class: "card stack", "aria-label": "Join the hunt", novalidate: true },
    compact ? h("p", { class: "small muted" }, "Pick a name for the leaderboard to claim. No wallet needed: your finds wait for one.") : null,
    h("label", { for: input.id }, "Handle"),
    input,
    h("p", { class: "hint" }, "3 to 32 letters, digits, _ - or ."),
    error,
    join,
    passkeyControls({ signedIn: false }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const handle = input.value.trim();
    if (!/^[A-Za-z0-9_.-]{3,32}$/.test(handle)) {
      fill(error, "Use 3 to 32 letters, digits, _ - or . (no spaces).");
      input.focus();
      return;
    }
    join.disabled = true;
    try {
      const { data } = await api("/v1/auth/hunters", { method: "POST", body: { handle } });
      session.signIn({ ...data, handle });
    } catch (problem) {
      if (problem instanceof Problem && problem.code === "handle_taken") fill(error, `“${handle}” is taken: try another.`);
      else if (problem instanceof Unreachable) fill(error, "No network: joining needs a connection. Try again in a moment.");
      else fill(error, problem.message);
      join.disabled = false;
      input.focus();
    }
  });
  return form;
}

/** The account card on the home page: who, score, passkey and wallet. */
export function accountCard(me) {
  return h(
    "section",
    { class: "card stack", "aria-label": "Your account" },
    h("h2", {}, `Hi ${me.handle || "fan"}`),
    h("p", { class: "muted" }, `Score ${me.score} · ${me.finds} ${me.finds === 1 ? "find" : "finds"}`, me.wallet ? ` · wallet ${me.wallet.slice(0, 6)}…${me.wallet.slice(-4)}` : ""),
    passkeyControls({ signedIn: true }),
    walletControls(me),
    h("button", { class: "quiet", type: "button", onclick: () => session.signOut() }, "Sign out on this phone"),
  );
}
