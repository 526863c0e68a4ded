// Market pages: the monthly price (and the forecast with "same month last year") and the IPA
// of a series, drawn with ECharts from the JSON the page carries (no user text is drawn).
(function () {
  "use strict";
  var el = document.getElementById("price-chart");
  var data = document.getElementById("chart-data");
  if (!el || !data || !window.echarts) { return; }
  var d = JSON.parse(data.textContent);
  var periods = [];
  function add(points) { points.forEach(function (p) { if (periods.indexOf(p[0]) < 0) { periods.push(p[0]); } }); }
  add(d.history); add(d.forecast); add(d.naive); add(d.ipa);
  periods.sort();
  function align(points) {
    var map = {};
    points.forEach(function (p) { map[p[0]] = p[1]; });
    return periods.map(function (k) { return k in map ? map[k] : null; });
  }
  var series = [
    { name: d.labels.price, type: "line", data: align(d.history), showSymbol: false, connectNulls: false },
    { name: d.labels.forecast, type: "line", data: align(d.forecast), lineStyle: { type: "dashed" } },
    { name: d.labels.naive, type: "line", data: align(d.naive), lineStyle: { type: "dotted" } }
  ];
  var yAxis = [{ type: "value", scale: true, name: d.labels.price }];
  if (d.ipa.length) {
    yAxis.push({ type: "value", name: "IPA", position: "right", min: -3, max: 3 });
    series.push({ name: "IPA", type: "bar", yAxisIndex: 1, data: align(d.ipa), itemStyle: { color: "#c77700" } });
  }
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 60, right: 50, top: 40, bottom: 60 },
    xAxis: { type: "category", data: periods },
    yAxis: yAxis,
    dataZoom: [{ type: "slider", bottom: 10 }],
    series: series
  });
  el.setAttribute("data-points", String(d.history.length));
  el.setAttribute("data-forecast", String(d.forecast.length));
  window.addEventListener("resize", function () { chart.resize(); });
}());
