// A field's remote-sensing curves (ECharts): VH backscatter (dB, left axis) and NDVI (right
// axis), the detected seasons as shaded areas. Only numbers, dates and the page's own labels
// reach the chart (no user text).
(function () {
  "use strict";
  var el = document.getElementById("remote-curve");
  var data = document.getElementById("remote-curve-data");
  if (!el || !data || !window.echarts) { return; }
  var c = JSON.parse(data.textContent);
  var chart = echarts.init(el);
  var areas = c.seasons.filter(function (s) { return s.harvest; }).map(function (s) {
    return [{ name: s.label, xAxis: s.sowing }, { xAxis: s.harvest }];
  });
  var heads = c.seasons.map(function (s) { return { xAxis: s.heading }; });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: [c.labels.vh, c.labels.ndvi] },
    grid: { left: 50, right: 50, top: 40, bottom: 30 },
    xAxis: { type: "time" },
    yAxis: [
      { type: "value", name: "dB", min: -28, max: -8 },
      { type: "value", name: "NDVI", min: -0.2, max: 1 }
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
  window.addEventListener("resize", function () { chart.resize(); });
}());
