package clocks_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/clocks"
)

// Two replicas are created from the seed, record events independently
// (concurrent), and one retires by joining into the other, which then
// owns the whole id space again.
func ExampleStamp() {
	alice, bob := clocks.Seed().Fork()
	fmt.Println("alice:", alice, " bob:", bob)

	alice = alice.Event()
	bob = bob.Event()
	fmt.Println("alice:", alice, " bob:", bob)
	fmt.Println("alice vs bob:", alice.Compare(bob))

	// Bob retires: alice takes over his part of the id space and his past.
	merged, err := alice.Join(bob)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("merged:", merged)
	fmt.Println("alice vs merged:", alice.Compare(merged))

	merged = merged.Event()
	fmt.Println("after an event:", merged)
	// Output:
	// alice: ((1, 0), 0)  bob: ((0, 1), 0)
	// alice: ((1, 0), (0, 1, 0))  bob: ((0, 1), (0, 0, 1))
	// alice vs bob: concurrent
	// merged: (1, 1)
	// alice vs merged: before
	// after an event: (1, 2)
}

// Fork splits the id space: each call gives away half of what the stamp
// owns, so new replicas need no global names.
func ExampleStamp_Fork() {
	a, b := clocks.Seed().Fork()
	b, c := b.Fork()
	fmt.Println(a)
	fmt.Println(b)
	fmt.Println(c)

	// The parts are disjoint, so joining any two of them succeeds...
	ab, err := a.Join(b)
	fmt.Println(ab, err)
	// ...but a part cannot be joined twice.
	_, err = ab.Join(b)
	fmt.Println(err)
	// Output:
	// ((1, 0), 0)
	// ((0, (1, 0)), 0)
	// ((0, (0, 1)), 0)
	// ((1, (1, 0)), 0) <nil>
	// clocks: cannot join stamps with ids (1, (1, 0)) and (0, (1, 0)): interval tree clock identities overlap
}

// Messages carry anonymous stamps: Send records the send event and returns
// the stamp for the message, Receive joins it and records the receipt.
func ExampleStamp_Send() {
	alice, bob := clocks.Seed().Fork()
	alice, msg := alice.Send()
	fmt.Println("message:", msg, "anonymous:", msg.IsAnonymous())

	bob, err := bob.Receive(msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bob:", bob)
	fmt.Println("send vs receive:", alice.Compare(bob))
	// Output:
	// message: (0, (0, 1, 0)) anonymous: true
	// bob: ((0, 1), 1)
	// send vs receive: before
}

// The binary encoding is the compact bit encoding of the paper: the seed is
// one byte, and a stamp of a small system a handful of bytes.
func ExampleStamp_MarshalBinary() {
	a, b := clocks.Seed().Fork()
	a = a.Event().Event()
	b = b.Event()
	for _, s := range []clocks.Stamp{clocks.Seed(), a, b} {
		data, err := s.MarshalBinary()
		if err != nil {
			fmt.Println(err)
			return
		}
		var back clocks.Stamp
		if err := back.UnmarshalBinary(data); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-22s %d bytes %x -> %s\n", s, len(data), data, back)
	}
	// Output:
	// (1, 0)                 1 bytes 30 -> (1, 0)
	// ((1, 0), (0, 2, 0))    2 bytes 89a0 -> ((1, 0), (0, 2, 0))
	// ((0, 1), (0, 0, 1))    2 bytes 4890 -> ((0, 1), (0, 0, 1))
}

// The authors' Erlang implementation writes the base of an event node one
// bit longer than their C and Java ones; MarshalBinaryErlang and
// UnmarshalBinaryErlang speak its form. Stamps whose event nodes all have
// a zero base, such as the seed, encode the same in both.
func ExampleStamp_MarshalBinaryErlang() {
	s, err := clocks.ParseStamp("((1, 0), (1, 2, (0, 0, 1)))")
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := s.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	erl, err := s.MarshalBinaryErlang()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("C and Java: %x\nErlang:     %x\n", c, erl)
	var back clocks.Stamp
	if err := back.UnmarshalBinaryErlang(erl); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back)
	fmt.Println(back.UnmarshalBinaryErlang(c)) // the wrong form: refused here, but not always
	seed, err := clocks.Seed().MarshalBinaryErlang()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("seed: %x\n", seed)
	// Output:
	// C and Java: 8b9a12
	// Erlang:     8bcd09
	// ((1, 0), (1, 2, (0, 0, 1)))
	// clocks: stamp encoding at bit 9: the base of an event node is not a leaf (Erlang form): malformed encoding
	// seed: 30
}

// ParseStamp reads the paper's notation, the same that String writes and
// that stamps use in JSON.
func ExampleParseStamp() {
	s, err := clocks.ParseStamp("((1, 0), (0, 0, 1))")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Event()) // fill: the owned half catches up with the other
	_, err = clocks.ParseStamp("((1, 1), 0)")
	fmt.Println(err)
	// Output:
	// ((1, 0), 1)
	// clocks: parsing stamp at offset 1: id is not normalised: malformed encoding
}
