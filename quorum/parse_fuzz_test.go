package quorum_test

import (
	"errors"
	"testing"

	"github.com/eventually-perfect/primitives/quorum"
)

// FuzzParse checks that Parse never panics, that its errors are positioned
// inside the input and wrap a sentinel, that what it accepts round-trips
// through String (Parse(String(Parse(s))) equals Parse(s), and String is
// then a fixed point), and that New either builds an intersecting system
// from it or says why not.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a*b*c + d*e*f", "choose(2, a, b, c)", "majority(a, b, c, d, e)",
		"(a + b)*c", "a*(b + choose(2, c, d, e))", "", "a +", "choose(9, a)", "((a)",
		`x*"a+b"`, `"node 1" + "10.0.0.1:7000"`, `"\x00\xff" * "日本"`, `"\"" + "\\"`,
		`""`, `"a`, `"a\"`, "choose(1, a, a)", "(a*b)*c", "majority(a)", `"choose"`,
		"choose(1, \"\u2028\", `b`)", `'a'`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e, err := quorum.Parse(in)
		if err != nil {
			var pe *quorum.ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(in) {
				t.Fatalf("Parse(%q): error %v is not a ParseError positioned in the input", in, err)
			}
			if !errors.Is(err, quorum.ErrSyntax) && !errors.Is(err, quorum.ErrThreshold) && !errors.Is(err, quorum.ErrTooLarge) {
				t.Fatalf("Parse(%q): error %v wraps no sentinel", in, err)
			}
			return
		}
		text := e.String()
		back, err := quorum.Parse(text)
		if err != nil {
			t.Fatalf("Parse(String(Parse(s))) must succeed for every s Parse accepts: s = %q, String = %q: %v", in, text, err)
		}
		if !back.Equal(e) {
			t.Fatalf("Parse(String(Parse(s))) must equal Parse(s): s = %q, String = %q gives %q", in, text, back)
		}
		if back.String() != text {
			t.Fatalf("String is a fixed point of Parse: %q, then %q", text, back.String())
		}
		s, err := quorum.New(quorum.Config{Reads: e})
		if err != nil {
			if !errors.Is(err, quorum.ErrTooLarge) {
				t.Fatalf("New(%q): %v", in, err)
			}
			return
		}
		if !s.IsRead(s.All()) || !s.IsWrite(s.All()) {
			t.Fatalf("%s: the set of all nodes must be a quorum of both sides", s)
		}
		if s.IsRead(0) {
			t.Fatalf("%s: the empty set is a read quorum", s)
		}
	})
}
