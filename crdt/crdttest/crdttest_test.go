package crdttest_test

import (
	"flag"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt/crdttest"
)

// maxReg is a tiny CRDT for the checker's self-tests: a map from replica to
// the largest number that replica wrote (a G-Counter without the sum). The
// merge is a parameter so that tests can break it.
type maxReg struct{ m map[string]int }

func spec(merge func(dst, src map[string]int)) crdttest.Spec[*maxReg, int] {
	return crdttest.Spec[*maxReg, int]{
		Empty: func() *maxReg { return &maxReg{map[string]int{}} },
		Op:    rapid.IntRange(1, 3),
		Apply: func(s *maxReg, r string, n int) (*maxReg, error) {
			s.m[r] += n
			return &maxReg{map[string]int{r: s.m[r]}}, nil
		},
		Merge: func(d, s *maxReg) error { merge(d.m, s.m); return nil },
		Clone: func(s *maxReg) *maxReg { return &maxReg{maps.Clone(s.m)} },
		Equal: func(a, b *maxReg) bool { return maps.Equal(a.m, b.m) },
		String: func(s *maxReg) string {
			var b strings.Builder
			for _, k := range slices.Sorted(maps.Keys(s.m)) {
				fmt.Fprintf(&b, "%s:%d ", k, s.m[k])
			}
			return b.String()
		},
	}
}

func goodMerge(d, s map[string]int) {
	for k, v := range s {
		d[k] = max(d[k], v)
	}
}

func TestCheckPassesCorrectType(t *testing.T) { crdttest.Check(t, spec(goodMerge)) }

// recorder is a rapid.TB that records failures instead of failing the test.
type recorder struct {
	mu     sync.Mutex
	failed bool
	log    strings.Builder
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Logf(f string, a ...any) {
	r.mu.Lock()
	fmt.Fprintf(&r.log, f+"\n", a...)
	r.mu.Unlock()
}
func (r *recorder) Log(a ...any)         { r.Logf("%s", fmt.Sprint(a...)) }
func (r *recorder) Skipf(string, ...any) {}
func (r *recorder) Skip(...any)          {}
func (r *recorder) SkipNow()             {}
func (r *recorder) Errorf(f string, a ...any) {
	r.Logf(f, a...)
	r.Fail()
}
func (r *recorder) Error(a ...any)            { r.Errorf("%s", fmt.Sprint(a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...); r.FailNow() }
func (r *recorder) Fatal(a ...any)            { r.Errorf("%s", fmt.Sprint(a...)); r.FailNow() }
func (r *recorder) FailNow()                  { r.Fail(); runtime.Goexit() }
func (r *recorder) Fail()                     { r.mu.Lock(); r.failed = true; r.mu.Unlock() }
func (r *recorder) Failed() bool              { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }

// run runs one property against a recorder and returns whether it failed
// and what it logged. The failures are expected: rapid is told not to save
// them as fail files.
func run(p crdttest.Property) (bool, string) {
	if f := flag.Lookup("rapid.nofailfile"); f != nil {
		old := f.Value.String()
		flag.Set("rapid.nofailfile", "true")
		defer flag.Set("rapid.nofailfile", old)
	}
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rapid.Check(r, p.Check)
	}()
	<-done
	return r.Failed(), r.log.String()
}

// TestCheckCatchesBrokenMerges: each deliberately broken merge is caught by
// the law it breaks, with a message that names that law.
func TestCheckCatchesBrokenMerges(t *testing.T) {
	cases := []struct {
		name, law, message string
		merge              func(d, s map[string]int)
	}{
		{"sum instead of max (not idempotent)", "idempotent", "merge is not idempotent",
			func(d, s map[string]int) {
				for k, v := range s {
					d[k] += v
				}
			}},
		{"left wins (not commutative)", "commutative", "merge is not commutative",
			func(d, s map[string]int) {
				for k, v := range s {
					if _, ok := d[k]; !ok {
						d[k] = v
					}
				}
			}},
		{"forgets replica a (no convergence)", "convergence", "did not converge",
			func(d, s map[string]int) {
				for k, v := range s {
					if k != "a" {
						d[k] = max(d[k], v)
					}
				}
			}},
		{"loses the delta's replica (deltas differ from states)", "deltas", "≠",
			func(d, s map[string]int) {
				if len(s) == 1 {
					return
				}
				goodMerge(d, s)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range crdttest.Properties(spec(c.merge)) {
				if p.Name != c.law {
					continue
				}
				failed, log := run(p)
				if !failed {
					t.Fatalf("the %s law did not catch a broken merge", c.law)
				}
				if !strings.Contains(log, c.message) {
					t.Fatalf("the failure does not say %q:\n%s", c.message, log)
				}
				return
			}
			t.Fatalf("no property %q", c.law)
		})
	}
}

// TestCheckCatchesBrokenCodec: a codec that drops a replica is caught.
func TestCheckCatchesBrokenCodec(t *testing.T) {
	s := spec(goodMerge)
	s.Codecs = []crdttest.Codec[*maxReg]{{
		Name: "lossy",
		Marshal: func(m *maxReg) ([]byte, error) {
			return []byte(fmt.Sprint(m.m["a"])), nil
		},
		Unmarshal: func(b []byte) (*maxReg, error) {
			var n int
			fmt.Sscan(string(b), &n)
			r := &maxReg{map[string]int{}}
			if n != 0 {
				r.m["a"] = n
			}
			return r, nil
		},
	}}
	for _, p := range crdttest.Properties(s) {
		if p.Name == "codec/lossy" {
			failed, log := run(p)
			if !failed || !strings.Contains(log, "does not round-trip") {
				t.Fatalf("a lossy codec was not caught: %v\n%s", failed, log)
			}
			return
		}
	}
	t.Fatal("no codec property")
}

// TestFailuresShrink: the counterexample to idempotence of a summing merge
// shrinks to the smallest history that shows it, one operation.
//
// How far rapid shrinks depends on the seed it starts from, so the test
// fixes one (rapid.seed) to be deterministic; it passes from other seeds
// too (checked for 200).
func TestFailuresShrink(t *testing.T) {
	if f := flag.Lookup("rapid.seed"); f != nil {
		old := f.Value.String()
		if err := flag.Set("rapid.seed", "1"); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = flag.Set("rapid.seed", old) }()
	}
	s := spec(func(d, s map[string]int) {
		for k, v := range s {
			d[k] += v
		}
	})
	for _, p := range crdttest.Properties(s) {
		if p.Name != "idempotent" {
			continue
		}
		failed, log := run(p)
		if !failed {
			t.Fatal("not caught")
		}
		// The shrunk history may keep steps that do nothing (a replica
		// merging its own state), but exactly one operation: the one
		// whose result, merged with itself, shows the broken law.
		if n := strings.Count(log, "draw op:"); n != 1 {
			t.Fatalf("the failure did not shrink to one operation (%d):\n%s", n, log)
		}
		return
	}
}

