// Organiser view: the review queue of fans' moments. Pending moments, and approved ones that
// fans' reports hid (GET /v1/hunts/{slug}/moments?status=pending|hidden), each with its scene,
// title, note, sketch (fetched with the organiser's token: it is not public before approval),
// author and reports; approve or reject with a reason (POST /v1/moments/{id}/review), and every
// decision kept, who and when (GET /v1/moments/{id}/decisions). Approved and rejected moments
// can be listed too, to take one down or approve one on appeal.
import { api, apiBlob, ownOrigin } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { when } from "./format.js";
import { explain } from "./problems.js";

const VIEWS = {
  review: { label: "To review", statuses: ["pending", "hidden"] },
  approved: { label: "Approved", statuses: ["approved"] },
  rejected: { label: "Rejected", statuses: ["rejected"] },
};
const HEADINGS = {
  pending: ["Waiting for review", "New moments: fans see none of them until you approve it."],
  hidden: ["Hidden by reports", "Approved moments that enough fans reported: hidden until you decide again."],
  approved: ["Approved", "Shown to fans. Rejecting one takes it down (its token stays, without note and sketch)."],
  rejected: ["Rejected", "Fans do not see these. Approving one (on appeal) shows it and mints it."],
};
const REASON_MAX = 500;
let chosen = "review"; // kept while the console stays open

export async function momentsPage(view, ctx) {
  const blobs = new Set();
  const slug = encodeURIComponent(ctx.hunt.slug);
  const names = new Map((ctx.hunt.collectibles || []).map((c) => [c.key, c.episode ? `Episode ${c.episode} · ${c.name}` : c.name]));
  const body = h("div", { class: "moment-queue", "aria-live": "polite" });
  const choice = h(
    "div",
    { class: "seg moment-views", role: "radiogroup", "aria-label": "Show" },
    Object.entries(VIEWS).map(([key, { label }]) => {
      const radio = h("input", { type: "radio", name: "moment-view", value: key, checked: chosen === key });
      radio.addEventListener("change", () => {
        if (!radio.checked) return;
        chosen = key;
        load();
      });
      return h("label", {}, radio, label);
    }),
  );
  const refresh = h("button", { type: "button", class: "secondary small-button", onclick: () => load() }, "Refresh");
  fill(
    view,
    h("div", { class: "card-head" }, h("h1", {}, "Moments"), h("span", { class: "links" }, refresh)),
    h("p", { class: "muted" }, `${ctx.hunt.name}: fans' own moments of the episodes they found. Approve one to show it to fans and mint it to its author; reject with a reason. Every decision is kept, who and when.`),
    choice,
    body,
  );

  const sketchOf = async (moment, holder) => {
    const path = ownOrigin(moment.sketch_url);
    if (!path) return;
    try {
      const url = URL.createObjectURL(await apiBlob(path, { token: ctx.token }));
      blobs.add(url);
      fill(holder, h("img", { class: "moment-sketch", src: url, alt: `Sketch of “${moment.title}”` }));
    } catch (error) {
      fill(holder, h("p", { class: "hint" }, `The sketch could not be loaded: ${explain(error)}`));
    }
  };

  async function load() {
    for (const url of blobs) URL.revokeObjectURL(url);
    blobs.clear();
    fill(body, h("p", { class: "muted" }, "Loading…"));
    const statuses = VIEWS[chosen].statuses;
    let lists;
    try {
      lists = await Promise.all(statuses.map((status) => api(`/v1/hunts/${slug}/moments?status=${status}&sort=recent&limit=100`, { token: ctx.token }).then((answer) => answer.data)));
    } catch (error) {
      fill(body, h("p", { class: "status bad" }, explain(error)), h("button", { type: "button", class: "secondary", onclick: () => load() }, "Try again"));
      return;
    }
    const total = lists.reduce((sum, list) => sum + list.length, 0);
    fill(
      body,
      statuses.map((status, index) => {
        const [title, hint] = HEADINGS[status];
        const list = lists[index];
        const id = `moments-${status}`;
        if (status === "hidden" && !list.length && total) return null; // nothing hidden: no heading
        return h(
          "section",
          { class: "moment-section", "aria-labelledby": id },
          h("h2", { id }, title, " ", h("span", { class: "pill" }, list.length)),
          h("p", { class: "hint" }, hint),
          list.length
            ? h("ul", { class: "moment-list", "aria-label": title }, list.map((moment) => item(moment, { ctx, names, sketchOf })))
            : h("p", { class: "empty" }, status === "pending" ? "Nothing waits for review." : "None."),
        );
      }),
    );
  }

  await load();
  return () => {
    for (const url of blobs) URL.revokeObjectURL(url);
    blobs.clear();
  };
}

function plural(count, one) {
  return `${count} ${count === 1 ? one : `${one}s`}`;
}

