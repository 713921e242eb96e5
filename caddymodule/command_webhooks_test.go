package caddymodule

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// storeOpener opens the test's store afresh (the CLI opens its own).
type storeOpener func(t *testing.T) store.Store

func openSQLite(db string) storeOpener {
	return func(t *testing.T) store.Store {
		st, err := sqlite.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

func openPostgres(dsn string) storeOpener {
	return func(t *testing.T) store.Store {
		st, err := postgres.Open(t.Context(), postgres.Config{DSN: dsn, MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// deadEvents stores events of the endpoint ep and kills those in dead.
func deadEvents(t *testing.T, open storeOpener, ep string, ids []string, dead ...string) {
	t.Helper()
	st := open(t)
	defer st.Close()
	ctx := context.Background()
	now := time.Now()
	err := st.Update(ctx, func(tx store.Tx) error {
		for i, id := range ids {
			if err := tx.AddEvent(store.Event{ID: id, Tenant: "demo", UID: "u" + id, Hook: webhook.Login, Endpoint: ep,
				Payload: []byte(`{"Data":{"Email":"PAYLOAD-SECRET@example.com"}}`), CreatedAt: now.Add(time.Duration(i) * time.Millisecond)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimEvents(ctx, store.EventClaim{Owner: "cli-test", Endpoints: []string{ep}, Now: now.Add(time.Second), Lease: time.Minute, Limit: len(ids)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range dead {
		if found, err := st.FailEvent(ctx, id, "cli-test", store.EventFailure{Attempt: 1, Error: "receiver answered 500", Dead: true, Now: now}); err != nil || !found {
			t.Fatalf("FailEvent(%s) = %v, %v", id, found, err)
		}
	}
}

func eventStates(t *testing.T, open storeOpener) map[string]store.EventState {
	t.Helper()
	st := open(t)
	defer st.Close()
	evs, err := st.Events(context.Background(), store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.EventState{}
	for _, e := range evs {
		out[e.ID] = e.State
	}
	return out
}

func TestPinauthWebhooksListAndReplayThroughTheCLIOnSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pinauth.db")
	runWebhooksCLIScenario(t, "store sqlite "+db, "sqlite:"+db, openSQLite(db))
}

func TestPinauthWebhooksListAndReplayThroughTheCLIOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	t.Setenv("CLI_WEBHOOKS_TEST_DSN", dsn)
	runWebhooksCLIScenario(t, "store postgres "+dsn, "postgres:{env.CLI_WEBHOOKS_TEST_DSN}", openPostgres(dsn))
}

// runWebhooksCLIScenario lists and replays dead events through the CLI on
// the store of storeLine (storeFlag names it for --store, open opens it).
func runWebhooksCLIScenario(t *testing.T, storeLine, storeFlag string, open storeOpener) {
	dir := t.TempDir()
	hook := webhook.Webhook{URL: "https://hooks.example:8443/in?token=URL-TOKEN"}
	deadEvents(t, open, hook.EndpointID(), []string{"e1", "e2", "e3", "e4"}, "e1", "e2", "e3")
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(`:0 {
	pin_auth {
		tenant demo {
			api_key k
			api_secret s
		}
		`+storeLine+`
		pepper cli-test-pepper-0123456789
		webhook https://hooks.example:8443/in?token=URL-TOKEN {
			secret a-webhook-secret-of-24-bytes
		}
	}
	respond ok
}
`), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := runPinauth(t, "webhooks", "list", "--config", conf, "--state", "dead")
	if err != nil {
		t.Fatalf("webhooks list: %v\n%s", err, out)
	}
	for _, want := range []string{"e1", "e2", "e3", "dead", "receiver answered 500", "(hooks.example:8443)"} {
		if !strings.Contains(out, want) {
			t.Errorf("webhooks list --state dead lacks %q:\n%s", want, out)
		}
	}
	if ids := listedEventIDs(out); strings.Join(ids, " ") != "e1 e2 e3" {
		t.Errorf("webhooks list --state dead lists events %v, want the dead e1 e2 e3 only:\n%s", ids, out)
	}
	for _, leak := range []string{"URL-TOKEN", "PAYLOAD-SECRET", "a-webhook-secret"} {
		if strings.Contains(out, leak) {
			t.Errorf("webhooks list --state dead shows %q:\n%s", leak, out)
		}
	}
	if _, err := runPinauth(t, "webhooks", "list", "--store", storeFlag, "--state", "lost"); err == nil {
		t.Error("an unknown --state was accepted")
	}

	out, err = runPinauth(t, "webhooks", "replay", "--store", storeFlag, "e2")
	if err != nil || !strings.Contains(out, "replayed e2") {
		t.Fatalf("webhooks replay e2: %v\n%s", err, out)
	}
	if s := eventStates(t, open); s["e2"] != store.EventPending || s["e1"] != store.EventDead {
		t.Fatalf("after replaying e2: %v", s)
	}
	if _, err := runPinauth(t, "webhooks", "replay", "--store", storeFlag, "e2"); err == nil || !strings.Contains(err.Error(), "no dead event with id e2") {
		t.Errorf("replaying a pending event: %v", err)
	}
	for _, args := range [][]string{{}, {"--all", "e1"}, {"--tenant", "demo", "e1"}} {
		if _, err := runPinauth(t, append([]string{"webhooks", "replay", "--store", storeFlag}, args...)...); err == nil {
			t.Errorf("webhooks replay %v succeeded", args)
		}
	}
	out, err = runPinauth(t, "webhooks", "replay", "--store", storeFlag, "--all", "--tenant", "demo")
	if err != nil || !strings.Contains(out, "replayed e1") || !strings.Contains(out, "replayed e3") {
		t.Fatalf("webhooks replay --all: %v\n%s", err, out)
	}
	for id, s := range eventStates(t, open) {
		if s != store.EventPending {
			t.Errorf("after replay --all, %s is %s", id, s)
		}
	}
	out, err = runPinauth(t, "webhooks", "replay", "--store", storeFlag, "--all")
	if err != nil || !strings.Contains(out, "no dead events") {
		t.Errorf("replay --all with nothing dead: %v\n%s", err, out)
	}
}

// listedEventIDs returns the ID column of `webhooks list`'s table: the
// first field of each line after the header. Looking for an ID anywhere in
// the output would also find it in the store line's path (a temporary
// directory named …SQLite4… holds "e4").
func listedEventIDs(out string) []string {
	var ids []string
	header := false
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case header:
			ids = append(ids, fields[0])
		case fields[0] == "ID" && len(fields) > 1 && fields[1] == "TENANT":
			header = true
		}
	}
	return ids
}
