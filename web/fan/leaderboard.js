// The hunt's leaderboard, live: asked again every few seconds while the tab is shown. Each other
// fan's row links to the Swaps tab to offer them a swap.
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { offerLink } from "./fanswap.js";
import * as session from "./session.js";

export function leaderboardPage(view, slug) {
  const list = h("ol", { class: "list", "aria-label": "Leaderboard" });
  const updated = h("p", { class: "muted small", "aria-live": "off" });
  fill(view, h("h1", {}, "Leaderboard"), h("section", { class: "card" }, list), updated);
  let timer = null;
  const load = async () => {
    if (!list.isConnected) return;
    try {
      const { data } = await api(`/v1/hunts/${encodeURIComponent(slug)}/leaderboard?limit=25`);
      const mine = session.current()?.hunter_id;
      fill(
        list,
        data.entries.length
          ? data.entries.map((entry) =>
              h(
                "li",
                { class: entry.hunter_id === mine ? "me" : null },
                h("span", { class: "rank" }, entry.rank),
                h("span", { class: "grow" }, entry.name, entry.hunter_id === mine ? h("span", { class: "muted" }, " (you)") : null),
                h("span", { class: "score" }, entry.score),
                // Another fan's row: offer them a swap (the Swaps tab lists what they hold).
                entry.hunter_id === mine ? h("span", { class: "offer-swap-space", "aria-hidden": "true" }) : offerLink(entry.hunter_id, entry.name),
              ),
            )
          : h("li", { class: "empty" }, "No finds yet: be the first."),
      );
      fill(updated, `Updated ${new Date().toLocaleTimeString()}`);
    } catch {
      fill(updated, "Offline: showing the last leaderboard.");
    }
    timer = setTimeout(load, document.hidden ? 15_000 : 5_000);
  };
  load();
  return () => clearTimeout(timer);
}
