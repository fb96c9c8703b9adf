// Checkout: choosing a province, regency or district reloads the form with the next list filled in.
// Without JavaScript the "Perbarui pilihan wilayah" button does the same.
(function () {
  var form = document.querySelector("form.checkout");
  if (!form) { return; }
  var refresh = form.querySelector("button[value=regions]");
  ["province_code", "regency_code", "district_code"].forEach(function (name) {
    var select = form.querySelector("select[name=" + name + "]");
    if (select && refresh) {
      select.addEventListener("change", function () { refresh.click(); });
    }
  });
  if (refresh) { refresh.classList.add("visually-hidden"); }
})();
