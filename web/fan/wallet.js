// "Connect wallet": the browser's wallets found by EIP-6963 (window.ethereum when none announces
// itself), the fan's pick when there are several, then Sign-In with Ethereum (EIP-4361): the
// wallet signs a message naming this page's host and a single-use nonce, and POST /v1/auth/siwe
// with the hunter's token links the wallet to this walletless hunter, whose waiting finds are
// then queued for minting. In `geohunt demo` only, "Use the demo test wallet" signs the same
// message in the page with a public test key the server hands out (GET /v1/app/config).
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import * as session from "./session.js";

const STATEMENT = "Sign in to geohunt. Your finds are minted to this wallet.";
const VALID_MS = 10 * 60_000; // as long as the server keeps the nonce
const LATE_ANNOUNCE_MS = 300; // wallets answer a request at once; a beat for one still loading
const REJECTED = 4001; // EIP-1193: the user rejected the request
const PENDING = -32002; // the wallet already shows a request of this page

// EIP-6963: every wallet announces itself (now, and again whenever asked).
const announced = new Map();
window.addEventListener("eip6963:announceProvider", (event) => {
  const { info, provider } = event.detail || {};
  if (info?.uuid && typeof provider?.request === "function") announced.set(info.uuid, { info, provider });
});
window.dispatchEvent(new Event("eip6963:requestProvider"));

/** The browser's wallets: those announced by EIP-6963, else window.ethereum, else none. */
export async function discover() {
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  if (!announced.size) await new Promise((resolve) => setTimeout(resolve, LATE_ANNOUNCE_MS));
  if (announced.size) return [...announced.values()];
  const legacy = window.ethereum;
  if (typeof legacy?.request !== "function") return [];
  return [{ info: { uuid: "window.ethereum", name: legacyName(legacy) }, provider: legacy }];
}

function legacyName(provider) {
  if (provider.isRabby) return "Rabby";
  if (provider.isCoinbaseWallet) return "Coinbase Wallet";
  if (provider.isMetaMask) return "MetaMask";
  return "Browser wallet";
}

// What the server says about itself: the chain it mints on, and the demo's test key if any.
let config = null;
function appConfig() {
  config ??= api("/v1/app/config")
    .then(({ data }) => data)
    .catch(() => {
      config = null; // ask again next time
      return {};
    });
  return config;
}

/** The wallet part of an account (null once a wallet is linked: the account card names it). */
export function walletControls(me, { prominent = false } = {}) {
  if (me?.wallet) return null;
  const note = h("p", { class: "wallet-note", "aria-live": "polite" });
  const connect = h("button", { class: prominent ? "wide" : "secondary wide", type: "button" }, "Connect wallet");
  const choices = h("div", { class: "wallet-choices" });
  const demo = h("div");
  const box = h(
    "div",
    { class: "wallet stack" },
    connect,
    h("p", { class: "hint" }, "Your finds are minted to the wallet you connect; until then they wait in your account."),
    choices,
    note,
    demo,
  );
  const busy = (on) => {
    for (const button of box.querySelectorAll("button")) button.disabled = on;
  };
  const say = (tone, ...text) => {
    note.className = `wallet-note ${tone}`;
    fill(note, ...text);
    if (tone === "bad") note.scrollIntoView({ block: "nearest", behavior: "smooth" });
  };

  const link = async (name, signer) => {
    fill(choices);
    busy(true);
    try {
      const wallet = await signInWith(signer, (step) => say("wait", step));
      say("good", `Wallet ${short(wallet)} linked: your finds are minted to it.`);
    } catch (error) {
      say("bad", ...explain(error, name));
      busy(false);
    }
  };

  connect.addEventListener("click", async () => {
    busy(true);
    say("wait", "Looking for a wallet in this browser…");
    const wallets = await discover();
    busy(false);
    if (!wallets.length) {
      say(
        "bad",
        h("strong", {}, "No wallet in this browser."),
        " To get one, install a wallet app or browser extension (MetaMask, Rabby or Coinbase Wallet, for example), then open this page in it: on a phone, in the wallet app's own browser. ",
        "Your finds wait safely in your account until then.",
      );
      return;
    }
    const use = ({ info, provider }) => link(info.name, injectedSigner(info.name, provider));
    if (wallets.length === 1) return use(wallets[0]);
    fill(note);
    fill(
      choices,
      h(
        "div",
        { role: "group", "aria-label": "Choose a wallet", class: "stack" },
        h("p", { class: "wallet-ask" }, "Which wallet should your finds go to?"),
        wallets.map((wallet) =>
          h(
            "button",
            { class: "secondary wide wallet-choice", type: "button", onclick: () => use(wallet) },
            icon(wallet.info.icon),
            wallet.info.name || "Wallet",
          ),
        ),
        h("button", { class: "quiet", type: "button", onclick: () => fill(choices) }, "Cancel"),
      ),
    );
    choices.scrollIntoView({ block: "nearest", behavior: "smooth" });
  });

  appConfig().then(({ demo_wallet_key: key, chain_id: chainId }) => {
    if (!key) return;
    fill(
      demo,
      h(
        "div",
        { class: "demo-wallet" },
        h(
          "button",
          { class: "secondary wide", type: "button", onclick: () => link("the demo test wallet", demoSigner(key, chainId)) },
          "Use the demo test wallet",
        ),
        h(
          "p",
          { class: "hint" },
          h("span", { class: "badge" }, "Demo only"),
          " Signs right here with a public test key of this demo's local chain (one of anvil's). Everyone has this key: it is for trying geohunt out and must never hold anything of value.",
        ),
      ),
    );
  });
  return box;
}

