// The e-card's QR code renews itself shortly before it expires, without reloading the page:
// it asks /api/v1/ecard/qr for a new signed token (the page's session cookie; a GET needs no CSRF
// header) and swaps the picture, the expiry time and the verification link. Without JavaScript the
// page reloads itself instead (<noscript> refresh).
(function () {
  "use strict";
  var box = document.getElementById("ecard-qr");
  if (!box || !window.fetch) { return; }
  var endpoint = box.getAttribute("data-endpoint");
  var expiry = document.getElementById("ecard-qr-expiry");
  var link = document.getElementById("ecard-qr-link");
  var lang = document.documentElement.getAttribute("lang") || "en";
  var MARGIN = 10; // seconds before expiry

  // Relative times only: the phone's clock may differ from the server's.
  function schedule(expiresIn) {
    window.setTimeout(renew, Math.max(1, expiresIn - MARGIN) * 1000);
  }

  function showExpiry(iso) {
    if (!expiry) { return; }
    var at = new Date(iso);
    expiry.setAttribute("datetime", iso);
    expiry.textContent = at.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit",
      hour12: false, timeZone: "Asia/Shanghai" });
  }

  function renew() {
    fetch(endpoint, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("status " + r.status); }
        return r.json();
      })
      .then(function (data) {
        box.innerHTML = data.svg;
        box.setAttribute("data-token", data.token);
        if (link) { link.setAttribute("href", data.url); }
        showExpiry(data.expires_at);
        schedule(data.expires_in);
      })
      .catch(function () { window.location.reload(); });
  }

  schedule(parseInt(box.getAttribute("data-expires-in"), 10));
})();
