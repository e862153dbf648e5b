//go:build race

package clocks_test

// Under the race detector, whose shadow memory multiplies what the huge
// inputs take, they are 8 MB: still enough to show that refusing them
// costs nothing. The race detector also turns off the allocator's
// combining of tiny objects, so a decoded ID costs more than it does in a
// normal build; the bounds on accepted input are checked only there.
func init() {
	hugeInput = 8 << 20
	raceDetector = true
}
