package secret

// Equal compares two strings in time that depends only on their length,
// eight bytes at a time, without allocating. It runs on every cached
// request, so it must be cheap as well as constant-time.
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v uint64
	i := 0
	for ; i+8 <= len(a); i += 8 {
		v |= load64(a, i) ^ load64(b, i)
	}
	for ; i < len(a); i++ {
		v |= uint64(a[i] ^ b[i])
	}
	return v == 0
}

// load64 reads eight bytes of s at i, little-endian (the compiler merges
// the loads into one).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
