package crdttest_test

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt/crdttest"
)

// The mutation score of the law checker (verification level 9 of the
// design): each mutant below is a plausible broken CRDT, the kind of bug
// a CRDT author makes, and TestMutantsAreKilled requires the checker to
// report a failure for every one of them. The correct type each mutant is
// derived from passes every property (TestMutantControlsPass), so a
// failure is the mutant's, not the harness's. docs/crdt.md reports the
// score and the time to kill each.

// ---- Counters: a map from replica to its count (a G-Counter). ----

// gcMutation breaks one part of a G-Counter.
type gcMutation struct {
	merge func(dst, src map[string]int)
	delta func(s map[string]int, r string, n int) map[string]int
	codec *crdttest.Codec[*maxReg]
}

func gcSpec(mu gcMutation) crdttest.Spec[*maxReg, int] {
	s := spec(goodMerge)
	if mu.merge != nil {
		s.Merge = func(d, src *maxReg) error { mu.merge(d.m, src.m); return nil }
	}
	if mu.delta != nil {
		s.Apply = func(x *maxReg, r string, n int) (*maxReg, error) {
			x.m[r] += n
			return &maxReg{mu.delta(x.m, r, n)}, nil
		}
	}
	s.Codecs = []crdttest.Codec[*maxReg]{counterCodec}
	if mu.codec != nil {
		s.Codecs = []crdttest.Codec[*maxReg]{*mu.codec}
	}
	s.Value = func(x *maxReg) string {
		sum := 0
		for _, v := range x.m {
			sum += v
		}
		return strconv.Itoa(sum)
	}
	s.Model = func(seen []crdttest.Event[int]) string {
		sum := 0
		for _, e := range seen {
			sum += e.Op
		}
		return strconv.Itoa(sum)
	}
	return s
}

// counterCodec writes "r=n" pairs in replica order.
var counterCodec = crdttest.Codec[*maxReg]{
	Name: "text",
	Marshal: func(x *maxReg) ([]byte, error) {
		var b strings.Builder
		for _, r := range slices.Sorted(maps.Keys(x.m)) {
			fmt.Fprintf(&b, "%s=%d;", r, x.m[r])
		}
		return []byte(b.String()), nil
	},
	Unmarshal: parseCounter,
}

func parseCounter(b []byte) (*maxReg, error) {
	x := &maxReg{map[string]int{}}
	for _, f := range strings.Split(string(b), ";") {
		if f == "" {
			continue
		}
		r, n, ok := strings.Cut(f, "=")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad pair %q", f)
		}
		x.m[r] = v
	}
	return x, nil
}

// ---- PN-Counters: increments and decrements per replica. ----

type pn struct{ p, n map[string]int }

func pnSpec(merge func(d, s *pn)) crdttest.Spec[*pn, int] {
	if merge == nil {
		merge = func(d, s *pn) { goodMerge(d.p, s.p); goodMerge(d.n, s.n) }
	}
	sum := func(m map[string]int) int {
		t := 0
		for _, v := range m {
			t += v
		}
		return t
	}
	return crdttest.Spec[*pn, int]{
		Empty: func() *pn { return &pn{map[string]int{}, map[string]int{}} },
		Op:    rapid.IntRange(-3, 3).Filter(func(n int) bool { return n != 0 }),
		Apply: func(x *pn, r string, n int) (*pn, error) {
			d := &pn{map[string]int{}, map[string]int{}}
			if n > 0 {
				x.p[r] += n
				d.p[r] = x.p[r]
			} else {
				x.n[r] -= n
				d.n[r] = x.n[r]
			}
			return d, nil
		},
		Merge: func(d, s *pn) error { merge(d, s); return nil },
		Clone: func(x *pn) *pn { return &pn{maps.Clone(x.p), maps.Clone(x.n)} },
		Equal: func(a, b *pn) bool { return maps.Equal(a.p, b.p) && maps.Equal(a.n, b.n) },
		String: func(x *pn) string {
			return fmt.Sprint(x.p, x.n)
		},
		Value: func(x *pn) string { return strconv.Itoa(sum(x.p) - sum(x.n)) },
		Model: func(seen []crdttest.Event[int]) string {
			t := 0
			for _, e := range seen {
				t += e.Op
			}
			return strconv.Itoa(t)
		},
	}
}

// ---- Last-writer-wins registers. ----

// lww holds the winning write: a Lamport timestamp, the writer and the
// value.
type lww struct {
	ts  int
	rep string
	v   int
}

