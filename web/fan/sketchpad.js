// A sketch drawn with a finger (or a mouse, or a pen): the pad of engravings and fans' moments.
// Strokes are kept as points in 0..1, drawn at the screen's pixel density, and exported as a PNG
// at a fixed size that fits the server's limit on sketches.
import { h } from "../shared/dom.js";

const SKETCH_MAX_BYTES = 256 * 1024; // the server's limit on the PNG itself
// The PNG sent is the drawing at a fixed size (the same on every phone, well under the server's
// 2048 px a side), smaller when a busy drawing would not fit in SKETCH_MAX_BYTES.
const EXPORT_WIDTHS = [800, 600, 400];
const ASPECT = 3 / 4; // height / width
const LINE = 0.014; // line width, as a share of the width
const PAPER = "#1d1a30";
export const INKS = [
  { name: "White", colour: "#f4f2ff" },
  { name: "Amber", colour: "#ffb547" },
  { name: "Mint", colour: "#7cf0d8" },
  { name: "Pink", colour: "#ff6fae" },
  { name: "Sky", colour: "#6fb3ff" },
];

/** A finger-drawing pad: pointer events, high-DPI, undo and clear. */
export function sketchPad(onChange) {
  const strokes = []; // {colour, points: [[x, y], ...]} with x, y in 0..1
  let ink = INKS[0].colour;
  let active = null; // the pointer drawing now
  const canvas = h("canvas", {
    class: "sketch-pad",
    role: "img",
    "aria-label": "Sketch pad: draw with your finger",
    width: 400,
    height: 300,
  });
  const context = canvas.getContext("2d");

  function paint(ctx, width, height, scale = 1) {
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, width, height);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const stroke of strokes) drawStroke(ctx, stroke, width, height);
  }

  function drawStroke(ctx, stroke, width, height, from = 0) {
    const points = stroke.points;
    ctx.strokeStyle = stroke.colour;
    ctx.fillStyle = stroke.colour;
    ctx.lineWidth = LINE * width;
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0] * width, points[0][1] * height, (LINE * width) / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    const start = Math.max(0, from - 1);
    ctx.moveTo(points[start][0] * width, points[start][1] * height);
    for (let i = start + 1; i < points.length; i++) ctx.lineTo(points[i][0] * width, points[i][1] * height);
    ctx.stroke();
  }

  // The canvas's pixels follow its size on screen times the device's pixel ratio.
  let cssWidth = 0;
  function layout() {
    const width = canvas.clientWidth;
    if (!width) return;
    const ratio = window.devicePixelRatio || 1;
    const height = width * ASPECT;
    const pixels = [Math.round(width * ratio), Math.round(height * ratio)];
    if (canvas.width !== pixels[0] || canvas.height !== pixels[1]) [canvas.width, canvas.height] = pixels;
    cssWidth = width;
    paint(context, width, height, ratio);
  }
  const resized = new ResizeObserver(() => {
    if (!canvas.isConnected) return resized.disconnect();
    layout();
  });
  resized.observe(canvas);

  function point(event) {
    const box = canvas.getBoundingClientRect();
    const clamp = (value) => Math.min(1, Math.max(0, value));
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (active !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    if (!cssWidth) layout();
    active = { id: event.pointerId, stroke: { colour: ink, points: [point(event)] } };
    canvas.setPointerCapture(event.pointerId);
    strokes.push(active.stroke);
    const ratio = canvas.width / cssWidth || 1;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    drawStroke(context, active.stroke, cssWidth, cssWidth * ASPECT);
    onChange();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (active?.id !== event.pointerId) return;
    event.preventDefault();
    const stroke = active.stroke;
    const before = stroke.points.length;
    for (const each of event.getCoalescedEvents?.() || [event]) stroke.points.push(point(each));
    if (stroke.points.length === before) stroke.points.push(point(event));
    drawStroke(context, stroke, cssWidth, cssWidth * ASPECT, before);
  });
  const end = (event) => {
    if (active?.id !== event.pointerId) return;
    active = null;
    onChange();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("lostpointercapture", end);

  return {
    canvas,
    layout,
    get empty() {
      return strokes.length === 0;
    },
    get count() {
      return strokes.length;
    },
    setInk(colour) {
      ink = colour;
    },
    undo() {
      strokes.pop();
      layout();
      onChange();
    },
    clear() {
      strokes.length = 0;
      layout();
      onChange();
    },
    /** The drawing as base64 PNG, or null when nothing is drawn; throws when it cannot fit. */
    png() {
      if (!strokes.length) return null;
      for (const width of EXPORT_WIDTHS) {
        const out = document.createElement("canvas");
        out.width = width;
        out.height = Math.round(width * ASPECT);
        const ctx = out.getContext("2d");
        paint(ctx, out.width, out.height);
        const url = out.toDataURL("image/png");
        const base64 = url.slice(url.indexOf(",") + 1);
        const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
        if ((base64.length / 4) * 3 - padding <= SKETCH_MAX_BYTES) return base64;
      }
      throw new RangeError("This sketch is too detailed to keep: undo a few strokes and save again.");
    },
  };
}

/**
 * The pad's tools: an ink for each colour (radios named by colour), "Undo" and "Clear". Call
 * `update()` when the drawing changes (from the pad's `onChange`).
 */
export function sketchTools(pad) {
  const uid = Math.random().toString(36).slice(2);
  const undo = h("button", { type: "button", class: "secondary" }, "Undo");
  const clear = h("button", { type: "button", class: "secondary" }, "Clear");
  const inks = h(
    "div",
    { class: "inks", role: "radiogroup", "aria-label": "Ink colour" },
    INKS.map((ink, index) => {
      const radio = h("input", { type: "radio", name: `ink-${uid}`, value: ink.colour, "aria-label": ink.name, checked: index === 0 });
      radio.style.setProperty("--ink", ink.colour);
      radio.addEventListener("change", () => radio.checked && pad.setInk(ink.colour));
      return radio;
    }),
  );
  undo.addEventListener("click", () => pad.undo());
  clear.addEventListener("click", () => pad.clear());
  return {
    element: h("div", { class: "sketch-tools" }, inks, h("div", { class: "row" }, undo, clear)),
    update() {
      undo.disabled = clear.disabled = pad.empty;
    },
  };
}
