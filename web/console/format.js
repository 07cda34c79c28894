// How the console writes numbers, places and times.

export function metres(value) {
  if (!Number.isFinite(value)) return "?";
  if (value >= 1000) return `${Number((value / 1000).toFixed(value >= 10_000 ? 0 : 1))} km`;
  return `${Math.round(value)} m`;
}

export function coords(lat, lon) {
  return `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
}

const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : WHEN.format(date);
}

/** An RFC 3339 time as the value of an <input type="datetime-local"> (the browser's zone). */
export function toLocalInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** An <input type="datetime-local"> value (the browser's zone) as RFC 3339 UTC, or null. */
export function fromLocalInput(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function fenceText(fence) {
  if (!fence) return "no fence";
  if (fence.radius_m) return `circle of ${metres(fence.radius_m)}`;
  if (fence.type === "Polygon") return `polygon of ${Math.max(fence.coordinates[0].length - 1, 0)} corners`;
  return "fence";
}

export const KIND_NAMES = { billboard: "Billboard", digital: "Screen", social: "Social drop", ar: "AR object" };
