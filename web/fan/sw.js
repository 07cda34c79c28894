// The fan app's service worker: keeps the app's shell so it opens without network (a claim
// made offline then waits in IndexedDB). The API is never cached: answers must be live.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHE = `geohunt-shell-${VERSION}`;
const PAGES = /^\/(c\/[^/]+|collection|nearby|leaderboard|moments|swaps)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("geohunt-shell-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (event.request.mode === "navigate" && PAGES.test(url.pathname)) {
    // The network first (a code's page says 404 for junk), the kept shell when offline.
    event.respondWith(fetch(event.request).catch(() => caches.match("/", { cacheName: CACHE })));
  } else if (url.pathname.startsWith("/app/")) {
    event.respondWith(caches.match(event.request, { cacheName: CACHE }).then((hit) => hit || fetch(event.request)));
  }
});
