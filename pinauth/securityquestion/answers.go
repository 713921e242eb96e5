package securityquestion

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/apireq"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// Answer is one answer of a SecurityQuestionAnswer array.
type Answer struct {
	QuestionID string `json:"QuestionId"`
	Answer     string `json:"Answer"`
}

// MaxAnswerBytes bounds one answer.
const MaxAnswerBytes = 256

// Field is the request field the answer errors name.
const Field = "SecurityQuestionAnswer"

// Normalize is the form in which answers are hashed and compared:
// surrounding space removed, inner runs of white space collapsed to one
// space, lower-cased (Unicode simple case mapping). "  Paris  Texas" and
// "paris texas" are the same answer.
func Normalize(answer string) string {
	return strings.ToLower(strings.Join(strings.Fields(answer), " "))
}

// ByQuestion turns answers into a map from question id to answer (as
// given, not normalised); an empty list, a repeated question, an empty or
// an over-long answer is a 1134 field error.
func ByQuestion(answers []Answer) (map[string]string, *lrerr.Error) {
	if len(answers) == 0 {
		return nil, lrerr.Field(Field, "At least one security question answer is required.")
	}
	byQuestion := make(map[string]string, len(answers))
	for _, a := range answers {
		if a.QuestionID == "" || Normalize(a.Answer) == "" {
			return nil, lrerr.Field(Field, "Every answer needs a QuestionId and a non-empty Answer.")
		}
		if _, dup := byQuestion[a.QuestionID]; dup {
			return nil, lrerr.Field(Field, "A question is answered twice.")
		}
		if len(a.Answer) > MaxAnswerBytes {
			return nil, lrerr.Field(Field, fmt.Sprintf("An answer may have at most %d bytes.", MaxAnswerBytes))
		}
		byQuestion[a.QuestionID] = a.Answer
	}
	return byQuestion, nil
}

// NewSet checks answers to be stored, with ByQuestion's rules, every
// question being one of c's, and returns them by question id.
func (c Catalogue) NewSet(answers []Answer) (map[string]string, *lrerr.Error) {
	given, e := ByQuestion(answers)
	if e != nil {
		return nil, e
	}
	for id := range given {
		if !c.Has(id) {
			return nil, lrerr.Field(Field, "QuestionId "+apireq.Truncate(id, 64)+" is not a question of this site.")
		}
	}
	return given, nil
}

// CheckComplete checks that given (by question id) answers exactly the
// questions of required, the ones the account has answered: the list is
// public, so a caller must answer them all and nothing else.
func CheckComplete(required []View, given map[string]string) *lrerr.Error {
	for _, q := range required {
		if _, ok := given[q.QuestionID]; !ok {
			return lrerr.Field(Field, "Answer every security question of the account.")
		}
	}
	if len(given) != len(required) {
		return lrerr.Field(Field, "Answer only the security questions of the account.")
	}
	return nil
}

// FromMap lists answers a body gives as a map from question id to
// answer, sorted by question id so that they are checked in a stable
// order.
func FromMap(byQuestion map[string]string) []Answer {
	answers := make([]Answer, 0, len(byQuestion))
	for _, id := range slices.Sorted(maps.Keys(byQuestion)) {
		answers = append(answers, Answer{QuestionID: id, Answer: byQuestion[id]})
	}
	return answers
}
