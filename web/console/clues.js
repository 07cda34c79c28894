// Organiser view: the hunt's clues on a map and in a table, filtered by kind, city and state;
// each can be deactivated (or activated again), its history read and its code printed.
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { fenceText, KIND_NAMES } from "./format.js";
import { allClues, historyList } from "./myclues.js";
import { codeCard, releaseCodes } from "./printable.js";
import { explain } from "./problems.js";

function option(value, text, selected) {
  return h("option", { value, selected: value === selected }, text);
}

export async function cluesPage(view, ctx) {
  releaseCodes();
  fill(view, h("h1", {}, "Clues"), h("p", { class: "muted" }, "Loading the clues…"));
  let clues;
  try {
    clues = await allClues(ctx);
  } catch (error) {
    fill(view, h("h1", {}, "Clues"), h("p", { class: "status bad" }, explain(error)));
    return;
  }
  const filters = { kind: "", city: "", active: "", text: "" };
  const cities = [...new Set(clues.map((c) => c.city).filter(Boolean))].sort((a, b) => a.localeCompare(b));
  const kind = h("select", { id: "filter-kind" }, option("", "Any kind"), Object.entries(KIND_NAMES).map(([k, v]) => option(k, v)));
  const city = h("select", { id: "filter-city" }, option("", "Any city"), cities.map((c) => option(c, c)), option("-", "No city"));
  const active = h("select", { id: "filter-active" }, option("", "Active or not"), option("yes", "Active"), option("no", "Inactive"));
  const text = h("input", { id: "filter-text", type: "search", placeholder: "Label or collectible" });
  const count = h("p", { class: "muted small", "aria-live": "polite" });
  const body = h("tbody");
  const legend = h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    Object.entries(KIND_NAMES).map(([k, v]) => h("li", {}, h("span", { class: `swatch ${k}`, "aria-hidden": "true" }), v)),
    h("li", {}, h("span", { class: "swatch off", "aria-hidden": "true" }), "Inactive (dashed fence)"),
  );
  const side = h("div", { class: "side" }, h("p", { class: "muted" }, "Pick a clue on the map or in the table."), legend);
  const mapBox = h("div", { class: "map map-wide" });
  let layer = null;

  const names = new Map(ctx.hunt.collectibles.map((c) => [c.key, c.name]));
  const shown = () =>
    clues.filter((c) => {
      if (filters.kind && c.kind !== filters.kind) return false;
      if (filters.city === "-" ? c.city : filters.city && c.city !== filters.city) return false;
      if (filters.active && c.active !== (filters.active === "yes")) return false;
      const needle = filters.text.trim().toLowerCase();
      if (needle && !`${c.label} ${names.get(c.collectible) || c.collectible}`.toLowerCase().includes(needle)) return false;
      return true;
    });

  const render = ({ fit = false } = {}) => {
    const list = shown();
    fill(count, `${list.length} of ${clues.length} clues`);
    fill(body, list.length ? list.map(row) : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No clue matches.")));
    if (layer) {
      layer.show(list);
      if (fit) layer.fit();
    }
  };

  const pick = (clue) => {
    layer?.focus(clue);
    fill(side, detail(clue), legend);
  };

  const setActive = async (clue, value, button) => {
    button.disabled = true;
    try {
      const { data } = await api(`/v1/clues/${clue.id}`, { method: "PATCH", body: { active: value }, token: ctx.token });
      Object.assign(clue, data);
      render();
      ctx.notify(`${clue.label}: ${value ? "active again" : "deactivated"}.`);
    } catch (error) {
      ctx.notify(`${clue.label}: ${explain(error)}`);
      button.disabled = false;
    }
  };

  function row(clue) {
    const toggle = h("button", { type: "button", class: "small-button secondary" }, clue.active ? "Deactivate" : "Activate");
    toggle.addEventListener("click", () => setActive(clue, !clue.active, toggle));
    return h(
      "tr",
      { dataset: { clueId: clue.id } },
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => pick(clue) }, clue.label)),
      h("td", {}, h("span", { class: `kind ${clue.kind}` }, KIND_NAMES[clue.kind] || clue.kind)),
      h("td", {}, names.get(clue.collectible) || clue.collectible),
      h("td", {}, clue.city || h("span", { class: "muted" }, clue.kind === "social" ? "online" : "—")),
      h("td", {}, h("span", { class: `pill ${clue.active ? "good" : "bad"}` }, clue.active ? "active" : "inactive")),
      h("td", { class: "n" }, clue.finds),
      h("td", {}, toggle),
    );
  }

  function detail(clue) {
    const more = h("div");
    return h(
      "div",
      {},
      h("h2", {}, clue.label),
      h("p", { class: "meta" }, h("span", {}, KIND_NAMES[clue.kind] || clue.kind), h("span", {}, fenceText(clue.geofence)), h("span", {}, `#${clue.id}`)),
      h(
        "div",
        { class: "row wrap" },
        h("button", { type: "button", class: "secondary", onclick: async () => fill(more, await historyList(clue, ctx)) }, "History"),
        clue.qr ? h("button", { type: "button", class: "secondary", onclick: () => fill(more, codeCard(clue, ctx)) }, "Code") : null,
      ),
      more,
    );
  }

  for (const [input, name] of [
    [kind, "kind"],
    [city, "city"],
    [active, "active"],
    [text, "text"],
  ]) {
    input.addEventListener("input", () => {
      filters[name] = input.value;
      render({ fit: name !== "text" });
    });
  }

  fill(
    view,
    h("h1", {}, "Clues"),
    h(
      "div",
      { class: "filters", role: "search", "aria-label": "Filter the clues" },
      h("label", { for: "filter-kind" }, "Kind"),
      kind,
      h("label", { for: "filter-city" }, "City"),
      city,
      h("label", { for: "filter-active" }, "State"),
      active,
      h("label", { for: "filter-text" }, "Search"),
      text,
    ),
    count,
    h("div", { class: "split" }, mapBox, side),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { "aria-label": "Clues" },
        h("thead", {}, h("tr", {}, h("th", {}, "Label"), h("th", {}, "Kind"), h("th", {}, "Collectible"), h("th", {}, "City"), h("th", {}, "State"), h("th", { class: "n" }, "Finds"), h("th", {}, ""))),
        body,
      ),
    ),
  );
  render();
  const kit = await import("./map.js");
  if (!mapBox.isConnected) return;
  const map = kit.createMap(mapBox, { tileUrl: ctx.config.tile_url, label: "Map of the clues" });
  layer = new kit.ClueLayer(map, pick);
  render({ fit: true });
}
