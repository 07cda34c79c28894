// Nearby hints. Filled in by the nearby work (list, arrow, camera view, AR claim).
import { soonPage } from "./soon.js";

export function nearbyPage(view) {
  soonPage(view, "Nearby", "Hints of codes around you appear here.");
}
