// The one way the web apps talk to geohunt: JSON in and out, problems turned into errors that
// carry their stable `code`, the bearer token from the caller, and no other origin ever.
//
// JSON is read and written with lossless-json: an integer past Number.MAX_SAFE_INTEGER (a fans'
// moment's token id is 2^62 + its id) comes back as a BigInt with every digit, where JSON.parse
// would round it to another token's id, and a BigInt is sent back as the same JSON number.
import { isInteger, parse, stringify } from "lossless-json";

/** A JSON number as JavaScript holds it exactly: a Number, or a BigInt for a larger integer. */
function exactNumber(text) {
  if (!isInteger(text)) return parseFloat(text);
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : BigInt(text);
}

/** JSON text as a value, its integers exact (see above). */
export function parseJson(text) {
  return parse(text, null, exactNumber);
}

/** A value as JSON text; a BigInt is written as a number with all its digits. */
export function toJson(value) {
  return stringify(value);
}

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
    init.body = toJson(body);
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
    data = text ? parseJson(text) : null;
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

async function send(path, init) {
  try {
    return await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new Unreachable(error.message);
  }
}

async function problemOf(response) {
  const text = await response.text();
  let data = null;
  try {
    data = text ? parseJson(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  return new Problem(response.status, data || {}, response.headers);
}

/** A body that is not JSON (a file: an image, a GeoJSON document), sent as `type`; JSON back. */
export async function apiFile(path, { method = "POST", file, type, token, signal } = {}) {
  const headers = { Accept: "application/json", "Content-Type": type || file.type || "application/octet-stream" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await send(path, { method, headers, body: file, signal });
  if (!response.ok) throw await problemOf(response);
  const text = await response.text();
  return { status: response.status, data: text ? parseJson(text) : null };
}

/** A binary answer (an image) fetched with the bearer token: pages show it from a blob: URL. */
export async function apiBlob(path, { token, signal } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await send(path, { headers, signal });
  if (!response.ok) throw await problemOf(response);
  return response.blob();
}
