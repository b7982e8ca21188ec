// The receipt page's copy button: shown only where the clipboard can be written; without
// JavaScript the receipt is still there to write down. A static file, so the strict CSP holds.
(function () {
  "use strict";
  var button = document.querySelector("button[data-copy]");
  var script = document.currentScript;
  if (!button || !navigator.clipboard) { return; }
  var done = document.querySelector(".copy-done");
  var copied = script ? script.getAttribute("data-copied") : "";
  button.hidden = false;
  button.addEventListener("click", function () {
    var source = document.getElementById(button.getAttribute("data-copy"));
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      if (done) { done.textContent = copied; }
    });
  });
})();
