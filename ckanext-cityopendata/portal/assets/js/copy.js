/* "Copy" buttons next to the API examples. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-cod-copy]");
    if (!button || !navigator.clipboard) { return; }
    var code = document.getElementById(button.getAttribute("data-cod-copy"));
    navigator.clipboard.writeText(code.textContent).then(function () {
      button.textContent = button.getAttribute("data-cod-copied");
    });
  });
})();
