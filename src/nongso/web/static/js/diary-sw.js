// Service worker of the farm diary (scope /diary): keeps the app shell and the last data
// for offline use. Writes never go through the cache: the page queues them in IndexedDB.
const CACHE = "nongso-diary-v3";
const SHELL = [
  "/diary", "/static/css/app.css", "/static/js/app.js", "/static/js/tables.js", "/static/js/diary.js",
  "/static/img/diary-icon.svg", "/diary/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) { await cache.put(key || request, response.clone()); }
    return response;
  } catch (err) {
    const hit = await cache.match(key || request, { ignoreSearch: true });
    if (hit) { return hit; }
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) { return hit; }
  const response = await fetch(request);
  if (response.ok) { await cache.put(request, response.clone()); }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && (url.pathname === "/diary" || url.pathname === "/diary/")) {
    event.respondWith(networkFirst(request, "/diary"));
  } else if (url.pathname === "/api/v1/diary/me") {
    event.respondWith(networkFirst(request, "/api/v1/diary/me"));
  } else if (url.pathname.startsWith("/static/") || url.pathname === "/diary/manifest.webmanifest") {
    event.respondWith(cacheFirst(request));
  }
});
