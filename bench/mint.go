package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// The bench mints access tokens itself, with the operator signing key it
// configures (signing_key), instead of asking the gateway to log in a
// million times (each login costs an argon2id hash). The gateway cannot
// tell them apart from its own: same key, same claims, and every token
// names a real session of a real account seeded in the store.

// newSigningKey writes a fresh Ed25519 private key as PKCS#8 PEM to path
// (mode 0600) and returns it.
func newSigningKey(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return priv, os.WriteFile(path, pemBytes, 0o600)
}

// fetchKid reads the key id the gateway publishes for the operator key.
func fetchKid(baseURL string) (string, error) {
	resp, err := http.Get(baseURL + "/.well-known/jwks.json")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			Alg string `json:"alg"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return "", fmt.Errorf("decode JWKS: %w", err)
	}
	for _, k := range set.Keys {
		if k.Alg == "EdDSA" {
			return k.Kid, nil
		}
	}
	return "", fmt.Errorf("JWKS at %s has no EdDSA key", baseURL)
}

// minter signs access tokens the way the gateway does: with its
// signing_key, naming it in kid, with the gateway MAC (issue 22).
type minter struct{ key *tokens.OperatorKey }

// newMinter is the minter of the signing_key keyPEM, which the gateway
// publishes as kid.
func newMinter(keyPEM, kid string) (*minter, error) {
	k, err := tokens.ParseOperatorKey(tokens.AlgEdDSA, keyPEM)
	if err != nil {
		return nil, err
	}
	if k.ID() != kid {
		return nil, fmt.Errorf("the gateway publishes kid %s, not the bench key's %s", kid, k.ID())
	}
	return &minter{key: k}, nil
}

type accessClaims struct {
	jwt.RegisteredClaims
	SID string `json:"sid"`
	// Profile is the identity the gateway's own tokens carry (issue 22),
	// as the seeded accounts have it, tagged with the bench's pepper.
	Profile *tokens.Profile `json:"idn,omitempty"`
}

// profileTags tags the profiles of minted tokens as the gateway does.
var profileTags = tokens.NewProfileTags([]string{benchPepper})

// token returns an access token for account i's session, valid for two
// hours, with a random jti (so every token is distinct).
func (m *minter) token(i int, now time.Time) (string, error) { return m.tokenFor(i, sidOf(i), now) }

// tokenFor is token for session sid of account i.
func (m *minter) tokenFor(i int, sid string, now time.Time) (string, error) {
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	exp := jwt.NewNumericDate(now.Add(2 * time.Hour))
	p := &tokens.Profile{Email: emailOf(i), Name: benchName, Roles: []string{benchRole}}
	profileTags.Tag(benchTenant, uidOf(i), sid, exp.Unix(), p)
	return m.key.Sign(accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    benchIssuer,
			Subject:   uidOf(i),
			Audience:  jwt.ClaimStrings{benchTenant},
			ExpiresAt: exp,
			IssuedAt:  jwt.NewNumericDate(now.Add(-time.Second)),
			ID:        hex.EncodeToString(jti),
		},
		SID:     sid,
		Profile: p,
	})
}

// mintFiles writes count tokens into parts files prefix.0 … prefix.<parts-1>
// (one per wrk thread), token j for account pick(j), minting the parts in
// parallel.
func (m *minter) mintFiles(prefix string, parts, count int, pick func(part, j int) int) error {
	now := time.Now()
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[p] = m.mintFile(prefix+"."+strconv.Itoa(p), count/parts, func(j int) int { return pick(p, j) }, now)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *minter) mintFile(path string, n int, pick func(j int) int, now time.Time) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for j := range n {
		tok, err := m.token(pick(j), now)
		if err != nil {
			f.Close()
			return err
		}
		w.WriteString(tok)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// mintAll returns count tokens, token j for account pick(j), minted on
// every core.
func (m *minter) mintAll(count, workers int, pick func(j int) int) ([]string, error) {
	now := time.Now()
	out := make([]string, count)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < count; j += workers {
				tok, err := m.token(pick(j), now)
				if err != nil {
					errs[w] = err
					return
				}
				out[j] = tok
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
