package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The Standard Webhooks request headers.
const (
	headerID        = "webhook-id"
	headerTimestamp = "webhook-timestamp"
	headerSignature = "webhook-signature"
)

const (
	// maxDrain is how much of a receiver's response body is read (so the
	// connection can be reused) before it is closed unread.
	maxDrain = 64 << 10
	// maxRedirects bounds same-host redirects (307/308) followed.
	maxRedirects = 3
	// userAgent identifies deliveries to receivers.
	userAgent = "caddy-pinauth-webhooks"
)

// target is one configured webhook, ready to deliver.
type target struct {
	id      string // endpointID
	url     string
	host    string // for logs: the URL may carry a token in its path or query
	key     []byte
	timeout time.Duration
	retry   RetryPolicy
}

// newTarget prepares w; w has passed Validate.
func newTarget(w *Webhook) (*target, error) {
	key, err := signingKey(w.Secret)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return nil, errors.New("invalid webhook url")
	}
	return &target{id: w.EndpointID(), url: w.URL, host: u.Host, key: key, timeout: w.Timeout, retry: w.Retry}, nil
}

// newClient returns the delivery client. Redirects are followed only
// to the same scheme and host and only when they keep the POST and its
// body (307, 308): a webhook must not be turned into a GET or sent, signed,
// to a host the operator did not configure. Any other 3xx is a failed
// attempt, as the Standard Webhooks specification recommends.
func newClient(workers int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			MaxIdleConnsPerHost:   workers,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			first := via[0]
			if len(via) > maxRedirects || req.Method != http.MethodPost ||
				req.URL.Scheme != first.URL.Scheme || req.URL.Host != first.URL.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// attemptError is a failed delivery attempt. Its text is stored as the
// event's LastError and logged: it never holds the URL, the secret or the
// payload.
type attemptError struct {
	msg string
	// retryAfter is the receiver's Retry-After, when it sent one.
	retryAfter time.Duration
}

func (e *attemptError) Error() string { return e.msg }

// post makes one signed delivery of payload as event id at now and
// returns nil when the receiver answered 2xx.
func (h *target) post(ctx context.Context, client *http.Client, id string, payload []byte, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(payload))
	if err != nil {
		return &attemptError{msg: "cannot build the request"}
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(headerID, id)
	req.Header.Set(headerTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(headerSignature, sign(h.key, id, ts, payload))
	resp, err := client.Do(req)
	if err != nil {
		return transportError(ctx, err, h.timeout)
	}
	defer resp.Body.Close()
	// Read a little so the connection can be reused; never more, so a
	// receiver cannot make us buffer or wait on a huge body.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &attemptError{
		msg:        fmt.Sprintf("receiver answered %d", resp.StatusCode),
		retryAfter: retryAfter(resp.Header.Get("Retry-After")),
	}
}

// transportError describes a failed round trip without the URL that
// *url.Error would print.
func transportError(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &attemptError{msg: fmt.Sprintf("no response within %s", timeout)}
	}
	if ctx.Err() != nil {
		return &attemptError{msg: "interrupted"}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &attemptError{msg: "request failed: " + err.Error()}
}

// retryAfter parses a Retry-After header given in seconds; dates and
// garbage yield 0.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(min(n, 1<<20)) * time.Second
}
