// Organiser view: hunts (create; edit name, description, window and rules) and their
// collectibles (add; upload art, which the server re-encodes and serves from its own origin).
import { api, apiFile, ownOrigin } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { fromLocalInput, toLocalInput, when } from "./format.js";
import { explain } from "./problems.js";

const RULES = {
  max_accuracy_m: ["Max accuracy (m)", "A scan or a registered spot vaguer than this is refused"],
  fence_tolerance_m: ["Fence tolerance (m)", "Slack outside a fence, at most the fix's accuracy"],
  max_speed_kmh: ["Max speed (km/h)", "Faster between two finds is impossible travel"],
  travel_floor_m: ["Travel floor (m)", "Shorter hops are never impossible travel"],
  rotate_s: ["Screen code period (s)", "How often a screen's code changes"],
  max_clock_skew_s: ["Max clock skew (s)", "How far a phone's clock may be off"],
  scans_per_minute: ["Scans per minute", "Per hunter, before rate limiting"],
  hint_radius_m: ["Hint radius (m)", "Nearby hints within this distance"],
  reveal_radius_m: ["Reveal radius (m)", "The exact spot is shown within this distance"],
  moments_per_hunter: ["Moments per hunter", "Fans' own moments each may post"],
  moment_report_threshold: ["Moment report threshold", "Reporters before a moment is hidden"],
};
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];

function field(id, text, input, hint) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, text), input, hint ? h("p", { class: "hint" }, hint) : null);
}

function say(status, tone, text) {
  status.className = `status ${tone}`;
  fill(status, text);
}

export async function huntsPage(view, ctx) {
  const parts = [h("h1", {}, "Hunts")];
  if (ctx.hunt) parts.push(huntEditor(ctx), collectiblesCard(ctx));
  else parts.push(h("p", { class: "muted" }, "Choose a hunt above, open one by its slug, or create one."));
  parts.push(h("div", { class: "cols" }, openCard(ctx), newHuntCard(ctx)));
  fill(view, ...parts);
}

function linksOf(ctx) {
  const slug = encodeURIComponent(ctx.hunt.slug);
  return h(
    "div",
    { class: "row wrap links" },
    h("a", { class: "button secondary", href: `/organisers/${slug}?token=${encodeURIComponent(ctx.token)}`, target: "_blank", rel: "noreferrer noopener" }, "Ratings page"),
    h("a", { class: "button secondary", href: `/screens/${slug}`, target: "_blank", rel: "noreferrer noopener" }, "Venue screen"),
  );
}

function huntEditor(ctx) {
  const { hunt } = ctx;
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const name = h("input", { type: "text", value: hunt.name, maxlength: 200, required: true });
  const description = h("textarea", { maxlength: 5000 }, hunt.description || "");
  const starts = h("input", { type: "datetime-local", value: toLocalInput(hunt.starts_at), required: true });
  const ends = h("input", { type: "datetime-local", value: toLocalInput(hunt.ends_at), required: true });
  const rules = Object.entries(hunt.rules).map(([key, value]) => {
    const [text, hint] = RULES[key] || [key, null];
    const input = h("input", { type: "number", value, step: "any", min: 0, dataset: { rule: key } });
    return field(`rule-${key}`, text, input, hint);
  });
  const save = h("button", { type: "submit" }, "Save changes");
  const form = h(
    "form",
    { class: "card", "aria-label": "Edit the hunt" },
    h("div", { class: "card-head" }, h("h2", {}, hunt.name), h("span", { class: "muted small" }, hunt.slug), linksOf(ctx)),
    h("div", { class: "grid3" }, field("hunt-name", "Name", name), field("hunt-starts", "Starts", starts), field("hunt-ends", "Ends", ends)),
    field("hunt-description", "Description", description),
    h("fieldset", {}, h("legend", {}, "Rules"), h("div", { class: "grid3" }, rules)),
    h("div", { class: "row end" }, save),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    if (name.value.trim() !== hunt.name) body.name = name.value.trim();
    if (description.value !== (hunt.description || "")) body.description = description.value;
    const startsAt = fromLocalInput(starts.value);
    const endsAt = fromLocalInput(ends.value);
    if (!startsAt || !endsAt) return say(status, "bad", "Both the start and the end are needed.");
    if (startsAt !== new Date(hunt.starts_at).toISOString()) body.starts_at = startsAt;
    if (endsAt !== new Date(hunt.ends_at).toISOString()) body.ends_at = endsAt;
    const changed = {};
    for (const input of form.querySelectorAll("[data-rule]")) {
      const value = Number(input.value);
      if (input.value !== "" && value !== hunt.rules[input.dataset.rule]) changed[input.dataset.rule] = value;
    }
    if (Object.keys(changed).length) body.rules = changed;
    if (!Object.keys(body).length) return say(status, "", "Nothing changed.");
    save.disabled = true;
    try {
      await api(`/v1/hunts/${encodeURIComponent(hunt.slug)}`, { method: "PATCH", body, token: ctx.token });
      await ctx.reloadHunt();
      ctx.notify(`${hunt.name}: saved.`);
    } catch (error) {
      say(status, "bad", `Not saved: ${explain(error)}`);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function art(collectible) {
  const url = ownOrigin(collectible.image_url);
  if (url) return h("img", { class: "thumb", src: url, alt: `${collectible.name} art`, loading: "lazy" });
  return h("span", { class: "thumb placeholder", title: "Art from another origin is not shown: upload it" }, (collectible.episode || collectible.name || "?").slice(0, 2));
}

function collectiblesCard(ctx) {
  const { hunt } = ctx;
  const rows = hunt.collectibles.map((collectible) => {
    const status = h("span", { class: "small", role: "status" });
    const input = h("input", {
      type: "file",
      accept: IMAGE_TYPES.join(","),
      class: "file",
      "aria-label": `Art for ${collectible.name}`,
      onchange: (event) => upload(event.target, collectible, status, ctx),
    });
    return h(
      "tr",
      {},
      h("td", {}, art(collectible)),
      h("td", {}, h("b", {}, collectible.name), h("div", { class: "muted small" }, collectible.key)),
      h("td", {}, collectible.episode || ""),
      h("td", { class: "n" }, collectible.supply ?? "∞"),
      h("td", { class: "n" }, collectible.found),
      h("td", {}, input, status),
    );
  });
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Collectibles"),
    hunt.collectibles.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", {}, "Art"), h("th", {}, "Name"), h("th", {}, "Episode"), h("th", { class: "n" }, "Supply"), h("th", { class: "n" }, "Found"), h("th", {}, "Upload art"))),
            h("tbody", {}, rows),
          ),
        )
      : h("p", { class: "muted" }, "None yet."),
    newCollectibleForm(ctx),
  );
}

