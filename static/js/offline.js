/* relief offline: registers the service worker, keeps visits recorded without a signal in an
 * IndexedDB queue, sends them to POST /api/v1/visits, and keeps the pages a cadre needs without
 * a signal (the home, the queue, each paired household's visit form) right after sign-in.
 *
 * - Every request has a time limit (config from relief/config.py). A send that runs out counts
 *   as "no signal": the visit stays queued and is tried again after 5 s, 15 s, 60 s, then every
 *   2 min while the page is open; at once on `online` and on 立即同步.
 * - The server is idempotent on client_uuid, so a visit whose answer was lost is sent again
 *   safely. A Web Lock keeps two tabs from sending at once; a holder that stopped beating past
 *   its own time limit is stuck and loses the lock.
 * - A 401 or a CSRF failure keeps the queue and asks the cadre to sign in again.
 * - The queue is per user; unsent visits can be saved to a file and sent again from it.
 * On the "no signal" page (no config: it is the same for everyone) only the list of kept pages runs. */
(function () {
  'use strict';

  var configEl = document.getElementById('relief-offline-config');
  var config = configEl ? JSON.parse(configEl.textContent) : null;

  /* --- the "no signal" page: links to what this phone has kept ------------------------------- */
  var keptBox = document.getElementById('kept-pages');
  if (keptBox) {
    var reload = document.querySelector('.js-reload');
    if (reload) { reload.addEventListener('click', function () { window.location.reload(); }); }
    listKept(keptBox);
  }
  function listKept(box) {
    var none = box.querySelector('.kept-none');
    var list = box.querySelector('.kept-list');
    if (!('caches' in window)) { none.hidden = false; return; }
    caches.open(box.dataset.cache).then(function (cache) {
      return cache.match(box.dataset.list).then(function (hit) {
        return hit ? hit.json() : { pages: [] };
      }).then(function (data) {
        return Promise.all(data.pages.map(function (p) {
          return cache.match(p.url).then(function (kept) { return kept ? p : null; });
        }));
      });
    }).then(function (pages) {
      pages = pages.filter(Boolean);
      pages.forEach(function (p) {
        var li = document.createElement('li');
        var a = document.createElement('a');
        a.className = 'btn btn-outline-primary w-100';
        a.href = p.url;
        a.textContent = p.title;
        li.append(a);
        list.append(li);
      });
      none.hidden = pages.length > 0;
    }).catch(function () { none.hidden = false; });
  }

  if (!config) { return; }
  var text = config.text;
  var DB_NAME = 'relief-offline';
  var STORE = 'visits';
  var SENT_KEPT_MS = 24 * 3600 * 1000;  // a sent visit is listed (without its contents) for a day
  var BEAT_KEY = 'relief-sync-beat';
  var SENT_SHOWN_MS = 15000;  // how long "sent" stays in the status box
  var authProblem = false;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  /* --- time limits ------------------------------------------------------------------------- */
  function TimeoutError() { this.name = 'TimeoutError'; }
  /* run(signal) must finish within `seconds`; after that its request is aborted and it fails.
   * `outer`, a signal, aborts it sooner (signing out stops the pages being kept). */
  function timed(seconds, run, outer) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer;
    var limit = new Promise(function (resolve, reject) {
      function stop() {
        if (controller) { controller.abort(); }
        reject(new TimeoutError());
      }
      timer = window.setTimeout(stop, seconds * 1000);
      if (outer) {
        if (outer.aborted) { stop(); } else { outer.addEventListener('abort', stop); }
      }
    });
    return Promise.race([run(controller ? controller.signal : undefined), limit]).then(function (value) {
      window.clearTimeout(timer);
      return value;
    }, function (error) {
      window.clearTimeout(timer);
      throw error;
    });
  }

  /* --- the service worker: there, or not (iOS in-app browsers such as WeChat's have none) ---- */
  var sw = 'unknown';
  var swKnown = new Promise(function (resolve) {
    function settle(state) { if (sw !== 'yes') { sw = state; } resolve(sw); render(); }
    if (!('serviceWorker' in navigator) || !window.isSecureContext) { settle('no'); return; }
    if (navigator.serviceWorker.controller) { settle('yes'); }
    window.setTimeout(function () { settle(sw === 'yes' ? 'yes' : 'no'); }, 5000);
    navigator.serviceWorker.register(config.sw, { scope: '/' }).then(function (reg) {
      settle(reg.installing || reg.waiting || reg.active ? 'yes' : 'no');
    }, function () { settle('no'); });
  });

  /* --- storage ------------------------------------------------------------------------------ */
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
  function waiting(items) { return items.filter(function (i) { return i.state === 'pending'; }); }

  /* Ask the browser not to clear this site's storage when the phone runs short of space. */
  var persisted = null;
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then(function (already) {
      return already || navigator.storage.persist();
    }).then(function (granted) { persisted = !!granted; render(); }).catch(function () { /* not offered */ });
  }

  /* --- sending ------------------------------------------------------------------------------ */
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

  function sendTimeout(item) {
    return config.send_timeout + config.photo_timeout * (item.photos || []).length;
  }

  /* One POST of one visit, within its time limit: {status, data}, or a rejection (no signal). */
  function send(item) {
    return Promise.all((item.photos || []).map(toBase64)).then(function (photos) {
      var body = JSON.stringify(Object.assign({}, item.payload, { photos: photos }));
      beat(sendTimeout(item));
      return timed(sendTimeout(item), function (signal) {
        return fetch(config.api, {
          method: 'POST', credentials: 'same-origin', cache: 'no-store', signal: signal,
          headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrfToken() },
          body: body
        }).then(function (resp) {
          return resp.json().catch(function () { return null; }).then(function (data) {
            return { status: resp.status, data: data };
          });
        });
      });
    });
  }

  function problem(status, data) {
    if (status === 409) { return text.conflict; }
    if (!data) { return String(status); }
    var fields = data.fields ? Object.keys(data.fields).map(function (k) { return data.fields[k]; }) : [];
    return [data.detail || data.error].concat(fields).filter(Boolean).join('；') || String(status);
  }

  /* Where the sender is, for the words on the page. */
  var now = { sending: false, total: 0, next: null, reason: null, sent: 0, sentAt: 0, busy: false };

  /* Send this user's pending visits, oldest first; stop at the first that finds no signal.
   * Returns {client_uuid: outcome}; outcome is saved, rejected, login or offline. */
  function run() {
    var results = {};
    if (!navigator.onLine) { now.reason = 'offline'; return Promise.resolve(results); }
    return mine().then(function (items) {
      items = waiting(items).sort(function (a, b) { return a.created < b.created ? -1 : 1; });
      now.total = items.length;
      var chain = Promise.resolve(false);
      items.forEach(function (item) {
        chain = chain.then(function (stop) {
          if (stop) { return true; }
          return get(item.id).then(function (fresh) {
            if (!fresh || fresh.state !== 'pending') { return false; }  // another tab sent it
            beat(sendTimeout(fresh));
            fresh.tries = (fresh.tries || 0) + 1;
            fresh.tried = new Date().toISOString();
            now.sending = true;
            now.current = fresh.id;
            render();
            return put(fresh).then(function () { return send(fresh); }).then(function (r) {
              if (r.status === 200 || r.status === 201) {
                authProblem = false;
                results[item.id] = { outcome: 'saved', visit: r.data };
                now.sent += 1;
                now.sentAt = Date.now();
                return put(sentRecord(fresh, r.data)).then(function () { return false; });
              }
              if (r.status === 401 || (r.status === 400 && r.data && r.data.code === 'csrf')) {
                authProblem = true;
                results[item.id] = { outcome: 'login' };
                return true;
              }
              if (r.status >= 500 || r.status === 429 || r.status === 408) {
                results[item.id] = { outcome: 'offline' };
                now.reason = 'server';
                return true;
              }
              fresh.state = 'failed';
              fresh.error = problem(r.status, r.data);
              fresh.status = r.status;
              results[item.id] = { outcome: 'rejected', status: r.status, data: r.data };
              return put(fresh).then(function () { return false; });
            }, function (error) {
              // no connection after all, or no answer within the time limit: tried again later
              results[item.id] = { outcome: 'offline' };
              now.reason = error && error.name === 'TimeoutError' ? 'timeout' : 'network';
              return true;
            });
          });
        });
      });
      return chain;
    }).then(function () { return results; });
  }

  /* What stays of a sent visit: enough to list it, nothing of what was typed. */
  function sentRecord(item, visit) {
    return { id: item.id, user: item.user, state: 'sent', created: item.created, label: item.label,
      payload: { visited_on: item.payload.visited_on }, sent: new Date().toISOString(),
      url: visit && visit.url ? visit.url : null };
  }

  /* --- the lock between tabs ---------------------------------------------------------------- */
  /* The holder writes how long its current send may take; past that (and a little more) it is stuck. */
  function beat(seconds) {
    try {
      window.localStorage.setItem(BEAT_KEY, JSON.stringify({ until: Date.now() + seconds * 1000 + 2000 }));
    } catch (e) { /* private mode: the lock alone decides */ }
  }
  function stuckHolder() {
    var raw = null;
    try { raw = JSON.parse(window.localStorage.getItem(BEAT_KEY) || 'null'); } catch (e) { raw = null; }
    if (raw && raw.until) { return Date.now() > raw.until; }
    // no beat at all: a holder that never sent (an older page); stuck once we waited as long as a send may take
    if (!now.busySince) { now.busySince = Date.now(); }
    return Date.now() - now.busySince > (config.send_timeout + 2) * 1000;
  }

  function locked(fn) {
    if (!navigator.locks) { return fn(); }
    return navigator.locks.request('relief-sync', { ifAvailable: true }, function (lock) {
      if (lock) { now.busySince = null; return fn().then(done, fail); }
      if (!stuckHolder()) { return { busy: true }; }
      return navigator.locks.request('relief-sync', { steal: true }, function () {
        now.busySince = null;
        return fn().then(done, fail);
      });
    });
    function done(results) { clearBeat(); return results; }
    function fail(error) { clearBeat(); throw error; }
  }
  function clearBeat() {
    try { window.localStorage.removeItem(BEAT_KEY); } catch (e) { /* nothing kept */ }
  }

  /* --- when to send ------------------------------------------------------------------------- */
  var attempt = 0;
  var timer = null;
  var running = null;
  var queued = null;

  function schedule(delaySeconds) {
    window.clearTimeout(timer);
    now.next = Date.now() + delaySeconds * 1000;
    timer = window.setTimeout(function () { timer = null; now.next = null; flush(); }, delaySeconds * 1000);
  }

  function startRun() {
    if (Date.now() - now.sentAt > SENT_SHOWN_MS) { now.sent = 0; }  // "sent N" counts what was just sent
    now.reason = null;
    now.busy = false;
    var job = locked(run).catch(function () { return {}; });
    running = job.then(function (results) {
      running = null;
      now.sending = false;
      now.current = null;
      return afterRun(results || {}).then(function () { return results || {}; });
    });
    return running;
  }

  function afterRun(results) {
    if (results.busy) {
      now.busy = true;
      schedule(config.retry[0]);
      return render();
    }
    var outcomes = Object.keys(results).map(function (k) { return results[k].outcome; });
    if (outcomes.indexOf('saved') >= 0) {
      attempt = 0;  // the signal is back: the next wait is short again
      window.setTimeout(render, SENT_SHOWN_MS + 500);  // then "sent" gives way
    }
    document.dispatchEvent(new CustomEvent('relief:sent', { detail: results }));
    return mine().then(function (items) {
      if (waiting(items).length && !authProblem) {
        schedule(config.retry[Math.min(attempt, config.retry.length - 1)]);
        attempt += 1;
      } else {
        window.clearTimeout(timer);
        now.next = null;
        attempt = 0;
      }
    }).catch(function () { /* storage unusable: nothing to schedule */ }).then(render);
  }

  /* Send what waits. A call while a send runs is served by one more run right after it, so the
   * caller's visit is part of it; never two runs at once. */
  function flush() {
    if (!running) { return startRun(); }
    if (!queued) {
      queued = running.then(function () { queued = null; return startRun(); });
    }
    return queued;
  }

  /* The signal is back, or the cadre asked: start again from the shortest wait, now. */
  function syncNow() {
    attempt = 0;
    window.clearTimeout(timer);
    now.next = null;
    return flush();
  }

  function enqueue(item) {
    item.user = config.user;
    item.state = 'pending';
    item.created = item.created || new Date().toISOString();
    return put(item).then(render);
  }

  function discard(id) { return remove(id).then(render); }

  /* --- what the cadre sees ------------------------------------------------------------------ */
  var box = document.getElementById('sync-status');
  var queuePage = document.getElementById('queue-page');

  function when(ms) {
    var s = Math.max(1, Math.round(ms / 1000));
    return s < 60 ? fill(text.seconds, { n: s }) : fill(text.minutes, { n: Math.round(s / 60) });
  }

  /* One sentence for the state of the queue, and a word for it (data-state, for tests and styles). */
  function sentence(pending) {
    var n = pending.length;
    if (now.sending) { return ['sending', fill(text.sending, { n: Math.max(n, 1) })]; }
    if (!n) {
      return now.sent && Date.now() - now.sentAt < SENT_SHOWN_MS ? ['sent', fill(text.sent, { n: now.sent })] : ['idle', ''];
    }
    if (authProblem) { return ['login', fill(text.login_wait, { n: n })]; }
    if (now.busy) { return ['busy', text.busy]; }
    if (navigator.onLine && now.next && (now.reason === 'timeout' || now.reason === 'server')) {
      return ['waiting', fill(text.waiting, { n: n, when: when(now.next - Date.now()) })];
    }
    return ['offline', fill(text.offline, { n: n })];
  }

  function render() {
    return mine().then(function (items) {
      var pending = waiting(items);
      var failed = items.filter(function (i) { return i.state === 'failed'; });
      var sent = items.filter(function (i) { return i.state === 'sent'; });
      pruneSent(sent);
      var said = sentence(pending);
      if (box) { renderBox(pending, failed, said); }
      if (queuePage) { renderQueue(items, pending, said); }
    }).catch(function () { if (box) { box.hidden = true; } });
  }

  function renderBox(pending, failed, said) {
    box.hidden = !said[1] && failed.length === 0;
    box.dataset.pending = String(pending.length);  // for tests and support: what is still waiting
    box.dataset.state = said[0];
    box.className = 'alert sync-status ' + (said[0] === 'sent' && !failed.length ? 'alert-success' : 'alert-warning');
    box.querySelector('.sync-count').textContent = said[1];
    box.querySelector('.sync-now').hidden = pending.length === 0 || authProblem || now.sending;
    box.querySelector('.sync-login').hidden = !(authProblem && pending.length);
    var list = box.querySelector('.sync-failed');
    list.textContent = '';
    failed.forEach(function (item) { list.append(failedItem(item)); });
  }

  function failedItem(item) {
    var li = document.createElement('li');
    li.className = 'mb-2';
    var what = document.createElement('div');
    what.textContent = fill(text.failed, { label: item.label || '', date: item.payload.visited_on }) + ' ' +
      fill(text.reason, { reason: item.error || '' });
    var notes = document.createElement('div');
    notes.className = 'small text-secondary';
    notes.textContent = item.payload.notes || '';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-outline-danger btn-sm mt-1';
    button.textContent = text.discard;
    button.addEventListener('click', function () {
      if (window.confirm(text.confirm_discard)) { discard(item.id); }
    });
    li.append(what, notes, button);
    return li;
  }

  function renderQueue(items, pending, said) {
    var state = queuePage.querySelector('.queue-state');
    queuePage.dataset.state = said[0];
    state.textContent = said[1] || (items.some(function (i) { return i.state !== 'sent'; }) ? '' : text.empty);
    queuePage.querySelector('.queue-now').hidden = pending.length === 0 || authProblem || now.sending;
    var noSw = queuePage.querySelector('.queue-no-sw');
    noSw.hidden = sw !== 'no';
    noSw.textContent = text.no_sw;
    var persist = queuePage.querySelector('.queue-persist');
    persist.hidden = persisted === null;
    persist.textContent = persisted ? text.persist_yes : text.persist_no;
    var list = queuePage.querySelector('.queue-items');
    list.textContent = '';
    items.slice().sort(function (a, b) { return a.created < b.created ? 1 : -1; }).forEach(function (item) {
      var li = document.createElement('li');
      li.className = 'list-group-item queue-item';
      li.dataset.state = item.id === now.current ? 'sending' : item.state;
      var head = document.createElement('div');
      head.className = 'fw-bold';
      head.textContent = (item.label || '') + ' · ' + item.payload.visited_on;
      var status = document.createElement('div');
      status.className = 'queue-item-state';
      var label = item.id === now.current ? text.state_sending : text['state_' + item.state];
      status.textContent = label + (item.state === 'failed' ? ' · ' + fill(text.reason, { reason: item.error || '' }) : '');
      li.append(head, status);
      if (item.state === 'pending' && item.tries) {
        var tries = document.createElement('div');
        tries.className = 'small text-secondary';
        tries.textContent = fill(text.tries, { n: item.tries, time: new Date(item.tried).toLocaleTimeString() });
        li.append(tries);
      }
      if (item.state === 'sent' && item.url) {
        var view = document.createElement('a');
        view.href = item.url;
        view.className = 'btn btn-outline-primary btn-sm mt-1';
        view.textContent = text.view;
        li.append(view);
      }
      if (item.state === 'failed') {
        li.append(failedItem(item).querySelector('button'));
      }
      list.append(li);
    });
  }

  function pruneSent(sent) {
    sent.forEach(function (item) {
      if (Date.now() - Date.parse(item.sent) > SENT_KEPT_MS) { remove(item.id).catch(function () {}); }
    });
  }

  /* --- a file of unsent visits: saved from one phone, sent again from any ----------------- */
  function saveToFile() {
    return mine().then(function (items) {
      items = items.filter(function (i) { return i.state === 'pending' || i.state === 'failed'; });
      if (!items.length) { return { n: 0 }; }
      return Promise.all(items.map(function (item) {
        return Promise.all((item.photos || []).map(function (blob) {
          return toBase64(blob).then(function (data) { return { type: blob.type || 'image/jpeg', data: data }; });
        })).then(function (photos) {
          return { id: item.id, label: item.label, created: item.created, payload: item.payload, photos: photos };
        });
      })).then(function (visits) {
        var stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
        var name = 'relief-走访-' + config.username + '-' + stamp + '.json';
        var file = { format: 'relief-visit-queue', version: 1, user: config.user, username: config.username,
          saved: new Date().toISOString(), visits: visits };
        var url = URL.createObjectURL(new Blob([JSON.stringify(file)], { type: 'application/json' }));
        var a = document.createElement('a');
        a.href = url;
        a.download = name;
        document.body.append(a);
        a.click();
        a.remove();
        window.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
        return { n: visits.length, name: name };
      });
    });
  }

  function fromBase64(photo) {
    var bytes = atob(photo.data);
    var out = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i += 1) { out[i] = bytes.charCodeAt(i); }
    return new Blob([out], { type: photo.type || 'image/jpeg' });
  }

  /* Put the file's visits back in the queue (those not already waiting) and send them. */
  function loadFile(file) {
    return file.text().then(function (raw) {
      var data;
      try { data = JSON.parse(raw); } catch (e) { data = null; }
      if (!data || data.format !== 'relief-visit-queue' || !Array.isArray(data.visits)) {
        return { message: text.file_bad };
      }
      if (data.user !== config.user) { return { message: fill(text.file_other_user, { user: data.username || '' }) }; }
      var loading = data.visits.map(function (v) {
        return get(v.id).then(function (existing) {
          if (existing && existing.state === 'pending') { return; }
          return put({ id: v.id, user: config.user, state: 'pending', created: v.created, label: v.label,
            payload: v.payload, photos: (v.photos || []).map(fromBase64) });
        });
      });
      return Promise.all(loading).then(function () {
        syncNow();
        return { message: fill(text.file_loaded, { n: data.visits.length }) };
      });
    });
  }

  /* --- pages kept for a day without a signal ------------------------------------------------ */
  var keeping = null;
  var KEPT_FRESH_MS = 10 * 60 * 1000;

  function keepForOffline() {
    if (!('caches' in window) || !window.AbortController) { return; }
    swKnown.then(function (state) {
      if (state !== 'yes' || !navigator.onLine) { return; }
      keeping = new AbortController();
      var stop = keeping.signal;
      var fetchIn = function (url, accept) {
        return timed(config.keep_timeout, function (signal) {
          return fetch(url, { credentials: 'same-origin', signal: signal, headers: { Accept: accept } }).then(function (resp) {
            if (!resp.ok || resp.redirected) { return null; }
            // read whole within the time limit: a body that stalls must not hold the cache
            return resp.blob().then(function (blob) {
              return new Response(blob, { status: resp.status, statusText: resp.statusText, headers: resp.headers });
            });
          });
        }, stop);
      };
      return caches.open(config.page_cache).then(function (cache) {
        return fetchIn(config.pages, 'application/json').then(function (listed) {
          if (!listed || stop.aborted) { return; }
          return listed.clone().json().then(function (data) {
            return cache.put(config.pages, listed).then(function () {
              // one page after the other, so the page the cadre looks at keeps the signal
              return data.pages.reduce(function (chain, page) {
                return chain.then(function () {
                  if (stop.aborted) { return; }
                  var key = 'relief-kept:' + page.url;
                  var last = (window.localStorage.getItem(key) || '').split(' ');
                  var fresh = last[1] === config.release && Date.now() - Number(last[0]) < KEPT_FRESH_MS;
                  return cache.match(page.url).then(function (hit) {
                    if (hit && fresh) { return; }  // kept, of this release and recent: spare a weak signal
                    return fetchIn(page.url, 'text/html').then(function (resp) {
                      if (!resp || stop.aborted) { return; }
                      window.localStorage.setItem(key, Date.now() + ' ' + config.release);
                      return cache.put(page.url, resp);
                    });
                  }).catch(function () { /* this page waits for the next visit */ });
                });
              }, Promise.resolve());
            });
          });
        });
      });
    }).catch(function () { /* tried again on the next page */ });
  }

  /* --- signing out with unsent visits ------------------------------------------------------- */
  var logoutForm = document.querySelector('form[action="' + config.logout + '"]');
  var dialog = document.getElementById('logout-dialog');
  function signOut() {
    if (keeping) { keeping.abort(); }
    var emptied = 'caches' in window ? caches.delete(config.page_cache).catch(function () {}) : Promise.resolve();
    emptied.then(function () { logoutForm.submit(); });
  }
  if (logoutForm) {
    logoutForm.addEventListener('submit', function (event) {
      event.preventDefault();
      mine().then(function (items) {
        var unsent = items.filter(function (i) { return i.state === 'pending' || i.state === 'failed'; });
        if (!unsent.length) { return signOut(); }
        var message = fill(text.logout_count, { n: unsent.length });
        if (!dialog || !dialog.showModal) {
          if (window.confirm(message + '\n' + text.logout_confirm)) { signOut(); }
          return;
        }
        dialog.querySelector('.logout-count').textContent = message;
        dialog.showModal();
      }).catch(signOut);
    });
  }
  if (dialog) {
    dialog.querySelector('.logout-keep').addEventListener('click', function () { dialog.close(); signOut(); });
    dialog.querySelector('.logout-cancel').addEventListener('click', function () { dialog.close(); });
    dialog.querySelector('.logout-save').addEventListener('click', function () {
      saveToFile().then(function () {
        dialog.close();
        window.setTimeout(signOut, 500);  // the download starts before the page goes
      });
    });
  }

  /* --- the queue page ----------------------------------------------------------------------- */
  if (queuePage) {
    queuePage.querySelector('.queue-now').addEventListener('click', function () { syncNow(); });
    var result = queuePage.querySelector('.queue-file-result');
    queuePage.querySelector('.queue-save').addEventListener('click', function () {
      saveToFile().then(function (saved) {
        result.textContent = saved.n ? fill(text.file_saved, saved) : text.file_nothing;
      });
    });
    var input = queuePage.querySelector('#queue-file');
    input.addEventListener('change', function () {
      if (!input.files.length) { return; }
      loadFile(input.files[0]).then(function (outcome) {
        result.textContent = outcome.message;
        input.value = '';
        return render();
      }).catch(function () { result.textContent = text.file_bad; });
    });
  }

  window.ReliefOffline = {
    enqueue: enqueue, flush: flush, syncNow: syncNow, discard: discard, render: render,
    hasAuthProblem: function () { return authProblem; },
    serviceWorker: function () { return sw; }, serviceWorkerKnown: swKnown
  };

  if (box) {
    box.querySelector('.sync-now').addEventListener('click', function () { syncNow(); });
  }
  window.addEventListener('online', function () { syncNow(); });
  window.addEventListener('offline', function () { render(); });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && !running && navigator.onLine && !authProblem) { flush(); }
  });
  /* The waiting time in the sentence moves on while nothing else changes. */
  window.setInterval(function () { if (now.next) { render(); } }, 15000);

  if (window.indexedDB) { flush(); }
  if (document.readyState === 'complete') {
    keepForOffline();
  } else {
    window.addEventListener('load', keepForOffline);
  }
})();
