// The print button of the printable sheets. A file of its own, not an onclick
// attribute: the Content-Security-Policy allows no inline script.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
