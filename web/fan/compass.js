// Which way the phone faces, where the browser says so, and the arrows drawn from it.
//
// A heading is degrees clockwise from north. iOS gives it as `webkitCompassHeading` (after the
// fan allows motion and orientation on a tap); Chrome on Android as the `alpha` of
// `deviceorientationabsolute` (counter-clockwise, so heading = 360 - alpha). A relative
// `deviceorientation` (alpha from wherever the page started) is no heading and is ignored. Where
// no heading comes, arrows point relative to north, and the page says so.
import { svg } from "../shared/dom.js";

export const POINTS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];

/** An angle in [0, 360). */
export function norm(deg) {
  return ((deg % 360) + 360) % 360;
}

/** An angle difference in [-180, 180): negative is to the left. */
export function turn(deg) {
  return norm(deg + 180) - 180;
}

/** "north-east" for 45. */
export function pointOf(deg) {
  return POINTS[Math.round(norm(deg) / 45) % 8];
}

function screenAngle() {
  const angle = screen.orientation?.angle ?? window.orientation ?? 0;
  return Number.isFinite(angle) ? angle : 0;
}

/** True where the browser asks the fan before giving orientation (iOS Safari). */
export function needsPermission() {
  return typeof DeviceOrientationEvent !== "undefined" && typeof DeviceOrientationEvent.requestPermission === "function";
}

/** Ask for motion and orientation (must run in a tap's handler); true when allowed. */
export async function askPermission() {
  try {
    return (await DeviceOrientationEvent.requestPermission()) === "granted";
  } catch {
    return false;
  }
}

/**
 * Listen for the phone's heading: `onHeading(deg)` at each reading (the page draws at most once
 * a frame). Returns {stop(), heard()}: heard() is false while no orientation event came at all,
 * as on iOS before the fan allows it.
 */
export function watchHeading(onHeading) {
  let absoluteSeen = false;
  let heard = false;
  const report = (raw) => onHeading(norm(raw + screenAngle()));
  const absolute = (event) => {
    heard = true;
    if (event.alpha === null || event.alpha === undefined) return;
    absoluteSeen = true;
    report(360 - event.alpha);
  };
  const relative = (event) => {
    heard = true;
    if (typeof event.webkitCompassHeading === "number" && event.webkitCompassHeading >= 0) report(event.webkitCompassHeading);
    else if (!absoluteSeen && event.absolute && event.alpha !== null && event.alpha !== undefined) report(360 - event.alpha);
  };
  window.addEventListener("deviceorientationabsolute", absolute);
  window.addEventListener("deviceorientation", relative);
  return {
    stop() {
      window.removeEventListener("deviceorientationabsolute", absolute);
      window.removeEventListener("deviceorientation", relative);
    },
    heard: () => heard,
  };
}

/** Great-circle metres between two {lat, lon}. */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Initial bearing from a to b, degrees clockwise from north. */
export function bearingDeg(a, b) {
  const rad = Math.PI / 180;
  const y = Math.sin((b.lon - a.lon) * rad) * Math.cos(b.lat * rad);
  const x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad) - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lon - a.lon) * rad);
  return norm(Math.atan2(y, x) / rad);
}

/** A small arrow (for a list row); `point(el, deg)` turns it. */
export function smallArrow() {
  return svg(
    "svg",
    { class: "arrow-small", viewBox: "0 0 40 40", "aria-hidden": "true" },
    svg("circle", { cx: 20, cy: 20, r: 18, class: "dial" }),
    svg("g", { class: "needle" }, svg("path", { d: "M20 6 L29 27 L20 22 L11 27 Z" })),
  );
}

/** Turn an arrow made here (small or the compass) so that its needle points `deg` up-clockwise. */
export function point(arrow, deg) {
  const needle = arrow.querySelector(".needle");
  if (deg === null || deg === undefined) {
    needle.setAttribute("visibility", "hidden");
    return;
  }
  needle.removeAttribute("visibility");
  needle.setAttribute("transform", `rotate(${norm(deg).toFixed(1)} ${arrow.dataset.c || 20} ${arrow.dataset.c || 20})`);
}

/** The big compass: a dial whose "N" turns with the phone and a needle to the chosen hint. */
export function compassDial() {
  const ticks = [];
  for (let deg = 30; deg < 360; deg += 30) {
    ticks.push(svg("line", { x1: 60, y1: 17, x2: 60, y2: deg % 90 ? 22 : 26, transform: `rotate(${deg} 60 60)` }));
  }
  const dial = svg(
    "svg",
    { class: "compass", viewBox: "0 0 120 120", role: "img", "aria-label": "Compass" },
    svg("circle", { cx: 60, cy: 60, r: 47, class: "ring" }),
    svg(
      "g",
      { class: "rose" },
      svg("g", { class: "ticks" }, ticks),
      svg("path", { class: "north", d: "M60 15 L66 26 L54 26 Z" }),
      Object.assign(svg("text", { x: 60, y: 11, "text-anchor": "middle", class: "n" }), { textContent: "N" }),
    ),
    svg("g", { class: "needle" }, svg("path", { d: "M60 30 L75 84 L60 74 L45 84 Z" })),
    svg("circle", { cx: 60, cy: 60, r: 5, class: "hub" }),
  );
  dial.dataset.c = "60";
  return dial;
}

/** Turn the dial's rose so its N shows where north is for a phone facing `heading` (or up). */
export function faceNorth(dial, heading) {
  dial.querySelector(".rose").setAttribute("transform", `rotate(${norm(-(heading ?? 0)).toFixed(1)} 60 60)`);
}