// TestCheckCatchesUndetectedTwin: maxReg keeps the larger number per
// replica and has no way to tell two copies of one replica apart; told
// that it should (Issues and Conflict set), the replica-identity property
// finds a history where a twin's updates vanish without an error.
func TestCheckCatchesUndetectedTwin(t *testing.T) {
	s := spec(goodMerge)
	s.Issues = func(int) bool { return true }
	s.Conflict = func(error) bool { return true }
	for _, p := range crdttest.Properties(s) {
		if p.Name == "replica-identity" {
			failed, log := run(p)
			if !failed || !strings.Contains(log, "no merge reported a replica conflict") {
				t.Fatalf("an undetected twin was not caught: %v\n%s", failed, log)
			}
			return
		}
	}
	t.Fatal("no replica-identity property")
}

// TestCheckCatchesEarlyConflict: a merge that reports a conflict whenever
// the other side has counted as far for some replica flags legitimate
// states (a replica merging its own snapshot, a stale copy catching up);
// the property reports it before any twin has updated.
func TestCheckCatchesEarlyConflict(t *testing.T) {
	s := spec(goodMerge)
	s.Merge = func(d, src *maxReg) error {
		for k, v := range src.m {
			if v > 0 && v >= d.m[k] {
				return fmt.Errorf("as far or ahead")
			}
		}
		goodMerge(d.m, src.m)
		return nil
	}
	s.Issues = func(int) bool { return true }
	s.Conflict = func(error) bool { return true }
	for _, p := range crdttest.Properties(s) {
		if p.Name == "replica-identity" {
			failed, log := run(p)
			if !failed || !strings.Contains(log, "before the twin") {
				t.Fatalf("an early conflict was not caught: %v\n%s", failed, log)
			}
			return
		}
	}
	t.Fatal("no replica-identity property")
}
