package clocks

import (
	"fmt"
	"strconv"
	"strings"
)

// This file implements interval tree clocks (ITC) as described by Almeida,
// Baquero and Fonte, "Interval Tree Clocks: A Logical Clock for Dynamic
// Systems", OPODIS 2008. Section numbers in comments refer to that paper.
//
// A stamp is a pair (id, event) of two binary trees over the unit interval
// [0, 1):
//
//   - the id tree says which parts of the interval the stamp owns: a leaf 1
//     owns its whole subinterval, a leaf 0 owns nothing, and a node (l, r)
//     splits its subinterval into a left and a right half;
//   - the event tree maps every point of the interval to a counter: a leaf n
//     is the constant n over its subinterval, and a node (n, l, r) adds n to
//     the two halves described by l and r.
//
// A stamp may only record events (raise counters) over the part of the
// interval it owns, so owners never conflict. Comparing event trees
// pointwise gives exactly the causal order, like version vectors whose
// "entries" are subintervals instead of replica names.
//
// Both trees are kept in the normal form of section 5.1 at all times: an id
// node is never (0, 0) or (1, 1), and an event node (n, l, r) never has two
// equal leaves as children and always has at least one child whose minimum
// is 0 (the common part has been lifted into n). Every constructor below
// preserves it, so a normalised tree has exactly one representation, the
// minimum of a tree is the value at its root, and structural equality is
// semantic equality.
//
// Trees are immutable once built: operations allocate new nodes along the
// paths they change and share everything else, so stamps can be copied,
// stored and used from several goroutines freely.

// Stamp is an interval tree clock stamp: an identity (the part of the id
// space this replica owns) and an event component (what it has seen). It
// tracks causality like a version vector, but replicas need no global names:
// a replica is created by forking an existing stamp and retired by joining
// its stamp into another one, and the stamps grow and shrink with the number
// of active replicas instead of with every replica that ever existed.
//
// A typical life cycle is:
//
//	a := clocks.Seed()       // the first replica owns the whole id space
//	a, b := a.Fork()         // a new replica b: a and b own disjoint halves
//	a = a.Event()            // a records an event
//	b, msg := b.Send()       // b records a send event; msg is anonymous
//	a, err := a.Receive(msg) // a learns what b knew and records the receipt
//	a, err = a.Join(b)       // b retires: a owns the whole space again
//
// Compare (or Leq) tells whether one stamp happened before another or they
// are concurrent, exactly as version vectors would.
//
// Stamps are immutable values: every operation returns new stamps and leaves
// its receiver and arguments unchanged, so a Stamp can be copied, compared
// and shared between goroutines without synchronisation. Do not compare
// stamps with ==, which compares internal pointers; use Equal or Compare.
//
// The zero value is the anonymous stamp "(0, 0)": it owns no part of the id
// space and has seen no event. It can be joined into other stamps and
// compared, but Event leaves it unchanged. A fresh system starts from Seed.
//
// Costs: every operation is linear in the size of the trees involved (Event
// is O(n·d) in the worst case, n nodes of depth d, to choose where to grow),
// and allocates only the nodes on the paths it changes. The trees stay small
// when replicas that fork eventually join back; a replica that keeps
// forking off children that never rejoin deepens its id tree by one level
// per fork. Counters are 64-bit.
//
// Stamps cross the network in the compact bit encoding of section 6 of the
// paper (MarshalBinary: the seed takes one byte, a stamp of a system of 16
// replicas a few dozen), and are written in the paper's notation by String
// and read back by ParseStamp (also used for JSON). Both encodings are
// canonical, and their decoders enforce MaxStampDepth and MaxStampNodes.
type Stamp struct {
	id *idTree // nil means the leaf 0
	ev *event  // nil means the leaf 0
}

// idTree is a node of an id tree. The leaves are exactly the two shared
// values idZero and idOne (compared by pointer); every other node has two
// non-nil children and is never (0, 0) or (1, 1).
type idTree struct {
	l, r *idTree
}

