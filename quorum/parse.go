package quorum

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	// ErrTooLarge: an expression, a system or an analysis goes beyond the
	// package's limits (MaxExprSize, MaxExprDepth, MaxNameLen, MaxExprLen,
	// MaxNodes, or the bounds on enumeration and linear programs that the
	// package documentation states).
	ErrTooLarge = errors.New("system too large")
	// ErrInfeasible: no strategy meets the requested limits.
	ErrInfeasible = errors.New("infeasible")
	// ErrWorkload: a read fraction or its distribution is invalid.
	ErrWorkload = errors.New("invalid workload")
)

// A ParseError reports where and why [Parse] rejected its input. It wraps
// [ErrSyntax], [ErrThreshold] for a bad choose threshold, or [ErrTooLarge]
// for input beyond the limits on expressions.
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

// Unwrap returns the sentinel error: ErrSyntax, ErrThreshold or ErrTooLarge.
func (e *ParseError) Unwrap() error { return e.err }

// Parse reads the textual form of an expression, as written by
// Expr.String and by quoracle:
//
//	expr   = term { "+" term }                     (or)
//	term   = factor { "*" factor }                 (and)
//	factor = name | "(" expr ")"
//	       | "choose" "(" k "," expr { "," expr } ")"
//	       | "majority" "(" expr { "," expr } ")"
//	name   = plain | quoted
//	plain  = letter or "_", then letters, digits, "_", "-", "."
//	quoted = a double-quoted Go string literal, as strconv.Unquote reads
//	         it: "node 1", "10.0.0.1:7000", "\"q\"", "\u00e9t\u00e9"
//
// Spaces are ignored. "*" binds tighter than "+". A name may not appear
// twice among the operands of "*" or "+" (a + a is almost always a typing
// mistake), but may among the arguments of choose and majority, where a
// repeated node counts once per repetition: choose(3, a, a, b, c) is
// Gifford's weighted voting with two votes for a, as built by [Weighted].
// A quoted name must not be empty.
//
// Parse enforces the limits on expressions while it reads, not after: it
// refuses input longer than [MaxExprLen] bytes before reading it, and
// stops at the first name longer than [MaxNameLen] bytes, the first
// parenthesis or operator nested deeper than [MaxExprDepth], and the
// leaf or operator beyond [MaxExprSize]. Its allocation is bounded by the
// input: see the package documentation for the figures. Errors are
// *ParseError values giving the offset; for every expression e that [New]
// accepts, Parse(e.String()) returns an expression Equal to e.
func Parse(s string) (Expr, error) {
	p := parser{in: s}
	if len(s) > MaxExprLen {
		return Expr{}, p.fail(MaxExprLen, ErrTooLarge, "input of %d bytes, more than %d", len(s), MaxExprLen)
	}
	// Operands need a byte and a separator each: size the stack once.
	solid := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' {
			solid++
		}
	}
	room := min(solid/2+1, MaxExprSize)
	p.stack, p.starts = make([]Expr, 0, room), make([]int32, 0, room)
	e, _, err := p.expr(0)
	if err != nil {
		return Expr{}, err
	}
	p.space()
	if p.pos < len(p.in) {
		return Expr{}, p.fail(p.pos, ErrSyntax, "unexpected %q", p.in[p.pos])
	}
	return e, nil
}

// A parser reads one expression. Operands are collected on one shared
// stack, sized once from the input's length without spaces, and copied into an exactly
// sized slice when their operator ends, so the expression's slices hold no
// spare capacity and nothing is allocated twice as slices grow.
type parser struct {
	in     string
	pos    int
	size   int     // leaves and operators read so far
	stack  []Expr  // operands of the operators being read
	starts []int32 // offset of each operand on the stack
}

func (p *parser) fail(at int, sentinel error, format string, args ...any) error {
	return &ParseError{Input: p.in, Offset: at, Msg: fmt.Sprintf(format, args...), err: sentinel}
}

