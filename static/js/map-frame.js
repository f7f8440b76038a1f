/* The progress map (relief/maps/folium_local.py puts the data in the page).
 *
 * reliefMap.addBase draws the base map first: relief's own by default (the district outline,
 * each township as a shaded area with its name, village names once zoomed in; all from the data
 * in the page, nothing fetched), or the configured tiles. Its shapes sit in a pane of their own
 * below the villages, on a canvas of their own.
 * reliefMap.addVillages draws the weak villages: one GeoJSON layer of circle markers on the
 * map's canvas, a popup each and a legend that folds away.
 *
 * Every name is put in the page as a DOM text node, never as HTML, so a village or cadre name
 * typed by a user stays text. The colours match static/css/app.css; the legend and every popup
 * also say the band in words.
 */
(function () {
  "use strict";

  var COLOURS = {red: "#b71c1c", orange: "#b45309", green: "#1b5e20"};
  // the 防返贫 colouring (?colour=monitoring): open cases, only leads, neither (relief/maps/services.py)
  var MONITOR_COLOURS = {cases: "#6a1b9a", leads: "#0d47a1", none: "#9e9e9e"};

  function monitorClass(v) {
    var m = v.monitor || [0, 0, 0];
    return m[0] ? "cases" : (m[2] ? "leads" : "none");
  }

  function colourOf(v, data) {
    return data.colouring === "monitoring" ? MONITOR_COLOURS[monitorClass(v)] : COLOURS[v.band];
  }
  // pale township fills, far from the bands' red, orange and green; neighbours get different ones
  var FILLS = ["#f3e6cf", "#dcebf7", "#e8e1f3", "#dff0e6", "#f6e1e8", "#eef0d2", "#dde9ee"];
  var LABEL_ZOOM = 12, MAX_LABELS = 300;

  function text(tag, value, className) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (className) { el.className = className; }
    return el;
  }

  function fill(template, name, value) {
    return template.replace("%(" + name + ")s", value);
  }

  function wan(yuan, labels) {
    return yuan === null || yuan === undefined ? labels.noIncome : (yuan / 10000).toFixed(1) + " " + labels.wan;
  }

  /** [lat0, lng0, dlat1, dlng1, ...] in 1/scale degrees (relief/geo/counties.py encode_ring). */
  function ring(flat, scale) {
    var out = [], lat = 0, lng = 0;
    for (var i = 0; i + 1 < flat.length; i += 2) {
      lat += flat[i];
      lng += flat[i + 1];
      out.push([lat / scale, lng / scale]);
    }
    return out;
  }

  function polygons(encoded, scale) {
    return encoded.map(function (rings) { return rings.map(function (r) { return ring(r, scale); }); });
  }

  function state(map) {
    if (!map._relief) {
      map.options.zoomSnap = 0.25; // a district fills the frame instead of the next whole zoom level
      map.createPane("reliefBase").style.zIndex = 350; // above tiles (200), below the villages (400)
      // township names under the villages' dots, village names over them; a tap goes through both
      ["reliefNames", 390, "reliefLabels", 450].forEach(function (v, i, a) {
        if (i % 2) { return; }
        var pane = map.createPane(v);
        pane.style.zIndex = a[i + 1];
        pane.style.pointerEvents = "none";
      });
      map._relief = {labels: [], labelLayer: L.layerGroup().addTo(map), names: [], bounds: null, note: ""};
      map.on("zoomend moveend", function () { drawLabels(map); });
      map.on("popupopen", function () { map.getContainer().classList.add("popup-open"); });
      map.on("popupclose", function () { map.getContainer().classList.remove("popup-open"); });
    }
    return map._relief;
  }

  function nameMarker(latlng, name, className, pane) {
    var icon = L.divIcon({className: className, html: text("span", name), iconSize: null});
    return L.marker(latlng, {icon: icon, interactive: false, keyboard: false, pane: pane || "reliefLabels"});
  }

  /** Hide a name where it would overlap one already shown (earlier in the list: larger townships,
   *  weak villages). */
  function declutter(markers) {
    var placed = [];
    markers.forEach(function (marker) {
      var span = marker.getElement() && marker.getElement().firstChild;
      if (!span) { return; }
      span.style.visibility = "";
      var r = span.getBoundingClientRect();
      var clash = placed.some(function (p) {
        return r.left < p.right && p.left < r.right && r.top < p.bottom && p.top < r.bottom;
      });
      if (clash) { span.style.visibility = "hidden"; } else { placed.push(r); }
    });
  }

  /** Village names, once zoomed in far enough to read them: only those in view, at most MAX_LABELS;
   *  township names where they do not overlap. */
  function drawLabels(map) {
    var s = state(map);
    s.labelLayer.clearLayers();
    if (map.getZoom() < LABEL_ZOOM) {
      declutter(s.names);
      return;
    }
    var view = map.getBounds().pad(0.1), shown = [];
    // weak villages first: where two names would overlap, the weak village's is the one kept
    var order = s.labels.filter(function (v) { return v[3]; }).concat(s.labels.filter(function (v) { return !v[3]; }));
    for (var i = 0; i < order.length && shown.length < MAX_LABELS; i++) {
      var v = order[i];
      if (view.contains([v[0], v[1]])) {
        var marker = nameMarker([v[0], v[1]], v[2], v[3] ? "village-label weak" : "village-label");
        s.labelLayer.addLayer(marker);
        shown.push(marker);
      }
    }
    declutter(shown.concat(s.names)); // a township's name gives way to its villages'
  }

  function popup(v, data) {
    var labels = data.labels;
    var box = document.createElement("div");
    box.className = "village-popup";
    box.appendChild(text("strong", v.name, "village-name"));
    var list = document.createElement("dl");
    function row(term, value) {
      list.appendChild(text("dt", term));
      var dd = document.createElement("dd");
      if (typeof value === "string") { dd.textContent = value; } else { dd.appendChild(value); }
      list.appendChild(dd);
    }
    row(labels.township, data.townships[v.township]);
    var incomes = document.createElement("span");
    data.years.forEach(function (year, i) {
      if (i) { incomes.appendChild(document.createElement("br")); }
      incomes.appendChild(document.createTextNode(fill(labels.year, "y", year) + " " + wan(v.incomes[i], labels)));
    });
    row(labels.income, incomes);
    row(labels.target, wan(v.target, labels));
    row(labels.progress, v.percent + "% · " + labels.bands[v.band]);
    row(labels.projected, wan(v.projected, labels));
    row(labels.leader, v.leader || labels.none);
    row(labels.stationed, v.stationed || labels.none);
    row(labels.projects, fill(labels.count, "n", v.projects));
    var m = v.monitor || [0, 0, 0];
    row(labels.monitor, [fill(labels.monitorOpen, "n", m[0]), fill(labels.monitorPending, "n", m[1]),
                         fill(labels.monitorLeads, "n", m[2])].join("，"));
    box.appendChild(list);
    var link = text("a", labels.open, "village-link");
    link.href = data.villageUrl + encodeURIComponent(v.id);
    link.target = "_top";
    box.appendChild(link);
    return box;
  }

  /** The legend: a button that shows or hides it (folded on a phone), hidden while a popup is open. */
  function legend(map, data) {
    var control = L.control({position: "bottomleft"});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "map-legend");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var body = document.createElement("div");
      body.id = "map-legend-body";
      body.className = "legend-body";
      var toggle = text("button", data.labels.legendButton, "legend-toggle");
      toggle.type = "button";
      toggle.setAttribute("aria-controls", body.id);
      function show(open) {
        body.hidden = !open;
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      }
      toggle.addEventListener("click", function () { show(body.hidden); });
      map.on("popupopen", function () { show(false); });
      var monitoring = data.colouring === "monitoring";
      body.appendChild(text("strong", monitoring ? data.labels.monitorLegend : data.labels.legend));
      var list = document.createElement("ul");
      (monitoring ? ["cases", "leads", "none"] : ["red", "orange", "green"]).forEach(function (key) {
        var item = document.createElement("li");
        var swatch = text("span", "", "swatch");
        swatch.style.background = monitoring ? MONITOR_COLOURS[key] : COLOURS[key];
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(monitoring
          ? data.labels.monitorClasses[key] + " (" + data.monitorCounts[key] + ")"
          : data.labels.bands[key] + " (" + data.counts[key] + ")"));
        list.appendChild(item);
      });
      body.appendChild(list);
      var note = state(map).note;
      if (note) { body.appendChild(text("p", note, "legend-note")); }
      box.appendChild(toggle);
      box.appendChild(body);
      show(map.getSize().x >= 480);
      return box;
    };
    control.addTo(map);
  }

  function bounds(b) {
    return L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
  }

  window.reliefMap = {
    /** Draw the base map of the JSON in `element` on `map`: tiles, or relief's own from its data. */
    addBase: function (map, element) {
      var data = JSON.parse(element.textContent), s = state(map);
      map.attributionControl.setPrefix(false); // Leaflet's own credit carries a flag
      L.control.scale({imperial: false}).addTo(map);
      if (data.attribution) { map.attributionControl.addAttribution(data.attribution); }
      (data.tiles || []).forEach(function (t) {
        // only this site's origin goes with a tile request (天地图 checks a browser key's domain), not the page
        L.tileLayer(t.url, {subdomains: t.subdomains, maxZoom: t.maxZoom, referrerPolicy: "strict-origin"}).addTo(map);
      });
      var offline = !(data.tiles && data.tiles.length);
      map.getContainer().classList.add(offline ? "relief-offline" : "relief-tiles");
      var renderer = L.canvas({pane: "reliefBase", padding: 0.5});
      var outline = polygons(data.outline, data.scale);
      var edge = []; // the district: a pale ground under the townships, and its border over them
      if (offline && outline.length) {
        edge.push(L.polygon(outline, {renderer: renderer, interactive: false, stroke: false,
                                      fillColor: "#fbfaf6", fillOpacity: 1}).addTo(map));
      }
      var areas = L.layerGroup().addTo(map);
      data.townships.forEach(function (t) {
        areas.addLayer(L.polygon(polygons(t[4], data.scale), {
          renderer: renderer, interactive: false, color: "#6c757d", weight: 1.2, opacity: 0.9,
          dashArray: offline ? null : "6 4", fill: offline, fillColor: FILLS[t[1] % FILLS.length], fillOpacity: 0.9
        }));
      });
      if (outline.length) {
        edge.push(L.polygon(outline, {renderer: renderer, interactive: false, fill: false, color: "#343a40",
                                      weight: 3, opacity: 1}).addTo(map));
      }
      var names = L.layerGroup().addTo(map);
      if (offline) {
        data.townships.forEach(function (t) {
          var marker = nameMarker([t[2], t[3]], t[0], "township-label", "reliefNames");
          names.addLayer(marker);
          s.names.push(marker);
        });
        data.labels.forEach(function (v) { s.labels.push([v[0], v[1], v[2], false]); });
      }
      s.note = data.note || "";
      if (data.bounds) {
        s.bounds = bounds(data.bounds);
        map.fitBounds(s.bounds, {padding: [8, 8]});
      }
      return {outline: L.featureGroup(edge), townships: areas, names: names, renderer: renderer};
    },

    /** Draw the villages of the JSON in `element` on `map`; returns the GeoJSON layer. */
    addVillages: function (map, element) {
      var data = JSON.parse(element.textContent), s = state(map);
      var size = map.getSize();
      var options = {maxWidth: Math.max(200, Math.min(280, size.x - 56)), maxHeight: Math.max(200, size.y - 56),
                     autoPanPadding: [12, 12]};
      var features = data.villages.map(function (row) {
        var v = {};
        data.fields.forEach(function (name, i) { v[name] = row[i]; });
        return {type: "Feature", geometry: {type: "Point", coordinates: [v.lng, v.lat]}, properties: v};
      });
      var layer = L.geoJSON({type: "FeatureCollection", features: features}, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {radius: 9, color: "#212529", weight: 1.5, opacity: 1,
                                         fillColor: colourOf(feature.properties, data), fillOpacity: 0.9});
        },
        onEachFeature: function (feature, marker) {
          marker.bindPopup(function () { return popup(feature.properties, data); }, options);
        }
      }).addTo(map);
      if (map.getContainer().classList.contains("relief-offline")) {
        features.forEach(function (f) { s.labels.push([f.properties.lat, f.properties.lng, f.properties.name, true]); });
      }
      if (features.length) {
        // the township (or district) and every village in it, also one placed outside its area
        var view = s.bounds ? L.latLngBounds(s.bounds.getSouthWest(), s.bounds.getNorthEast()) : null;
        view = view ? view.extend(layer.getBounds()) : layer.getBounds();
        map.fitBounds(view, {padding: [16, 16], maxZoom: 14});
      }
      legend(map, data);
      drawLabels(map);
      return layer;
    }
  };
}());
