// A find's token, followed until it is minted: the page asks again by itself, less often as
// time goes on, and stops at `minted` (with the token's link) or `failed`.
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";

const WORDS = {
  awaiting_wallet: "Waiting for a wallet: connect one and your collectible is minted to it.",
  queued: "Minting is queued…",
  submitted: "Minting on chain…",
  minted: "Minted to your wallet.",
  failed: "Minting failed; the organisers can retry it.",
};

export function mintLine(mint) {
  const status = mint?.status || "queued";
  return h(
    "p",
    { class: "mint-line" },
    h("span", { class: `pill ${status}` }, status.replace("_", " ")),
    " ",
    WORDS[status] || status,
    status === "minted" && mint.token_id ? [" ", h("a", { href: `/v1/tokens/${mint.token_id}` }, "See the token")] : null,
  );
}

export function followMint(element, findId, token, first) {
  let delay = 1500;
  let stopped = false;
  const show = (mint) => fill(element, mintLine(mint));
  show({ status: first });
  const poll = async () => {
    if (stopped || !element.isConnected) return;
    try {
      const { data } = await api("/v1/me/finds", { token });
      const find = data.find((item) => item.id === findId);
      if (find) {
        show(find.mint);
        if (find.mint.status === "minted" || find.mint.status === "failed") return;
      }
    } catch {
      // Offline for a moment: ask again later.
    }
    delay = Math.min(delay * 1.4, 10_000);
    setTimeout(poll, delay);
  };
  setTimeout(poll, delay);
  return () => (stopped = true);
}
