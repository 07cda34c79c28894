// Engraving a find: a note (up to 280 characters) and a sketch drawn with a finger, written once
// on the find's token (PUT /v1/me/finds/{id}/engraving) and shown with it ever after.
import { api, Problem, Unreachable } from "../shared/api.js";
import { fill, h } from "../shared/dom.js";
import * as session from "./session.js";
import { INKS, sketchPad, sketchTools } from "./sketchpad.js";

export { INKS }; // the pad's inks, where engravings always offered them

export const NOTE_MAX = 280; // characters (code points), as the server counts them

/** Characters as the server counts them (an emoji is one). */
export function noteLength(text) {
  return [...text].length;
}

/** The sentence for an engraving the server refused. */
export function refusalSentence(problem) {
  if (problem instanceof Unreachable) return "No network: your engraving was not sent. Save again when you are back online; the note and sketch stay here.";
  if (!(problem instanceof Problem)) return problem.message || String(problem);
  switch (problem.code) {
    case "already_engraved":
      return "This find is already engraved (perhaps from another phone): an engraving is written once and never replaced, so this one was not saved.";
    case "not_holder":
      return "This collectible's token is no longer in your wallet: only whoever holds a token can engrave it, so nothing was saved.";
    case "not_found":
      return "This find is no longer in your collection, so there is nothing to engrave.";
    case "payload_too_large":
      return "This sketch is too large to send: undo a few strokes and save again.";
    case "unauthorized":
      return "Your session has ended: join again on the Hunt tab, then engrave.";
    case "invalid_request":
      return `The engraving was refused: ${problem.message}`;
    default:
      return `The engraving was not saved: ${problem.message}`;
  }
}

/**
 * The editor for one find. `onSaved(engraving)` gets the server's answer; `onAlready(sentence)` is
 * called when the find turned out to be engraved already; `onCancel()` closes it.
 */
export function engravingEditor(find, { onSaved, onAlready, onCancel }) {
  const name = find.collectible.name;
  const uid = Math.random().toString(36).slice(2);
  const note = h("textarea", {
    id: `note-${uid}`,
    name: "note",
    rows: 3,
    placeholder: "Where you were, who with, what you felt…",
    "aria-describedby": `count-${uid}`,
  });
  const counter = h("p", { id: `count-${uid}`, class: "hint counter" });
  const error = h("p", { class: "status bad", role: "alert" });
  const save = h("button", { type: "submit" }, "Save engraving");
  const pad = sketchPad(update);
  const tools = sketchTools(pad);

  function update() {
    const length = noteLength(note.value);
    const over = length > NOTE_MAX;
    fill(counter, over ? `${length} / ${NOTE_MAX}: ${length - NOTE_MAX} too many` : `${length} / ${NOTE_MAX}`);
    counter.classList.toggle("over", over);
    note.setAttribute("aria-invalid", over ? "true" : "false");
    tools.update();
    save.disabled = over || (pad.empty && !note.value.trim());
  }
  note.addEventListener("input", () => {
    fill(error);
    update();
  });

  const form = h(
    "form",
    { class: "engrave stack", "aria-label": `Engrave ${name}`, novalidate: true },
    h("h3", {}, "Engrave this find"),
    h("p", { class: "hint" }, "A note and a sketch, written on the token once and for good: they stay with it, whoever holds it later."),
    h("label", { for: note.id }, "Note"),
    note,
    counter,
    h("p", { class: "label", id: `sketch-${uid}` }, "Sketch"),
    pad.canvas,
    tools.element,
    error,
    h("div", { class: "row actions" }, h("button", { type: "button", class: "secondary", onclick: () => onCancel() }, "Cancel"), save),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(error);
    const text = note.value.trim();
    const body = {};
    if (text) body.note = text;
    try {
      const sketch = pad.png();
      if (sketch) body.sketch = sketch;
    } catch (tooBig) {
      fill(error, tooBig.message);
      return;
    }
    if (!body.note && !body.sketch) {
      fill(error, "Write a note or draw a sketch first.");
      return;
    }
    save.disabled = true;
    fill(save, "Saving…");
    try {
      const { data } = await api(`/v1/me/finds/${find.id}/engraving`, { method: "PUT", body, token: session.token() });
      onSaved(data);
    } catch (problem) {
      fill(save, "Save engraving");
      const sentence = refusalSentence(problem);
      if (problem instanceof Problem && problem.code === "already_engraved") {
        onAlready(sentence);
        return;
      }
      fill(error, sentence);
      update();
      if (problem instanceof Problem && (problem.code === "not_holder" || problem.code === "not_found")) save.disabled = true;
    }
  });
  update();
  // Laid out once in the page (its width is known only then).
  requestAnimationFrame(() => pad.layout());
  return { element: form, focus: () => note.focus() };
}

/** An engraving as the collection shows it: the note and the sketch the token serves. */
export function engravingView(find, { note, sketch }) {
  return h(
    "section",
    { class: "engraved", tabindex: -1, "aria-label": `Engraving on ${find.collectible.name}` },
    h("h3", {}, "Engraved"),
    note ? h("blockquote", { class: "note" }, note) : null,
    sketch ? h("img", { class: "sketch", src: `/v1/tokens/${find.id}/sketch`, alt: `Your sketch on ${find.collectible.name}`, loading: "lazy", decoding: "async" }) : null,
  );
}
