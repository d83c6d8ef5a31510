// The console dashboard's live rate: polls /admin/rate.json every 2 s and shows the
// successful cumulation syncs per second between two readings. Loaded from our origin only
// (the CSP allows no inline script).
(function () {
  'use strict';
  var out = document.getElementById('rate');
  var total = document.getElementById('rate-total');
  if (!out) return;
  var last = null;
  function poll() {
    fetch(out.getAttribute('data-src'), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j) return;
        var now = Date.now();
        if (last) {
          var rate = (j.cumulation_syncs - last.n) / ((now - last.t) / 1000);
          out.textContent = rate.toFixed(1);
        }
        total.textContent = String(j.cumulation_syncs);
        last = { n: j.cumulation_syncs, t: now };
      })
      .catch(function () { /* the next poll tries again */ });
  }
  poll();
  setInterval(poll, 2000);
})();
