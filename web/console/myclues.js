// "My clues": the clues this team registered from this device, with their history
// (GET /v1/clues/{id}/history), "Move here" (PATCH location: the fence moves with the clue) and
// the printable code again.
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { coords, fenceText, KIND_NAMES, metres, when } from "./format.js";
import { locate, LocationError, tooVague } from "./locate.js";
import { myClueIds } from "./mine.js";
import { codeCard, releaseCodes } from "./printable.js";
import { explain } from "./problems.js";

/** Every clue of the hunt (pages of 1000; what GET /v1/hunts/{slug}/clues answers). */
export async function allClues(ctx) {
  const clues = [];
  for (let offset = 0; offset < 100_000; offset += 1000) {
    const { data } = await api(`/v1/hunts/${encodeURIComponent(ctx.hunt.slug)}/clues?limit=1000&offset=${offset}`, { token: ctx.token });
    clues.push(...data);
    if (data.length < 1000) break;
  }
  return clues;
}

export async function myCluesPage(view, ctx) {
  releaseCodes();
  fill(view, h("h1", {}, "My clues"), h("p", { class: "muted" }, "Loading…"));
  const ids = myClueIds(ctx.who, ctx.hunt.slug);
  let clues = [];
  try {
    if (ids.length) {
      const wanted = new Set(ids);
      clues = (await allClues(ctx)).filter((clue) => wanted.has(clue.id));
      clues.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    }
  } catch (error) {
    fill(view, h("h1", {}, "My clues"), h("p", { class: "status bad" }, explain(error)));
    return;
  }
  fill(
    view,
    h("h1", {}, "My clues"),
    h("p", { class: "muted" }, `The clues you registered from this device in ${ctx.hunt.name}.`),
    clues.length
      ? h("ul", { class: "clue-list" }, clues.map((clue) => clueItem(clue, ctx)))
      : h("p", { class: "empty" }, "None yet: register a billboard first."),
  );
}

function collectibleName(ctx, key) {
  return ctx.hunt.collectibles.find((c) => c.key === key)?.name || key;
}

function clueItem(initial, ctx) {
  let clue = initial;
  const meta = h("div", { class: "meta" });
  const more = h("div", { class: "more" });
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const title = h("h2", {});
  const render = () => {
    fill(title, clue.label);
    fill(
      meta,
      h("span", { class: `pill ${clue.active ? "good" : "bad"}` }, clue.active ? "active" : "inactive"),
      h("span", {}, KIND_NAMES[clue.kind] || clue.kind),
      h("span", {}, collectibleName(ctx, clue.collectible)),
      clue.city ? h("span", {}, clue.city) : null,
      clue.location ? h("span", {}, coords(clue.location.lat, clue.location.lon)) : null,
      h("span", {}, fenceText(clue.geofence)),
      h("span", {}, `${clue.finds} finds`),
    );
  };
  render();
  const historyButton = h("button", { type: "button", class: "secondary", "aria-expanded": "false" }, "History");
  const moveButton = h("button", { type: "button", class: "secondary" }, "Move here");
  const codeButton = h("button", { type: "button", class: "secondary" }, "Code");
  historyButton.addEventListener("click", async () => {
    const open = historyButton.getAttribute("aria-expanded") === "true";
    historyButton.setAttribute("aria-expanded", String(!open));
    if (open) return fill(more);
    fill(more, h("p", { class: "muted small" }, "Loading the history…"));
    fill(more, await historyList(clue, ctx));
  });
  codeButton.addEventListener("click", () => fill(more, clue.qr ? codeCard(clue, ctx) : h("p", { class: "muted" }, "A screen's code rotates: it has no printed code.")));
  moveButton.addEventListener("click", async () => {
    moveButton.disabled = true;
    const maxM = ctx.hunt.rules.max_accuracy_m;
    const say = (tone, text) => {
      status.className = `status ${tone}`;
      fill(status, text);
    };
    try {
      say("wait", "Finding where you are…");
      const fix = await locate({ wantM: Math.min(maxM, 20), onFix: (best) => say("wait", `Finding where you are… ±${metres(best.accuracy_m)}`) });
      const why = tooVague(fix, maxM);
      if (why) return say("bad", `Not moved because ${why}`);
      const { data } = await api(`/v1/clues/${clue.id}`, { method: "PATCH", body: { location: { lat: fix.lat, lon: fix.lon } }, token: ctx.token });
      clue = data;
      render();
      say("good", `Moved to ${coords(fix.lat, fix.lon)} (±${metres(fix.accuracy_m)}); its fence moved with it.`);
      if (historyButton.getAttribute("aria-expanded") === "true") fill(more, await historyList(clue, ctx));
    } catch (error) {
      say("bad", `Not moved: ${error instanceof LocationError ? error.message : explain(error)}`);
    } finally {
      moveButton.disabled = false;
    }
  });
  return h(
    "li",
    { class: "card clue-item", dataset: { clueId: clue.id } },
    title,
    meta,
    h("div", { class: "row wrap actions" }, historyButton, moveButton, clue.qr ? codeButton : null),
    status,
    more,
  );
}

function change(name, { from, to }) {
  const show = (value) => {
    if (value === null || value === undefined) return "none";
    if (typeof value === "object") return value.radius_m ? `circle ${metres(value.radius_m)}` : value.type === "Polygon" ? "polygon" : JSON.stringify(value);
    if (name === "lat" || name === "lon") return Number(value).toFixed(5);
    return String(value);
  };
  return `${name}: ${show(from)} → ${show(to)}`;
}

/** A clue's history, newest first, as a list. */
export async function historyList(clue, ctx) {
  try {
    const { data } = await api(`/v1/clues/${clue.id}/history`, { token: ctx.token });
    const entries = [...data].reverse();
    return h(
      "ol",
      { class: "history", "aria-label": `History of ${clue.label}` },
      entries.map((entry) =>
        h(
          "li",
          {},
          h("b", {}, entry.action),
          ` by ${entry.by} (${entry.role}) · ${when(entry.at)}`,
          Object.keys(entry.changes || {}).length
            ? h("ul", { class: "changes" }, Object.entries(entry.changes).map(([name, value]) => h("li", {}, change(name, value))))
            : null,
        ),
      ),
    );
  } catch (error) {
    return h("p", { class: "status bad" }, explain(error));
  }
}
