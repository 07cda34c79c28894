// Passkeys (WebAuthn): "Add a passkey" keeps a walletless account (the phone's screen lock signs
// in, no password, no wallet); "Sign in with a passkey" brings it back on any device the passkey
// syncs to, or after this browser was cleared. The server makes the options (a single-use
// challenge, POST /v1/auth/passkeys/options) and checks what the authenticator answers; the page
// only carries them across, as JSON: PublicKeyCredential's own JSON helpers where the browser has
// them, base64url by hand where it does not.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import * as session from "./session.js";

const WELCOME_MS = 60_000; // how long the account card may still say "signed in with your passkey"
let welcome = null; // {hunterId, at}: the hunter this page just signed in with a passkey

/** The passkey part of the join form (signed out) or of the account card (signed in). */
export function passkeyControls({ signedIn = false } = {}) {
  const missing = unavailable(signedIn);
  if (missing) return h("p", { class: "hint passkey-missing" }, missing);
  return signedIn ? addControl() : signInControl();
}

/** Why this page cannot use passkeys, as a sentence; null when it can. */
function unavailable(signedIn) {
  if (!window.isSecureContext) {
    return "Passkeys work only at the hunt's secure address (https): open geohunt from its usual link to use one.";
  }
  if (typeof window.PublicKeyCredential !== "function" || typeof navigator.credentials?.get !== "function") {
    return signedIn
      ? "This browser cannot use passkeys. Your account works here all the same; to keep it with a passkey, open geohunt in a recent Chrome, Safari, Edge or Firefox."
      : "This browser cannot use passkeys: join with a handle here, or sign in with your passkey in a recent Chrome, Safari, Edge or Firefox.";
  }
  return null;
}

/** A line that says how it went: "wait", "good" or "bad". */
function noteLine() {
  const note = h("p", { class: "passkey-note", "aria-live": "polite" });
  const say = (tone, ...text) => {
    note.className = `passkey-note ${tone}`;
    fill(note, ...text);
    if (tone === "bad") note.scrollIntoView({ block: "nearest", behavior: "smooth" });
  };
  return { note, say };
}

/** Signed in: "Add a passkey" registers one for this hunter; it stays, for another device. */
function addControl() {
  const { note, say } = noteLine();
  const add = h("button", { class: "secondary wide", type: "button" }, "Add a passkey");
  const box = h(
    "div",
    { class: "passkeys stack" },
    add,
    h("p", { class: "hint" }, "Sign in again with your phone's fingerprint, face or screen lock, even on a new phone or after this browser is cleared. No password, no wallet."),
    note,
  );
  const who = session.current();
  if (welcome && who && welcome.hunterId === who.hunter_id && Date.now() - welcome.at < WELCOME_MS) {
    welcome = null;
    say("good", "Signed in with your passkey: welcome back.");
  }
  add.addEventListener("click", async () => {
    add.disabled = true;
    try {
      const token = session.token();
      if (!token) throw new Problem(401, { code: "unauthorized" });
      say("wait", "Getting ready…");
      const { data: options } = await api("/v1/auth/passkeys/options", { method: "POST", body: { purpose: "register" }, token });
      say("wait", "Follow your phone's prompt to create the passkey…");
      const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
      say("wait", "Saving the passkey…");
      await api("/v1/auth/passkeys", { method: "POST", body: { credential: credentialJSON(credential) }, token });
      say("good", h("strong", {}, "Passkey added:"), " you can sign in with it on any device it syncs to.");
    } catch (error) {
      say("bad", ...explain(error, "register"));
    } finally {
      add.disabled = false;
    }
  });
  return box;
}

/** Signed out: "Sign in with a passkey", a discoverable login that asks no one's name. */
function signInControl() {
  const { note, say } = noteLine();
  const button = h("button", { class: "secondary wide", type: "button" }, "Sign in with a passkey");
  const box = h(
    "div",
    { class: "passkeys stack" },
    h("p", { class: "passkey-or", "aria-hidden": "true" }, "or"),
    button,
    h("p", { class: "hint" }, "Joined before and added a passkey? Sign in with it, on this phone or a new one."),
    note,
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      say("wait", "Getting ready…");
      const { data: options } = await api("/v1/auth/passkeys/options", { method: "POST", body: { purpose: "login" } });
      say("wait", "Choose your geohunt passkey in your phone's prompt…");
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      say("wait", "Signing you in…");
      const { data } = await api("/v1/auth/passkeys/login", { method: "POST", body: { credential: credentialJSON(credential) } });
      // Who it is (GET /v1/me with the new token) before the session changes, so that the
      // header and the account card show the handle from the first render; the account card
      // then refreshes it (session.me()) as it always does.
      let me = null;
      try {
        ({ data: me } = await api("/v1/me", { token: data.token }));
      } catch {
        // Signed in all the same: the account card asks again.
      }
      welcome = { hunterId: data.hunter_id, at: Date.now() };
      say("good", "Signed in with your passkey.");
      session.signIn({ token: data.token, hunter_id: data.hunter_id, handle: me?.handle ?? null, wallet: me?.wallet ?? null });
    } catch (error) {
      say("bad", ...explain(error, "login"));
    } finally {
      button.disabled = false;
    }
  });
  return box;
}

