// lifeline hospital downtime view: print buttons (no inline script: the
// site's Content-Security-Policy forbids it).
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-print]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });
});
