//go:build race

package wal

// raceEnabled shortens the crash tests under the race detector, which
// slows them about fourfold.
const raceEnabled = true
