package pinauth

import (
	"context"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/securityquestion"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// answersBody is the body of the calls that send security answers.
type answersBody struct {
	SecurityQuestionAnswer        []securityquestion.Answer
	ReplaceSecurityQuestionAnswer bool
}

// newAnswerSet validates answers to be stored (every question must be one
// of the tenant's) and hashes them.
func (g *Gateway) newAnswerSet(ctx context.Context, c *call, answers []securityquestion.Answer) (map[string]string, error) {
	given, e := c.tenant.SecurityQuestions.NewSet(answers)
	if e != nil {
		return nil, e
	}
	hashes := make(map[string]string, len(given))
	for qid, ans := range given {
		h, err := g.hasher.Hash(ctx, c.hashClient(), securityquestion.Normalize(ans))
		if err != nil {
			return nil, g.hashQueueError(err)
		}
		hashes[qid] = h
	}
	return hashes, nil
}

// checkAnswers verifies answers against the account's as one credential
// check, counted toward the lockout: every question of the tenant's list
// that the account has answered must be answered (the list is public, see
// securityQuestionsBy), and all answers must match, else 1093. Every answer
// is compared even after a mismatch, so timing does not tell which one was
// wrong. On success with rehash the answers are stored again under the
// current pepper and parameters.
func (g *Gateway) checkAnswers(ctx context.Context, c *call, a *store.Account, answers []securityquestion.Answer) error {
	required := c.tenant.SecurityQuestions.Answered(a.SecurityAnswers)
	if len(required) == 0 {
		return lrerr.New(lrerr.CodeSecurityAnswersNotSet)
	}
	given, e := securityquestion.ByQuestion(answers)
	if e != nil {
		return e
	}
	if e := securityquestion.CheckComplete(required, given); e != nil {
		return e
	}
	rehash, err := g.checkCredential(ctx, c, credentialCheck{
		account: a, failure: lrerr.CodeSecurityAnswerWrong, reason: "security_answer",
		compare: func() (bool, bool) {
			ok, rehash := true, false
			for qid, ans := range given {
				o, r := g.hasher.VerifyHeld(a.SecurityAnswers[qid], securityquestion.Normalize(ans))
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

// checkAbsentAnswers is checkAnswers for a recovery by answers whose
// identifier found no account, or an account without answers: the same
// input checks (1134), then a credential check of ident (as an unknown
// identifier's, so it locks like an account would and never locks the
// account itself) that costs a dummy hash per answer to one of the
// tenant's questions, as many as a wrong answer set costs, and fails
// with 1259. Timing then does not tell an unknown account from one with
// answers that were wrong.
func (g *Gateway) checkAbsentAnswers(ctx context.Context, c *call, ident string, answers []securityquestion.Answer) error {
	given, e := securityquestion.ByQuestion(answers)
	if e != nil {
		return e
	}
	_, err := g.checkCredential(ctx, c, credentialCheck{
		unknown: ident, failure: lrerr.CodeSecurityAnswersNotSet, reason: "security_answer",
		compare: func() (bool, bool) {
			for qid, ans := range given {
				// Only the tenant's questions: an account's answers
				// are to them, and this bounds the work a body buys.
				if c.tenant.SecurityQuestions.Has(qid) {
					g.hasher.VerifyDummy(securityquestion.Normalize(ans))
				}
			}
			return false, false
		},
	})
	return err
}

// upgradeAnswers stores answers that verified against an older pepper or
// older parameters again under the current ones. An answer changed since a
// was read is left alone; a failure is retried at the next check.
func (g *Gateway) upgradeAnswers(ctx context.Context, c *call, a *store.Account, given map[string]string) {
	hashes := make(map[string]string, len(given))
	for qid, ans := range given {
		h, err := g.hasher.Hash(ctx, c.hashClient(), securityquestion.Normalize(ans))
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
		qs := c.tenant.SecurityQuestions.Answered(a.SecurityAnswers)
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
