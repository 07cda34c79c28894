// Organiser view: clues from a GeoJSON file (Point or Polygon features, clue fields in
// `properties`), sent as it is to POST /v1/hunts/{slug}/clues/import; the server's report is
// shown feature by feature.
import { apiFile } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { explain } from "./problems.js";

const MAX_BYTES = 20 * 1024 * 1024;

export function importPage(view, ctx) {
  const file = h("input", { id: "geojson-file", type: "file", accept: ".geojson,.json,application/geo+json,application/json" });
  const send = h("button", { type: "submit", disabled: true }, "Import");
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const report = h("div", { class: "report" });
  const form = h(
    "form",
    { class: "card", "aria-label": "Import clues" },
    h("label", { for: "geojson-file" }, "GeoJSON file"),
    file,
    h(
      "p",
      { class: "hint" },
      "A FeatureCollection of Points (the spot; radius_m in properties for the fence) or Polygons (the fence), with kind, collectible, label and city in each feature's properties. A feature whose id (or properties.ref) names a known site updates that clue; importing the same file again changes nothing.",
    ),
    h("div", { class: "row end" }, send),
    status,
  );
  file.addEventListener("change", () => {
    send.disabled = !file.files?.length;
    fill(report);
    status.className = "status";
    fill(status);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    if (chosen.size > MAX_BYTES) {
      status.className = "status bad";
      fill(status, "This file is over 20 MB: split it into several imports.");
      return;
    }
    send.disabled = true;
    status.className = "status wait";
    fill(status, `Importing ${chosen.name}…`);
    try {
      const { data } = await apiFile(`/v1/hunts/${encodeURIComponent(ctx.hunt.slug)}/clues/import`, {
        file: chosen,
        type: "application/json",
        token: ctx.token,
      });
      status.className = `status ${data.failed.length ? "wait" : "good"}`;
      fill(status, h("strong", {}, `${chosen.name} imported`), summary(data));
      fill(report, failures(data.failed));
    } catch (error) {
      status.className = "status bad";
      fill(status, h("strong", {}, "Not imported."), explain(error));
    } finally {
      send.disabled = false;
    }
  });
  fill(view, h("h1", {}, "Import clues"), h("p", { class: "muted" }, `Into ${ctx.hunt.name}.`), form, report);
}

function summary(data) {
  const counts = [
    ["created", data.created],
    ["updated", data.updated],
    ["unchanged", data.unchanged],
    ["failed", data.failed.length],
  ].filter(([, n]) => n !== undefined);
  return h("ul", { class: "counts" }, counts.map(([name, n]) => h("li", { class: name }, h("b", {}, n), ` ${name}`)));
}

function failures(failed) {
  if (!failed.length) return h("p", { class: "muted" }, "Every feature was accepted.");
  return h(
    "section",
    { class: "card" },
    h("h2", {}, `${failed.length} ${failed.length === 1 ? "feature was" : "features were"} refused`),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { "aria-label": "Refused features" },
        h("thead", {}, h("tr", {}, h("th", { class: "n" }, "Feature"), h("th", {}, "Code"), h("th", {}, "Why"))),
        h(
          "tbody",
          {},
          failed.map((f) => h("tr", {}, h("td", { class: "n" }, `#${f.index + 1}`), h("td", {}, h("code", {}, f.code)), h("td", {}, f.detail))),
        ),
      ),
    ),
    h("p", { class: "hint" }, "Features are numbered from 1, in the order of the file. Fix them and import the file again."),
  );
}
