// The offline page's service worker (issue 20). The page and its files are kept in a cache named after their
// version (the server stamps __VERSION__ with a hash of the files): served from the cache first, so the page
// opens with no signal; a new version installs its own cache and drops the old one. The area pack and the sync
// (/thuc-dia/api/) are never cached here: the page keeps its data in IndexedDB and sends it itself.
const CACHE = "thuc-dia-__VERSION__";
const SHELL = [
    "/thuc-dia/",
    "/thuc-dia/manifest.webmanifest",
    "/thuc-dia/static/thuc-dia.css",
    "/thuc-dia/static/store.js",
    "/thuc-dia/static/sync.js",
    "/thuc-dia/static/thuc-dia.js",
    "/thuc-dia/static/icon-192.png",
    "/thuc-dia/static/icon-512.png",
    "/thuc-dia/static/leaflet/leaflet.js",
    "/thuc-dia/static/leaflet/leaflet.css",
    "/assets/vendor/bootstrap-5.3.3.min.css",
];

self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
        return cache.addAll(SHELL.map(function (url) { return new Request(url, {cache: "reload"}); }));
    }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
            return name.indexOf("thuc-dia-") === 0 && name !== CACHE;
        }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
    const request = event.request;
    if (request.method !== "GET") { return; }
    const url = new URL(request.url);
    if (url.origin !== self.location.origin || url.pathname.indexOf("/thuc-dia/api/") === 0) { return; }
    const key = request.mode === "navigate" && url.pathname.indexOf("/thuc-dia") === 0 ? "/thuc-dia/" : request;
    event.respondWith(caches.open(CACHE).then(function (cache) {
        return cache.match(key, {ignoreSearch: request.mode === "navigate"}).then(function (hit) {
            return hit || fetch(request);
        });
    }));
});
