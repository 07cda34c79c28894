// A billboard's printable code: fetched with the bearer token (the QR routes need it) and shown
// from blob: URLs of this page, with PNG and SVG downloads and a print sheet sized by @page for
// A4 or Letter: the code, the place's label and a short call to action.
import { apiBlob } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { explain } from "./problems.js";

const PAPER = "geohunt.console.paper";
let urls = [];

function keep(url) {
  urls.push(url);
  return url;
}

/** Forget the blob: URLs of codes no longer shown. */
export function releaseCodes() {
  for (const url of urls) URL.revokeObjectURL(url);
  urls = [];
}

function collectibleOf(ctx, clue) {
  return ctx.hunt?.collectibles?.find((c) => c.key === clue.collectible) || { key: clue.collectible, name: clue.collectible };
}

function fileName(clue, ext) {
  const slug = String(clue.label).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) || "code";
  return `geohunt-${clue.id}-${slug}.${ext}`;
}

/** The code of a billboard or social clue: the image, its downloads and "Print sheet". */
export function codeCard(clue, ctx, { title = null } = {}) {
  const figure = h("figure", { class: "qr" }, h("div", { class: "qr-wait", "aria-hidden": "true" }, "Fetching the code…"));
  const links = h("div", { class: "row wrap" });
  const card = h(
    "section",
    { class: "card code-card", "aria-label": `Printable code of ${clue.label}`, dataset: { clueId: clue.id } },
    title ? h("h2", {}, title) : null,
    figure,
    links,
  );
  load(clue, ctx, figure, links);
  return card;
}

/** The path (on this origin) of a clue's code image: its `qr` link's, which names the code's
 * version after a reissue so that no cache serves the old code, with `params` added. */
function imagePath(clue, kind, params = {}) {
  const fallback = `/v1/clues/${clue.id}/qr.${kind}`;
  let url;
  try {
    url = new URL(clue.qr?.[kind] || fallback, location.origin);
  } catch {
    url = new URL(fallback, location.origin);
  }
  if (url.pathname !== fallback) url = new URL(fallback, location.origin);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.pathname + url.search;
}

async function load(clue, ctx, figure, links) {
  try {
    const [png, svgImage] = await Promise.all([
      apiBlob(imagePath(clue, "png", { scale: 12 }), { token: ctx.token }),
      apiBlob(imagePath(clue, "svg"), { token: ctx.token }),
    ]);
    const pngUrl = keep(URL.createObjectURL(png));
    const svgUrl = keep(URL.createObjectURL(svgImage));
    const alt = `QR code for ${clue.label}${clue.city ? `, ${clue.city}` : ""}`;
    fill(
      figure,
      h("img", { src: pngUrl, alt, width: 240, height: 240 }),
      h("figcaption", { class: "muted small" }, `Clue #${clue.id} · scan it to check: the fan app opens on it.`),
    );
    fill(
      links,
      h("a", { class: "button secondary", href: pngUrl, download: fileName(clue, "png") }, "PNG"),
      h("a", { class: "button secondary", href: svgUrl, download: fileName(clue, "svg") }, "SVG"),
      h("button", { type: "button", onclick: () => openSheet(clue, ctx, svgUrl) }, "Print sheet"),
    );
  } catch (error) {
    fill(figure, h("p", { class: "status bad" }, `The code could not be fetched: ${explain(error)}`));
  }
}

/** The print sheet, previewed over the console; the browser's print prints only the sheet. */
export function openSheet(clue, ctx, svgUrl) {
  const root = document.getElementById("print-root");
  const collectible = collectibleOf(ctx, clue);
  const paper = localStorage.getItem(PAPER) === "letter" ? "letter" : "a4";
  const sheet = h(
    "article",
    { class: `sheet ${paper}` },
    h("p", { class: "sheet-kicker" }, ctx.hunt?.name || "geohunt"),
    h("h1", { class: "sheet-title" }, "Scan me!"),
    h("p", { class: "sheet-lead" }, `Find ${collectible.name} here`),
    h("img", { class: "sheet-qr", src: svgUrl, alt: `QR code for ${clue.label}` }),
    h("p", { class: "sheet-where" }, [clue.label, clue.city].filter(Boolean).join(" · ")),
    h("p", { class: "sheet-how" }, "Point your phone's camera at the code and claim it in the geohunt app. It counts only here, on the spot."),
    h("p", { class: "sheet-foot" }, `geohunt · clue #${clue.id}`),
  );
  const choose = h(
    "select",
    {
      "aria-label": "Paper",
      onchange: (event) => {
        const value = event.target.value === "letter" ? "letter" : "a4";
        localStorage.setItem(PAPER, value);
        sheet.classList.remove("a4", "letter");
        sheet.classList.add(value);
      },
    },
    h("option", { value: "a4", selected: paper === "a4" }, "A4"),
    h("option", { value: "letter", selected: paper === "letter" }, "Letter"),
  );
  const close = () => {
    fill(root);
    root.classList.remove("open");
    document.getElementById("screen").hidden = false;
    opener?.focus();
  };
  const opener = document.activeElement;
  const dialog = h(
    "div",
    { class: "sheet-preview", role: "dialog", "aria-modal": "true", "aria-label": "Print sheet" },
    h(
      "div",
      { class: "sheet-bar" },
      h("label", { class: "inline" }, "Paper ", choose),
      h("button", { type: "button", onclick: () => window.print() }, "Print"),
      h("button", { type: "button", class: "secondary", onclick: close }, "Close"),
    ),
    h("div", { class: "sheet-stage" }, sheet),
  );
  dialog.addEventListener("keydown", (event) => event.key === "Escape" && close());
  fill(root, dialog);
  root.classList.add("open");
  document.getElementById("screen").hidden = true;
  dialog.querySelector("button").focus();
}
