// The one way the web apps talk to geohunt: JSON in and out, problems turned into errors that
// carry their stable `code`, the bearer token from the caller, and no other origin ever.

export class Problem extends Error {
  constructor(status, body, headers) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || "http_error";
    this.body = body;
    this.retryAfterS = Number(headers?.get("Retry-After")) || null;
  }
}

/** The network did not answer (offline, or the server unreachable): the request may be kept. */
export class Unreachable extends Error {}

export async function api(path, { method = "GET", body, token, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new Unreachable(error.message);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new Problem(response.status, data || {}, response.headers);
  return { status: response.status, data };
}

/** A same-origin URL, or null: pages never load art from another origin. */
export function ownOrigin(url) {
  if (!url) return null;
  try {
    const parsed = new URL(url, location.origin);
    return parsed.origin === location.origin ? parsed.pathname + parsed.search : null;
  } catch {
    return null;
  }
}
