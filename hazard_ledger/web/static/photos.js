// Photos shrunk in the browser before they travel (longest side 2000 px, JPEG 0.85), so a
// 12 MB camera photo goes from a phone on a weak network: shared by the report form
// (report.js) and the hazard work page's forms (hazard.js).
window.HazardPhotos = (function () {
  "use strict";
  var LONGEST_SIDE = 2000, QUALITY = 0.85;

  function decode(file) {
    if (window.createImageBitmap) {
      return window.createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return window.createImageBitmap(file);
      });
    }
    return new Promise(function (resolve, reject) {
      var image = new Image();
      image.onload = function () { resolve(image); };
      image.onerror = reject;
      image.src = URL.createObjectURL(file);
    });
  }

  // resolves to {blob, name}; rejects with a message naming the file (words.not_image,
  // words.too_large) when it is no photo or still larger than maxBytes once shrunk
  function shrink(file, maxBytes, words) {
    if (file.type && file.type.indexOf("image/") !== 0) {
      return Promise.reject(new Error(words.not_image + " " + file.name));
    }
    return decode(file).then(function (image) {
      var width = image.width, height = image.height;
      var scale = Math.min(1, LONGEST_SIDE / Math.max(width, height));
      if (scale === 1 && file.size <= maxBytes / 4) { return { blob: file, name: file.name }; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG becomes white, not black, as JPEG
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve({ blob: blob || file, name: file.name.replace(/\.[^.]*$/, "") + ".jpg" });
        }, "image/jpeg", QUALITY);
      });
    }, function () {
      return { blob: file, name: file.name };  // not decodable here (HEIC?): the server judges it
    }).then(function (photo) {
      if (photo.blob.size > maxBytes) { throw new Error(words.too_large + " " + file.name); }
      return photo;
    });
  }

  return { shrink: shrink };
}());