// lwwSpec: tie decides between two writes with equal timestamps (true:
// the first wins).
func lwwSpec(tie func(a, b lww) bool) crdttest.Spec[*lww, int] {
	wins := func(a, b lww) bool { // a beats b
		if a.ts != b.ts {
			return a.ts > b.ts
		}
		return tie(a, b)
	}
	return crdttest.Spec[*lww, int]{
		Empty: func() *lww { return &lww{} },
		Op:    rapid.IntRange(1, 3),
		Apply: func(x *lww, r string, v int) (*lww, error) {
			*x = lww{x.ts + 1, r, v}
			d := *x
			return &d, nil
		},
		Merge: func(d, s *lww) error {
			if s.ts > 0 && (d.ts == 0 || wins(*s, *d)) {
				*d = *s
			}
			return nil
		},
		Clone:  func(x *lww) *lww { y := *x; return &y },
		Equal:  func(a, b *lww) bool { return *a == *b },
		String: func(x *lww) string { return fmt.Sprintf("%d@%d:%s", x.v, x.ts, x.rep) },
	}
}

func byReplica(a, b lww) bool { return a.rep > b.rep }

// ---- Observed-remove sets on dots (Almeida et al. 2018, section 7). ----

type dot struct {
	R string
	N int
}

func cmpDot(a, b dot) int {
	if c := strings.Compare(a.R, b.R); c != 0 {
		return c
	}
	return cmp.Compare(a.N, b.N)
}

// okey is an element, tagged remove in a remove-wins set.
type okey struct {
	E  int
	Rm bool
}

// oset is a dot store: each key's dots (sorted), and the causal context
// of every dot seen.
type oset struct {
	e   map[okey][]dot
	ctx map[dot]bool
}

type setOp struct {
	Add bool
	E   int
}

func (o setOp) String() string {
	if o.Add {
		return fmt.Sprintf("add(%d)", o.E)
	}
	return fmt.Sprintf("remove(%d)", o.E)
}

func newOset() *oset { return &oset{map[okey][]dot{}, map[dot]bool{}} }

func (s *oset) clone() *oset {
	c := newOset()
	for k, ds := range s.e {
		c.e[k] = slices.Clone(ds)
	}
	maps.Copy(c.ctx, s.ctx)
	return c
}

func (s *oset) equal(o *oset) bool {
	return maps.EqualFunc(s.e, o.e, slices.Equal) && maps.Equal(s.ctx, o.ctx)
}

func (s *oset) String() string {
	var b strings.Builder
	for _, k := range slices.SortedFunc(maps.Keys(s.e), func(a, b okey) int { return cmp.Compare(a.E, b.E) }) {
		fmt.Fprintf(&b, "%v%v ", k, s.e[k])
	}
	ctx := slices.SortedFunc(maps.Keys(s.ctx), cmpDot)
	return b.String() + fmt.Sprint(ctx)
}

// put replaces the dots of keys with a new dot of r at key, and returns
// the delta (the new dot, and a context of the dots replaced).
func (s *oset) put(r string, key okey, keys ...okey) *oset {
	n := 0
	for d := range s.ctx {
		if d.R == r {
			n = max(n, d.N)
		}
	}
	d := dot{r, n + 1}
	delta := s.drop(keys...)
	delta.e[key] = []dot{d}
	delta.ctx[d] = true
	s.e[key] = []dot{d}
	s.ctx[d] = true
	return delta
}

// drop removes keys and returns the delta: a context of their dots.
func (s *oset) drop(keys ...okey) *oset {
	delta := newOset()
	for _, k := range keys {
		for _, d := range s.e[k] {
			delta.ctx[d] = true
		}
		delete(s.e, k)
	}
	return delta
}

// join merges src into dst (the dot-kernel join): a dot survives if both
// sides have it, or one side has it and the other has not seen it.
func join(dst, src *oset) {
	for _, k := range slices.Collect(maps.Keys(dst.e)) {
		var kept []dot
		for _, d := range dst.e[k] {
			if slices.Contains(src.e[k], d) || !src.ctx[d] {
				kept = append(kept, d)
			}
		}
		setDots(dst, k, kept)
	}
	for k, ds := range src.e {
		kept := slices.Clone(dst.e[k])
		for _, d := range ds {
			if !dst.ctx[d] && !slices.Contains(kept, d) {
				kept = append(kept, d)
			}
		}
		setDots(dst, k, kept)
	}
	maps.Copy(dst.ctx, src.ctx)
}

func setDots(s *oset, k okey, ds []dot) {
	if len(ds) == 0 {
		delete(s.e, k)
		return
	}
	slices.SortFunc(ds, cmpDot)
	s.e[k] = ds
}

