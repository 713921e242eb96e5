package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
)

// Secrets of the bench tenant: throwaway values for a loopback benchmark,
// handed to Caddy through the environment.
const (
	benchAPIKey    = "bench-api-key"
	benchAPISecret = "bench-api-secret"
	benchPepper    = "bench-only-pepper-0123456789abcdef"
)

// benchEnv is the environment that fills the Caddyfile's placeholders.
func benchEnv() []string {
	return []string{"BENCH_API_KEY=" + benchAPIKey, "BENCH_API_SECRET=" + benchAPISecret, "BENCH_PEPPER=" + benchPepper}
}

// uidOf, sidOf and emailOf name the i-th seeded account, its session and
// its email.
func uidOf(i int) string   { return fmt.Sprintf("b%031x", i) }
func sidOf(i int) string   { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }
func emailOf(i int) string { return fmt.Sprintf("user%07d@bench.invalid", i) }

// seededMeta records in the store how many accounts a finished seeding
// wrote, so a kept work directory is reused only when complete.
const seededMeta = "bench_seeded_accounts"

// seedBatch is the number of accounts written per transaction.
const seedBatch = 5000

// seedSQLite fills the SQLite file at path with n accounts, each with one
// login session, unless a finished seeding of n accounts is already there.
// The secrets are hashed once, by the gateway itself (a template account
// created through the management API), and the hash strings reused: every
// account's password and PIN are benchPass and benchPIN at the default
// cost. Rows go in through the store API in batched transactions.
func seedSQLite(ctx context.Context, path string, n int, signingKeyPEM string) error {
	if st, err := sqlite.Open(path); err == nil {
		v, found, err := st.Meta(ctx, seededMeta)
		st.Close()
		if err == nil && found && v == strconv.Itoa(n) {
			log.Printf("seed: reusing %s (%d accounts)", path, n)
			return nil
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	st, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	tmpl, err := templateAccount(ctx, st, signingKeyPEM)
	if err != nil {
		return fmt.Errorf("template account: %w", err)
	}
	if err := seedAccounts(ctx, st, tmpl, n); err != nil {
		return err
	}
	log.Printf("seed: %d accounts and sessions in %s in %.1fs", n, path, time.Since(start).Seconds())
	return st.SetMeta(ctx, seededMeta, strconv.Itoa(n))
}

// seedAccounts writes accounts 0…n-1 as copies of tmpl, each with a login
// session that lasts 90 days.
func seedAccounts(ctx context.Context, st store.Store, tmpl store.Account, n int) error {
	now := time.Now().UTC()
	for first := 0; first < n; first += seedBatch {
		last := min(n, first+seedBatch)
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := first; i < last; i++ {
				a := tmpl
				a.UID = uidOf(i)
				a.Emails = []store.Email{{Type: "Primary", Value: emailOf(i)}}
				a.Username, a.Phone = "", ""
				a.CreatedAt, a.ModifiedAt = now, now
				if err := tx.CreateAccount(a); err != nil {
					return err
				}
				if err := tx.CreateSession(store.Session{
					ID: sidOf(i), Tenant: a.Tenant, UID: a.UID, CreatedAt: now, ExpiresAt: now.Add(90 * 24 * time.Hour),
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed accounts %d-%d: %w", first, last, err)
		}
		if last%100000 == 0 {
			log.Printf("seed: %d/%d accounts", last, n)
		}
	}
	return nil
}

// benchGatewayConfig is the core configuration the Caddyfile's pin_auth
// block amounts to.
func benchGatewayConfig(st store.Store, signingKeyPEM string) pinauth.Config {
	return pinauth.Config{
		Tenants:    []pinauth.Tenant{{Name: benchTenant, APIKeys: []string{benchAPIKey}, APISecret: benchAPISecret}},
		Store:      st,
		Peppers:    []string{benchPepper},
		Issuer:     benchIssuer,
		SigningAlg: pinauth.AlgEdDSA,
		SigningKey: signingKeyPEM,
		Hash:       pinauth.DefaultHashParams,
	}
}

// templateAccount creates one account through the gateway's management API
// (in process, on st) and returns it as stored: its hashes are what the
// gateway writes for benchPass and benchPIN.
func templateAccount(ctx context.Context, st store.Store, signingKeyPEM string) (store.Account, error) {
	gw, err := pinauth.New(benchGatewayConfig(st, signingKeyPEM))
	if err != nil {
		return store.Account{}, err
	}
	defer gw.Close()
	const email = "template@bench.invalid"
	body, _ := json.Marshal(map[string]any{
		"Email":     []map[string]string{{"Type": "Primary", "Value": email}},
		"Password":  benchPass,
		"FirstName": "Bench", "LastName": "User",
		"Roles":   []string{"user"},
		"PINInfo": map[string]string{"PIN": benchPIN},
	})
	req := httptest.NewRequest("POST", "/identity/v2/manage/account?apikey="+benchAPIKey+"&apisecret="+benchAPISecret,
		bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	gw.Handle(w, req)
	if w.Code != http.StatusOK {
		return store.Account{}, fmt.Errorf("create template account: %d %s", w.Code, w.Body.String())
	}
	a, found, err := st.AccountBy(ctx, benchTenant, store.IdentEmail, email)
	if err != nil || !found {
		return store.Account{}, fmt.Errorf("read template account back: found %v, %v", found, err)
	}
	if a.PasswordHash == "" || a.PINHash == "" || !a.Active {
		return store.Account{}, errors.New("template account lacks a password, a PIN or is inactive")
	}
	return a, nil
}
