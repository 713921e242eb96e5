package pinauth

import (
	"context"
	"fmt"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// answerItem is one answer of a securityquestionanswer array.
type answerItem struct {
	QuestionID string `json:"QuestionId"`
	Answer     string `json:"Answer"`
}

// answersBody is the body of the calls that send security answers.
type answersBody struct {
	SecurityQuestionAnswer        []answerItem
	ReplaceSecurityQuestionAnswer bool
}

// questionView is one entry of a question list: LoginRadius's shape.
type questionView struct {
	QuestionID string `json:"QuestionId"`
	Question   string `json:"Question"`
}

// maxAnswerBytes bounds one answer.
const maxAnswerBytes = 256

// normalizeAnswer is the form in which answers are hashed and compared:
// surrounding space removed, inner runs of white space collapsed to one
// space, lower-cased (Unicode simple case mapping). "  Paris  Texas" and
// "paris texas" are the same answer.
func normalizeAnswer(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

const answersField = "SecurityQuestionAnswer"

// answerMap turns answer items into a map by question id; an empty list,
// a repeated question or an empty answer is a 1134 field error.
func answerMap(items []answerItem) (map[string]string, *lrerr.Error) {
	if len(items) == 0 {
		return nil, lrerr.Field(answersField, "At least one security question answer is required.")
	}
	m := make(map[string]string, len(items))
	for _, it := range items {
		if it.QuestionID == "" || normalizeAnswer(it.Answer) == "" {
			return nil, lrerr.Field(answersField, "Every answer needs a QuestionId and a non-empty Answer.")
		}
		if _, dup := m[it.QuestionID]; dup {
			return nil, lrerr.Field(answersField, "A question is answered twice.")
		}
		if len(it.Answer) > maxAnswerBytes {
			return nil, lrerr.Field(answersField, fmt.Sprintf("An answer may have at most %d bytes.", maxAnswerBytes))
		}
		m[it.QuestionID] = it.Answer
	}
	return m, nil
}

// newAnswerSet validates answers to be stored (every question must be one
// of the tenant's) and hashes them.
func (g *Gateway) newAnswerSet(ctx context.Context, c *call, items []answerItem) (map[string]string, error) {
	given, e := answerMap(items)
	if e != nil {
		return nil, e
	}
	for qid := range given {
		if c.tenant.question(qid) == nil {
			return nil, lrerr.Field(answersField, "QuestionId "+apireq.Truncate(qid, 64)+" is not a question of this site.")
		}
	}
	hashes := make(map[string]string, len(given))
	for qid, ans := range given {
		h, err := g.hasher.Hash(ctx, c.hashClient(), normalizeAnswer(ans))
		if err != nil {
			return nil, g.hashQueueError(err)
		}
		hashes[qid] = h
	}
	return hashes, nil
}

// question returns the tenant's question with the given id.
func (t *Tenant) question(id string) *SecurityQuestion {
	for i := range t.SecurityQuestions {
		if t.SecurityQuestions[i].ID == id {
			return &t.SecurityQuestions[i]
		}
	}
	return nil
}

// checkAnswers verifies answers against the account's as one credential
// check, counted toward the lockout: every question of the tenant's list
// that the account has answered must be answered (the list is public, see
// securityQuestionsBy), and all answers must match, else 1093. Every answer
// is compared even after a mismatch, so timing does not tell which one was
// wrong. On success with rehash the answers are stored again under the
// current pepper and parameters.
func (g *Gateway) checkAnswers(ctx context.Context, c *call, a *store.Account, items []answerItem) error {
	required := answeredQuestions(c.tenant, a)
	if len(required) == 0 {
		return lrerr.New(lrerr.CodeSecurityAnswersNotSet)
	}
	given, e := answerMap(items)
	if e != nil {
		return e
	}
	for _, q := range required {
		if _, ok := given[q.QuestionID]; !ok {
			return lrerr.Field(answersField, "Answer every security question of the account.")
		}
	}
	if len(given) != len(required) {
		return lrerr.Field(answersField, "Answer only the security questions of the account.")
	}
	rehash, err := g.checkCredential(ctx, c, credentialCheck{
		account: a, failure: lrerr.CodeSecurityAnswerWrong, reason: "security_answer",
		compare: func() (bool, bool) {
			ok, rehash := true, false
			for qid, ans := range given {
				o, r := g.hasher.VerifyHeld(a.SecurityAnswers[qid], normalizeAnswer(ans))
				ok, rehash = ok && o, rehash || r
			}
			return ok, rehash
		},
	})
	if err != nil {
		return err
	}
	if rehash {
		g.upgradeAnswers(ctx, c, a, given)
	}
	return nil
}

// upgradeAnswers stores answers that verified against an older pepper or
// older parameters again under the current ones. An answer changed since a
// was read is left alone; a failure is retried at the next check.
func (g *Gateway) upgradeAnswers(ctx context.Context, c *call, a *store.Account, given map[string]string) {
	hashes := make(map[string]string, len(given))
	for qid, ans := range given {
		h, err := g.hasher.Hash(ctx, c.hashClient(), normalizeAnswer(ans))
		if err != nil {
			return
		}
		hashes[qid] = h
	}
	_ = g.updateAccount(ctx, a.Ref(), nil, func(_ store.Tx, acc *store.Account) error {
		for qid, h := range hashes {
			if old, ok := acc.SecurityAnswers[qid]; ok && old == a.SecurityAnswers[qid] {
				acc.SecurityAnswers[qid] = h
			}
		}
		return nil
	}, nil)
}

// reauthBySecurityAnswers serves POST
// /auth/account/reauth/2fa/securityquestionanswer/verify: step-up with the
// account's security answers. Wrong answers are 1093 and count toward the
// lockout; the token is validated with /manage/account/{uid}/reauth/2fa.
func (g *Gateway) reauthBySecurityAnswers(c *call) (any, error) {
	var body answersBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	b, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	if err := g.checkAnswers(ctx, c, &a, body.SecurityQuestionAnswer); err != nil {
		return nil, err
	}
	return g.issueStepUp(ctx, c, b, stepUpSecurityQuestion)
}

// setSecurityAnswers serves PUT /auth/account/2fa/securityquestionanswer:
// the caller sets the answers of the account (hashed like PINs). When the
// account already has answers, ReplaceSecurityQuestionAnswer must be true
// and the given set replaces them all.
func (g *Gateway) setSecurityAnswers(c *call) (any, error) {
	var body answersBody
	if e := apireq.DecodeJSON(c.r, &body, false); e != nil {
		return nil, e
	}
	b, a, err := g.bearerAccount(c)
	if err != nil {
		return nil, err
	}
	errReplace := lrerr.Field("ReplaceSecurityQuestionAnswer",
		"Security answers are already set; send ReplaceSecurityQuestionAnswer true to replace them.")
	if len(a.SecurityAnswers) > 0 && !body.ReplaceSecurityQuestionAnswer {
		return nil, errReplace
	}
	ctx := c.r.Context()
	hashes, err := g.newAnswerSet(ctx, c, body.SecurityQuestionAnswer)
	if err != nil {
		return nil, err
	}
	err = g.updateAccount(ctx, b.ref(), nil, func(_ store.Tx, acc *store.Account) error {
		if len(acc.SecurityAnswers) > 0 && !body.ReplaceSecurityQuestionAnswer {
			return errReplace
		}
		acc.SecurityAnswers = hashes
		return nil
	}, nil)
	if err != nil {
		return nil, lrerr.As(err)
	}
	return isPosted, nil
}

// securityQuestionsBy returns the handler of GET /auth/securityquestion/
// {email,username,phone,accesstoken}: the questions the account has
// answered, with their text from the tenant's list, in the tenant's order.
// An account without answers, and an unknown account, is 1259.
func securityQuestionsBy(kind string) func(*Gateway, *call) (any, error) {
	return func(g *Gateway, c *call) (any, error) {
		a, err := g.questionAccount(c, kind)
		if err != nil {
			return nil, err
		}
		qs := answeredQuestions(c.tenant, &a)
		if len(qs) == 0 {
			return nil, lrerr.New(lrerr.CodeSecurityAnswersNotSet)
		}
		return qs, nil
	}
}

// questionAccount finds the account a question list is asked for.
func (g *Gateway) questionAccount(c *call, kind string) (store.Account, error) {
	if kind == "accesstoken" {
		_, a, err := g.bearerAccount(c)
		return a, err
	}
	value := c.q.Get(kind)
	if kind == string(store.IdentPhone) && value == "" {
		value = c.q.Get("phoneid")
	}
	if value == "" {
		return store.Account{}, lrerr.WithDescription(lrerr.CodeParameterFormat, "The "+kind+" is a required parameter.")
	}
	a, found, err := g.accountByIdentifier(c.r.Context(), c.tenant.Name, store.IdentifierKind(kind), value)
	if err != nil {
		return a, lrerr.Unavailable(err)
	}
	if !found {
		return a, lrerr.New(lrerr.CodeSecurityAnswersNotSet)
	}
	return a, nil
}

// answeredQuestions lists the tenant's questions the account has answered.
func answeredQuestions(t *Tenant, a *store.Account) []questionView {
	qs := []questionView{}
	for _, q := range t.SecurityQuestions {
		if _, ok := a.SecurityAnswers[q.ID]; ok {
			qs = append(qs, questionView{QuestionID: q.ID, Question: q.Text})
		}
	}
	return qs
}

// tenantQuestions lists every question of the tenant.
func tenantQuestions(t *Tenant) []questionView {
	qs := make([]questionView, 0, len(t.SecurityQuestions))
	for _, q := range t.SecurityQuestions {
		qs = append(qs, questionView{QuestionID: q.ID, Question: q.Text})
	}
	return qs
}
