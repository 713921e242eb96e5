package tokens

import "testing"

func TestAProfileTagBindsTheProfileToItsTokenAndSurvivesAPepperRotation(t *testing.T) {
	t.Parallel()
	old := NewProfileTags([]string{"old-pepper"})
	p := &Profile{Email: "a@example.com", Username: "alice", Name: "Alice", Roles: []string{"admin"}}
	old.Tag("demo", "u1", "s1", 100, p)
	rotated := NewProfileTags([]string{"new-pepper", "old-pepper"})
	if !rotated.Valid("demo", "u1", "s1", 100, p) {
		t.Fatal("a tag of the previous pepper is refused after a rotation")
	}
	if NewProfileTags([]string{"new-pepper"}).Valid("demo", "u1", "s1", 100, p) {
		t.Error("a tag of a pepper no longer configured is accepted")
	}
	for name, check := range map[string]func() bool{
		"tenant": func() bool { return old.Valid("other", "u1", "s1", 100, p) },
		"uid":    func() bool { return old.Valid("demo", "u2", "s1", 100, p) },
		"sid":    func() bool { return old.Valid("demo", "u1", "s2", 100, p) },
		"exp":    func() bool { return old.Valid("demo", "u1", "s1", 101, p) },
		"email": func() bool {
			q := *p
			q.Email = "b@example.com"
			return old.Valid("demo", "u1", "s1", 100, &q)
		},
		"roles": func() bool {
			q := *p
			q.Roles = []string{"admin", "root"}
			return old.Valid("demo", "u1", "s1", 100, &q)
		},
		"no tag": func() bool {
			q := *p
			q.Tag = ""
			return old.Valid("demo", "u1", "s1", 100, &q)
		},
	} {
		if check() {
			t.Errorf("a tag survives a changed %s", name)
		}
	}
}
