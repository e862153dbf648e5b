package crdt_test

import (
	"errors"
	"testing"

	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/crdt"
)

// TestGCounterReplicaConflict: a clone that keeps the replica ID and
// increments alongside the original (a restore from an old backup) is
// detected when the two meet, instead of the merge keeping the larger
// count and losing the other copy's increments (the failure the issue
// describes for most libraries).
func TestGCounterReplicaConflict(t *testing.T) {
	var a crdt.GCounter
	mustInc(t, &a, "a", 1)
	backup := a.Clone()
	mustInc(t, &a, "a", 1)      // a: 2
	mustInc(t, &backup, "a", 1) // the restored copy: 2 as well, a different increment

	before := a.Clone()
	if err := a.Merge(backup); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("equal counts, different histories: got %v, want ErrReplicaConflict", err)
	}
	if !a.Equal(before) {
		t.Fatal("a failed merge changed the receiver")
	}
	var c crdt.GCounter // a third party detects it too
	if err := c.Merge(a); err != nil {
		t.Fatal(err)
	}
	if err := c.Merge(backup); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("third party: got %v, want ErrReplicaConflict", err)
	}

	// Unequal counts: the copy with fewer increments detects it when it
	// receives the other's state (it holds increments of its own replica
	// that it never made); the copy ahead detects it too, because it
	// remembers the stamps of its last 16 increments and the other's
	// count 2 is not its own 2.
	mustInc(t, &a, "a", 1) // a: 3, backup: 2
	if err := backup.Merge(a); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("the copy behind: got %v, want ErrReplicaConflict", err)
	}
	if err := a.Merge(backup); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("the copy ahead, 1 increment ahead: got %v, want ErrReplicaConflict", err)
	}
	// More than 16 increments ahead, the copy ahead cannot tell its
	// diverged twin from a stale snapshot of itself: its merge keeps its
	// own count, and only the twin's merge reports the conflict.
	for range 16 {
		mustInc(t, &a, "a", 1)
	}
	if err := a.Merge(backup); err != nil {
		t.Fatalf("the copy ahead by 17 cannot tell and must not fail: %v", err)
	}
	if err := backup.Merge(a); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("the copy behind by 17: got %v, want ErrReplicaConflict", err)
	}
	// A stale snapshot of a (it made no increment of its own) is no
	// conflict in either direction.
	snap := a.Clone()
	mustInc(t, &a, "a", 1)
	if err := a.Merge(snap); err != nil {
		t.Fatalf("a stale snapshot: %v", err)
	}
	if err := snap.Merge(a); err != nil {
		t.Fatalf("a stale snapshot catching up: %v", err)
	}

	// PNCounter: the same in the decrements.
	var p crdt.PNCounter
	p.Dec("a", 1)
	q := p.Clone()
	p.Dec("a", 1)
	q.Dec("a", 1)
	if err := p.Merge(q); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("pncounter: got %v, want ErrReplicaConflict", err)
	}
	// One copy counting up, the other down: the owner spans both halves
	// (found by the law checker's replica-identity property).
	var u crdt.PNCounter
	u.Inc("a", 1)
	v := u.Clone()
	u.Inc("a", 1)
	v.Dec("a", 1)
	if err := u.Merge(v); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("pncounter up and down: got %v, want ErrReplicaConflict", err)
	}
}

// TestRestoreThenCatchUp: a replica restored from an old backup that
// merges its peers' states before it updates again loses nothing and is
// not flagged: decoding (like Clone) leaves a state without an owner.
func TestRestoreThenCatchUp(t *testing.T) {
	var a, b crdt.GCounter
	mustInc(t, &a, "a", 1)
	saved, _ := a.MarshalBinary()
	mustInc(t, &a, "a", 2)
	if err := b.Merge(a); err != nil { // b has seen a's increments
		t.Fatal(err)
	}
	var restored crdt.GCounter
	if err := restored.UnmarshalBinary(saved); err != nil {
		t.Fatal(err)
	}
	if err := restored.Merge(b); err != nil {
		t.Fatalf("catching up from a peer: %v", err)
	}
	mustInc(t, &restored, "a", 1)
	if err := b.Merge(restored); err != nil || b.Value() != 4 {
		t.Fatalf("got %v, %v; want 4", b, err)
	}
}

