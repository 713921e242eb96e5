package tests

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// keep records a success answer of route, held to doc.
func (c *conformanceRun) keep(route, doc string, r response) response {
	c.t.Helper()
	if r.status != 200 {
		c.t.Fatalf("[%s] %s: want a success, got %d %s", c.format, route, r.status, r.raw)
	}
	c.answers = append(c.answers, conformanceAnswer{route: route, doc: "customer-identity-api/" + doc + ".json", r: r})
	return r
}

// call sends a request of route on tenant g and keeps its answer.
func (c *conformanceRun) call(g *gateway, route, doc, query string, body any, header ...string) response {
	c.t.Helper()
	method, path, _ := strings.Cut(route, " ")
	target := apiPrefix + strings.ReplaceAll(path, "{uid}", c.uid(g, query)) + "?apikey=" + g.key() + query
	return c.keep(route, doc, g.do(method, target, body, header...))
}

// uid is the {uid} of a query that names it ("&uid=…", dropped from the
// query by call's callers).
func (c *conformanceRun) uid(_ *gateway, query string) string {
	v, _ := url.ParseQuery(strings.TrimPrefix(query, "&"))
	return v.Get("uid")
}

// secret is the management query of g.
func secret(g *gateway) string { return "&apisecret=" + url.QueryEscape(g.apiSecret) }

var sixDigitCode = regexp.MustCompile(`\b(\d{6})\b`)

// nextMail waits for the next email and returns its text.
func (c *conformanceRun) nextMail() string {
	c.t.Helper()
	*c.mails++
	m := c.smtp.WaitMails(c.t, *c.mails, messageWait)[*c.mails-1]
	em, err := notifytest.ParseEmail(m.Data)
	if err != nil {
		c.t.Fatal(err)
	}
	return em.Text
}

// nextText waits for the next SMS and returns its body.
func (c *conformanceRun) nextText() string {
	c.t.Helper()
	*c.texts++
	return c.sms.WaitMessages(c.t, *c.texts, messageWait)[*c.texts-1].Body
}

func (c *conformanceRun) code(text string) string {
	c.t.Helper()
	m := sixDigitCode.FindStringSubmatch(text)
	if m == nil {
		c.t.Fatalf("no code in %q", text)
	}
	return m[1]
}

