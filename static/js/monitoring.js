// Monitoring pages: the village list follows the township chosen; print buttons. No inline handlers (CSP).
(function () {
  "use strict";
  document.querySelectorAll("select[data-filters]").forEach(function (township) {
    var village = document.getElementById(township.getAttribute("data-filters"));
    if (!village) { return; }
    function follow() {
      var chosen = township.value;
      village.querySelectorAll("optgroup").forEach(function (group) {
        var show = !chosen || group.getAttribute("data-township") === chosen;
        group.hidden = !show;
        group.disabled = !show;
      });
      var selected = village.options[village.selectedIndex];
      if (selected && selected.parentElement && selected.parentElement.disabled) { village.value = ""; }
    }
    township.addEventListener("change", follow);
    village.addEventListener("change", function () {
      var group = village.options[village.selectedIndex] && village.options[village.selectedIndex].parentElement;
      if (group && group.getAttribute("data-township") && !township.value) {
        township.value = group.getAttribute("data-township");
        follow();
      }
    });
    follow();
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
