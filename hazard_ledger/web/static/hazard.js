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
// Photos sent with progress, rectify or close are shrunk here first (photos.js), so a 12 MB
// camera photo goes: the shrunk files take the chosen ones' place in the field and the form
// is sent as usual (Post/Redirect/Get); one that cannot be made small enough is named next
// to the field and nothing is sent. Without this script the server judges the originals.
document.querySelectorAll("input[type=file][data-shrink]").forEach(function (input) {
  var form = input.form;
  var words = JSON.parse(input.dataset.words);
  var maxBytes = Number(input.dataset.maxBytes);
  var shrunk = false;
  function problem(text) {
    var line = document.createElement("p");
    line.className = "error";
    line.setAttribute("role", "alert");
    line.textContent = text;
    input.insertAdjacentElement("afterend", line);
  }
  form.addEventListener("submit", function (event) {
    var files = Array.prototype.slice.call(input.files || []);
    if (shrunk || !files.length || !window.DataTransfer || !window.HazardPhotos) { return; }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var original = button.textContent;
    button.textContent = words.shrinking;
    Promise.all(files.map(function (file) { return window.HazardPhotos.shrink(file, maxBytes, words); }))
      .then(function (photos) {
        var chosen = new DataTransfer();
        photos.forEach(function (photo) {
          chosen.items.add(new File([photo.blob], photo.name, { type: photo.blob.type || "image/jpeg" }));
        });
        input.files = chosen.files;
        shrunk = true;
        form.submit();
      }, function (error) {
        button.disabled = false;
        button.textContent = original;
        problem(error.message);
      });
  });
});