var (
	idZero = &idTree{}
	idOne  = &idTree{}
	// The two halves of the seed's id, shared by every split of 1.
	idLeftHalf  = &idTree{l: idOne, r: idZero}
	idRightHalf = &idTree{l: idZero, r: idOne}
)

// mkID builds the normalised id node (l, r) of section 5.1: (0, 0) is 0 and
// (1, 1) is 1.
func mkID(l, r *idTree) *idTree {
	switch {
	case l == idZero && r == idZero:
		return idZero
	case l == idOne && r == idOne:
		return idOne
	}
	return &idTree{l: l, r: r}
}

// event is a node of an event tree: a leaf n when l and r are nil, or the
// node (n, l, r) with both children non-nil. In normal form a node's
// children are never two equal leaves and one of them has root value 0.
type event struct {
	n    uint64
	l, r *event
}

func (e *event) isLeaf() bool { return e.l == nil }

// smallLeaves holds shared leaves for the most common counters, so that
// building trees allocates less.
var smallLeaves = func() (ls [64]event) {
	for i := range ls {
		ls[i].n = uint64(i)
	}
	return ls
}()

// leaf returns the event leaf n.
func leaf(n uint64) *event {
	if n < uint64(len(smallLeaves)) {
		return &smallLeaves[n]
	}
	return &event{n: n}
}

// node builds the event node (n, l, r) in normal form (norm, section 5.1),
// given children in normal form: two equal leaves m collapse into the leaf
// n+m, and the smaller of the children's minima (their root values) is
// sunk from the children and lifted into n.
func node(n uint64, l, r *event) *event {
	if l.isLeaf() && r.isLeaf() && l.n == r.n {
		return leaf(n + l.n)
	}
	if m := min(l.n, r.n); m > 0 {
		l, r, n = sink(l, m), sink(r, m), n+m
	}
	return &event{n: n, l: l, r: r}
}

// sink lowers the root of e by m ≤ e.n (e↓m in section 5.1).
func sink(e *event, m uint64) *event {
	if e.isLeaf() {
		return leaf(e.n - m)
	}
	return &event{n: e.n - m, l: e.l, r: e.r}
}

// children returns the children of e, seeing a leaf n as (n, 0, 0).
func (e *event) children() (l, r *event) {
	if e.isLeaf() {
		return leaf(0), leaf(0)
	}
	return e.l, e.r
}

// maxOf is the largest counter in e (max, section 5.1).
func maxOf(e *event) uint64 {
	if e.isLeaf() {
		return e.n
	}
	return e.n + max(maxOf(e.l), maxOf(e.r))
}

// Seed returns the stamp (1, 0) that starts a system: it owns the whole id
// space and has seen no event. Create every other replica by forking it (or
// a stamp forked from it); two independent seeds must never be joined.
func Seed() Stamp {
	return Stamp{id: idOne, ev: leaf(0)}
}

func (s Stamp) ident() *idTree {
	if s.id == nil {
		return idZero
	}
	return s.id
}

func (s Stamp) events() *event {
	if s.ev == nil {
		return leaf(0)
	}
	return s.ev
}

// IsAnonymous reports whether s owns no part of the id space (its id is 0),
// as the stamps returned by Peek and the zero Stamp do. An anonymous stamp
// carries causal information but cannot record events.
func (s Stamp) IsAnonymous() bool {
	return s.ident() == idZero
}

// Fork splits the identity of s in two and returns two stamps with the same
// event component and disjoint ids, typically one kept by the replica and
// one given to a new replica (fork, section 5.2). Forking an anonymous stamp
// returns two anonymous stamps. The result is deterministic: forking equal
// stamps gives equal results.
func (s Stamp) Fork() (Stamp, Stamp) {
	a, b := split(s.ident())
	return Stamp{id: a, ev: s.ev}, Stamp{id: b, ev: s.ev}
}

