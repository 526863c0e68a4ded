// Nông Số — the registry's maps (Leaflet). Over a configured basemap (raster tiles, or a PMTiles
// file the province hosts, drawn by protomaps-leaflet) or without one, the province and commune
// outlines served by /api/v1/registry/boundaries, so the map also works offline.
(function () {
  "use strict";

  // Areas that contain other features are drawn first, lightly, so what lies inside stays
  // visible and clickable.
  var CONTAINERS = ["field_block", "dyke_ring", "raw_material_area", "alluvial", "acid_sulphate",
                    "saline", "sandy_ridge", "peat"];

  var BOUNDARY_STYLE = { commune: { color: "#689f38", weight: 1, fill: true, fillColor: "#f1f8e9", fillOpacity: 0.6 },
                         province: { color: "#33691e", weight: 2.5, fill: false } };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // Leaflet writes attributions as HTML: the configured text goes in as text.
  function asText(s) { var span = document.createElement("span"); span.textContent = s || ""; return span.innerHTML; }

  // The configured basemap under everything else (its own pane below the outlines).
  function tiles(map, b, lang) {
    if (!b) { return; }
    map.createPane("basemap").style.zIndex = "150";
    map.attributionControl.setPrefix(false);
    var layers = {};
    if (b.pmtiles && window.protomapsL && window.pmtiles) {
      // The archive's header says up to which zoom it holds tiles; beyond, they are scaled.
      new window.pmtiles.PMTiles(b.pmtiles).getHeader().then(function (h) {
        var vector = window.protomapsL.leafletLayer({ url: b.pmtiles, flavor: "light", lang: lang,
          maxDataZoom: h.maxZoom, pane: "basemap", attribution: asText(b.attribution) });
        vector.addTo(map);
        window.nongsoBasemap = vector;
      });
    } else if (b.xyz) {
      layers.xyz = L.tileLayer(b.xyz, { pane: "basemap", maxZoom: 19, attribution: asText(b.attribution) }).addTo(map);
      window.nongsoBasemap = layers.xyz;
    }
  }

  function basemap(map, province, fit, withTiles) {
    return fetch("/api/v1/registry/boundaries?province_code=" + encodeURIComponent(province))
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (fc) {
        var communes = fc.features.filter(function (f) { return f.properties.level === "commune"; });
        var provinces = fc.features.filter(function (f) { return f.properties.level === "province"; });
        // Over a basemap the communes are outlines only, so the basemap shows through.
        var layer = L.geoJSON({ type: "FeatureCollection", features: communes }, {
          style: withTiles ? Object.assign({}, BOUNDARY_STYLE.commune, { fillOpacity: 0 }) : BOUNDARY_STYLE.commune, interactive: false, pane: "tilePane",
        }).addTo(map);
        L.geoJSON({ type: "FeatureCollection", features: provinces }, {
          style: BOUNDARY_STYLE.province, interactive: false, pane: "tilePane",
        }).addTo(map);
        if (fit && communes.length) { map.fitBounds(layer.getBounds()); }
        return fc;
      })
      .catch(function () { return { features: [] }; });
  }

  function mini(id) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var data = JSON.parse(node.getAttribute("data-geojson") || "{}");
    var map = L.map(node, { attributionControl: false, maxZoom: 19 });
    map.setView([10.45, 106.0], 9);
    var features = (data.features || []).filter(function (f) { return f.geometry; });
    basemap(map, node.getAttribute("data-province") || "82", features.length === 0);
    if (features.length) {
      var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        style: { color: "#e65100", weight: 2, fillOpacity: 0.35 },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 6, color: "#e65100" }); },
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [20, 20] });
    }
    window.nongsoMiniMap = map;
  }

  function main(id, cfg) {
    var L10N = cfg.labels;
    var panel = document.getElementById("map-panel");
    // Filters open beside the map on wide screens; on a phone the map comes first.
    if (panel && window.matchMedia("(min-width: 900px)").matches) { panel.open = true; }
    var map = L.map(id, { preferCanvas: true, attributionControl: !!cfg.basemap, maxZoom: 19, minZoom: 6 });
    map.setView([10.45, 106.0], 9);
    tiles(map, cfg.basemap, cfg.lang);
    var boundaries = { features: [] };
    var polygons = L.geoJSON(null, {
      style: function (f) {
        var c = cfg.colours[f.properties.kind || f.properties.soil_type] || "#555";
        var expired = f.properties.status === "expired";
        var container = CONTAINERS.indexOf(f.properties.kind || f.properties.soil_type) >= 0;
        return { color: c, weight: f.geometry.type.indexOf("Line") >= 0 ? 3 : (container ? 2 : 1.2),
                 fillColor: c, fillOpacity: container ? 0.1 : (expired ? 0.15 : 0.5),
                 dashArray: expired ? "4 3" : null };
      },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 6 }); },
      onEachFeature: function (f, layer) { layer.on("click", function (e) { openPopup(f, e.latlng); }); },
    }).addTo(map);
    // Not chunked: a chunked add goes on after clearLayers(), so the points of a layer just
    // unticked (or of a view left) would still come back. Its bubbles are 40 px: clusters are
    // drawn from 60 px apart.
    var points = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 60 }).addTo(map);
    var counts = L.layerGroup().addTo(map);
    var status = document.getElementById("map-status");
    var state = { controller: null, timer: null, seq: 0, last: null };

    function val(idName) { var n = document.getElementById(idName); return n ? n.value.trim() : ""; }

    function activeLayers() {
      var kind = val("filter-kind"), crop = val("filter-crop");
      return cfg.layers.map(function (l) { return l.id; }).filter(function (layerId) {
        var box = document.getElementById("layer-" + layerId);
        if (!box || !box.checked) { return false; }
        if (kind && cfg.layerKinds[layerId].indexOf(kind) < 0) { return false; }
        if (crop && ["production_units", "planting_areas"].indexOf(layerId) < 0) { return false; }
        return true;
      });
    }

    function params() {
      var b = map.getBounds();
      var p = new URLSearchParams();
      p.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (x) { return Math.max(-180, Math.min(180, x)).toFixed(5); }).join(","));
      p.set("zoom", String(map.getZoom()));
      p.set("layers", activeLayers().join(","));
      p.set("exclusive", "true");  // a planting area in its own layer only
      [["kind", "filter-kind"], ["commune_code", "filter-commune"], ["crop", "filter-crop"],
       ["q", "filter-q"], ["as_of", "filter-as-of"]].forEach(function (pair) {
        var v = val(pair[1]);
        if (v) { p.set(pair[0], v); }
      });
      return p;
    }

    function pointMarker(f, collection) {
      var g = f.geometry;
      var kind = f.properties.kind || f.properties.soil_type;
      var m = L.circleMarker([g.coordinates[1], g.coordinates[0]], {
        radius: 7, color: "#fff", weight: 1.5, fillColor: cfg.colours[kind] || "#555", fillOpacity: 0.95,
      });
      m.feature = { id: f.id, collection: collection, properties: f.properties, geometry: g };
      m.on("click", function (e) { openPopup(m.feature, e.latlng); });
      return m;
    }

    function bubbleSize(item) {
      return item.feature ? 18 : Math.round(24 + Math.min(30, Math.log(item.count + 1) * 5));
    }

    // The count bubbles of every layer (and, while any layer is counted, the single points)
    // placed so that none overlaps another: the largest first, and an item that would overlap
    // one already placed joins it (weighted centre), until no two overlap.
    function declutter(items) {
      items = items.map(function (c) {
        var p = map.latLngToLayerPoint([c.lat, c.lon]);
        return { x: p.x, y: p.y, count: c.count, feature: c.feature || null, collection: c.collection };
      });
      for (;;) {
        items.sort(function (a, b) { return b.count - a.count; });
        var kept = [], merged = false;
        items.forEach(function (it) {
          var host = null;
          for (var k = 0; k < kept.length && !host; k++) {
            var d = Math.sqrt(Math.pow(kept[k].x - it.x, 2) + Math.pow(kept[k].y - it.y, 2));
            if (d < (bubbleSize(kept[k]) + bubbleSize(it)) / 2 + 2) { host = kept[k]; }
          }
          if (!host) { kept.push(it); return; }
          var n = host.count + it.count;
          host.x = (host.x * host.count + it.x * it.count) / n;
          host.y = (host.y * host.count + it.y * it.count) / n;
          host.count = n;
          host.feature = null;
          merged = true;
        });
        items = kept;
        if (!merged) { return items; }
      }
    }

    function bubble(b) {
      var size = bubbleSize(b), at = map.layerPointToLatLng([b.x, b.y]);
      var icon = L.divIcon({ className: "", iconSize: [size, size],
        html: '<div class="cluster-count" style="width:' + size + "px;height:" + size + 'px">' + b.count + "</div>" });
      var marker = L.marker(at, { icon: icon, keyboard: false });
      marker.on("click", function () { map.setView(at, Math.min(map.getZoom() + 2, 18)); });
      return marker;
    }

    function render(data) {
      polygons.clearLayers();
      points.clearLayers();
      counts.clearLayers();
      var shown = 0, pointBatch = [], areas = [], bubbles = [];
      var clustered = data.layers.some(function (layer) { return layer.mode === "clusters"; });
      data.layers.forEach(function (layer) {
        shown += layer.total;
        if (layer.mode === "clusters") {
          layer.clusters.forEach(function (c) { bubbles.push({ lat: c.lat, lon: c.lon, count: c.count }); });
          return;
        }
        layer.features.forEach(function (f) {
          if (!f.geometry) { return; }
          if (f.geometry.type === "Point") {
            if (clustered) {
              bubbles.push({ lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0], count: 1,
                             feature: f, collection: layer.collection });
            } else {
              pointBatch.push(pointMarker(f, layer.collection));
            }
            return;
          }
          areas.push({ type: "Feature", id: f.id, geometry: f.geometry,
                       properties: Object.assign({ _collection: layer.collection }, f.properties) });
        });
      });
      declutter(bubbles).forEach(function (b) {
        counts.addLayer(b.feature ? pointMarker(b.feature, b.collection) : bubble(b));
      });
      areas.sort(function (a, b) {
        var ca = CONTAINERS.indexOf(a.properties.kind || a.properties.soil_type) >= 0 ? 0 : 1;
        var cb = CONTAINERS.indexOf(b.properties.kind || b.properties.soil_type) >= 0 ? 0 : 1;
        return ca - cb;
      });
      polygons.addData({ type: "FeatureCollection", features: areas });
      points.addLayers(pointBatch);
      status.textContent = L10N.text.shown + ": " + shown.toLocaleString(cfg.lang === "vi" ? "vi-VN" : "en-GB") +
        (clustered ? " — " + L10N.text.clustered : "");
      status.setAttribute("data-count", String(shown));
      status.setAttribute("data-mode", clustered ? "clusters" : "features");
      document.querySelectorAll(".legend-group").forEach(function (g) {
        var box = document.getElementById("layer-" + g.getAttribute("data-layer"));
        g.style.display = box && box.checked ? "" : "none";
      });
    }

    function load() {
      if (state.controller) { state.controller.abort(); }
      state.controller = new AbortController();
      var seq = ++state.seq;
      var p = params();
      status.textContent = L10N.text.loading;
      status.setAttribute("data-loading", "1");
      if (!p.get("layers")) {
        render({ layers: [] });
        status.removeAttribute("data-loading");
        return;
      }
      fetch("/api/v1/registry/map?" + p.toString(), { signal: state.controller.signal,
                                                       headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (seq !== state.seq) { return; }
          if (!res.ok) { status.textContent = res.body.detail || "Error"; status.removeAttribute("data-loading"); return; }
          state.last = res.body;
          render(res.body);
          status.removeAttribute("data-loading");
        })
        .catch(function (err) { if (err.name !== "AbortError") { status.textContent = String(err); } });
    }

    function schedule() { clearTimeout(state.timer); state.timer = setTimeout(load, 200); }

    function row(table, name, value) {
      if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) { return; }
      var tr = el("tr");
      tr.appendChild(el("th", {}, name));
      tr.appendChild(el("td", {}, Array.isArray(value) ? value.join(", ") : value));
      table.appendChild(tr);
    }

    function openPopup(feature, latlng) {
      var collection = feature.collection || feature.properties._collection;
      var asOf = val("filter-as-of");
      var url = "/api/v1/registry/features/" + collection + "/" + feature.id + (asOf ? "?as_of=" + asOf : "");
      var popup = L.popup({ maxWidth: 300, autoPanPadding: [16, 16] }).setLatLng(latlng)
        .setContent(L10N.text.loading).openOn(map);
      fetch(url, { headers: { "Accept": "application/json" } }).then(function (r) { return r.json(); }).then(function (f) {
        var p = f.properties || {};
        var box = el("div", { "class": "popup", "id": "popup-" + collection + "-" + f.id });
        box.appendChild(el("h3", {}, p.name || ("#" + f.id)));
        var kind = p.kind || p.soil_type;
        box.appendChild(el("div", { "class": "note" }, (L10N.kinds[kind] || kind || "") +
          (p.subtype ? " · " + (L10N.stations[p.subtype] || p.subtype) : "")));
        var t = el("table");
        row(t, L10N.fields.code, p.code);
        row(t, L10N.text.commune, p.commune_name);
        row(t, L10N.text.crop, L10N.crops[p.crop] || p.crop || L10N.crops[p.species] || p.species);
        row(t, L10N.fields.variety, p.variety);
        row(t, L10N.fields.area_ha, p.area_ha != null ? Number(p.area_ha).toLocaleString(cfg.lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 2 }) : null);
        row(t, L10N.fields.organisation, p.organisation_name);
        row(t, L10N.fields.river, p.river);
        row(t, L10N.fields.ph, p.ph);
        row(t, L10N.fields.licence, p.licence_no ? p.licence_no + " (" + (L10N.statuses[p.licence_status] || p.licence_status) + ")" : null);
        row(t, L10N.fields.status, L10N.statuses[p.status] || p.status);
        row(t, L10N.fields.valid_to, p.valid_to ? p.valid_to.split("-").reverse().join("/") : null);
        row(t, L10N.fields.flags, (p.flags || []).map(function (c) { return L10N.flags[c] || c; }));
        box.appendChild(t);
        var link = el("a", { href: "/registry/" + collection + "/" + f.id, "class": "record-link" }, L10N.text.record);
        box.appendChild(link);
        popup.setContent(box);
      }).catch(function () { popup.setContent("—"); });
    }

    map.on("moveend", schedule);
    document.getElementById("map-filters").addEventListener("submit", function (e) { e.preventDefault(); });
    document.getElementById("apply").addEventListener("click", load);
    document.getElementById("filter-reset").addEventListener("click", function () {
      // The prototype's reset: a control named "reset" would shadow the form's own method.
      HTMLFormElement.prototype.reset.call(document.getElementById("map-filters"));
      load();
    });
    ["filter-kind", "filter-crop", "filter-as-of"].forEach(function (idName) {
      document.getElementById(idName).addEventListener("change", load);
    });
    document.getElementById("filter-q").addEventListener("keydown", function (e) { if (e.key === "Enter") { load(); } });
    document.getElementById("filter-commune").addEventListener("change", function () {
      var code = val("filter-commune");
      var found = boundaries.features.filter(function (f) { return f.properties.level === "commune" && f.properties.code === code; });
      if (found.length) { map.fitBounds(L.geoJSON(found[0]).getBounds()); } else { load(); }
    });
    document.querySelectorAll("#layers input").forEach(function (box) { box.addEventListener("change", load); });

    window.nongsoMap = { map: map, polygons: polygons, points: points, counts: counts, state: state, load: load };
    basemap(map, cfg.province, true, !!cfg.basemap).then(function (fc) {
      boundaries = fc;
      state.boundaries = fc.features.length;
      if (!fc.features.length) { load(); }
    });
  }

  window.NongSoMap = { main: main, mini: mini };

  // Pages carry no inline script (the Content-Security-Policy forbids it): the maps start
  // from what the page holds, the main map's settings in a JSON block.
  function start() {
    var config = document.getElementById("map-config");
    if (config && document.getElementById("map")) { main("map", JSON.parse(config.textContent)); }
    if (document.getElementById("mini-map")) { mini("mini-map"); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
