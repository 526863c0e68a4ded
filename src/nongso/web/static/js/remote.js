// A field's remote-sensing curves (ECharts): VH backscatter (dB, left axis) and NDVI (right
// axis), the detected seasons as shaded areas, heading as a dashed line. Dates as the UI
// writes them (dd/mm), numbers with the page language's decimal mark. Only numbers, dates and
// the page's own labels reach the chart (no user text).
(function () {
  "use strict";
  var el = document.getElementById("remote-curve");
  var data = document.getElementById("remote-curve-data");
  if (!el || !data || !window.echarts) { return; }
  var c = JSON.parse(data.textContent);
  var lang = document.documentElement.lang === "en" ? "en-GB" : "vi-VN";
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function day(value) {
    var d = new Date(value);
    return two(d.getDate()) + "/" + two(d.getMonth() + 1);
  }
  function num(value, digits) {
    return Number(value).toLocaleString(lang, { maximumFractionDigits: digits });
  }
  function esc(text) {
    var d = document.createElement("div");
    d.textContent = String(text);
    return d.innerHTML;
  }
  var chart = echarts.init(el);
  var areas = c.seasons.filter(function (s) { return s.harvest; }).map(function (s) {
    return [{ name: s.label, xAxis: s.sowing }, { xAxis: s.harvest }];
  });
  var heads = c.seasons.map(function (s) { return { xAxis: s.heading }; });
  chart.setOption({
    animation: false,
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        if (!items.length) { return ""; }
        var d = new Date(items[0].value[0]);
        var lines = [esc(two(d.getDate()) + "/" + two(d.getMonth() + 1) + "/" + d.getFullYear())];
        items.forEach(function (it) {
          lines.push(esc(it.seriesName) + ": " + esc(num(it.value[1], 2)));
        });
        return lines.join("<br>");
      }
    },
    legend: { data: [c.labels.vh, c.labels.ndvi] },
    grid: { left: 44, right: 44, top: 40, bottom: 30 },
    xAxis: { type: "time", axisLabel: { formatter: day } },
    yAxis: [
      { type: "value", name: "dB", min: -28, max: -8, axisLabel: { formatter: function (v) { return num(v, 1); } } },
      { type: "value", name: "NDVI", min: -0.2, max: 1, axisLabel: { formatter: function (v) { return num(v, 1); } } }
    ],
    series: [
      { name: c.labels.vh, type: "line", data: c.vh, showSymbol: true, symbolSize: 4,
        markArea: { silent: true, itemStyle: { color: "rgba(46,125,50,0.10)" }, data: areas },
        markLine: { silent: true, symbol: "none", lineStyle: { type: "dashed" }, label: { show: false },
                    data: heads } },
      { name: c.labels.ndvi, type: "line", yAxisIndex: 1, data: c.ndvi, showSymbol: true, symbolSize: 4 }
    ]
  });
  el.setAttribute("data-points", String(c.vh.length + c.ndvi.length));
  el.setAttribute("data-seasons", String(c.seasons.length));
  window.addEventListener("resize", function () { chart.resize(); });
}());
