package captcha

import (
	"testing"
	"time"
)

func TestWithDefaultsFillsTheDefaults(t *testing.T) {
	t.Parallel()
	const valSecret = "captcha-validation-secret"
	ok, err := (Config{Provider: ReCAPTCHA, Secret: valSecret}).WithDefaults(5)
	if err != nil || ok.After != 3 || ok.Always || ok.MinScore != 0.5 || ok.Timeout != 5*time.Second ||
		ok.VerifyURL != DefaultVerifyURLs[ReCAPTCHA] {
		t.Fatalf("defaults = %+v, %v", ok, err)
	}
	if two, _ := (Config{Provider: HCaptcha, Secret: valSecret}).WithDefaults(2); !two.Always {
		t.Fatal("after below 1 (lockout of 2) must mean always")
	}
}
