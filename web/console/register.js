// Field view: register a billboard where the phone stands. "Register here" watches the phone's
// position (with its accuracy, live); the fence is a circle with a radius slider or a polygon
// tapped on the map; "Save" refuses a fix vaguer than the hunt's max_accuracy_m and says why.
// Once saved, the printable code.
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { coords, metres } from "./format.js";
import { watch, tooVague } from "./locate.js";
import { addMine } from "./mine.js";
import { codeCard, releaseCodes } from "./printable.js";
import { explain } from "./problems.js";

const CITY = "geohunt.console.city";
const DEFAULT_RADIUS_M = 50;

export async function registerPage(view, ctx) {
  const { hunt } = ctx;
  const maxM = hunt.rules.max_accuracy_m;
  let fix = null;
  let stop = null;
  let map = null;
  let you = null;
  let drawer = null;
  let fenceLayer = null;
  let mapKit = null;

  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const fixLine = h("div", { class: "fix-line", "aria-live": "polite" }, h("span", { class: "muted" }, "No position yet."));
  const mapBox = h("div", { class: "map map-field" });
  const radius = h("input", { type: "range", min: 5, max: 300, step: 5, value: DEFAULT_RADIUS_M, "aria-label": "Fence radius", id: "fence-radius" });
  const radiusOut = h("output", { for: "fence-radius", class: "radius-out" }, metres(DEFAULT_RADIUS_M));
  const circleMode = h("input", { type: "radio", name: "fence", value: "circle", checked: true });
  const polygonMode = h("input", { type: "radio", name: "fence", value: "polygon" });
  const cornerCount = h("span", { class: "muted small" });
  const polygonTools = h(
    "div",
    { class: "polygon-tools", hidden: true },
    h("p", { class: "hint" }, "Tap the map at each corner of the area where fans may scan the code (at least 3)."),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", class: "secondary", onclick: () => drawer?.undo() }, "Undo corner"),
      h("button", { type: "button", class: "secondary", onclick: () => drawer?.clear() }, "Clear corners"),
    ),
    cornerCount,
  );
  const circleTools = h("div", { class: "circle-tools" }, h("div", { class: "row slider" }, radius, radiusOut));
  const kind = h(
    "select",
    { id: "kind" },
    h("option", { value: "billboard" }, "Billboard (printed code)"),
    h("option", { value: "digital" }, "Screen (rotating code)"),
  );
  const collectible = h(
    "select",
    { id: "collectible", required: true },
    h("option", { value: "" }, hunt.collectibles.length ? "Choose the collectible…" : "This hunt has no collectibles yet"),
    hunt.collectibles.map((c) => h("option", { value: c.key }, c.episode ? `${c.name} (${c.episode})` : c.name)),
  );
  const label = h("input", { id: "label", type: "text", maxlength: 200, autocomplete: "off", placeholder: "e.g. Times Square, north wall" });
  const city = h("input", { id: "city", type: "text", maxlength: 100, autocomplete: "address-level2", value: localStorage.getItem(CITY) || "" });
  const here = h("button", { type: "button", class: "wide big", onclick: start }, "Register here");
  const save = h("button", { type: "button", class: "wide", onclick: submit }, "Save");

  fill(
    view,
    h("h1", {}, "Register a billboard"),
    h("p", { class: "muted" }, `Stand at the billboard, then take its position. This hunt needs a fix of ±${metres(maxM)} or better.`),
    here,
    fixLine,
    mapBox,
    h(
      "fieldset",
      { class: "fence" },
      h("legend", {}, "Fence: where a scan counts"),
      h("div", { class: "seg" }, h("label", {}, circleMode, " Circle"), h("label", {}, polygonMode, " Polygon")),
      circleTools,
      polygonTools,
    ),
    h("label", { for: "kind" }, "Kind"),
    kind,
    h("label", { for: "collectible" }, "Collectible"),
    collectible,
    h("label", { for: "label" }, "Label"),
    label,
    h("label", { for: "city" }, "City"),
    city,
    save,
    status,
  );

  // The map loads beside the form (Leaflet is a chunk of its own).
  import("./map.js").then((kit) => {
    if (!mapBox.isConnected) return;
    mapKit = kit;
    map = kit.createMap(mapBox, { tileUrl: ctx.config.tile_url, label: "Map of the billboard's fence" });
    you = new kit.You(map);
    drawer = new kit.PolygonDrawer(map, (n) => {
      fill(cornerCount, n >= 3 ? `${n} corners` : `${n} of at least 3 corners`);
    });
    drawer.enable(polygonMode.checked);
    if (fix) you.show(fix);
    drawFence();
  });

  radius.addEventListener("input", () => {
    fill(radiusOut, metres(Number(radius.value)));
    drawFence();
  });
  for (const mode of [circleMode, polygonMode]) {
    mode.addEventListener("change", () => {
      const polygon = polygonMode.checked;
      polygonTools.hidden = !polygon;
      circleTools.hidden = polygon;
      drawer?.enable(polygon);
      drawFence();
    });
  }

  function drawFence() {
    if (!map) return;
    fenceLayer?.remove();
    fenceLayer = null;
    if (fix && circleMode.checked) {
      fenceLayer = mapKit.fenceShape(fix, { radius_m: Number(radius.value) }, mapKit.COLOURS.draft, { interactive: false }).addTo(map);
    }
  }

  function start() {
    stop?.();
    fill(fixLine, h("span", { class: "muted" }, "Finding where you are… hold the phone up, with a view of the sky if you can."));
    stop = watch(
      (next) => {
        fix = next;
        const vague = next.accuracy_m > maxM;
        fill(
          fixLine,
          h("span", { class: `pill ${vague ? "bad" : "good"}` }, `±${metres(next.accuracy_m)}`),
          " ",
          h("span", {}, coords(next.lat, next.lon)),
          vague ? h("span", { class: "warn" }, ` Too vague for this hunt (needs ±${metres(maxM)}): wait for a better fix.`) : null,
        );
        you?.show(next);
        drawFence();
      },
      (error) => fill(fixLine, h("span", { class: "warn" }, error.message)),
    );
  }

  function say(tone, title, text, ...more) {
    status.className = `status ${tone}`;
    fill(status, h("strong", {}, title), text ? h("span", {}, text) : null, ...more);
  }

  async function submit() {
    if (!fix) return say("bad", "Not saved: no position yet.", "Press “Register here” standing at the billboard first.");
    const why = tooVague(fix, maxM);
    if (why) return say("bad", "Not saved: the position is too vague.", `Not saved because ${why}`);
    if (!collectible.value) return say("bad", "Not saved: choose the collectible.", "Which episode does this billboard hand out?");
    if (!label.value.trim()) return say("bad", "Not saved: give it a label.", "A few words the team will recognise, e.g. the street and the wall.");
    let geofence = { radius_m: Number(radius.value) };
    if (polygonMode.checked) {
      geofence = drawer?.geojson();
      if (!geofence) return say("bad", "Not saved: the polygon needs at least 3 corners.", "Tap the map at each corner, or use a circle.");
    }
    const body = {
      kind: kind.value,
      collectible: collectible.value,
      label: label.value.trim(),
      location: { lat: fix.lat, lon: fix.lon },
      geofence,
    };
    if (city.value.trim()) body.city = city.value.trim();
    save.disabled = true;
    say("wait", "Saving…", null);
    try {
      const { data: clue } = await api(`/v1/hunts/${encodeURIComponent(hunt.slug)}/clues`, { method: "POST", body, token: ctx.token });
      if (body.city) localStorage.setItem(CITY, body.city);
      addMine(ctx.who, hunt.slug, clue.id);
      stop?.();
      saved(clue);
    } catch (error) {
      save.disabled = false;
      say("bad", "Not saved.", explain(error));
    }
  }

  function saved(clue) {
    releaseCodes();
    const where = `${coords(clue.location.lat, clue.location.lon)} (±${metres(fix.accuracy_m)})`;
    fill(
      view,
      h("h1", {}, "Saved"),
      h(
        "div",
        { class: "status good", role: "status" },
        h("strong", {}, clue.label),
        h("span", {}, [clue.city, where].filter(Boolean).join(" · ")),
      ),
      clue.qr
        ? codeCard(clue, ctx, { title: "Printable code" })
        : h("p", { class: "card" }, "A screen's code rotates: open the venue screen page on the screen with a screen token (organisers make one in Tokens), with this clue's id: ", h("b", {}, `clue=${clue.id}`), "."),
      h("button", { type: "button", class: "wide secondary", onclick: () => registerPage(view, ctx) }, "Register another"),
    );
  }

  return () => stop?.();
}
