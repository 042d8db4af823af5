// The service worker (served as /sw.js, scope "/"): the app shell, the action catalogue and the
// resident's home and log pages come from the cache when the network is away. Writes are never
// cached or replayed here: static/js/offline.js queues actions in IndexedDB and sends them itself.
const SHELL = "ldz-shell-v1";
const PAGES = "ldz-pages-v1";
const SHELL_URLS = [
  "/static/css/app.css",
  "/static/css/merchant.css",
  "/static/css/game.css",
  "/static/js/app.js",
  "/static/js/offline.js",
  "/static/img/leaf.svg",
  "/static/manifest.webmanifest",
  "/api/v1/action-types",
];
const CATALOGUE = "/api/v1/action-types";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(SHELL_URLS))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== SHELL && n !== PAGES).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

const isPage = (url) => url.pathname === "/me/" || /^\/me\/log\/[^/]+$/.test(url.pathname);

// Static files and the catalogue: answer from the cache at once, refresh it behind the answer.
const staleWhileRevalidate = async (request) => {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request)
    .then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    })
    .catch(() => cached || Response.error());
  return cached || fresh;
};

// The resident's pages: the network first (they show the balance), the last copy when it is away.
const networkFirst = async (request) => {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = (await cache.match(request)) || (await cache.match("/me/"));
    if (cached) return cached;
    throw error;
  }
};

const warm = async (urls) => {
  const cache = await caches.open(PAGES);
  for (const url of urls) {
    if (!isPage(new URL(url, self.location.origin)) || (await cache.match(url))) continue;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok && !response.redirected) await cache.put(url, response);
    } catch {
      return; // offline: try again on the next visit
    }
  }
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    // Signing out forgets the cached personal pages.
    if (url.pathname === "/auth/logout") event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === CATALOGUE) {
    event.respondWith(staleWhileRevalidate(request));
  } else if (request.mode === "navigate" && isPage(url)) {
    event.respondWith(networkFirst(request));
  }
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (Array.isArray(data.warm)) event.waitUntil(warm(data.warm));
  if (data.forget) event.waitUntil(caches.delete(PAGES));
});
