// Dual prevention pages: the risk point form's live grade, and print buttons. A file of
// its own, never inline, so the pages keep to a Content-Security-Policy without inline script.
(function () {
  "use strict";
  document.querySelectorAll("[data-action=print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var form = document.querySelector("form.point[data-thresholds]");
  if (!form) { return; }
  var preview = form.querySelector("[data-preview]");
  var thresholds = JSON.parse(form.dataset.thresholds);
  var words = JSON.parse(form.dataset.words);
  var colours = {major: "red", high: "orange", general: "yellow", low: "blue"};
  var factors = {lec: ["l", "e", "c"], matrix: ["l", "s"]};

  function update() {
    var chosen = form.querySelector("input[name=method]:checked");
    var method = chosen ? chosen.value : "lec";
    var score = 1;
    for (var i = 0; i < factors[method].length; i++) {
      var field = form.querySelector("[name=" + method + "_" + factors[method][i] + "]");
      var value = field ? parseFloat(field.value) : NaN;
      if (isNaN(value)) { preview.textContent = ""; return; }
      score *= value;
    }
    var limits = thresholds[method];
    var level = score >= limits[0] ? "major" : score >= limits[1] ? "high" : score >= limits[2] ? "general" : "low";
    preview.textContent = "";
    var chip = document.createElement("span");
    chip.className = "chip " + colours[level];
    chip.textContent = words[level];
    preview.append(words.score + " " + (Math.round(score * 100) / 100) + " ", chip);
  }

  form.addEventListener("change", update);
  update();
}());
