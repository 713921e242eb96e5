package tests

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"
)

// The security-question rows on real Caddy: the questions come from the
// Caddyfile, `mfa security_question` turns password login into a first
// factor, answers are hashed and matched without case or spacing.

// securityAnswers is the array body of the security-question calls.
func securityAnswers(pairs ...string) map[string]any {
	var items []map[string]string
	for i := 0; i+1 < len(pairs); i += 2 {
		items = append(items, map[string]string{"QuestionId": pairs[i], "Answer": pairs[i+1]})
	}
	return map[string]any{"securityquestionanswer": items}
}

// questionList decodes a question-list answer into its QuestionIds.
func questionList(t *testing.T, r response) []string {
	t.Helper()
	var qs []struct {
		QuestionID string `json:"QuestionId"`
		Question   string
	}
	if r.status != 200 || json.Unmarshal([]byte(r.raw), &qs) != nil {
		t.Fatalf("question list: %d %s", r.status, r.raw)
	}
	var ids []string
	for _, q := range qs {
		if q.Question == "" {
			t.Fatalf("question %s without its text: %s", q.QuestionID, r.raw)
		}
		ids = append(ids, q.QuestionID)
	}
	return ids
}

// secondFactorToken returns the SecondFactorAuthenticationToken of a
// password login that asks for the second factor.
func secondFactorToken(t *testing.T, r response) (token string, verified bool) {
	t.Helper()
	sfa := r.object("SecondFactorAuthentication")
	token, _ = sfa["SecondFactorAuthenticationToken"].(string)
	if r.status != 200 || token == "" || r.body["Profile"] != nil || r.str("session_token") != "" {
		t.Fatalf("want a second-factor answer without login data, got %d %s", r.status, r.raw)
	}
	verified, _ = sfa["IsSecurityQuestionAuthenticatorVerified"].(bool)
	return token, verified
}

func TestSecurityQuestionMFALoginStepUpAndReplaceOnRealCaddy(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) {
		s.TenantExtra = "mfa security_question\n\t\t\tsecurity_question city Where were you born?\n\t\t\tsecurity_question pet Name of your first pet?"
	})
	uid := g.createAccount(pin)
	sfaURL := func(path, token string) string {
		return apiPrefix + path + "?apikey=" + g.key() + "&secondfactorauthenticationtoken=" + url.QueryEscape(token)
	}

	// First login: the account has no answers yet and enrols one.
	token, verified := secondFactorToken(t, g.passwordLogin())
	if verified {
		t.Fatal("an account without answers is reported as verified")
	}
	first := g.do("PUT", sfaURL("/auth/login/2fa/securityquestionanswer", token), securityAnswers("city", "Paris  Texas"))
	if first.status != 200 || first.str("access_token") == "" || first.str("session_token") == "" {
		t.Fatalf("enrolment: %d %s", first.status, first.raw)
	}
	g.cachedOK("the enrolled login's token", first.str("access_token"))
	tok := first.str("access_token")
	if got := questionList(t, g.do("GET", apiPrefix+"/auth/securityquestion/email?apikey="+g.key()+"&email="+url.QueryEscape(email), nil)); !slices.Equal(got, []string{"city"}) {
		t.Fatalf("questions by email = %v, want [city]", got)
	}

	// Second login: the answer is verified, in any case and spacing.
	token, verified = secondFactorToken(t, g.passwordLogin())
	if !verified {
		t.Fatal("an account with answers is reported as not verified")
	}
	verify := func(token string, body any) response {
		return g.do("POST", sfaURL("/auth/login/2fa/verification/securityquestionanswer", token), body)
	}
	verify(token, securityAnswers("city", "Rome")).wantError(t, 403, 1093)
	r := verify(token, securityAnswers("city", " paris texas "))
	if r.status != 200 || r.str("session_token") == "" {
		t.Fatalf("verification: %d %s", r.status, r.raw)
	}
	verify(token, securityAnswers("city", "Paris Texas")).wantError(t, 403, 1193)
	if p := g.pinLogin(r.str("session_token"), pin); p.status != 200 {
		t.Fatalf("PIN login after the MFA login: %d %s", p.status, p.raw)
	}

	// Step-up by security answer, validated once by the back end.
	stepUp := func(body any) response {
		return g.do("POST", apiPrefix+"/auth/account/reauth/2fa/securityquestionanswer/verify?apikey="+g.key(), body, withToken(tok)...)
	}
	stepUp(securityAnswers("city", "Lyon")).wantError(t, 403, 1093)
	s := stepUp(securityAnswers("city", "PARIS TEXAS"))
	sfv := s.str("SecondFactorValidationToken")
	if s.status != 200 || sfv == "" || s.str("ExpireIn") == "" {
		t.Fatalf("step-up: %d %s", s.status, s.raw)
	}
	validate := func(kind string) response {
		return g.do("POST", apiPrefix+"/manage/account/"+uid+"/reauth/"+kind+"?"+g.manage(), map[string]string{"secondfactorvalidationtoken": sfv})
	}
	validate("pin").wantError(t, 403, 1193)
	if v := validate("2fa"); v.status != 200 || v.body["IsValid"] != true {
		t.Fatalf("validate: %d %s", v.status, v.raw)
	}
	validate("2fa").wantError(t, 403, 1193)

	// Replace the answers; the list follows.
	set := func(body any) response {
		return g.do("PUT", apiPrefix+"/auth/account/2fa/securityquestionanswer?apikey="+g.key(), body, withToken(tok)...)
	}
	set(securityAnswers("pet", "Rex")).wantError(t, 403, 1134)
	set(map[string]any{"ReplaceSecurityQuestionAnswer": true, "securityquestionanswer": []map[string]string{{"QuestionId": "nope", "Answer": "x"}}}).wantError(t, 403, 1134)
	if r := set(map[string]any{"ReplaceSecurityQuestionAnswer": true, "securityquestionanswer": []map[string]string{{"QuestionId": "pet", "Answer": "Rex"}}}); r.status != 200 || r.body["IsPosted"] != true {
		t.Fatalf("replace: %d %s", r.status, r.raw)
	}
	if got := questionList(t, g.do("GET", apiPrefix+"/auth/securityquestion/accesstoken?apikey="+g.key(), nil, withToken(tok)...)); !slices.Equal(got, []string{"pet"}) {
		t.Fatalf("questions after the replace = %v, want [pet]", got)
	}
	stepUp(securityAnswers("city", "Paris Texas")).wantError(t, 403, 1134)
	g.do("GET", apiPrefix+"/auth/securityquestion/email?apikey="+g.key()+"&email=nobody%40example.com", nil).wantError(t, 403, 1259)
}
