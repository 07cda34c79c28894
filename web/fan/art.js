// Collectible art only from geohunt's own origin; anything else (or nothing) gets a placeholder
// drawn here from the collectible's key, so each episode keeps its own colours.
import { ownOrigin } from "../shared/api.js";
import { h, svg } from "../shared/dom.js";

function hue(text) {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

function placeholder(collectible, className) {
  const base = hue(collectible.key || collectible.name || "?");
  const id = `g${Math.random().toString(36).slice(2)}`;
  const label = collectible.episode ? `Episode ${collectible.episode}` : collectible.name || "";
  return svg(
    "svg",
    { class: className, viewBox: "0 0 320 200", role: "img", "aria-label": `${collectible.name || "Collectible"} (placeholder art)` },
    svg(
      "defs",
      {},
      svg(
        "linearGradient",
        { id, x1: 0, y1: 0, x2: 1, y2: 1 },
        svg("stop", { offset: 0, "stop-color": `hsl(${base} 70% 45%)` }),
        svg("stop", { offset: 1, "stop-color": `hsl(${(base + 70) % 360} 65% 22%)` }),
      ),
    ),
    svg("rect", { width: 320, height: 200, fill: `url(#${id})` }),
    svg("circle", { cx: 250, cy: 50, r: 70, fill: "rgba(255,255,255,.08)" }),
    svg("circle", { cx: 60, cy: 190, r: 90, fill: "rgba(0,0,0,.15)" }),
    Object.assign(svg("text", { x: 20, y: 176, fill: "#fff", "font-size": 22, "font-weight": 700, "font-family": "system-ui, sans-serif" }), {
      textContent: label,
    }),
  );
}

/** An <img> of the collectible's own-origin art, or a drawn placeholder. */
export function art(collectible, className = "art") {
  const url = ownOrigin(collectible?.image_url);
  if (!url) return placeholder(collectible || {}, className);
  return h("img", { class: className, src: url, alt: collectible.name || "Collectible art", loading: "lazy", decoding: "async" });
}
