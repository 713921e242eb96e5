package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// smsClient sends SMS through an HTTP provider shaped like Twilio's
// Messages API: a form POST of To, From and Body, authenticated with HTTP
// basic auth (or a bearer token), any 2xx answer meaning accepted.
type smsClient struct {
	cfg    SMSConfig
	client *http.Client
}

func newSMSClient(cfg SMSConfig) *smsClient {
	return &smsClient{cfg: cfg, client: &http.Client{
		// A redirect would replay the form (and the credentials, to the
		// same host) somewhere else: a provider does not redirect.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// smsStatusError is a provider's refusal; it names only the status, since
// the body may echo the phone number.
type smsStatusError struct{ status int }

func (e *smsStatusError) Error() string {
	return fmt.Sprintf("sms provider answered %d", e.status)
}

// send posts one message to the provider; ctx bounds the exchange.
func (s *smsClient) send(ctx context.Context, to, body string) error {
	form := url.Values{"To": {to}, "From": {s.cfg.From}, "Body": {body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if s.cfg.Username != "" {
		req.SetBasicAuth(s.cfg.Username, s.cfg.Password)
	} else {
		req.Header.Set("Authorization", "Bearer "+s.cfg.Password)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// url.Error names the URL, which holds no credential (WithDefaults
		// refuses user info in it).
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &smsStatusError{status: resp.StatusCode}
	}
	return nil
}
