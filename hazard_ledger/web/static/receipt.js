// The receipt page's buttons (pages/receipt.html): copy the receipt, and save it as a
// picture (the code, the receipt and its QR code) that goes to the phone's album.
(function () {
  "use strict";
  var receipt = document.querySelector("[data-receipt]");
  var copyButton = document.querySelector("[data-copy]");
  var saveButton = document.querySelector("[data-save]");
  var copied = document.querySelector("[data-copied]");
  if (!receipt) { return; }
  var text = receipt.textContent.trim();

  function selectReceipt() {
    var range = document.createRange();
    range.selectNodeContents(receipt);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  copyButton.addEventListener("click", function () {
    var done = function () { copied.hidden = false; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectReceipt(); document.execCommand("copy"); done(); });
    } else {
      selectReceipt();
      document.execCommand("copy");
      done();
    }
  });

  saveButton.addEventListener("click", function () {
    var lines = JSON.parse(saveButton.getAttribute("data-lines")).filter(Boolean);
    var qr = document.querySelector("[data-qr]");
    var canvas = document.createElement("canvas");
    var width = 720, qrSize = 320, lineHeight = 44;
    canvas.width = width;
    canvas.height = 60 + lines.length * lineHeight + qrSize + 40;
    var context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = "#1f2933";
    context.textAlign = "center";
    lines.forEach(function (line, index) {
      context.font = (index === 0 ? "bold 34px" : index === lines.length - 1 ? "18px" : "26px") + " sans-serif";
      context.fillText(line, width / 2, 60 + index * lineHeight, width - 40);
    });
    if (qr && qr.complete) {
      context.drawImage(qr, (width - qrSize) / 2, 60 + lines.length * lineHeight, qrSize, qrSize);
    }
    canvas.toBlob(function (blob) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = saveButton.getAttribute("data-filename");
      document.body.appendChild(link);
      link.click();
      link.remove();
    }, "image/png");
  });
}());
