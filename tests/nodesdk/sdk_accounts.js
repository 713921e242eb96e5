// The remaining account management methods of LoginRadius's Node SDK
// (accountApi) against the gateway (issue 20), called by sdk_calls.js with
// an account's uid, email and phone; every answer asserted. The phone ends
// as it began; the account deleted by email is one made here.

'use strict';

const assert = require('node:assert/strict');

module.exports = async function accounts(acct, uid, email, phone, password, ok, refused) {
  const found = await ok('accountApi.getAccountIdentitiesByEmail', acct.getAccountIdentitiesByEmail(email));
  assert.deepEqual(found.Data.map((p) => p.Uid), [uid]);
  await refused('accountApi.getAccountIdentitiesByEmail (nobody)', acct.getAccountIdentitiesByEmail('sdk.nobody@example.com'), 938);

  const moved = await ok('accountApi.updatePhoneIDByUid', acct.updatePhoneIDByUid(phone + '9', uid));
  assert.equal(moved.Uid, uid);
  assert.equal(moved.PhoneId, phone + '9');
  await refused('accountApi.updatePhoneIDByUid (not international)', acct.updatePhoneIDByUid('5557770001', uid), 1134);
  assert.equal((await ok('accountApi.updatePhoneIDByUid (back)', acct.updatePhoneIDByUid(phone, uid))).PhoneId, phone);

  const gone = 'sdk.gone@example.com';
  await ok('accountApi.createAccount (to delete by email)', acct.createAccount({ Email: [{ Type: 'Primary', Value: gone }], Password: password }));
  assert.deepEqual(await ok('accountApi.accountDeleteByEmail', acct.accountDeleteByEmail(gone)), { IsDeleted: true, RecordsDeleted: 1 });
  await refused('accountApi.accountDeleteByEmail (gone)', acct.accountDeleteByEmail(gone), 938);
};
