package pinauth

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/securityquestion"
)

// answers builds a securityquestionanswer array from id, answer pairs.
func answers(pairs ...string) map[string]any {
	var items []map[string]string
	for i := 0; i+1 < len(pairs); i += 2 {
		items = append(items, map[string]string{"QuestionId": pairs[i], "Answer": pairs[i+1]})
	}
	return map[string]any{"securityquestionanswer": items}
}

// questionIDs lists the QuestionIds of a question-list response.
func questionIDs(t *testing.T, raw string) []string {
	t.Helper()
	var ids []string
	for _, q := range decodeArray(t, raw) {
		ids = append(ids, q["QuestionId"].(string))
	}
	return ids
}

func TestSecurityAnswersAreSetHashedListedAndReplaced(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withQuestions)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := login.str("access_token")
	set := func(body any) response {
		return e.do("PUT", api("auth/account/2fa/securityquestionanswer"), body, withToken(tok)...)
	}
	list := func(kind, query string) response {
		return e.do("GET", api("auth/securityquestion/"+kind)+query, nil)
	}
	wantCode(t, "list before any answer", list("email", "&email="+testEmail), 403, 1259)

	r := set(answers("q2", "Rex", "q1", "  Paris   Texas "))
	wantOK(t, "set answers", r)
	if r.body["IsPosted"] != true {
		t.Fatalf("set answer: %s", r.raw)
	}
	a := e.account(uid)
	if len(a.SecurityAnswers) != 2 {
		t.Fatalf("stored answers: %d", len(a.SecurityAnswers))
	}
	for _, h := range a.SecurityAnswers {
		if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(strings.ToLower(h), "paris") {
			t.Fatalf("answer not stored as a hash: %q", h)
		}
	}

	r = list("email", "&email=ALICE@example.com")
	wantOK(t, "list by email", r)
	want := []map[string]any{{"QuestionId": "q1", "Question": "Where were you born?"}, {"QuestionId": "q2", "Question": "Name of your first pet?"}}
	if got := decodeArray(t, r.raw); !sameQuestions(got, want) {
		t.Fatalf("list by email = %v, want %v (the tenant's order)", got, want)
	}
	wantOK(t, "list by access token", e.do("GET", api("auth/securityquestion/accesstoken")+"&access_token="+tok, nil))
	wantCode(t, "list by unknown email", list("email", "&email=nobody@example.com"), 403, 1259)
	wantCode(t, "list without the parameter", list("phone", ""), 403, 908)
	wantCode(t, "list by access token without one", list("accesstoken", ""), 400, 1060)

	wantCode(t, "set again without Replace", set(answers("q3", "Smith")), 403, 1134)
	r = set(map[string]any{"ReplaceSecurityQuestionAnswer": true, "SecurityQuestionAnswer": []map[string]string{{"QuestionId": "q3", "Answer": "Smith"}}})
	wantOK(t, "replace", r)
	if got := questionIDs(t, list("email", "&email="+testEmail).raw); !slices.Equal(got, []string{"q3"}) {
		t.Fatalf("after replace: %v, want [q3]", got)
	}

	for name, body := range map[string]any{
		"unknown question":   map[string]any{"ReplaceSecurityQuestionAnswer": true, "securityquestionanswer": []map[string]string{{"QuestionId": "q9", "Answer": "x"}}},
		"question twice":     map[string]any{"ReplaceSecurityQuestionAnswer": true, "securityquestionanswer": []map[string]string{{"QuestionId": "q1", "Answer": "x"}, {"QuestionId": "q1", "Answer": "y"}}},
		"blank answer":       map[string]any{"ReplaceSecurityQuestionAnswer": true, "securityquestionanswer": []map[string]string{{"QuestionId": "q1", "Answer": "   "}}},
		"no answers":         map[string]any{"ReplaceSecurityQuestionAnswer": true},
		"over-long answer":   map[string]any{"ReplaceSecurityQuestionAnswer": true, "securityquestionanswer": []map[string]string{{"QuestionId": "q1", "Answer": strings.Repeat("a", securityquestion.MaxAnswerBytes+1)}}},
		"missing QuestionId": map[string]any{"ReplaceSecurityQuestionAnswer": true, "securityquestionanswer": []map[string]string{{"Answer": "x"}}},
	} {
		r := set(body)
		wantCode(t, name, r, 403, 1134)
		if got := fieldNames(r); len(got) != 1 || got[0] != "SecurityQuestionAnswer" {
			t.Errorf("%s: fields %v", name, got)
		}
	}
	if got := questionIDs(t, list("email", "&email="+testEmail).raw); !slices.Equal(got, []string{"q3"}) {
		t.Fatalf("rejected sets changed the answers: %v", got)
	}
}

