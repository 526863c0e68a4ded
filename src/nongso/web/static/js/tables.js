// Long tables on a phone: a table marked data-enhance gets a search box, sortable headers and
// pages of 20 rows. Without JavaScript it stays a plain table. Only DOM nodes and textContent
// are used (the cells' own text is never parsed as HTML).
(function () {
  "use strict";
  var VI = (document.documentElement.lang || "vi") === "vi";
  var T = VI ? { search: "Tìm trong bảng", prev: "‹ Trước", next: "Sau ›", of: "trên", rows: "dòng", sort: "Sắp xếp" }
             : { search: "Search the table", prev: "‹ Previous", next: "Next ›", of: "of", rows: "rows", sort: "Sort" };
  var SIZE = 20;
  function fold(s) {
    return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  function value(cell) {
    var t = (cell.textContent || "").trim();
    if (cell.classList.contains("n")) {
      var n = VI ? t.replace(/\./g, "").replace(",", ".") : t.replace(/,/g, "");
      var x = parseFloat(n.replace(/[^0-9.+-]/g, ""));
      return isNaN(x) ? -Infinity : x;
    }
    return fold(t);
  }
  function enhance(table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return !r.querySelector("td[colspan]"); });
    if (rows.length <= SIZE) { return; }
    var state = { q: "", col: -1, dir: 1, page: 0 };
    var bar = document.createElement("div"); bar.className = "table-tools";
    var search = document.createElement("input");
    search.type = "search"; search.placeholder = T.search; search.setAttribute("aria-label", T.search);
    search.className = "table-search";
    bar.appendChild(search);
    var pager = document.createElement("div"); pager.className = "pager";
    var prev = document.createElement("button"); prev.type = "button"; prev.textContent = T.prev; prev.className = "secondary";
    var info = document.createElement("span"); info.className = "note"; info.setAttribute("aria-live", "polite");
    var next = document.createElement("button"); next.type = "button"; next.textContent = T.next; next.className = "secondary";
    pager.appendChild(prev); pager.appendChild(info); pager.appendChild(next);
    var wrap = table.parentNode.classList.contains("table-wrap") ? table.parentNode : table;
    wrap.parentNode.insertBefore(bar, wrap);
    wrap.parentNode.insertBefore(pager, wrap.nextSibling);
    var heads = table.tHead ? Array.prototype.slice.call(table.tHead.rows[0].cells) : [];
    heads.forEach(function (th, i) {
      th.setAttribute("aria-sort", "none");
      var b = document.createElement("button"); b.type = "button"; b.className = "sort";
      b.title = T.sort; b.textContent = th.textContent;
      th.textContent = ""; th.appendChild(b);
      b.addEventListener("click", function () {
        state.dir = state.col === i ? -state.dir : 1; state.col = i; state.page = 0;
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
        draw();
      });
    });
    function draw() {
      var q = fold(search.value.trim());
      var shown = rows.filter(function (r) { return !q || fold(r.textContent).indexOf(q) >= 0; });
      if (state.col >= 0) {
        shown.sort(function (a, b) {
          var x = value(a.cells[state.col]); var y = value(b.cells[state.col]);
          return (x < y ? -1 : x > y ? 1 : 0) * state.dir;
        });
      }
      var pages = Math.max(1, Math.ceil(shown.length / SIZE));
      state.page = Math.min(state.page, pages - 1);
      rows.forEach(function (r) { r.hidden = true; });
      shown.forEach(function (r, n) {
        body.appendChild(r);
        r.hidden = Math.floor(n / SIZE) !== state.page;
      });
      info.textContent = (state.page + 1) + "/" + pages + " · " + shown.length + " " + T.rows;
      prev.disabled = state.page === 0; next.disabled = state.page >= pages - 1;
    }
    search.addEventListener("input", function () { state.page = 0; draw(); });
    prev.addEventListener("click", function () { state.page -= 1; draw(); });
    next.addEventListener("click", function () { state.page += 1; draw(); });
    draw();
  }
  Array.prototype.forEach.call(document.querySelectorAll("table[data-enhance]"), enhance);
})();
