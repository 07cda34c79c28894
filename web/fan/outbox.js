// Claims made without network wait on the phone (IndexedDB) with their original position, time
// and Idempotency-Key, and are sent when the network is back: the server's usual rules decide,
// and the same key means a claim is never counted twice, however often it is sent.
import { api, Problem, Unreachable } from "../shared/api.js";

const DB = "geohunt";
const STORE = "pending-scans";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result?.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Keep a claim: {key, body, token, label}. */
export const keep = (entry) => run("readwrite", (store) => store.put({ ...entry, kept_at: Date.now() }));
export const pending = () => run("readonly", (store) => store.getAll());
const drop = (key) => run("readwrite", (store) => store.delete(key));

let flushing = null;

/**
 * Send every kept claim, oldest first; `report(entry, outcome)` hears each answer, where
 * outcome is {data} or {problem}. Stops at the first claim the network still cannot carry.
 */
export function flush(report) {
  flushing ??= (async () => {
    try {
      const entries = (await pending()).sort((a, b) => a.kept_at - b.kept_at);
      for (const entry of entries) {
        try {
          const { data } = await api("/v1/scans", {
            method: "POST",
            body: entry.body,
            token: entry.token,
            headers: { "Idempotency-Key": entry.key },
          });
          await drop(entry.key);
          report(entry, { data });
        } catch (error) {
          if (error instanceof Unreachable) return;
          if (error instanceof Problem && (error.code === "overloaded" || error.status >= 500)) return;
          await drop(entry.key);
          report(entry, { problem: error });
        }
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}
