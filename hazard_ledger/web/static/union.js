/* The union's pages: behaviour bound here, never inline (the Content-Security-Policy
   allows no inline script). */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.closest("form");
      form.querySelectorAll("input[type=checkbox][name='" + box.dataset.checkAll + "']").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });
});
