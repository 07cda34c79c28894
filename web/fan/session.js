// Who the fan is on this phone: the hunter's token (kept in localStorage, as the account must
// survive a closed tab), the hunt being played, and a device id for the server's records.
import { api, Problem } from "../shared/api.js";

const KEY = "geohunt.session";
const HUNT = "geohunt.hunt";
const listeners = new Set();

function read() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

function expired(token) {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.exp === "number" && payload.exp * 1000 < Date.now() + 30_000;
  } catch {
    return true;
  }
}

export function current() {
  const session = read();
  if (!session || expired(session.token)) return null;
  return session;
}

export function token() {
  return current()?.token || null;
}

export function signIn({ token: value, hunter_id, handle = null, wallet = null }) {
  const before = read();
  const session = {
    token: value,
    hunter_id,
    handle: handle ?? (before?.hunter_id === hunter_id ? before.handle : null),
    wallet: wallet ?? (before?.hunter_id === hunter_id ? before.wallet : null),
  };
  localStorage.setItem(KEY, JSON.stringify(session));
  changed();
  return session;
}

export function signOut() {
  localStorage.removeItem(KEY);
  changed();
}

/** Refresh handle, wallet and score from the server (GET /v1/me); null when signed out. */
export async function me() {
  const value = token();
  if (!value) return null;
  try {
    const { data } = await api("/v1/me", { token: value });
    const session = read();
    localStorage.setItem(KEY, JSON.stringify({ ...session, handle: data.handle, wallet: data.wallet }));
    return data;
  } catch (error) {
    if (error instanceof Problem && error.status === 401) signOut();
    throw error;
  }
}

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) listener(current());
}

export function huntSlug() {
  return localStorage.getItem(HUNT);
}

export function setHunt(slug) {
  if (slug && slug !== huntSlug()) {
    localStorage.setItem(HUNT, slug);
    changed();
  }
}

export function deviceId() {
  let id = localStorage.getItem("geohunt.device");
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem("geohunt.device", id);
  }
  return id;
}
