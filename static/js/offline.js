/* relief offline: registers the service worker, keeps visits recorded without a signal in an
 * IndexedDB queue, and sends them to POST /api/v1/visits when the connection returns and on
 * every page load. The server is idempotent on client_uuid, so a visit whose answer was lost is
 * sent again safely; a Web Lock keeps two tabs from sending at the same time.
 * A 401 or a CSRF failure keeps the queue and asks the cadre to sign in again. */
(function () {
  'use strict';

  var configEl = document.getElementById('relief-offline-config');
  if (!configEl) { return; }
  var config = JSON.parse(configEl.textContent);
  var text = config.text;
  var DB_NAME = 'relief-offline';
  var STORE = 'visits';
  var authProblem = false;

  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(config.sw, { scope: '/' }).catch(function () { /* offline pages unavailable */ });
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        var store = req.result.createObjectStore(STORE, { keyPath: 'id' });
        store.createIndex('user', 'user');
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function withStore(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
        var req = fn(tx.objectStore(STORE));
        if (req) { req.onsuccess = function () { result = req.result; }; }
      });
    });
  }

  function mine() {
    return withStore('readonly', function (s) { return s.index('user').getAll(config.user); });
  }
  function get(id) { return withStore('readonly', function (s) { return s.get(id); }); }
  function put(item) { return withStore('readwrite', function (s) { return s.put(item); }); }
  function remove(id) { return withStore('readwrite', function (s) { return s.delete(id); }); }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : '';
  }

  function toBase64(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(',', 2)[1] || ''); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(blob);
    });
  }

  function send(item) {
    return Promise.all((item.photos || []).map(toBase64)).then(function (photos) {
      var body = Object.assign({}, item.payload, { photos: photos });
      return fetch(config.api, {
        method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrfToken() },
        body: JSON.stringify(body)
      });
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (data) {
        return { status: resp.status, data: data };
      });
    });
  }

  function problem(data) {
    if (!data) { return ''; }
    var fields = data.fields ? Object.keys(data.fields).map(function (k) { return data.fields[k]; }) : [];
    return [data.detail || data.error].concat(fields).filter(Boolean).join('；');
  }

  /* Send this user's pending visits, oldest first. Returns {client_uuid: outcome}. */
  function run() {
    var results = {};
    if (!navigator.onLine) { return Promise.resolve(results); }
    return mine().then(function (items) {
      items = items.filter(function (i) { return i.state === 'pending'; })
        .sort(function (a, b) { return a.created < b.created ? -1 : 1; });
      var chain = Promise.resolve(false);
      items.forEach(function (item) {
        chain = chain.then(function (stop) {
          if (stop) { return true; }
          return get(item.id).then(function (fresh) {
            if (!fresh || fresh.state !== 'pending') { return false; }  // another tab sent it
            return send(fresh).then(function (r) {
              if (r.status === 200 || r.status === 201) {
                authProblem = false;
                results[item.id] = { outcome: 'saved', visit: r.data };
                return remove(item.id).then(function () { return false; });
              }
              if (r.status === 401 || (r.status === 400 && r.data && r.data.code === 'csrf')) {
                authProblem = true;
                results[item.id] = { outcome: 'login' };
                return true;
              }
              if (r.status >= 500 || r.status === 429 || r.status === 408) {
                results[item.id] = { outcome: 'offline' };
                return true;
              }
              fresh.state = 'failed';
              fresh.error = problem(r.data) || String(r.status);
              fresh.status = r.status;
              results[item.id] = { outcome: 'rejected', status: r.status, data: r.data };
              return put(fresh).then(function () { return false; });
            }, function () {
              results[item.id] = { outcome: 'offline' };  // no connection after all
              return true;
            });
          });
        });
      });
      return chain;
    }).then(function () { return results; });
  }

  var flushing = null;
  function flush() {
    if (!flushing) {
      var job = navigator.locks ? navigator.locks.request('relief-sync', run) : run();
      flushing = job.catch(function () { return {}; }).then(function (results) {
        flushing = null;
        return render().then(function () { return results; });
      });
    }
    return flushing;
  }

  function enqueue(item) {
    item.user = config.user;
    item.state = 'pending';
    item.created = item.created || new Date().toISOString();
    return put(item).then(render);
  }

  function discard(id) { return remove(id).then(render); }

  var box = document.getElementById('sync-status');

  function render() {
    if (!box) { return Promise.resolve(); }
    return mine().then(function (items) {
      var pending = items.filter(function (i) { return i.state === 'pending'; });
      var failed = items.filter(function (i) { return i.state === 'failed'; });
      box.hidden = pending.length === 0 && failed.length === 0;
      box.dataset.pending = String(pending.length);  // for tests and support: what is still waiting
      box.querySelector('.sync-count').textContent = pending.length ?
        text.pending.replace('{n}', pending.length) : '';
      box.querySelector('.sync-now').hidden = pending.length === 0 || authProblem || !navigator.onLine;
      var login = box.querySelector('.sync-login');
      login.hidden = !(authProblem && pending.length);
      var list = box.querySelector('.sync-failed');
      list.textContent = '';
      failed.forEach(function (item) {
        var li = document.createElement('li');
        li.className = 'mb-2';
        var what = document.createElement('div');
        what.textContent = text.failed.replace('{label}', item.label || '')
          .replace('{date}', item.payload.visited_on) + ' ' + (item.error || '');
        var notes = document.createElement('div');
        notes.className = 'small text-secondary';
        notes.textContent = item.payload.notes;
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'btn btn-outline-danger btn-sm mt-1';
        button.textContent = text.discard;
        button.addEventListener('click', function () {
          if (window.confirm(text.confirm_discard)) { discard(item.id); }
        });
        li.append(what, notes, button);
        list.append(li);
      });
    }).catch(function () { box.hidden = true; });
  }

  window.ReliefOffline = { enqueue: enqueue, flush: flush, discard: discard, render: render,
    hasAuthProblem: function () { return authProblem; } };

  if (box) {
    box.querySelector('.sync-now').addEventListener('click', function () { flush(); });
  }
  window.addEventListener('online', function () { flush(); });
  window.addEventListener('offline', function () { render(); });
  /* Keep trying while something waits and the page stays open (a flaky signal, a busy server). */
  window.setInterval(function () { if (navigator.onLine && !authProblem) { flush(); } }, 60000);

  /* Pages the cadre needs without a signal: the visit forms linked from this page. */
  function keepForOffline() {
    if (!('caches' in window) || !navigator.onLine || !navigator.serviceWorker) { return; }
    var urls = Array.prototype.map.call(document.querySelectorAll('a[href^="/visits/new?"]'),
      function (a) { return a.getAttribute('href'); });
    if (!urls.length) { return; }
    var now = Date.now();
    caches.open(config.page_cache).then(function (cache) {
      urls.forEach(function (url) {
        var key = 'relief-kept:' + url;
        var last = Number(window.localStorage.getItem(key) || 0);
        cache.match(url).then(function (hit) {
          if (hit && now - last < 10 * 60 * 1000) { return; }  // kept and fresh: spare a weak signal
          return fetch(url, { credentials: 'same-origin' }).then(function (resp) {
            if (resp.ok && !resp.redirected) {
              window.localStorage.setItem(key, String(now));
              return cache.put(url, resp);
            }
          });
        }).catch(function () { /* try again on the next visit */ });
      });
    });
  }

  if (indexedDB) {
    flush();
  }
  keepForOffline();
})();
