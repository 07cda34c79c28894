// API refusals as sentences an organiser or a field team can act on.
import { Problem, Unreachable } from "../shared/api.js";

export function explain(error) {
  if (error instanceof Unreachable) return "The server did not answer: check the network and try again.";
  if (!(error instanceof Problem)) return error?.message || String(error);
  if (missingRoute(error)) return "This server does not offer that yet (an older version of geohunt).";
  const detail = error.body?.detail || error.message;
  switch (error.code) {
    case "unauthorized":
      return "Your token is no longer accepted (expired or revoked): sign out and open a new link from an organiser.";
    case "forbidden":
      return `Your token may not do this: ${detail}.`;
    case "invalid_geofence":
      return `The fence is not valid: ${detail}. Draw it again (a simple shape, corners not crossing).`;
    case "not_found":
      return `Not found: ${detail}.`;
    case "slug_taken":
      return "A hunt with that slug exists already: pick another slug.";
    case "key_taken":
      return "A collectible with that key exists already in this hunt: pick another key.";
    case "rate_limited":
      return `Too many requests: try again in ${error.retryAfterS || 30} s.`;
    case "payload_too_large":
      return "The file is too large for the server.";
    default:
      return detail || `The server refused (${error.status}).`;
  }
}

/** True when the route itself is missing on this server (a feature not deployed yet). */
export function missingRoute(error) {
  // aiohttp's own answer for a path no route matches: "404: Not Found" (405 for a method).
  return error instanceof Problem && (error.status === 405 || (error.status === 404 && /^404: Not Found$/i.test(error.body?.detail || "")));
}
