// "Camera view": the rear camera as the background and each hint's marker where its bearing lies
// relative to the way the phone faces. A marker within the camera's field of view (about 60°
// across) stands where it would be seen; one outside waits at the edge it lies beyond, saying
// how far to turn. Close to an AR clue, its object stands there too, with the way to claim it.
//
// An AR object's asset is shown only when it is an image of geohunt's own origin; any other
// asset (a 3D model, another origin's file) is drawn as a marker with its name: pages never load
// another origin's files.
import { ownOrigin } from "../shared/api.js";
import { fill, h, svg } from "../shared/dom.js";
import { norm, pointOf, turn } from "./compass.js";
import { metres } from "./verdicts.js";

export const FOV_DEG = 60;
const IMAGE = /\.(png|jpe?g|webp|gif|svg|avif)$/i;

/** "robot" for https://example/assets/robot.glb; the anchor's name when it has one. */
export function assetName(anchor) {
  if (anchor?.name) return String(anchor.name);
  try {
    const last = new URL(anchor.asset_url, location.origin).pathname.split("/").filter(Boolean).pop() || "";
    const bare = decodeURIComponent(last).replace(/\.[A-Za-z0-9]+$/, "").replace(/[-_]+/g, " ").trim();
    return bare ? bare[0].toUpperCase() + bare.slice(1) : "AR object";
  } catch {
    return "AR object";
  }
}

/** The object of an AR anchor as the page may draw it: an own-origin image, else a drawn mark. */
export function objectMark(anchor, className = "ar-thing") {
  const own = ownOrigin(anchor?.asset_url);
  if (own && IMAGE.test(new URL(own, location.origin).pathname)) {
    return h("img", { class: className, src: own, alt: "", decoding: "async" });
  }
  return svg(
    "svg",
    { class: className, viewBox: "0 0 48 48", "aria-hidden": "true" },
    svg("path", { class: "glow", d: "M24 2 L44 14 L44 34 L24 46 L4 34 L4 14 Z" }),
    svg("path", { class: "face", d: "M24 8 L38 16 L24 24 L10 16 Z" }),
    svg("path", { class: "side", d: "M10 16 L24 24 L24 40 L10 32 Z" }),
    svg("path", { class: "side2", d: "M38 16 L24 24 L24 40 L38 32 Z" }),
  );
}

function sideWords(diff) {
  const by = Math.round(Math.abs(diff) / 5) * 5;
  if (by < 5) return "straight ahead";
  return `${by}° to your ${diff < 0 ? "left" : "right"}`;
}

/**
 * Open the camera view over the page. `onClaim(item)` is asked for a claimable AR object;
 * `onClose()` when the fan closes it. Returns {update({items, heading}), close()}, where each
 * item is {id, name, kind, distance_m, bearing_deg, found, anchor?, claimable}.
 */
