// Statistics pages: the province dashboard (ECharts choropleth of communes, trend across
// seasons, arrangeable items), a commune's page and the pivot table. Text reaches the page
// only through textContent (names come from data, never as HTML).
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function esc(text) {
    var d = document.createElement("div");
    d.textContent = text == null ? "" : String(text);
    return d.innerHTML;
  }

  function fmt(value, lang, digits) {
    if (value == null) { return ""; }
    return Number(value).toLocaleString(lang === "en" ? "en-GB" : "vi-VN",
      { maximumFractionDigits: digits == null ? 2 : digits });
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text != null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function name(data, id) {
    var item = data.items[id];
    return item ? item.name : id;
  }

  // --- the province map ------------------------------------------------------------------
  function drawMap(ctx) {
    var box = document.getElementById("stats-map");
    if (!box || !window.echarts) { return; }
    var chart = echarts.init(box);
    var data = ctx.map;
    var values = {};
    data.rows.forEach(function (r) { values[r[2]] = r[3]; });
    var dx = data.dimensions.dx[0] || "";
    var unit = data.items[dx] ? (data.items[dx].unit || "") : "";
    box.setAttribute("data-values", String(Object.keys(values).length));
    var nums = Object.keys(values).map(function (k) { return values[k]; });
    if (!nums.length) {
      chart.setOption({ title: { text: ctx.noData, left: "center", top: "middle", textStyle: { fontSize: 13, color: "#5b6b5d" } } });
      return;
    }
    var min = Math.min.apply(null, nums), max = Math.max.apply(null, nums);
    var tooltip = {
      trigger: "item",
      formatter: function (p) {
        var code = p.data ? p.data.code || p.name : p.name;
        var v = values[code];
        return esc(name(data, code)) + "<br>" + esc(name(data, dx)) + ": " +
          esc(v == null ? "—" : fmt(v, ctx.lang) + " " + unit);
      }
    };
    var visual = { min: min, max: max === min ? min + 1 : max, calculable: true, left: 0, bottom: 0,
      inRange: { color: ["#f7fcb9", "#addd8e", "#31a354", "#006837"] }, textStyle: { fontSize: 10 } };
    if (ctx.geo && ctx.geo.features && ctx.geo.features.length) {
      echarts.registerMap("communes", ctx.geo);
      chart.setOption({
        tooltip: tooltip, visualMap: visual,
        series: [{ type: "map", map: "communes", nameProperty: "code", roam: true,
          emphasis: { label: { show: false } }, itemStyle: { borderColor: "#fff", borderWidth: 0.5 },
          data: Object.keys(values).map(function (code) { return { name: code, code: code, value: values[code] }; }) }]
      });
    } else {
      // No commune outlines yet: the communes as dots at their official centre points.
      chart.setOption({
        tooltip: tooltip, visualMap: visual,
        xAxis: { type: "value", scale: true, show: false }, yAxis: { type: "value", scale: true, show: false },
        series: [{ type: "scatter", symbolSize: 12,
          data: Object.keys(values).filter(function (c) { return ctx.centres[c]; }).map(function (code) {
            var c = ctx.centres[code];
            return { name: code, code: code, value: [c[0], c[1], values[code]] };
          }), encode: { x: 0, y: 1 } }],
      });
      chart.setOption({ visualMap: { dimension: 2 } });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // --- trends across seasons -------------------------------------------------------------
  function drawTrend(box, data, ctx, ou) {
    if (!box || !window.echarts) { return; }
    var chart = echarts.init(box);
    var pes = data.dimensions.pe;
    box.setAttribute("data-points", String(data.rows.length));
    if (!data.rows.length) {
      chart.setOption({ title: { text: ctx.noData, left: "center", top: "middle", textStyle: { fontSize: 13, color: "#5b6b5d" } } });
      return;
    }
    var series = data.dimensions.dx.map(function (dx) {
      var byPe = {};
      data.rows.forEach(function (r) { if (r[0] === dx && (!ou || r[2] === ou)) { byPe[r[1]] = r[3]; } });
      var isRate = (data.items[dx] && data.items[dx].unit || "").indexOf("/") >= 0;
      return { name: name(data, dx) + " (" + (data.items[dx] ? data.items[dx].unit : "") + ")",
        type: isRate ? "line" : "bar", yAxisIndex: isRate ? 1 : 0,
        data: pes.map(function (pe) { return byPe[pe] == null ? null : byPe[pe]; }) };
    });
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return esc(fmt(v, ctx.lang)); } },
      legend: { top: 0, textStyle: { fontSize: 10 } },
      grid: { left: 45, right: 40, top: 50, bottom: 60 },
      xAxis: { type: "category", data: pes.map(function (pe) { return name(data, pe); }), axisLabel: { rotate: 40, fontSize: 9 } },
      yAxis: [{ type: "value", axisLabel: { fontSize: 9 } }, { type: "value", axisLabel: { fontSize: 9 } }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // --- arrangeable items -------------------------------------------------------------------
  function arrange(ctx) {
    var board = document.getElementById("dashboard");
    if (!board) { return; }
    var items = {};
    Array.prototype.forEach.call(board.querySelectorAll(".item"), function (s) { items[s.getAttribute("data-item")] = s; });
    var layout = (ctx.layout && ctx.layout.items) || [];
    layout.forEach(function (it) {
      var s = items[it.id];
      if (s) { board.appendChild(s); s.classList.toggle("hidden", !!it.hidden); }
    });
    var status = document.getElementById("arrange-status");
    function current() {
      return Array.prototype.map.call(board.querySelectorAll(".item"), function (s) {
        return { id: s.getAttribute("data-item"), hidden: s.classList.contains("hidden") };
      });
    }
    function save() {
      board.setAttribute("data-order", current().map(function (i) { return i.id; }).join(","));
      if (!ctx.canSave) { return; }
      fetch("/api/v1/stats/dashboard/layout", { method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ items: current() }) })
        .then(function (r) { if (r.ok && status) { status.textContent = ctx.saved; } });
    }
    Object.keys(items).forEach(function (id) {
      var s = items[id];
      var bar = el("div", null, "arrange");
      [["↑", -1], ["↓", 1], ["◐", 0]].forEach(function (b) {
        var btn = el("button", b[0]);
        btn.type = "button";
        btn.setAttribute("data-move", String(b[1]));
        btn.setAttribute("aria-label", (ctx.labels[id] || id) + " " + b[0]);
        btn.addEventListener("click", function () {
          if (b[1] === 0) { s.classList.toggle("hidden"); }
          else if (b[1] < 0 && s.previousElementSibling) { board.insertBefore(s, s.previousElementSibling); }
          else if (b[1] > 0 && s.nextElementSibling) { board.insertBefore(s.nextElementSibling, s); }
          save();
        });
        bar.appendChild(btn);
      });
      s.querySelector("header").appendChild(bar);
    });
    board.setAttribute("data-order", current().map(function (i) { return i.id; }).join(","));
  }

  // --- the pivot table ---------------------------------------------------------------------
  function pivot(ctx) {
    var form = document.getElementById("pivot-form");
    if (!form) { return; }
    var table = document.getElementById("pivot-table");
    var error = document.getElementById("pivot-error");
    function run() {
      var q = new URLSearchParams();
      ["dx", "pe", "ou"].forEach(function (k) { q.set(k, form.elements[k].value); });
      q.set("totals", "true");
      document.getElementById("pivot-csv").setAttribute("href", "/api/v1/analytics?" + q.toString() + "&format=csv");
      fetch("/api/v1/analytics?" + q.toString(), { credentials: "same-origin", headers: { "Accept-Language": ctx.lang } })
        .then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
        .then(function (res) {
          while (table.firstChild) { table.removeChild(table.firstChild); }
          if (!res[0]) { error.hidden = false; error.textContent = res[1].detail + " " + (res[1].errors || []).map(function (e) { return e.loc + ": " + e.message; }).join("; "); return; }
          error.hidden = true;
          build(res[1], form.elements.columns.value);
        });
    }
    function build(data, colDim) {
      var dims = ["dx", "pe", "ou"];
      var idx = { dx: 0, pe: 1, ou: 2 };
      var rowDims = dims.filter(function (d) { return d !== colDim; });
      var cols = data.dimensions[colDim].slice();
      if (data.rows.some(function (r) { return r[idx[colDim]] === "total"; })) { cols.push("total"); }
      var cells = {}, rowKeys = [];
      data.rows.forEach(function (r) {
        var rk = rowDims.map(function (d) { return r[idx[d]]; }).join("\u0000");
        if (!(rk in cells)) { cells[rk] = {}; rowKeys.push(rk); }
        cells[rk][r[idx[colDim]]] = r;
      });
      var head = el("thead"), tr = el("tr");
      rowDims.forEach(function (d) { tr.appendChild(el("th", d)); });
      cols.forEach(function (c) { tr.appendChild(el("th", c === "total" ? ctx.total : name(data, c))); });
      head.appendChild(tr); table.appendChild(head);
      var body = el("tbody");
      rowKeys.forEach(function (rk) {
        var row = el("tr");
        rk.split("\u0000").forEach(function (k) { row.appendChild(el("th", k === "total" ? ctx.total : name(data, k), "rowhead")); });
        cols.forEach(function (c) {
          var r = cells[rk][c];
          var td = el("td", r ? fmt(r[3], ctx.lang) : "", "n" + (r && r[4] ? " alloc" : ""));
          row.appendChild(td);
        });
        body.appendChild(row);
      });
      if (!rowKeys.length) { var empty = el("tr"); empty.appendChild(el("td", ctx.noData)); body.appendChild(empty); }
      table.appendChild(body);
      table.setAttribute("data-rows", String(rowKeys.length));
    }
    form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
    run();
  }

  // --- a commune's page --------------------------------------------------------------------
  function commune(ctx) {
    var box = document.getElementById("commune-trend");
    if (!box) { return; }
    drawTrend(box, ctx.seasons, ctx, null);
    var holder = document.getElementById("commune-table");
    var data = ctx.seasons, table = el("table"), head = el("tr");
    head.appendChild(el("th", ""));
    data.dimensions.dx.forEach(function (dx) { head.appendChild(el("th", name(data, dx))); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var body = el("tbody");
    data.dimensions.pe.slice().reverse().forEach(function (pe) {
      var row = el("tr"); row.appendChild(el("th", name(data, pe), "rowhead"));
      data.dimensions.dx.forEach(function (dx) {
        var r = data.rows.filter(function (x) { return x[0] === dx && x[1] === pe; })[0];
        row.appendChild(el("td", r ? fmt(r[3], ctx.lang) : "", "n"));
      });
      body.appendChild(row);
    });
    table.appendChild(body);
    holder.appendChild(table);
  }

  var ctx = json("stats-context");
  if (!ctx) { return; }
  drawMap(ctx);
  if (ctx.trend) { drawTrend(document.getElementById("stats-trend"), ctx.trend, ctx, null); }
  arrange(ctx);
  pivot(ctx);
  if (ctx.seasons) { commune(ctx); }
})();
