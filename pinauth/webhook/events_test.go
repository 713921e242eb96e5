package webhook

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
)

func TestNewPayloadLowerCasesTheHookAndDropsEmptyFields(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := NewPayload("evt-1", DeleteAccount, "demo", at, lrprofile.Profile{"Uid": "u1", "FirstName": nil})
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	data, _ := got["Data"].(map[string]any)
	if got["HookName"] != "deleteaccount" || got["HookId"] != "evt-1" || got["Tenant"] != "demo" ||
		got["Time"] != lrprofile.Time(at) || data["Uid"] != "u1" {
		t.Errorf("payload = %s", body)
	}
	if _, ok := data["FirstName"]; ok {
		t.Errorf("the payload keeps an empty field: %s", body)
	}
}

func TestCheckEventsTakesAnyCaseAndNamesTheKnownEvents(t *testing.T) {
	if err := CheckEvents([]string{"login", "SETPIN", "DeleteAccount"}); err != nil {
		t.Errorf("known events in any case: %v", err)
	}
	err := CheckEvents([]string{"Login", "Logout"})
	if err == nil || !strings.Contains(err.Error(), `unknown event "Logout"`) || !strings.Contains(err.Error(), "ResetPassword") {
		t.Errorf("err = %v, want Logout named and the known events listed", err)
	}
}

func TestOnlySecurityEventsIgnorePreventWebhook(t *testing.T) {
	for _, h := range names {
		want := h != Login && h != Register && h != UpdateProfile && h != DeleteAccount && h != EmailVerification
		if IsSecurity(h) != want {
			t.Errorf("IsSecurity(%s) = %v, want %v", h, !want, want)
		}
	}
}
