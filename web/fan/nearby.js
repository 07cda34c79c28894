// The "Nearby" tab: the hints of GET /v1/hunts/{slug}/nearby as the fan walks. Each code within
// the hunt's hint radius, roughly how far and which way (the server rounds both so that a hint
// guides without giving the spot away), an arrow from the phone's heading, and a camera view.
// Close enough (the hunt's reveal radius, with a good fix), the exact spot; for an AR clue, its
// object and "Claim", which sends the hint's ticket as the code to POST /v1/scans where the fan
// stands.
//
// The position comes from watchPosition (high accuracy); the hints are asked again when the fan
// has moved more than MOVED_M, or EVERY_MS after the last answer, never sooner than GAP_MS after
// the last request.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { assetName, objectMark, openArView } from "./arview.js";
import { showFind } from "./claim.js";
import { askPermission, bearingDeg, compassDial, distanceM, faceNorth, needsPermission, point, pointOf, smallArrow, turn, watchHeading } from "./compass.js";
import { LocationError, locate } from "./location.js";
import * as session from "./session.js";
import { metres, refusal } from "./verdicts.js";

const MOVED_M = 20;
const EVERY_MS = 15_000;
const GAP_MS = 3_000;
const FRESH_FIX_MS = 10_000; // a claim uses the watched position if it is this recent
const KIND = { billboard: "Billboard", digital: "Screen", ar: "AR object" };

function say(status, tone, title, text, ...more) {
  status.className = `status ${tone}`;
  fill(status, h("strong", {}, title), text ? h("span", {}, text) : null, ...more);
}

function exactMetres(value) {
  return value < 5 ? "a few steps" : metres(Math.round(value / 5) * 5);
}

/** The Nearby tab in `view`; returns the function that stops it (it also stops by itself
 * when the page is replaced). */
