// Who is using the console: a token from the URL's fragment (#token=..., never sent to the
// server) or pasted on the page, kept on this device until "Sign out". Its role decides what the
// console shows; the server checks every call anyway.
import { claimsOf, expired } from "../shared/jwt.js";

const KEY = "geohunt.console.token";
const HUNT = "geohunt.console.hunt";
const ROLES = new Set(["organiser", "field"]);
const listeners = new Set();

/** Take a token from the fragment, if there is one, and drop it from the address bar. */
export function takeFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (!token) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  return use(token);
}

/** Keep `token` if it is a console token; else an error message to show. */
export function use(token) {
  const value = String(token || "").trim().replace(/^Bearer\s+/i, "");
  const claims = claimsOf(value);
  if (!claims || !claims.role) return "This is not a geohunt token: paste the whole token (three parts separated by dots).";
  if (expired(claims, 0)) return "This token has expired: ask an organiser for a new one.";
  if (!ROLES.has(claims.role)) return `A ${claims.role} token cannot use the console: it needs an organiser or a field token.`;
  localStorage.setItem(KEY, value);
  if (claims.hunt) localStorage.setItem(HUNT, claims.hunt);
  changed();
  return null;
}

export function token() {
  const value = localStorage.getItem(KEY);
  const claims = value && claimsOf(value);
  if (!claims || expired(claims) || !ROLES.has(claims.role)) return null;
  return value;
}

/** {role, sub, hunt, exp} of the current token, or null. */
export function who() {
  const value = token();
  if (!value) return null;
  const { role, sub, hunt = null, exp = null } = claimsOf(value);
  return { role, sub, hunt, exp };
}

export function signOut() {
  localStorage.removeItem(KEY);
  changed();
}

export function huntSlug() {
  return who()?.hunt || localStorage.getItem(HUNT);
}

export function setHunt(slug) {
  if (slug === huntSlug()) return;
  if (slug) localStorage.setItem(HUNT, slug);
  else localStorage.removeItem(HUNT);
  changed();
}

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) listener(who());
}
