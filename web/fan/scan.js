// "Scan": the rear camera, decoded in the page (the native BarcodeDetector where the browser has
// one, qr-scanner's worker otherwise), loaded only when pressed so the first load stays small.
import { fill, h } from "../shared/dom.js";
import { codeOf } from "./claim.js";

/** Open the camera; `onCode(code)` hears the first geohunt code seen, then the camera closes. */
export async function openScanner(onCode) {
  const video = h("video", { muted: true, playsinline: true, "aria-label": "Camera" });
  const note = h("p", { role: "status" }, "Point the camera at a geohunt code.");
  const close = h("button", { class: "secondary", type: "button" }, "Close");
  const overlay = h("div", { class: "camera", role: "dialog", "aria-modal": "true", "aria-label": "Scan a code" }, video, h("div", { class: "scan-region", "aria-hidden": "true" }), h("div", { class: "bar" }, note, close));
  document.body.append(overlay);
  close.focus();
  let scanner = null;
  const stop = () => {
    scanner?.stop();
    scanner?.destroy();
    overlay.remove();
  };
  close.addEventListener("click", stop);
  try {
    const { default: QrScanner } = await import("qr-scanner");
    scanner = new QrScanner(
      video,
      (result) => {
        const code = codeOf(result.data);
        if (!code) {
          fill(note, "That code is not a geohunt code. Point the camera at a geohunt code.");
          return;
        }
        stop();
        onCode(code);
      },
      { preferredCamera: "environment", returnDetailedScanResult: true, maxScansPerSecond: 8 },
    );
    await scanner.start();
  } catch (error) {
    const blocked = String(error?.name || error).includes("NotAllowed") || String(error).includes("permission");
    fill(
      note,
      blocked
        ? "The camera is blocked for this site: allow it in your browser's site settings, or use your phone's camera app on the code."
        : "No camera could be opened here. Use your phone's camera app on the code instead.",
    );
  }
  return stop;
}
