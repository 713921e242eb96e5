// LoginRadius's Node SDK (loginradius-sdk 11.7.0, unchanged) against the
// gateway: every SDK method whose route the gateway serves, called the way
// an app calls it, with the answers asserted. Run by
// tests/nodesdk_test.go, which starts Caddy on https://localhost:443 (the
// SDK speaks to port 443 of a host name only) and answers this script's
// "NEED mail" and "NEED sms" lines on standard input with the reset token
// or code the gateway just sent. Each call is announced as "CALL <name>";
// the script ends with "DONE" or exits non-zero with the failed assertion.
//
// Bodies stay ASCII: the SDK sends Content-Length as the JSON text's length
// in characters, not bytes, so a body with a non-ASCII character is cut
// short on the wire (an SDK fault, not the gateway's).

'use strict';

const assert = require('node:assert/strict');
const readline = require('node:readline');

const lr = require(process.env.PINAUTH_SDK);
const roles = require('./sdk_roles.js');
const passwords = require('./sdk_passwords.js');
const identifiers = require('./sdk_identifiers.js');
const selfService = require('./sdk_selfservice.js');
const questions = require('./sdk_questions.js');
const accounts = require('./sdk_accounts.js');
const signup = require('./sdk_signup.js');
const tenants = JSON.parse(process.env.PINAUTH_TENANTS);
const resetURL = process.env.PINAUTH_RESET_URL;

function sdk(t) {
  return lr({ apiKey: t.key, apiSecret: t.secret, apiDomain: process.env.PINAUTH_HOST });
}

const input = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// need asks the test for the token or code of the message the gateway just
// sent ("mail" or "sms").
async function need(kind) {
  console.log('NEED ' + kind);
  const line = await input.next();
  if (line.done) {
    throw new Error('standard input closed while waiting for a ' + kind);
  }
  return line.value.trim();
}

// ok awaits a call that must succeed and returns its answer.
async function ok(name, promise) {
  console.log('CALL ' + name);
  try {
    return await promise;
  } catch (e) {
    throw new Error(name + ' failed: ' + JSON.stringify(e));
  }
}

