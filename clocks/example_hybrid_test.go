package clocks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eventually-perfect/primitives/clocks"
)

// Two nodes with fake physical clocks, so the output is the same on every
// run; bob's clock is 2ms ahead of alice's. While alice's physical clock
// stands still, her logical counter orders her events. When she hears from
// bob, her clock jumps to his wall time, so her receive event comes after
// his send even though her own physical clock is behind. Once her physical
// clock passes that time, it takes over again and the counter restarts.
func ExampleHybrid() {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	alice := clocks.NewHybrid(func() int64 { return now }, time.Second)
	bob := clocks.NewHybrid(func() int64 { return now + int64(2*time.Millisecond) }, time.Second)

	fmt.Println("alice:", alice.Now())
	fmt.Println("alice:", alice.Now()) // physical time has not moved
	fmt.Println("alice:", alice.Now())

	msg := bob.Now()
	fmt.Println("bob sends:", msg)
	recv, err := alice.Update(msg)
	if err != nil {
		panic(err)
	}
	fmt.Println("alice receives:", recv)

	now += int64(time.Millisecond) // alice's clock is still behind bob's time
	fmt.Println("alice:", alice.Now())
	now += int64(2 * time.Millisecond) // and now past it
	fmt.Println("alice:", alice.Now())
	// Output:
	// alice: 1704067200.000000000+0
	// alice: 1704067200.000000000+1
	// alice: 1704067200.000000000+2
	// bob sends: 1704067200.002000000+0
	// alice receives: 1704067200.002000000+1
	// alice: 1704067200.002000000+2
	// alice: 1704067200.003000000+0
}

// A node whose clock is far ahead would drag every clock that hears from it
// into the future. With a maximum offset, Update refuses its timestamps
// and the receiving clock stays where it was.
func ExampleHybrid_Update() {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	c := clocks.NewHybrid(func() int64 { return now }, 500*time.Millisecond)
	c.Now()

	remote := clocks.Timestamp{Wall: now + int64(time.Second)} // a peer 1s ahead
	ts, err := c.Update(remote)
	fmt.Println(ts.IsZero(), errors.Is(err, clocks.ErrClockOffset))
	fmt.Println(err)
	fmt.Println("clock unchanged:", c.Last())
	// Output:
	// true true
	// clocks: remote timestamp 1704067201.000000000+0 is 1s ahead of physical time 1704067200.000000000, more than the maximum offset 500ms: remote clock offset exceeds maximum
	// clock unchanged: 1704067200.000000000+0
}

// A node persists its last timestamp and restores it after a restart, so
// that it never reissues a timestamp, even if its physical clock came back
// behind.
func ExampleHybrid_Restore() {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	physical := func() int64 { return now }

	before := clocks.NewHybrid(physical, time.Second)
	before.Now()
	persisted, err := before.Now().MarshalBinary() // written to disk
	if err != nil {
		fmt.Println(err)
		return
	}

	now -= int64(time.Minute) // the node restarts with its clock a minute slow
	var last clocks.Timestamp
	if err := last.UnmarshalBinary(persisted); err != nil {
		panic(err)
	}
	after := clocks.NewHybrid(physical, time.Second)
	if err := after.Restore(last); err != nil {
		panic(err)
	}
	fmt.Println("persisted:", last)
	fmt.Println("next:     ", after.Now())
	// Output:
	// persisted: 1704067200.000000000+1
	// next:      1704067200.000000000+2
}

// Timestamps are totally ordered: by wall time, then by logical counter.
// Compare has the shape slices.SortFunc expects.
func ExampleTimestamp_Compare() {
	a := clocks.Timestamp{Wall: 1_000_000_000, Logical: 2}
	b := clocks.Timestamp{Wall: 1_000_000_000, Logical: 3}
	c := clocks.Timestamp{Wall: 1_000_000_001, Logical: 0}
	fmt.Println(a.Compare(b), b.Compare(c), c.Compare(a), a.Compare(a))

	all := []clocks.Timestamp{c, a, b}
	slices.SortFunc(all, clocks.Timestamp.Compare)
	fmt.Println(all)
	// Output:
	// -1 -1 1 0
	// [1.000000000+2 1.000000000+3 1.000000001+0]
}

// A Timestamp's text form is decimal seconds and the logical counter, and
// it is what JSON carries. The 12-byte binary form sorts bytewise like the
// timestamps, so it can serve as a key in an ordered store.
func ExampleTimestamp() {
	ts := clocks.Timestamp{Wall: 1_700_000_000_000_000_001, Logical: 3}
	fmt.Println(ts)
	fmt.Println(ts.Time().UTC().Format(time.RFC3339Nano))

	data, err := json.Marshal(map[string]clocks.Timestamp{"version": ts})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(data))

	bin, err := ts.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%x\n", bin)
	earlier, err := clocks.Timestamp{Wall: ts.Wall, Logical: 2}.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Compare(earlier, bin))
	// Output:
	// 1700000000.000000001+3
	// 2023-11-14T22:13:20.000000001Z
	// {"version":"1700000000.000000001+3"}
	// 97979cfe362a000100000003
	// -1
}

// A PhysicalClock is any function returning nanoseconds since the epoch;
// tests and simulations pass a fake one. Here the clock is stepped back an
// hour, as NTP might do: the hybrid clock does not follow it backwards but
// keeps its wall time and counts.
func ExamplePhysicalClock() {
	now := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	var physical clocks.PhysicalClock = func() int64 { return now }
	c := clocks.NewHybrid(physical, 0)

	fmt.Println(c.Now())
	now -= int64(time.Hour)
	fmt.Println(c.Now())
	fmt.Println(c.Now())
	// Output:
	// 1704110400.000000000+0
	// 1704110400.000000000+1
	// 1704110400.000000000+2
}