// split divides an id into two disjoint ids whose sum is i (split, section
// 5.2): 1 becomes its two halves, an id owning one side only splits that
// side, and an id owning both sides gives one side to each.
func split(i *idTree) (*idTree, *idTree) {
	switch {
	case i == idZero:
		return idZero, idZero
	case i == idOne:
		return idLeftHalf, idRightHalf
	case i.l == idZero:
		a, b := split(i.r)
		return mkID(idZero, a), mkID(idZero, b)
	case i.r == idZero:
		a, b := split(i.l)
		return mkID(a, idZero), mkID(b, idZero)
	}
	return mkID(i.l, idZero), mkID(idZero, i.r)
}

// Join merges two stamps (join, section 5.3): the result owns the union of
// both ids and has seen everything either has seen. Use it to retire a
// replica (join its stamp into another one) or, with an anonymous stamp, to
// learn what a message carries.
//
// Joining stamps whose ids overlap would let two replicas record events in
// the same place and is refused with an error wrapping ErrOverlap; a
// correct history of forks and joins never does it (the same stamp joined
// twice, or stamps from two separate seeds, do). On error s is returned
// unchanged.
func (s Stamp) Join(o Stamp) (Stamp, error) {
	id, ok := sum(s.ident(), o.ident())
	if !ok {
		return s, fmt.Errorf("clocks: cannot join stamps with ids %s and %s: %w",
			abbreviate(idString(s.ident())), abbreviate(idString(o.ident())), ErrOverlap)
	}
	a, b := s.events(), o.events()
	var ev *event
	switch {
	case leq(b, 0, a, 0):
		ev = a // nothing new: share the existing tree
	case leq(a, 0, b, 0):
		ev = b
	default:
		ev = join(a, 0, b, 0)
	}
	return Stamp{id: id, ev: ev}, nil
}

// sum is the union of two disjoint ids (sum, section 5.3); ok is false when
// they overlap.
func sum(a, b *idTree) (_ *idTree, ok bool) {
	switch {
	case a == idZero:
		return b, true
	case b == idZero:
		return a, true
	case a == idOne || b == idOne:
		return nil, false
	}
	l, ok := sum(a.l, b.l)
	if !ok {
		return nil, false
	}
	r, ok := sum(a.r, b.r)
	if !ok {
		return nil, false
	}
	return mkID(l, r), true
}

// join is the pointwise maximum of a↑da and b↑db (join, section 5.3), where
// e↑d adds d to the root of e.
func join(a *event, da uint64, b *event, db uint64) *event {
	an, bn := a.n+da, b.n+db
	if a.isLeaf() && b.isLeaf() {
		switch {
		case an >= bn && da == 0:
			return a
		case bn >= an && db == 0:
			return b
		}
		return leaf(max(an, bn))
	}
	if an > bn {
		a, b, an, bn, da = b, a, bn, an, db
	}
	// Now an ≤ bn: the result's root is an, and b's children sit bn-an
	// above it.
	al, ar := a.children()
	bl, br := b.children()
	l := join(al, 0, bl, bn-an)
	r := join(ar, 0, br, bn-an)
	if l == al && r == ar && da == 0 && !a.isLeaf() {
		return a
	}
	return node(an, l, r)
}

// Event records an event: the result has seen everything s has seen plus
// one new event, dominates s, and is not dominated by any stamp that s does
// not dominate (event, section 5.4). It first tries to simplify the event
// tree by filling the parts that s owns up to the level of their neighbours
// (fill); only if that changes nothing does it increment a counter, choosing
// the place that adds the fewest nodes (grow, with the cost function of
// section 5.4).
//
// Event on an anonymous stamp returns it unchanged: a stamp that owns no
// part of the id space cannot record events (the paper leaves event
// undefined there).
func (s Stamp) Event() Stamp {
	id := s.ident()
	if id == idZero {
		return s
	}
	e := s.events()
	if f := fill(id, e); f != e {
		return Stamp{id: id, ev: f}
	}
	return Stamp{id: id, ev: grow(id, e)}
}

