package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The storage section's claims, against its run recomputed: every synced
// record is recovered and listed in order, nothing recovered was never
// appended, and the numbers printed are the run's.
func TestStorageSection(t *testing.T) {
	out, _ := runTour(t, t.TempDir(), "storage")
	flat := unwrap(out)
	f, err := storageRun()
	require.NoError(t, err)
	require.GreaterOrEqual(t, int(f.recovered), f.synced, "a crash must never lose a synced record")
	require.LessOrEqual(t, int(f.recovered), f.appended, "nothing is recovered that was not appended")
	require.Equal(t, int(f.recovered), len(f.records))
	assert.Equal(t, storageRecords[:len(f.records)], f.records, "the recovered records are a prefix of those appended, in order")
	for i, r := range f.records {
		name, _, _ := strings.Cut(r, ":")
		assert.Contains(t, out, fmt.Sprintf("%d  %s (%d bytes)", i+1, name, len(r)))
	}
	assert.Contains(t, flat, fmt.Sprintf("the log recovers %d records", f.recovered))
	assert.Contains(t, flat, fmt.Sprintf("cut %d bytes of torn tail", f.tornBytes))
}
