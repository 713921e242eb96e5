package lrimport

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"
)

func TestParseRecordKeepsTheProfileAndDropsTheSecrets(t *testing.T) {
	t.Parallel()
	p := lrfixture.Profile(7)
	p["SecurityQuestionAnswer"] = map[string]any{"q1": "answer-secret"}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	rec := parseRecord(raw)
	if rec.failure != "" {
		t.Fatalf("failure %q", rec.failure)
	}
	in := rec.Input
	if rec.UID != lrfixture.UID(7) || !rec.Active || rec.deleted || rec.Logins != 7 ||
		!rec.Created.Equal(time.Date(2023, 1, 2, 3, 4, 5, 678e6, time.UTC)) ||
		!rec.LastLogin.Equal(time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("record %+v", rec)
	}
	if len(in.Emails) != 1 || in.Emails[0].Value != lrfixture.Email(7) || *in.Username != "user000007" ||
		*in.Phone != "+15550000007" || len(in.Roles) != 1 || *in.EmailVerified {
		t.Fatalf("input %+v", in)
	}
	dump, _ := json.Marshal(in)
	if strings.Contains(string(dump), "lr-hash-") || strings.Contains(string(dump), "LastPINChangeDate") ||
		strings.Contains(string(dump), "answer-secret") {
		t.Fatalf("the record keeps a secret: %s", dump)
	}
	if in.Extra["CustomFields"] == nil || in.Extra["Company"] == nil {
		t.Fatalf("extra fields %v", in.Extra)
	}
}

func TestParseRecordNamesEveryBadFieldWithoutQuotingIt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, in, want string }{
		{"not an object", `[1]`, "the record is not a JSON object"},
		{"null", `null`, "the record is not a JSON object"},
		{"no Uid", `{"Email":"a@example.com"}`, "Uid: is required"},
		{"a Uid for no URL", `{"Uid":"a/b"}`, "Uid: is required"},
		{"wrong types, sorted", `{"Uid":"u1","NoOfLogins":"many","IsActive":"yes"}`,
			"IsActive: has the wrong type; NoOfLogins: has the wrong type"},
		{"a date that is none", `{"Uid":"u1","CreatedDate":"yesterday"}`, "CreatedDate: has the wrong type"},
		{"control characters", `{"Uid":"u1","LastLoginLocation":"x\r\ny"}`, "LastLoginLocation: "},
		{"an invalid email", `{"Uid":"u1","Email":"not an email secret-part"}`, "Email"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := parseRecord([]byte(c.in))
			if !strings.Contains(rec.failure, c.want) {
				t.Fatalf("failure %q, want it to say %q", rec.failure, c.want)
			}
			if strings.Contains(rec.failure, "secret-part") {
				t.Fatalf("the failure quotes the value: %q", rec.failure)
			}
		})
	}
}

func TestParseRecordReadsDatesDeletionAndNulls(t *testing.T) {
	t.Parallel()
	rec := parseRecord([]byte(`{"Uid":"u1","IsDeleted":true,"IsActive":null,"CreatedDate":"2020-05-06 07:08:09",` +
		`"LastLoginDate":null,"NoOfLogins":null,"UserName":null,"Roles":null,"Nickname":null}`))
	if rec.failure != "" || !rec.deleted || !rec.Active || rec.Logins != 0 || !rec.LastLogin.IsZero() ||
		!rec.Created.Equal(time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)) {
		t.Fatalf("record %+v", rec)
	}
	if *rec.Input.Username != "" || !rec.Input.HasRoles || len(rec.Input.Extra) != 0 {
		t.Fatalf("input %+v", rec.Input)
	}
}
