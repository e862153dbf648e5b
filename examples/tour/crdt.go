package main

import (
	"fmt"
	"strings"

	"github.com/eventually-perfect/primitives/crdt"
)

// The crdt section: a shopping cart replicated on three replicas that a
// partition splits, edited on both sides, then healed; add-wins against
// remove-wins sets; and what deltas save. The data comes from small pure
// functions (cartRun, winsRun, deltaCost) that crdt_test.go checks.

func init() {
	register(section{order: 30, name: "crdt", title: "CRDTs: replicas that always agree in the end", run: crdtSection})
}

// cart maps an item to its quantity; a multi-value register keeps
// concurrent quantities instead of picking one silently.
type cart = crdt.ORMap[string, crdt.MVRegister[int]]

// setQty sets item's quantity at replica.
func setQty(c *cart, replica, item string, n int) cart {
	return c.Update(replica, item, func(r *crdt.MVRegister[int]) crdt.MVRegister[int] {
		return r.Write(replica, n)
	})
}

// cartText prints a cart as "bread:1 eggs:6 milk:3", concurrent
// quantities as "milk:2|3".
func cartText(c cart) string {
	var parts []string
	for _, item := range c.Keys() {
		r, _ := c.Get(item)
		var qs []string
		for _, q := range r.Values() {
			qs = append(qs, fmt.Sprint(q))
		}
		parts = append(parts, item+":"+strings.Join(qs, "|"))
	}
	if len(parts) == 0 {
		return "(empty)"
	}
	return strings.Join(parts, " ")
}

// cartStep is one moment of the cart story: what happened, and each
// replica's cart afterwards.
type cartStep struct {
	what  string
	carts [3]string
}

// cartRun replays the story and returns its steps and the final states.
func cartRun() ([]cartStep, [3]cart, error) {
	var r [3]cart // alice, bob, carol
	var steps []cartStep
	snap := func(what string) {
		s := cartStep{what: what}
		for i := range r {
			s.carts[i] = cartText(r[i])
		}
		steps = append(steps, s)
	}
	merge := func(to, from int) error { return r[to].Merge(r[from]) }
	setQty(&r[0], "alice", "milk", 2)
	setQty(&r[0], "alice", "eggs", 12)
	for _, i := range []int{1, 2} {
		if err := merge(i, 0); err != nil {
			return nil, r, err
		}
	}
	snap("alice fills the cart; bob and carol receive it")

	// Partition: alice | bob, carol.
	r[0].Remove("eggs")
	setQty(&r[0], "alice", "milk", 3)
	setQty(&r[1], "bob", "bread", 1)
	setQty(&r[2], "carol", "eggs", 6)
	setQty(&r[2], "carol", "milk", 2) // carol re-confirms milk 2, unaware of alice's 3
	if err := merge(1, 2); err != nil {
		return nil, r, err
	}
	if err := merge(2, 1); err != nil {
		return nil, r, err
	}
	snap("partition: alice drops eggs and takes 3 milk; bob adds bread, carol wants 6 eggs and 2 milk")

	// Heal: every replica merges every other's state.
	for to := range r {
		for from := range r {
			if err := merge(to, from); err != nil {
				return nil, r, err
			}
		}
	}
	snap("the partition heals and the replicas exchange states")
	return steps, r, nil
}

// winsRun runs the scenario on an add-wins and a remove-wins set:
// x adds 3.14, adds 2.718, removes 3.14; y adds 3.14; merge. Then x clears
// its add-wins set and merges y's state again.
func winsRun() (addWins, removeWins, afterClear []float64) {
	var xa, ya crdt.ORSet[float64]
	var xr, yr crdt.RWSet[float64]
	xa.Add("x", 3.14)
	xa.Add("x", 2.718)
	xa.Remove(3.14)
	ya.Add("y", 3.14)
	xr.Add("x", 3.14)
	xr.Add("x", 2.718)
	xr.Remove("x", 3.14)
	yr.Add("y", 3.14)
	xa.Merge(ya)
	xr.Merge(yr)
	addWins, removeWins = xa.Elements(), xr.Elements()
	xa.Clear()
	xa.Merge(ya)
	return addWins, removeWins, xa.Elements()
}

// deltaCost returns the encoded sizes of an n-element ORSet, of the delta
// of one more Add, and of the set after removing every element.
func deltaCost(n int) (full, delta, emptied int, err error) {
	var s crdt.ORSet[int]
	for i := range n {
		s.Add("a", i)
	}
	fb, err := s.MarshalBinary()
	if err != nil {
		return 0, 0, 0, err
	}
	d := s.Add("a", n)
	db, err := d.MarshalBinary()
	if err != nil {
		return 0, 0, 0, err
	}
	s.Clear()
	eb, err := s.MarshalBinary()
	return len(fb), len(db), len(eb), err
}

func crdtSection(t *tour) error {
	t.para(`Some data does not need everyone to agree before anyone can write: a
		shopping cart, a like counter, the set of devices logged in. A
		conflict-free replicated data type (CRDT) lets every replica accept
		writes on its own, even cut off from the others, and guarantees that
		replicas that have received the same updates hold the same state, in
		whatever order and however many times the updates arrived. The trick
		is the merge: it must be commutative, associative and idempotent, so
		that order, grouping and repetition cannot matter.`)

	t.heading("A cart across a partition")
	steps, final, err := cartRun()
	if err != nil {
		return err
	}
	for _, s := range steps {
		t.printf("%s\n", wrap(s.what, 78, ""))
		for i, name := range []string{"alice", "bob", "carol"} {
			t.printf("    %-6s %s\n", name, s.carts[i])
		}
		t.printf("\n")
	}
	t.para(fmt.Sprintf(`All three now hold the same cart, %s, without anyone
		coordinating. Alice's removal of the eggs only removed what she had
		seen (12 eggs); Carol's concurrent 6 eggs survive: that is the
		observed-remove rule. The two concurrent milk quantities are both
		kept by the multi-value register for the application (or the
		customer) to settle; a last-writer-wins register would have dropped
		one silently.`, cartText(final[0])))

	t.heading("Add-wins or remove-wins")
	aw, rw, cleared := winsRun()
	t.para(fmt.Sprintf(`Replica x adds 3.14, adds 2.718 and removes 3.14 while
		replica y adds 3.14. When an add and a remove of the same element are
		concurrent, a set must pick a winner. Merged, the add-wins set is %v
		and the remove-wins set is %v. If x then clears its add-wins set and
		merges y's state again, it gets %v: x had already seen y's add, so
		its clear removed it, and merging it again does not bring it back.`,
		aw, rw, cleared))

	t.heading("What it costs")
	full, delta, emptied, err := deltaCost(10000)
	if err != nil {
		return err
	}
	t.para(fmt.Sprintf(`The add-wins set tags each element with a dot (replica,
		counter) and keeps a causal context: a version vector of what it has
		seen. A 10,000-element set encodes to %d bytes. The delta of one more
		add, which is all a replica needs to send, is %d bytes (%.2f%% of the
		state). After every element is removed the set encodes to %d bytes:
		removes leave no tombstones, only the version vector remembers them.`,
		full, delta, 100*float64(delta)/float64(full), emptied))
	return nil
}
