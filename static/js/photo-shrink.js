/* Shrink photos in the browser before they are sent: a 4 MB phone photo becomes a few hundred KB,
   which matters on weak mobile data. Applies to <input type="file" data-shrink="2048">: each chosen
   JPEG/PNG/WebP is redrawn with its longest side at most that many pixels and saved as JPEG (quality
   0.85); the input's files are replaced with the results. Anything the browser cannot redraw (HEIC on
   most browsers) is sent as it was. Without JavaScript, or in an old browser, nothing changes: the
   server accepts the full file. Status messages come from the page (data-* on the status element). */
(function () {
  "use strict";

  var QUALITY = 0.85;
  var REDRAWABLE = /^image\/(jpeg|png|webp)$/;

  function supported() {
    return typeof window.DataTransfer === "function" && typeof window.createImageBitmap === "function" &&
      typeof HTMLCanvasElement.prototype.toBlob === "function";
  }

  function jpegName(name) {
    return (name.replace(/\.[^.]*$/, "") || "foto") + ".jpg";
  }

  function toBlob(canvas) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
  }

  /* The file itself when it cannot or need not be shrunk, otherwise a smaller JPEG. */
  function shrink(file, maxSide) {
    if (!REDRAWABLE.test(file.type)) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff"; /* JPEG has no transparency: a transparent PNG gets a white ground */
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return toBlob(canvas);
    }).then(function (blob) {
      if (!blob || blob.size >= file.size) {
        return file; /* already small: keep the original */
      }
      return new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: Date.now() });
    }).catch(function () {
      return file; /* the server decides what to do with it */
    });
  }

  function setBusy(input, busy) {
    var buttons = input.form ? input.form.querySelectorAll("button[type=submit]") : [];
    Array.prototype.forEach.call(buttons, function (button) { button.disabled = busy; });
    input.setAttribute("data-shrink-state", busy ? "busy" : "done");
  }

  function say(input, key) {
    var status = document.getElementById(input.id + "-shrink-status");
    if (status && status.getAttribute(key)) {
      status.textContent = status.getAttribute(key);
    }
  }

  function onChange(event) {
    var input = event.target;
    var maxSide = parseInt(input.getAttribute("data-shrink"), 10) || 2048;
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      return;
    }
    setBusy(input, true);
    say(input, "data-busy");
    Promise.all(files.map(function (file) { return shrink(file, maxSide); })).then(function (results) {
      var transfer = new DataTransfer();
      results.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files; /* setting files fires no change event: no loop */
      say(input, "data-done");
    }).catch(function () {
      /* keep the files as chosen: the server accepts them */
    }).then(function () {
      setBusy(input, false);
    });
  }

  if (!supported()) {
    return;
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-shrink]"), function (input) {
    input.addEventListener("change", onChange);
  });
}());
