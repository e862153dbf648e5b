// Command tour walks a newcomer through every primitive in this module, one
// section at a time, explaining in plain words what each one does and why.
//
// Run it from the repository root:
//
//	go run ./examples/tour                   # the short tour, about 10 minutes of reading
//	go run ./examples/tour -full             # everything, about 25 minutes
//	go run ./examples/tour -section clocks   # one section alone (with -full: all of it)
//	go run ./examples/tour -out /tmp/tour    # choose where diagrams go
//
// Everything the tour prints and draws is deterministic: processes, networks
// and physical clocks are simulated, so two runs produce the same bytes. The
// diagrams (SVG) are written to the folder named by -out, created if it does
// not exist, or by default to a new temporary folder whose path the tour
// prints at the end.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"github.com/eventually-perfect/primitives/examples/internal/outdir"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A section is one chapter of the tour: a primitive (or a family of them)
// shown at work. Sections run in increasing order.
type section struct {
	order int    // where the section runs: the order of the packages in the README
	name  string // what -section selects, e.g. "clocks"
	title string // the heading printed before the section
	run   func(t *tour) error
}

// sections lists the tour's chapters in the order they run. A new package
// adds its section in a file of its own, with an init function that calls
// register, so that sections written at the same time never edit the same
// line.
var sections []section

// register adds a section to the tour, keeping sections sorted by order.
func register(s section) {
	i := 0
	for i < len(sections) && sections[i].order <= s.order {
		i++
	}
	sections = append(sections[:i], append([]section{s}, sections[i:]...)...)
}

func init() {
	register(section{order: 10, name: "clocks", title: "Clocks: ordering events without a shared clock", run: clocksSection})
	register(section{order: 60, name: "agreement", title: "Agreement: two-phase and three-phase commit", run: agreementSection})
}

// tour is what a section writes to: the reader's terminal and the folder
// for diagrams.
type tour struct {
	w       io.Writer // where the lesson is printed
	dir     string    // where diagrams are written; exists before a section runs
	full    bool      // the full tour; the short one stops each section at its brief point
	section string    // the name of the section running

	files []string // diagrams written so far, relative to dir, in order
	err   error    // the first write error, reported by run
}

// printf prints one piece of the lesson. Write errors are remembered and
// reported once at the end, so sections can print without checking.
func (t *tour) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

// para prints a paragraph of prose, wrapped at 78 columns, followed by a
// blank line. Consecutive spaces and newlines in text are folded, so
// sections can write long paragraphs as one string constant.
func (t *tour) para(text string) {
	t.printf("%s\n\n", wrap(text, 78, ""))
}

// brief marks where the short tour leaves a section: in the short tour it
// prints where the full one goes on (rest says with what) and returns
// true, and the section returns; in the full tour it returns false.
func (t *tour) brief(rest string) bool {
	if t.full {
		return false
	}
	t.para(fmt.Sprintf("The full tour goes on with %s:", rest))
	t.printf("    go run ./examples/tour -full -section %s\n\n", t.section)
	return true
}

// heading prints a sub-heading inside a section.
func (t *tour) heading(text string) {
	t.printf("%s\n%s\n\n", text, strings.Repeat("-", len(text)))
}

// writeFile writes a diagram into the output folder under name and records
// it, so the tour can list what it wrote.
func (t *tour) writeFile(name string, data []byte) error {
	if err := os.WriteFile(filepath.Join(t.dir, name), data, 0o644); err != nil {
		return fmt.Errorf("writing diagram: %w", err)
	}
	t.files = append(t.files, name)
	return nil
}

// wrap folds text into lines of at most width columns (words longer than
// width get a line of their own), each line starting with indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			b.WriteString(line)
			b.WriteByte('\n')
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}

// run executes the named section (every section when only is empty), in
// full or stopping each section at its brief point, printing the lesson to
// w and writing diagrams into dir, which it creates if missing. It returns
// the names of the diagrams written, relative to dir.
func run(w io.Writer, dir, only string, full bool) ([]string, error) {
	var selected []section
	for _, s := range sections {
		if only == "" || s.name == only {
			selected = append(selected, s)
		}
	}
	if len(selected) == 0 {
		return nil, fmt.Errorf("no section %q; the sections are: %s", only, sectionNames())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output folder: %w", err)
	}
	t := &tour{w: w, dir: dir, full: full}
	if only == "" {
		t.intro()
	}
	for i, s := range selected {
		t.section = s.name
		banner := fmt.Sprintf("%d. %s", i+1, s.title)
		t.printf("%s\n%s\n\n", banner, strings.Repeat("=", len(banner)))
		if err := s.run(t); err != nil {
			return t.files, fmt.Errorf("section %s: %w", s.name, err)
		}
		if t.err != nil {
			return t.files, t.err
		}
	}
	return t.files, t.err
}

// intro prints how to read the tour: which version this is and how to run
// the other, or one section alone.
func (t *tour) intro() {
	version := "This is the short tour, about 10 minutes of reading: each section stops after its first lesson and says how to read the rest. Add -full for the whole tour (about 25 minutes)."
	if t.full {
		version = "This is the full tour, about 25 minutes of reading; without -full each section stops after its first lesson."
	}
	t.para(version + " Any section runs alone with -section NAME (" + sectionNames() + "), and the diagrams go to the folder given by -out, or to a new temporary folder printed at the end.")
}

func main() {
	out := flag.String("out", "", "folder to write diagrams into (created if missing; default: a new temporary folder)")
	only := flag.String("section", "", "run only this section (default: all); one of: "+sectionNames())
	full := flag.Bool("full", false, "the full tour (about 25 minutes of reading) instead of the short one (about 10)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "tour: unexpected arguments %q\n", flag.Args())
		flag.Usage()
		os.Exit(2)
	}
	dir, err := outdir.Prepare(*out, "tour")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tour:", err)
		os.Exit(1)
	}
	*out = dir

	w := bufio.NewWriter(os.Stdout)
	files, err := run(w, *out, *only, *full)
	if err == nil && len(files) > 0 {
		list := "Diagrams written to " + *out + ":\n"
		for _, f := range files {
			list += "  " + filepath.Join(*out, f) + "\n"
		}
		_, err = io.WriteString(w, list)
	}
	err = errors.Join(err, w.Flush())
	if err != nil {
		fmt.Fprintln(os.Stderr, "tour:", err)
		os.Exit(1)
	}
}

// sectionNames lists the names -section accepts, for the flag's help.
func sectionNames() string {
	names := make([]string, len(sections))
	for i, s := range sections {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}
