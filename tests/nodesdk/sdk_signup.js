// The sign-up and email verification methods of LoginRadius's Node SDK
// (authenticationApi) against the gateway (issue 20), called last by
// sdk_calls.js (the welcome email it ends with is the last message, so the
// test's mail count stays in step). Tenant signup verifies by link,
// signupcodes by code; every answer asserted.

'use strict';

const assert = require('node:assert/strict');

module.exports = async function signup(s, codes, verifyURL, need, ok, refused) {
  const auth = s.authenticationApi;
  const email = 'sdk.signup@example.com';
  const password = 'sdk signup horse battery';
  const body = { Email: [{ Type: 'Primary', Value: email }], Password: password, FirstName: 'Sid', PINInfo: { PIN: '3917' } };
  // The SDK requires a SOTT argument; the gateway does not check it.
  assert.deepEqual(await ok('authenticationApi.userRegistrationByEmail',
    auth.userRegistrationByEmail(body, 'sott-not-checked', null, null, null, verifyURL)), { IsPosted: true, Data: null });
  await refused('authenticationApi.userRegistrationByEmail (taken)',
    auth.userRegistrationByEmail(body, 'sott-not-checked', null, null, null, verifyURL), 936);
  await refused('authenticationApi.loginByEmail (unverified)', auth.loginByEmail({ email, password }), 970);
  // The gateway's mail queue has more than one worker, so two mails sent
  // back to back may arrive in either order: take the sign-up mail before
  // asking for the one that replaces it.
  const replaced = await need('mail');
  assert.deepEqual(await ok('authenticationApi.authResendEmailVerification',
    auth.authResendEmailVerification(email, null, verifyURL)), { IsPosted: true });
  const token = await need('mail');
  await refused('authenticationApi.verifyEmail (replaced)', auth.verifyEmail(replaced), 974);
  assert.deepEqual(await ok('authenticationApi.verifyEmail', auth.verifyEmail(token)), { IsPosted: true, Data: null });
  await refused('authenticationApi.verifyEmail (used)', auth.verifyEmail(token), 974);
  const login = await ok('authenticationApi.loginByEmail (verified)', auth.loginByEmail({ email, password }));
  assert.ok(login.session_token, 'the PIN set at sign-up is asked');
  const pinned = await ok('pinAuthenticationApi.pinLogin (signed up)', s.pinAuthenticationApi.pinLogin({ pin: '3917' }, login.session_token));

  const c = codes.authenticationApi;
  const other = 'sdk.signup.code@example.com';
  assert.deepEqual(await ok('authenticationApi.userRegistrationByEmail (code tenant)',
    c.userRegistrationByEmail({ Email: [{ Type: 'Primary', Value: other }], Password: password }, 'sott-not-checked')),
  { IsPosted: true, Data: null });
  const code = await need('mail');
  await refused('authenticationApi.verifyEmailByOTP (wrong)',
    c.verifyEmailByOTP({ email: other, otp: code === '000000' ? '111111' : '000000' }), 1067);
  assert.deepEqual(await ok('authenticationApi.verifyEmailByOTP', c.verifyEmailByOTP({ email: other, otp: code })),
    { IsPosted: true, Data: null });

  // The captcha variant, against the test's local reCAPTCHA stand-in;
  // no verification email, so the mail count stays in step.
  const captcha = (answer) => ({ Email: [{ Type: 'Primary', Value: 'sdk.signup.captcha@example.com' }], Password: password,
    'g-recaptcha-response': answer });
  await refused('authenticationApi.userRegistrationByCaptcha (not solved)',
    auth.userRegistrationByCaptcha(captcha('not solved'), null, null, 'PreventVerificationEmail'), 982);
  assert.deepEqual(await ok('authenticationApi.userRegistrationByCaptcha',
    auth.userRegistrationByCaptcha(captcha('e2e-solved'), null, null, 'PreventVerificationEmail')), { IsPosted: true, Data: null });

  // The management API's verification routes, on the address signed up
  // without an email: a token verifies it; invalidated, it is mailed a
  // link again.
  const acct = s.accountApi;
  const pending = 'sdk.signup.captcha@example.com';
  const vt = await ok('accountApi.getEmailVerificationToken', acct.getEmailVerificationToken(pending));
  assert.deepEqual(Object.keys(vt).sort(), ['VerificationToken', 'expires_in']);
  assert.deepEqual(await ok('authenticationApi.verifyEmail (management token)', auth.verifyEmail(vt.VerificationToken)),
    { IsPosted: true, Data: null });
  await refused('accountApi.getEmailVerificationToken (verified)', acct.getEmailVerificationToken(pending), 1025);
  const { Uid } = await ok('accountApi.getAccountProfileByEmail (signed up)', acct.getAccountProfileByEmail(pending));
  assert.deepEqual(await ok('accountApi.invalidateAccountEmailVerification',
    acct.invalidateAccountEmailVerification(Uid, null, verifyURL)), { IsPosted: true });
  await refused('authenticationApi.loginByEmail (invalidated)', auth.loginByEmail({ email: pending, password }), 970);
  assert.deepEqual(await ok('authenticationApi.verifyEmail (after invalidation)', auth.verifyEmail(await need('mail'))),
    { IsPosted: true, Data: null });

  const added = 'sdk.signup.added@example.com';
  assert.deepEqual(await ok('authenticationApi.addEmail',
    auth.addEmail(pinned.access_token, added, 'Secondary', null, verifyURL)), { IsPosted: true });
  await refused('authenticationApi.addEmail (taken)', auth.addEmail(pinned.access_token, added, 'Secondary', null, verifyURL), 936);
  assert.deepEqual(await ok('authenticationApi.verifyEmail (added)', auth.verifyEmail(await need('mail'))), { IsPosted: true, Data: null });

  assert.deepEqual(await ok('authenticationApi.sendWelcomeEmail', auth.sendWelcomeEmail(pinned.access_token)), { IsPosted: true });
};
