package tests

import (
	"encoding/json"
	"slices"
	"testing"
)

// compareShape descends into the first element of arrays inside the
// objects it compares key by key: a key missing from an element, answered
// with another type or not documented is a difference like any other,
// while app-owned objects (Country) stay compared as objects only.
func TestCompareShapeDescendsIntoArraysOfObjects(t *testing.T) {
	t.Parallel()
	var shape, answer any
	decode := func(s string, v *any) {
		t.Helper()
		if err := json.Unmarshal([]byte(s), v); err != nil {
			t.Fatal(err)
		}
	}
	decode(`{
		"Profile": {
			"Uid": "string",
			"Email": [{"Type": "string", "Value": "string"}],
			"PhoneNumbers": [{"PhoneNumber": "string", "PhoneType": "string"}],
			"Addresses": [{"City": "string", "Country": "string"}],
			"Roles": ["string"],
			"Country": {"Code": "string", "Name": "string"}
		},
		"Data": {"Questions": [{"QuestionId": "string", "Question": "string"}]},
		"Other": [{"Key": "string"}]
	}`, &shape)
	decode(`{
		"Profile": {
			"Uid": "u",
			"Email": [{"Value": "a@example.com"}, {"Type": "Secondary"}],
			"PhoneNumbers": [{"PhoneNumber": 5550100, "PhoneType": "Mobile"}],
			"Addresses": [{"City": "Oslo", "Country": "NO", "Planet": "Earth"}],
			"Roles": [7],
			"Country": {"Code": "NO", "Spoken": "nb"}
		},
		"Data": {"Questions": [{"QuestionId": "q", "Question": "?", "Answer": "a"}]},
		"Other": [{}]
	}`, &answer)
	var got []string
	for _, d := range compareShape(answer, shape, nil) {
		got = append(got, d.String())
	}
	want := []string{
		"Profile.Email[0].Type: documented (string), not answered",
		"Profile.PhoneNumbers[0].PhoneNumber: documented string, answered number",
		"Profile.Addresses[0].Planet: answered (string), not documented",
		"Profile.Roles[0]: documented string, answered number",
		"Data.Questions[0].Answer: answered (string), not documented",
		"Other[0].Key: documented (string), not answered",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("differences:\n%q\nwant:\n%q", got, want)
	}
	// Inside a profile a difference names the profile field, with the
	// element, so exceptions can name it.
	var fields []string
	for _, d := range compareShape(answer, shape, nil) {
		if d.inProfile {
			fields = append(fields, d.field)
		}
	}
	slices.Sort(fields)
	wantFields := []string{"Addresses[0].Planet", "Email[0].Type", "PhoneNumbers[0].PhoneNumber", "Roles[0]"}
	if !slices.Equal(fields, wantFields) {
		t.Errorf("profile fields %q, want %q", fields, wantFields)
	}
}

// An answer that is itself an array is compared element-wise, as the
// security-question lists are documented.
func TestCompareShapeComparesTheAnswerArraysFirstElement(t *testing.T) {
	t.Parallel()
	shape := []any{map[string]any{"QuestionId": "string", "Question": "string"}}
	answer := []any{map[string]any{"QuestionId": "pet", "Text": "Name of your first pet?"}}
	var got []string
	for _, d := range compareShape(answer, shape, nil) {
		got = append(got, d.String())
	}
	want := []string{"[0].Question: documented (string), not answered", "[0].Text: answered (string), not documented"}
	if !slices.Equal(got, want) {
		t.Errorf("differences %q, want %q", got, want)
	}
}