async function upload(input, collectible, status, ctx) {
  const file = input.files?.[0];
  if (!file) return;
  if (!IMAGE_TYPES.includes(file.type)) {
    fill(status, "A PNG, JPEG or WebP image, please.");
    return;
  }
  if (file.size > 5 * 1024 * 1024) {
    fill(status, "At most 5 MB.");
    return;
  }
  fill(status, "Uploading…");
  try {
    await apiFile(`/v1/hunts/${encodeURIComponent(ctx.hunt.slug)}/collectibles/${encodeURIComponent(collectible.key)}/image`, {
      method: "PUT",
      file,
      type: file.type,
      token: ctx.token,
    });
    await ctx.reloadHunt();
    ctx.notify(`${collectible.name}: art uploaded.`);
  } catch (error) {
    fill(status, `Not uploaded: ${explain(error)}`);
  }
}

function newCollectibleForm(ctx) {
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const key = h("input", { type: "text", required: true, pattern: "[a-z0-9][a-z0-9_\\-]{0,63}", placeholder: "e.g. ep7-jibaro" });
  const name = h("input", { type: "text", required: true, maxlength: 200 });
  const episode = h("input", { type: "text", maxlength: 200 });
  const supply = h("input", { type: "number", min: 0, step: 1, placeholder: "unlimited" });
  const image = h("input", { type: "url", placeholder: "https://… (or upload art once added)" });
  const description = h("textarea", { maxlength: 5000 });
  const form = h(
    "form",
    { class: "subform", "aria-label": "Add a collectible" },
    h("h3", {}, "Add a collectible"),
    h(
      "div",
      { class: "grid3" },
      field("new-key", "Key", key, "Lower case letters, digits, - and _"),
      field("new-name", "Name", name),
      field("new-episode", "Episode", episode),
      field("new-supply", "Supply", supply),
      field("new-image", "Image URL", image),
    ),
    field("new-description", "Description", description),
    h("div", { class: "row end" }, h("button", { type: "submit" }, "Add collectible")),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      key: key.value.trim(),
      name: name.value.trim(),
      // The server needs a URL; art uploaded afterwards replaces it with geohunt's own copy.
      image_url: image.value.trim() || `${location.origin}/app/console/icon.svg`,
      description: description.value,
    };
    if (episode.value.trim()) body.episode = episode.value.trim();
    if (supply.value !== "") body.supply = Number(supply.value);
    try {
      await api(`/v1/hunts/${encodeURIComponent(ctx.hunt.slug)}/collectibles`, { method: "POST", body, token: ctx.token });
      await ctx.reloadHunt();
      ctx.notify(`${body.name}: added.`);
    } catch (error) {
      say(status, "bad", `Not added: ${explain(error)}`);
    }
  });
  return form;
}

function openCard(ctx) {
  const slug = h("input", { type: "text", required: true, placeholder: "hunt-slug" });
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "card", "aria-label": "Open a hunt" }, h("h2", {}, "Open a hunt"), field("open-slug", "Slug", slug), h("div", { class: "row end" }, h("button", { type: "submit", class: "secondary" }, "Open")), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await ctx.chooseHunt(slug.value.trim());
    } catch (error) {
      say(status, "bad", explain(error));
    }
  });
  return form;
}

function newHuntCard(ctx) {
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const now = new Date();
  const slug = h("input", { type: "text", required: true, pattern: "[a-z0-9][a-z0-9\\-]{1,62}", placeholder: "e.g. ldr-s4" });
  const name = h("input", { type: "text", required: true, maxlength: 200 });
  const starts = h("input", { type: "datetime-local", required: true, value: toLocalInput(now.toISOString()) });
  const ends = h("input", { type: "datetime-local", required: true, value: toLocalInput(new Date(now.getTime() + 7 * 86_400_000).toISOString()) });
  const form = h(
    "form",
    { class: "card", "aria-label": "New hunt" },
    h("h2", {}, "New hunt"),
    h("div", { class: "grid2" }, field("new-hunt-slug", "Slug", slug), field("new-hunt-name", "Name", name), field("new-hunt-starts", "Starts", starts), field("new-hunt-ends", "Ends", ends)),
    h("div", { class: "row end" }, h("button", { type: "submit" }, "Create hunt")),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { slug: slug.value.trim(), name: name.value.trim(), starts_at: fromLocalInput(starts.value), ends_at: fromLocalInput(ends.value) };
    try {
      await api("/v1/hunts", { method: "POST", body, token: ctx.token });
      await ctx.chooseHunt(body.slug);
      ctx.notify(`${body.name} created: it runs ${when(body.starts_at)} – ${when(body.ends_at)}.`);
    } catch (error) {
      say(status, "bad", `Not created: ${explain(error)}`);
    }
  });
  return form;
}
