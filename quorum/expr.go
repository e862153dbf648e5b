package quorum

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits on expressions. [New] refuses an expression beyond them with an
// error wrapping [ErrTooLarge], and [Parse] stops reading as soon as its
// input goes beyond them, so that every expression New accepts can be
// written by [Expr.String] and read back by Parse, and no input makes
// Parse allocate more than its own size justifies (see the package
// documentation for the figures).
const (
	// MaxExprSize is the most leaves and operators an expression may have
	// (a weighted vote counts one leaf per vote).
	MaxExprSize = 1 << 14
	// MaxExprDepth is how deeply operators may nest: a*b has depth 1,
	// (a + b)*c depth 2.
	MaxExprDepth = 100
	// MaxNameLen is the longest node name, in bytes.
	MaxNameLen = 255
	// MaxExprLen is the longest text Parse reads, in bytes. Every
	// expression within the other limits is written by String in fewer
	// bytes (at most 1026 per leaf, quotes and escapes included).
	MaxExprLen = 1 << 25
)

// kind says what an Expr node is.
type kind uint8

const (
	kindInvalid kind = iota // the zero Expr
	kindNode                // a named node
	kindChoose              // at least k of the arguments (and, or and majority are special cases)
)

// An Expr describes a family of quorums over named nodes: a node, or "at
// least k of" a list of sub-expressions. And (all of), Or (one of) and
// MajorityOf (more than half of) are the common thresholds. An expression is
// monotone: a superset of a quorum is a quorum.
//
// Expressions are immutable values; building one never fails. Invalid
// thresholds and empty names are reported when the expression is used (by
// [New]) or when it is parsed (by [Parse]).
//
// The zero Expr is not a valid expression: [New] rejects it.
type Expr struct {
	name string // kindNode
	args []Expr // kindChoose
	k    int    // kindChoose: how many arguments must hold
	kind kind
	op   byte // how String writes it: '*' (and), '+' (or), 'm' (majority), 'c' (choose)
}

// Leaf returns the expression that holds when the named node is present.
func Leaf(name string) Expr { return Expr{kind: kindNode, name: name} }

// And returns the expression that holds when every one of xs holds. In the
// textual form it is written x*y*z.
func And(xs ...Expr) Expr { return Expr{kind: kindChoose, k: len(xs), args: clone(xs), op: '*'} }

// Or returns the expression that holds when at least one of xs holds. In the
// textual form it is written x + y + z.
func Or(xs ...Expr) Expr { return Expr{kind: kindChoose, k: 1, args: clone(xs), op: '+'} }

// Choose returns the expression that holds when at least k of xs hold,
// written choose(k, x, y, z). k must be between 1 and len(xs).
func Choose(k int, xs ...Expr) Expr {
	return Expr{kind: kindChoose, k: k, args: clone(xs), op: 'c'}
}

// MajorityOf returns the expression that holds when more than half of xs
// hold, written majority(x, y, z).
func MajorityOf(xs ...Expr) Expr {
	return Expr{kind: kindChoose, k: len(xs)/2 + 1, args: clone(xs), op: 'm'}
}

// Leaves returns one Leaf per name, a convenience for building expressions:
// MajorityOf(Leaves("a", "b", "c")...).
func Leaves(names ...string) []Expr {
	xs := make([]Expr, len(names))
	for i, n := range names {
		xs[i] = Leaf(n)
	}
	return xs
}

func clone(xs []Expr) []Expr { return append([]Expr(nil), xs...) }

// Dual returns the expression whose quorums are exactly the sets that
// intersect every quorum of e: the minimal ones are e's minimal "blocking
// sets". The dual of "k of n" is "n-k+1 of n", so the dual of an And is an
// Or and the other way round (Naor and Wool 1998, section 2).
func (e Expr) Dual() Expr {
	if e.kind != kindChoose {
		return e
	}
	d := Expr{kind: kindChoose, k: len(e.args) - e.k + 1, args: make([]Expr, len(e.args)), op: 'c'}
	for i, a := range e.args {
		d.args[i] = a.Dual()
	}
	switch {
	case d.k == len(d.args):
		d.op = '*'
	case d.k == 1:
		d.op = '+'
	case d.k == len(d.args)/2+1:
		d.op = 'm'
	}
	return d
}

// Nodes returns the names of the nodes e mentions, each once, in the order
// they first appear.
func (e Expr) Nodes() []string {
	var names []string
	seen := map[string]bool{}
	e.walk(func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	})
	return names
}

func (e Expr) walk(f func(string)) {
	switch e.kind {
	case kindNode:
		f(e.name)
	case kindChoose:
		for _, a := range e.args {
			a.walk(f)
		}
	}
}

