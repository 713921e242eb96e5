package loginpage

import (
	"embed"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The page speaks the language the browser asks for (Accept-Language),
// when it has a catalogue for it: lang/<tag>.txt, one "key<TAB>text" per
// line, every key of en.txt in every catalogue (a test checks it). A
// text with %d or %s takes arguments, in the order en.txt has them. An
// operator may replace any text per language (Config.Text).

//go:embed lang
var langFS embed.FS

// defaultLang is the language of a browser that asks for none the page has.
const defaultLang = "en"

// catalogue maps a language tag to its texts by key.
type catalogue map[string]map[string]string

// loadCatalogue reads the embedded catalogues and lays the operator's
// texts (lang → key → text) over them. An override of a language or a
// key the page does not have is an error, so a typo does not go
// unnoticed.
func loadCatalogue(overrides map[string]map[string]string) (catalogue, error) {
	c := catalogue{}
	entries, err := langFS.ReadDir("lang")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := langFS.ReadFile(path.Join("lang", e.Name()))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			key, text, ok := strings.Cut(line, "\t")
			if !ok {
				return nil, fmt.Errorf("pinauth: login_page: %s: line %q has no tab", e.Name(), line)
			}
			m[key] = text
		}
		c[strings.TrimSuffix(e.Name(), ".txt")] = m
	}
	for lang, texts := range overrides {
		if c[lang] == nil {
			return nil, fmt.Errorf("pinauth: login_page: text: no language %q (have %s)", lang, strings.Join(c.langs(), ", "))
		}
		for key, text := range texts {
			en, ok := c[defaultLang][key]
			if !ok {
				return nil, fmt.Errorf("pinauth: login_page: text: no text %q", key)
			}
			if verbs(text) != verbs(en) {
				return nil, fmt.Errorf("pinauth: login_page: text %s %s: must have the placeholders %q, in that order", lang, key, verbs(en))
			}
			c[lang][key] = text
		}
	}
	return c, nil
}

// verbs are the formatting verbs of a text, in order ("%d%d").
func verbs(s string) string {
	var out strings.Builder
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' {
			out.WriteString(s[i : i+2])
			i++
		}
	}
	return out.String()
}

// langs lists the catalogue's languages, sorted.
func (c catalogue) langs() []string {
	var out []string
	for l := range c {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// pick returns the language of an Accept-Language header the catalogue
// has, by the browser's preference (q values), else defaultLang. A
// regional tag (de-CH) takes its language (de).
func (c catalogue) pick(header string) string {
	best, bestQ := defaultLang, 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if _, ok := c[primary]; ok && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// texts are one language's texts, with English for any key it lacks.
type texts struct {
	lang   string
	m, def map[string]string
}

// textsFor returns the texts of r's language.
func (p *Page) textsFor(r *http.Request) texts {
	lang := p.catalogue.pick(r.Header.Get("Accept-Language"))
	return texts{lang: lang, m: p.catalogue[lang], def: p.catalogue[defaultLang]}
}

// get returns the text of key, formatted with args when it takes them.
func (t texts) get(key string, args ...any) string {
	s, ok := t.m[key]
	if !ok {
		s = t.def[key]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// t returns the text of key in r's language.
func (p *Page) t(r *http.Request, key string, args ...any) string {
	return p.textsFor(r).get(key, args...)
}

// clock formats a time of day for t's language (in UTC).
func (t texts) clock(at time.Time) string { return at.UTC().Format(t.get("time.layout")) }

// inWords says a duration the way a person would, rounded up.
func inWords(t texts, d time.Duration) string {
	if d <= time.Minute {
		return t.get("dur.aboutaminute")
	}
	if m := int((d + time.Minute - 1) / time.Minute); m < 60 {
		return plural(t, "dur.minute", m)
	}
	if h := int((d + time.Hour - 1) / time.Hour); h < 48 {
		return plural(t, "dur.hour", h)
	}
	return plural(t, "dur.day", int((d+24*time.Hour-1)/(24*time.Hour)))
}

// plural is the text of key.one for 1, else key.other with n.
func plural(t texts, key string, n int) string {
	if n == 1 {
		return t.get(key + ".one")
	}
	return t.get(key+".other", n)
}
