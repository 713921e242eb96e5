package store

import (
	"cmp"
	"slices"
	"strings"
)

// SecretKind names the kind of secret an account's hash protects.
type SecretKind string

// The secrets an account may hold, as CountHashes reports them.
const (
	SecretPassword       SecretKind = "password"
	SecretPIN            SecretKind = "pin"
	SecretSecurityAnswer SecretKind = "security_answer"
)

// HashCount is how many accounts hold a secret of one kind hashed under
// one scheme.
type HashCount struct {
	Secret   SecretKind
	Scheme   string
	Accounts int
}

// HashScheme returns what a hash was made with, without what is unique to
// it: the encoded hash up to its second-to-last '$', that is without the
// salt and the key. For the core's argon2id hashes that is
// "$argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>,k=<pepper id>". A hash
// with fewer than two '$' has the scheme "".
func HashScheme(hash string) string {
	i := strings.LastIndexByte(hash, '$')
	if i < 0 {
		return ""
	}
	j := strings.LastIndexByte(hash[:i], '$')
	if j < 0 {
		return ""
	}
	return hash[:j]
}

// HashCounter adds up hashes into HashCounts, for backends that count in
// Go.
type HashCounter map[HashCount]int

// AddAccount counts one account's secrets.
func (c HashCounter) AddAccount(password, pin string, answers []string) {
	if password != "" {
		c[HashCount{Secret: SecretPassword, Scheme: HashScheme(password)}]++
	}
	if pin != "" {
		c[HashCount{Secret: SecretPIN, Scheme: HashScheme(pin)}]++
	}
	seen := map[string]bool{}
	for _, a := range answers {
		if a == "" {
			continue
		}
		if s := HashScheme(a); !seen[s] {
			seen[s] = true
			c[HashCount{Secret: SecretSecurityAnswer, Scheme: s}]++
		}
	}
}

// Counts returns the counts in CountHashes' order.
func (c HashCounter) Counts() []HashCount {
	out := make([]HashCount, 0, len(c))
	for k, n := range c {
		k.Accounts = n
		out = append(out, k)
	}
	SortHashCounts(out)
	return out
}

// SortHashCounts sorts counts by Secret, then Scheme.
func SortHashCounts(counts []HashCount) {
	slices.SortFunc(counts, func(a, b HashCount) int {
		return cmp.Or(cmp.Compare(a.Secret, b.Secret), cmp.Compare(a.Scheme, b.Scheme))
	})
}
