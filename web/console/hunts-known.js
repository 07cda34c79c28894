// Which hunts the console can offer: the running ones (GET /v1/hunts), and those this device
// opened or created (an organiser's past or far-future hunts are not listed by the server).
import { api } from "../shared/api.js";

const KNOWN = "geohunt.console.hunts";

function remembered() {
  try {
    const list = JSON.parse(localStorage.getItem(KNOWN));
    return Array.isArray(list) ? list.filter((x) => x && typeof x.slug === "string") : [];
  } catch {
    return [];
  }
}

export function remember(hunt) {
  const list = remembered().filter((x) => x.slug !== hunt.slug);
  list.unshift({ slug: hunt.slug, name: hunt.name });
  localStorage.setItem(KNOWN, JSON.stringify(list.slice(0, 30)));
}

/** With an organiser's token the server lists every hunt it may run; otherwise the running ones. */
export async function knownHunts(token = null) {
  let listed = [];
  try {
    ({ data: listed } = await api("/v1/hunts", { token }));
  } catch {
    listed = [];
  }
  const all = new Map();
  for (const hunt of [...listed, ...remembered()]) if (!all.has(hunt.slug)) all.set(hunt.slug, { slug: hunt.slug, name: hunt.name });
  return [...all.values()];
}

/** The hunt with its rules and collectibles (GET /v1/hunts/{slug}, public). */
export async function loadHunt(slug) {
  const { data } = await api(`/v1/hunts/${encodeURIComponent(slug)}`);
  remember(data);
  return data;
}