// setMutation breaks one part of an add-wins set.
type setMutation struct {
	merge      func(dst, src *oset)
	removeWins bool // removes are tagged, and win over concurrent adds
	emptyDelta bool // the delta of a remove forgets what it removed
}

// addWins is the specification of the add-wins set: an element is in
// the set if some add of it has not been followed by a remove of it.
func addWins(seen []crdttest.Event[setOp]) string {
	var in []int
	for _, a := range seen {
		if !a.Op.Add || slices.Contains(in, a.Op.E) {
			continue
		}
		removed := false
		for _, r := range seen {
			if !r.Op.Add && r.Op.E == a.Op.E && a.Before(r) {
				removed = true
			}
		}
		if !removed {
			in = append(in, a.Op.E)
		}
	}
	slices.Sort(in)
	return fmt.Sprint(in)
}

func setSpec(mu setMutation) crdttest.Spec[*oset, setOp] {
	merge := join
	if mu.merge != nil {
		merge = mu.merge
	}
	return crdttest.Spec[*oset, setOp]{
		Empty: newOset,
		Op: rapid.Custom(func(t *rapid.T) setOp {
			return setOp{rapid.IntRange(0, 2).Draw(t, "kind") > 0, rapid.IntRange(0, 2).Draw(t, "e")}
		}),
		Apply: func(s *oset, r string, op setOp) (*oset, error) {
			add, rm := okey{op.E, false}, okey{op.E, true}
			switch {
			case op.Add:
				return s.put(r, add, add, rm), nil
			case mu.removeWins:
				return s.put(r, rm, add, rm), nil
			case mu.emptyDelta:
				s.drop(add)
				return newOset(), nil
			}
			return s.drop(add), nil
		},
		Merge:  func(d, s *oset) error { merge(d, s); return nil },
		Clone:  (*oset).clone,
		Equal:  (*oset).equal,
		String: (*oset).String,
		Value: func(s *oset) string {
			var in []int
			for k := range s.e {
				if _, removed := s.e[okey{k.E, true}]; !k.Rm && !removed {
					in = append(in, k.E)
				}
			}
			slices.Sort(in)
			return fmt.Sprint(in)
		},
		Model: addWins,
	}
}

// mutant is a broken CRDT and the law expected to kill it.
type mutant struct {
	name, bug, law string
	props          []crdttest.Property
}

