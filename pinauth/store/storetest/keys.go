package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var keyCases = []testCase{
	{"AddKey with onlyIfNone inserts only while the algorithm has no unretired key", testAddKeyOnlyIfNone},
	{"Keys returns every key oldest first with its fields, and AddKey refuses a used id", testKeysOrder},
	{"RetireKey keeps the first retirement time and reports unknown keys", testRetireKey},
	{"Meta, SetMeta and SetMetaIfAbsent store, replace and keep values", testMeta},
}

func key(id, alg string, created time.Time) store.Key {
	return store.Key{ID: id, Alg: alg, Private: []byte("sealed-" + id), Public: []byte{0x30, 0x2a, 0x00, 0xff},
		PepperID: "p1", CreatedAt: created}
}

func addKey(t *testing.T, s store.Store, k store.Key, onlyIfNone bool) bool {
	t.Helper()
	inserted, err := s.AddKey(t.Context(), k, onlyIfNone)
	if err != nil {
		t.Fatalf("AddKey(%s): %v", k.ID, err)
	}
	return inserted
}

func keyIDs(t *testing.T, s store.Store) []string {
	t.Helper()
	keys, err := s.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

func testAddKeyOnlyIfNone(t *testing.T, s store.Store) {
	steps := []struct {
		k          store.Key
		onlyIfNone bool
		want       bool
	}{
		{key("ed1", "EdDSA", t0), true, true},
		{key("ed2", "EdDSA", t0.Add(time.Second)), true, false},
		{key("es1", "ES256", t0.Add(2*time.Second)), true, true},
		{key("ed3", "EdDSA", t0.Add(3*time.Second)), false, true}, // a rotation adds regardless
	}
	for _, st := range steps {
		if got := addKey(t, s, st.k, st.onlyIfNone); got != st.want {
			t.Errorf("AddKey(%s, onlyIfNone %v) = %v, want %v", st.k.ID, st.onlyIfNone, got, st.want)
		}
	}
	for _, id := range []string{"ed1", "ed3"} {
		if found, err := s.RetireKey(t.Context(), id, t0.Add(time.Minute)); !found || err != nil {
			t.Fatalf("RetireKey(%s) = %v, %v", id, found, err)
		}
	}
	// Only retired EdDSA keys remain: one may be added again.
	if !addKey(t, s, key("ed4", "EdDSA", t0.Add(4*time.Second)), true) {
		t.Error("AddKey(onlyIfNone) with only retired keys of the algorithm: not inserted")
	}
	// A key added already retired does not count as unretired.
	if !addKey(t, s, store.Key{ID: "hs-old", Alg: "HS256", Private: []byte("x"), PepperID: "p1",
		CreatedAt: t0, RetiredAt: t0.Add(time.Second)}, false) {
		t.Fatal("AddKey(retired HS256): not inserted")
	}
	if !addKey(t, s, key("hs1", "HS256", t0.Add(5*time.Second)), true) {
		t.Error("AddKey(onlyIfNone) beside a retired key of the algorithm: not inserted")
	}
	want := []string{"ed1", "hs-old", "es1", "ed3", "ed4", "hs1"}
	if got := keyIDs(t, s); !slices.Equal(got, want) {
		t.Errorf("Keys = %v, want %v", got, want)
	}
}

func testKeysOrder(t *testing.T, s store.Store) {
	newest := key("k-new", "EdDSA", t0.Add(time.Hour).In(ist))
	oldest := key("k-old", "ES256", t0.Add(-time.Hour))
	oldest.RetiredAt = t0.Add(-time.Minute).In(ist)
	hmac := store.Key{ID: "k-mid", Alg: "HS256", Private: []byte{1, 2, 3}, PepperID: "p2", CreatedAt: t0}
	for _, k := range []store.Key{newest, oldest, hmac} {
		addKey(t, s, k, false)
	}
	if _, err := s.AddKey(t.Context(), key("k-mid", "EdDSA", t0.Add(2*time.Hour)), false); err == nil {
		t.Error("AddKey with a used id succeeded")
	}
	keys, err := s.Keys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Key{oldest, hmac, newest}
	if len(keys) != len(want) {
		t.Fatalf("Keys = %d keys, want %d", len(keys), len(want))
	}
	for i, w := range want {
		g := keys[i]
		sameTime(t, "key "+w.ID+" CreatedAt", g.CreatedAt, w.CreatedAt)
		sameTime(t, "key "+w.ID+" RetiredAt", g.RetiredAt, w.RetiredAt)
		if g.ID != w.ID || g.Alg != w.Alg || g.PepperID != w.PepperID ||
			!bytes.Equal(g.Private, w.Private) || !bytes.Equal(g.Public, w.Public) {
			t.Errorf("Keys[%d] = %+v, want %+v", i, g, w)
		}
	}
}

func testRetireKey(t *testing.T, s store.Store) {
	addKey(t, s, key("k1", "EdDSA", t0), false)
	addKey(t, s, key("k2", "EdDSA", t0.Add(time.Second)), false)
	first := t0.Add(time.Hour).In(ist)
	for _, at := range []time.Time{first, first.Add(time.Hour)} {
		if found, err := s.RetireKey(t.Context(), "k1", at); !found || err != nil {
			t.Fatalf("RetireKey(k1) = found %v, err %v", found, err)
		}
	}
	if found, err := s.RetireKey(t.Context(), "k-missing", first); found || err != nil {
		t.Errorf("RetireKey(missing) = found %v, err %v; want not found, nil", found, err)
	}
	keys, err := s.Keys(t.Context())
	if err != nil || len(keys) != 2 {
		t.Fatalf("Keys = %d, err %v", len(keys), err)
	}
	sameTime(t, "k1 RetiredAt", keys[0].RetiredAt, first)
	sameTime(t, "k2 RetiredAt", keys[1].RetiredAt, time.Time{})
}

func testMeta(t *testing.T, s store.Store) {
	ctx := t.Context()
	get := func(key string) (string, bool) {
		t.Helper()
		v, found, err := s.Meta(ctx, key)
		if err != nil {
			t.Fatalf("Meta(%s): %v", key, err)
		}
		return v, found
	}
	ifAbsent := func(key, value, want string) {
		t.Helper()
		got, err := s.SetMetaIfAbsent(ctx, key, value)
		if err != nil || got != want {
			t.Errorf("SetMetaIfAbsent(%s, %s) = %q, %v; want %q", key, value, got, err, want)
		}
	}
	ifAbsent("check", "first", "first")
	ifAbsent("check", "second", "first")
	if v, found := get("check"); !found || v != "first" {
		t.Errorf("Meta(check) = %q, %v; want first", v, found)
	}
	if err := s.SetMeta(ctx, "check", "replaced"); err != nil {
		t.Fatal(err)
	}
	if v, _ := get("check"); v != "replaced" {
		t.Errorf("Meta(check) after SetMeta = %q, want replaced", v)
	}
	ifAbsent("check", "third", "replaced")
	if err := s.SetMeta(ctx, "new", "v"); err != nil {
		t.Fatal(err)
	}
	if v, found := get("new"); !found || v != "v" {
		t.Errorf("Meta(new) = %q, %v; want v", v, found)
	}
	// An empty value is a value.
	ifAbsent("empty", "", "")
	if v, found := get("empty"); !found || v != "" {
		t.Errorf("Meta(empty) = %q, %v; want \"\", found", v, found)
	}
	ifAbsent("empty", "x", "")
}
