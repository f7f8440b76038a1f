/* relief service worker (served as /sw.js so that it controls every page). The server puts a
 * line before this script: RELIEF = {version, shell: {file: hashed URL}, offline, static, pages,
 * keep_timeout, page_wait} (relief/visits/offline.py).
 * - the shell (styles, scripts, the "no signal" page) is kept at install under this release's
 *   hashed URLs; a new release is a new script, whose activation drops the old shell;
 * - a hashed file never changes, so it comes from the cache first; a page kept before an upgrade
 *   that asks for an older hash gets this release's file;
 * - pages come from the network; a page kept on the phone (the home, the queue, the visit forms,
 *   kept at sign-in by offline.js or on the way) is shown when there is no signal, or when the
 *   network has not answered within RELIEF.page_wait seconds;
 * - POST requests are never touched: offline visits are queued by the page (offline.js).
 * Signing in or out empties the kept pages, so the next user never sees the last one's. */
'use strict';

var SHELL = 'relief-shell-' + RELIEF.version;
var PAGES = RELIEF.pages;
var HASHED = /^(.+)\.([0-9a-f]{12})(\.[A-Za-z0-9]+)$/;
/* pages worth keeping for a visit without a signal */
var KEEP = [/^\/$/, /^\/households\/(\d+)?$/, /^\/visits\/new$/, /^\/visits\/\d+$/, /^\/visits\/queue$/,
  /^\/demands\/$/, /^\/villages\/\d+$/];

function shellUrls() {
  return Object.keys(RELIEF.shell).map(function (k) { return RELIEF.shell[k]; }).concat([RELIEF.offline]);
}

/* fetch, and hand the response to `use` (which reads it), all within `seconds` */
function timedFetch(request, seconds, use) {
  var controller = new AbortController();
  var timer = setTimeout(function () { controller.abort(); }, seconds * 1000);
  return fetch(request, { signal: controller.signal }).then(use).then(function (value) {
    clearTimeout(timer);
    return value;
  }, function (error) {
    clearTimeout(timer);
    throw error;
  });
}

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return Promise.all(shellUrls().map(function (url) {
      return timedFetch(new Request(url, { credentials: 'same-origin', cache: 'no-cache' }), RELIEF.keep_timeout,
        function (response) {
          if (!response.ok) { throw new Error(url + ': ' + response.status); }
          return cache.put(url, response);
        });
    }));
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

function page(event, request, url) {
  var network = fetch(request).then(function (response) {
    if (response.ok && !response.redirected && keepable(url)) {
      var copy = response.clone();
      return caches.open(PAGES).then(function (cache) { return cache.put(request, copy); })
        .then(function () { return response; }, function () { return response; });
    }
    return response;
  });
  event.waitUntil(network.catch(function () { return null; }));  // finish keeping it, even if shown from the phone
  return caches.match(request, { ignoreVary: true }).then(function (kept) {
    if (!kept) {
      return network.catch(function () { return caches.match(RELIEF.offline); });
    }
    /* one bar of signal may hold a request for minutes: the kept page is shown meanwhile */
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { resolve(kept); }, RELIEF.page_wait * 1000);
      network.then(function (response) { clearTimeout(timer); resolve(response); },
        function () { clearTimeout(timer); resolve(kept); });
    });
  });
}

/* this release's URL of a static file asked for under another hash, or under its plain name */
function currentUrl(url) {
  var name = url.pathname.slice(RELIEF.static.length);
  var m = HASHED.exec(name);
  return RELIEF.shell[m ? m[1] + m[3] : name];
}

function hashedFile(event, request, url) {
  return caches.match(request).then(function (hit) {
    if (hit) { return hit; }
    return fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.put(request, copy); }));
      }
      return response;
    }).catch(function (error) {
      var current = currentUrl(url);
      return (current ? caches.match(current) : Promise.resolve(null)).then(function (kept) {
        if (kept) { return kept; }
        throw error;
      });
    });
  });
}

function plainFile(request, url) {
  return fetch(request).catch(function (error) {
    var current = currentUrl(url);
    return caches.match(request).then(function (hit) {
      return hit || (current ? caches.match(current) : null);
    }).then(function (kept) {
      if (kept) { return kept; }
      throw error;
    });
  });
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
  if (url.pathname.indexOf(RELIEF.static) === 0) {
    var name = url.pathname.slice(RELIEF.static.length);
    event.respondWith(HASHED.test(name) ? hashedFile(event, request, url) : plainFile(request, url));
  } else if (request.mode === 'navigate') {
    event.respondWith(page(event, request, url));
  }
});