function item(moment, { ctx, names, sketchOf }) {
  const pill = h("span");
  const reports = h("span", { class: "reports" });
  const loves = h("span");
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const history = h("div", { class: "decisions" });
  const holder = moment.sketch_url ? h("div", { class: "sketch-holder" }, h("p", { class: "hint" }, "Loading the sketch…")) : null;
  const note = moment.note ? h("blockquote", { class: "note" }, moment.note) : null;
  const approve = h("button", { type: "button" }, "Approve");
  const reject = h("button", { type: "button", class: "secondary" }, "Reject");
  const toggleHistory = h("button", { type: "button", class: "quiet", "aria-expanded": "false" }, "Decisions");
  const rejectBox = h("div");
  let decisions = null;

  const say = (tone, text) => {
    status.className = `status ${tone}`;
    fill(status, text);
  };
  const show = () => {
    fill(pill, h("span", { class: `pill moment-${moment.status}` }, moment.status));
    fill(loves, moment.status === "approved" || moment.loves ? plural(moment.loves, "love") : null);
    approve.disabled = moment.status === "approved";
    reject.disabled = moment.status === "rejected";
  };
  show();

  // Reports are counted by the server; a moment hidden by them says how many in its decision.
  const showReports = () => {
    const hide = decisions?.findLast?.((d) => d.action === "hide") ?? [...(decisions || [])].reverse().find((d) => d.action === "hide");
    fill(reports, moment.status === "hidden" && hide ? h("b", { class: "warn" }, `${plural(hide.reports ?? 0, "report")}`) : null);
  };
  const loadDecisions = async () => {
    const { data } = await api(`/v1/moments/${moment.id}/decisions`, { token: ctx.token });
    decisions = data;
    showReports();
    return data;
  };
  const showHistory = async () => {
    fill(history, h("p", { class: "hint" }, "Loading the decisions…"));
    try {
      const list = decisions || (await loadDecisions());
      fill(
        history,
        h("h3", {}, "Decisions"),
        list.length
          ? h("ol", { class: "history", "aria-label": `Decisions on “${moment.title}”` }, list.map(decisionItem))
          : h("p", { class: "hint" }, "No decision yet: made by a fan on " + when(moment.created_at) + ", waiting for review."),
      );
    } catch (error) {
      fill(history, h("p", { class: "status bad" }, explain(error)));
    }
  };
  toggleHistory.addEventListener("click", () => {
    const open = toggleHistory.getAttribute("aria-expanded") !== "true";
    toggleHistory.setAttribute("aria-expanded", String(open));
    if (open) showHistory();
    else fill(history);
  });
  if (moment.status === "hidden") loadDecisions().catch(() => {});

  const decide = async (decision, reason) => {
    approve.disabled = reject.disabled = true;
    say("wait", decision === "approve" ? "Approving…" : "Rejecting…");
    try {
      const { data } = await api(`/v1/moments/${moment.id}/review`, { method: "POST", body: reason ? { decision, reason } : { decision }, token: ctx.token });
      Object.assign(moment, data);
      decisions = null;
      fill(rejectBox);
      show();
      if (decision === "approve") {
        const mint = data.mint?.status === "awaiting_wallet" ? "it waits for the author to link a wallet, then mints" : "its mint to the author's wallet is queued";
        say("good", `Approved: fans see “${moment.title}” now, and ${mint}.`);
      } else {
        say("good", `Rejected: fans do not see “${moment.title}”. Your reason is kept with the decision.`);
      }
      if (toggleHistory.getAttribute("aria-expanded") === "true") await showHistory();
      else await loadDecisions().catch(() => {});
    } catch (error) {
      show();
      say("bad", `Not decided: ${explain(error)}`);
    }
  };

  approve.addEventListener("click", () => decide("approve"));
  reject.addEventListener("click", () => {
    const id = `reason-${moment.id}`;
    const reason = h("textarea", { id, rows: 2, maxlength: REASON_MAX, required: true, placeholder: "What is wrong with it (kept with the decision)" });
    const problem = h("p", { class: "hint warn", role: "alert" });
    const form = h(
      "form",
      { class: "reject-form", "aria-label": `Reject “${moment.title}”`, novalidate: true },
      h("label", { for: id }, "Reason"),
      reason,
      problem,
      h("div", { class: "row wrap actions" }, h("button", { type: "submit" }, "Reject with this reason"), h("button", { type: "button", class: "secondary", onclick: () => fill(rejectBox) }, "Cancel")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        fill(problem, "A rejection needs a reason: write why, it is kept with the decision.");
        reason.focus();
        return;
      }
      fill(problem);
      decide("reject", text);
    });
    fill(rejectBox, form);
    reason.focus();
  });

  if (moment.sketch_url) sketchOf(moment, holder);
  return h(
    "li",
    { class: "card moment-review", "aria-label": moment.title, dataset: { momentId: moment.id } },
    h("div", { class: "card-head" }, h("h2", {}, moment.title), pill),
    h(
      "p",
      { class: "meta" },
      h("span", { class: "scene" }, `Scene ${moment.scene}`),
      h("span", {}, names.get(moment.collectible) || moment.collectible),
      h("span", {}, "by ", h("b", {}, moment.author?.handle || "a fan without a handle")),
      h("span", {}, when(moment.created_at)),
      loves,
      reports,
    ),
    holder || note
      ? h("div", { class: `moment-body${holder && note ? " both" : ""}` }, holder, note)
      : h("p", { class: "hint" }, "No note and no sketch: a scene time and a title only."),
    h("div", { class: "row wrap actions" }, approve, reject, toggleHistory),
    rejectBox,
    status,
    history,
  );
}

const ACTIONS = { approve: "Approved", reject: "Rejected", hide: "Hidden" };

function decisionItem(decision) {
  const who = decision.actor_role === "reports" ? `after ${plural(decision.reports ?? 0, "report")} from fans` : `by ${decision.actor || "an organiser"}`;
  return h(
    "li",
    {},
    h("b", {}, ACTIONS[decision.action] || decision.action),
    ` ${who} · `,
    h("time", { datetime: decision.decided_at }, when(decision.decided_at)),
    // The reports' own line says how many; an organiser's reason is theirs to read.
    decision.reason && decision.actor_role !== "reports" ? h("p", { class: "reason" }, `“${decision.reason}”`) : null,
  );
}
