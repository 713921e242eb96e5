package pinauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

func TestEveryAlgorithmIssuesTokensThatVerify(t *testing.T) {
	t.Parallel()
	wantKty := map[string]string{tokens.AlgEdDSA: "OKP", tokens.AlgES256: "EC", tokens.AlgRS256: "RSA", tokens.AlgHS256: ""}
	for alg, kty := range wantKty {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, func(c *Config) { c.SigningAlg = alg })
			tok := e.loggedIn(testEmail).str("access_token")
			parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
			if err != nil || parsed.Method.Alg() != alg || parsed.Header["kid"] == "" {
				t.Fatalf("token header: %v %v", parsed.Header, err)
			}
			if r := e.protected(tok); r.status != 200 {
				t.Fatalf("protected: %d %s", r.status, r.raw)
			}
			keys := e.do("GET", config.JWKSPath, nil).body["keys"].([]any)
			if kty == "" {
				if len(keys) != 0 {
					t.Fatalf("HS256 secret published in JWKS: %v", keys)
				}
				return
			}
			if len(keys) != 1 || keys[0].(map[string]any)["kty"] != kty {
				t.Fatalf("JWKS: %v", keys)
			}
		})
	}
}

func TestKeysSurviveRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pinauth.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e1 := newTestEnvOn(t, st)
	tok := e1.loggedIn(testEmail).str("access_token")

	// A second gateway on the same store (a restart, or another node)
	// verifies the first one's token with the same key.
	e2 := newTestEnvOn(t, st)
	if r := e2.protected(tok); r.status != 200 {
		t.Fatalf("token from the first gateway: %d %s", r.status, r.raw)
	}
	if e1.gw.tokens.Current().ID != e2.gw.tokens.Current().ID {
		t.Fatal("the second gateway created a new key instead of loading the stored one")
	}
	keys, err := st.Keys(t.Context())
	if err != nil || len(keys) != 1 {
		t.Fatalf("stored keys: %d %v", len(keys), err)
	}
	// That the stored key is sealed is tokens.TestKeysAreStoredSealed.
}

func TestOperatorSuppliedKeySigns(t *testing.T) {
	t.Parallel()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	e := newTestEnv(t, func(c *Config) { c.SigningAlg = tokens.AlgES256; c.SigningKey = pemKey })
	tok := e.loggedIn(testEmail).str("access_token")
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return &priv.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation()); err != nil {
		t.Fatalf("token not signed by the operator key: %v", err)
	}
	cfg := e.cfg
	cfg.SigningKey = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"
	if _, err := New(cfg); err == nil || strings.Contains(err.Error(), "not a key") {
		t.Fatalf("bad signing_key: %v", err)
	}
}
