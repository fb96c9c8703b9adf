/* The shop form: a live preview of the shop's web address as it is typed (the server makes the same
   slug: lower-case ASCII words joined by hyphens; an empty field takes the shop's name). */
(function () {
  "use strict";
  var preview = document.getElementById("slug-preview");
  var slugInput = document.getElementById("slug");
  var nameInput = document.getElementById("name");
  if (!preview || !slugInput || !nameInput) { return; }

  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
  }

  function update() {
    preview.textContent = preview.dataset.base + (slugify(slugInput.value) || slugify(nameInput.value));
  }

  slugInput.addEventListener("input", update);
  nameInput.addEventListener("input", update);
})();
