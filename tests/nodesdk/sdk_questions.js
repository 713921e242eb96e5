// The security-question methods of LoginRadius's Node SDK that sdk_calls.js
// does not call itself (issue 20): the password reset by security answer
// with each identifier (below), and the MFA authenticator resets
// (mfaResets). The reset by answer is called with one tenant's SDK for an account that
// answers { pet: 'Rex', city: 'Paris' }; every answer asserted. The
// account's password is `password` again at the end.

'use strict';

module.exports = async function questions(client, { email, username, phone, password }, { ok, refused, posted }) {
  const auth = client.authenticationApi;
  const SecurityAnswer = { pet: 'rex', city: ' PARIS ' };
  const first = 'sdk answer battery one';
  const second = 'sdk answer battery two';
  posted('resetPasswordBySecurityAnswerAndEmail', await ok('authenticationApi.resetPasswordBySecurityAnswerAndEmail',
    auth.resetPasswordBySecurityAnswerAndEmail({ Email: email, SecurityAnswer, Password: first })));
  await refused('authenticationApi.loginByEmail (password before the reset by answer)', auth.loginByEmail({ email, password }), 966);
  posted('resetPasswordBySecurityAnswerAndUserName', await ok('authenticationApi.resetPasswordBySecurityAnswerAndUserName',
    auth.resetPasswordBySecurityAnswerAndUserName({ UserName: username, SecurityAnswer, Password: second })));
  await refused('authenticationApi.loginByEmail (password of the reset by email)', auth.loginByEmail({ email, password: first }), 966);
  posted('resetPasswordBySecurityAnswerAndPhone', await ok('authenticationApi.resetPasswordBySecurityAnswerAndPhone',
    auth.resetPasswordBySecurityAnswerAndPhone({ Phone: phone, SecurityAnswer, Password: password })));
  await refused('authenticationApi.loginByEmail (password of the reset by username)', auth.loginByEmail({ email, password: second }), 966);
  await refused('authenticationApi.resetPasswordBySecurityAnswerAndEmail (wrong answer)',
    auth.resetPasswordBySecurityAnswerAndEmail({ Email: email, SecurityAnswer: { pet: 'Tom', city: 'Paris' }, Password: first }), 1093);
  await refused('authenticationApi.resetPasswordBySecurityAnswerAndEmail (unknown account)',
    auth.resetPasswordBySecurityAnswerAndEmail({ Email: 'nobody@example.com', SecurityAnswer, Password: first }), 1259);
  await refused('authenticationApi.resetPasswordBySecurityAnswerAndEmail (short password)',
    auth.resetPasswordBySecurityAnswerAndEmail({ Email: email, SecurityAnswer, Password: 'abc' }), 1134);
};

// mfaResets resets the security-question authenticator of account uid of
// an MFA tenant by the access token of its completed login `login`, checks
// that the next login asks to enrol and enrols `answers`, then resets it by
// uid; a second reset finds no answers (1259).
module.exports.mfaResets = async function mfaResets(client, uid, login, { email, password, answers }, { ok, refused, deleted }) {
  const mfa = client.multiFactorAuthenticationApi;
  deleted('mfaResetSecurityQuestionAuthenticatorByAccessToken', await ok('multiFactorAuthenticationApi.mfaResetSecurityQuestionAuthenticatorByAccessToken',
    mfa.mfaResetSecurityQuestionAuthenticatorByAccessToken(login.access_token)));
  const next = await ok('authenticationApi.loginByEmail (MFA, after the reset)', client.authenticationApi.loginByEmail({ email, password }));
  const sfa = next.SecondFactorAuthentication;
  if (sfa.IsSecurityQuestionAuthenticatorVerified !== false) {
    throw new Error('the login after the reset does not ask to enrol: ' + JSON.stringify(sfa));
  }
  await ok('multiFactorAuthenticationApi.mfaSecurityQuestionAnswer (enrol after the reset)',
    mfa.mfaSecurityQuestionAnswer({ securityquestionanswer: answers }, sfa.SecondFactorAuthenticationToken));
  deleted('mfaResetSecurityQuestionAuthenticatorByUid', await ok('multiFactorAuthenticationApi.mfaResetSecurityQuestionAuthenticatorByUid',
    mfa.mfaResetSecurityQuestionAuthenticatorByUid(uid)));
  await refused('multiFactorAuthenticationApi.mfaResetSecurityQuestionAuthenticatorByUid (no answers left)',
    mfa.mfaResetSecurityQuestionAuthenticatorByUid(uid), 1259);
};
