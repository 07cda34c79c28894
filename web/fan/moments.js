// The Moments tab: fans' own moments of the hunt's episodes (a scene's time, a title, a note and a
// sketch), approved by the organisers, listed by episode, most loved or newest first
// (GET /v1/hunts/{slug}/moments), loved (PUT/DELETE /v1/moments/{id}/love, one per fan) and
// reported (POST /v1/moments/{id}/report). A fan makes one of an episode they found
// (POST /v1/hunts/{slug}/moments) and follows it in "My moments" (GET /v1/me/moments): pending
// review, approved (then minted to them), rejected, or hidden after reports.
import { api, apiBlob, ownOrigin, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { joinForm } from "./account.js";
import * as session from "./session.js";
import { sketchPad, sketchTools } from "./sketchpad.js";

export const TITLE_MAX = 80; // characters (code points, after NFC), as the server counts them
export const NOTE_MAX = 280;
const SCENE_MAX_S = 7200; // two hours
const MOMENT_TOKEN_BASE = 1n << 62n; // a moment's token id is 2^62 + its id (past JS numbers)
const FIRST_POLL_MS = 4000;
const MAX_POLL_MS = 15_000;
// What no text of a moment may hold (the server refuses it): controls, line and paragraph
// separators, bidirectional embeddings, overrides and isolates. A note may break lines.
const NOT_IN_TITLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const NOT_IN_NOTE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const REPORT_REASONS = ["Offensive or hateful", "Spam or advertising", "A spoiler without warning", "Not about this scene", "Something else"];
const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Text as the server keeps it (NFC, trimmed) and counts it (code points). */
function cleaned(text) {
  return text.normalize("NFC").trim();
}

function length(text) {
  return [...cleaned(text)].length;
}

/** `mm:ss`, as the server writes a scene time (120:00 at two hours). */
export function clock(seconds) {
  return `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}

function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

function episodeName(collectible, key) {
  if (!collectible) return key;
  return collectible.episode ? `Episode ${collectible.episode} · ${collectible.name}` : collectible.name;
}

/** What is wrong with a title or a note, as a sentence; null when it can go. */
function textProblem(text, { field, max, refused, required }) {
  const bad = text.match(refused);
  if (bad) {
    const code = bad[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `The ${field} holds an invisible control or direction character (U+${code}), which a moment cannot keep: delete it, or type the ${field} again.`;
  }
  if (typeof text.isWellFormed === "function" && !text.isWellFormed()) return `The ${field} holds a broken character: type it again.`;
  const count = length(text);
  if (required && !count) return `Give your moment a ${field}.`;
  if (count > max) return `The ${field} is ${count} characters long: at most ${max}.`;
  return null;
}

function limitSentence(limit) {
  if (!limit) return "This hunt takes no moments: the organisers closed them.";
  return `You have made ${plural(limit, "moment")} in this hunt, the most it allows each fan (moments the organisers rejected count too), so this one was not saved.`;
}

/** The sentence for a moment the server refused. */
export function createRefusal(problem, { name, limit }) {
  if (problem instanceof Unreachable) return "No network: your moment was not sent. Send it again when you are back online; what you wrote and drew stays here.";
  if (!(problem instanceof Problem)) return problem.message || String(problem);
  const detail = problem.message || "";
  switch (problem.code) {
    case "moment_limit":
      return limitSentence(limit ?? Number(detail.match(/at most (\d+)/)?.[1]));
    case "not_holder":
      return `You no longer hold ${name}: a moment is made by a fan holding the episode's find (a token given away takes that right with it), so nothing was saved.`;
    case "not_found":
      return `${name} is no longer part of this hunt, so there is nothing to make a moment of.`;
    case "payload_too_large":
      return "This sketch is too large to send: undo a few strokes and send again.";
    case "unauthorized":
      return "Your session has ended: join again on the Hunt tab, then make your moment.";
    case "rate_limited":
      return `Too many requests: try again in ${problem.retryAfterS || 30} s.`;
    case "invalid_request":
      if (/^title\b/.test(detail)) return `The title was refused: a title is one line of 1 to ${TITLE_MAX} characters, without control or direction characters. Change it and send it again.`;
      if (/^note\b/.test(detail)) return `The note was refused: a note is 1 to ${NOTE_MAX} characters, without control or direction characters. Change it and send it again.`;
      if (/^scene/.test(detail)) return `The scene time was refused: it must be between 00:00 and ${clock(SCENE_MAX_S)}.`;
      if (/sketch/i.test(detail)) return `The sketch was refused (${detail}): clear it and draw it again.`;
      return `The moment was refused: ${detail}`;
    default:
      return `The moment was not saved: ${detail}`;
  }
}

