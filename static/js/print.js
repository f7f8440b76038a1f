// A "print" button without an inline handler (the Content-Security-Policy forbids those).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
