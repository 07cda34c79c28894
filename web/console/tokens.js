// Organiser view: tokens for field teams and venue screens (POST /v1/auth/tokens), each with a
// link to hand over: /console#token=... for a field team (the fragment never reaches a server's
// logs), /screens/{slug}?token=...&clue=... for a screen, as the venue page takes it.
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { when } from "./format.js";
import { allClues } from "./myclues.js";
import { explain } from "./problems.js";

const TTLS = [
  [8 * 3600, "8 hours"],
  [24 * 3600, "1 day"],
  [7 * 86_400, "7 days"],
  [30 * 86_400, "30 days"],
];

export async function tokensPage(view, ctx) {
  const role = h("select", { id: "token-role" }, h("option", { value: "field" }, "Field team"), h("option", { value: "screen" }, "Venue screen"), h("option", { value: "organiser" }, "Organiser"));
  const sub = h("input", { id: "token-sub", type: "text", required: true, pattern: "[A-Za-z0-9_.:@\\-]{1,64}", placeholder: "e.g. crew-north or venue-1" });
  const ttl = h("select", { id: "token-ttl" }, TTLS.map(([s, text]) => h("option", { value: s, selected: s === 24 * 3600 }, text)));
  const scoped = h("input", { id: "token-scoped", type: "checkbox", checked: true });
  const clue = h("select", { id: "token-clue" }, h("option", { value: "" }, "No code (leaderboard and ticker only)"));
  const clueField = h("div", { class: "field", hidden: true }, h("label", { for: "token-clue" }, "Screen's clue"), clue, h("p", { class: "hint" }, "A digital clue whose rotating code the screen shows."));
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const made = h("div", { class: "made" });
  const form = h(
    "form",
    { class: "card", "aria-label": "New token" },
    h(
      "div",
      { class: "grid2" },
      h("div", { class: "field" }, h("label", { for: "token-role" }, "Role"), role),
      h("div", { class: "field" }, h("label", { for: "token-sub" }, "Name"), sub, h("p", { class: "hint" }, "Who holds it: it is recorded with every change they make.")),
      h("div", { class: "field" }, h("label", { for: "token-ttl" }, "Valid for"), ttl),
      clueField,
    ),
    h("label", { class: "switch" }, scoped, `Only for ${ctx.hunt.name}`),
    h("div", { class: "row end" }, h("button", { type: "submit" }, "Make token")),
    status,
  );
  role.addEventListener("change", () => {
    clueField.hidden = role.value !== "screen";
    if (role.value === "screen") scoped.checked = true;
  });
  allClues(ctx)
    .then((clues) => clues.filter((c) => c.kind === "digital").forEach((c) => clue.append(h("option", { value: c.id }, `${c.label}${c.city ? ` (${c.city})` : ""} #${c.id}`))))
    .catch(() => {});
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { role: role.value, sub: sub.value.trim(), ttl_s: Number(ttl.value) };
    if (scoped.checked) body.hunt = ctx.hunt.slug;
    try {
      const { data } = await api("/v1/auth/tokens", { method: "POST", body, token: ctx.token });
      status.className = "status";
      fill(status);
      made.prepend(tokenCard(body, data, ctx, clue.value));
    } catch (error) {
      status.className = "status bad";
      fill(status, `No token made: ${explain(error)}`);
    }
  });
  fill(
    view,
    h("h1", {}, "Tokens"),
    h("p", { class: "muted" }, "Make a token for a field team or a venue screen and hand over its link. Anyone with the link acts with that token until it expires: send it privately."),
    form,
    made,
  );
}

function linkFor(body, data, ctx, clueId) {
  const slug = encodeURIComponent(body.hunt || ctx.hunt.slug);
  if (body.role === "screen") {
    const query = new URLSearchParams({ token: data.token });
    if (clueId) query.set("clue", clueId);
    return `${location.origin}/screens/${slug}?${query}`;
  }
  return `${location.origin}/console#token=${encodeURIComponent(data.token)}`;
}

function tokenCard(body, data, ctx, clueId) {
  const link = linkFor(body, data, ctx, clueId);
  const status = h("span", { class: "small muted", role: "status" });
  const linkBox = h("input", { type: "text", readonly: true, value: link, "aria-label": `Link for ${body.sub}`, onfocus: (e) => e.target.select() });
  const tokenBox = h("input", { type: "text", readonly: true, value: data.token, "aria-label": `Token for ${body.sub}`, onfocus: (e) => e.target.select() });
  const copy = (text, what) => async () => {
    try {
      await navigator.clipboard.writeText(text);
      fill(status, `${what} copied.`);
    } catch {
      fill(status, "Select the text and copy it.");
    }
  };
  const names = { field: "Field team", screen: "Venue screen", organiser: "Organiser" };
  return h(
    "section",
    { class: "card token-card", "aria-label": `Token for ${body.sub}` },
    h("h2", {}, `${names[body.role]}: ${body.sub}`),
    h("p", { class: "meta" }, h("span", {}, body.hunt ? `only ${ctx.hunt.name}` : "every hunt"), h("span", {}, `expires ${when(data.expires_at)}`)),
    body.role === "screen" && !body.hunt ? h("p", { class: "warn" }, "A screen's page names a hunt: limit the token to it.") : null,
    h("p", { class: "label" }, "Link"),
    h("div", { class: "row copy" }, linkBox, h("button", { type: "button", class: "secondary", onclick: copy(link, "Link") }, "Copy link")),
    h("p", { class: "label" }, "Token"),
    h("div", { class: "row copy" }, tokenBox, h("button", { type: "button", class: "secondary", onclick: copy(data.token, "Token") }, "Copy token")),
    status,
  );
}
