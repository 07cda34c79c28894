// The console: one page at /console for organisers and field teams. The token comes in the
// URL's fragment (#token=...) or is pasted here; its role picks the sections shown (the server
// checks every call). Sections are fragments too: #register, #mine, #hunts, #clues, ...
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { alertsPage } from "./alerts.js";
import { cluesPage } from "./clues.js";
import { huntsPage } from "./hunts.js";
import { knownHunts, loadHunt } from "./hunts-known.js";
import { importPage } from "./importer.js";
import { momentsPage } from "./moments.js";
import { myCluesPage } from "./myclues.js";
import { explain } from "./problems.js";
import { registerPage } from "./register.js";
import * as session from "./session.js";
import { tokensPage } from "./tokens.js";

const view = document.getElementById("view");
const nav = document.getElementById("sections");
const notice = document.getElementById("notice");

// Which sections each role sees, in order; the first is where the console opens.
const SECTIONS = {
  register: { name: "Register", page: registerPage },
  mine: { name: "My clues", page: myCluesPage },
  hunts: { name: "Hunts", page: huntsPage, any: true },
  clues: { name: "Clues", page: cluesPage },
  import: { name: "Import", page: importPage },
  tokens: { name: "Tokens", page: tokensPage },
  alerts: { name: "Alerts", page: alertsPage },
  moments: { name: "Moments", page: momentsPage },
};
const BY_ROLE = {
  field: ["register", "mine"],
  organiser: ["hunts", "clues", "register", "mine", "import", "tokens", "alerts", "moments"],
};
const ROLE_NAMES = { field: "Field team", organiser: "Organiser" };

const ctx = {
  config: {},
  token: null,
  who: null,
  hunt: null,
  notify: showNotice,
  reloadHunt: async () => {
    ctx.hunt = await loadHunt(ctx.hunt.slug);
    await route();
  },
  chooseHunt: async (slug) => {
    ctx.hunt = await loadHunt(slug);
    session.setHunt(slug);
    await header();
    await route();
  },
};
let leave = null;
let timer = null;

function showNotice(text) {
  fill(notice, text);
  notice.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => (notice.hidden = true), 8000);
}

function sections() {
  return ctx.who ? BY_ROLE[ctx.who.role] : [];
}

function current() {
  const name = location.hash.slice(1);
  return sections().includes(name) ? name : sections()[0];
}

async function header() {
  const who = ctx.who;
  const pick = document.getElementById("hunt-pick");
  if (!who) {
    fill(pick);
    fill(document.getElementById("who"));
    nav.hidden = true;
    return;
  }
  fill(
    document.getElementById("who"),
    h("span", { class: `role ${who.role}`, title: who.hunt ? `limited to ${who.hunt}` : "every hunt" }, ROLE_NAMES[who.role]),
    h("span", { class: "sub" }, who.sub),
    h("button", { type: "button", class: "quiet", onclick: () => session.signOut() }, "Sign out"),
  );
  if (who.hunt) {
    fill(pick, h("span", { class: "hunt-name" }, ctx.hunt?.name || who.hunt));
  } else {
    const hunts = await knownHunts(ctx.token);
    if (ctx.hunt && !hunts.some((x) => x.slug === ctx.hunt.slug)) hunts.unshift(ctx.hunt);
    const select = h(
      "select",
      { "aria-label": "Hunt", onchange: (event) => event.target.value && ctx.chooseHunt(event.target.value).catch((error) => showNotice(explain(error))) },
      h("option", { value: "" }, hunts.length ? "Choose a hunt…" : "No hunt running"),
      hunts.map((x) => h("option", { value: x.slug, selected: x.slug === ctx.hunt?.slug }, x.name)),
    );
    fill(pick, select);
  }
  fill(
    nav,
    sections().map((name) => h("a", { href: `#${name}`, dataset: { section: name } }, SECTIONS[name].name)),
  );
  nav.hidden = false;
}

async function route() {
  leave?.();
  leave = null;
  const name = current();
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.section === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.body.dataset.role = ctx.who?.role || "";
  document.body.dataset.section = name || "";
  if (!ctx.who) {
    document.title = "geohunt console";
    return signInPage();
  }
  const section = SECTIONS[name];
  document.title = `${section.name} · geohunt console`;
  if (!ctx.hunt && !section.any) {
    fill(view, h("h1", {}, section.name), h("p", { class: "muted" }, ctx.who.hunt ? "This token's hunt could not be loaded." : "Choose a hunt at the top first."));
    return;
  }
  try {
    leave = (await section.page(view, ctx)) || null;
  } catch (error) {
    fill(view, h("h1", {}, "Something went wrong"), h("p", {}, explain(error)), h("button", { type: "button", onclick: () => route() }, "Try again"));
  }
}

function signInPage() {
  const input = h("textarea", { id: "token", rows: 4, autocomplete: "off", spellcheck: "false", placeholder: "eyJ…" });
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card stack", "aria-label": "Sign in" },
    h("label", { for: "token" }, "Token"),
    input,
    h("button", { type: "submit", class: "wide" }, "Use this token"),
    status,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = session.use(input.value);
    if (problem) {
      status.className = "status bad";
      fill(status, problem);
    }
  });
  fill(
    view,
    h("h1", {}, "geohunt console"),
    h("p", { class: "muted" }, "For organisers and field teams. Open the link an organiser sent you, or paste your token here. It stays on this device until you sign out."),
    form,
    h("p", { class: "hint" }, "The first organiser token comes from the server's command line: ", h("code", {}, "geohunt token --role organiser --sub NAME"), "."),
  );
}

async function signedIn() {
  ctx.token = session.token();
  ctx.who = session.who();
  ctx.hunt = null;
  const slug = session.huntSlug();
  if (ctx.who && slug) {
    try {
      ctx.hunt = await loadHunt(slug);
    } catch (error) {
      showNotice(`The hunt ${slug} could not be loaded: ${explain(error)}`);
    }
  }
  await header();
  await route();
}

try {
  ({ data: ctx.config } = await api("/v1/app/config"));
} catch {
  ctx.config = {}; // no tiles then: the map is drawn without them
}
const refused = session.takeFromFragment();
if (refused) showNotice(refused);
session.onChange(async () => {
  const who = session.who();
  if (who?.sub !== ctx.who?.sub || who?.role !== ctx.who?.role || session.token() !== ctx.token) return signedIn();
  if (session.huntSlug() !== ctx.hunt?.slug) return signedIn();
  return undefined;
});
window.addEventListener("hashchange", () => {
  if (location.hash.startsWith("#token=")) {
    const problem = session.takeFromFragment();
    if (problem) showNotice(problem);
    return;
  }
  route();
});
await signedIn();