export function icon(src) {
  // EIP-6963 icons are data: URIs (the page loads nothing from elsewhere); anything else is left out.
  return typeof src === "string" && /^data:image\//.test(src) ? h("img", { src, alt: "", width: 28, height: 28 }) : null;
}

/** An injected wallet (EIP-1193): the account it picks, its chain, personal_sign. */
function injectedSigner(name, provider) {
  return {
    async account(step) {
      step(`Open ${name} and approve: first sharing an account, then signing the sign-in message.`);
      const accounts = await provider.request({ method: "eth_requestAccounts" });
      if (!Array.isArray(accounts) || !accounts.length) throw new Error(`${name} shared no account.`);
      let chainId = null;
      try {
        chainId = parseInt(await provider.request({ method: "eth_chainId" }), 16);
      } catch {
        // A wallet that does not say: the message names the server's chain instead.
      }
      return { address: accounts[0], chainId: chainId || (await appConfig()).chain_id || 1 };
    },
    sign(message, address, step) {
      step(`Sign the message in ${name}: it proves the wallet is yours and costs nothing.`);
      return provider.request({ method: "personal_sign", params: [utf8Hex(message), address] });
    },
  };
}

/** The demo's public test key, signing in the page. */
function demoSigner(key, chainId) {
  return {
    async account(step) {
      step("Signing with the demo test wallet…");
      const [secp256k1, keccak] = await Promise.all([curve(), keccak256()]);
      const point = secp256k1.getPublicKey(bytesOf(key), false);
      return { address: hexOf(keccak(point.subarray(1)).subarray(12)), chainId: chainId || 31337 };
    },
    async sign(message) {
      const [secp256k1, keccak] = await Promise.all([curve(), keccak256()]);
      const text = new TextEncoder().encode(message);
      const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${text.length}`);
      const digest = keccak(Uint8Array.from([...prefix, ...text]));
      // noble's "recovered" form is recovery || r || s; Ethereum's is r || s || 27 + recovery.
      const signed = secp256k1.sign(digest, bytesOf(key), { prehash: false, format: "recovered" });
      return hexOf(Uint8Array.from([...signed.subarray(1), 27 + signed[0]]));
    },
  };
}

// The libraries load only when a wallet is connected, so the app's first load stays small.
const keccak256 = () => import("@noble/hashes/sha3.js").then((module) => module.keccak_256);
const curve = () => import("@noble/curves/secp256k1.js").then((module) => module.secp256k1);

/** EIP-55: the mixed-case address EIP-4361 requires (wallets often answer in lower case). */
async function checksummed(address) {
  const lower = String(address).toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(lower)) throw new Error(`not an Ethereum address: ${String(address).slice(0, 48)}`);
  const hash = hexOf((await keccak256())(new TextEncoder().encode(lower.slice(2)))).slice(2);
  return `0x${[...lower.slice(2)].map((c, i) => (parseInt(hash[i], 16) >= 8 ? c.toUpperCase() : c)).join("")}`;
}

function bytesOf(hex) {
  return Uint8Array.from(hex.slice(2).match(/../g), (pair) => parseInt(pair, 16));
}

function hexOf(bytes) {
  return `0x${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/** Sign in with Ethereum as the server verifies it; returns the wallet linked. */
async function signInWith(signer, step) {
  const { address, chainId } = await signer.account(step);
  const account = await checksummed(address);
  const { nonce, now } = await freshNonce();
  const message = siweMessage({ address: account, chainId, nonce, issuedAt: now, expiresAt: new Date(now.getTime() + VALID_MS) });
  const signature = await signer.sign(message, address, step);
  step("Linking the wallet to your account…");
  const { data } = await api("/v1/auth/siwe", { method: "POST", body: { message, signature }, token: session.token() });
  session.signIn({ token: data.token, hunter_id: data.hunter_id, wallet: data.wallet });
  return data.wallet;
}

/** A single-use nonce, and the server's time (a phone's clock may be off by minutes). */
async function freshNonce() {
  let response;
  try {
    response = await fetch("/v1/auth/siwe/nonce", { headers: { Accept: "application/json" } });
  } catch (error) {
    throw new Unreachable(error.message);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Problem(response.status, body, response.headers);
  const server = Date.parse(response.headers.get("Date") || "");
  return { nonce: body.nonce, now: new Date(Number.isFinite(server) ? server : Date.now()) };
}

/** EIP-4361, field for field as the server parses it: domain = this page's host (which must be
 * the host of PUBLIC_BASE_URL), URI = its origin. */
export function siweMessage({ address, chainId, nonce, issuedAt, expiresAt }) {
  return [
    `${location.host} wants you to sign in with your Ethereum account:`,
    address,
    "",
    STATEMENT,
    "",
    `URI: ${location.origin}`,
    "Version: 1",
    `Chain ID: ${chainId}`,
    `Nonce: ${nonce}`,
    `Issued At: ${rfc3339(issuedAt)}`,
    `Expiration Time: ${rfc3339(expiresAt)}`,
  ].join("\n");
}

function rfc3339(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function utf8Hex(text) {
  return hexOf(new TextEncoder().encode(text));
}

export function short(address) {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** What went wrong, as sentences with the next step. */
function explain(error, name) {
  if (error?.code === REJECTED) return [h("strong", {}, "Nothing was linked:"), ` you declined in ${name}. Your finds keep waiting; connect when you are ready.`];
  if (error?.code === PENDING) return [`${name} already shows a request from this page: open it and answer there.`];
  if (error instanceof Unreachable) return [h("strong", {}, "No network."), " Connecting a wallet needs a connection; your finds keep waiting. Try again in a moment."];
  if (error instanceof Problem) {
    switch (error.code) {
      case "wallet_taken":
        return [h("strong", {}, "This wallet belongs to another geohunt account."), " A wallet can be linked to one account only: connect another wallet for this one."];
      case "conflict":
        return [h("strong", {}, "Your account already has another wallet."), " Your finds are minted to that one."];
      case "bad_signature":
        return [h("strong", {}, "The signature did not check out."), ` Nothing was linked. Try again, or another wallet (geohunt cannot check smart-contract wallets' signatures yet).`];
      case "nonce_reused":
      case "message_expired":
        return [h("strong", {}, "The sign-in request ran out."), " Try again: it takes a new one."];
      case "wrong_domain":
        return [h("strong", {}, "This page is not at the hunt's own address."), ` Open the hunt from its usual address, not ${location.host}, and connect there.`];
      case "invalid_request":
        return [h("strong", {}, `${name} answered with a signature geohunt cannot read.`), " Try another wallet."];
      case "unauthorized":
        return [h("strong", {}, "Your sign-in on this phone has run out."), " Sign in again, then connect the wallet."];
      default:
        return [error.message];
    }
  }
  return [`${name} said: ${error?.message || String(error)}`];
}
