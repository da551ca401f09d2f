/* The ledger's bulk actions: select all of the page, the count of the ticked rows in the
   sticky bar, and its buttons enabled only when something is ticked. The form works
   without this script (the server asks for a selection when none is ticked). */
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-bulk]");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=ids]"));
  var everyAll = form.querySelectorAll("[data-select-all]");
  var count = form.querySelector("[data-count]");
  var buttons = form.querySelectorAll("[data-needs-selection]");

  function update() {
    var ticked = rows.filter(function (box) { return box.checked; }).length;
    if (count) { count.textContent = count.dataset.counted.replace("{n}", ticked); }
    buttons.forEach(function (button) { button.disabled = ticked === 0; });
    everyAll.forEach(function (box) {
      box.checked = ticked > 0 && ticked === rows.length;
      box.indeterminate = ticked > 0 && ticked < rows.length;
    });
  }

  form.querySelectorAll("[hidden][data-select-all], [data-select-all-label]").forEach(function (shown) {
    shown.hidden = false;
  });
  everyAll.forEach(function (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  });
  rows.forEach(function (box) { box.addEventListener("change", update); });
  // a download leaves the page as it was: the buttons stay usable for the next selection
  update();
});
