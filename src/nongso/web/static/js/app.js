// Open the menu on wide screens; on a phone it stays a tap-to-open list.
(function () {
  var menu = document.getElementById("menu");
  if (menu && window.matchMedia("(min-width: 700px)").matches) { menu.open = true; }
})();

// Writes to this site's API with the session cookie carry the session's CSRF token in the
// X-CSRF-Token header (the server refuses them without it). Every page's script calls
// fetch(), so the header is added here, once, for same-origin writes only.
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta || !window.fetch) { return; }
  var token = meta.getAttribute("content");
  var original = window.fetch.bind(window);
  var safe = { GET: true, HEAD: true, OPTIONS: true };
  window.fetch = function (input, init) {
    var isRequest = typeof Request !== "undefined" && input instanceof Request;
    var url = isRequest ? input.url : String(input);
    var method = ((init && init.method) || (isRequest ? input.method : "GET")).toUpperCase();
    var sameOrigin = new URL(url, window.location.href).origin === window.location.origin;
    if (safe[method] || !sameOrigin) { return original(input, init); }
    var headers = new Headers((init && init.headers) || (isRequest ? input.headers : undefined));
    if (!headers.has("X-CSRF-Token")) { headers.set("X-CSRF-Token", token); }
    var options = Object.assign({}, init || {}, { headers: headers });
    return original(input, options);
  };
})();

// Shared by the pages' scripts: the JSON a page embeds in a <script type="application/json">
// element, and DOM nodes whose text is set as text (user data never goes in as HTML).
window.nongso = window.nongso || {};
window.nongso.json = function (id) {
  var el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
};
window.nongso.node = function (tag, text, attrs) {
  var n = document.createElement(tag);
  if (text != null) { n.textContent = String(text); }
  Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
  return n;
};
