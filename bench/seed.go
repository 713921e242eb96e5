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
	"sync"
	"sync/atomic"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
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
// The template account's name and role, which every seeded account copies
// (and pin_auth forwards as X-Auth-Name and X-Auth-Roles).
const (
	benchFirstName = "Bench"
	benchLastName  = "User"
	benchName      = benchFirstName + " " + benchLastName
	benchRole      = "user"
)

func uidOf(i int) string   { return fmt.Sprintf("b%031x", i) }
func sidOf(i int) string   { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }
func emailOf(i int) string { return fmt.Sprintf("user%07d@bench.invalid", i) }

// seededMeta records in the store how many accounts a finished seeding
// wrote, so a kept work directory is reused only when complete.
const seededMeta = "bench_seeded_accounts"

// seedBatch is the number of accounts written per transaction: small
// enough that a PostgreSQL batch ends within the seeding's query timeout
// on a loaded machine (5000 did not, at about 60 accounts a second).
const seedBatch = 1000

// seedSQLite fills the SQLite file at path with n accounts, each with one
// login session, unless a finished seeding of n accounts is already there
// (then reused is true).
func seedSQLite(ctx context.Context, path string, n int, signingKeyPEM string) (reused bool, err error) {
	if st, err := sqlite.Open(path); err == nil {
		done := seeded(ctx, st, n)
		st.Close()
		if done {
			log.Printf("seed: reusing %s (%d accounts)", path, n)
			return true, nil
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, err
		}
	}
	st, err := sqlite.Open(path)
	if err != nil {
		return false, err
	}
	defer st.Close()
	// SQLite has one writer: batches go in one after another.
	return false, seedStore(ctx, st, path, n, signingKeyPEM, func(tmpl store.Account, now time.Time) error {
		return seedAccounts(ctx, st, tmpl, n, 1, now)
	})
}

// seeded reports whether st holds a finished seeding of n accounts.
func seeded(ctx context.Context, st store.Store, n int) bool {
	v, found, err := st.Meta(ctx, seededMeta)
	return err == nil && found && v == strconv.Itoa(n)
}

// seedStore fills an empty store with n accounts, each with one login
// session: fill writes them as copies of the template account, all
// created at now. The secrets are hashed once, by the gateway itself (a
// template account created through the management API), and the hash
// strings reused: every account's password and PIN are benchPass and
// benchPIN at the default cost.
func seedStore(ctx context.Context, st store.Store, name string, n int, signingKeyPEM string, fill func(tmpl store.Account, now time.Time) error) error {
	start := time.Now()
	tmpl, err := templateAccount(ctx, st, signingKeyPEM)
	if err != nil {
		return fmt.Errorf("template account: %w", err)
	}
	if err := fill(tmpl, time.Now().UTC()); err != nil {
		return err
	}
	log.Printf("seed: %d accounts and sessions in %s in %.1fs", n, name, time.Since(start).Seconds())
	return st.SetMeta(ctx, seededMeta, strconv.Itoa(n))
}

// seedAccounts writes accounts 0…n-1 as copies of tmpl created at now,
// each with a login session that lasts 90 days, through the store API in
// batches shared out to workers goroutines.
func seedAccounts(ctx context.Context, st store.Store, tmpl store.Account, n, workers int, now time.Time) error {
	batches := make(chan int)
	errs := make(chan error, workers)
	var done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := range batches {
				last := min(n, first+seedBatch)
				if err := st.Update(ctx, func(tx store.Tx) error { return seedBatchTx(tx, tmpl, first, last, now) }); err != nil {
					errs <- fmt.Errorf("seed accounts %d-%d: %w", first, last, err)
					return
				}
				if d := done.Add(int64(last - first)); d/100000 != (d-int64(last-first))/100000 {
					log.Printf("seed: %d/%d accounts", d/100000*100000, n)
				}
			}
		}()
	}
	var err error
feed:
	for first := 0; first < n; first += seedBatch {
		select {
		case batches <- first:
		case err = <-errs:
			break feed
		}
	}
	close(batches)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err = <-errs:
	default:
	}
	return err
}

// seedBatchTx writes accounts first…last-1 in tx.
func seedBatchTx(tx store.Tx, tmpl store.Account, first, last int, now time.Time) error {
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
}

// benchGatewayConfig is the core configuration the Caddyfile's pin_auth
// block amounts to.
func benchGatewayConfig(st store.Store, signingKeyPEM string) config.Config {
	return config.Config{
		Tenants:    []config.Tenant{{Name: benchTenant, APIKeys: []string{benchAPIKey}, APISecret: benchAPISecret}},
		Store:      st,
		Peppers:    []string{benchPepper},
		Issuer:     benchIssuer,
		SigningAlg: tokens.AlgEdDSA,
		SigningKey: signingKeyPEM,
		Hash:       hashing.DefaultParams,
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
		"FirstName": benchFirstName, "LastName": benchLastName,
		"Roles":   []string{benchRole},
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
