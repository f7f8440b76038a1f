/* relief service worker (served as /sw.js so that it controls every page).
 * - the app shell (styles, scripts, the offline page) is kept at install and refreshed in the background;
 * - pages are fetched from the network first and kept, so the cadre's home (their household
 *   list), household pages and visit forms open without a signal;
 * - POST requests are never touched: offline visits are queued by the page (offline.js).
 * Signing in or out empties the kept pages, so the next user never sees the last one's. */
'use strict';

var VERSION = 'relief-v1';
var SHELL = VERSION + '-shell';
var PAGES = 'relief-pages';
var SHELL_URLS = [
  '/static/vendor/bootstrap/bootstrap.min.css',
  '/static/vendor/bootstrap/bootstrap.bundle.min.js',
  '/static/css/app.css',
  '/static/js/offline.js',
  '/static/js/visit-form.js',
  '/static/favicon.svg',
  '/offline'
];
/* pages worth keeping for a visit without a signal */
var KEEP = [/^\/$/, /^\/households\/(\d+)?$/, /^\/visits\/new$/, /^\/visits\/\d+$/, /^\/demands\/$/, /^\/villages\/\d+$/];

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_URLS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k !== SHELL && k !== PAGES;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(url) {
  return KEEP.some(function (re) { return re.test(url.pathname); }) && !url.searchParams.has('lang');
}

function fromNetworkFirst(request, url) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected && keepable(url)) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { ignoreVary: true }).then(function (hit) {
      return hit || caches.match('/offline');
    });
  });
}

function fromCacheThenRefresh(event, request) {
  var refresh = fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  });
  event.waitUntil(refresh.catch(function () { return null; }));
  return caches.match(request).then(function (hit) { return hit || refresh; });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === 'POST' && (url.pathname === '/login' || url.pathname === '/logout')) {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== 'GET' || url.pathname.indexOf('/api/') === 0 || url.pathname === '/sw.js') { return; }
  if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(fromCacheThenRefresh(event, request));
  } else if (request.mode === 'navigate') {
    event.respondWith(fromNetworkFirst(request, url));
  }
});