func TestStepUpBySecurityAnswersIgnoresCaseAndSpacing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withQuestions)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := login.str("access_token")
	verify := func(body any) response {
		return e.do("POST", api("auth/account/reauth/2fa/securityquestionanswer/verify"), body, withToken(tok)...)
	}
	wantCode(t, "verify before any answer", verify(answers("q1", "x")), 403, 1259)
	wantOK(t, "set", e.do("PUT", api("auth/account/2fa/securityquestionanswer"), answers("q1", "Paris Texas", "q2", "Rex"), withToken(tok)...))

	wantCode(t, "only one of two questions", verify(answers("q1", "paris texas")), 403, 1134)
	wantCode(t, "a question the account has not answered", verify(answers("q1", "paris texas", "q2", "rex", "q3", "x")), 403, 1134)
	if got := e.attempts(uid).Failures; got != 0 {
		t.Fatalf("incomplete answers were counted: %d", got)
	}
	wantCode(t, "one wrong answer", verify(answers("q1", "paris texas", "q2", "Max")), 403, 1093)
	if got := e.attempts(uid).Failures; got != 1 {
		t.Fatalf("failures after a wrong answer = %d, want 1", got)
	}

	r := verify(answers("q2", "  REX", "q1", "PARIS    texas  "))
	wantOK(t, "answers in another case and spacing", r)
	if got := e.attempts(uid).Failures; got != 0 {
		t.Fatalf("failures after success = %d, want 0", got)
	}
	sfv := r.str("SecondFactorValidationToken")
	if sfv == "" || r.str("ExpireIn") == "" {
		t.Fatalf("verify answer: %s", r.raw)
	}
	validate := func(kind string) response {
		return e.do("POST", manage("manage/account/"+uid+"/reauth/"+kind), map[string]string{"SecondFactorValidationToken": sfv})
	}
	wantCode(t, "validate at the PIN endpoint", validate("pin"), 403, 1193)
	wantOK(t, "validate at the 2FA endpoint", validate("2fa"))
	wantCode(t, "validate twice", validate("2fa"), 403, 1193)
}

func TestWrongSecurityAnswersLockTheAccount(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withQuestions, func(c *Config) { c.Lockout.Attempts = 3 })
	login := e.loggedIn(testEmail)
	tok := login.str("access_token")
	wantOK(t, "set", e.do("PUT", api("auth/account/2fa/securityquestionanswer"), answers("q1", "Paris"), withToken(tok)...))
	for range 3 {
		wantCode(t, "wrong answer", e.do("POST", api("auth/account/reauth/2fa/securityquestionanswer/verify"), answers("q1", "Rome"), withToken(tok)...), 403, 1093)
	}
	wantCode(t, "right answer while locked", e.do("POST", api("auth/account/reauth/2fa/securityquestionanswer/verify"), answers("q1", "Paris"), withToken(tok)...), 403, 1198)
	wantCode(t, "PIN login while locked", e.pinLogin(login.str("session_token"), testPIN), 403, 1198)
}

// decodeArray decodes a JSON array of objects.
func decodeArray(t *testing.T, raw string) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("not a JSON array of objects: %s", raw)
	}
	return out
}

func sameQuestions(got, want []map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if len(got[i]) != len(want[i]) || got[i]["QuestionId"] != want[i]["QuestionId"] || got[i]["Question"] != want[i]["Question"] {
			return false
		}
	}
	return true
}
