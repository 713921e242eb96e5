package securityquestion

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

var catalogue = Catalogue{{ID: "q1", Text: "Where were you born?"}, {ID: "q2", Text: "Name of your first pet?"}, {ID: "q3", Text: "First school?"}}

// wantFieldError fails unless e is a 1134 error on Field whose message
// contains msg.
func wantFieldError(t *testing.T, name string, e *lrerr.Error, msg string) {
	t.Helper()
	if e == nil || e.Code != lrerr.CodeValidation || len(e.Fields) != 1 ||
		e.Fields[0].FieldName != Field || !strings.Contains(e.Fields[0].ErrorMessage, msg) {
		t.Errorf("%s: got %+v, want a 1134 error on %s saying %q", name, e, Field, msg)
	}
}

func TestNormalizeTrimsCollapsesSpaceAndLowerCases(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  Paris   Texas ": "paris texas",
		"REX":              "rex",
		"a\tb\nc":          "a b c",
		"Ünïcode  ÄÖ":      "ünïcode äö",
		"   ":              "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestByQuestionRefusesEmptyRepeatedAndOverlongAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		answers []Answer
		msg     string
	}{
		{"no answer", nil, "At least one"},
		{"no question id", []Answer{{Answer: "Rex"}}, "needs a QuestionId"},
		{"blank answer", []Answer{{QuestionID: "q1", Answer: " \t "}}, "non-empty Answer"},
		{"question answered twice", []Answer{{QuestionID: "q1", Answer: "a"}, {QuestionID: "q1", Answer: "b"}}, "answered twice"},
		{"over-long answer", []Answer{{QuestionID: "q1", Answer: strings.Repeat("a", MaxAnswerBytes+1)}}, "at most 256 bytes"},
	} {
		got, e := ByQuestion(tc.answers)
		wantFieldError(t, tc.name, e, tc.msg)
		if got != nil {
			t.Errorf("%s: returned answers %v with the error", tc.name, got)
		}
	}
	got, e := ByQuestion([]Answer{{QuestionID: "q2", Answer: " Rex "}, {QuestionID: "q1", Answer: strings.Repeat("a", MaxAnswerBytes)}})
	want := map[string]string{"q2": " Rex ", "q1": strings.Repeat("a", MaxAnswerBytes)}
	if e != nil || !maps.Equal(got, want) {
		t.Errorf("ByQuestion(two good answers) = %v, %v; want %v (as given, not normalised)", got, e, want)
	}
}

func TestNewSetTakesOnlyQuestionsOfTheCatalogue(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 100)
	_, e := catalogue.NewSet([]Answer{{QuestionID: "q1", Answer: "Paris"}, {QuestionID: long, Answer: "y"}})
	wantFieldError(t, "unknown question", e, "is not a question of this site")
	if e != nil && strings.Contains(e.Fields[0].ErrorMessage, long) {
		t.Errorf("the message repeats a 100-byte id in full: %q", e.Fields[0].ErrorMessage)
	}
	_, e = catalogue.NewSet(nil)
	wantFieldError(t, "no answer", e, "At least one")
	got, e := catalogue.NewSet([]Answer{{QuestionID: "q3", Answer: "Elm"}})
	if e != nil || !maps.Equal(got, map[string]string{"q3": "Elm"}) {
		t.Errorf("NewSet(q3) = %v, %v", got, e)
	}
}

func TestCheckCompleteWantsExactlyTheAccountsQuestions(t *testing.T) {
	t.Parallel()
	required := catalogue.Answered(map[string]string{"q1": "h1", "q3": "h3"})
	if e := CheckComplete(required, map[string]string{"q1": "a", "q3": "b"}); e != nil {
		t.Errorf("all answered: %+v", e)
	}
	wantFieldError(t, "one missing", CheckComplete(required, map[string]string{"q1": "a"}), "Answer every")
	wantFieldError(t, "one missing, another extra", CheckComplete(required, map[string]string{"q1": "a", "q2": "b"}), "Answer every")
	wantFieldError(t, "one extra", CheckComplete(required, map[string]string{"q1": "a", "q2": "b", "q3": "c"}), "Answer only")
}

func TestFromMapSortsByQuestionID(t *testing.T) {
	t.Parallel()
	got := FromMap(map[string]string{"q3": "c", "q1": "a", "q2": "b"})
	want := []Answer{{"q1", "a"}, {"q2", "b"}, {"q3", "c"}}
	if !slices.Equal(got, want) {
		t.Errorf("FromMap = %v, want %v", got, want)
	}
	if got := FromMap(nil); got == nil || len(got) != 0 {
		t.Errorf("FromMap(nil) = %#v, want an empty list", got)
	}
}
