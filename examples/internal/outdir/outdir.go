// Package outdir gives the examples one rule for where their files go:
// into the folder the user named with -out, created if missing, or else
// into a new temporary folder whose path the example prints, so that no
// example ever writes into the folder it is run from.
package outdir

import (
	"fmt"
	"os"
)

// Prepare returns dir, created if missing, or, if dir is "", a new
// temporary folder whose name starts with prefix (the example's name).
func Prepare(dir, prefix string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", prefix+"-")
		if err != nil {
			return "", fmt.Errorf("creating a temporary output folder: %w", err)
		}
		return d, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating the output folder: %w", err)
	}
	return dir, nil
}
