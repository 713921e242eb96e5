// The password methods of LoginRadius's Node SDK against the gateway
// (issue 20), called by sdk_calls.js with one tenant's SDK, an account of
// it, its password and a login session; every answer asserted. It returns
// the account's password at the end.

'use strict';

const assert = require('node:assert/strict');

module.exports = async function passwords(client, uid, email, password, session, { ok, refused, posted }) {
  const auth = client.authenticationApi;
  const acct = client.accountApi;
  const other = await ok('authenticationApi.loginByEmail (a second session)', auth.loginByEmail({ email, password }));

  const changed = 'sdk changed horse battery';
  await refused('authenticationApi.changePassword (wrong old password)',
    auth.changePassword(session.access_token, changed, 'not the password'), 967);
  await refused('authenticationApi.changePassword (short)', auth.changePassword(session.access_token, 'abc', password), 1134);
  posted('changePassword', await ok('authenticationApi.changePassword',
    auth.changePassword(session.access_token, changed, password)));
  await refused('authenticationApi.authValidateAccessToken (other session, after the change)',
    auth.authValidateAccessToken(other.access_token), 905);
  await ok('authenticationApi.authValidateAccessToken (the caller, after the change)', auth.authValidateAccessToken(session.access_token));
  await refused('authenticationApi.loginByEmail (password before the change)', auth.loginByEmail({ email, password }), 966);

  const set = 'sdk operator set battery';
  const answer = await ok('accountApi.setAccountPasswordByUid', acct.setAccountPasswordByUid(set, uid));
  assert.deepEqual(answer, { PasswordHash: '' }, 'setAccountPasswordByUid gives out no hash');
  await refused('authenticationApi.authValidateAccessToken (the caller, after the set)', auth.authValidateAccessToken(session.access_token), 905);
  await refused('authenticationApi.loginByEmail (changed password, after the set)', auth.loginByEmail({ email, password: changed }), 966);
  const hash = await refused('accountApi.getAccountPasswordHashByUid', acct.getAccountPasswordHashByUid(uid), 1144);
  assert.equal(hash.PasswordHash, undefined, 'getAccountPasswordHashByUid: a hash in the refusal');

  // A forgot-password token for the back end, no email, then the reset.
  const forgot = await ok('accountApi.getForgotPasswordToken', acct.getForgotPasswordToken(email, null, null, false));
  assert.deepEqual(forgot.IdentityProviders, [], 'getForgotPasswordToken: IdentityProviders');
  const reset = 'sdk back end reset battery';
  posted('resetPasswordByResetToken (forgot token)', await ok('authenticationApi.resetPasswordByResetToken (forgot token)',
    auth.resetPasswordByResetToken({ ResetToken: forgot.ForgotToken, Password: reset })));
  await refused('authenticationApi.loginByEmail (set password, after the reset)', auth.loginByEmail({ email, password: set }), 966);
  return reset;
};