// refused awaits a call that must answer the LoginRadius error code.
async function refused(name, promise, code) {
  console.log('CALL ' + name);
  let answer;
  try {
    answer = await promise;
  } catch (e) {
    assert.equal(e.ErrorCode, code, name + ': ' + JSON.stringify(e));
    assert.equal(typeof e.Message, 'string', name + ': no Message');
    assert.equal(typeof e.Description, 'string', name + ': no Description');
    return e;
  }
  throw new Error(name + ' succeeded, want ' + code + ': ' + JSON.stringify(answer));
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const date = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/;

// loginAnswer checks a LoginRadius login answer and returns it.
function loginAnswer(name, r, uid, withSession) {
  assert.equal(r.Profile.Uid, uid, name + ': Profile.Uid');
  assert.ok(r.access_token.length > 0, name + ': access_token');
  assert.match(r.refresh_token, uuid, name + ': refresh_token');
  assert.match(r.expires_in, date, name + ': expires_in');
  assert.equal(r.Profile.Password, undefined, name + ': the profile carries a password');
  if (withSession) {
    assert.match(r.session_token, uuid, name + ': session_token');
    assert.match(r.session_expires_in, date, name + ': session_expires_in');
  }
  return r;
}

function posted(name, r) {
  assert.equal(r.IsPosted, true, name + ': ' + JSON.stringify(r));
}

function deleted(name, r) {
  assert.equal(r.IsDeleted, true, name + ': ' + JSON.stringify(r));
}

const email = 'sdk.alice@example.com';
const username = 'sdkalice';
const phone = '+15557770001';
const password = 'sdk correct horse battery';
const answers = [
  { QuestionId: 'pet', Answer: 'Rex' },
  { QuestionId: 'city', Answer: 'Paris' },
];

async function main() {
  const demo = sdk(tenants.demo);
  const acct = demo.accountApi;
  const auth = demo.authenticationApi;
  const pin = demo.pinAuthenticationApi;
  const reauth = demo.reAuthenticationApi;
  const mfa = demo.multiFactorAuthenticationApi;

  // Management: create, find by every identifier, read, update.
  const created = await ok('accountApi.createAccount', acct.createAccount({
    Email: [{ Type: 'Primary', Value: email }], UserName: username, PhoneId: phone,
    Password: password, FirstName: 'Alice', LastName: 'Smith',
  }));
  const uid = created.Uid;
  assert.ok(uid, 'createAccount: Uid');
  assert.equal(created.Email[0].Value, email);
  assert.equal(created.Password, undefined, 'createAccount returned a password');
  for (const [name, call] of [
    ['accountApi.getAccountProfileByEmail', acct.getAccountProfileByEmail(email)],
    ['accountApi.getAccountProfileByUserName', acct.getAccountProfileByUserName(username)],
    ['accountApi.getAccountProfileByPhone', acct.getAccountProfileByPhone(phone)],
    ['accountApi.getAccountProfileByUid', acct.getAccountProfileByUid(uid)],
  ]) {
    assert.equal((await ok(name, call)).Uid, uid, name);
  }
  const updated = await ok('accountApi.updateAccountByUid', acct.updateAccountByUid({ FirstName: 'Alicia' }, uid));
  assert.equal(updated.FirstName, 'Alicia');

  // First login: no PIN yet, so 1243 with a PINAuthToken; set the PIN.
  const first = await refused('authenticationApi.loginByEmail (no PIN yet)',
    auth.loginByEmail({ email, password }), 1243);
  assert.match(first.Data.PINAuthToken, uuid);
  loginAnswer('pinAuthenticationApi.setPINByPinAuthToken', await ok('pinAuthenticationApi.setPINByPinAuthToken',
    pin.setPINByPinAuthToken({ PIN: '4821' }, first.Data.PINAuthToken)), uid, true);

  // Password logins by email, username and phone; PIN logins.
  const byEmail = loginAnswer('loginByEmail', await ok('authenticationApi.loginByEmail',
    auth.loginByEmail({ email, password })), uid, true);
  loginAnswer('loginByUserName', await ok('authenticationApi.loginByUserName',
    auth.loginByUserName({ username, password })), uid, true);
  loginAnswer('loginByPhone', await ok('phoneAuthenticationApi.loginByPhone',
    demo.phoneAuthenticationApi.loginByPhone({ phone, password })), uid, true);
  // The risk-based-authentication variants post the same login (their
  // template parameters name LoginRadius notices the gateway does not send).
  const rba = demo.riskBasedAuthenticationApi;
  loginAnswer('rbaLoginByEmail', await ok('riskBasedAuthenticationApi.rbaLoginByEmail',
    rba.rbaLoginByEmail({ email, password })), uid, true);
  loginAnswer('rbaLoginByUserName', await ok('riskBasedAuthenticationApi.rbaLoginByUserName',
    rba.rbaLoginByUserName({ username, password })), uid, true);
  loginAnswer('rbaLoginByPhone', await ok('riskBasedAuthenticationApi.rbaLoginByPhone',
    rba.rbaLoginByPhone({ phone, password })), uid, true);
  const byPIN = loginAnswer('pinLogin', await ok('pinAuthenticationApi.pinLogin',
    pin.pinLogin({ pin: '4821' }, byEmail.session_token)), uid, false);
  await refused('pinAuthenticationApi.pinLogin (wrong PIN)', pin.pinLogin({ pin: '9999' }, byEmail.session_token), 1236);
  await refused('authenticationApi.loginByEmail (wrong password)', auth.loginByEmail({ email, password: 'nope nope nope' }), 966);

  // The access token: validate, info, profile, profile update.
  const access = byPIN.access_token;
  const valid = await ok('authenticationApi.authValidateAccessToken', auth.authValidateAccessToken(access));
  assert.equal(valid.access_token, access);
  assert.match(valid.expires_in, date);
  const info = await ok('authenticationApi.getAccessTokenInfo', auth.getAccessTokenInfo(access));
  assert.equal(info.access_token, access);
  const profile = await ok('authenticationApi.getProfileByAccessToken', auth.getProfileByAccessToken(access));
  assert.equal(profile.Uid, uid);
  assert.equal(profile.FirstName, 'Alicia');
  const own = await ok('authenticationApi.updateProfileByAccessToken',
    auth.updateProfileByAccessToken(access, { LastName: 'Jones' }));
  posted('updateProfileByAccessToken', own);
  assert.equal(own.Data.LastName, 'Jones');
  await identifiers(auth, demo.accountApi, uid, access, email, username, ok, refused);
  await selfService(demo, password, resetURL, { ok, refused, need });
  await accounts(acct, uid, email, phone, password, ok, refused);
  await refused('authenticationApi.authValidateAccessToken (unknown token)',
    auth.authValidateAccessToken('not-a-token'), 905);

  // Refresh, revoke a refresh family, log out.
  const refreshed = await ok('accountApi.refreshAccessTokenByRefreshToken',
    acct.refreshAccessTokenByRefreshToken(byPIN.refresh_token));
  assert.match(refreshed.refresh_token, uuid);
  assert.notEqual(refreshed.refresh_token, byPIN.refresh_token);
  await ok('authenticationApi.authValidateAccessToken (refreshed)', auth.authValidateAccessToken(refreshed.access_token));
  deleted('revokeRefreshToken', await ok('accountApi.revokeRefreshToken', acct.revokeRefreshToken(refreshed.refresh_token)));
  await refused('accountApi.refreshAccessTokenByRefreshToken (revoked)',
    acct.refreshAccessTokenByRefreshToken(refreshed.refresh_token), 1217);
  posted('authInValidateAccessToken', await ok('authenticationApi.authInValidateAccessToken',
    auth.authInValidateAccessToken(refreshed.access_token)));
  await refused('authenticationApi.authValidateAccessToken (logged out)', auth.authValidateAccessToken(access), 905);

  // Security questions: set the answers, list them by every identifier,
  // step up with them and with the PIN, and validate the step-ups.
  let session = loginAnswer('loginByEmail', await ok('authenticationApi.loginByEmail',
    auth.loginByEmail({ email, password })), uid, true);
  posted('mfaSecurityQuestionAnswerByAccessToken', await ok('multiFactorAuthenticationApi.mfaSecurityQuestionAnswerByAccessToken',
    mfa.mfaSecurityQuestionAnswerByAccessToken(session.access_token, { securityquestionanswer: answers })));
  for (const [name, call] of [
    ['authenticationApi.getSecurityQuestionsByEmail', auth.getSecurityQuestionsByEmail(email)],
    ['authenticationApi.getSecurityQuestionsByUserName', auth.getSecurityQuestionsByUserName(username)],
    ['authenticationApi.getSecurityQuestionsByPhone', auth.getSecurityQuestionsByPhone(phone)],
    ['authenticationApi.getSecurityQuestionsByAccessToken', auth.getSecurityQuestionsByAccessToken(session.access_token)],
  ]) {
    const qs = await ok(name, call);
    assert.deepEqual(qs.map((q) => q.QuestionId).sort(), ['city', 'pet'], name);
    assert.ok(qs.every((q) => typeof q.Question === 'string' && q.Question.length > 0), name);
  }
  const byAnswers = await ok('reAuthenticationApi.reAuthBySecurityQuestion',
    reauth.reAuthBySecurityQuestion(session.access_token, { securityquestionanswer: answers }));
  assert.match(byAnswers.SecondFactorValidationToken, uuid);
  const valid2FA = await ok('reAuthenticationApi.verifyMultiFactorOtpReauthentication',
    reauth.verifyMultiFactorOtpReauthentication({ SecondFactorValidationToken: byAnswers.SecondFactorValidationToken }, uid));
  assert.equal(valid2FA.IsValid, true);
  await refused('reAuthenticationApi.verifyMultiFactorOtpReauthentication (spent)',
    reauth.verifyMultiFactorOtpReauthentication({ SecondFactorValidationToken: byAnswers.SecondFactorValidationToken }, uid), 1193);
  const byPINStep = await ok('reAuthenticationApi.verifyPINAuthentication',
    reauth.verifyPINAuthentication(session.access_token, { pin: '4821' }));
  assert.match(byPINStep.SecondFactorValidationToken, uuid);
  const validPIN = await ok('reAuthenticationApi.verifyMultiFactorPINReauthentication',
    reauth.verifyMultiFactorPINReauthentication({ SecondFactorValidationToken: byPINStep.SecondFactorValidationToken }, uid));
  assert.equal(validPIN.IsValid, true);

  // PIN change; the PIN session_token's own invalidation.
  posted('changePINByAccessToken', await ok('pinAuthenticationApi.changePINByAccessToken',
    pin.changePINByAccessToken(session.access_token, { oldpin: '4821', newpin: '5937' })));
  loginAnswer('pinLogin', await ok('pinAuthenticationApi.pinLogin (new PIN)',
    pin.pinLogin({ pin: '5937' }, session.session_token)), uid, false);
  posted('inValidatePinSessionToken', await ok('pinAuthenticationApi.inValidatePinSessionToken',
    pin.inValidatePinSessionToken(session.session_token)));
  await refused('pinAuthenticationApi.pinLogin (invalidated session_token)',
    pin.pinLogin({ pin: '5937' }, session.session_token), 1245);

  // Forgotten PINs: links by email and username, a code by SMS, answers by
  // email, username and phone. Each reset ends the account's sessions.
  posted('sendForgotPINEmailByEmail', await ok('pinAuthenticationApi.sendForgotPINEmailByEmail',
    pin.sendForgotPINEmailByEmail({ Email: email }, '', resetURL)));
  posted('resetPINByResetToken', await ok('pinAuthenticationApi.resetPINByResetToken',
    pin.resetPINByResetToken({ ResetToken: await need('mail'), PIN: '6048' })));
  posted('sendForgotPINEmailByUsername', await ok('pinAuthenticationApi.sendForgotPINEmailByUsername',
    pin.sendForgotPINEmailByUsername({ UserName: username }, '', resetURL)));
  const token = await need('mail');
  posted('resetPINByResetToken', await ok('pinAuthenticationApi.resetPINByResetToken (by username)',
    pin.resetPINByResetToken({ ResetToken: token, PIN: '7159' })));
  await refused('pinAuthenticationApi.resetPINByResetToken (spent)', pin.resetPINByResetToken({ ResetToken: token, PIN: '7160' }), 1248);
  const sms = await ok('pinAuthenticationApi.sendForgotPINSMSByPhone', pin.sendForgotPINSMSByPhone({ Phone: phone }));
  posted('sendForgotPINSMSByPhone', sms);
  posted('resetPINByPhoneAndOtp', await ok('pinAuthenticationApi.resetPINByPhoneAndOtp',
    pin.resetPINByPhoneAndOtp({ Phone: phone, OTP: await need('sms'), PIN: '8260' })));
  const byAnswer = { pet: 'Rex', city: 'Paris' };
  posted('resetPINByEmailAndSecurityAnswer', await ok('pinAuthenticationApi.resetPINByEmailAndSecurityAnswer',
    pin.resetPINByEmailAndSecurityAnswer({ Email: email, SecurityAnswer: byAnswer, PIN: '9371' })));
  posted('resetPINByUsernameAndSecurityAnswer', await ok('pinAuthenticationApi.resetPINByUsernameAndSecurityAnswer',
    pin.resetPINByUsernameAndSecurityAnswer({ UserName: username, SecurityAnswer: byAnswer, PIN: '1482' })));
  posted('resetPINByPhoneAndSecurityAnswer', await ok('pinAuthenticationApi.resetPINByPhoneAndSecurityAnswer',
    pin.resetPINByPhoneAndSecurityAnswer({ Phone: phone, SecurityAnswer: byAnswer, PIN: '2593' })));
  await refused('pinAuthenticationApi.resetPINByEmailAndSecurityAnswer (wrong answer)',
    pin.resetPINByEmailAndSecurityAnswer({ Email: email, SecurityAnswer: { pet: 'Tom', city: 'Paris' }, PIN: '3604' }), 1093);
  // The password by the same answers (sdk_questions.js).
  await questions(demo, { email, username, phone, password }, { ok, refused, posted });
  session = loginAnswer('loginByEmail', await ok('authenticationApi.loginByEmail (after the resets)',
    auth.loginByEmail({ email, password })), uid, true);
  loginAnswer('pinLogin', await ok('pinAuthenticationApi.pinLogin (reset PIN)',
    pin.pinLogin({ pin: '2593' }, session.session_token)), uid, false);

  // Forgotten password: a link by email, then the reset.
  posted('forgotPassword', await ok('authenticationApi.forgotPassword', auth.forgotPassword(email, resetURL)));
  const newPassword = 'sdk new horse battery';
  posted('resetPasswordByResetToken', await ok('authenticationApi.resetPasswordByResetToken',
    auth.resetPasswordByResetToken({ ResetToken: await need('mail'), Password: newPassword })));
  await refused('authenticationApi.loginByEmail (old password)', auth.loginByEmail({ email, password }), 966);
  session = loginAnswer('loginByEmail', await ok('authenticationApi.loginByEmail (new password)',
    auth.loginByEmail({ email, password: newPassword })), uid, true);

  // Password change by the owner, set by the operator (sdk_passwords.js).
  const setPassword = await passwords(demo, uid, email, newPassword, session, { ok, refused, posted });
  session = loginAnswer('loginByEmail', await ok('authenticationApi.loginByEmail (set password)',
    auth.loginByEmail({ email, password: setPassword })), uid, true);

  // Roles management: the role catalogue, the account's roles and its
  // role contexts (sdk_roles.js).
  await roles(demo, uid, ok, refused, deleted);

  // Every refresh token of the account, then the account itself.
  deleted('revokeAllRefreshToken', await ok('accountApi.revokeAllRefreshToken', acct.revokeAllRefreshToken(uid)));
  await refused('accountApi.refreshAccessTokenByRefreshToken (all revoked)',
    acct.refreshAccessTokenByRefreshToken(session.refresh_token), 1217);
  deleted('deleteAccountByUid', await ok('accountApi.deleteAccountByUid', acct.deleteAccountByUid(uid)));
  await refused('accountApi.getAccountProfileByUid (deleted)', acct.getAccountProfileByUid(uid), 938);

  // A tenant whose forgot-PIN emails carry codes: reset by email and by
  // username with the code.
  const otp = sdk(tenants.otp);
  const otpUID = (await ok('accountApi.createAccount (code tenant)', otp.accountApi.createAccount({
    Email: [{ Type: 'Primary', Value: email }], UserName: username, Password: password, PINInfo: { PIN: '4821' },
  }))).Uid;
  posted('sendForgotPINEmailByEmail', await ok('pinAuthenticationApi.sendForgotPINEmailByEmail (code)',
    otp.pinAuthenticationApi.sendForgotPINEmailByEmail({ Email: email })));
  posted('resetPINByEmailAndOtp', await ok('pinAuthenticationApi.resetPINByEmailAndOtp',
    otp.pinAuthenticationApi.resetPINByEmailAndOtp({ Email: email, OTP: await need('mail'), PIN: '5716' })));
  posted('sendForgotPINEmailByUsername', await ok('pinAuthenticationApi.sendForgotPINEmailByUsername (code)',
    otp.pinAuthenticationApi.sendForgotPINEmailByUsername({ UserName: username })));
  posted('resetPINByUsernameAndOtp', await ok('pinAuthenticationApi.resetPINByUsernameAndOtp',
    otp.pinAuthenticationApi.resetPINByUsernameAndOtp({ UserName: username, OTP: await need('mail'), PIN: '6827' })));
  // Its forgotten-password emails carry codes too: reset by email and by
  // username with the code.
  posted('forgotPassword', await ok('authenticationApi.forgotPassword (code)',
    otp.authenticationApi.forgotPassword(email, resetURL)));
  const codePassword = 'sdk code horse battery';
  posted('resetPasswordByEmailOTP', await ok('authenticationApi.resetPasswordByEmailOTP',
    otp.authenticationApi.resetPasswordByEmailOTP({ Email: email, Otp: await need('mail'), Password: codePassword })));
  posted('forgotPassword', await ok('authenticationApi.forgotPassword (code, again)',
    otp.authenticationApi.forgotPassword(email, resetURL)));
  const otpPassword = 'sdk username horse battery';
  posted('resetPasswordByOTPAndUserName', await ok('authenticationApi.resetPasswordByOTPAndUserName',
    otp.authenticationApi.resetPasswordByOTPAndUserName({ UserName: username, Otp: await need('mail'), Password: otpPassword })));
  await refused('authenticationApi.loginByEmail (code tenant, replaced password)',
    otp.authenticationApi.loginByEmail({ email, password: codePassword }), 966);
  const otpLogin = loginAnswer('loginByEmail', await ok('authenticationApi.loginByEmail (code tenant)',
    otp.authenticationApi.loginByEmail({ email, password: otpPassword })), otpUID, true);
  loginAnswer('pinLogin', await ok('pinAuthenticationApi.pinLogin (code tenant)',
    otp.pinAuthenticationApi.pinLogin({ pin: '6827' }, otpLogin.session_token)), otpUID, false);

  // A tenant that requires security answers after the password: enrol
  // during the first login, answer during the next.
  const mf = sdk(tenants.mfa);
  const mfUID = (await ok('accountApi.createAccount (MFA tenant)', mf.accountApi.createAccount({
    Email: [{ Type: 'Primary', Value: email }], Password: password, PINInfo: { PIN: '4821' },
  }))).Uid;
  let second = await ok('authenticationApi.loginByEmail (MFA, first)', mf.authenticationApi.loginByEmail({ email, password }));
  let sfa = second.SecondFactorAuthentication;
  assert.match(sfa.SecondFactorAuthenticationToken, uuid);
  assert.equal(sfa.IsSecurityQuestionAuthenticatorVerified, false);
  assert.deepEqual(sfa.SecurityQuestions.map((q) => q.QuestionId).sort(), ['city', 'pet']);
  loginAnswer('mfaSecurityQuestionAnswer', await ok('multiFactorAuthenticationApi.mfaSecurityQuestionAnswer',
    mf.multiFactorAuthenticationApi.mfaSecurityQuestionAnswer({ securityquestionanswer: answers }, sfa.SecondFactorAuthenticationToken)), mfUID, true);
  second = await ok('authenticationApi.loginByEmail (MFA, second)', mf.authenticationApi.loginByEmail({ email, password }));
  sfa = second.SecondFactorAuthentication;
  assert.equal(sfa.IsSecurityQuestionAuthenticatorVerified, true);
  await refused('multiFactorAuthenticationApi.mfaSecurityQuestionAnswerVerification (wrong)',
    mf.multiFactorAuthenticationApi.mfaSecurityQuestionAnswerVerification(
      { securityquestionanswer: [{ QuestionId: 'pet', Answer: 'Tom' }, answers[1]] }, sfa.SecondFactorAuthenticationToken), 1093);
  const mfLogin = loginAnswer('mfaSecurityQuestionAnswerVerification', await ok('multiFactorAuthenticationApi.mfaSecurityQuestionAnswerVerification',
    mf.multiFactorAuthenticationApi.mfaSecurityQuestionAnswerVerification({ securityquestionanswer: answers }, sfa.SecondFactorAuthenticationToken)), mfUID, true);
  // The authenticator resets (sdk_questions.js).
  await questions.mfaResets(mf, mfUID, mfLogin, { email, password, answers }, { ok, refused, deleted });

  // A tenant with token_format uuid: the SDK carries the UUID-shaped
  // access-token handles like any token, through every token call.
  const typed = sdk(tenants.typed);
  const tUID = (await ok('accountApi.createAccount (uuid tenant)', typed.accountApi.createAccount({
    Email: [{ Type: 'Primary', Value: email }], Password: password, PINInfo: { PIN: '4821' },
  }))).Uid;
  const tLogin = loginAnswer('loginByEmail', await ok('authenticationApi.loginByEmail (uuid tenant)',
    typed.authenticationApi.loginByEmail({ email, password })), tUID, true);
  assert.match(tLogin.access_token, uuid, 'uuid tenant: access_token');
  const tPIN = loginAnswer('pinLogin', await ok('pinAuthenticationApi.pinLogin (uuid tenant)',
    typed.pinAuthenticationApi.pinLogin({ pin: '4821' }, tLogin.session_token)), tUID, false);
  assert.match(tPIN.access_token, uuid, 'uuid tenant: PIN login access_token');
  const handle = tPIN.access_token;
  assert.equal((await ok('authenticationApi.authValidateAccessToken (uuid tenant)',
    typed.authenticationApi.authValidateAccessToken(handle))).access_token, handle);
  assert.equal((await ok('authenticationApi.getAccessTokenInfo (uuid tenant)',
    typed.authenticationApi.getAccessTokenInfo(handle))).access_token, handle);
  assert.equal((await ok('authenticationApi.getProfileByAccessToken (uuid tenant)',
    typed.authenticationApi.getProfileByAccessToken(handle))).Uid, tUID);
  const tRefreshed = await ok('accountApi.refreshAccessTokenByRefreshToken (uuid tenant)',
    typed.accountApi.refreshAccessTokenByRefreshToken(tPIN.refresh_token));
  assert.match(tRefreshed.access_token, uuid, 'uuid tenant: refreshed access_token');
  posted('authInValidateAccessToken', await ok('authenticationApi.authInValidateAccessToken (uuid tenant)',
    typed.authenticationApi.authInValidateAccessToken(handle)));
  for (const h of [handle, tRefreshed.access_token]) {
    await refused('authenticationApi.authValidateAccessToken (uuid tenant, logged out)',
      typed.authenticationApi.authValidateAccessToken(h), 905);
  }

  // Sign-up and email verification (sdk_signup.js), last: it ends with
  // the welcome email.
  await signup(sdk(tenants.signup), sdk(tenants.signupcodes), resetURL.replace(/\/reset$/, '/verify'), need, ok, refused);

  console.log('DONE');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  },
);
