// The console's map (Leaflet, bundled: nothing from another origin). With GEOHUNT_TILE_URL the
// configured tile server draws the streets; without it the map is a plain grid with a scale,
// on which clues, fences and the phone's position are still drawn and polygons still drawn.
import * as L from "leaflet/dist/leaflet-src.esm.js";
import { h } from "../shared/dom.js";

export const COLOURS = { billboard: "#ffb547", digital: "#7cf0d8", social: "#c39bff", ar: "#ff8ad8", you: "#4da3ff", draft: "#8df59a" };

// The plain background: a faint grid drawn per tile, so it pans and zooms with the map.
const Grid = L.GridLayer.extend({
  createTile(coords) {
    const tile = document.createElement("canvas");
    const size = this.getTileSize();
    tile.width = size.x;
    tile.height = size.y;
    const pen = tile.getContext("2d");
    pen.strokeStyle = "rgba(185, 180, 214, 0.16)";
    pen.lineWidth = 1;
    pen.strokeRect(0.5, 0.5, size.x, size.y);
    pen.strokeStyle = "rgba(185, 180, 214, 0.07)";
    pen.beginPath();
    pen.moveTo(size.x / 2, 0);
    pen.lineTo(size.x / 2, size.y);
    pen.moveTo(0, size.y / 2);
    pen.lineTo(size.x, size.y / 2);
    pen.stroke();
    return tile;
  },
});

