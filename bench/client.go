package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
)

var httpClient = &http.Client{Timeout: 30 * time.Second}

func defaultHash() hashing.Params { return hashing.DefaultParams }

// call sends one request and returns the status and body.
func call(method, url string, body []byte, header ...string) (int, string, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// postLogin posts a login body and returns the decoded response.
func postLogin(url string, body any) (map[string]any, error) {
	j, _ := json.Marshal(body)
	status, resp, err := call("POST", url, j)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("POST %s: %d %s", url, status, resp)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(resp), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// pinSessionFiles logs k accounts per wrk thread (spread over the n
// accounts) in with their password and writes their PIN session tokens to
// prefix.<thread>, so that concurrent PIN logins never share an account.
func pinSessionFiles(t target, prefix string, n, threads, k int) error {
	total := threads * k
	for th := range threads {
		var lines []string
		for j := range k {
			i := (th*k + j) * n / total
			resp, err := postLogin(t.url("/identity/v2/auth/login?apikey="+benchAPIKey),
				map[string]string{"email": emailOf(i), "password": benchPass})
			if err != nil {
				return fmt.Errorf("password login of account %d: %w", i, err)
			}
			st, _ := resp["session_token"].(string)
			if st == "" {
				return fmt.Errorf("password login of account %d returned no session_token", i)
			}
			lines = append(lines, st)
		}
		if err := os.WriteFile(prefix+"."+strconv.Itoa(th), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// sanityChecks proves each site does what its scenario claims before any
// number is taken: the gateways accept the minted tokens and forward the
// right identity, and every auth scheme rejects a request without
// credentials.
func sanityChecks(plain, pinSmall, pinLarge, basic, forward target, warm string, m *minter, large int, basicHeader string) error {
	last, err := m.token(large-1, time.Now())
	if err != nil {
		return err
	}
	checks := []struct {
		what   string
		url    string
		header []string
		status int
		body   string
	}{
		{"baseline", plain.url(appPath), []string{"Authorization: Bearer " + warm}, 200, "uid=\n"},
		{"pin_auth, small store", pinSmall.url(appPath), []string{"Authorization: Bearer " + warm}, 200, "uid=" + uidOf(0) + "\n"},
		{"pin_auth without a token", pinSmall.url(appPath), nil, 401, ""},
		{"pin_auth, large store", pinLarge.url(appPath), []string{"Authorization: Bearer " + last}, 200, "uid=" + uidOf(large-1) + "\n"},
		{"pin_auth, large store, forged identity", pinLarge.url(appPath), []string{"X-Auth-Uid: forged"}, 401, ""},
		{"basic_auth", basic.url(appPath), []string{basicHeader}, 200, "uid=\n"},
		{"basic_auth without credentials", basic.url(appPath), nil, 401, ""},
		{"forward_auth", forward.url(appPath), []string{"Authorization: Bearer " + warm}, 200, "uid=" + uidOf(0) + "\n"},
		{"forward_auth without a token", forward.url(appPath), nil, 401, ""},
	}
	for _, c := range checks {
		status, body, err := call("GET", c.url, nil, c.header...)
		if err != nil {
			return fmt.Errorf("sanity check %s: %w", c.what, err)
		}
		if status != c.status || (c.body != "" && body != c.body) {
			return fmt.Errorf("sanity check %s: got %d %q, want %d %q", c.what, status, body, c.status, c.body)
		}
	}
	return nil
}

// sameIdentityHeaders proves the header-matched baseline forwards exactly
// the identity headers pin_auth forwards for the warm token.
func sameIdentityHeaders(pin, plainHdr target, bearer string) error {
	_, want, err := call("GET", pin.url(headersPath), nil, bearer)
	if err != nil {
		return fmt.Errorf("sanity check identity headers: %w", err)
	}
	_, got, err := call("GET", plainHdr.url(headersPath), nil, bearer)
	if err != nil {
		return fmt.Errorf("sanity check identity headers: %w", err)
	}
	if !strings.Contains(want, "X-Auth-Uid: "+uidOf(0)) || got != want {
		return fmt.Errorf("sanity check identity headers: pin_auth forwards %q, the header-matched baseline %q", want, got)
	}
	return nil
}
