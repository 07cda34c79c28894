// Every answer of POST /v1/scans as a sentence a fan reads on the pavement, with what to do next.

function metres(value) {
  if (!Number.isFinite(value)) return "some distance";
  return value >= 1000 ? `${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)} km` : `${Math.round(value)} m`;
}

/** `seconds`, give or take 30% at random: fans told the same Retry-After do not all come back at once. */
function jittered(seconds) {
  return seconds * (0.7 + Math.random() * 0.6);
}

/** { title, text, tone, retryAfterS? } for a refused claim (a Problem from the API). */
export function refusal(problem, { place = "the place this code is", collectible = "this collectible" } = {}) {
  const detail = problem.body?.detail || problem.message;
  switch (problem.code) {
    case "outside_geofence":
      return {
        title: `You are ${metres(problem.body?.distance_m)} away from this code.`,
        text: `Codes count only on the spot: go to ${place} and claim it there. A photo of a code does not count from home.`,
      };
    case "low_accuracy":
      return {
        title: "Your phone is not sure enough where you are.",
        text: `${detail}. Step outside, away from tall buildings, wait a moment for the GPS, and try again.`,
      };
    case "location_required":
      return { title: "This code needs your location.", text: "Allow location for this site in your browser, then try again." };
    case "code_expired":
      return { title: "The screen's code has changed.", text: "Codes on screens change every few seconds: scan the code the screen shows now." };
    case "code_revoked":
      return { title: "This code was replaced.", text: "The organisers printed a new code for this spot: scan the one on the billboard itself." };
    case "invalid_code":
      return { title: "This is not a geohunt code.", text: "Scan a code from a geohunt billboard, screen or post." };
    case "already_found":
      return { title: `You already hold ${collectible}.`, text: "One per fan: look for the codes of the other episodes." };
    case "sold_out":
      return { title: `Every ${collectible} from here has been claimed.`, text: "Look for another code of this episode: other spots may still have some." };
    case "hunt_not_active":
      return { title: "The hunt is not running right now.", text: `${detail}. Come back when it opens.` };
    case "clue_not_active":
      return { title: "This code is not active right now.", text: `${detail}. Look for another code of this episode.` };
    case "impossible_travel":
      return {
        title: "That is too far from your last find for the time since.",
        text: `${detail}. Claim it once you are really here.`,
      };
    case "clock_skew":
      return { title: "Your phone's clock is off.", text: "Set the date and time to automatic, then try again." };
    case "rate_limited":
      return { title: "Too many tries in a minute.", text: "Wait for the countdown, then try again.", retryAfterS: problem.retryAfterS || 30 };
    case "overloaded":
      return {
        title: "So many fans are claiming right now.",
        text: "Your claim will be sent again by itself; keep this page open.",
        retryAfterS: jittered(problem.retryAfterS || 5),
        automatic: true,
      };
    case "unavailable":
      // The database is away for a moment (a restart): the same claim, with its key, again.
      return {
        title: "geohunt is catching its breath.",
        text: "Your claim will be sent again by itself in a moment; keep this page open.",
        retryAfterS: jittered(problem.retryAfterS || 2),
        automatic: true,
      };
    case "unauthorized":
      return { title: "You are signed out.", text: "Join again or sign in with your passkey, then claim." };
    default:
      return { title: "That did not work.", text: detail || "Try again in a moment." };
  }
}

export { metres };
