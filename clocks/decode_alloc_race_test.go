//go:build race

package clocks_test

// Under the race detector, whose shadow memory multiplies what the huge
// inputs take, they are 8 MB: still enough to show that refusing them
// costs nothing.
func init() { hugeInput = 8 << 20 }
