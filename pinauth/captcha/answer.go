package captcha

// Answer is the solved captcha a request carries.
type Answer struct {
	// Response is the reCAPTCHA/hCaptcha token or the Tencent ticket;
	// empty when the request carries no (complete) answer.
	Response string
	// Randstr is Tencent's random string.
	Randstr string
}

// fieldNames are the request fields (lower-case) holding each
// provider's answer, in order of preference. hCaptcha's widget fills
// g-recaptcha-response too, for drop-in compatibility.
var fieldNames = map[string][2][]string{
	ReCAPTCHA: {{"g-recaptcha-response", "g_recaptcha_response"}},
	HCaptcha:  {{"h-captcha-response", "h_captcha_response", "g-recaptcha-response", "g_recaptcha_response"}},
	Tencent: {
		{"qq_captcha_ticket", "qq_recaptcha_ticket"},
		{"qq_captcha_randstr", "qq_recaptcha_randstr"},
	},
}

// AnswerFrom reads provider's captcha fields through field, which returns
// the first non-empty value of the named (lower-case) request fields.
func AnswerFrom(provider string, field func(names ...string) string) Answer {
	names := fieldNames[provider]
	a := Answer{Response: field(names[0]...)}
	if len(names[1]) > 0 {
		a.Randstr = field(names[1]...)
		if a.Randstr == "" {
			a.Response = ""
		}
	}
	return a
}
