package clocks_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/clocks"
)

// Three processes, one message. Process a does some work and sends to b;
// b had done less work, so receiving the message moves its clock forward
// past the message's time. Process c never hears from anyone: its event is
// concurrent with all the others, yet the clock gives it a time that
// orders it before them. Lamport times respect causality; they do not
// reveal it.
func ExampleLamport() {
	var a, b, c clocks.Lamport

	a.Tick()        // a: local event
	msg := a.Tick() // a: sends to b, the message carries a's time
	b.Tick()        // b: local event
	recv := b.Witness(msg)
	other := c.Tick() // c: local event, concurrent with all the above

	fmt.Println("a sent at", msg)
	fmt.Println("b received at", recv)
	fmt.Println("c's event at", other)
	fmt.Println("send before receive:", msg < recv)
	// Output:
	// a sent at 2
	// b received at 3
	// c's event at 1
	// send before receive: true
}
