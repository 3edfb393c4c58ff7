// lifeline counter (Notbetrieb): makes the counter page faster without
// being needed for it. Every link and form works without this script; with
// it, scans and clicks replace the page's #counter part without a reload,
// a name search shows hits while typing (arrow keys and Enter choose), the
// F-keys work, and the scan field keeps the focus. No inline script (CSP),
// no framework, no outside files.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  document.addEventListener('click', function (ev) {
    var p = ev.target.closest && ev.target.closest('[data-print]');
    if (p) {
      ev.preventDefault();
      window.print();
    }
  });

  var refresh = document.querySelector('[data-refresh]');
  if (refresh) {
    window.setTimeout(function () { window.location.reload(); }, 1000 * (Number(refresh.getAttribute('data-refresh')) || 2));
  }

  if (!document.getElementById('counter') || !window.fetch || !window.DOMParser || !window.URLSearchParams || !window.history.replaceState) {
    return;
  }

  // Every action waits for the one before it, so that F2 then F9 books
  // with the payment chosen, and scans typed quickly are taken in order.
  var queue = Promise.resolve();
  function enqueue(fn) {
    queue = queue.then(fn).catch(function () {});
    return queue;
  }

  function scanField() { return document.getElementById('scan'); }
  function root() { return document.getElementById('counter'); }

  function focusScan() {
    var s = scanField();
    if (!s) {
      return;
    }
    var a = document.activeElement;
    if (a && a !== s && a !== document.body && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) {
      return; // someone is typing a reason
    }
    s.focus();
    var n = s.value.length;
    try { s.setSelectionRange(n, n); } catch (e) { /* not a text field */ }
  }

  // load fetches url and puts the page's new #counter in place. What was
  // typed into the scan field meanwhile is kept.
  function load(url) {
    return fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } }).then(function (res) {
      return res.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('counter');
        if (!fresh) {
          window.location.href = res.url || url; // login page, error page: show it whole
          return;
        }
        var typed = scanField() ? scanField().value : '';
        root().replaceWith(document.adoptNode(fresh));
        window.history.replaceState(null, '', res.url || url);
        var s = scanField();
        if (s && typed) {
          s.value = typed;
        }
        focusScan();
      });
    }).catch(function () {
      window.location.href = url;
    });
  }

  // loadWith loads the counter with the basket as the page holds it when
  // the action runs (not when it was asked for) and one action.
  function loadWith(name, value) {
    var f = document.getElementById('scan-form');
    var p = new URLSearchParams(new FormData(f));
    p.delete('q');
    p.set(name, value);
    return load(f.getAttribute('action') + '?' + p.toString());
  }

  function swap(url) { return enqueue(function () { return load(url); }); }

  // Links of the page (toggles, quantities, hits).
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a[data-swap]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) {
      return;
    }
    ev.preventDefault();
    swap(a.href);
  });

  // The scan form and the booking form.
  document.addEventListener('submit', function (ev) {
    var f = ev.target;
    if (f.id === 'scan-form') {
      ev.preventDefault();
      var chosen = selected();
      var s = scanField();
      var q = s.value;
      s.value = '';
      closeSuggest();
      if (chosen) {
        var pzn = chosen.getAttribute('data-pzn');
        enqueue(function () { return loadWith('add', pzn); });
        return;
      }
      enqueue(function () { return loadWith('q', q); });
    } else if (f.id === 'book-form') {
      if (f.getAttribute('data-sent')) {
        ev.preventDefault(); // a double click books once anyway; send once
        return;
      }
      f.setAttribute('data-sent', '1');
      var b = document.getElementById('book');
      if (b) {
        b.setAttribute('aria-busy', 'true');
      }
    }
  });

  // Live search.
  var timer = null;
  var seq = 0;
  var letter = /\p{L}/u;

  function suggest() { return document.getElementById('suggest'); }
  function options() { var s = suggest(); return s ? Array.prototype.slice.call(s.querySelectorAll('[role="option"]')) : []; }
  function selected() {
    var s = suggest();
    return s && !s.hidden ? s.querySelector('[aria-selected="true"]') : null;
  }
  function closeSuggest() {
    var s = suggest();
    var f = scanField();
    if (s) {
      s.hidden = true;
      s.textContent = '';
    }
    if (f) {
      f.setAttribute('aria-expanded', 'false');
      f.removeAttribute('aria-activedescendant');
    }
  }

  function show(hits) {
    var s = suggest();
    var f = scanField();
    if (!s || !f) {
      return;
    }
    s.textContent = '';
    if (!hits.length) {
      closeSuggest();
      return;
    }
    hits.forEach(function (h, i) {
      var li = document.createElement('li');
      li.id = 'sug-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.setAttribute('data-pzn', h.pzn);
      var name = document.createElement('strong');
      name.textContent = h.name;
      var info = document.createElement('span');
      info.className = 'muted';
      info.textContent = ' ' + h.pack + ' · PZN ' + h.pzn + ' · ' + h.avp + ' · ' + h.rx;
      li.appendChild(name);
      li.appendChild(info);
      li.addEventListener('mousedown', function (ev) {
        ev.preventDefault();
        closeSuggest();
        f.value = '';
        enqueue(function () { return loadWith('add', h.pzn); });
      });
      s.appendChild(li);
    });
    s.hidden = false;
    f.setAttribute('aria-expanded', 'true');
  }

  function search(v) {
    var my = ++seq;
    var f = document.getElementById('scan-form');
    var params = new URLSearchParams(new FormData(f));
    params.set('q', v);
    fetch(root().getAttribute('data-search') + '?' + params.toString(), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        var s = scanField();
        if (my !== seq || !d || !s || s.value.trim() !== v) {
          return;
        }
        show(d.hits || []);
      })
      .catch(function () { /* the form still works */ });
  }

  document.addEventListener('input', function (ev) {
    if (ev.target.id !== 'scan') {
      return;
    }
    var v = ev.target.value.trim();
    window.clearTimeout(timer);
    seq++;
    if (v.length < 2 || !letter.test(v) || v.charAt(0) === '{' || v.indexOf('[)>') === 0) {
      closeSuggest();
      return;
    }
    timer = window.setTimeout(function () { search(v); }, 150);
  });

  function move(delta) {
    var opts = options();
    if (!opts.length) {
      return;
    }
    var i = opts.indexOf(selected());
    i = i < 0 ? (delta > 0 ? 0 : opts.length - 1) : (i + delta + opts.length) % opts.length;
    opts.forEach(function (o, j) { o.setAttribute('aria-selected', j === i ? 'true' : 'false'); });
    scanField().setAttribute('aria-activedescendant', opts[i].id);
    opts[i].scrollIntoView({ block: 'nearest' });
  }

  function clickID(id) {
    var el = document.getElementById(id);
    if (el && el.href) {
      return load(el.href);
    }
    return null;
  }

  document.addEventListener('keydown', function (ev) {
    if (!root()) {
      return;
    }
    if (ev.target.id === 'scan') {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        if (options().length) {
          ev.preventDefault();
          move(ev.key === 'ArrowDown' ? 1 : -1);
        }
        return;
      }
      if (ev.key === 'Escape') {
        ev.preventDefault();
        if (suggest() && !suggest().hidden) {
          closeSuggest();
        } else {
          ev.target.value = '';
        }
        return;
      }
    }
    switch (ev.key) {
    case 'F2':
      ev.preventDefault();
      enqueue(function () { return clickID('pay-cash'); });
      break;
    case 'F3':
      ev.preventDefault();
      enqueue(function () { return clickID('pay-card'); });
      break;
    case 'F4':
      ev.preventDefault();
      enqueue(function () {
        var minor = document.getElementById('age-minor');
        return clickID(minor && minor.getAttribute('aria-pressed') === 'true' ? 'age-adult' : 'age-minor');
      });
      break;
    case 'F8':
      ev.preventDefault();
      enqueue(function () { return clickID('exempt'); });
      break;
    case 'F9':
      ev.preventDefault();
      enqueue(function () {
        var f = document.getElementById('book-form');
        var b = document.getElementById('book');
        if (f && b && !b.disabled) {
          f.requestSubmit(b);
        } else {
          var hint = document.getElementById('book-hint');
          if (hint) {
            hint.setAttribute('role', 'alert');
          }
        }
      });
      break;
    default:
      // A key typed while nothing has the focus goes to the scan field.
      if (ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey && !ev.altKey && (document.activeElement === document.body || !document.activeElement)) {
        focusScan();
      }
    }
  });

  focusScan();
}());
