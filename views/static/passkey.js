/*
 * Guichet's passkey pages (views/passkey.ts). Served from our origin under the strict CSP
 * (script-src 'self', nothing inline, no fetch): the options come from the form's data-options,
 * @simplewebauthn/browser (loaded just before) runs the ceremony, and the response goes back as an
 * ordinary form field. Without this script every other way to sign in works unchanged.
 */
(function () {
  'use strict';
  var lib = window.SimpleWebAuthnBrowser;
  var supported = Boolean(lib && lib.browserSupportsWebAuthn());

  // Entry points on the identify and code pages appear only where a ceremony can run.
  if (supported) {
    var entries = document.querySelectorAll('[data-passkey-entry]');
    for (var i = 0; i < entries.length; i++) entries[i].hidden = false;
  }

  var form = document.querySelector('form[data-passkey-ceremony]');
  if (!form) return;
  var status = document.getElementById('passkey-status');
  var field = form.querySelector('input[name="response"]');

  function say(message) {
    if (!status) return;
    status.textContent = message;
    status.hidden = false;
  }

  if (!supported) {
    say(form.getAttribute('data-unsupported'));
    return;
  }

  var busy = false;
  function run() {
    if (busy) return;
    busy = true;
    var optionsJSON = JSON.parse(form.getAttribute('data-options'));
    var ceremony = form.getAttribute('data-passkey-ceremony') === 'create' ? lib.startRegistration({ optionsJSON: optionsJSON }) : lib.startAuthentication({ optionsJSON: optionsJSON });
    ceremony.then(
      function (response) {
        field.value = JSON.stringify(response);
        form.submit();
      },
      function () {
        busy = false;
        say(form.getAttribute('data-cancelled'));
      },
    );
  }

  form.addEventListener('submit', function (event) {
    if (field.value) return;
    event.preventDefault();
    run();
  });
  if (form.hasAttribute('data-autostart')) run();
})();
