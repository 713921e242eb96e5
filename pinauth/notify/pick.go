package notify

import (
	"io/fs"
	"regexp"
	"strings"

	"go.uber.org/zap"
)

// messageKind is what a message carries to its reader: a link (with its
// token), a code, or neither.
type messageKind int

const (
	kindLink messageKind = iota + 1
	kindCode
	kindPlain
)

// builtinKinds is the kind of every built-in set, which is the kind of
// the message of a call that falls back to it. A test holds every
// built-in set to its entry here.
var builtinKinds = map[string]messageKind{
	SetPINResetLink: kindLink, SetPasswordResetLink: kindLink, SetAccountDeleteLink: kindLink,
	SetEmailVerificationLink: kindLink,
	SetPINResetOTP:           kindCode, SetPasswordResetOTP: kindCode, SetEmailVerificationOTP: kindCode,
	SetWelcome: kindPlain,
}

// misfit says why a set whose parts reference r cannot carry a message of
// kind k, or "" when it can: a link needs .Link or .Token and no .OTP (it
// would render empty), a code needs .OTP and neither of the others, and a
// message with no secret references none of them.
func (k messageKind) misfit(r secretRefs) string {
	link := r&(refLink|refToken) != 0
	code := r&refOTP != 0
	switch {
	case k == kindLink && !link:
		return "link message, the set references neither .Link nor .Token"
	case k == kindLink && code:
		return "link message, the set references .OTP"
	case k == kindCode && !code:
		return "code message, the set does not reference .OTP"
	case k == kindCode && link:
		return "code message, the set references .Link or .Token"
	case k == kindPlain && (link || code):
		return "message with no link or code, the set references .Link, .Token or .OTP"
	}
	return ""
}

// channel is the part of a set a message is rendered from.
type channel int

const (
	channelEmail channel = iota
	channelSMS
)

// get returns the named set of m when it can render the channel's
// message, else nil.
func (c channel) get(m templates, name string) *Set {
	if c == channelSMS {
		return m.sms(name)
	}
	return m.email(name)
}

// refs are the secret fields the parts of s that the channel renders
// reference.
func (c channel) refs(s *Set) secretRefs {
	if c == channelSMS {
		return s.refs.sms
	}
	return s.refs.subject | s.refs.text | s.refs.html
}

// pick returns the set a call's emailtemplate, smstemplate or
// welcomeemailtemplate names for the call's built-in set builtin: the set
// the tenant's alias for the name points to, else the set of that name,
// else the built-in set. A set that cannot render the channel's message
// counts as absent. LoginRadius's SDKs send the template names of a
// LoginRadius site (its forgot-PIN document makes emailtemplate
// required), which mean nothing here: unknown names get the built-in
// message rather than an error.
//
// Sets are named freely, so a call may name a link set for a message that
// carries a code, or the reverse: the user would get a mail with nothing
// to click and no code. A named set is used only when the secret fields
// its parts reference fit the message (misfit); else the call gets the
// built-in set of the named set's language (email_verification_link_de
// for a code gives email_verification_otp_de), else the built-in set.
// The message's kind is the built-in set's: pick runs in the request,
// before the secret is issued and the Data filled (a queued job does
// that), and the callers derive the built-in set and what Data carries
// from one flag (link or code), so the two agree.
func (n *Notifier) pick(tenant, name, builtin string, c channel) *Set {
	m := n.templates[tenant]
	if target, ok := n.aliases[tenant][name]; ok {
		name = target
	}
	s := c.get(m, name)
	if s == nil {
		return c.get(m, builtin)
	}
	kind, known := builtinKinds[builtin]
	if name == builtin || !known {
		return s
	}
	why := kind.misfit(c.refs(s))
	if why == "" {
		return s
	}
	fallback := builtin
	if lang := n.language(name); lang != "" {
		if twin := c.get(m, builtin+"_"+lang); twin != nil && kind.misfit(c.refs(twin)) == "" {
			fallback = builtin + "_" + lang
		}
	}
	if n.log != nil {
		n.log.Warn("message template set not used", zap.String("tenant", tenant), zap.String("template_set", name),
			zap.String("reason", why), zap.String("fallback", fallback))
	}
	return c.get(m, fallback)
}

// language returns the language suffix name ends in ("de" of
// pin_reset_link_de) when it is one the built-in sets have, else "".
func (n *Notifier) language(name string) string {
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return ""
	}
	if lang := name[i+1:]; n.languages[lang] {
		return lang
	}
	return ""
}

// languageSuffix is the tail of a built-in set's language twin.
var languageSuffix = regexp.MustCompile(`^_([a-z]{2})\.`)

// builtinLanguages returns the languages of the built-in sets' twins: the
// xx of every embedded file named <built-in set>_xx.<part>.
func builtinLanguages() (map[string]bool, error) {
	entries, err := fs.ReadDir(builtinMessages, "messages")
	if err != nil {
		return nil, err
	}
	langs := map[string]bool{}
	for _, e := range entries {
		for set := range builtinKinds {
			rest, ok := strings.CutPrefix(e.Name(), set)
			if m := languageSuffix.FindStringSubmatch(rest); ok && m != nil {
				langs[m[1]] = true
			}
		}
	}
	return langs, nil
}