func mutants() []mutant {
	sumMerge := func(d, s map[string]int) {
		for k, v := range s {
			d[k] += v
		}
	}
	return []mutant{
		{"gcounter-sum", "merge sums the counts instead of taking the maximum", "idempotent",
			crdttest.Properties(gcSpec(gcMutation{merge: sumMerge}))},
		{"vector-min", "a version vector merged by the minimum", "identity",
			crdttest.Properties(gcSpec(gcMutation{merge: func(d, s map[string]int) {
				for k, v := range s {
					if x, ok := d[k]; ok {
						d[k] = min(x, v)
					}
				}
				for k := range d {
					if _, ok := s[k]; !ok {
						delete(d, k)
					}
				}
			}}))},
		{"gcounter-larger-total", "merge keeps the state with the larger sum (exercise 1)", "commutative",
			crdttest.Properties(gcSpec(gcMutation{merge: func(d, s map[string]int) {
				sd, ss := 0, 0
				for _, v := range d {
					sd += v
				}
				for _, v := range s {
					ss += v
				}
				if ss > sd {
					clear(d)
					maps.Copy(d, s)
				}
			}}))},
		{"gcounter-drops-unknown", "merge ignores replicas the receiver has no entry for", "identity",
			crdttest.Properties(gcSpec(gcMutation{merge: func(d, s map[string]int) {
				for k, v := range s {
					if x, ok := d[k]; ok {
						d[k] = max(x, v)
					}
				}
			}}))},
		{"gcounter-delta-increment", "the delta is the increment, not the new count", "deltas",
			crdttest.Properties(gcSpec(gcMutation{delta: func(_ map[string]int, r string, n int) map[string]int {
				return map[string]int{r: n}
			}}))},
		{"codec-drops-entry", "the encoding leaves out the last replica", "codec/text",
			crdttest.Properties(gcSpec(gcMutation{codec: &crdttest.Codec[*maxReg]{
				Name: "text",
				Marshal: func(x *maxReg) ([]byte, error) {
					b, _ := counterCodec.Marshal(x)
					s := strings.TrimSuffix(string(b), ";")
					if i := strings.LastIndex(s, ";"); i >= 0 {
						return []byte(s[:i+1]), nil
					}
					return nil, nil
				},
				Unmarshal: parseCounter,
			}}))},
		{"codec-not-canonical", "the encoding writes replicas in map order", "codec/text",
			crdttest.Properties(gcSpec(gcMutation{codec: &crdttest.Codec[*maxReg]{
				Name: "text",
				Marshal: func(x *maxReg) ([]byte, error) {
					var b strings.Builder
					for r, n := range x.m {
						fmt.Fprintf(&b, "%s=%d;", r, n)
					}
					return []byte(b.String()), nil
				},
				Unmarshal: parseCounter,
			}}))},
		{"pncounter-swapped", "merge joins the decrements with the other side's increments", "idempotent",
			crdttest.Properties(pnSpec(func(d, s *pn) { goodMerge(d.p, s.p); goodMerge(d.n, s.p) }))},
		{"pncounter-one-sided", "merge joins the increments only", "convergence",
			crdttest.Properties(pnSpec(func(d, s *pn) { goodMerge(d.p, s.p) }))},
		{"lww-receiver-wins", "ties between equal timestamps go to the receiver", "commutative",
			crdttest.Properties(lwwSpec(func(a, b lww) bool { return false }))},
		{"lww-random-tie", "ties between equal timestamps are broken at random", "commutative (deterministic)",
			crdttest.Properties(lwwSpec(func(a, b lww) bool { return rand.IntN(2) == 0 }))},
		{"orset-loses-concurrent-add", "a merge drops an element the other side has seen and removed, with the adds it had not seen", "semantics",
			crdttest.Properties(setSpec(setMutation{merge: func(dst, src *oset) {
				removed := map[int]bool{}
				for k, ds := range dst.e {
					if _, ok := src.e[k]; !ok && slices.ContainsFunc(ds, func(d dot) bool { return src.ctx[d] }) {
						removed[k.E] = true
					}
				}
				for k, ds := range src.e {
					if _, ok := dst.e[k]; !ok && slices.ContainsFunc(ds, func(d dot) bool { return dst.ctx[d] }) {
						removed[k.E] = true
					}
				}
				join(dst, src)
				for k := range dst.e {
					if removed[k.E] {
						delete(dst.e, k)
					}
				}
			}}))},
		{"orset-remove-wins", "removes win over concurrent adds where adds should", "semantics",
			crdttest.Properties(setSpec(setMutation{removeWins: true}))},
		{"orset-empty-remove-delta", "the delta of a remove does not carry the dots removed", "deltas",
			crdttest.Properties(setSpec(setMutation{emptyDelta: true}))},
		{"orset-context-not-merged", "merge joins the elements but not the causal contexts", "commutative",
			crdttest.Properties(setSpec(setMutation{merge: func(dst, src *oset) {
				ctx := maps.Clone(dst.ctx)
				join(dst, src)
				dst.ctx = ctx
			}}))},
	}
}

// TestMutantControlsPass: the correct counter, PN-counter, register and
// add-wins set that the mutants break pass every property.
func TestMutantControlsPass(t *testing.T) {
	t.Run("counter", func(t *testing.T) { crdttest.Check(t, gcSpec(gcMutation{})) })
	t.Run("pncounter", func(t *testing.T) { crdttest.Check(t, pnSpec(nil)) })
	t.Run("lww", func(t *testing.T) { crdttest.Check(t, lwwSpec(byReplica)) })
	t.Run("orset", func(t *testing.T) { crdttest.Check(t, setSpec(setMutation{})) })
}

// TestMutantsAreKilled: the law checker reports a failure for every
// mutant (mutation score 15/15), and logs which property killed it, the
// property expected to, and the time it took, failure shrinking
// included. Run with -v for the table in docs/crdt.md.
func TestMutantsAreKilled(t *testing.T) {
	killed := 0
	ms := mutants()
	for _, m := range ms {
		start := time.Now()
		by, msg := "", ""
		for _, p := range m.props {
			if failed, log := run(p); failed {
				by, msg = p.Name, firstLaw(log)
				break
			}
		}
		took := time.Since(start)
		if by == "" {
			t.Errorf("mutant %s survived: %s; no property failed", m.name, m.bug)
			continue
		}
		killed++
		t.Logf("| %s | %s | %s | %s | %v | %s |", m.name, m.bug, m.law, by, took.Round(time.Millisecond), msg)
	}
	t.Logf("mutation score %d/%d", killed, len(ms))
}

// firstLaw returns the failure's first line that names a law.
func firstLaw(log string) string {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "[rapid] failed") {
			_, after, _ := strings.Cut(l, ": ")
			return strings.TrimSpace(after)
		}
		if _, after, ok := strings.Cut(l, "Original traceback ("); ok {
			return strings.TrimSpace(after) + " (not reproducible: rapid calls it flaky)"
		}
	}
	return ""
}
