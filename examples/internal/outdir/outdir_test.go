package outdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepare: a named folder is created (nested too) and returned; no
// name gives a new, empty temporary folder named after the example, a
// different one each time; a folder that cannot be created is an error.
func TestPrepare(t *testing.T) {
	base := t.TempDir()
	named := filepath.Join(base, "a", "b")
	got, err := Prepare(named, "x")
	if err != nil || got != named {
		t.Fatalf("Prepare(%q) = %q, %v; want the folder itself", named, got, err)
	}
	if fi, err := os.Stat(named); err != nil || !fi.IsDir() {
		t.Fatalf("the named folder was not created: %v", err)
	}
	t.Setenv("TMPDIR", base)
	one, err := Prepare("", "example")
	if err != nil {
		t.Fatal(err)
	}
	two, err := Prepare("", "example")
	if err != nil {
		t.Fatal(err)
	}
	if one == two || !strings.HasPrefix(filepath.Base(one), "example-") || filepath.Dir(one) != base {
		t.Fatalf("temporary folders %q and %q: want two new folders named example-* in %q", one, two, base)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(filepath.Join(file, "sub"), "x"); err == nil {
		t.Fatal("a folder under a file must be refused")
	}
}

// TestFiles lists files at every depth, relative and sorted, and no
// folders.
func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.svg", filepath.Join("sub", "a.md")} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Files(dir)
	want := []string{"b.svg", filepath.Join("sub", "a.md")}
	if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Files = %q, %v; want %q", got, err, want)
	}
}
