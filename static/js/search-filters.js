/* On a wide screen the search filters have room beside the results: show them open. On a phone they
   stay behind the "Filter" control, so the results come first. */
(function () {
  "use strict";
  var side = document.querySelector("details.search-side");
  if (side && window.matchMedia("(min-width: 60rem)").matches) { side.open = true; }
})();
