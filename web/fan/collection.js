// The fan's finds. Filled in by the collection work (art, mint status, engraving, twins).
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { art } from "./art.js";
import { mintLine } from "./mint.js";
import * as session from "./session.js";

export async function collectionPage(view) {
  fill(view, h("h1", {}, "Collection"), h("p", { class: "muted" }, "Loading your finds…"));
  const { data: finds } = await api("/v1/me/finds", { token: session.token() });
  fill(
    view,
    h("h1", {}, "Collection"),
    finds.length
      ? h(
          "ul",
          { class: "list" },
          finds.map((find) => h("li", {}, art(find.collectible, "art art-small"), h("div", { class: "grow" }, h("strong", {}, find.collectible.name), mintLine(find.mint)))),
        )
      : h("p", { class: "card empty" }, "No finds yet. Scan a code where it is to claim your first."),
  );
}
