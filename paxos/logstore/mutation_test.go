package logstore

import (
	"strings"
	"testing"
)

// TestMutantsKilled checks that the crash tests catch every deliberately
// broken store (mutant.go; DESIGN level 9, mutation score): each must
// break a law within the default run's 20,000 crash points.
func TestMutantsKilled(t *testing.T) {
	killed := 0
	for m := mutNone + 1; m < mutCount; m++ {
		crashes, _, err := crashPoints(20_000, uint64(m)*1000, m)
		if err == nil {
			t.Errorf("mutant %q survived %d crash points: the crash tests cannot see its bug", m, crashes)
			continue
		}
		killed++
		law, _, _ := strings.Cut(err.Error(), "\n")
		t.Logf("mutant %q killed after %d crash points: %s", m, crashes, law)
	}
	t.Logf("mutation score: %d of %d mutants killed", killed, mutCount-1)
}
