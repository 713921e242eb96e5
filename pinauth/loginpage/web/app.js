// caddy-pinauth login page: optional enhancements. Every form works
// without this script.
(function () {
  'use strict';

  // No double submits; reset when the page comes back from the cache.
  var forms = document.querySelectorAll('form');
  Array.prototype.forEach.call(forms, function (f) {
    f.addEventListener('submit', function (ev) {
      if (f.getAttribute('data-sent')) {
        ev.preventDefault();
        return;
      }
      f.setAttribute('data-sent', '1');
      var b = f.querySelector('button[type="submit"]');
      if (b) b.setAttribute('aria-disabled', 'true');
    });
  });
  window.addEventListener('pageshow', function () {
    Array.prototype.forEach.call(forms, function (f) {
      f.removeAttribute('data-sent');
      var b = f.querySelector('button[type="submit"]');
      if (b) b.removeAttribute('aria-disabled');
    });
  });

  // The PIN pad submits itself once the PIN has the length this device
  // last used.
  var form = document.getElementById('pin-form');
  if (form) {
    var input = document.getElementById('pin');
    // With a captcha to solve first, the person submits.
    var want = form.querySelector('.captcha') ? 0 : parseInt(form.getAttribute('data-pin-length'), 10) || 0;
    input.addEventListener('input', function () {
      var digits = input.value.replace(/[^0-9]/g, '').slice(0, input.maxLength > 0 ? input.maxLength : 16);
      if (digits !== input.value) input.value = digits;
      if (want > 0 && digits.length === want && !form.getAttribute('data-sent')) {
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    });
  }

  // The on-screen keypads type into their form's PIN fields (the one last
  // focused). They replace the phone's own keyboard: without inputmode
  // none a tap on a field opens the numeric keyboard over the pad. The
  // fields stay real inputs, so a hardware keyboard still types into them;
  // the first key typed there hides the pad and gives the fields their
  // keyboard back (issue 19).
  Array.prototype.forEach.call(document.querySelectorAll('form .keypad'), function (pad) {
    var fields = pad.closest('form').querySelectorAll('.pin-input');
    if (!fields.length) return;
    var target = fields[0];
    pad.hidden = false;
    Array.prototype.forEach.call(fields, function (f) {
      f.setAttribute('inputmode', 'none');
      f.addEventListener('focus', function () { target = f; });
      f.addEventListener('keydown', function (ev) {
        if (pad.hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
        if (/^[0-9]$/.test(ev.key) || ev.key === 'Backspace') {
          pad.hidden = true;
          Array.prototype.forEach.call(fields, function (g) { g.setAttribute('inputmode', 'numeric'); });
        }
      });
    });
    pad.addEventListener('click', function (ev) {
      var b = ev.target.closest('button');
      if (!b) return;
      var max = target.maxLength > 0 ? target.maxLength : 16;
      if (b.hasAttribute('data-digit')) {
        if (target.value.length < max) target.value += b.getAttribute('data-digit');
      } else if (b.hasAttribute('data-delete')) {
        target.value = target.value.slice(0, -1);
      }
      target.dispatchEvent(new Event('input'));
    });
  });
})();