function actionRefusal(problem, what) {
  if (problem instanceof Unreachable) return `No network: your ${what} was not sent. Try again when you are back online.`;
  if (problem instanceof Problem && problem.status === 401) return `Your session has ended: join again on the Hunt tab, then send your ${what}.`;
  if (problem instanceof Problem && problem.code === "not_found") return "This moment is no longer shown: the organisers are looking at it again.";
  if (problem instanceof Problem && problem.code === "rate_limited") return `Too many requests: try again in ${problem.retryAfterS || 30} s.`;
  return `Your ${what} was not sent: ${problem.message || problem}`;
}

/** The hunt to show: the one the app is on, or the one the last code opened. */
async function huntNow(hunt) {
  const slug = session.huntSlug();
  if (slug && hunt?.slug !== slug) {
    try {
      return (await api(`/v1/hunts/${encodeURIComponent(slug)}`)).data;
    } catch {
      return hunt;
    }
  }
  return hunt;
}

export async function momentsPage(view, { hunt: given = null } = {}) {
  const hunt = await huntNow(given);
  if (!hunt) {
    fill(view, h("h1", {}, "Moments"), h("section", { class: "card empty" }, h("p", {}, "Open a hunt's code first: its episodes' moments are shown here.")));
    return null;
  }
  const page = new MomentsPage(view, hunt);
  page.render();
  return () => page.stop();
}

class MomentsPage {
  constructor(view, hunt) {
    this.view = view;
    this.setHunt(hunt);
    this.sort = "loved";
    this.episode = "";
    this.stopped = false;
    this.timer = null;
    this.delay = FIRST_POLL_MS;
    this.blobs = new Set(); // blob: URLs of sketches fetched with the fan's token
    this.mine = []; // the fan's moments of this hunt
    // Drawn again when the fan joins, signs in as someone else or signs out (not on every change
    // of the session, which would lose a moment being drawn).
    this.who = undefined;
    // Drawn again, too, for another hunt (a code of another hunt opened meanwhile).
    this.offSession = session.onChange(async (now) => {
      if (this.stopped || !this.root?.isConnected) return;
      if (session.huntSlug() && session.huntSlug() !== this.hunt.slug) {
        const hunt = await huntNow(this.hunt);
        if (this.stopped || hunt.slug === this.hunt.slug) return;
        this.setHunt(hunt);
        this.episode = "";
        this.render();
      } else if ((now?.hunter_id ?? null) !== this.who) {
        this.render();
      }
    });
  }

  setHunt(hunt) {
    this.hunt = hunt;
    this.slug = encodeURIComponent(hunt.slug);
    this.collectibles = new Map((hunt.collectibles || []).map((c) => [c.key, c]));
    this.limit = hunt.rules?.moments_per_hunter ?? null;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.offSession();
    for (const url of this.blobs) URL.revokeObjectURL(url);
    this.blobs.clear();
  }

  name(key) {
    return this.collectibles.get(key)?.name || key;
  }