// grow counts one more leaf or operator, starting at offset at.
func (p *parser) grow(at int) error {
	p.size++
	if p.size > MaxExprSize {
		return p.fail(at, ErrTooLarge, "more than %d leaves and operators", MaxExprSize)
	}
	return nil
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

func (p *parser) peekPos() int {
	p.space()
	return p.pos
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

// push puts an operand on the stack.
func (p *parser) push(e Expr, at int) {
	p.stack = append(p.stack, e)
	p.starts = append(p.starts, int32(at))
}

// pop removes the operands from base up and returns them in a slice of
// their exact length.
func (p *parser) pop(base int) []Expr {
	args := slices.Clone(p.stack[base:])
	clear(p.stack[base:])
	p.stack, p.starts = p.stack[:base], p.starts[:base]
	return args
}

// operator builds the operator over the operands from base up, whose
// deepest operand has depth d, starting at offset at.
func (p *parser) operator(base, at, d int, build func([]Expr) Expr) (Expr, int, error) {
	if d+1 > MaxExprDepth {
		return Expr{}, 0, p.fail(at, ErrTooLarge, "operators nested more than %d deep", MaxExprDepth)
	}
	if err := p.grow(at); err != nil {
		return Expr{}, 0, err
	}
	return build(p.pop(base)), d + 1, nil
}

// expr parses an Or of terms; nest counts the parentheses and functions
// around it. It returns the expression and its depth of operators.
func (p *parser) expr(nest int) (Expr, int, error) {
	return p.infix(nest, '+')
}

// infix parses operands joined by op ('+' joins terms, '*' joins factors).
func (p *parser) infix(nest int, op byte) (Expr, int, error) {
	operand := func() (Expr, int, error) {
		if op == '+' {
			return p.infix(nest, '*')
		}
		return p.factor(nest)
	}
	start := p.peekPos()
	first, d, err := operand()
	if err != nil || p.peek() != op {
		return first, d, err
	}
	base := len(p.stack)
	p.push(first, start)
	for p.peek() == op {
		p.pos++
		at := p.peekPos()
		e, de, err := operand()
		if err != nil {
			return Expr{}, 0, err
		}
		p.push(e, at)
		d = max(d, de)
	}
	if err := p.distinct(base); err != nil {
		return Expr{}, 0, err
	}
	if op == '+' {
		return p.operator(base, start, d, func(args []Expr) Expr {
			return Expr{kind: kindChoose, k: 1, args: args, op: '+'}
		})
	}
	return p.operator(base, start, d, func(args []Expr) Expr {
		return Expr{kind: kindChoose, k: len(args), args: args, op: '*'}
	})
}

// distinct rejects a name given twice among the leaf operands from base
// up, pointing at the earliest repetition. It sorts offsets into the
// stack for more than a few operands, so it never costs more than
// O(n log n).
func (p *parser) distinct(base int) error {
	ops := p.stack[base:]
	bad := -1 // index in ops of the earliest repeated leaf
	if len(ops) <= 16 {
		for i, a := range ops {
			if a.kind != kindNode {
				continue
			}
			for _, b := range ops[:i] {
				if b.kind == kindNode && b.name == a.name {
					bad = i
					break
				}
			}
			if bad >= 0 {
				break
			}
		}
	} else {
		var leaves []int32
		for i, a := range ops {
			if a.kind == kindNode {
				leaves = append(leaves, int32(i))
			}
		}
		slices.SortStableFunc(leaves, func(x, y int32) int { return strings.Compare(ops[x].name, ops[y].name) })
		for j := 1; j < len(leaves); j++ {
			if i := int(leaves[j]); ops[i].name == ops[leaves[j-1]].name && (bad < 0 || i < bad) {
				bad = i
			}
		}
	}
	if bad < 0 {
		return nil
	}
	return p.fail(int(p.starts[base+bad]), ErrSyntax, "node %q repeated", ops[bad].name)
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameByte(c byte) bool {
	return isNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'
}

func (p *parser) factor(nest int) (Expr, int, error) {
	c := p.peek()
	start := p.pos
	switch {
	case c == 0:
		return Expr{}, 0, p.fail(p.pos, ErrSyntax, "expected a node, '(', choose or majority, found end of input")
	case c == '(':
		if nest+1 > MaxExprDepth {
			return Expr{}, 0, p.fail(p.pos, ErrTooLarge, "parentheses nested more than %d deep", MaxExprDepth)
		}
		p.pos++
		e, d, err := p.expr(nest + 1)
		if err != nil {
			return Expr{}, 0, err
		}
		return e, d, p.expect(')')
	case c == '"':
		quoted, err := strconv.QuotedPrefix(p.in[p.pos:])
		if err != nil {
			return Expr{}, 0, p.fail(start, ErrSyntax, "malformed quoted name")
		}
		name, err := strconv.Unquote(quoted)
		switch {
		case err != nil:
			return Expr{}, 0, p.fail(start, ErrSyntax, "malformed quoted name")
		case name == "":
			return Expr{}, 0, p.fail(start, ErrSyntax, "empty node name")
		case len(name) > MaxNameLen:
			return Expr{}, 0, p.fail(start, ErrTooLarge, "node name of %d bytes, more than %d", len(name), MaxNameLen)
		}
		p.pos += len(quoted)
		return Leaf(name), 0, p.grow(start)
	case isNameStart(c):
		for p.pos < len(p.in) && isNameByte(p.in[p.pos]) {
			p.pos++
		}
		name := p.in[start:p.pos]
		if (name == "choose" || name == "majority") && p.peek() == '(' {
			return p.function(nest, name, start)
		}
		if len(name) > MaxNameLen {
			return Expr{}, 0, p.fail(start, ErrTooLarge, "node name of %d bytes, more than %d", len(name), MaxNameLen)
		}
		return Leaf(name), 0, p.grow(start)
	default:
		return Expr{}, 0, p.fail(p.pos, ErrSyntax, "expected a node, '(', choose or majority, found %q", c)
	}
}

// function parses the arguments of choose or majority, whose name starts
// at offset start and has been read; p.pos is at the '('.
func (p *parser) function(nest int, name string, start int) (Expr, int, error) {
	if nest+1 > MaxExprDepth {
		return Expr{}, 0, p.fail(p.pos, ErrTooLarge, "parentheses nested more than %d deep", MaxExprDepth)
	}
	p.pos++ // '('
	k, kAt := 0, 0
	if name == "choose" {
		kAt = p.peekPos()
		for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == kAt {
			return Expr{}, 0, p.fail(kAt, ErrSyntax, "choose needs a count first, as in choose(2, a, b, c)")
		}
		n, err := strconv.Atoi(p.in[kAt:p.pos])
		if err != nil {
			return Expr{}, 0, p.fail(kAt, ErrThreshold, "count %.20s too large", p.in[kAt:p.pos])
		}
		k = n
		if err := p.expect(','); err != nil {
			return Expr{}, 0, err
		}
	}
	base, d := len(p.stack), 0
	for {
		at := p.peekPos()
		e, de, err := p.expr(nest + 1)
		if err != nil {
			return Expr{}, 0, err
		}
		p.push(e, at)
		d = max(d, de)
		if p.peek() != ',' {
			break
		}
		p.pos++
	}
	if err := p.expect(')'); err != nil {
		return Expr{}, 0, err
	}
	// no distinct check: repeats are votes, choose(3, a, a, b, c) gives a two
	n := len(p.stack) - base
	if name == "majority" {
		k = n/2 + 1
	} else if k < 1 || k > n {
		return Expr{}, 0, p.fail(kAt, ErrThreshold, "choose(%d, ...) of %d arguments: the count must be between 1 and %d", k, n, n)
	}
	op := byte('c')
	if name == "majority" {
		op = 'm'
	}
	return p.operator(base, start, d, func(args []Expr) Expr {
		return Expr{kind: kindChoose, k: k, args: args, op: op}
	})
}
