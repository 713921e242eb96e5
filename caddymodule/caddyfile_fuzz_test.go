package caddymodule

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// secretDirectives are the subdirectives whose next argument is a secret
// that no error message may repeat.
var secretDirectives = map[string]bool{"pepper": true, "api_key": true, "api_secret": true, "signing_key": true, "secret": true}

// FuzzUnmarshalCaddyfile feeds arbitrary pin_auth blocks to the Caddyfile
// parser. It must not panic; an error must not repeat a secret's value;
// what it accepts must survive Validate and the conversion for the core
// without a panic, and a JSON round trip unchanged (the Caddyfile is only
// a way to write the JSON config).
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, s := range []string{
		"tenant demo {\n api_key k\n api_secret s\n}\npepper 0123456789abcdef0123",
		"tenant demo {\n api_key k1\n api_key k2\n api_secret s\n plan_expires 2030-01-02T15:04:05Z\n pin_required false\n pin_length 6 8\n allow_weak_pins\n allowed_origins https://a.example\n mfa security_question\n security_question pet \"What was your first pet?\"\n token_format uuid\n}",
		"store sqlite /tmp/x.db\nstore postgres postgres://u:p@h/db {\n max_conns 4\n}",
		"hash argon2id 1 1024 1\nmax_concurrent_hashes 4\nlockout 5 15m 15m captcha\nrate_limit 300 1m",
		"captcha recaptcha supersecretcaptcha {\n verify_url http://127.0.0.1:1/\n after 3\n min_score 0.5\n}",
		"signing_alg HS256\nsigning_key averyveryverylongsigningsecret0123456789",
		"public /healthz /static/*\nheader_prefix X-Id-\nheader_preset authelia\nforward_token false\ncache_size 64MiB\napi_prefix /id",
		"login_page /signin {\n tenant demo\n}\ncookie {\n name sid\n domain example.com\n insecure\n}",
		"webhook https://hooks.example/x {\n secret whsec_0123456789abcdef\n events Login SetPIN\n}",
		"access_ttl 15m\nrefresh_ttl 60d\nsession_ttl 7d\nkey_rotation 720h",
		"pepper", "tenant", "tenant {\n}", "lockout 0 0 0 nonsense", "pin_auth", "}", "{", "\"unterminated",
		"pepper sec\\\nret", "tenant a {\n tenant b {\n }\n}", "hash argon2id 99999999999999999999 1 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, block string) {
		tokens, err := caddyfile.Tokenize([]byte("pin_auth {\n"+block+"\n}"), "Caddyfile")
		if err != nil {
			return // the lexer's business: Caddy refuses the file before us
		}
		var h Handler
		err = h.UnmarshalCaddyfile(caddyfile.NewDispenser(tokens))
		if err != nil {
			for _, secret := range secretValues(tokens) {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error %q repeats the secret %q", err, secret)
				}
			}
			return
		}
		_ = h.Validate()
		// An empty replacer: the fuzzer must not read files ({file.…})
		// or the environment.
		_, _, _ = h.coreConfig(caddy.NewEmptyReplacer())
		first, err := json.Marshal(&h)
		if err != nil {
			t.Fatalf("marshal the parsed handler: %v", err)
		}
		var again Handler
		if err := json.Unmarshal(first, &again); err != nil {
			t.Fatalf("unmarshal %s: %v", first, err)
		}
		second, err := json.Marshal(&again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("the JSON config changes in a round trip:\n%s\n%s", first, second)
		}
	})
}

// secretValues returns the arguments of secret subdirectives that are long
// enough not to turn up in a message by chance and appear nowhere else in
// the block, neither as a token of their own nor inside another one.
func secretValues(tokens []caddyfile.Token) []string {
	count := map[string]int{}
	for _, tk := range tokens {
		count[tk.Text]++
	}
	var out []string
	for i := 0; i+1 < len(tokens); i++ {
		name := tokens[i]
		captcha := i >= 1 && tokens[i-1].Text == "captcha" && tokens[i-1].Line == name.Line
		if !secretDirectives[name.Text] && !captcha {
			continue
		}
		// Every argument on the line (pepper takes older ones too), up
		// to a block; captcha's secret follows its provider.
		for _, val := range tokens[i+1:] {
			if val.Line != name.Line || val.Text == "{" {
				break
			}
			if len(val.Text) >= 8 && count[val.Text] == 1 && !isSubdirectiveText(val.Text) &&
				!inAnotherToken(tokens, val) {
				out = append(out, val.Text)
			}
			if captcha {
				break
			}
		}
	}
	return out
}

// inAnotherToken reports whether the text of secret is part of another
// token of the block: a message may quote that other value (a URL, a path)
// and so contain the secret's text without repeating the secret.
func inAnotherToken(tokens []caddyfile.Token, secret caddyfile.Token) bool {
	for _, tk := range tokens {
		if tk.Text != secret.Text && strings.Contains(tk.Text, secret.Text) {
			return true
		}
	}
	return false
}

// isSubdirectiveText reports whether s is part of a subdirective name, which
// a message may name when it suggests a correction.
func isSubdirectiveText(s string) bool {
	for _, names := range [][]string{topLevel, tenantLevel, captchaLevel, planned} {
		for _, n := range names {
			if strings.Contains(n, s) {
				return true
			}
		}
	}
	return false
}
