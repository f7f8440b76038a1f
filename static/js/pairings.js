// Pairings pages: refresh the choices when the kind changes; print buttons. No inline handlers (CSP).
(function () {
  "use strict";
  document.querySelectorAll("[data-search-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      var button = select.form && select.form.querySelector("button[name=action][value=search]");
      if (button) { button.click(); }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
