// Units page: the results follow the search box as one types (300 ms after the last key).
// The page itself answers: its #unit-results block replaces the shown one, and the address
// keeps the query. Without this script the form still works (GET /units?q=...).
(function () {
  var input = document.getElementById("unit-search");
  if (!input || !window.fetch || !window.DOMParser) { return; }
  var timer = null, shown = input.value, pending = null;

  function load() {
    var q = input.value;
    if (q === shown) { return; }
    shown = q;
    if (pending) { pending.abort(); }
    pending = new AbortController();
    var url = "/units" + (q ? "?q=" + encodeURIComponent(q) : "");
    fetch(url, { credentials: "same-origin", signal: pending.signal })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        // A parsed document is inert (no script runs); the server escaped every text in it.
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .getElementById("unit-results");
        var current = document.getElementById("unit-results");
        if (fresh && current) {
          current.replaceWith(document.importNode(fresh, true));
          history.replaceState(null, "", url);
        }
      })
      .catch(function () { shown = null; });  // a later key press tries again
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  });
  input.addEventListener("search", function () { clearTimeout(timer); load(); });
})();