export async function nearbyPage(view, { hunt = null } = {}) {
  const slug = hunt?.slug || session.huntSlug();
  if (!slug) {
    fill(view, h("h1", {}, "Nearby"), h("section", { class: "card empty" }, h("p", {}, "Open a hunt's code first: hints are for the hunt you play.")));
    return () => {};
  }
  const game = { rules: {}, collectibles: new Map(), askedAt: 0 };
  const learn = (data) => {
    game.rules = data?.rules || {};
    game.collectibles = new Map((data?.collectibles || []).map((c) => [c.key, c]));
  };
  const relearn = async () => {
    game.askedAt = Date.now();
    try {
      learn((await api(`/v1/hunts/${encodeURIComponent(slug)}`)).data);
    } catch {
      // Names wait for the next try; keys stand in meanwhile.
    }
  };
  if (hunt?.slug === slug) learn(hunt);
  else await relearn();
  const hintRadius = () => game.rules.hint_radius_m ?? 1500;
  const revealRadius = () => game.rules.reveal_radius_m ?? 150;
  const maxAccuracy = () => game.rules.max_accuracy_m ?? 100;

  // --- the page ----------------------------------------------------------------------------
  const summary = h("p", { class: "muted small" }, "Hints of the codes around you: roughly how far, and which way.");
  const dial = compassDial();
  const target = h("strong", { class: "compass-target" });
  const targetLine = h("p", { class: "compass-line" });
  const headingNote = h("p", { class: "compass-note small muted" });
  const compassCard = h(
    "section",
    { class: "card compass-card", "aria-label": "Direction", hidden: true },
    dial,
    h("div", { class: "compass-text" }, target, targetLine, headingNote),
  );
  const position = h("p", { class: "position small", "aria-live": "off" });
  const state = h("div", { class: "nearby-state", role: "status", "aria-live": "polite" });
  const cameraButton = h("button", { class: "secondary wide camera-open", type: "button" }, "Camera view");
  const list = h("ul", { class: "list hints", role: "list", "aria-label": "Hints", hidden: true });
  const root = h("div", { class: "nearby" }, h("h1", {}, "Nearby"), summary, position, state, compassCard, cameraButton, list);
  fill(view, root);

  // --- what the page knows -----------------------------------------------------------------
  let fix = null; // {lat, lon, accuracy_m, at}
  let heading = null;
  let hints = null; // the last answer's hints; null before the first
  let truncated = false;
  let loadedAt = null;
  let offline = false;
  let problem = null; // the last refusal of the hints (signed out, another hunt, hunt not running)
  let located = "waiting"; // waiting | ok | blocked | unsupported
  let selected = null; // clue id the compass points to; the nearest not found when null
  let fetchedAt = 0;
  let fetchedFix = null;
  let retryAt = 0;
  let inFlight = false;
  let wake = null;
  let watch = null;
  let stopped = false;
  let arview = null;
  let asked = false; // iOS: the fan tapped "Use the compass"
  const claimed = new Set(); // clue ids claimed on this page (before the server says `found`)
  const retryAfterLoad = new Set(); // rows whose ticket ran out, claimed again with the next one
  const rows = new Map();

  // --- position ----------------------------------------------------------------------------
  const startWatch = () => {
    if (!("geolocation" in navigator)) {
      located = "unsupported";
      render();
      return;
    }
    located = fix ? "ok" : "waiting";
    watch = navigator.geolocation.watchPosition(
      (where) => {
        if (stopped) return;
        fix = {
          lat: where.coords.latitude,
          lon: where.coords.longitude,
          accuracy_m: Math.max(where.coords.accuracy, 0.1),
          at: Date.now(),
        };
        located = "ok";
        render();
        consider();
      },
      (error) => {
        if (stopped) return;
        if (error.code === error.PERMISSION_DENIED) {
          navigator.geolocation.clearWatch(watch);
          watch = null;
          located = "blocked";
          render();
        }
        // Unavailable for a moment or slow: the watch goes on, the last fix stays.
      },
      { enableHighAccuracy: true, maximumAge: 2_000, timeout: 30_000 },
    );
  };

  const compass = watchHeading((deg) => {
    heading = deg;
    paint();
  });

  // --- asking the server -------------------------------------------------------------------
  const due = () => {
    if (!fix) return false;
    if (!fetchedFix) return true;
    if (Date.now() - fetchedAt >= EVERY_MS) return true;
    if (distanceM(fix, fetchedFix) > MOVED_M) return true;
    // A much better fix where only a rough one was asked with may reveal what is near.
    return fetchedFix.accuracy_m > maxAccuracy() && fix.accuracy_m <= maxAccuracy();
  };

  // Signed out, another hunt's sign-in, no such hunt: asking again would not help.
  const fatal = () => Boolean(problem) && [401, 403, 404].includes(problem.status);

  function consider() {
    clearTimeout(wake);
    wake = null;
    if (stopped || inFlight || !fix || fatal() || document.hidden) return;
    const now = Date.now();
    const wait = Math.max(fetchedAt + GAP_MS - now, retryAt - now, 0);
    if (due()) {
      if (wait > 0) wake = setTimeout(consider, wait);
      else load();
    } else {
      wake = setTimeout(consider, Math.max(fetchedAt + EVERY_MS - now, GAP_MS));
    }
  }

  const refreshSoon = () => {
    fetchedFix = null;
    consider();
  };

  async function load() {
    const token = session.token();
    if (!token) {
      problem = new Problem(401, { code: "unauthorized", detail: "signed out" });
      render();
      return;
    }
    inFlight = true;
    const at = fix;
    fetchedAt = Date.now();
    fetchedFix = at;
    const query = new URLSearchParams({ lat: at.lat.toFixed(6), lon: at.lon.toFixed(6), accuracy_m: at.accuracy_m.toFixed(1) });
    try {
      const { data } = await api(`/v1/hunts/${encodeURIComponent(slug)}/nearby?${query}`, { token });
      hints = data.hints;
      problem = null;
      truncated = Boolean(data.truncated);
      loadedAt = new Date();
      offline = false;
      if (hints.some((hint) => !game.collectibles.has(hint.collectible)) && Date.now() - game.askedAt > 60_000) await relearn();
    } catch (error) {
      if (error instanceof Unreachable) offline = true;
      else if (error instanceof Problem && error.status === 429) retryAt = Date.now() + (error.retryAfterS || 10) * 1000;
      else if (error instanceof Problem && error.status === 503) retryAt = Date.now() + (error.retryAfterS || 5) * 1000;
      else if (error instanceof Problem) problem = error;
      else throw error;
    } finally {
      inFlight = false;
    }
    if (stopped) return;
    render();
    for (const id of [...retryAfterLoad]) {
      retryAfterLoad.delete(id);
      const row = rows.get(id);
      if (row?.item?.claimable) claim(row, { again: true });
      else if (row?.claimBox) {
        say(row.claimBox.status, "bad", "This object's ticket ran out.", "Come within its reveal radius again and claim it once more.");
        row.claimBox.button.disabled = false;
      }
    }
    consider();
  }

  // --- the hints as the page shows them ----------------------------------------------------
  function describe(hint) {
    const collectible = game.collectibles.get(hint.collectible);
    const exact = Boolean(hint.location && fix);
    const found = hint.found || claimed.has(hint.clue_id);
    return {
      id: hint.clue_id,
      name: collectible?.name || hint.collectible,
      episode: collectible?.episode || null,
      kind: hint.kind,
      exact,
      distance_m: exact ? distanceM(fix, hint.location) : hint.distance_m,
      bearing_deg: exact ? bearingDeg(fix, hint.location) : hint.bearing_deg,
      found,
      revealed: Boolean(hint.location),
      anchor: hint.ar || null,
      claimable: Boolean(hint.ticket) && !found,
      ticket: hint.ticket || null,
    };
  }

  const items = () => (hints || []).map(describe).sort((a, b) => a.distance_m - b.distance_m || a.id - b.id);

  const chosen = (all) => all.find((item) => item.id === selected) || all.find((item) => !item.found) || all[0] || null;

  function rowFor(item) {
    let row = rows.get(item.id);
    if (row) return row;
    const arrow = smallArrow();
    const name = h("strong", { class: "hint-name" });
    const sub = h("span", { class: "hint-sub" });
    const distance = h("span", { class: "hint-dist" });
    const pill = h("span", { class: "pill" });
    const pick = h(
      "button",
      { class: "hint-pick", type: "button", "aria-pressed": "false" },
      arrow,
      h("span", { class: "hint-main" }, name, sub),
      h("span", { class: "hint-end" }, distance, pill),
    );
    const reveal = h("div", { class: "hint-reveal", hidden: true });
    const li = h("li", { class: "hint-row" }, pick, reveal);
    row = { id: item.id, li, pick, arrow, name, sub, distance, pill, reveal, revealKey: "", claimBox: null, item };
    pick.addEventListener("click", () => {
      selected = item.id;
      render();
    });
    rows.set(item.id, row);
    return row;
  }

  function claimBoxFor(row) {
    if (row.claimBox) return row.claimBox;
    const button = h("button", { class: "wide claim-ar", type: "button" }, "Claim");
    const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
    const mint = h("div", { "aria-live": "polite" });
    const box = h("div", { class: "stack claim-box" }, button, status, mint);
    button.addEventListener("click", () => claim(row));
    row.claimBox = { box, button, status, mint, done: false };
    return row.claimBox;
  }

  function updateRow(row, item, isSelected) {
    row.item = item;
    row.li.className = `hint-row kind-${item.kind}${item.found ? " found" : ""}${isSelected ? " selected" : ""}${item.revealed ? " revealed" : ""}`;
    row.pick.setAttribute("aria-pressed", String(isSelected));
    fill(row.name, item.name);
    fill(row.sub, [KIND[item.kind] || item.kind, item.episode ? `Episode ${item.episode}` : null].filter(Boolean).join(" · "));
    fill(row.distance, item.exact ? exactMetres(item.distance_m) : metres(item.distance_m), h("span", { class: "sr-only" }, ` to the ${pointOf(item.bearing_deg)}`));
    row.pill.className = `pill ${item.found ? "found" : "open"}`;
    fill(row.pill, item.found ? "Found" : "Not found yet");
    // What is revealed close by: redrawn only when it changes (the claim box stays put).
    const revealKey = `${item.revealed}|${item.anchor?.asset_url || ""}|${item.found}|${item.claimable}`;
    if (revealKey !== row.revealKey) {
      row.revealKey = revealKey;
      const parts = [];
      if (item.revealed && item.anchor) {
        const thing = assetName(item.anchor);
        parts.push(
          h(
            "div",
            { class: "ar-object" },
            objectMark(item.anchor, "ar-thing-small"),
            h(
              "p",
              {},
              h("b", {}, thing),
              item.found ? `: you hold ${item.name}. The object stays here for other fans.` : `, the AR object of ${item.name}, is here. Claim it where you stand.`,
            ),
          ),
        );
      } else if (item.revealed) {
        parts.push(h("p", { class: "small" }, `You are within ${metres(revealRadius())}: look around for the ${item.kind === "digital" ? "screen" : "billboard"} and scan its code.`));
      }
      if (item.claimable || row.claimBox?.done || row.claimBox?.status.textContent) parts.push(claimBoxFor(row).box);
      fill(row.reveal, parts);
      row.reveal.hidden = parts.length === 0;
    }
    if (row.claimBox && !row.claimBox.done) row.claimBox.button.hidden = !item.claimable;
  }

  function render() {
    if (stopped) return;
    const all = items();
    const focus = chosen(all);
    // Position and state.
    if (fix) {
      const rough = fix.accuracy_m > maxAccuracy();
      position.className = `position small${rough ? " rough" : ""}`;
      fill(
        position,
        h("span", { class: "dot", "aria-hidden": "true" }),
        `Your position ±${metres(fix.accuracy_m)}`,
        loadedAt ? ` · updated ${loadedAt.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}` : "",
        rough ? h("span", { class: "warn" }, ` · too rough to reveal a spot: step outside, away from tall buildings`) : null,
      );
    } else fill(position);
    fill(state, stateMessage(all));
    state.hidden = !state.textContent;
    // Summary.
    if (hints && all.length) {
      const open = all.filter((item) => !item.found).length;
      fill(summary, `${all.length} ${all.length === 1 ? "code" : "codes"} within ${metres(hintRadius())}`, open < all.length ? `, ${open} still to find` : "", truncated ? ` (the ${all.length} nearest)` : "", ". Distances are rounded until you are close.");
    } else fill(summary, "Hints of the codes around you: roughly how far, and which way.");
    // The list, in order, moving rows only when the order changed (a moved button loses focus).
    const wanted = all.map((item) => {
      const row = rowFor(item);
      updateRow(row, item, item === focus);
      return row.li;
    });
    for (const [id, row] of rows) if (!all.some((item) => item.id === id)) (row.li.remove(), rows.delete(id));
    if (wanted.some((li, i) => list.children[i] !== li)) list.replaceChildren(...wanted);
    list.hidden = all.length === 0 || fatal();
    compassCard.hidden = !focus || fatal();
    paint();
  }

  function stateMessage(all) {
    if (problem) {
      if (problem.status === 401) return [h("strong", {}, "You are signed out."), " Join again or sign in on the Hunt tab to see the hints."];
      if (problem.status === 403) return [h("strong", {}, "Your sign-in is for another hunt."), " Open a code of this hunt, or sign in again."];
      if (problem.status === 404) return [h("strong", {}, "This hunt is not here any more."), " Open a code of the hunt you play."];
      const answer = refusal(problem);
      return [h("strong", {}, answer.title), " ", answer.text];
    }
    if (located === "unsupported") return [h("strong", {}, "This browser cannot tell where you are."), " Hints need your location: open geohunt in your phone's own browser."];
    if (located === "blocked") {
      return [
        h("strong", {}, "Location is blocked for this site."),
        " Hints need to know where you are: allow location in your browser's site settings, then try again.",
        h("button", { class: "secondary", type: "button", onclick: () => (located = "waiting", render(), startWatch()) }, "Try again"),
      ];
    }
    if (!fix) return [h("strong", {}, "Finding where you are…"), " Hold the phone up, with a view of the sky if you can."];
    if (offline) {
      return hints
        ? [h("strong", {}, "You are offline."), ` These are the hints of ${loadedAt.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}; they refresh by themselves when you are back online.`]
        : [h("strong", {}, "You are offline."), " Hints need a connection: they appear by themselves when you are back online."];
    }
    if (!hints) return [h("strong", {}, "Looking for codes around you…")];
    if (!all.length) {
      return [
        h("strong", {}, `No codes within ${metres(hintRadius())}.`),
        " Walk on: hints appear here by themselves as you come within reach of a billboard, screen or AR object.",
      ];
    }
    return [];
  }

  // Arrows follow the heading: only transforms change, at most once a frame.
  let frame = 0;
  function paint() {
    if (frame || stopped) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (stopped) return;
      const facing = heading ?? 0;
      for (const row of rows.values()) point(row.arrow, row.item.bearing_deg - facing);
      const focus = chosen(items());
      faceNorth(dial, heading);
      point(dial, focus ? focus.bearing_deg - facing : null);
      if (focus) {
        fill(target, focus.name, focus.found ? h("span", { class: "pill found" }, "Found") : null);
        const distance = focus.exact ? exactMetres(focus.distance_m) : metres(focus.distance_m);
        const diff = turn(focus.bearing_deg - facing);
        const side = Math.abs(diff) < 10 ? "straight ahead" : `${Math.round(Math.abs(diff) / 10) * 10}° to your ${diff < 0 ? "left" : "right"}`;
        fill(targetLine, `${distance} to the ${pointOf(focus.bearing_deg)}`, heading === null ? "" : `, ${side}`);
        dial.setAttribute("aria-label", `Compass: ${focus.name} is ${distance} to the ${pointOf(focus.bearing_deg)}${heading === null ? "" : `, ${side}`}`);
      }
      if (heading !== null) fill(headingNote, `Facing ${pointOf(facing)} (${Math.round(facing)}°). Hold the phone flat: the arrow points the way.`);
      else {
        fill(
          headingNote,
          "No compass on this phone: the arrow points relative to north (N at the top).",
          needsPermission() && !asked && !compass.heard()
            ? h(
                "button",
                {
                  class: "quiet",
                  type: "button",
                  onclick: async () => {
                    asked = true;
                    if (!(await askPermission())) fill(headingNote, "Motion and orientation are not allowed: the arrow points relative to north (N at the top).");
                  },
                },
                "Use the compass",
              )
            : null,
        );
      }
      headingNote.classList.toggle("no-heading", heading === null);
      arview?.update({ items: items(), heading });
    });
  }

  // --- claiming an AR object ---------------------------------------------------------------
  async function claim(row, { again = false } = {}) {
    const item = row.item;
    if (!item.claimable || !item.ticket) return;
    const { button, status, mint } = claimBoxFor(row);
    button.disabled = true;
    fill(mint);
    const token = session.token();
    if (!token) {
      say(status, "bad", "You are signed out.", "Join again or sign in with your passkey, then claim.");
      button.disabled = false;
      return;
    }
    let where = fix && Date.now() - fix.at < FRESH_FIX_MS && fix.accuracy_m <= maxAccuracy() ? fix : null;
    try {
      if (!where) {
        const line = h("div", { class: "fix" });
        say(status, "wait", "Finding where you are…", "Hold the phone up, with a view of the sky if you can.", line);
        where = await locate({ wantM: Math.min(maxAccuracy(), 50), onFix: (best, waiting) => fill(line, `Accuracy ±${metres(best.accuracy_m)}${waiting ? ", waiting for a better fix…" : ""}`) });
      }
    } catch (error) {
      say(status, "bad", "We could not tell where you are.", error instanceof LocationError ? error.message : String(error));
      button.disabled = false;
      return;
    }
    const body = {
      code: item.ticket,
      lat: where.lat,
      lon: where.lon,
      accuracy_m: where.accuracy_m,
      scanned_at: new Date().toISOString(),
      device_id: session.deviceId(),
    };
    await send(row, body, crypto.randomUUID(), token, again);
  }

  async function send(row, body, key, token, again) {
    const { button, status, mint } = row.claimBox;
    const name = row.item.name;
    say(status, "wait", "Claiming…", `${name}, where you stand.`);
    try {
      const { data } = await api("/v1/scans", { method: "POST", body, token, headers: { "Idempotency-Key": key } });
      claimed.add(row.id);
      row.claimBox.done = true;
      showFind(status, mint, data, token);
      button.replaceWith(h("a", { class: "button secondary wide", href: "/collection" }, "Open your collection"));
      render();
      refreshSoon();
      return;
    } catch (error) {
      if (error instanceof Unreachable) {
        say(status, "bad", "No network: nothing was claimed.", "The object stays here: claim it again when you are back online.");
        button.disabled = false;
        return;
      }
      if (!(error instanceof Problem)) throw error;
      // A ticket lives a few minutes: an old one is swapped for the next answer's and sent again.
      if ((error.code === "code_expired" || error.code === "invalid_code") && !again) {
        say(status, "wait", "This object's ticket ran out.", "Getting a new one…");
        retryAfterLoad.add(row.id);
        refreshSoon();
        return;
      }
      if (error.code === "already_found") claimed.add(row.id);
      const answer = refusal(error, { place: "the object's spot", collectible: name });
      if (answer.retryAfterS) {
        say(status, "wait", answer.title, answer.text);
        setTimeout(() => {
          if (stopped) return;
          if (answer.automatic) send(row, body, key, token, again);
          else {
            say(status, "wait", "You can try again now.", null);
            button.disabled = false;
          }
        }, answer.retryAfterS * 1000);
        return;
      }
      say(status, "bad", answer.title, answer.text);
      button.disabled = false;
      render();
    }
  }

  // --- the camera view ---------------------------------------------------------------------
  cameraButton.addEventListener("click", () => {
    if (arview) return;
    arview = openArView({
      onClaim: (id) => {
        const row = rows.get(id);
        if (!row) return;
        row.li.scrollIntoView({ block: "center" });
        claim(row);
      },
      onClose: () => {
        arview = null;
        if (!stopped) cameraButton.focus();
      },
    });
    arview.update({ items: items(), heading });
  });

  // --- life of the page --------------------------------------------------------------------
  const online = () => {
    if (offline) refreshSoon();
  };
  const shown = () => !document.hidden && consider();
  // Signed in again after a 401 (a passkey, a new handle): the hints come back.
  const unsubscribe = session.onChange(() => {
    if (fatal() && problem.status === 401 && session.token()) {
      problem = null;
      render();
      refreshSoon();
    }
  });
  window.addEventListener("online", online);
  document.addEventListener("visibilitychange", shown);
  const observer = new MutationObserver(() => !root.isConnected && stop());
  observer.observe(view, { childList: true });
  function stop() {
    if (stopped) return;
    stopped = true;
    observer.disconnect();
    unsubscribe();
    clearTimeout(wake);
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    compass.stop();
    cancelAnimationFrame(frame);
    window.removeEventListener("online", online);
    document.removeEventListener("visibilitychange", shown);
    arview?.close();
  }
  startWatch();
  render();
  return stop;
}
