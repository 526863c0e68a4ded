// Monitoring pages: the station map (Leaflet, no tiles: the machine has no internet) and the
// charts of a station (ECharts: hourly mean with a low-high band and the thresholds).
(function () {
  "use strict";
  var COLORS = { ok: "#2e7d32", warning: "#f9a825", alarm: "#c62828", silent: "#757575", no_data: "#ffffff" };

  var json = window.nongso.json, node = window.nongso.node;

  function fmt(value, lang) {
    if (value == null) { return ""; }
    return Number(value).toLocaleString(lang === "en" ? "en-GB" : "vi-VN", { maximumFractionDigits: 2 });
  }

  function initMap() {
    var el = document.getElementById("station-map");
    if (!el || !window.L) { return; }
    var stations = json("station-data") || [];
    var ctx = json("map-context") || { communes: [], labels: {} };
    var lang = document.documentElement.lang;
    var map = L.map(el, { zoomControl: true, attributionControl: false });
    var bounds = [];
    ctx.communes.forEach(function (c) {
      L.circleMarker([c[1], c[0]], { radius: 2, color: "#90a4ae", weight: 1, fillOpacity: 0.6 })
        .bindTooltip(node("span", c[2])).addTo(map);
      bounds.push([c[1], c[0]]);
    });
    stations.forEach(function (s) {
      if (s.lat == null || s.lon == null) { return; }
      // The popup is built from DOM nodes (textContent): station names are user data.
      var box = node("div");
      box.appendChild(node("b", s.name));
      box.appendChild(node("br"));
      box.appendChild(document.createTextNode(ctx.labels[s.status] || s.status || ""));
      (s.latest || []).filter(function (v) { return v.value != null; }).forEach(function (v) {
        var label = (ctx.codes && ctx.codes[v.property_code]) || v.name;
        box.appendChild(node("br"));
        box.appendChild(document.createTextNode(label + ": "));
        box.appendChild(node("b", fmt(v.value, lang)));
        box.appendChild(document.createTextNode(" " + (v.unit || "")));
      });
      box.appendChild(node("br"));
      box.appendChild(node("a", ctx.details, { href: "/monitor/stations/" + encodeURIComponent(s.id) }));
      if (s.registry_feature_id != null) {
        box.appendChild(document.createTextNode(" · "));
        box.appendChild(node("a", ctx.registry, { "class": "registry-link",
          href: "/registry/infrastructure/" + Number(s.registry_feature_id) }));
      }
      var marker = L.circleMarker([s.lat, s.lon], {
        radius: 9, color: "#263238", weight: 1.5, fillColor: COLORS[s.status] || "#fff", fillOpacity: 0.95
      }).bindPopup(box).addTo(map);
      marker.getElement && marker.getElement() && marker.getElement().setAttribute("data-status", s.status);
      bounds.push([s.lat, s.lon]);
    });
    if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([10.45, 105.9], 9); }
    L.control.scale({ imperial: false }).addTo(map);
    el.setAttribute("data-stations", String(stations.length));
  }

  function drawChart(el, days, ctx) {
    var id = el.getAttribute("data-datastream");
    var end = new Date();
    var start = new Date(end.getTime() - days * 86400000);
    var q = "?resolution=hour&start=" + encodeURIComponent(start.toISOString()) + "&end=" + encodeURIComponent(end.toISOString());
    Promise.all([
      fetch("/api/v1/monitor/datastreams/" + id + "/series" + q).then(function (r) { return r.json(); }),
      fetch("/api/v1/alerts/thresholds/" + id).then(function (r) { return r.json(); })
    ]).then(function (res) {
      var series = res[0], lines = res[1];
      var chart = echarts.getInstanceByDom(el) || echarts.init(el);
      var pts = series.points || [];
      el.setAttribute("data-points", String(pts.length));
      el.setAttribute("data-thresholds", String(lines.length));
      if (!pts.length) {
        chart.clear();
        chart.setOption({ title: { text: ctx.noData, left: "center", top: "middle", textStyle: { fontSize: 13, color: "#5b6b5d" } } });
        return;
      }
      var times = pts.map(function (p) { return p.time; });
      var lows = pts.map(function (p) { return [p.time, p.minimum]; });
      var span = pts.map(function (p) { return [p.time, p.maximum - p.minimum]; });
      var means = pts.map(function (p) { return [p.time, p.mean]; });
      // Close thresholds (0.5, 1, 1.5, 2 ‰) would write over each other: labels alternate ends.
      var marks = lines.map(function (t, i) {
        return { yAxis: t.value, name: ctx.lang === "en" ? t.label_en : t.label_vi,
                 lineStyle: { color: t.kind === "alarm" ? "#c62828" : "#ef6c00", type: "dashed" },
                 label: { formatter: ctx.lang === "en" ? t.label_en : t.label_vi,
                          position: i % 2 ? "insideStartTop" : "insideEndTop" } };
      });
      function two(n) { return (n < 10 ? "0" : "") + n; }
      function when(value, withTime) {  // dd/mm (and HH:mm) in both languages, as the UI writes dates
        var d = new Date(value);
        return two(d.getDate()) + "/" + two(d.getMonth() + 1) + (withTime ? " " + two(d.getHours()) + ":" + two(d.getMinutes()) : "");
      }
      function num(v) {
        if (v === null || v === undefined || isNaN(v)) { return "–"; }
        var text = (Math.round(v * 100) / 100).toString();
        return ctx.lang === "en" ? text : text.replace(".", ",");
      }
      var top = Math.max.apply(null, pts.map(function (p) { return p.maximum; }).concat(lines.map(function (t) { return t.value; })));
      chart.setOption({
        animation: false,
        grid: { left: 44, right: 12, top: 24, bottom: 40 },
        tooltip: { trigger: "axis", valueFormatter: num,
                   axisPointer: { label: { formatter: function (p) { return when(p.value, true); } } } },
        xAxis: { type: "time", axisLabel: { formatter: function (value) {
          var d = new Date(value);
          return d.getHours() || d.getMinutes() ? two(d.getHours()) + ":" + two(d.getMinutes()) : when(value, false);
        } } },
        yAxis: { type: "value", name: el.getAttribute("data-unit"), axisLabel: { formatter: num },
                 max: function () { return Math.ceil(top * 1.1 * 100) / 100; } },
        dataZoom: [{ type: "inside" }],
        series: [
          { name: "min", type: "line", data: lows, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { opacity: 0 } },
          { name: ctx.band, type: "line", data: span, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: "#a5d6a7", opacity: 0.5 } },
          { name: ctx.mean, type: "line", data: means, symbol: "none", lineStyle: { color: "#1b5e20", width: 2 },
            markLine: { symbol: "none", data: marks } }
        ]
      }, true);
      el.setAttribute("data-ready", "1");
      void times;
    }).catch(function (err) { el.setAttribute("data-error", String(err)); });
  }

  function initCharts() {
    var charts = document.querySelectorAll(".chart[data-datastream]");
    if (!charts.length || !window.echarts) { return; }
    var ctx = json("chart-context") || {};
    var select = document.getElementById("chart-days");
    function all() {
      var days = select ? Number(select.value) : 30;
      charts.forEach(function (el) { drawChart(el, days, ctx); });
    }
    if (select) { select.addEventListener("change", all); }
    window.addEventListener("resize", function () {
      charts.forEach(function (el) { var c = echarts.getInstanceByDom(el); if (c) { c.resize(); } });
    });
    all();
  }

  initMap();
  initCharts();
})();
