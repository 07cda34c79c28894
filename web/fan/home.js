// The home tab: the hunt being played, "Scan", and the fan's account.
import { api } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import { accountCard, joinForm } from "./account.js";
import * as session from "./session.js";

export async function homePage(view, { hunt, onScan }) {
  const account = h("div");
  fill(
    view,
    h(
      "section",
      { class: "hero" },
      h("h1", {}, hunt ? hunt.name : "geohunt"),
      h("p", {}, hunt?.description || "Find the codes on billboards, screens and posts; claim each where it is; collect the episodes."),
    ),
    h("button", { class: "big-scan wide", type: "button", onclick: onScan }, "Scan"),
    h("p", { class: "hint" }, "Or point your phone's camera app at a code: it opens here."),
    account,
  );
  const render = async () => {
    if (!account.isConnected) return off();
    if (!session.token()) {
      fill(account, joinForm());
      return;
    }
    try {
      fill(account, accountCard(await session.me()));
    } catch {
      const known = session.current();
      if (known) fill(account, accountCard({ handle: known.handle, score: "…", finds: 0, wallet: known.wallet }));
    }
  };
  const off = session.onChange(render);
  await render();
}

/** The hunt to show: the one last played, else the first one running now. */
export async function chooseHunt() {
  const slug = session.huntSlug();
  try {
    if (slug) return (await api(`/v1/hunts/${encodeURIComponent(slug)}`)).data;
    const { data } = await api("/v1/hunts");
    if (data.length) {
      session.setHunt(data[0].slug);
      return (await api(`/v1/hunts/${encodeURIComponent(data[0].slug)}`)).data;
    }
  } catch {
    // Offline or no such hunt any more: the app still opens.
  }
  return null;
}
