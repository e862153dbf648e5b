package crdt_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/crdt"
)

func ExampleGCounter() {
	var a, b crdt.GCounter
	d, err := a.Inc("a", 2) // replica a counts two
	if err != nil {
		fmt.Println(err)
		return
	}
	// meanwhile replica b counts one
	if _, err := b.Inc("b", 1); err != nil {
		fmt.Println(err)
		return
	}
	// a's delta reaches b
	if err := b.Merge(d); err != nil {
		fmt.Println(err)
		return
	}
	// twice: merging is idempotent
	if err := b.Merge(d); err != nil {
		fmt.Println(err)
		return
	}
	// and b's state reaches a
	if err := a.Merge(b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a, "|", b)
	// Output: 3 {a:2, b:1} | 3 {a:2, b:1}
}

func ExamplePNCounter() {
	var cart crdt.PNCounter
	if _, err := cart.Inc("phone", 3); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := cart.Dec("laptop", 1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cart.Value(), cart)
	// Output: 2 2 +{phone:3} -{laptop:1}
}
