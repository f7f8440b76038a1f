/* The village layer of the progress map (relief/maps/folium_local.py puts the data in the page).
 *
 * One GeoJSON layer of circle markers, drawn on the map's canvas. Popups are built from DOM
 * text nodes, never from HTML strings, so a village or cadre name typed by a user stays text.
 * The colours match static/css/app.css; the legend and every popup also say the band in words.
 */
(function () {
  "use strict";

  var COLOURS = {red: "#b71c1c", orange: "#b45309", green: "#1b5e20"};

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
    box.appendChild(list);
    var link = text("a", labels.open);
    link.href = data.villageUrl + encodeURIComponent(v.id);
    link.target = "_top";
    box.appendChild(link);
    return box;
  }

  function legend(map, data) {
    var control = L.control({position: "bottomleft"});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "map-legend");
      box.appendChild(text("strong", data.labels.legend));
      var list = document.createElement("ul");
      ["red", "orange", "green"].forEach(function (band) {
        var item = document.createElement("li");
        var swatch = text("span", "", "swatch");
        swatch.style.background = COLOURS[band];
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(data.labels.bands[band] + " (" + data.counts[band] + ")"));
        list.appendChild(item);
      });
      box.appendChild(list);
      return box;
    };
    control.addTo(map);
  }

  window.reliefMap = {
    /** Draw the villages of the JSON in `element` on `map`; returns the GeoJSON layer. */
    addVillages: function (map, element) {
      var data = JSON.parse(element.textContent);
      var features = data.villages.map(function (row) {
        var v = {};
        data.fields.forEach(function (name, i) { v[name] = row[i]; });
        return {type: "Feature", geometry: {type: "Point", coordinates: [v.lng, v.lat]}, properties: v};
      });
      var layer = L.geoJSON({type: "FeatureCollection", features: features}, {
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {radius: 9, color: "#212529", weight: 1.5, opacity: 1,
                                         fillColor: COLOURS[feature.properties.band], fillOpacity: 0.9});
        },
        onEachFeature: function (feature, marker) {
          marker.bindPopup(function () { return popup(feature.properties, data); }, {maxWidth: 260});
        }
      }).addTo(map);
      if (features.length) {
        map.fitBounds(layer.getBounds(), {padding: [24, 24], maxZoom: 13});
      }
      legend(map, data);
      return layer;
    }
  };
}());
