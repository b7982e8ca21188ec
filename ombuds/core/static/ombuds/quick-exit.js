/* "Leave this page quickly", made quicker: the page is hidden at once and replaced in the
   browser's history, so Back does not bring it back. Without JavaScript the same link
   still leaves (the server ends the reporter's session and sends her to the neutral site). */
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) {
    return;
  }
  link.addEventListener("click", function (event) {
    event.preventDefault();
    document.body.hidden = true;
    window.location.replace(link.href);
  });
})();
