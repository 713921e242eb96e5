package webhook

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// A vector published with the Standard Webhooks reference libraries: a
// receiver using any of them accepts what sign produces.
func TestSignWebhookMatchesTheStandardWebhooksVector(t *testing.T) {
	key, err := signingKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature = %s, want %s", got, want)
	}
}

func TestSigningKeyDecodesWhsecSecretsAndTakesPlainOnesAsBytes(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfe, 0x01, 0x7f}, 11) // 33 bytes, not valid UTF-8
	for _, c := range []struct {
		name, secret string
		want         []byte
		wantErr      string
	}{
		{"whsec with padding", "whsec_" + base64.StdEncoding.EncodeToString(raw), raw, ""},
		{"whsec without padding", "whsec_" + base64.RawStdEncoding.EncodeToString(raw[:32]), raw[:32], ""},
		{"plain secret", "a plain shared secret of 33 bytes", []byte("a plain shared secret of 33 bytes"), ""},
		{"whsec with bad base64", "whsec_not*base64*at*all*but*long*enough", nil, "base64"},
		{"whsec too short once decoded", "whsec_" + base64.StdEncoding.EncodeToString(raw[:23]), nil, "24 bytes"},
		{"plain too short", "short-secret-23-bytes!!", nil, "24 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			key, err := signingKey(c.secret)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), strings.TrimPrefix(c.secret, "whsec_")) {
					t.Errorf("the error repeats the secret: %v", err)
				}
				return
			}
			if err != nil || !bytes.Equal(key, c.want) {
				t.Errorf("key = %x, %v; want %x", key, err, c.want)
			}
		})
	}
}
