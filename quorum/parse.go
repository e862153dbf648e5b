package quorum

import (
	"errors"
	"fmt"
	"strconv"
)

// Errors returned by this package. Every error it returns wraps one of them.
var (
	// ErrSyntax: a textual expression is malformed; the error is a *ParseError.
	ErrSyntax = errors.New("syntax error")
	// ErrThreshold: a threshold (choose's k, a quorum size, a vote count) is out of range.
	ErrThreshold = errors.New("threshold out of range")
	// ErrUnknownNode: a node name is not part of the system, or is empty.
	ErrUnknownNode = errors.New("unknown node")
	// ErrDuplicateNode: a node is described twice, or named twice where names must differ.
	ErrDuplicateNode = errors.New("duplicate node")
	// ErrCapacity: a capacity or latency is zero, negative or not a number.
	ErrCapacity = errors.New("invalid capacity")
	// ErrNoIntersection: some read quorum and some write quorum share no node.
	ErrNoIntersection = errors.New("read and write quorums do not intersect")
	// ErrTooLarge: the system has more nodes or quorums than the operation supports.
	ErrTooLarge = errors.New("system too large")
	// ErrInfeasible: no strategy meets the requested limits.
	ErrInfeasible = errors.New("infeasible")
	// ErrWorkload: a read fraction or its distribution is invalid.
	ErrWorkload = errors.New("invalid workload")
)

// A ParseError reports where and why [Parse] rejected its input. It wraps
// [ErrSyntax] or, for a bad choose threshold, [ErrThreshold].
type ParseError struct {
	Input  string // the whole input
	Offset int    // byte offset of the problem in Input
	Msg    string // what is wrong, e.g. "expected ')'"
	err    error
}

// Error returns "quorum: parse error at column C: msg", columns counting
// bytes from 1.
func (e *ParseError) Error() string {
	return fmt.Sprintf("quorum: parse error at column %d: %s", e.Offset+1, e.Msg)
}

// Unwrap returns the sentinel error: ErrSyntax or ErrThreshold.
func (e *ParseError) Unwrap() error { return e.err }

// maxParseDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxParseDepth = 100

// Parse reads the textual form of an expression, as written by
// Expr.String and by quoracle:
//
//	expr   = term { "+" term }                     (or)
//	term   = factor { "*" factor }                 (and)
//	factor = name | "(" expr ")"
//	       | "choose" "(" k "," expr { "," expr } ")"
//	       | "majority" "(" expr { "," expr } ")"
//	name   = letter or "_", then letters, digits, "_", "-", "."
//
// Spaces are ignored. "*" binds tighter than "+". A name may not appear
// twice among the operands of "*" or "+" (a + a is almost always a typing
// mistake), but may among the arguments of choose and majority, where a
// repeated node counts once per repetition: choose(3, a, a, b, c) is
// Gifford's weighted voting with two votes for a, as built by [Weighted].
// Errors are *ParseError values giving the offset.
func Parse(s string) (Expr, error) {
	p := parser{in: s}
	e, err := p.expr(0)
	if err != nil {
		return Expr{}, err
	}
	p.space()
	if p.pos < len(p.in) {
		return Expr{}, p.fail(p.pos, ErrSyntax, "unexpected %q", p.in[p.pos])
	}
	return e, nil
}

type parser struct {
	in  string
	pos int
}

func (p *parser) fail(at int, sentinel error, format string, args ...any) error {
	return &ParseError{Input: p.in, Offset: at, Msg: fmt.Sprintf(format, args...), err: sentinel}
}

func (p *parser) space() {
	for p.pos < len(p.in) && (p.in[p.pos] == ' ' || p.in[p.pos] == '\t' || p.in[p.pos] == '\n' || p.in[p.pos] == '\r') {
		p.pos++
	}
}

// peek skips spaces and returns the next byte, or 0 at the end.
func (p *parser) peek() byte {
	p.space()
	if p.pos < len(p.in) {
		return p.in[p.pos]
	}
	return 0
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		if p.pos >= len(p.in) {
			return p.fail(p.pos, ErrSyntax, "expected %q, found end of input", c)
		}
		return p.fail(p.pos, ErrSyntax, "expected %q, found %q", c, p.in[p.pos])
	}
	p.pos++
	return nil
}