  render() {
    clearTimeout(this.timer);
    const signedIn = Boolean(session.token());
    this.who = session.current()?.hunter_id ?? null;
    this.mine = [];
    this.announce = h("div", { class: "status", role: "status", "aria-live": "polite" });
    this.composer = h("div", { class: "composer" });
    this.mineBox = h("div");
    this.list = h("div", { class: "moment-groups", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading the moments…"));
    const sortGroup = h(
      "div",
      { class: "segmented", role: "radiogroup", "aria-label": "Order" },
      [
        ["loved", "Most loved"],
        ["recent", "Newest"],
      ].map(([value, label]) => {
        const radio = h("input", { type: "radio", name: "moment-sort", value, checked: this.sort === value });
        radio.addEventListener("change", () => {
          if (!radio.checked) return;
          this.sort = value;
          this.loadList();
        });
        return h("label", {}, radio, h("span", {}, label));
      }),
    );
    const episodes = h(
      "select",
      { id: "moment-episode", name: "episode" },
      h("option", { value: "" }, "All episodes"),
      [...this.collectibles.values()].map((c) => h("option", { value: c.key, selected: c.key === this.episode }, episodeName(c, c.key))),
    );
    episodes.addEventListener("change", () => {
      this.episode = episodes.value;
      this.loadList();
    });
    this.newButton = h("button", { type: "button", class: "wide", onclick: () => this.openComposer() }, "New moment");
    this.root = h(
      "div",
      { class: "moments" },
      h("h1", {}, "Moments"),
      h("p", { class: "muted" }, "The scenes fans loved in each episode: made by fans who found it, approved by the organisers. Love the ones you love too."),
      signedIn ? [this.newButton, this.announce, this.composer, this.mineBox] : h("div", { class: "join-moments" }, h("p", { class: "small muted" }, "Join the hunt to love moments and make your own."), joinForm({ compact: true })),
      h(
        "section",
        { class: "moment-browse", "aria-labelledby": "fans-moments" },
        h("h2", { id: "fans-moments" }, "Fans' moments"),
        h("div", { class: "moment-filters" }, sortGroup, h("label", { class: "sr-only", for: episodes.id }, "Episode"), episodes),
        this.list,
      ),
    );
    fill(this.view, this.root);
    this.loadList();
    if (signedIn) this.loadMine();
  }

  // --- the hunt's approved moments, by episode --------------------------------------------

  async loadList() {
    const asked = (this.asked = {});
    const query = new URLSearchParams({ sort: this.sort, limit: "100" });
    if (this.episode) query.set("collectible", this.episode);
    this.list.setAttribute("aria-busy", "true");
    let moments;
    try {
      ({ data: moments } = await api(`/v1/hunts/${this.slug}/moments?${query}`, { token: session.token() }));
    } catch (problem) {
      if (asked !== this.asked) return;
      const text = problem instanceof Unreachable ? "No network: the moments show when you are back online." : `The moments could not be loaded: ${problem.message || problem}`;
      fill(this.list, h("p", { class: "status bad", role: "alert" }, text), h("button", { type: "button", class: "secondary wide", onclick: () => this.loadList() }, "Try again"));
      this.list.setAttribute("aria-busy", "false");
      return;
    }
    if (asked !== this.asked || this.stopped) return;
    this.list.setAttribute("aria-busy", "false");
    if (!moments.length) {
      fill(
        this.list,
        h(
          "section",
          { class: "card empty" },
          h("p", {}, this.episode ? `No moments of ${this.name(this.episode)} yet.` : "No moments yet."),
          h("p", { class: "small" }, "Be the first: make a moment of an episode you found, and once the organisers approve it, fans can love it here."),
        ),
      );
      return;
    }
    // Grouped by episode in the hunt's order; within one, the server's order (loved or newest).
    const groups = new Map();
    for (const key of this.collectibles.keys()) groups.set(key, []);
    for (const moment of moments) {
      if (!groups.has(moment.collectible)) groups.set(moment.collectible, []);
      groups.get(moment.collectible).push(moment);
    }
    fill(
      this.list,
      [...groups]
        .filter(([, items]) => items.length)
        .map(([key, items]) => {
          const id = `episode-${key}`;
          return h(
            "section",
            { class: "moment-group", "aria-labelledby": id },
            h("h3", { id, class: "episode-head" }, episodeName(this.collectibles.get(key), key), h("span", { class: "count" }, plural(items.length, "moment"))),
            items.map((moment) => this.card(moment)),
          );
        }),
    );
  }

  card(moment) {
    const signedIn = Boolean(session.token());
    const author = moment.author?.handle || "a fan";
    const sketch = ownOrigin(moment.sketch_url);
    const loves = h("span", { class: "loves", "aria-live": "polite" });
    const say = h("p", { class: "moment-say", role: "status" });
    const reportBox = h("div", { class: "report-box" });
    let state = { loves: moment.loves, loved: moment.loved };
    const love = h("button", { type: "button", class: "love", "aria-pressed": String(Boolean(moment.loved)) }, h("span", { class: "heart", "aria-hidden": "true" }), "Love");
    const showLoves = () => {
      fill(loves, plural(state.loves, "love"));
      love.setAttribute("aria-pressed", String(state.loved));
    };
    showLoves();
    love.addEventListener("click", async () => {
      const want = !state.loved;
      love.disabled = true;
      fill(say);
      try {
        const { data } = await api(`/v1/moments/${moment.id}/love`, { method: want ? "PUT" : "DELETE", token: session.token() });
        state = { loves: data.loves, loved: data.loved };
        showLoves();
      } catch (problem) {
        fill(say, actionRefusal(problem, "love"));
      } finally {
        love.disabled = false;
      }
    });
    const report = h("button", { type: "button", class: "quiet report" }, "Report");
    report.addEventListener("click", () => this.reportForm(moment, { report, reportBox, say }));
    return h(
      "article",
      { class: "card moment", "aria-label": moment.title, dataset: { momentId: moment.id } },
      h("div", { class: "moment-head" }, sceneBadge(moment), h("div", { class: "grow" }, h("h4", {}, moment.title), h("p", { class: "by" }, "by ", h("b", {}, author)))),
      sketch ? h("img", { class: "moment-sketch", src: sketch, alt: `Sketch of “${moment.title}” by ${author}`, loading: "lazy", decoding: "async" }) : null,
      moment.note ? h("blockquote", { class: "note" }, moment.note) : null,
      h("div", { class: "moment-actions" }, signedIn ? love : h("span", { class: "heart still", "aria-hidden": "true" }), loves, signedIn ? report : null),
      reportBox,
      say,
    );
  }

  reportForm(moment, { report, reportBox, say }) {
    const group = `report-${moment.id}`;
    const send = h("button", { type: "submit", disabled: true }, "Send report");
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const error = h("p", { class: "status bad", role: "alert" });
    const form = h(
      "form",
      { class: "report-form", "aria-label": `Report “${moment.title}”` },
      h("p", {}, "Report this moment to the organisers? It stays up until they look at it, unless enough fans report it: then it is hidden until they decide."),
      h(
        "fieldset",
        {},
        h("legend", {}, "What is wrong with it?"),
        REPORT_REASONS.map((reason) => h("label", { class: "choice" }, h("input", { type: "radio", name: group, value: reason }), h("span", {}, reason))),
      ),
      error,
      h("div", { class: "row" }, cancel, send),
    );
    form.addEventListener("change", () => (send.disabled = !form.querySelector("input:checked")));
    cancel.addEventListener("click", () => {
      fill(reportBox);
      report.hidden = false;
      report.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = form.querySelector("input:checked")?.value;
      if (!reason) return;
      send.disabled = true;
      fill(error);
      try {
        await api(`/v1/moments/${moment.id}/report`, { method: "POST", body: { reason }, token: session.token() });
      } catch (problem) {
        fill(error, actionRefusal(problem, "report"));
        send.disabled = false;
        return;
      }
      fill(reportBox);
      report.hidden = false;
      report.disabled = true;
      fill(report, "Reported");
      fill(say, `Thank you: your report of “${moment.title}” reached the organisers. They will look at it; when enough fans report a moment, it is hidden until they decide.`);
    });
    report.hidden = true;
    fill(say);
    fill(reportBox, form);
    form.querySelector("input")?.focus();
  }

  // --- the fan's own moments ------------------------------------------------------------

  async loadMine() {
    clearTimeout(this.timer);
    let mine;
    try {
      ({ data: mine } = await api("/v1/me/moments", { token: session.token() }));
    } catch (problem) {
      if (this.stopped) return;
      if (!this.mine.length) {
        const text = problem instanceof Unreachable ? "No network: your moments show when you are back online." : `Your moments could not be loaded: ${problem.message || problem}`;
        fill(this.mineBox, h("p", { class: "status bad" }, text));
      }
      this.later();
      return;
    }
    if (this.stopped) return;
    mine = mine.filter((moment) => moment.hunt === this.hunt.slug);
    const before = new Map(this.mine.map((m) => [m.id, `${m.status}/${m.mint?.status}`]));
    const changed = mine.length !== this.mine.length || mine.some((m) => before.get(m.id) !== `${m.status}/${m.mint?.status}`);
    const reviewedNow = mine.some((m) => m.status !== "pending" && before.has(m.id) && before.get(m.id).startsWith("pending/"));
    this.mine = mine;
    if (reviewedNow) fill(this.announce); // "pending review" is old news: My moments says what now
    if (changed || !this.mineBox.firstChild) this.showMine();
    if (reviewedNow) this.loadList();
    this.later();
  }

  /** Asked again while one of them waits for a review or a mint. */
  later() {
    const waiting = this.mine.some((m) => m.status === "pending" || (m.status === "approved" && !["minted", "failed", "awaiting_wallet"].includes(m.mint?.status)));
    if (this.stopped || !waiting) return;
    this.timer = setTimeout(() => (document.hidden ? this.later() : this.loadMine()), this.delay);
    this.delay = Math.min(this.delay * 1.5, MAX_POLL_MS);
  }

  showMine() {
    if (!this.mine.length) {
      fill(this.mineBox);
      return;
    }
    const left = this.limit === null ? null : Math.max(0, this.limit - this.mine.length);
    fill(
      this.mineBox,
      h(
        "section",
        { class: "card my-moments", "aria-labelledby": "my-moments" },
        h("h2", { id: "my-moments" }, "My moments"),
        left === null ? null : h("p", { class: "hint" }, left ? `You can make ${plural(left, "more moment")} in this hunt.` : `You have made all ${plural(this.limit, "moment")} this hunt allows.`),
        h("ul", { class: "list mine", "aria-label": "My moments" }, this.mine.map((moment) => this.myItem(moment))),
      ),
    );
  }

  myItem(moment) {
    const sketch = ownOrigin(moment.sketch_url);
    const picture = sketch ? h("img", { class: "mine-sketch", alt: `Your sketch for “${moment.title}”` }) : null;
    if (picture) this.sketchInto(picture, sketch, moment);
    return h(
      "li",
      { class: "my-moment", dataset: { momentId: moment.id, status: moment.status } },
      h(
        "article",
        { "aria-label": `My moment: ${moment.title}` },
        h("div", { class: "moment-head" }, sceneBadge(moment), h("div", { class: "grow" }, h("h4", {}, moment.title), h("p", { class: "by" }, this.name(moment.collectible), " · ", h("time", { datetime: moment.created_at }, WHEN.format(new Date(moment.created_at)))))),
        picture,
        moment.note ? h("blockquote", { class: "note" }, moment.note) : null,
        statusLine(moment),
        moment.status === "approved" || moment.status === "hidden" ? mintLine(moment) : null,
      ),
    );
  }

  /** A sketch the fan may see before fans do: fetched with the fan's token, shown from a blob. */
  async sketchInto(img, path, moment) {
    if (moment.status === "approved") {
      img.src = path;
      return;
    }
    try {
      const url = URL.createObjectURL(await apiBlob(path, { token: session.token() }));
      if (this.stopped) return URL.revokeObjectURL(url);
      this.blobs.add(url);
      img.src = url;
    } catch {
      img.replaceWith(h("p", { class: "hint" }, "The sketch shows when you are back online."));
    }
  }

  // --- a new moment ---------------------------------------------------------------------

  async openComposer() {
    this.newButton.hidden = true;
    fill(this.announce);
    this.announce.className = "status";
    fill(this.composer, h("p", { class: "muted" }, "Looking up your finds…"));
    let finds;
    try {
      ({ data: finds } = await api("/v1/me/finds", { token: session.token() }));
    } catch (problem) {
      const text = problem instanceof Unreachable ? "No network: your finds could not be read. Try again when you are back online." : `Your finds could not be read: ${problem.message || problem}`;
      fill(this.composer, h("p", { class: "status bad", role: "alert" }, text));
      this.newButton.hidden = false;
      return;
    }
    // One entry per episode of this hunt the fan found (the server checks they still hold it).
    const found = new Map();
    for (const find of finds) if (this.collectibles.has(find.collectible.key)) found.set(find.collectible.key, find.collectible);
    if (!found.size) {
      fill(
        this.composer,
        h(
          "section",
          { class: "card" },
          h("p", {}, "Find an episode first: a moment is made of an episode you found. Scan a code on the Hunt tab, then come back."),
          h("button", { type: "button", class: "secondary wide", onclick: () => this.closeComposer() }, "Close"),
        ),
      );
      return;
    }
    const editor = this.editor([...found.values()]);
    fill(this.composer, editor);
    editor.querySelector("select")?.focus();
  }

  closeComposer() {
    fill(this.composer);
    this.newButton.hidden = false;
  }

  editor(found) {
    const uid = Math.random().toString(36).slice(2);
    const ids = (name) => `${name}-${uid}`;
    const episode = h(
      "select",
      { id: ids("episode"), name: "collectible" },
      found.map((c) => h("option", { value: c.key }, episodeName(this.collectibles.get(c.key) || c, c.key))),
    );

    // The scene's time: minutes and seconds, or the slider; each follows the other.
    let scene = 0;
    const minutes = h("input", { id: ids("minutes"), type: "number", inputmode: "numeric", min: 0, max: SCENE_MAX_S / 60, step: 1, value: 0 });
    const seconds = h("input", { id: ids("seconds"), type: "number", inputmode: "numeric", min: 0, max: 59, step: 1, value: 0 });
    const slider = h("input", { id: ids("slider"), type: "range", min: 0, max: SCENE_MAX_S, step: 1, value: 0, "aria-label": "Scene" });
    const shown = h("output", { class: "scene-out", for: `${minutes.id} ${seconds.id} ${slider.id}`, "aria-live": "polite" }, clock(0));
    const setScene = (value, from) => {
      scene = Math.max(0, Math.min(SCENE_MAX_S, Math.round(Number(value) || 0)));
      if (from !== "fields") {
        minutes.value = String(Math.floor(scene / 60));
        seconds.value = String(scene % 60);
      }
      if (from !== "slider") slider.value = String(scene);
      slider.setAttribute("aria-valuetext", clock(scene));
      fill(shown, clock(scene));
    };
    const fromFields = () => {
      const m = Math.max(0, Math.min(SCENE_MAX_S / 60, Math.floor(Number(minutes.value) || 0)));
      const s = Math.max(0, Math.min(59, Math.floor(Number(seconds.value) || 0)));
      setScene(m * 60 + s, "fields");
    };
    minutes.addEventListener("input", fromFields);
    seconds.addEventListener("input", fromFields);
    // Leaving a field writes back what counts (120:59 is 120:00, a blank is 0).
    minutes.addEventListener("change", () => setScene(scene));
    seconds.addEventListener("change", () => setScene(scene));
    slider.addEventListener("input", () => setScene(slider.value, "slider"));
    setScene(0);

    const title = h("input", { id: ids("title"), name: "title", autocomplete: "off", enterkeyhint: "next", "aria-describedby": ids("title-count") });
    const titleCount = h("p", { id: ids("title-count"), class: "hint counter" });
    const titleSay = h("p", { class: "field-problem", role: "alert" });
    const note = h("textarea", { id: ids("note"), name: "note", rows: 3, placeholder: "What makes this scene: a line, a look, a sound…", "aria-describedby": ids("note-count") });
    const noteCount = h("p", { id: ids("note-count"), class: "hint counter" });
    const noteSay = h("p", { class: "field-problem", role: "alert" });
    const error = h("p", { class: "status bad", role: "alert" });
    const send = h("button", { type: "submit" }, "Create moment");
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => this.closeComposer() }, "Cancel");
    const pad = sketchPad(update);
    const tools = sketchTools(pad);

    function counter(node, count, max) {
      const over = count > max;
      fill(node, over ? `${count} / ${max}: ${count - max} too many` : `${count} / ${max}`);
      node.classList.toggle("over", over);
    }

    function update() {
      const titleProblem = textProblem(title.value, { field: "title", max: TITLE_MAX, refused: NOT_IN_TITLE, required: true });
      const noteProblem = textProblem(note.value, { field: "note", max: NOTE_MAX, refused: NOT_IN_NOTE, required: false });
      counter(titleCount, length(title.value), TITLE_MAX);
      counter(noteCount, length(note.value), NOTE_MAX);
      // A blank title is said only once something was typed (or on sending).
      fill(titleSay, title.value && titleProblem && length(title.value) <= TITLE_MAX ? titleProblem : null);
      fill(noteSay, noteProblem && length(note.value) <= NOTE_MAX ? noteProblem : null);
      title.setAttribute("aria-invalid", String(Boolean(title.value && titleProblem)));
      note.setAttribute("aria-invalid", String(Boolean(noteProblem)));
      tools.update();
      send.disabled = Boolean(titleProblem || noteProblem);
      return titleProblem || noteProblem;
    }
    title.addEventListener("input", () => {
      fill(error);
      update();
    });
    note.addEventListener("input", () => {
      fill(error);
      update();
    });

    const form = h(
      "form",
      { class: "card moment-form stack", "aria-label": "New moment", novalidate: true },
      h("h2", {}, "New moment"),
      h("p", { class: "hint" }, "A scene you loved in an episode you found. The organisers look at it first; once approved, fans can love it, and it is minted to you as a collectible of its own."),
      h("div", {}, h("label", { for: episode.id }, "Episode"), episode),
      h(
        "fieldset",
        { class: "scene-pick" },
        h("legend", {}, "Scene time"),
        h(
          "div",
          { class: "scene-fields" },
          h("div", {}, h("label", { for: minutes.id }, "Minutes"), minutes),
          h("span", { class: "colon", "aria-hidden": "true" }, ":"),
          h("div", {}, h("label", { for: seconds.id }, "Seconds"), seconds),
          shown,
        ),
        slider,
        h("p", { class: "hint scale", "aria-hidden": "true" }, h("span", {}, "00:00"), h("span", {}, "60:00"), h("span", {}, "120:00")),
      ),
      h("div", {}, h("label", { for: title.id }, "Title"), title, titleCount, titleSay),
      h("div", {}, h("label", { for: note.id }, "Note"), note, noteCount, noteSay),
      h("p", { class: "label" }, "Sketch"),
      pad.canvas,
      tools.element,
      error,
      h("div", { class: "row actions" }, cancel, send),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      fill(error);
      const problem = update();
      if (problem) {
        fill(error, problem);
        return;
      }
      const name = episode.selectedOptions[0]?.textContent || "this episode";
      const body = { collectible: episode.value, scene_s: scene, title: cleaned(title.value) };
      const text = cleaned(note.value);
      if (text) body.note = text;
      try {
        const drawing = pad.png();
        if (drawing) body.sketch = drawing;
      } catch (tooBig) {
        fill(error, tooBig.message);
        return;
      }
      send.disabled = true;
      fill(send, "Sending…");
      let made;
      try {
        ({ data: made } = await api(`/v1/hunts/${this.slug}/moments`, { method: "POST", body, token: session.token() }));
      } catch (refused) {
        fill(send, "Create moment");
        fill(error, createRefusal(refused, { name, limit: this.limit }));
        update();
        if (refused instanceof Problem && ["moment_limit", "not_holder"].includes(refused.code)) send.disabled = true;
        // Made from another phone, perhaps: My moments shows what counts against the limit.
        if (refused instanceof Problem && refused.code === "moment_limit") this.loadMine();
        return;
      }
      this.closeComposer();
      this.announce.className = "status good";
      fill(this.announce, h("strong", {}, `“${made.title}” is pending review`), `The organisers look at every moment before fans see it: follow it in My moments below.`);
      this.delay = FIRST_POLL_MS;
      this.mine = [made, ...this.mine.filter((m) => m.id !== made.id)];
      this.showMine();
      this.later();
      this.newButton.focus();
    });
    update();
    requestAnimationFrame(() => pad.layout());
    return form;
  }
}

