/* Region lists that follow each other (province > regency > district > village) without a reload: choosing
   one fetches the next list from /api/v1/regions/<code> and empties the lists below it, keeping everything
   typed and the page where it is. Used by checkout and the shop form: <select data-region-next="id of the
   next select">. Without JavaScript, or when the request fails, the form's own "refresh" button (marked
   data-region-refresh) reloads the form with the lists filled in, as before. */
(function () {
  "use strict";
  var selects = document.querySelectorAll("select[data-region-next]");
  if (!selects.length || typeof window.fetch !== "function") { return; }

  function emptyFrom(select) {
    while (select) {
      var prompt = select.options.length ? select.options[0] : null;
      select.innerHTML = "";
      if (prompt && prompt.value === "") { select.appendChild(prompt); }
      select.value = "";
      select = document.getElementById(select.dataset.regionNext || "");
    }
  }

  function fill(select, children) {
    children.forEach(function (child) {
      var option = document.createElement("option");
      option.value = child.code;
      option.textContent = child.name;
      select.appendChild(option);
    });
  }

  selects.forEach(function (select) {
    select.addEventListener("change", function () {
      var next = document.getElementById(select.dataset.regionNext);
      if (!next) { return; }
      emptyFrom(next);
      if (!select.value) { return; }
      fetch("/api/v1/regions/" + encodeURIComponent(select.value), {headers: {"Accept": "application/json"}})
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(function (data) { if (select.value === data.code) { fill(next, data.children); } })
        .catch(function () {
          var refresh = select.form && select.form.querySelector("[data-region-refresh]");
          if (refresh) { refresh.click(); }
        });
    });
  });
  document.querySelectorAll("[data-region-refresh]").forEach(function (button) {
    button.classList.add("visually-hidden");
  });
})();
