package clocks_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eventually-perfect/primitives/clocks"
)

// Two replicas of a shopping cart use version vectors to notice that they
// were updated concurrently during a partition, so that neither update is
// silently lost.
func ExampleVector() {
	var nyc, paris clocks.Vector
	nyc.Tick("nyc")  // nyc adds milk
	paris.Merge(nyc) // paris syncs: it has now seen nyc's update
	fmt.Println("after sync:", nyc.Compare(paris))

	// A partition: each replica updates its copy without the other.
	nyc.Tick("nyc")     // nyc adds eggs
	paris.Tick("paris") // paris removes the milk
	fmt.Println("nyc:", nyc, "paris:", paris)
	fmt.Println("conflict:", nyc.ConcurrentWith(paris))

	// The partition heals. nyc merges both carts (application logic) and
	// records the resolution as a new event that descends both versions.
	resolved := nyc.Clone()
	resolved.Merge(paris)
	resolved.Tick("nyc")
	fmt.Println("resolved:", resolved)
	fmt.Println("nyc's version is", nyc.Compare(resolved), "and paris's is", paris.Compare(resolved), "the resolution")
	// Output:
	// after sync: equal
	// nyc: {nyc:2} paris: {nyc:1, paris:1}
	// conflict: true
	// resolved: {nyc:3, paris:1}
	// nyc's version is before and paris's is before the resolution
}

func ExampleVector_Compare() {
	a := clocks.VectorOf(clocks.Entry{ID: "a", Count: 2}, clocks.Entry{ID: "b", Count: 1})
	b := a.Clone()
	b.Tick("b")
	c := a.Clone()
	c.Tick("c")

	fmt.Println(a, "vs", b, "=", a.Compare(b))
	fmt.Println(b, "vs", a, "=", b.Compare(a))
	fmt.Println(b, "vs", c, "=", b.Compare(c))
	fmt.Println(a, "vs", a.Clone(), "=", a.Compare(a.Clone()))
	// An absent ID counts zero, so a zero entry changes nothing.
	d := a.Clone()
	d.Set("z", 0)
	fmt.Println(a, "vs", d, "=", a.Compare(d))
	// Output:
	// {a:2, b:1} vs {a:2, b:2} = before
	// {a:2, b:2} vs {a:2, b:1} = after
	// {a:2, b:2} vs {a:2, b:1, c:1} = concurrent
	// {a:2, b:1} vs {a:2, b:1} = equal
	// {a:2, b:1} vs {a:2, b:1} = equal
}

func ExampleVector_Merge() {
	var v clocks.Vector
	v.Tick("a")
	msg := clocks.VectorOf(clocks.Entry{ID: "a", Count: 0}, clocks.Entry{ID: "b", Count: 4})

	// Receiving a message: merge its clock, then tick.
	v.Merge(msg)
	v.Tick("a")
	fmt.Println(v)
	fmt.Println(msg.HappenedBefore(v))
	// Output:
	// {a:2, b:4}
	// true
}

func ExampleVector_Prune() {
	v := clocks.VectorOf(
		clocks.Entry{ID: "server-1", Count: 40},
		clocks.Entry{ID: "client-7", Count: 1},
		clocks.Entry{ID: "server-2", Count: 35},
		clocks.Entry{ID: "client-3", Count: 2},
	)
	dropped := v.Prune(2) // keep the two busiest entries
	fmt.Println("kept:", v)
	fmt.Println("dropped:", dropped)

	// The price: a pruned clock looks older than it is. w saw one event
	// fewer of a than v did, yet once v forgets a, v looks Before w.
	w := clocks.VectorOf(clocks.Entry{ID: "a", Count: 1}, clocks.Entry{ID: "b", Count: 5})
	u := clocks.VectorOf(clocks.Entry{ID: "a", Count: 2}, clocks.Entry{ID: "b", Count: 5})
	fmt.Println("before pruning:", u.Compare(w))
	u.Prune(1)
	fmt.Println("after pruning:", u, u.Compare(w))
	// Output:
	// kept: {server-1:40, server-2:35}
	// dropped: [client-3:2 client-7:1]
	// before pruning: after
	// after pruning: {b:5} before
}

func ExampleVector_MarshalBinary() {
	v := clocks.VectorOf(clocks.Entry{ID: "b", Count: 300}, clocks.Entry{ID: "a", Count: 1})
	enc, err := v.MarshalBinary()
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", enc)

	var back clocks.Vector
	if err := back.UnmarshalBinary(enc); err != nil {
		panic(err)
	}
	fmt.Println(back, back.Equal(v))

	js, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(js))

	// Non-canonical input is rejected: here the IDs are out of order.
	err = back.UnmarshalBinary([]byte{1, 2, 1, 'b', 1, 1, 'a', 1})
	fmt.Println(errors.Is(err, clocks.ErrMalformed), back)
	// Output:
	// 01 02 01 61 01 01 62 ac 02
	// {a:1, b:300} true
	// {"a":1,"b":300}
	// true {a:1, b:300}
}

// Entries lists a vector's non-zero components in ID order; All does the
// same without copying. Entries are how a vector is built from, or handed
// to, code that keeps counters elsewhere.
func ExampleEntry() {
	v := clocks.VectorOf(
		clocks.Entry{ID: "carol", Count: 3},
		clocks.Entry{ID: "alice", Count: 1},
		clocks.Entry{ID: "bob", Count: 0}, // zero: the same as absent
	)
	for _, e := range v.Entries() {
		fmt.Println(e.ID, e.Count, e)
	}
	for id, n := range v.All() {
		fmt.Printf("%s=%d ", id, n)
	}
	fmt.Println()
	// Output:
	// alice 1 alice:1
	// carol 3 carol:3
	// alice=1 carol=3
}
