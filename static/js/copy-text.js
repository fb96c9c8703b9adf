/* A "copy" button beside text people paste elsewhere (the tracking number, into the courier's app). The
   page has only the text: <span data-copy="button label" data-copied="message after copying">. Without
   JavaScript, or where nothing can copy, the text stays as it is, selectable by a long press. */
(function () {
  "use strict";

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) { return navigator.clipboard.writeText(text); }
    var area = document.createElement("textarea");  // plain HTTP: the older way still works
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy"));
  }

  document.querySelectorAll("[data-copy]:not([data-copy-ready])").forEach(function (source) {
    source.setAttribute("data-copy-ready", "");
    var button = document.createElement("button");
    var status = document.createElement("span");
    button.type = "button";
    button.className = "secondary copy-button";
    button.textContent = source.getAttribute("data-copy");
    status.setAttribute("role", "status");
    status.className = "copy-status";
    button.addEventListener("click", function () {
      copy(source.textContent.trim()).then(function () {
        status.textContent = source.getAttribute("data-copied");
      }, function () {
        window.getSelection().selectAllChildren(source);  // at least select it for a manual copy
      });
    });
    source.after(" ", button, " ", status);
  });
})();
