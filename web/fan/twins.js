// Taste twins: the fans whose finds are most like yours (GET /v1/me/twins), for fans who chose to
// be discoverable (PUT /v1/me/privacy). The server says which you are: twins answer 403 until
// you are discoverable.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { offerLink } from "./fanswap.js";
import * as session from "./session.js";

const OFF_TEXT =
  "Taste twins are the fans who found the episodes you found. Turning this on shows you to them (your handle and the finds you share) and shows them to you. While it is off, nobody sees you and you see no twins; you can turn it off again at any time.";

function percent(similarity) {
  return `${Math.round(similarity * 100)}%`;
}

function twinItem(twin, names) {
  const handle = twin.handle || "A fan without a handle";
  const shared = twin.shared.map((key) => names.get(key) || key);
  return h(
    "li",
    { class: "twin" },
    h("span", { class: "twin-avatar", "aria-hidden": "true" }, (twin.handle || "?").slice(0, 1).toUpperCase()),
    h(
      "div",
      { class: "grow" },
      h("strong", {}, handle),
      h("p", { class: "small muted" }, `${shared.length === 1 ? "Both found" : `Both found these ${shared.length}`}: ${shared.join(", ")}`),
      offerLink(twin.hunter_id, twin.handle),
    ),
    h("span", { class: "twin-match" }, percent(twin.similarity), h("small", {}, " alike")),
  );
}

function sentence(problem, what) {
  if (problem instanceof Unreachable) return `No network: ${what} when you are back online.`;
  if (problem instanceof Problem && problem.status === 401) return "Your session has ended: join again on the Hunt tab.";
  return `${what[0].toUpperCase()}${what.slice(1)} could not be loaded: ${problem.message || problem}`;
}

/** The privacy switch and, when it is on, the twins. `names` maps collectible keys to names. */
export function twinsSection(names) {
  const toggle = h("input", { type: "checkbox", role: "switch", id: `discoverable-${Math.random().toString(36).slice(2)}`, disabled: true });
  const explain = h("p", { class: "hint" });
  const body = h("div", { class: "twins-body", "aria-live": "polite" }, h("p", { class: "muted" }, "Looking for your taste twins…"));
  const section = h(
    "section",
    { class: "card twins", "aria-labelledby": "twins-title" },
    h("h2", { id: "twins-title" }, "Taste twins"),
    h("label", { class: "switch", for: toggle.id }, toggle, h("span", {}, "Let taste twins find me")),
    explain,
    body,
  );

  function showOff(extra) {
    toggle.checked = false;
    fill(explain, OFF_TEXT);
    fill(body, extra ? h("p", { class: "status bad", role: "alert" }, extra) : null);
  }

  function showTwins(twins) {
    toggle.checked = true;
    fill(explain, "On: the fans most like you see you here, as you see them. Turn it off to leave their lists.");
    fill(
      body,
      twins.length
        ? h("ul", { class: "list", "aria-label": "Your taste twins" }, twins.map((twin) => twinItem(twin, names)))
        : h("p", { class: "empty-line" }, "No twins yet: no other discoverable fan has found what you found. They appear here as more fans find episodes."),
    );
  }

  async function load() {
    try {
      const { data } = await api("/v1/me/twins", { token: session.token() });
      showTwins(data.twins);
    } catch (problem) {
      if (problem instanceof Problem && problem.status === 403) showOff();
      else {
        fill(explain);
        fill(body, h("p", { class: "status bad", role: "alert" }, sentence(problem, "your taste twins show")), h("button", { type: "button", class: "secondary", onclick: () => start() }, "Try again"));
        return false;
      }
    }
    return true;
  }

  async function start() {
    toggle.disabled = true;
    fill(body, h("p", { class: "muted" }, "Looking for your taste twins…"));
    if (await load()) toggle.disabled = false;
  }

  toggle.addEventListener("change", async () => {
    const wanted = toggle.checked;
    toggle.disabled = true;
    fill(body, h("p", { class: "muted" }, wanted ? "Turning on…" : "Turning off…"));
    try {
      await api("/v1/me/privacy", { method: "PUT", body: { discoverable: wanted }, token: session.token() });
    } catch (problem) {
      const why = problem instanceof Unreachable ? "No network: your choice was not saved; try again when you are back online." : `Your choice was not saved: ${problem.message}`;
      toggle.checked = !wanted;
      if (wanted) showOff(why);
      else {
        await load();
        fill(body, h("p", { class: "status bad", role: "alert" }, why), ...body.childNodes);
      }
      toggle.disabled = false;
      return;
    }
    if (wanted) await load();
    else showOff();
    toggle.disabled = false;
  });

  start();
  return section;
}
