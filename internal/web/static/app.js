// lifeline dashboard: live updates by server-sent events. No framework, no
// inline script (the Content-Security-Policy forbids it), no outside files.
(function () {
  'use strict';

  var root = document.getElementById('dashboard');
  if (!root || !window.EventSource || !window.JSON) {
    return;
  }
  var live = document.getElementById('live');
  var url = root.getAttribute('data-events') || '/events';
  var reloadTimer = null;

  function setLive(ok) {
    if (!live) {
      return;
    }
    live.textContent = live.getAttribute(ok ? 'data-live' : 'data-off');
    live.className = ok ? 'live on' : 'live off';
  }

  function reloadSoon(ms) {
    if (reloadTimer === null) {
      reloadTimer = window.setTimeout(function () { window.location.reload(); }, ms);
    }
  }

  // apply swaps in the re-rendered sentence and tiles. When a tile is
  // missing or the number of checks changed, the page is reloaded.
  function apply(d) {
    var sentence = document.getElementById('sentence');
    if (sentence && d.sentence) {
      sentence.outerHTML = d.sentence;
    }
    var tiles = d.tiles || [];
    if (root.querySelectorAll('.tile').length !== tiles.length) {
      reloadSoon(0);
      return;
    }
    for (var i = 0; i < tiles.length; i++) {
      var el = document.getElementById('check-' + tiles[i].id);
      if (!el) {
        reloadSoon(0);
        return;
      }
      el.outerHTML = tiles[i].html;
    }
    root.setAttribute('data-overall', d.overall);
  }

  var es = new EventSource(url);
  es.addEventListener('open', function () { setLive(true); });
  es.addEventListener('overview', function (e) {
    setLive(true);
    try {
      apply(JSON.parse(e.data));
    } catch (err) {
      reloadSoon(5000);
    }
  });
  // The session ended (logout elsewhere, timeout): reload to the login page.
  es.addEventListener('logout', function () {
    es.close();
    reloadSoon(0);
  });
  es.addEventListener('error', function () {
    setLive(false);
    // CLOSED means the server answered with an error (for example 401
    // after the session expired): the browser will not retry by itself,
    // so reload the page, which leads to the login when needed. Otherwise
    // the browser reconnects on its own.
    if (es.readyState === EventSource.CLOSED) {
      reloadSoon(10000);
    }
  });
})();
