package crdt_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/crdt"
)

func ExampleGCounter() {
	var a, b crdt.GCounter
	d, _ := a.Inc("a", 2) // replica a counts two
	b.Inc("b", 1)         // meanwhile replica b counts one
	b.Merge(d)            // a's delta reaches b
	b.Merge(d)            // twice: merging is idempotent
	a.Merge(b)            // and b's state reaches a
	fmt.Println(a, "|", b)
	// Output: 3 {a:2, b:1} | 3 {a:2, b:1}
}

func ExamplePNCounter() {
	var cart crdt.PNCounter
	cart.Inc("phone", 3)
	cart.Dec("laptop", 1)
	fmt.Println(cart.Value(), cart)
	// Output: 2 2 +{phone:3} -{laptop:1}
}
