// A page shown for a POST (a form with errors) takes, in the browser's history, the address of its
// form's GET page with the draft of what was typed: Back and reload then show the same values and
// errors again instead of the browser's "Confirm form resubmission" page (ERR_CACHE_MISS).
(function () {
  var script = document.currentScript;
  var url = script && script.getAttribute("data-get-url");
  if (url && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", url);
  }
})();