// TestORSetDivergedRemoveDetected: the case dots alone miss. Replica a
// adds f with dot a:2 and removes it, so a:2 is in a's context with no
// element; a diverged copy a' (restored from a backup taken at a:1) adds
// g with the same dot a:2. Without stamps a merge takes g's dot for one a
// has removed and drops g silently; with them, both sides and any third
// party that has both states detect it.
func TestORSetDivergedRemoveDetected(t *testing.T) {
	var a crdt.ORSet[string]
	a.Add("a", "e")
	backup := a.Clone()
	a.Add("a", "f")
	a.Remove("a", "f")
	backup.Add("a", "g") // the same dot a:2, for g
	before := a.Clone()
	if err := a.Merge(backup); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("a merging its diverged copy: got %v (state %v), want ErrReplicaConflict", err, a)
	}
	if !a.Equal(before) {
		t.Fatal("a failed merge changed the receiver")
	}
	if err := backup.Merge(a); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("the copy merging a: got %v, want ErrReplicaConflict", err)
	}
	var c crdt.ORSet[string]
	if err := c.Merge(backup); err != nil {
		t.Fatal(err)
	}
	if err := c.Merge(a); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("third party: got %v, want ErrReplicaConflict", err)
	}
	// Through a delta: the copy's Add delta carries its stamp.
	var b crdt.ORSet[string]
	if err := b.Merge(a); err != nil {
		t.Fatal(err)
	}
	d := backup.Add("a", "h") // a:3 at the copy
	a.Add("a", "i")           // a:3 at a
	if err := a.Merge(d); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("a merging the copy's delta: got %v, want ErrReplicaConflict", err)
	}
}

// TestAheadCopyDetects: the copy that is ahead (it made more updates
// since the copies parted) detects its diverged twin at its own merge,
// without waiting for the twin to merge its state, when the twin's latest
// update is among its own last 16.
func TestAheadCopyDetects(t *testing.T) {
	var a crdt.ORSet[string]
	a.Add("a", "x")
	twin := a.Clone()
	a.Add("a", "y")
	a.Add("a", "z")
	twin.Add("a", "w") // a:2 again, while a is at a:3
	if err := a.Merge(twin); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("orset, the copy ahead: got %v, want ErrReplicaConflict", err)
	}
	var m cart
	up := func(m *cart, e int) {
		mustUpdate(m, "a", "k", func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, e) })
	}
	up(&m, 1)
	mt := m.Clone()
	up(&m, 2)
	up(&m, 3)
	up(&mt, 4)
	if err := m.Merge(mt); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("ormap, the copy ahead: got %v, want ErrReplicaConflict", err)
	}
	var p crdt.PNCounter
	p.Dec("a", 1)
	pt := p.Clone()
	p.Dec("a", 1)
	p.Dec("a", 1)
	pt.Dec("a", 1)
	if err := p.Merge(pt); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("pncounter, the copy ahead: got %v, want ErrReplicaConflict", err)
	}
}

// TestORMapDivergedDetected: the map's shared context carries the stamps.
func TestORMapDivergedDetected(t *testing.T) {
	var a cart
	add := func(m *cart, k string, e int) cart {
		return mustUpdate(m, "a", k, func(s *crdt.ORSet[int], r string) crdt.ORSet[int] { return s.Add(r, e) })
	}
	add(&a, "x", 1)
	backup := a.Clone()
	add(&a, "x", 2)
	a.Remove("a", "x")
	add(&backup, "y", 3)
	if err := a.Merge(backup); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("got %v, want ErrReplicaConflict", err)
	}
}

// TestFirstMergeDetectsProperty: when two diverged copies are at most 16
// updates apart (each remembers the stamps of its last 16), the first
// merge between them reports the conflict, in whichever direction it
// goes, directly or through a third replica: no silent loss at all.
func TestFirstMergeDetectsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var a crdt.ORSet[int]
		for range rapid.IntRange(0, 5).Draw(t, "before") {
			a.Add("a", rapid.IntRange(0, 3).Draw(t, "e"))
		}
		twin := a.Clone()
		steps := func(s *crdt.ORSet[int], name string) {
			for i := range rapid.IntRange(1, 8).Draw(t, name) {
				e := rapid.IntRange(0, 3).Draw(t, "e")
				if i > 0 && rapid.Bool().Draw(t, "remove") {
					s.Remove("a", e)
				}
				s.Add("a", e)
			}
		}
		steps(&a, "original updates")
		steps(&twin, "twin updates")
		into, from := &a, twin
		if rapid.Bool().Draw(t, "twin receives") {
			into, from = &twin, a
		}
		if rapid.Bool().Draw(t, "through a third replica") {
			var c crdt.ORSet[int]
			c.Add("c", 9)
			if err := c.Merge(from); err != nil {
				t.Fatalf("a third replica merging one copy: %v", err)
			}
			from = c
		}
		before := into.Clone()
		if err := into.Merge(from); !errors.Is(err, crdt.ErrReplicaConflict) {
			t.Fatalf("the first merge between two diverged copies of a, at most 16 updates apart, must report the conflict; got %v\n into = %v\n from = %v", err, before, from)
		}
		if !into.Equal(before) {
			t.Fatal("a merge that reported a conflict changed its receiver")
		}
	})
}