function sceneBadge(moment) {
  const seconds = moment.scene_s;
  return h("time", { class: "scene", datetime: `PT${Math.floor(seconds / 60)}M${seconds % 60}S`, "aria-label": `Scene at ${moment.scene}` }, moment.scene);
}

const STATUS_WORDS = {
  pending: ["pending review", "Waiting for the organisers: they look at every moment before fans see it."],
  approved: ["approved", "Approved: fans see it in Moments and can love it."],
  rejected: ["rejected", "Rejected by the organisers: fans do not see it."],
  hidden: ["hidden", "Hidden after reports from fans, until the organisers look at it again."],
};

function statusLine(moment) {
  const [pill, text] = STATUS_WORDS[moment.status] || [moment.status, ""];
  const reason = moment.status === "rejected" ? moment.reason || moment.review?.reason || null : null;
  return h(
    "p",
    { class: "moment-status" },
    h("span", { class: `pill ${moment.status}` }, pill),
    " ",
    reason ? `Rejected by the organisers: “${reason}”. Fans do not see it.` : text,
  );
}

const MINT_WORDS = {
  awaiting_wallet: "Waiting for a wallet: connect one on the Hunt tab and this moment is minted to it.",
  queued: "Minting is queued…",
  submitted: "Minting on chain…",
  minted: "Minted to your wallet.",
  failed: "Minting failed; the organisers can retry it.",
};

function mintLine(moment) {
  const status = moment.mint?.status;
  if (!status) return null;
  // The token id is 2^62 + the moment's id: a BigInt as the API's JSON is read.
  const tokenId = String(moment.token_id ?? MOMENT_TOKEN_BASE + BigInt(moment.id));
  return h(
    "p",
    { class: "mint-line" },
    h("span", { class: `pill ${status}` }, status.replace("_", " ")),
    " ",
    status === "minted" ? ["Minted to your wallet. ", h("a", { href: `/v1/tokens/${tokenId}` }, "See the token")] : MINT_WORDS[status] || status,
  );
}
