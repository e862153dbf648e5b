package crdt_test

import (
	"errors"
	"testing"

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
	// receives the other's state (the other cannot tell a stale copy of
	// itself from a diverged one).
	mustInc(t, &a, "a", 1) // a: 3, backup: 2
	if err := backup.Merge(a); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("the copy behind: got %v, want ErrReplicaConflict", err)
	}
	if err := a.Merge(backup); err != nil {
		t.Fatalf("the copy ahead cannot tell and must not fail: %v", err)
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
	a.Remove("f")
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

// TestORMapDivergedDetected: the map's shared context carries the stamps.
func TestORMapDivergedDetected(t *testing.T) {
	var a cart
	add := func(m *cart, k string, e int) cart {
		return m.Update("a", k, func(s *crdt.ORSet[int]) crdt.ORSet[int] { return s.Add("a", e) })
	}
	add(&a, "x", 1)
	backup := a.Clone()
	add(&a, "x", 2)
	a.Remove("x")
	add(&backup, "y", 3)
	if err := a.Merge(backup); !errors.Is(err, crdt.ErrReplicaConflict) {
		t.Fatalf("got %v, want ErrReplicaConflict", err)
	}
}
