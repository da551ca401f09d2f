// The worker's report form (pages/report.html), made for a phone in one hand:
// - photos are shrunk here before they travel (photos.js: longest side 2000 px, JPEG), so
//   a 12 MB camera photo goes; one still too large is named next to the photo field;
// - 匿名 hides name and phone;
// - 提交 disables itself at once; the form's idempotency key (the hidden `submission`,
//   made anew each time the form is shown) lets the server refuse a second filing;
// - with no network the report waits in the phone (IndexedDB, photos included), shown as
//   待发送, and goes when the network returns, under its key: it is filed once at most;
// - a service worker (report-worker.js) keeps the form for the basement with no signal.
// No inline script anywhere: the Content-Security-Policy allows files of this site only.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var words = JSON.parse(form.getAttribute("data-words"));
  var maxBytes = Number(form.getAttribute("data-max-bytes"));
  var maxPhotos = Number(form.getAttribute("data-max-photos"));
  var submitButton = form.querySelector("[data-submit]");
  var statusLine = form.querySelector("[data-status]");
  var photoInput = form.querySelector("input[type=file]");
  var photoField = form.querySelector("[data-field=photos]");
  var thumbs = form.querySelector("[data-thumbs]");
  var anonymous = form.querySelector("input[name=anonymous]");
  var identity = form.querySelector("[data-identity]");
  var keyInput = form.querySelector("input[name=submission]");
  var outbox = document.getElementById("outbox");
  var action = form.getAttribute("action") || window.location.pathname;
  var prepared = Promise.resolve([]);
  var busy = false;

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // a form shown again from the phone's cache must not share a key with the last one
  keyInput.value = newKey();

  function showIdentity() { if (identity) { identity.hidden = anonymous.checked; } }
  anonymous.addEventListener("change", showIdentity);
  showIdentity();

  // ---- errors next to their field ---------------------------------------------------
  function clearPhotoErrors() {
    photoField.classList.remove("invalid");
    Array.prototype.forEach.call(photoField.querySelectorAll(".error"), function (e) { e.remove(); });
  }
  function photoError(text) {
    photoField.classList.add("invalid");
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = text;
    photoField.appendChild(p);
  }

  // ---- photos: shrunk in the browser (photos.js) -------------------------------------
  function shrink(file) { return window.HazardPhotos.shrink(file, maxBytes, words); }

  function preparePhotos() {
    clearPhotoErrors();
    thumbs.textContent = "";
    var files = Array.prototype.slice.call(photoInput.files || []);
    if (files.length > maxPhotos) {
      photoError(words.too_many);
      prepared = Promise.reject(new Error(words.too_many));
      prepared.catch(function () {});
      return;
    }
    files.forEach(function (file) {
      var item = document.createElement("li");
      if (/^image\//.test(file.type)) {
        var image = document.createElement("img");
        image.src = URL.createObjectURL(file);
        image.alt = file.name;
        item.appendChild(image);
      }
      item.appendChild(document.createTextNode(file.name));
      thumbs.appendChild(item);
    });
    statusLine.textContent = files.length ? words.shrinking : "";
    prepared = Promise.all(files.map(function (file) {
      return shrink(file).catch(function (error) { photoError(error.message); throw error; });
    }));
    prepared.then(function () { statusLine.textContent = ""; }, function () { statusLine.textContent = ""; });
  }
  photoInput.addEventListener("change", preparePhotos);

  // ---- sending ------------------------------------------------------------------------
  function formData(photos) {
    var data = new FormData(form);
    data.delete("photos");
    photos.forEach(function (photo) { data.append("photos", photo.blob, photo.name); });
    if (anonymous.checked) { data.delete("name"); data.delete("phone"); }
    return data;
  }

  function finish() {
    busy = false;
    submitButton.disabled = false;
    statusLine.textContent = "";
  }

  // the server's answer to a refused form: its errors, put next to the fields of this one
  // (so the chosen photos stay chosen)
  function showRefusal(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var theirs = answer.getElementById("report-form");
    var problem = document.querySelector("[data-problem]");
    Array.prototype.forEach.call(form.querySelectorAll("[data-field]"), function (field) {
      field.classList.remove("invalid");
      Array.prototype.forEach.call(field.querySelectorAll(".error"), function (e) { e.remove(); });
    });
    if (!theirs) {  // another page (an expired form, an outage): its message on top
      var main = answer.querySelector("main");
      problem.innerHTML = "";
      var p = document.createElement("p");
      p.className = "error";
      p.setAttribute("role", "alert");
      p.textContent = main ? main.textContent.replace(/\s+/g, " ").trim() : "";
      problem.appendChild(p);
      return;
    }
    Array.prototype.forEach.call(theirs.querySelectorAll("[data-field]"), function (field) {
      var mine = form.querySelector("[data-field=" + field.getAttribute("data-field") + "]");
      if (!mine) { return; }
      Array.prototype.forEach.call(field.querySelectorAll(".error"), function (e) {
        mine.classList.add("invalid");
        mine.appendChild(document.importNode(e, true));
      });
    });
    var theirProblem = answer.querySelector("[data-problem]");
    problem.innerHTML = theirProblem ? theirProblem.innerHTML : "";
    var theirKey = theirs.querySelector("input[name=submission]");
    if (theirKey) { keyInput.value = theirKey.value; }
    var first = form.querySelector(".invalid");
    if (first) { first.scrollIntoView({ block: "center" }); }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }  // a double tap
    busy = true;
    submitButton.disabled = true;
    statusLine.textContent = words.submitting;
    prepared.then(function (photos) {
      var data = formData(photos);
      if (!navigator.onLine) { return keep(data, photos).then(afterKept); }
      return fetch(action, { method: "POST", body: data, credentials: "same-origin" }).then(function (answer) {
        if (answer.ok && answer.redirected) {
          window.location.assign(answer.url);
          return;
        }
        return answer.text().then(function (html) { showRefusal(html); finish(); });
      }, function () {
        return keep(data, photos).then(function () { afterKept(words.network); });
      });
    }).catch(function () { finish(); });
  });

  // ---- the phone's outbox (IndexedDB) -----------------------------------------------
  function openOutbox() {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open("hazard-ledger-outbox", 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("reports", { keyPath: "key" }); };
      opening.onsuccess = function () { resolve(opening.result); };
      opening.onerror = function () { reject(opening.error); };
    });
  }
  function inStore(mode, work) {
    return openOutbox().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction("reports", mode);
        var result = work(transaction.objectStore("reports"));
        transaction.oncomplete = function () { resolve(result && result.result); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }
  function allKept() { return inStore("readonly", function (store) { return store.getAll(); }); }
  function put(item) { return inStore("readwrite", function (store) { store.put(item); }); }
  function drop(key) { return inStore("readwrite", function (store) { store.delete(key); }); }

  function keep(data, photos) {
    var fields = [];
    data.forEach(function (value, name) {
      if (name !== "photos" && name !== "csrf_token" && typeof value === "string") { fields.push([name, value]); }
    });
    return put({
      key: keyInput.value, action: action, fields: fields, state: "queued", at: Date.now(),
      photos: photos.map(function (photo) { return { name: photo.name, blob: photo.blob }; }),
    });
  }

  function afterKept(message) {
    form.reset();
    thumbs.textContent = "";
    prepared = Promise.resolve([]);
    keyInput.value = newKey();
    showIdentity();
    finish();
    statusLine.textContent = message || words.saved_offline;
    showOutbox();
  }

  function field(item, name) {
    var found = item.fields.filter(function (pair) { return pair[0] === name; })[0];
    return found ? found[1] : "";
  }

  function showOutbox() {
    return allKept().then(function (items) {
      var list = outbox.querySelector("ul");
      list.textContent = "";
      items = (items || []).filter(function (item) { return item.action === action; });
      items.sort(function (a, b) { return a.at - b.at; });
      outbox.hidden = items.length === 0;
      items.forEach(function (item) {
        var row = document.createElement("li");
        row.setAttribute("data-state", item.state);
        var badge = document.createElement("span");
        badge.className = "badge" + (item.state === "failed" ? " warn" : item.state === "sent" ? " ok" : "");
        badge.textContent = words[item.state] || item.state;
        row.appendChild(badge);
        row.appendChild(document.createTextNode(field(item, "location") + " · " + field(item, "description").slice(0, 40)));
        if (item.state === "sent") {
          var receipt = document.createElement("div");
          receipt.className = "small";
          receipt.textContent = item.code + (item.receipt ? " · " + words.receipt + " " + item.receipt : "") + " ";
          var link = document.createElement("a");
          link.href = item.receiptUrl;
          link.textContent = words.open;
          receipt.appendChild(link);
          row.appendChild(receipt);
        }
        if (item.state === "failed" && item.problem) {
          var problem = document.createElement("div");
          problem.className = "error";
          problem.textContent = item.problem;
          row.appendChild(problem);
        }
        if (item.state !== "queued") {
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "link small";
          remove.textContent = words.remove;
          remove.addEventListener("click", function () { drop(item.key).then(showOutbox); });
          row.appendChild(document.createTextNode(" "));
          row.appendChild(remove);
        }
        list.appendChild(row);
      });
    });
  }

  // a kept report goes under its own key, with a fresh form token: sent twice, it is
  // filed once and answered with the first receipt
  function sendKept(item) {
    return fetch(item.action, { credentials: "same-origin", cache: "no-store" }).then(function (page) {
      return page.text();
    }).then(function (html) {
      var token = new DOMParser().parseFromString(html, "text/html").querySelector("input[name=csrf_token]");
      var data = new FormData();
      data.append("csrf_token", token ? token.value : "");
      item.fields.forEach(function (pair) { if (pair[0] !== "submission") { data.append(pair[0], pair[1]); } });
      data.append("submission", item.key);
      item.photos.forEach(function (photo) { data.append("photos", photo.blob, photo.name); });
      return fetch(item.action, { method: "POST", body: data, credentials: "same-origin" });
    }).then(function (answer) {
      return answer.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        if (answer.ok && answer.redirected) {
          var code = page.querySelector("[data-code]"), receipt = page.querySelector("[data-receipt]");
          item.state = "sent";
          item.code = code ? code.textContent.trim() : "";
          item.receipt = receipt ? receipt.textContent.trim() : "";
          item.receiptUrl = answer.url;
          item.photos = [];
          return put(item);
        }
        if (answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
          var error = page.querySelector(".error");
          item.state = "failed";
          item.problem = error ? error.textContent.trim() : String(answer.status);
          return put(item);
        }
        throw new Error("later");  // the server is away or busy: the report waits
      });
    });
  }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) { return; }
    flushing = true;
    allKept().then(function (items) {
      var waiting = (items || []).filter(function (item) { return item.state === "queued" && item.action === action; });
      return waiting.reduce(function (chain, item) {
        return chain.then(function () { return sendKept(item); }).then(showOutbox);
      }, Promise.resolve());
    }).catch(function () {}).then(function () { flushing = false; showOutbox(); });
  }

  if (window.indexedDB) {
    window.addEventListener("online", flush);
    showOutbox().then(flush);
    window.setInterval(flush, 30000);
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(form.getAttribute("data-worker"), { scope: form.getAttribute("data-scope") })
      .catch(function () {});
  }
}());
