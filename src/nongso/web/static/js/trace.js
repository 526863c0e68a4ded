// Traceability pages: the small journey map (Leaflet, no tiles: the machine is offline and a
// consumer needs the places, not a basemap) and the recall graph (ECharts). Names come from
// user data: Leaflet gets DOM nodes built with textContent and ECharts' HTML tooltip gets
// escaped text, never a string of HTML.
(function () {
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span;
  }
  function esc(text) {
    return textNode(text).innerHTML;
  }
  var mapEl = document.getElementById("trace-map");
  function drawMap() {
    var points = JSON.parse(mapEl.getAttribute("data-points") || "[]");
    if (points.length) {
      var map = L.map(mapEl, { attributionControl: false, zoomControl: true, scrollWheelZoom: false });
      var latlngs = points.map(function (p) { return [p.lat, p.lon]; });
      points.forEach(function (p, i) {
        L.circleMarker([p.lat, p.lon], { radius: 7, color: i === 0 ? "#2e7d32" : "#1565c0", fillOpacity: 0.8 })
          .addTo(map).bindTooltip(textNode((i + 1) + ". " + p.label), { permanent: points.length <= 4, direction: "top" });
      });
      if (latlngs.length > 1) { L.polyline(latlngs, { color: "#555", dashArray: "4 4" }).addTo(map); }
      map.fitBounds(L.latLngBounds(latlngs).pad(0.5), { maxZoom: 12 });
    } else {
      mapEl.style.display = "none";
    }
  }
  // The consumer page loads Leaflet only after the page has painted (data-leaflet-js and
  // data-leaflet-css name the files): a cheap phone shows the lot's story first.
  function loadLeafletThenDraw() {
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = mapEl.getAttribute("data-leaflet-css");
    document.head.appendChild(css);
    var js = document.createElement("script");
    js.src = mapEl.getAttribute("data-leaflet-js");
    js.onload = drawMap;
    document.body.appendChild(js);
  }
  if (mapEl && window.L) {
    drawMap();
  } else if (mapEl && mapEl.getAttribute("data-leaflet-js")) {
    if (document.readyState === "complete") { loadLeafletThenDraw(); }
    else { window.addEventListener("load", loadLeafletThenDraw); }
  }
  var graphEl = document.getElementById("recall-graph");
  if (graphEl && window.echarts) {
    var graph = JSON.parse(graphEl.getAttribute("data-graph") || "null");
    if (graph) {
      var colours = { lot: "#2e7d32", item: "#6a1b9a", logistic_unit: "#ef6c00", transformation: "#1565c0", other: "#757575" };
      var chart = echarts.init(graphEl, null, { renderer: "svg" });
      chart.setOption({
        tooltip: { formatter: function (p) { return p.dataType === "node" ? esc(p.data.name) : ""; } },
        series: [{
          type: "graph", layout: "none", roam: true, draggable: true,
          label: { show: true, position: "bottom", fontSize: 10, width: 140, overflow: "truncate" },
          edgeSymbol: ["none", "arrow"], edgeSymbolSize: 8, lineStyle: { color: "#888", curveness: 0.1 },
          data: graph.nodes.map(function (n) {
            return { id: n.id, name: n.name, x: n.x, y: n.y, symbolSize: n.category === "transformation" ? 14 : 20,
                     symbol: n.category === "transformation" ? "diamond" : "circle",
                     itemStyle: { color: n.status === "recalled" ? "#b3261e" : colours[n.category] || "#757575" } };
          }),
          links: graph.links
        }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    }
  }
})();
