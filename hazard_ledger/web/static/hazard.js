// The hazard's work page: the duplicate picker asks the server for the codes that match
// what is typed (a code or words of a description), so an older hazard can be found too.
document.querySelectorAll("[data-code-search]").forEach(function (input) {
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = input.dataset.codeSearch + "?q=" + encodeURIComponent(input.value.trim());
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : { items: [] }; })
        .then(function (found) {
          list.replaceChildren.apply(list, found.items.map(function (item) {
            var option = document.createElement("option");
            option.value = item.code;
            option.textContent = item.description.slice(0, 40);
            return option;
          }));
        })
        .catch(function () { /* offline: the codes already listed stay */ });
    }, 250);
  });
});
// A refused action: its problems are listed at the top; bring them into view.
var problems = document.getElementById("problems");
if (problems) { problems.focus(); }
