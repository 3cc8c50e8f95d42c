/* Every page: the menu button that folds the main navigation on narrow screens. */
(function () {
  "use strict";
  var button = document.querySelector(".menu-button");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    document.getElementById("site-nav").classList.toggle("is-open", open);
  });
})();
