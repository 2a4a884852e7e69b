// "Print" buttons (data-print): shown only where scripts run; without them the browser's own Print works.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
