// The email and username methods of LoginRadius's Node SDK
// (authenticationApi) against the gateway (issue 20), called by
// sdk_calls.js with an account's email, username and access token; every
// answer asserted; with the accountApi's email upsert and removal. The
// username and emails end as they began.

'use strict';

const assert = require('node:assert/strict');

module.exports = async function identifiers(auth, acct, uid, access, email, username, ok, refused) {
  assert.deepEqual(await ok('authenticationApi.checkEmailAvailability', auth.checkEmailAvailability(email.toUpperCase())), { IsExist: true });
  assert.deepEqual(await ok('authenticationApi.checkEmailAvailability (free)',
    auth.checkEmailAvailability('sdk.nobody@example.com')), { IsExist: false });
  assert.deepEqual(await ok('authenticationApi.checkUserNameAvailability', auth.checkUserNameAvailability(username)), { IsExist: true });
  assert.deepEqual(await ok('authenticationApi.checkUserNameAvailability (free)',
    auth.checkUserNameAvailability(username + '-free')), { IsExist: false });
  assert.deepEqual(await ok('authenticationApi.setOrChangeUserName',
    auth.setOrChangeUserName(access, username + '-sdk')), { IsPosted: true });
  assert.equal((await ok('authenticationApi.getProfileByAccessToken (new username)',
    auth.getProfileByAccessToken(access))).UserName, username + '-sdk');
  await refused('authenticationApi.setOrChangeUserName (spaces)', auth.setOrChangeUserName(access, 'two words'), 1134);
  assert.deepEqual(await ok('authenticationApi.setOrChangeUserName (back)',
    auth.setOrChangeUserName(access, username)), { IsPosted: true });

  const more = 'sdk.more@example.com';
  const upserted = await ok('accountApi.upsertEmail', acct.upsertEmail({ Email: [{ Type: 'Secondary', Value: more }] }, uid));
  assert.deepEqual(upserted.Email.map((e) => e.Value), [email, more]);
  await refused('accountApi.removeEmail (not the account\'s)', acct.removeEmail('sdk.nobody@example.com', uid), 1023);
  const removed = await ok('accountApi.removeEmail', acct.removeEmail(more, uid));
  assert.deepEqual(removed.Email.map((e) => e.Value), [email]);
  await ok('accountApi.upsertEmail (again)', acct.upsertEmail({ Email: [{ Type: 'Secondary', Value: more }] }, uid));
  assert.deepEqual(await ok('authenticationApi.removeEmail', auth.removeEmail(access, more)), { IsDeleted: true });
  await refused('authenticationApi.removeEmail (gone)', auth.removeEmail(access, more), 1023);
};
