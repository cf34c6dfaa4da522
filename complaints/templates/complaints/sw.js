/* The filing page's service worker (complaints/web/offline.py renders this file).
   It keeps, in one cache named after VERSION, the filing page as a visitor who is not signed in
   sees it, and the static files that page needs; it touches no other request. Old caches are
   deleted when a new version takes over. It also sends the complaints queued offline
   (outbox.js) when Background Sync says the connection is back. */
"use strict";
importScripts("{{ outbox_url|escapejs }}");

var PREFIX = "filing-";
var CACHE = PREFIX + "{{ version|escapejs }}";
var PAGE = "{{ page_url|escapejs }}";
var OFFLINE_COPY = "{{ offline_url|escapejs }}";
var ASSETS = {{ assets|safe }};
var PAGE_REFRESH_MS = 10 * 60 * 1000;
var lastRefresh = 0;

/* The page kept is /file/?offline=1: no name, no account, no messages in it. */
function keepPage(cache) {
  return fetch(OFFLINE_COPY, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
    if (response.ok) { return cache.put(PAGE, response); }
    return undefined;
  });
}

function refreshPage() {
  if (Date.now() - lastRefresh < PAGE_REFRESH_MS) { return Promise.resolve(); }
  lastRefresh = Date.now();
  return caches.open(CACHE).then(keepPage).catch(function () { /* the old copy stays */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // Past the HTTP cache: this version's files, not ones the browser kept from before.
    var fresh = ASSETS.map(function (url) { return new Request(url, { cache: "reload" }); });
    return Promise.all([cache.addAll(fresh), keepPage(cache)]);
  }).then(function () { lastRefresh = Date.now(); return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key.indexOf(PREFIX) === 0 && key !== CACHE; })
      .map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === PAGE && !url.search) {
    // Network first: the page as the server makes it now; the kept copy only without a connection.
    event.respondWith(fetch(request).then(function (response) {
      event.waitUntil(refreshPage());
      return response;
    }, function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(PAGE); })
        .then(function (kept) { return kept || Response.error(); });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (kept) { return kept || fetch(request); });
    }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === RegistryOutbox.SYNC_TAG) {
    event.waitUntil(RegistryOutbox.sendAll({ fromWorker: true }).then(function (result) {
      if (result.waiting) { throw new Error("still offline"); }  // the browser tries the sync again later
    }));
  }
});
