// lifeline fleet console: refreshes the live part of a rollout page.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !live.dataset.live) { return; }
  function refresh() {
    fetch(live.dataset.live, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () { /* keep the last view; try again */ });
  }
  setInterval(refresh, 5000);
})();
