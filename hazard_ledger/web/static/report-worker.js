// The report form's service worker (registered by report.js, served at /r/report-worker.js
// so that its scope is the forms under /r/). It keeps the last copy of each report form
// and of this site's static files, and answers with them when there is no network: the
// form opens in a basement, and report.js keeps what is reported there until the network
// returns. Network first: a form online is always the server's latest. Nothing else is
// kept (receipts, status pages and everything signed in stay out of the cache).
"use strict";
var CACHE = "hazard-ledger-report-form-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; }).map(function (name) {
      return caches.delete(name);
    }));
  }).then(function () { return self.clients.claim(); }));
});

function kept(url) {
  if (url.origin !== self.location.origin) { return false; }
  if (url.pathname.indexOf("/static/") === 0) { return true; }
  // the form itself, /r/<report token>: not its receipts, not this script
  return /^\/r\/[^/]+$/.test(url.pathname) && !/\.js$/.test(url.pathname);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || !kept(new URL(request.url))) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (found) {
        return found || cache.match(request, { ignoreSearch: true });
      });
    }).then(function (found) { return found || Response.error(); });
  }));
});
