// Search suggestions while typing (optional: the search box works without this script).
// Fills the <datalist> of every input with a data-suggest URL from GET <url>?q=<text>.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var lastAsked = "";
    if (!list || !window.fetch) { return; }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = input.value;
        if (text.trim().length < 2 || text === lastAsked) { return; }
        lastAsked = text;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text), {headers: {"Accept": "application/json"}})
          .then(function (response) { return response.ok ? response.json() : {suggestions: []}; })
          .then(function (body) {
            if (input.value !== text) { return; }
            list.replaceChildren.apply(list, (body.suggestions || []).map(function (word) {
              var option = document.createElement("option");
              option.value = word;
              return option;
            }));
          })
          .catch(function () { /* no suggestions offline; typing still works */ });
      }, 200);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest][list]"), attach);
  });
})();
