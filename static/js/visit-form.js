/* The visit form: location, more demand rows, photos from the camera (downscaled in the phone),
 * and saving through the offline queue: sent at once when there is a signal, kept otherwise.
 * Without this script (or without IndexedDB) the form posts as a plain multipart form. */
(function () {
  'use strict';

  var form = document.getElementById('visit-form');
  if (!form) { return; }
  var text = JSON.parse(document.getElementById('visit-form-text').textContent);
  var MAX_SIDE = 1600;
  var photoInput = document.getElementById('photos');
  var maxPhotos = photoInput ? parseInt(photoInput.dataset.max, 10) : 0;
  var photos = [];
  var intercept = !!(window.indexedDB && window.ReliefOffline && window.fetch && window.Promise);

  Array.prototype.forEach.call(document.querySelectorAll('.js-only'), function (el) { el.hidden = false; });

  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function localToday() {
    var d = new Date();
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
  }

  /* A page kept by the service worker may be days old: a fresh id, and today as the default date. */
  var uuidField = document.getElementById('client_uuid');
  if (intercept && !document.querySelector('.is-invalid')) { uuidField.value = uuid4(); }
  var dateField = document.getElementById('visited_on');
  if (dateField.value === dateField.dataset.default && !document.querySelector('.is-invalid')) {
    var today = localToday();
    if (!dateField.min || today >= dateField.min) {
      dateField.value = today;
      dateField.max = today;
    }
  }

  /* --- location ----------------------------------------------------------------------------- */
  var status = document.getElementById('location-status');
  function locate() {
    if (!navigator.geolocation) { status.textContent = text.no_geolocation; return; }
    status.textContent = text.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById('lat').value = pos.coords.latitude.toFixed(6);
      document.getElementById('lng').value = pos.coords.longitude.toFixed(6);
      document.getElementById('accuracy_m').value = Math.round(pos.coords.accuracy);
      status.textContent = text.located.replace('{m}', Math.round(pos.coords.accuracy));
    }, function () {
      status.textContent = text.no_location;
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  document.getElementById('locate').addEventListener('click', locate);
  locate();

  /* --- demands ------------------------------------------------------------------------------ */
  var rows = document.getElementById('demand-rows');
  var rowCount = rows.children.length;
  document.getElementById('add-demand').addEventListener('click', function () {
    var row = document.getElementById('demand-template').content.firstElementChild.cloneNode(true);
    rowCount += 1;
    Array.prototype.forEach.call(row.querySelectorAll('[data-id]'), function (el) {
      el.id = el.dataset.id + '_' + rowCount;
    });
    Array.prototype.forEach.call(row.querySelectorAll('[data-for]'), function (el) {
      el.htmlFor = el.dataset.for + '_' + rowCount;
    });
    row.querySelector('.remove-demand').addEventListener('click', function () { row.remove(); });
    rows.append(row);
    row.querySelector('input').focus();
  });

  /* --- 发现返贫风险: the type and the note show only when it is ticked -------------------------- */
  var riskBox = document.getElementById('risk_found');
  var riskDetails = document.getElementById('risk-details');
  var riskType = document.getElementById('risk_type');
  function showRisk() {
    riskDetails.hidden = !riskBox.checked;
    riskType.required = riskBox.checked;
  }
  if (riskBox) {
    riskBox.addEventListener('change', function () {
      showRisk();
      if (riskBox.checked) { riskType.focus(); }
    });
    showRisk();
  }

  /* --- photos ------------------------------------------------------------------------------- */
  var previews = document.getElementById('photo-previews');
  function showPhotos() {
    previews.textContent = '';
    photos.forEach(function (file, i) {
      var li = document.createElement('li');
      var img = document.createElement('img');
      img.src = URL.createObjectURL(file);
      img.alt = text.photo_alt.replace('{n}', i + 1);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      var remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'btn btn-outline-danger btn-sm';
      remove.textContent = text.remove_photo;
      remove.addEventListener('click', function () { photos.splice(i, 1); showPhotos(); });
      li.append(img, remove);
      previews.append(li);
    });
    var help = document.getElementById('photos-help');
    help.dataset.original = help.dataset.original || help.textContent;
    help.textContent = photos.length ? text.photo_count.replace('{n}', photos.length) : help.dataset.original;
  }
  if (intercept && photoInput) {
    /* Each shot is added to the list, so the camera can be opened again for the next one. */
    photoInput.addEventListener('change', function () {
      Array.prototype.forEach.call(photoInput.files, function (f) {
        if (photos.length < maxPhotos) { photos.push(f); }
      });
      if (photoInput.files.length && photos.length >= maxPhotos) {
        setError('photos', text.photo_too_many.replace('{n}', maxPhotos));
      }
      photoInput.value = '';
      showPhotos();
    });
  }

  function shrink(file) {
    if (!window.createImageBitmap) { return Promise.resolve(file); }
    return createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext('2d').drawImage(bmp, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, 'image/jpeg', 0.85);
      });
    }).catch(function () { return file; });  // the server downscales whatever arrives
  }

  /* The capture time a camera writes into a JPEG's EXIF (DateTimeOriginal, else DateTime, with
   * OffsetTimeOriginal when present), read from the original before shrink() drops the EXIF: the
   * server keeps only this time, as evidence for the inspector. Returns ISO 8601 or null. */
  function captureTime(file) {
    if (!file || !file.slice || !/jpe?g/i.test(file.type || file.name || '')) { return Promise.resolve(null); }
    return file.slice(0, 256 * 1024).arrayBuffer().then(function (buf) {
      return exifTime(new DataView(buf));
    }).catch(function () { return null; });
  }

  function exifTime(view) {
    if (view.getUint16(0) !== 0xFFD8) { return null; }
    var pos = 2;
    while (pos + 10 < view.byteLength) {
      var marker = view.getUint16(pos);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) { return null; }
      if (marker === 0xFFE1 && view.getUint32(pos + 4) === 0x45786966) { return tiffTime(view, pos + 10); }
      pos += 2 + view.getUint16(pos + 2);
    }
    return null;
  }

  function tiffTime(view, start) {
    var little = view.getUint16(start) === 0x4949;
    function u16(at) { return view.getUint16(start + at, little); }
    function u32(at) { return view.getUint32(start + at, little); }
    function entries(ifd) {
      var out = {};
      for (var i = 0, n = u16(ifd); i < n; i += 1) { out[u16(ifd + 2 + i * 12)] = ifd + 2 + i * 12; }
      return out;
    }
    function ascii(entry) {
      if (entry === undefined) { return ''; }
      var count = u32(entry + 4);
      var at = count > 4 ? u32(entry + 8) : entry + 8;
      var out = '';
      for (var i = 0; i < count; i += 1) {
        var c = view.getUint8(start + at + i);
        if (!c) { break; }
        out += String.fromCharCode(c);
      }
      return out;
    }
    var main = entries(u32(4));
    var exif = main[0x8769] !== undefined ? entries(u32(main[0x8769] + 8)) : {};
    var when = ascii(exif[0x9003]) || ascii(main[0x0132]);
    var offset = ascii(exif[0x9011]);
    var m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(when);
    if (!m) { return null; }
    return m[1] + '-' + m[2] + '-' + m[3] + 'T' + m[4] + ':' + m[5] + ':' + m[6] +
      (/^[+-]\d{2}:\d{2}$/.test(offset) ? offset : '');
  }

  /* --- messages ----------------------------------------------------------------------------- */
  var errorsBox = document.getElementById('form-errors');
  var statusBox = document.getElementById('form-status');

  function clearErrors() {
    errorsBox.hidden = true;
    Array.prototype.forEach.call(form.querySelectorAll('[data-error-for]'), function (el) {
      el.textContent = '';
      el.classList.remove('d-block');
    });
    Array.prototype.forEach.call(form.querySelectorAll('[data-errors-prefix]'), function (el) { el.textContent = ''; });
    Array.prototype.forEach.call(form.querySelectorAll('.is-invalid'), function (el) {
      el.classList.remove('is-invalid');
      el.removeAttribute('aria-invalid');
    });
  }

  function setError(key, message) {
    var slot = form.querySelector('[data-error-for="' + key + '"]');
    if (slot) {
      slot.textContent = message;
      slot.classList.add('d-block');
      var input = form.querySelector('[name="' + key + '"]') || document.getElementById(key.replace('.', '_'));
      if (input) { input.classList.add('is-invalid'); input.setAttribute('aria-invalid', 'true'); }
      return;
    }
    var prefix = key.split('.')[0] + '.';
    var list = form.querySelector('[data-errors-prefix="' + prefix + '"]');
    var li = document.createElement('li');
    li.textContent = message;
    (list || errorsBox).append(li);
  }

  function showErrors(message, fields) {
    errorsBox.textContent = message;
    errorsBox.hidden = false;
    Object.keys(fields || {}).forEach(function (key) { setError(key, fields[key]); });
    errorsBox.focus();
  }

  /* The form's own status: a sentence, then links or buttons that work where the cadre is. */
  function showStatus(kind, message, links) {
    statusBox.className = 'alert alert-' + kind;
    statusBox.textContent = '';
    String(message).split('\n').forEach(function (line) {
      var p = document.createElement('p');
      p.className = 'mb-2';
      p.textContent = line;
      statusBox.append(p);
    });
    (links || []).forEach(function (link) {
      var a = document.createElement('a');
      a.href = link.href;
      a.className = 'btn btn-primary w-100 mt-2';
      a.textContent = link.text;
      statusBox.append(a);
    });
    statusBox.hidden = false;
  }

  /* Kept on the phone: say so, and whether this browser can open pages without a signal. */
  function showQueued(item) {
    var offline = window.ReliefOffline;
    var swState = offline.serviceWorker();
    if (offline.hasAuthProblem()) {
      showStatus('warning', text.login, [{ href: text.login_url, text: text.login_link }]);
    } else if (swState === 'yes') {
      showStatus('warning', text.queued, [{ href: text.queue_url, text: text.queue_link }, { href: '/', text: text.back }]);
    } else {
      showStatus('warning', text.queued + '\n' + text.no_sw);  // links would need a signal to open
    }
    /* sent later (the signal came back while the page is open): say so, with the visit */
    document.addEventListener('relief:sent', function sent(event) {
      var r = event.detail[item.id];
      if (r && r.outcome === 'saved') {
        document.removeEventListener('relief:sent', sent);
        showStatus('success', text.uploaded, [{ href: r.visit.url, text: text.view_visit }]);
      } else if (r && r.outcome === 'rejected') {
        document.removeEventListener('relief:sent', sent);
        showStatus('danger', text.refused, [{ href: text.queue_url, text: text.queue_link }]);
      }
    });
  }

  /* --- saving ------------------------------------------------------------------------------- */
  function number(id, integer) {
    var v = document.getElementById(id).value.trim();
    if (!v) { return integer ? 0 : null; }
    return integer ? parseInt(v, 10) : parseFloat(v);
  }

  function payload() {
    var data = new FormData(form);
    var texts = data.getAll('demand_text');
    var deadlines = data.getAll('demand_deadline');
    var demands = [];
    texts.forEach(function (t, i) {
      if (t.trim() || (deadlines[i] || '').trim()) { demands.push({ text: t.trim(), deadline: deadlines[i] || null }); }
    });
    var visit = {
      client_uuid: uuidField.value,
      household_id: form.dataset.householdId ? parseInt(form.dataset.householdId, 10) : null,
      village_id: form.dataset.villageId ? parseInt(form.dataset.villageId, 10) : null,
      visited_on: data.get('visited_on'),
      kind: data.get('kind'),
      notes: (data.get('notes') || '').trim(),
      aid_yuan: number('aid_yuan', true),
      lat: number('lat'), lng: number('lng'), accuracy_m: number('accuracy_m'),
      demands: demands,
      resolved: data.getAll('resolved').map(function (id) {
        return { id: parseInt(id, 10), resolution: (data.get('resolution_' + id) || '').trim() };
      })
    };
    /* kept with the visit in the queue and sent with it; no key at all when not ticked (the
     * content hash of a visit without a risk stays what it was) */
    if (riskBox && riskBox.checked) {
      visit.risk = { type: data.get('risk_type'), note: (data.get('risk_note') || '').trim() };
    }
    return visit;
  }

  var saveButton = document.getElementById('save-visit');
  if (!intercept) { return; }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearErrors();
    if (riskBox && riskBox.checked && !riskType.value) {
      showErrors(text.failed, { 'risk.type': text.risk_type_missing });
      riskType.focus();
      return;
    }
    if (!form.checkValidity()) { form.reportValidity(); return; }
    saveButton.disabled = true;
    saveButton.textContent = text.saving;
    var body = payload();
    Promise.all([Promise.all(photos.map(shrink)), Promise.all(photos.map(captureTime))]).then(function (done) {
      var blobs = done[0];
      if (done[1].some(function (t) { return t; })) { body.photo_times = done[1]; }
      var item = { id: body.client_uuid, label: form.dataset.label, payload: body, photos: blobs };
      return window.ReliefOffline.enqueue(item).then(function () {
        /* on the phone now: whatever the signal does, nothing typed is lost */
        form.hidden = true;
        showStatus('info', text.sending);
        return window.ReliefOffline.flush();
      }).then(function (results) {
        var r = results[item.id];
        if (r && r.outcome === 'saved') {
          window.location.assign(r.visit.url + '?saved=1');
          return;
        }
        if (r && r.outcome === 'rejected') {
          /* Nothing was stored: the cadre corrects the form and saves again. */
          return window.ReliefOffline.discard(item.id).then(function () {
            form.hidden = false;
            statusBox.hidden = true;
            saveButton.disabled = false;
            saveButton.textContent = text.save;
            showErrors(r.status === 409 ? text.conflict : (r.data && r.data.detail) || text.failed,
                       r.data && r.data.fields);
          });
        }
        showQueued(item);
      });
    }).catch(function () {
      form.hidden = false;
      form.submit();  // the queue is unusable here (storage full or blocked): post the plain form
    });
  });
})();
