// Open the menu on wide screens; on a phone it stays a tap-to-open list.
(function () {
  var menu = document.getElementById("menu");
  if (menu && window.matchMedia("(min-width: 700px)").matches) { menu.open = true; }
})();
