package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/eventually-perfect/primitives/clocks"
)

// The interval tree clock part of the clocks section. Replicas are created
// by forking an existing one and retired by joining into another, with no
// central registry of names. Alongside every stamp the run keeps the
// version vector that a system with global replica names would have used,
// so the lesson can show that the two always agree.

// itcStepKind is one operation of the interval tree clock script.
type itcStepKind int

const (
	itcFork    itcStepKind = iota // who forks; the new replica is called other
	itcEvent                      // who records an update
	itcSync                       // who pulls other's state (join with a peek)
	itcRetire                     // other retires, handing its identity to who
	itcCompare                    // compare who with other
)

// itcStep is one step of the script.
type itcStep struct {
	kind       itcStepKind
	who, other string
	what       string
}

var itcScript = []itcStep{
	{kind: itcFork, who: "alice", other: "bob", what: "alice forks a new replica, bob"},
	{kind: itcEvent, who: "alice", what: "alice records an update"},
	{kind: itcEvent, who: "bob", what: "bob records an update"},
	{kind: itcEvent, who: "bob", what: "bob records another update"},
	{kind: itcCompare, who: "alice", other: "bob"},
	{kind: itcFork, who: "bob", other: "carol", what: "bob forks a new replica, carol"},
	{kind: itcEvent, who: "carol", what: "carol records an update"},
	{kind: itcSync, who: "alice", other: "carol", what: "alice pulls carol's state"},
	{kind: itcCompare, who: "carol", other: "alice"},
	{kind: itcCompare, who: "bob", other: "alice"},
	{kind: itcRetire, who: "alice", other: "bob", what: "bob retires into alice"},
	{kind: itcEvent, who: "carol", what: "carol records an update"},
	{kind: itcCompare, who: "alice", other: "carol"},
	{kind: itcRetire, who: "alice", other: "carol", what: "carol retires into alice"},
	{kind: itcEvent, who: "alice", what: "alice records an update"},
}

// itcRecord is the state after one step: every live replica's stamp and
// version vector, and for itcCompare what each of them says.
type itcRecord struct {
	itcStep
	stamps  map[string]clocks.Stamp
	vectors map[string]clocks.Vector
	itcSays clocks.Order // itcCompare: stamps[who].Compare(stamps[other])
	vvSays  clocks.Order // itcCompare: vectors[who].Compare(vectors[other])
}

// itcRun plays the script, starting from one replica, alice, holding the
// seed stamp.
func itcRun(script []itcStep) ([]itcRecord, error) {
	stamps := map[string]clocks.Stamp{"alice": clocks.Seed()}
	vectors := map[string]clocks.Vector{"alice": {}}
	var records []itcRecord
	for _, s := range script {
		r := itcRecord{itcStep: s}
		switch s.kind {
		case itcFork:
			stamps[s.who], stamps[s.other] = stamps[s.who].Fork()
			vectors[s.other] = vectors[s.who].Clone()
		case itcEvent:
			stamps[s.who] = stamps[s.who].Event()
			v := vectors[s.who]
			v.Tick(s.who)
			vectors[s.who] = v
		case itcSync:
			joined, err := stamps[s.who].Join(stamps[s.other].Peek())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.what, err)
			}
			stamps[s.who] = joined
			v := vectors[s.who]
			v.Merge(vectors[s.other])
			vectors[s.who] = v
		case itcRetire:
			joined, err := stamps[s.who].Join(stamps[s.other])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.what, err)
			}
			stamps[s.who] = joined
			delete(stamps, s.other)
			v := vectors[s.who]
			v.Merge(vectors[s.other])
			vectors[s.who] = v
			delete(vectors, s.other)
		case itcCompare:
			r.itcSays = stamps[s.who].Compare(stamps[s.other])
			r.vvSays = vectors[s.who].Compare(vectors[s.other])
		}
		r.stamps, r.vectors = map[string]clocks.Stamp{}, map[string]clocks.Vector{}
		for n, st := range stamps {
			r.stamps[n] = st
			r.vectors[n] = vectors[n].Clone()
		}
		records = append(records, r)
	}
	return records, nil
}

func itcLesson(t *tour) error {
	t.heading("Interval tree clocks")
	t.para(`A vector clock needs a name for every process, fixed in advance or
		handed out by someone. Interval tree clocks (Almeida, Baquero and
		Fonte, 2008) do without names. A stamp is a pair (id, event): the id
		says which part of the interval [0, 1) the replica owns, written as
		a tree (1 is the whole, (1, 0) the left half, (0, 1) the right half),
		and the event tree records how much has happened over each part. A
		new replica forks an existing stamp, splitting its id in two; a
		replica that leaves joins its stamp into another, handing its id
		back. No coordinator is involved.`)
	t.para(`Below, alice starts with the seed stamp (1, 0). Next to each stamp is
		the version vector a system with global replica names would keep.`)

	records, err := itcRun(itcScript)
	if err != nil {
		return err
	}
	t.printf("  start: alice %s\n", clocks.Seed())
	for _, r := range records {
		if r.kind == itcCompare {
			t.printf("  compare %s with %s: the stamps say %s, the version vectors say %s\n",
				r.who, r.other, r.itcSays, r.vvSays)
			continue
		}
		t.printf("  %s:\n", r.what)
		for _, n := range slices.Sorted(maps.Keys(r.stamps)) {
			t.printf("      %-6s %-38s %s\n", n, r.stamps[n], r.vectors[n])
		}
	}
	t.printf("\n")

	for _, r := range records {
		if r.kind == itcCompare && r.itcSays != r.vvSays {
			return fmt.Errorf("comparing %s with %s: the stamps say %s but the version vectors say %s",
				r.who, r.other, r.itcSays, r.vvSays)
		}
	}
	t.para(`Every comparison agreed with the version vectors: forks and joins lose
		no causal information.`)
	plot, err := itcPlot(records)
	if err != nil {
		return err
	}
	if err := t.writeFile("clocks-itc.svg", plot); err != nil {
		return err
	}
	t.para(`clocks-itc.svg draws every step: which part of the interval each
		replica owns, and each replica's event tree as a function over it.`)

	final := records[len(records)-1]
	if len(final.stamps) != 1 {
		return fmt.Errorf("the script should end with a single replica, not %d", len(final.stamps))
	}
	for n, st := range final.stamps {
		var counter uint64
		collapsed := strings.Count(st.String(), "(") == 1 // "(1, n)"
		if collapsed {
			_, err := fmt.Sscanf(st.String(), "(1, %d)", &counter)
			collapsed = err == nil
		}
		if !collapsed {
			return fmt.Errorf("the last stamp %s did not collapse to (1, n)", st)
		}
		t.para(fmt.Sprintf(`Once everyone has retired into %s and %s records one more update, the
			stamp is %s: the whole id space and a single counter, as small as
			the seed. The version vector still carries %d entries, one for
			every name ever used, because no replica can tell on its own when
			it is safe to forget a name.`,
			n, n, st, final.vectors[n].Len()))
	}
	return nil
}