export function openArView({ onClaim, onClose }) {
  const video = h("video", { class: "ar-video", muted: true, autoplay: true, playsinline: true, "aria-hidden": "true" });
  video.muted = true;
  const tape = h("div", { class: "ar-tape", "aria-hidden": "true" });
  const layer = h("div", { class: "ar-layer", role: "list", "aria-label": "Hints in view" });
  const note = h("p", { class: "ar-note" }, "Opening the camera…");
  const close = h("button", { class: "secondary", type: "button" }, "Close");
  const overlay = h(
    "div",
    { class: "camera arview", role: "dialog", "aria-modal": "true", "aria-label": "Camera view" },
    video,
    h("div", { class: "ar-reticle", "aria-hidden": "true" }),
    tape,
    layer,
    h("div", { class: "bar" }, note, close),
  );
  document.body.append(overlay);
  close.focus();
  const markers = new Map();
  let stream = null;
  let closed = false;
  let cameraWords = "";
  let last = { items: [], heading: null };

  const shut = () => {
    if (closed) return;
    closed = true;
    for (const track of stream?.getTracks() || []) track.stop();
    document.removeEventListener("keydown", escape);
    overlay.remove();
    onClose?.();
  };
  const escape = (event) => event.key === "Escape" && shut();
  close.addEventListener("click", shut);
  document.addEventListener("keydown", escape);

  (async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      cameraWords = "This browser gives no camera here: the markers are shown on their own.";
      render();
      return;
    }
    try {
      const got = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
      if (closed) {
        for (const track of got.getTracks()) track.stop();
        return;
      }
      stream = got;
      video.srcObject = got;
      await video.play().catch(() => {});
      overlay.classList.add("live");
    } catch (error) {
      const blocked = error?.name === "NotAllowedError" || error?.name === "SecurityError";
      cameraWords = blocked
        ? "The camera is blocked for this site: allow it in your browser's site settings. The markers still point the way."
        : "No camera could be opened: the markers still point the way.";
    }
    render();
  })();

  function drawTape(heading) {
    const facing = heading ?? 0;
    const marks = [];
    const first = Math.ceil((facing - FOV_DEG / 2) / 15) * 15;
    for (let deg = first; deg <= facing + FOV_DEG / 2; deg += 15) {
      const x = 50 + (turn(deg - facing) / FOV_DEG) * 100;
      const word = norm(deg) % 45 === 0 ? pointOf(deg).replace(/(^|-)(\w)\w*/g, "$2").toUpperCase() : `${norm(deg)}`;
      const mark = h("span", { class: norm(deg) % 45 === 0 ? "major" : null }, word);
      mark.style.left = `${x}%`;
      marks.push(mark);
    }
    fill(tape, marks);
  }

  function markerFor(item) {
    let marker = markers.get(item.id);
    if (!marker) {
      const label = h("strong", { class: "ar-name" });
      const line = h("span", { class: "ar-line" });
      const side = h("span", { class: "ar-side", "aria-hidden": "true" });
      const body = h("div", { class: "ar-card" }, label, line);
      const element = h("div", { class: "ar-marker", role: "listitem" }, side, body);
      marker = { element, label, line, side, body, thing: null, claim: null, key: "" };
      markers.set(item.id, marker);
    }
    return marker;
  }

  function render() {
    if (closed) return;
    const { items, heading } = last;
    drawTape(heading);
    const facing = heading ?? 0;
    const seen = new Set();
    const placed = [];
    const ordered = [...items].sort((a, b) => a.distance_m - b.distance_m);
    let inView = 0;
    for (const item of ordered) {
      seen.add(item.id);
      const marker = markerFor(item);
      const diff = turn(item.bearing_deg - facing);
      const visible = Math.abs(diff) <= FOV_DEG / 2;
      if (visible) inView += 1;
      const near = Math.min(item.distance_m, 1500) / 1500;
      let y = item.anchor ? 64 : 30 + 26 * (1 - near);
      let x = visible ? 50 + (diff / FOV_DEG) * 100 : diff < 0 ? 0 : 100;
      for (const other of placed) if (Math.abs(other.x - x) < 30 && Math.abs(other.y - y) < 10) y = other.y + 10;
      x = Math.max(0, Math.min(100, x));
      placed.push({ x, y });
      marker.element.style.top = `${y}%`;
      marker.element.className = [
        "ar-marker",
        visible ? "in-view" : diff < 0 ? "edge-left" : "edge-right",
        item.found ? "found" : null,
        item.anchor ? "object" : null,
        `kind-${item.kind}`,
      ]
        .filter(Boolean)
        .join(" ");
      const where = visible ? sideWords(diff) : `turn ${Math.round(Math.abs(diff) / 5) * 5}° ${diff < 0 ? "left" : "right"}`;
      marker.element.setAttribute("aria-label", `${item.name}, ${metres(item.distance_m)}, ${where}${item.found ? ", found" : ""}`);
      fill(marker.side, visible ? "" : diff < 0 ? "◀" : "▶");
      fill(marker.label, item.name);
      fill(
        marker.line,
        item.anchor ? `${assetName(item.anchor)} · ` : "",
        metres(item.distance_m),
        " · ",
        visible ? sideWords(diff) : `${Math.round(Math.abs(diff) / 5) * 5}° ${diff < 0 ? "left" : "right"}`,
        item.found ? " · found" : "",
      );
      const key = `${item.anchor?.asset_url || ""}|${item.claimable}`;
      if (marker.key !== key) {
        marker.key = key;
        marker.thing?.remove();
        marker.claim?.remove();
        marker.thing = item.anchor ? objectMark(item.anchor) : null;
        marker.claim = item.claimable ? h("button", { class: "ar-claim", type: "button", onclick: () => (shut(), onClaim(item.id)) }, "Claim here") : null;
        if (marker.thing) {
          // The anchor's scale sizes the object, within what a phone's screen can show.
          const scale = Math.min(1.6, Math.max(0.6, Number(item.anchor.scale) || 1));
          marker.thing.style.setProperty("--size", `${Math.round(96 * scale)}px`);
          marker.element.prepend(marker.thing);
        }
        if (marker.claim) marker.body.append(marker.claim);
      }
      if (marker.element.parentNode !== layer) layer.append(marker.element);
      // Where it lies, kept whole on the screen: a card near an edge slides in a little.
      const width = layer.clientWidth;
      const half = marker.element.offsetWidth / 2;
      const at = visible ? Math.max(half + 6, Math.min(width - half - 6, (x / 100) * width)) : (x / 100) * width;
      marker.element.style.left = `${Math.round(at)}px`;
    }
    for (const [id, marker] of markers) {
      if (!seen.has(id)) {
        marker.element.remove();
        markers.delete(id);
      }
    }
    const facingWords = heading === null ? "No compass on this phone: the view assumes you face north." : `Facing ${pointOf(facing)} (${Math.round(facing)}°).`;
    const aim = !items.length ? "No hints around here." : inView ? `${inView} of ${items.length} in view.` : "Turn towards a marker at the edge.";
    fill(note, cameraWords ? `${cameraWords} ` : "", facingWords, " ", aim);
  }

  return {
    update(next) {
      last = next;
      render();
    },
    close: shut,
    get open() {
      return !closed;
    },
  };
}