// fill raises the counters that i owns as far as possible without
// inventing causality: an owned subtree is raised to the maximum of itself
// and the minimum of its neighbour (fill, section 5.4). It returns e itself
// (the same pointer) exactly when nothing changes.
func fill(i *idTree, e *event) *event {
	switch {
	case i == idZero:
		return e
	case i == idOne:
		if e.isLeaf() {
			return e
		}
		return leaf(maxOf(e))
	case e.isLeaf():
		return e
	case i.l == idOne:
		r := fill(i.r, e.r)
		v := max(maxOf(e.l), r.n) // r.n is the minimum of r
		if r == e.r && e.l.isLeaf() && e.l.n == v {
			return e
		}
		return node(e.n, leaf(v), r)
	case i.r == idOne:
		l := fill(i.l, e.l)
		v := max(maxOf(e.r), l.n)
		if l == e.l && e.r.isLeaf() && e.r.n == v {
			return e
		}
		return node(e.n, l, leaf(v))
	}
	l, r := fill(i.l, e.l), fill(i.r, e.r)
	if l == e.l && r == e.r {
		return e
	}
	return node(e.n, l, r)
}

// expandCost is the cost grow assigns to turning a leaf into a node: the
// paper's "large constant N", chosen larger than any number of steps down a
// tree so that costs compare first by expansions and then by depth.
const expandCost = 1 << 32

// growCost is the cost of grow(i, e) (section 5.4) without building it:
// the number of leaves grow would have to expand, then the depth at which
// it would increment a counter. i must not be 0.
func growCost(i *idTree, e *event) uint64 {
	if i == idOne {
		return 0
	}
	var c uint64 = 1
	if e.isLeaf() {
		c += expandCost
	}
	l, r := e.children()
	switch {
	case i.l == idZero:
		return c + growCost(i.r, r)
	case i.r == idZero:
		return c + growCost(i.l, l)
	}
	return c + min(growCost(i.l, l), growCost(i.r, r))
}

// grow increments one counter that i owns, at the place of least cost
// (grow, section 5.4): preferably an existing leaf, otherwise the one that
// adds the fewest nodes, otherwise the shallowest. On a tie it grows to the
// right, as in the paper. i must not be 0.
func grow(i *idTree, e *event) *event {
	if i == idOne {
		// After a fill that changed nothing, a whole owned subtree is
		// always a leaf; taking the maximum keeps grow an inflation even
		// if it were not.
		return leaf(maxOf(e) + 1)
	}
	l, r := e.children()
	switch {
	case i.l == idZero:
		return node(e.n, l, grow(i.r, r))
	case i.r == idZero:
		return node(e.n, grow(i.l, l), r)
	}
	if growCost(i.l, l) < growCost(i.r, r) {
		return node(e.n, grow(i.l, l), r)
	}
	return node(e.n, l, grow(i.r, r))
}

// Peek returns the anonymous stamp (0, e) with the event component of s
// (peek, section 5.2): it carries what s has seen, for example inside a
// message, without any identity. s itself is unchanged.
func (s Stamp) Peek() Stamp {
	return Stamp{id: idZero, ev: s.ev}
}

// Send records a send event and returns the replica's new stamp and the
// anonymous stamp to put in the message (send, section 5.5: event followed
// by peek).
func (s Stamp) Send() (next, msg Stamp) {
	next = s.Event()
	return next, next.Peek()
}

// Receive joins the stamp carried by a message into s and records the
// receive event (receive, section 5.5: join followed by event). msg is
// normally anonymous (from Send or Peek); if it owns part of the id space,
// the ids must not overlap, as for Join. On error s is returned unchanged.
func (s Stamp) Receive(msg Stamp) (Stamp, error) {
	j, err := s.Join(msg)
	if err != nil {
		return s, err
	}
	return j.Event(), nil
}