// Equal reports whether e and o are the same expression: the same node
// name, or the same threshold over pairwise equal arguments in the same
// order. The spelling is not compared: And(a, b) equals Choose(2, a, b),
// and MajorityOf(a, b, c) equals Choose(2, a, b, c). It is the equality
// under which Parse(e.String()) gives e back.
func (e Expr) Equal(o Expr) bool {
	if e.kind != o.kind || e.name != o.name || e.k != o.k || len(e.args) != len(o.args) {
		return false
	}
	for i := range e.args {
		if !e.args[i].Equal(o.args[i]) {
			return false
		}
	}
	return true
}

// String returns the textual form of e, which [Parse] reads back: a*b*c
// for And, a + b for Or, choose(k, ...) and majority(...). A name that is
// not a plain identifier (a letter or "_", then letters, digits, "_", "-"
// and ".") is written as a double-quoted Go string literal, as
// strconv.Quote writes it: "node 1", "10.0.0.1:7000", "a+b". For every
// expression [New] accepts, Parse(e.String()) succeeds and returns an
// expression Equal to e. The zero Expr is written "<invalid>".
func (e Expr) String() string {
	var b strings.Builder
	e.format(&b, 0)
	return b.String()
}

// plainName reports whether name can be written without quotes: it is
// what Parse reads as a bare name.
func plainName(name string) bool {
	if name == "" || !isNameStart(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return false
		}
	}
	return true
}

// infixable reports whether e can be written with an infix operator:
// two or more arguments, no leaf repeated among them (Parse refuses
// a + a in the infix form, where it is almost always a typing mistake).
func (e Expr) infixable() bool {
	if len(e.args) < 2 {
		return false
	}
	for i, a := range e.args {
		if a.kind != kindNode {
			continue
		}
		for _, b := range e.args[:i] {
			if b.kind == kindNode && b.name == a.name {
				return false
			}
		}
	}
	return true
}

// format writes e; prec is the binding strength of the context: 0 top level
// or inside a function's arguments, 1 inside an Or, 2 inside an And.
func (e Expr) format(b *strings.Builder, prec int) {
	switch e.kind {
	case kindNode:
		if plainName(e.name) {
			b.WriteString(e.name)
		} else {
			b.WriteString(strconv.Quote(e.name))
		}
		return
	case kindInvalid:
		b.WriteString("<invalid>")
		return
	}
	op := e.op
	if (op == '*' || op == '+') && !e.infixable() {
		op = 'c' // a one-argument And or Or, or repeated leaves: no infix form
	}
	switch op {
	case '*', '+':
		mine, sep := 2, "*"
		if op == '+' {
			mine, sep = 1, " + "
		}
		if prec > mine {
			b.WriteByte('(')
		}
		for i, a := range e.args {
			if i > 0 {
				b.WriteString(sep)
			}
			a.format(b, mine+1)
		}
		if prec > mine {
			b.WriteByte(')')
		}
	default:
		if op == 'm' {
			b.WriteString("majority(")
		} else {
			b.WriteString("choose(")
			b.WriteString(strconv.Itoa(e.k))
			if len(e.args) > 0 {
				b.WriteString(", ")
			}
		}
		for i, a := range e.args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.format(b, 0)
		}
		b.WriteByte(')')
	}
}

// checkLimits reports the first limit e goes beyond: an error wrapping
// ErrTooLarge for size, depth and name length, ErrUnknownNode for an empty
// name, ErrThreshold for a bad threshold, ErrSyntax for the zero Expr. It
// stops as soon as it finds one, so its cost is at most proportional to
// MaxExprSize whatever e is.
func checkLimits(e Expr, side Side) error {
	size := 0
	var rec func(e Expr, depth int) error
	rec = func(e Expr, depth int) error {
		size++
		if size > MaxExprSize {
			return fmt.Errorf("quorum: %s expression: more than %d leaves and operators: %w", side, MaxExprSize, ErrTooLarge)
		}
		switch e.kind {
		case kindInvalid:
			return fmt.Errorf("quorum: %s expression: zero Expr: %w", side, ErrSyntax)
		case kindNode:
			if e.name == "" {
				return fmt.Errorf("quorum: %s expression: empty node name: %w", side, ErrUnknownNode)
			}
			if len(e.name) > MaxNameLen {
				return fmt.Errorf("quorum: %s expression: node name of %d bytes, more than %d: %w", side, len(e.name), MaxNameLen, ErrTooLarge)
			}
			return nil
		}
		if depth > MaxExprDepth {
			return fmt.Errorf("quorum: %s expression: operators nested more than %d deep: %w", side, MaxExprDepth, ErrTooLarge)
		}
		if len(e.args) == 0 || e.k < 1 || e.k > len(e.args) {
			return fmt.Errorf("quorum: %s expression: at least %d of %d: %w", side, e.k, len(e.args), ErrThreshold)
		}
		for _, a := range e.args {
			if err := rec(a, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return rec(e, 1)
}