// drive calls every served route once or more, to success.
func (c *conformanceRun) drive() {
	t, f := c.t, c.format
	m := c.main
	mail := f + "-alice@example.com"
	user := f + "-alice"
	phoneNo := map[string]string{"jwt": "+15551230101", "uuid": "+15551230202"}[f]
	pass := "conformance password " + f

	// Create with every documented writable field, then read it back.
	c.create = conformanceProfile(1)
	body := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": mail}}, "Password": pass,
		"UserName": user, "PhoneId": phoneNo}
	for k, v := range c.create {
		body[k] = v
	}
	uid := c.call(m, "POST /manage/account", "account/account-create", secret(m), body).str("Uid")
	u := "&uid=" + uid

	// First login: no PIN yet, so 1243 and a PinAuthToken; set the PIN.
	first := m.do("POST", apiPrefix+"/auth/login?apikey="+m.key(), map[string]string{"email": mail, "password": pass})
	first.wantError(t, 403, 1243)
	pat, _ := first.object("Data")["PINAuthToken"].(string)
	set := c.call(m, "POST /auth/pin/set/pinauthtoken", "pin-authentication/set-pin-by-pinauthtoken", "&pinauthtoken="+pat, map[string]string{"pin": pin})
	c.call(m, "POST /auth/login", "authentication/auth-login-by-email", "", map[string]string{"email": mail, "password": pass})
	c.call(m, "POST /auth/login", "authentication/auth-login-by-username", "", map[string]string{"username": user, "password": pass})
	c.call(m, "POST /auth/login", "phone-authentication/phone-login", "", map[string]string{"phone": phoneNo, "password": pass})
	pinLogin := c.call(m, "POST /auth/login/pin", "pin-authentication/login-by-pin", "&session_token="+set.str("session_token"), map[string]string{"pin": pin})
	bearer := withToken(pinLogin.str("access_token"))

	// Management reads and updates (after a login: LastLoginLocation is set).
	c.call(m, "GET /manage/account", "account/account-profiles-by-email", secret(m)+"&email="+url.QueryEscape(mail), nil)
	c.call(m, "GET /manage/account", "account/account-profiles-by-user-name", secret(m)+"&username="+user, nil)
	c.call(m, "GET /manage/account", "account/account-profiles-by-phone-id", secret(m)+"&phone="+url.QueryEscape(phoneNo), nil)
	c.call(m, "GET /manage/account/{uid}", "account/account-profiles-by-uid", secret(m)+u, nil)
	c.call(m, "PUT /manage/account/{uid}", "account/account-update", secret(m)+u, conformanceProfile(2))
	c.call(m, "PUT /manage/account/{uid}", "account/account-update-security-question", secret(m)+u,
		map[string]any{"securityquestionanswer": map[string]string{"pet": "Rex"}})

	c.call(m, "GET /auth/access_token/validate", "authentication/auth-validate-access-token", "", nil, bearer...)
	c.call(m, "GET /auth/access_token", "authentication/auth-access-token-info", "", nil, bearer...)
	c.call(m, "GET /auth/account", "authentication/auth-read-profiles-by-token", "", nil, bearer...)
	own := conformanceProfile(3)
	own["Email"], own["PhoneId"], own["Uid"] = body["Email"], phoneNo, uid
	c.call(m, "PUT /auth/account", "authentication/auth-update-profile-by-token", "", own, bearer...)
	c.call(m, "PUT /auth/account", "authentication/auth-update-security-question-by-access-token", "",
		map[string]any{"securityquestionanswer": map[string]string{"city": "Paris"}}, bearer...)
	for _, by := range []struct{ kind, query string }{
		{"email", "&email=" + url.QueryEscape(mail)}, {"username", "&username=" + user}, {"phone", "&phone=" + url.QueryEscape(phoneNo)},
	} {
		c.call(m, "GET /auth/securityquestion/"+by.kind, "authentication/security-questions-by-"+map[string]string{
			"email": "email", "username": "user-name", "phone": "phone"}[by.kind], by.query, nil)
	}
	c.call(m, "GET /auth/securityquestion/accesstoken", "authentication/security-questions-by-access-token", "", nil, bearer...)
	c.driveIdentifiers(m, uid, mail, user, bearer)
	c.driveSignup(bearer)
	c.driveVerificationManagement(bearer)
	c.driveAccountManagement(m, uid, mail, phoneNo)

	// Step-up by PIN and by security answers, each validated by the server.
	step := c.call(m, "PUT /auth/account/reauth/pin", "step-up-authentication/pin/step-up-auth-by-pin", "", map[string]string{"pin": pin}, bearer...)
	c.call(m, "POST /manage/account/{uid}/reauth/pin", "step-up-authentication/pin/step-up-auth-validate-pin", secret(m)+u,
		map[string]string{"secondfactorvalidationtoken": step.str("SecondFactorValidationToken")})
	answers := securityAnswers("pet", "rex", "city", "paris")
	step = c.call(m, "POST /auth/account/reauth/2fa/securityquestionanswer/verify", "step-up-authentication/mfa/step-up-auth-by-security-question", "", answers, bearer...)
	c.call(m, "POST /manage/account/{uid}/reauth/2fa", "step-up-authentication/mfa/step-up-auth-validate-mfa", secret(m)+u,
		map[string]string{"secondfactorvalidationtoken": step.str("SecondFactorValidationToken")})
	replace := securityAnswers("pet", "rex", "city", "paris")
	replace["ReplaceSecurityQuestionAnswer"] = true
	c.call(m, "PUT /auth/account/2fa/securityquestionanswer", "multi-factor-authentication/security-question-authenticator/verify-mfa-security-question-by-access-token", "", replace, bearer...)

	// PIN change (both methods: each revokes the account's other sessions),
	// refresh, and the invalidations, in the PIN login's session.
	c.call(m, "PUT /auth/pin/change", "pin-authentication/change-pin-by-access-token", "", map[string]string{"oldPIN": pin, "newPIN": newPIN}, bearer...)
	c.call(m, "POST /auth/pin/change", "pin-authentication/change-pin-by-access-token", "", map[string]string{"oldPIN": newPIN, "newPIN": pin}, bearer...)
	refreshed := c.call(m, "GET /manage/account/access_token/refresh", "refresh-token/refresh-access-token-by-refresh-token",
		secret(m)+"&refresh_token="+url.QueryEscape(pinLogin.str("refresh_token")), nil)
	c.call(m, "GET /auth/session_token/invalidate", "pin-authentication/invalidate-pin-session-token", "&session_token="+set.str("session_token"), nil)
	c.call(m, "GET /auth/access_token/invalidate", "authentication/auth-invalidate-access-token", "", nil, withToken(refreshed.str("access_token"))...)
	c.call(m, "GET /manage/account/access_token/refresh/revoke", "refresh-token/revoke-refresh-token",
		secret(m)+"&refresh_token="+url.QueryEscape(refreshed.str("refresh_token")), nil)
	c.call(m, "DELETE /manage/account/{uid}/access_token/refresh/revoke", "refresh-token/revoke-all-refresh-token", secret(m)+u, nil)

	// Forgotten PINs: links, an SMS code, security answers. The
	// emailtemplate names a LoginRadius template, as its SDKs send one.
	link := "&emailtemplate=" + url.QueryEscape("Forgot PIN (LoginRadius)") + "&resetpinurl=" + url.QueryEscape(resetURL)
	c.call(m, "POST /auth/pin/forgot/email", "pin-authentication/forgot-pin-by-email", link, map[string]string{"email": mail})
	token := vtoken.FindStringSubmatch(c.nextMail())
	if token == nil {
		t.Fatal("no reset link in the forgot-PIN email")
	}
	c.call(m, "PUT /auth/pin/reset/token", "pin-authentication/reset-pin-by-resettoken", "", map[string]string{"resettoken": token[1], "pin": newPIN})
	c.call(m, "POST /auth/pin/forgot/username", "pin-authentication/forgot-pin-by-username", link, map[string]string{"username": user})
	c.nextMail()
	c.call(m, "POST /auth/pin/forgot/otp", "pin-authentication/forgot-pin-by-phone", "&smstemplate=LoginRadiusSMS", map[string]string{"phone": phoneNo})
	c.call(m, "PUT /auth/pin/reset/otp/phone", "pin-authentication/reset-pin-by-phone-and-otp", "",
		map[string]string{"phone": phoneNo, "otp": c.code(c.nextText()), "pin": pin})
	for _, by := range []struct{ kind, field, value, doc string }{
		{"email", "email", mail, "email"}, {"username", "username", user, "username"}, {"phone", "phone", phoneNo, "phone"},
	} {
		c.call(m, "PUT /auth/pin/reset/securityanswer/"+by.kind, "pin-authentication/reset-pin-by-securityanswer-and-"+by.doc, "",
			map[string]any{by.field: by.value, "pin": pin, "securityanswer": map[string]string{"pet": "rex", "city": "paris"}})
	}
	c.driveAnswerResets(m, mail, user, phoneNo, pass)

	// Forgotten passwords: a link, then codes by email and by username.
	c.call(m, "POST /auth/password", "authentication/auth-forgot-password", "&resetpasswordurl="+url.QueryEscape(resetOrigin+"/reset-password"),
		map[string]string{"email": mail})
	token = regexp.MustCompile(`vtoken=([0-9a-f-]{36})`).FindStringSubmatch(c.nextMail())
	if token == nil {
		t.Fatal("no reset link in the forgot-password email")
	}
	c.call(m, "PUT /auth/password/reset", "authentication/auth-reset-password-by-reset-token", "", map[string]string{"resettoken": token[1], "password": pass})
	cd := c.codes
	wantCreated(t, cd.do("POST", apiPrefix+"/manage/account?apikey="+cd.key()+secret(cd), map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": mail}}, "Password": pass, "UserName": user}))
	for _, by := range []struct{ field, value, doc string }{{"Email", mail, "otp"}, {"Username", user, "otp-and-username"}} {
		cd.do("POST", apiPrefix+"/auth/password?apikey="+cd.key(), map[string]string{by.field: by.value})
		c.call(cd, "PUT /auth/password/reset", "authentication/auth-reset-password-by-"+by.doc, "",
			map[string]string{by.field: by.value, "Otp": c.code(c.nextMail()), "Password": pass})
	}
	c.call(cd, "POST /auth/pin/forgot/email", "pin-authentication/forgot-pin-by-email", "", map[string]string{"email": mail})
	c.call(cd, "PUT /auth/pin/reset/otp/email", "pin-authentication/reset-pin-by-email-and-otp", "",
		map[string]string{"email": mail, "otp": c.code(c.nextMail()), "pin": pin})
	c.call(cd, "POST /auth/pin/forgot/username", "pin-authentication/forgot-pin-by-username", "", map[string]string{"username": user})
	c.call(cd, "PUT /auth/pin/reset/otp/username", "pin-authentication/reset-pin-by-username-and-otp", "",
		map[string]string{"username": user, "otp": c.code(c.nextMail()), "pin": newPIN})

	// The second factor: enrol with the first login, verify with the next.
	mf := c.mfa
	mfaBody := conformanceProfile(4)
	mfaBody["Email"], mfaBody["Password"], mfaBody["PINInfo"] = body["Email"], pass, map[string]string{"PIN": pin}
	mfaBody["UserName"], mfaBody["PhoneId"] = user, phoneNo
	wantCreated(t, mf.do("POST", apiPrefix+"/manage/account?apikey="+mf.key()+secret(mf), mfaBody))
	sfa := c.call(mf, "POST /auth/login", "multi-factor-authentication/mfa-email-login", "", map[string]string{"email": mail, "password": pass})
	tok, _ := secondFactorToken(t, sfa)
	c.call(mf, "PUT /auth/login/2fa/securityquestionanswer", "multi-factor-authentication/security-question-authenticator/update-mfa-security-question-by-mfa-token",
		"&secondfactorauthenticationtoken="+tok, securityAnswers("pet", "rex"))
	tok, _ = secondFactorToken(t, mf.do("POST", apiPrefix+"/auth/login?apikey="+mf.key(), map[string]string{"email": mail, "password": pass}))
	verified := c.call(mf, "POST /auth/login/2fa/verification/securityquestionanswer", "multi-factor-authentication/security-question-authenticator/verify-mfa-security-question-by-mfa-token",
		"&secondfactorauthenticationtoken="+tok, securityAnswers("pet", "rex"))
	c.driveMFAResets(mf, mail, pass, verified)

	c.drivePasswords(m, uid, mail, pass)
	c.driveRoles(m, uid)
	c.driveSelfService(m, pass)
	c.call(m, "DELETE /manage/account/{uid}", "account/account-delete", secret(m)+u, nil)
}

// wantCreated fails unless r created an account.
func wantCreated(t *testing.T, r response) {
	t.Helper()
	if r.status != 200 || r.str("Uid") == "" {
		t.Fatalf("create an account: %d %s", r.status, r.raw)
	}
}

// conformanceProfile sets every profile field LoginRadius documents as
// writable (besides the identifiers), with values of round n in the
// documented shapes, so the answers' types are the stored values' and not
// null.
func conformanceProfile(n int) map[string]any {
	s := func(f string) string { return fmt.Sprintf("r%d %s", n, f) }
	obj := func(keys ...string) map[string]string {
		m := map[string]string{}
		for _, k := range keys {
			m[k] = s(k)
		}
		return m
	}
	list := func(keys ...string) []map[string]string { return []map[string]string{obj(keys...)} }
	// Array elements carry every key the documents give them, so the
	// answers' elements can be compared key by key.
	p := map[string]any{
		"Country":      obj("Code", "Name"),
		"Addresses":    list("Type", "Address1", "Address2", "City", "State", "PostalCode", "Region", "Country"),
		"PhoneNumbers": list("PhoneType", "PhoneNumber"),
		"Positions": []map[string]any{{"Position": s("p"), "Company": obj("Name", "Type", "Industry"), "StartDate": s("s"),
			"EndDate": s("e"), "IsCurrent": s("c"), "Location": s("l"), "Summary": s("m")}},
		"Educations":          list("School", "year", "type", "notes", "activities", "degree", "fieldofstudy", "StartDate", "EndDate"),
		"IMAccounts":          list("AccountType", "AccountName"),
		"InterestedIn":        []string{s("i")},
		"Interests":           list("InterestedType", "InterestedName"),
		"Sports":              list("Id", "Name"),
		"InspirationalPeople": list("Id", "Name"),
		"Awards":              list("Id", "Name", "Issuer"),
		"Badges":              list("BadgeId", "Name", "BadgeMessage", "Description", "ImageUrl"),
		"Books":               list("Id", "Name", "Category", "CreateDate"),
		"Certifications":      list("Id", "Name", "Authority", "Number", "StartDate", "EndDate"),
		"Courses":             list("Id", "Name", "Number"),
		"CurrentStatus":       list("Id", "Text", "Source", "CreateDate"),
		"Family":              list("Id", "Name", "Relationship"),
		"FavoriteThings":      list("Id", "Name", "Type"),
		"Games":               list("Id", "Name", "Category", "CreateDate"),
		"JobBookmarks": []map[string]any{{"IsApplied": s("a"), "ApplyTimestamp": s("t"), "IsSaved": s("s"),
			"SavedTimestamp": s("st"), "Job": obj("Title")}},
		"Languages":          list("Id", "Name", "Proficiency"),
		"MemberUrlResources": list("Url", "UrlName"),
		"Movies":             list("Id", "Name", "Category", "CreateDate"),
		"MutualFriends":      list("Id", "Name", "FirstName", "LastName", "Birthday", "Hometown", "Link", "Gender"),
		"Patents":            list("Id", "Title", "Date"),
		"PlacesLived":        list("Name", "IsPrimary"),
		"Projects": []map[string]any{{"Id": s("i"), "Name": s("n"), "Summary": s("m"), "With": []map[string]string{obj("Id", "Name")},
			"StartDate": s("s"), "EndDate": s("e"), "isCurrent": s("c")}},
		"Publications": []map[string]any{{"Id": s("i"), "Title": s("t"), "Publisher": s("p"), "Authors": []map[string]string{obj("Id", "Name")},
			"Date": s("d"), "Url": s("u"), "Summary": s("m")}},
		"RecommendationsReceived":  list("Id", "Recommender", "RecommendationType", "RecommendationText"),
		"RelatedProfileViews":      list("Id", "FirstName", "LastName"),
		"Skills":                   list("Id", "Name"),
		"TeleVisionShow":           list("Id", "Name", "Category", "CreateDate"),
		"Volunteer":                list("Id", "Role", "Organization", "Cause"),
		"AgeRange":                 obj("Min", "Max"),
		"KloutScore":               obj("KloutId", "Score"),
		"ProviderAccessCredential": obj("AccessToken", "TokenSecret"),
		"Subscription":             obj("Name", "Space"),
		"Suggestions":              map[string]any{"CompaniestoFollow": list("Id", "Name")},
		"ProfileImageUrls":         obj("Small"),
		"WebProfiles":              obj("Small", "Large"),
		"CustomFields":             obj("team"),
		"ExternalIds":              list("Source", "SourceId"),
		"FollowersCount":           n, "FriendsCount": n, "NumRecommenders": n, "TotalStatusesCount": n,
		"TotalPrivateRepository": n, "PublicGists": n, "PrivateGists": n,
		"Hireable": true, "IsEmailSubscribed": true, "IsProtected": false,
	}
	for _, f := range []string{"Prefix", "FirstName", "MiddleName", "LastName", "Suffix", "FullName", "NickName",
		"ProfileName", "BirthDate", "Gender", "Website", "ThumbnailImageUrl", "ImageUrl", "Favicon", "ProfileUrl",
		"HomeTown", "State", "City", "Industry", "About", "TimeZone", "LocalLanguage", "CoverPhoto", "TagLine",
		"MainAddress", "LocalCity", "ProfileCity", "LocalCountry", "ProfileCountry", "RelationshipStatus", "Quota",
		"Quote", "Religion", "Political", "HttpsImageUrl", "IsGeoEnabled", "Associations", "Honors", "RepositoryUrl",
		"Age", "ProfessionalHeadline", "LRUserID", "Currency", "StarredUrl", "GistsUrl", "Company",
		"GravatarImageUrl", "PublicRepository"} {
		p[f] = s(f)
	}
	return p
}
