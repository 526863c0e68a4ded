// The alerts page's map (Leaflet, no tiles): each alert at its station, the circle of the
// area it concerns, coloured by severity. Popups are DOM nodes (textContent): headlines carry
// station names, which are user data.
(function () {
  "use strict";
  var COLORS = { info: "#1565c0", minor: "#f9a825", moderate: "#ef6c00", severe: "#c62828", extreme: "#6a1b9a" };

  var json = window.nongso.json, node = window.nongso.node;

  function init() {
    var el = document.getElementById("alert-map");
    if (!el || !window.L) { return; }
    var points = json("alert-data") || [];
    var ctx = json("alert-map-context") || {};
    if (!points.length) { el.hidden = true; return; }
    var map = L.map(el, { zoomControl: true, attributionControl: false });
    var bounds = [];
    points.forEach(function (a) {
      var color = COLORS[a.severity] || "#455a64";
      var box = node("div");
      box.appendChild(node("b", a.headline));
      box.appendChild(node("br"));
      box.appendChild(document.createTextNode(a.severity_label));
      box.appendChild(node("br"));
      box.appendChild(node("a", ctx.details, { href: "/alerts/" + encodeURIComponent(a.id) }));
      if (a.radius_km) {
        L.circle([a.lat, a.lon], { radius: a.radius_km * 1000, color: color, weight: 1,
                                   fillOpacity: 0.12 }).addTo(map);
      }
      L.circleMarker([a.lat, a.lon], { radius: 8, color: "#263238", weight: 1.5,
                                       fillColor: color, fillOpacity: 0.95 })
        .bindPopup(box).addTo(map);
      bounds.push([a.lat, a.lon]);
    });
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 11 });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
