package securityquestion

import (
	"encoding/json"
	"testing"
)

func TestAnsweredListsTheAnsweredQuestionsInCatalogueOrder(t *testing.T) {
	t.Parallel()
	got, err := json.Marshal(catalogue.Answered(map[string]string{"q3": "h3", "q1": "h1", "q9": "h9"}))
	want := `[{"QuestionId":"q1","Question":"Where were you born?"},{"QuestionId":"q3","Question":"First school?"}]`
	if err != nil || string(got) != want {
		t.Errorf("Answered = %s, %v; want %s", got, err, want)
	}
	// No answer is an empty list, not null: clients iterate over it.
	if got, _ := json.Marshal(catalogue.Answered(nil)); string(got) != "[]" {
		t.Errorf("Answered(nil) = %s, want []", got)
	}
}

func TestViewsListsEveryQuestion(t *testing.T) {
	t.Parallel()
	views := catalogue.Views()
	if len(views) != len(catalogue) {
		t.Fatalf("Views has %d entries, want %d", len(views), len(catalogue))
	}
	for i, q := range catalogue {
		if views[i] != (View{QuestionID: q.ID, Question: q.Text}) {
			t.Errorf("Views[%d] = %+v, want %+v", i, views[i], q)
		}
	}
	if got, _ := json.Marshal(Catalogue{}.Views()); string(got) != "[]" {
		t.Errorf("an empty catalogue's Views = %s, want []", got)
	}
}

func TestHasFindsOnlyTheCataloguesIDs(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{"q1": true, "q3": true, "Q1": false, "": false, "Where were you born?": false} {
		if got := catalogue.Has(id); got != want {
			t.Errorf("Has(%q) = %v, want %v", id, got, want)
		}
	}
}
