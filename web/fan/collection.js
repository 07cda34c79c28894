// The fan's finds (GET /v1/me/finds): each with its episode's art, where and when it was found,
// its mint, and its engraving (or the editor to write one); then the taste twins.
// What a find's token says publicly (GET /v1/tokens/{id}) adds the place, the art and the engraving.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { art } from "./art.js";
import { engravingEditor, engravingView } from "./engrave.js";
import { mintLine } from "./mint.js";
import * as session from "./session.js";
import { twinsSection } from "./twins.js";

const WHERE = { social: "online", digital: "at a venue screen", ar: "in AR" };
const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function trait(metadata, type) {
  return metadata?.attributes?.find((attribute) => attribute.trait_type === type)?.value ?? null;
}

/** What the token adds to a find: art, place, and the engraving if any (null when unknown). */
async function tokenOf(find) {
  try {
    const { data } = await api(`/v1/tokens/${find.id}`);
    return data;
  } catch {
    return null; // the card still shows, without the place
  }
}

function foundLine(find, metadata) {
  const when = new Date(find.found_at);
  const place = trait(metadata, "City") || WHERE[trait(metadata, "Clue kind")] || null;
  return h(
    "p",
    { class: "meta find-when" },
    h("span", {}, "Found ", h("time", { datetime: find.found_at }, WHEN.format(when))),
    place ? h("span", {}, place) : null,
  );
}

function findCard(find, metadata, hunt) {
  const own = hunt?.collectibles?.find((collectible) => collectible.key === find.collectible.key);
  const collectible = { ...own, ...find.collectible, image_url: metadata?.image ?? own?.image_url };
  const name = find.collectible.name;
  const engraving = h("div", { class: "engraving" });
  const picture = art(collectible, "art");
  const card = h(
    "article",
    { class: "card find-card", "aria-label": name },
    h(
      "div",
      { class: "find-art" },
      picture,
      // The drawn placeholder names the episode itself; real art gets it as a badge.
      collectible.episode && picture instanceof HTMLImageElement ? h("span", { class: "episode" }, `Episode ${collectible.episode}`) : null,
    ),
    h("h2", {}, name),
    foundLine(find, metadata),
    mintLine(find.mint, find.id), // kept up to date by itself until it settles
    find.mint?.status === "minted"
      ? h("p", { class: "find-swap" }, h("a", { href: `/swaps?give=${find.id}`, "aria-label": `Offer ${name} in a swap` }, "Offer it in a swap"))
      : null,
    engraving,
  );

  const note = trait(metadata, "Engraving");
  if (metadata && (note || metadata.sketch_image)) {
    fill(engraving, engravingView(find, { note, sketch: Boolean(metadata.sketch_image) }));
  } else {
    closed();
  }

  function closed() {
    const open = h("button", { type: "button", class: "secondary wide", "aria-label": `Engrave ${name}` }, "Engrave a note and a sketch");
    open.addEventListener("click", () => {
      const editor = engravingEditor(find, {
        onSaved: (saved) => {
          fill(engraving, engravingView(find, { note: saved.note, sketch: Boolean(saved.sketch_url) }));
          engraving.querySelector(".engraved")?.focus();
        },
        onAlready: async (sentence) => {
          const now = await tokenOf(find);
          const shown = now ? engravingView(find, { note: trait(now, "Engraving"), sketch: Boolean(now.sketch_image) }) : null;
          fill(engraving, h("p", { class: "status bad", role: "alert" }, sentence), shown);
        },
        onCancel: () => {
          closed();
          engraving.querySelector("button")?.focus();
        },
      });
      fill(engraving, editor.element);
      editor.focus();
    });
    fill(engraving, open);
  }
  return card;
}

function failure(view, problem, hunt) {
  const text =
    problem instanceof Unreachable
      ? "No network: your collection shows when you are back online."
      : problem instanceof Problem && problem.status === 401
        ? "Your session has ended: join again on the Hunt tab to see your finds."
        : `Your collection could not be loaded: ${problem.message || problem}`;
  fill(
    view,
    h("h1", {}, "Collection"),
    h("p", { class: "status bad", role: "alert" }, text),
    h("button", { type: "button", class: "secondary wide", onclick: () => collectionPage(view, { hunt }) }, "Try again"),
  );
}

export async function collectionPage(view, { hunt = null } = {}) {
  fill(view, h("h1", {}, "Collection"), h("p", { class: "muted" }, "Loading your finds…"));
  let finds;
  let tokens;
  try {
    ({ data: finds } = await api("/v1/me/finds", { token: session.token() }));
    tokens = await Promise.all(finds.map(tokenOf));
  } catch (problem) {
    failure(view, problem, hunt);
    return;
  }
  const names = new Map(finds.map((find) => [find.collectible.key, find.collectible.name]));
  const engraved = tokens.filter((metadata) => trait(metadata, "Engraving") || metadata?.sketch_image).length;
  const order = finds.map((find, index) => [find, tokens[index]]).reverse(); // newest first
  fill(
    view,
    h("h1", {}, "Collection"),
    finds.length
      ? [
          h("p", { class: "muted" }, `${finds.length} ${finds.length === 1 ? "find" : "finds"}`, engraved ? ` · ${engraved} engraved` : ""),
          h("div", { class: "finds" }, order.map(([find, metadata]) => findCard(find, metadata, hunt))),
        ]
      : h(
          "section",
          { class: "card empty" },
          h("p", {}, "No finds yet."),
          h("p", { class: "small" }, "Scan a code where it is to claim your first: it appears here with its episode's art, its mint and room for your engraving."),
        ),
    twinsSection(names),
  );
}
