package quorum

import (
	"strconv"
	"strings"
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
	kind kind
	name string // kindNode
	k    int    // kindChoose: how many arguments must hold
	args []Expr // kindChoose
	op   byte   // how String writes it: '*' (and), '+' (or), 'm' (majority), 'c' (choose)
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

// String returns the textual form of e, which [Parse] reads back: a*b*c
// for And, a + b for Or, choose(k, ...) and majority(...). The zero Expr is
// written "<invalid>".
func (e Expr) String() string {
	var b strings.Builder
	e.format(&b, 0)
	return b.String()
}

// format writes e; prec is the binding strength of the context: 0 top level
// or inside a function's arguments, 1 inside an Or, 2 inside an And.
func (e Expr) format(b *strings.Builder, prec int) {
	switch e.kind {
	case kindNode:
		b.WriteString(e.name)
		return
	case kindInvalid:
		b.WriteString("<invalid>")
		return
	}
	op := e.op
	if len(e.args) < 2 && (op == '*' || op == '+') {
		op = 'c' // a one-argument And or Or has no infix form
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
