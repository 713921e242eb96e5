// The account self-service methods of LoginRadius's Node SDK
// (authenticationApi) against the gateway (issue 20), called by
// sdk_calls.js on an account made for it: the account is captcha-locked by
// wrong PINs and lifts its lock with a solved captcha
// (unlockAccountByToken), then asks for its deletion by email
// (deleteAccountWithEmailConfirmation) and is deleted with the mailed
// token (deleteAccountByDeleteToken). Every answer asserted.

'use strict';

const assert = require('node:assert/strict');

module.exports = async function selfService(demo, password, deleteURL, { ok, refused, need }) {
  const auth = demo.authenticationApi;
  const email = 'sdk.leaving@example.com';
  await ok('accountApi.createAccount (leaving)', demo.accountApi.createAccount({
    Email: [{ Type: 'Primary', Value: email }], Password: password, PINInfo: { PIN: '4821' },
  }));
  const login = await ok('authenticationApi.loginByEmail (leaving)', auth.loginByEmail({ email, password }));
  for (let i = 1; i <= 5; i++) {
    await refused('pinAuthenticationApi.pinLogin (wrong PIN ' + i + ', leaving)',
      demo.pinAuthenticationApi.pinLogin({ pin: '9999' }, login.session_token), 1236);
  }
  await refused('authenticationApi.loginByEmail (captcha-locked)', auth.loginByEmail({ email, password }), 1132);
  await refused('authenticationApi.unlockAccountByToken (wrong captcha)',
    auth.unlockAccountByToken(login.access_token, { 'g-recaptcha-response': 'not solved' }), 982);
  assert.deepEqual(await ok('authenticationApi.unlockAccountByToken',
    auth.unlockAccountByToken(login.access_token, { 'g-recaptcha-response': 'e2e-solved' })), { IsPosted: true });
  await refused('authenticationApi.unlockAccountByToken (not locked)',
    auth.unlockAccountByToken(login.access_token, { 'g-recaptcha-response': 'e2e-solved' }), 1221);
  await ok('authenticationApi.loginByEmail (unlocked)', auth.loginByEmail({ email, password }));

  assert.deepEqual(await ok('authenticationApi.deleteAccountWithEmailConfirmation',
    auth.deleteAccountWithEmailConfirmation(login.access_token, deleteURL, 'LoginRadius delete')), { IsDeleteRequestAccepted: true });
  const token = await need('mail');
  assert.deepEqual(await ok('authenticationApi.deleteAccountByDeleteToken', auth.deleteAccountByDeleteToken(token)), { IsPosted: true });
  await refused('authenticationApi.deleteAccountByDeleteToken (used)', auth.deleteAccountByDeleteToken(token), 1119);
  await refused('authenticationApi.loginByEmail (deleted)', auth.loginByEmail({ email, password }), 966);
};