// Sync joins two replicas' stamps and forks the result again (sync,
// section 5.5: join followed by fork), so that both replicas continue with
// everything either had seen, and the id space is redistributed between
// them. It fails as Join does, returning s and o unchanged.
func (s Stamp) Sync(o Stamp) (Stamp, Stamp, error) {
	j, err := s.Join(o)
	if err != nil {
		return s, o, err
	}
	a, b := j.Fork()
	return a, b, nil
}

// Leq reports whether the event component of s is less than or equal to
// that of o: everything s has seen, o has seen too (leq, section 5.1). Ids
// are ignored. Leq is a partial order; it costs O(n) for trees of n nodes
// and does not allocate.
func (s Stamp) Leq(o Stamp) bool {
	return leq(s.events(), 0, o.events(), 0)
}

// leq reports whether a↑da ≤ b↑db pointwise.
func leq(a *event, da uint64, b *event, db uint64) bool {
	an, bn := a.n+da, b.n+db
	switch {
	case an > bn:
		return false
	case a.isLeaf():
		return true
	case b.isLeaf():
		return leq(a.l, an, b, db) && leq(a.r, an, b, db)
	}
	return leq(a.l, an, b.l, bn) && leq(a.r, an, b.r, bn)
}

// Compare returns the causal order between the event components of s and
// o: Equal, Before (s happened before o), After, or Concurrent. Ids are
// ignored. It costs at most two Leq.
func (s Stamp) Compare(o Stamp) Order {
	a, b := s.events(), o.events()
	le, ge := leq(a, 0, b, 0), leq(b, 0, a, 0)
	switch {
	case le && ge:
		return Equal
	case le:
		return Before
	case ge:
		return After
	}
	return Concurrent
}

// Equal reports whether s and o have the same id and the same event
// component. (Compare(o) == Equal only compares event components.)
func (s Stamp) Equal(o Stamp) bool {
	return idEqual(s.ident(), o.ident()) && eventEqual(s.events(), o.events())
}

func idEqual(a, b *idTree) bool {
	if a == b {
		return true
	}
	if a.l == nil || b.l == nil {
		return false // distinct leaves, or a leaf and a node
	}
	return idEqual(a.l, b.l) && idEqual(a.r, b.r)
}

func eventEqual(a, b *event) bool {
	if a == b {
		return true
	}
	if a.n != b.n || a.isLeaf() != b.isLeaf() {
		return false
	}
	return a.isLeaf() || eventEqual(a.l, b.l) && eventEqual(a.r, b.r)
}

// String returns the stamp in the notation of the paper: "(id, event)",
// where an id is 0, 1 or (l, r) and an event tree is n or (n, l, r). For
// example Seed().String() is "(1, 0)" and the zero Stamp prints as
// "(0, 0)". ParseStamp reads it back.
func (s Stamp) String() string {
	var b strings.Builder
	b.WriteByte('(')
	writeID(&b, s.ident())
	b.WriteString(", ")
	writeEvent(&b, s.events())
	b.WriteByte(')')
	return b.String()
}

func writeID(b *strings.Builder, i *idTree) {
	switch i {
	case idZero:
		b.WriteByte('0')
	case idOne:
		b.WriteByte('1')
	default:
		b.WriteByte('(')
		writeID(b, i.l)
		b.WriteString(", ")
		writeID(b, i.r)
		b.WriteByte(')')
	}
}

func writeEvent(b *strings.Builder, e *event) {
	var num [20]byte
	if e.isLeaf() {
		b.Write(strconv.AppendUint(num[:0], e.n, 10))
		return
	}
	b.WriteByte('(')
	b.Write(strconv.AppendUint(num[:0], e.n, 10))
	b.WriteString(", ")
	writeEvent(b, e.l)
	b.WriteString(", ")
	writeEvent(b, e.r)
	b.WriteByte(')')
}

func idString(i *idTree) string {
	var b strings.Builder
	writeID(&b, i)
	return b.String()
}

// abbreviate shortens s for an error message.
func abbreviate(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
