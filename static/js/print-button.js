/* A "print" button for pages meant for paper (the packing slip): printing is hard to find in Android
   browsers' menus. The button is hidden in the HTML and shown only where it can work. */
(function () {
  "use strict";
  if (typeof window.print !== "function") { return; }
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