/** What went wrong, as sentences with the next step. `ceremony`: "register" or "login". */
function explain(error, ceremony) {
  const adding = ceremony === "register";
  if (error instanceof Unreachable) {
    return [h("strong", {}, "No network."), ` ${adding ? "Adding" : "Signing in with"} a passkey needs a connection: nothing changed. Try again in a moment.`];
  }
  if (error instanceof Problem) {
    switch (error.code) {
      case "bad_assertion":
        return adding
          ? [h("strong", {}, "The new passkey did not check out:"), " nothing was added. Try again."]
          : [h("strong", {}, "This passkey is not known here."), " It may have been removed from your account or made for another site. Sign in with another passkey, or join with a handle."];
      case "challenge_reused":
        return [h("strong", {}, "That request ran out or was already used."), " Nothing changed: try again."];
      case "conflict":
        return [h("strong", {}, "This passkey is on your account already."), " You can sign in with it."];
      case "unauthorized":
        return [h("strong", {}, "Your sign-in on this phone has run out."), " Sign in again, then add the passkey."];
      case "rate_limited":
        return [h("strong", {}, "Too many tries."), ` Wait ${error.retryAfterS ? `${error.retryAfterS} s` : "a moment"}, then try again.`];
      default:
        return [error.message];
    }
  }
  switch (error?.name) {
    case "NotAllowedError":
    case "AbortError":
      return adding
        ? [h("strong", {}, "Nothing changed:"), " the passkey prompt was cancelled or timed out. Try again when you are ready."]
        : [h("strong", {}, "Nothing changed:"), " the passkey prompt was cancelled or timed out, or this device has no geohunt passkey. Try again, or join with a handle."];
    case "InvalidStateError":
      return [h("strong", {}, "This device already has a passkey for your account:"), " you can sign in with it here. For a device that does not share passkeys with this one, add one on that device."];
    case "SecurityError":
      return [h("strong", {}, "Passkeys work only at the hunt's own address."), ` Open geohunt from its usual link, not ${location.host}.`];
    case "NotSupportedError":
      return [h("strong", {}, "This device cannot make a passkey geohunt accepts."), " Try another device, or a security key."];
    default:
      return [`The passkey did not work: ${error?.message || String(error)}`];
  }
}

// --- JSON <-> WebAuthn --------------------------------------------------------------------------
// Browsers without PublicKeyCredential.parse*OptionsFromJSON / toJSON (Safari before 17.4,
// Firefox before 119...) get the same conversion by hand: bytes are unpadded base64url.

function creationOptions(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: bytes(json.challenge),
    user: { ...json.user, id: bytes(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((descriptor) => ({ ...descriptor, id: bytes(descriptor.id) })),
  };
}

function requestOptions(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  const options = { ...json, challenge: bytes(json.challenge) };
  if (json.allowCredentials) options.allowCredentials = json.allowCredentials.map((descriptor) => ({ ...descriptor, id: bytes(descriptor.id) }));
  return options;
}

/** A registration or an assertion as JSON (`PublicKeyCredential.toJSON()`'s form). */
function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const answer = credential.response;
  const response = { clientDataJSON: text(answer.clientDataJSON) };
  if (answer.attestationObject) {
    response.attestationObject = text(answer.attestationObject);
    response.transports = typeof answer.getTransports === "function" ? answer.getTransports() : [];
  } else {
    response.authenticatorData = text(answer.authenticatorData);
    response.signature = text(answer.signature);
    if (answer.userHandle && answer.userHandle.byteLength) response.userHandle = text(answer.userHandle);
  }
  return {
    id: credential.id,
    rawId: text(credential.rawId),
    type: credential.type,
    response,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: plain(credential.getClientExtensionResults?.() || {}),
  };
}

/** Extension results with their bytes as base64url (JSON.stringify would drop them). */
function plain(value) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return text(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  return value;
}

function bytes(base64url) {
  const base64 = String(base64url).replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function text(buffer) {
  const view = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = "";
  for (const byte of view) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