func (p *parser) expr(depth int) (Expr, error) {
	return p.infix(depth, '+')
}

// infix parses operands joined by op ('+' joins terms, '*' joins factors).
func (p *parser) infix(depth int, op byte) (Expr, error) {
	if depth > maxParseDepth {
		return Expr{}, p.fail(p.pos, ErrSyntax, "nested more than %d deep", maxParseDepth)
	}
	operand := func() (Expr, error) {
		if op == '+' {
			return p.infix(depth, '*')
		}
		return p.factor(depth)
	}
	start := p.peekPos()
	first, err := operand()
	if err != nil {
		return Expr{}, err
	}
	if p.peek() != op {
		return first, nil
	}
	args, starts := []Expr{first}, []int{start}
	for p.peek() == op {
		p.pos++
		start := p.peekPos()
		e, err := operand()
		if err != nil {
			return Expr{}, err
		}
		args, starts = append(args, e), append(starts, start)
	}
	if err := p.distinct(args, starts); err != nil {
		return Expr{}, err
	}
	if op == '+' {
		return Or(args...), nil
	}
	return And(args...), nil
}

func (p *parser) peekPos() int {
	p.space()
	return p.pos
}

// distinct rejects a name given twice among one operator's operands.
func (p *parser) distinct(args []Expr, starts []int) error {
	seen := map[string]bool{}
	for i, a := range args {
		if a.kind != kindNode {
			continue
		}
		if seen[a.name] {
			return p.fail(starts[i], ErrSyntax, "node %q repeated", a.name)
		}
		seen[a.name] = true
	}
	return nil
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameByte(c byte) bool {
	return isNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'
}

func (p *parser) factor(depth int) (Expr, error) {
	if depth > maxParseDepth {
		return Expr{}, p.fail(p.pos, ErrSyntax, "nested more than %d deep", maxParseDepth)
	}
	c := p.peek()
	switch {
	case c == 0:
		return Expr{}, p.fail(p.pos, ErrSyntax, "expected a node, '(', choose or majority, found end of input")
	case c == '(':
		p.pos++
		e, err := p.expr(depth + 1)
		if err != nil {
			return Expr{}, err
		}
		return e, p.expect(')')
	case isNameStart(c):
		start := p.pos
		for p.pos < len(p.in) && isNameByte(p.in[p.pos]) {
			p.pos++
		}
		name := p.in[start:p.pos]
		if (name == "choose" || name == "majority") && p.peek() == '(' {
			return p.function(depth, name)
		}
		return Leaf(name), nil
	default:
		return Expr{}, p.fail(p.pos, ErrSyntax, "expected a node, '(', choose or majority, found %q", c)
	}
}

// function parses the arguments of choose or majority; the name has been read.
func (p *parser) function(depth int, name string) (Expr, error) {
	p.pos++ // '('
	k, kAt := 0, 0
	if name == "choose" {
		kAt = p.peekPos()
		for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == kAt {
			return Expr{}, p.fail(kAt, ErrSyntax, "choose needs a count first, as in choose(2, a, b, c)")
		}
		n, err := strconv.Atoi(p.in[kAt:p.pos])
		if err != nil {
			return Expr{}, p.fail(kAt, ErrThreshold, "count %s too large", p.in[kAt:p.pos])
		}
		k = n
		if err := p.expect(','); err != nil {
			return Expr{}, err
		}
	}
	var args []Expr
	for {
		e, err := p.expr(depth + 1)
		if err != nil {
			return Expr{}, err
		}
		args = append(args, e)
		if p.peek() != ',' {
			break
		}
		p.pos++
	}
	if err := p.expect(')'); err != nil {
		return Expr{}, err
	}
	// no distinct check: repeats are votes, choose(3, a, a, b, c) gives a two
	if name == "majority" {
		return MajorityOf(args...), nil
	}
	if k < 1 || k > len(args) {
		return Expr{}, p.fail(kAt, ErrThreshold, "choose(%d, ...) of %d arguments: the count must be between 1 and %d", k, len(args), len(args))
	}
	return Choose(k, args...), nil
}
