// Organiser view: the hunt's alerts (GET /v1/hunts/{slug}/alerts), such as a leaked printed
// code, each with what can be done about it: deactivate the clue (PATCH active=false), or
// reissue its code (POST /v1/clues/{id}/reissue: every earlier code is then refused
// code_revoked) and print the new one.
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { metres, when } from "./format.js";
import { allClues } from "./myclues.js";
import { codeCard, releaseCodes } from "./printable.js";
import { explain } from "./problems.js";

const KINDS = { leaked_code: "Leaked code" };

export async function alertsPage(view, ctx) {
  releaseCodes();
  fill(view, h("h1", {}, "Alerts"), h("p", { class: "muted" }, "Loading…"));
  let alerts;
  let clues;
  try {
    [{ data: alerts }, clues] = await Promise.all([api(`/v1/hunts/${encodeURIComponent(ctx.hunt.slug)}/alerts`, { token: ctx.token }), allClues(ctx)]);
  } catch (error) {
    fill(view, h("h1", {}, "Alerts"), h("p", { class: "status bad" }, explain(error)));
    return;
  }
  const byId = new Map(clues.map((c) => [c.id, c]));
  fill(
    view,
    h("h1", {}, "Alerts"),
    h("p", { class: "muted" }, `${ctx.hunt.name}: newest first.`),
    alerts.length ? h("ul", { class: "alert-list" }, alerts.map((alert) => alertItem(alert, byId.get(alert.clue_id), ctx))) : h("p", { class: "empty" }, "No alerts: nothing looks wrong."),
  );
}

function detailText(alert) {
  const d = alert.detail || {};
  if (alert.kind === "leaked_code") {
    const minutes = d.window_s ? Math.round(d.window_s / 60) : null;
    return `${d.hunters ?? "Several"} hunters scanned it more than ${metres(d.min_distance_m ?? 1000)} from its site${minutes ? ` within ${minutes} minutes` : ""}. ${d.message || ""}`.trim();
  }
  return d.message || JSON.stringify(d);
}

function alertItem(alert, clue, ctx) {
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const more = h("div");
  const state = h("span");
  const title = clue ? clue.label : alert.clue_id ? `Clue #${alert.clue_id}` : "The hunt";
  const showState = () => fill(state, clue ? h("span", { class: `pill ${clue.active ? "good" : "bad"}` }, clue.active ? "clue active" : "clue inactive") : null);
  showState();
  const say = (tone, text) => {
    status.className = `status ${tone}`;
    fill(status, text);
  };
  const deactivate = h("button", { type: "button", class: "secondary" }, "Deactivate clue");
  const reissue = h("button", { type: "button" }, "Reissue");
  deactivate.disabled = !clue?.active;
  reissue.hidden = !(clue && clue.qr);
  deactivate.addEventListener("click", async () => {
    deactivate.disabled = true;
    try {
      const { data } = await api(`/v1/clues/${clue.id}`, { method: "PATCH", body: { active: false }, token: ctx.token });
      Object.assign(clue, data);
      showState();
      say("good", "Deactivated: every scan of this clue is now refused (clue_not_active).");
    } catch (error) {
      deactivate.disabled = false;
      say("bad", `Not deactivated: ${explain(error)}`);
    }
  });
  reissue.addEventListener("click", async () => {
    reissue.disabled = true;
    say("wait", "Reissuing the code…");
    try {
      const { data } = await api(`/v1/clues/${clue.id}/reissue`, { method: "POST", body: { reason: `alert ${alert.id}: ${KINDS[alert.kind] || alert.kind}` }, token: ctx.token });
      Object.assign(clue, data);
      showState();
      say("good", "Reissued: the earlier code is now refused (code_revoked). Print the new one and replace the billboard's.");
      fill(more, codeCard(clue, ctx, { title: "The new code" }));
    } catch (error) {
      say("bad", `Not reissued: ${explain(error)}`);
    } finally {
      reissue.disabled = false;
    }
  });
  return h(
    "li",
    { class: "card alert-item", dataset: { alertId: alert.id } },
    h("div", { class: "card-head" }, h("h2", {}, `${KINDS[alert.kind] || alert.kind}: ${title}`), state),
    h("p", { class: "meta" }, h("span", {}, when(alert.raised_at)), clue?.city ? h("span", {}, clue.city) : null, alert.clue_id ? h("span", {}, `#${alert.clue_id}`) : null),
    h("p", {}, detailText(alert)),
    clue ? h("div", { class: "row wrap actions" }, reissue, deactivate) : null,
    status,
    more,
  );
}
