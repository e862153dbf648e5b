// Package outdir gives the examples one rule for where their files go:
// into the folder the user named with -out, created if missing, or else
// into a new temporary folder whose path the example prints, so that no
// example ever writes into the folder it is run from.
package outdir

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// Files lists the files under dir, as paths relative to it, in lexical
// order: what an example's tests compare with the files it should have
// written, and nothing else.
func Files(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			out = append(out, rel)
		}
		return nil
	})
	return out, err
}
