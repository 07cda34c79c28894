// Tabs whose features arrive later keep their place in the navigation with a clear word.
import { fill, h } from "../shared/dom.js";

export function soonPage(view, title, text) {
  fill(view, h("h1", {}, title), h("section", { class: "card empty" }, h("p", {}, text)));
}
