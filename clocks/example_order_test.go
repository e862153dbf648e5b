package clocks_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/clocks"
)

// Causal time is a partial order: besides before, after and equal, two
// timestamps can be concurrent. Invert gives the order seen from the other
// side.
func ExampleOrder() {
	for _, o := range []clocks.Order{clocks.Before, clocks.After, clocks.Equal, clocks.Concurrent} {
		fmt.Printf("%s, seen from the other side: %s\n", o, o.Invert())
	}
	// Output:
	// before, seen from the other side: after
	// after, seen from the other side: before
	// equal, seen from the other side: equal
	// concurrent, seen from the other side: concurrent
}
