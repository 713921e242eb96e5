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

  // The PIN pad: on-screen digits, and it submits itself once the PIN has
  // the length this device last used.
  var form = document.getElementById('pin-form');
  if (!form) return;
  var input = document.getElementById('pin');
  // With a captcha to solve first, the person submits.
  var want = form.querySelector('.captcha') ? 0 : parseInt(form.getAttribute('data-pin-length'), 10) || 0;
  var max = input.maxLength > 0 ? input.maxLength : 16;

  function changed() {
    var digits = input.value.replace(/[^0-9]/g, '').slice(0, max);
    if (digits !== input.value) input.value = digits;
    if (want > 0 && digits.length === want && !form.getAttribute('data-sent')) {
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
  }
  input.addEventListener('input', changed);

  var pad = form.querySelector('.keypad');
  if (!pad) return;
  pad.hidden = false;
  // The on-screen pad replaces the phone's own keyboard: without this a
  // tap on the field opens the numeric keyboard over the pad. The field
  // stays a real input, so a hardware keyboard still types into it; the
  // first key typed there hides the pad and gives the field its keyboard
  // back (issue 19).
  input.setAttribute('inputmode', 'none');
  input.addEventListener('keydown', function (ev) {
    if (pad.hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (/^[0-9]$/.test(ev.key) || ev.key === 'Backspace') {
      pad.hidden = true;
      input.setAttribute('inputmode', 'numeric');
    }
  });
  pad.addEventListener('click', function (ev) {
    var b = ev.target.closest('button');
    if (!b) return;
    if (b.hasAttribute('data-digit')) {
      if (input.value.length < max) input.value += b.getAttribute('data-digit');
    } else if (b.hasAttribute('data-delete')) {
      input.value = input.value.slice(0, -1);
    }
    changed();
  });
})();
