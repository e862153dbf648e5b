//go:build race

package crdt

// raceEnabled: the race detector disables sync.Pool reuse and adds
// allocations of its own, so allocation figures measured under it are
// not the program's.
const raceEnabled = true