function hostOf(url) {
  // The template's host, as text for the attribution (Leaflet writes it as HTML: escape it).
  const host = url.replace(/^https?:\/\//, "").split("/")[0];
  return host.replace(/[&<>"']/g, "");
}

/** A map in `element`; `tileUrl` from GET /v1/app/config (none: the plain grid). */
export function createMap(element, { tileUrl = null, center = [20, 0], zoom = 2, label = "Map" } = {}) {
  const map = L.map(element, { center, zoom, maxZoom: 20, attributionControl: Boolean(tileUrl), zoomSnap: 0.5 });
  element.setAttribute("role", "application");
  element.setAttribute("aria-label", label);
  if (tileUrl) {
    map.attributionControl.setPrefix(false);
    L.tileLayer(tileUrl, { maxZoom: 20, maxNativeZoom: 19, attribution: `Map tiles: ${hostOf(tileUrl)}` }).addTo(map);
  } else {
    new Grid({ maxZoom: 20 }).addTo(map);
    element.classList.add("plain-map");
  }
  L.control.scale({ imperial: false, maxWidth: 140 }).addTo(map);
  // A map first laid out while hidden or resized measures itself again (until its page is left).
  const watcher = new ResizeObserver(() => (element.isConnected ? map.invalidateSize() : watcher.disconnect()));
  watcher.observe(element);
  return map;
}

/** The shape of a clue's fence (a circle in metres or its polygon), drawn on `map`. */
export function fenceShape(location, geofence, colour, options = {}) {
  const style = { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.12, ...options };
  if (geofence?.type === "Polygon") {
    return L.polygon(geofence.coordinates.map((ring) => ring.map(([lon, lat]) => [lat, lon])), style);
  }
  return L.circle([location.lat, location.lon], { ...style, radius: geofence?.radius_m || 100 });
}

/** The phone's position: a dot and its accuracy circle. */
export class You {
  constructor(map) {
    this.map = map;
    this.ring = L.circle([0, 0], { radius: 1, color: COLOURS.you, weight: 1, fillOpacity: 0.1, interactive: false });
    this.dot = L.circleMarker([0, 0], { radius: 7, color: "#fff", weight: 2, fillColor: COLOURS.you, fillOpacity: 1, interactive: false });
    this.shown = false;
  }

  show(fix, { follow = true } = {}) {
    const at = [fix.lat, fix.lon];
    this.ring.setLatLng(at).setRadius(fix.accuracy_m);
    this.dot.setLatLng(at);
    if (!this.shown) {
      this.ring.addTo(this.map);
      this.dot.addTo(this.map);
      this.shown = true;
      this.map.setView(at, 18);
    } else if (follow && !this.map.getBounds().pad(-0.2).contains(at)) {
      this.map.panTo(at);
    }
  }
}

/** Corners tapped on the map, drawn as a polygon while they are placed. */
export class PolygonDrawer {
  constructor(map, onChange) {
    this.map = map;
    this.onChange = onChange;
    this.corners = [];
    this.layer = L.layerGroup().addTo(map);
    this.active = false;
    this.tap = (event) => this.add(event.latlng);
    map.on("click", this.tap);
  }

  enable(on) {
    this.active = on;
    this.map.getContainer().classList.toggle("drawing", on);
    // Corners tapped in quick succession are corners, not a double tap to zoom.
    if (on) this.map.doubleClickZoom.disable();
    else this.map.doubleClickZoom.enable();
    this.draw();
  }

  add(latlng) {
    if (!this.active) return;
    this.corners.push(L.latLng(latlng.lat, latlng.lng));
    this.draw();
  }

  undo() {
    this.corners.pop();
    this.draw();
  }

  clear() {
    this.corners = [];
    this.draw();
  }

  draw() {
    this.layer.clearLayers();
    if (this.active) {
      const style = { color: COLOURS.draft, weight: 2, fillColor: COLOURS.draft, fillOpacity: 0.15, interactive: false };
      if (this.corners.length >= 3) L.polygon(this.corners, style).addTo(this.layer);
      else if (this.corners.length === 2) L.polyline(this.corners, style).addTo(this.layer);
      this.corners.forEach((corner, index) =>
        L.circleMarker(corner, { radius: 6, color: "#12101f", weight: 2, fillColor: COLOURS.draft, fillOpacity: 1, interactive: false })
          .bindTooltip(String(index + 1), { permanent: true, direction: "top", className: "corner-tip" })
          .addTo(this.layer),
      );
    }
    this.onChange(this.corners.length);
  }

  /** The corners as a closed GeoJSON Polygon, or null with fewer than 3. */
  geojson() {
    if (this.corners.length < 3) return null;
    const ring = this.corners.map((c) => [Number(c.lng.toFixed(7)), Number(c.lat.toFixed(7))]);
    ring.push(ring[0]);
    return { type: "Polygon", coordinates: [ring] };
  }
}

/** Clues on a map: a dot per located clue (its kind's colour) and its fence. */
export class ClueLayer {
  constructor(map, onPick = () => {}) {
    this.map = map;
    this.onPick = onPick;
    this.group = L.featureGroup().addTo(map);
    this.dots = new Map();
  }

  show(clues) {
    this.group.clearLayers();
    this.dots.clear();
    for (const clue of clues) {
      if (!clue.location) continue;
      const colour = COLOURS[clue.kind] || COLOURS.billboard;
      const faded = clue.active ? {} : { dashArray: "4 4", opacity: 0.6, fillOpacity: 0.04 };
      fenceShape(clue.location, clue.geofence, colour, { ...faded, interactive: false }).addTo(this.group);
      const dot = L.circleMarker([clue.location.lat, clue.location.lon], {
        radius: 7,
        color: "#12101f",
        weight: 2,
        fillColor: clue.active ? colour : "#6b6790",
        fillOpacity: 1,
      });
      // Tooltips get DOM nodes, never HTML strings: labels are whatever people typed.
      dot.bindTooltip(h("span", {}, clue.label), { direction: "top", offset: [0, -6] });
      dot.on("click", () => this.onPick(clue));
      dot.addTo(this.group);
      this.dots.set(clue.id, dot);
    }
  }

  fit() {
    const bounds = this.group.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
  }

  focus(clue) {
    const dot = this.dots.get(clue.id);
    if (!dot) return;
    this.map.setView(dot.getLatLng(), Math.max(this.map.getZoom(), 16));
    dot.openTooltip();
  }
}
