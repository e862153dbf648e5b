package sim

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStorageSyncAndLose: a crash (lose) returns the storage to its
// contents at the last Sync; Sync counts once per batch of writes; a
// clone keeps the unsynced writes and what a crash would return to.
func TestStorageSyncAndLose(t *testing.T) {
	var s Storage
	s.Put("a", []byte("1"))
	s.Put("b", []byte("2"))
	require.True(t, s.Dirty())
	s.Sync()
	s.Sync() // nothing to sync: not counted
	assert.Equal(t, 1, s.Syncs(), "one sync for a batch of two writes")
	assert.False(t, s.Dirty())

	s.Put("a", []byte("3"))
	s.Delete("b")
	c := s.Clone()
	s.lose()
	v, _ := s.Get("a")
	assert.Equal(t, "1", string(v), "a crash loses the unsynced overwrite")
	_, ok := s.Get("b")
	assert.True(t, ok, "a crash loses the unsynced delete")
	assert.False(t, s.Dirty())

	v, _ = c.Get("a")
	assert.Equal(t, "3", string(v), "the clone taken before the crash keeps the unsynced write")
	assert.True(t, c.Dirty())
	c.Sync()
	c.lose()
	v, _ = c.Get("a")
	assert.Equal(t, "3", string(v), "synced writes survive a crash")
	_, ok = c.Get("b")
	assert.False(t, ok)

	var empty Storage
	empty.Put("x", nil)
	empty.lose()
	assert.Equal(t, 0, empty.Len(), "a storage never synced loses everything")
}

// TestStorageAppendStateShowsUnsynced: two storages with the same
// contents encode differently when one has unsynced writes (a crash
// treats them differently), and alike once synced.
func TestStorageAppendStateShowsUnsynced(t *testing.T) {
	var a, b Storage
	a.Put("k", []byte("v"))
	a.Sync()
	b.Put("k", []byte("v"))
	assert.NotEqual(t, a.AppendState(nil), b.AppendState(nil))
	b.Sync()
	assert.Equal(t, a.AppendState(nil), b.AppendState(nil))
}

// xpEarly: "w" writes a record and tells "r" it is stored; with sync
// after, it sends the notice first and syncs when its timer fires (the
// bug group commit must avoid: sending before syncing). r remembers the
// notice.
type xpEarly struct {
	syncAfter bool
	told      bool
}

func (n *xpEarly) Start(ctx *Context[xpMsg]) {
	if ctx.ID() != "w" {
		return
	}
	if _, ok := ctx.Storage().Get("record"); ok {
		return // restarted
	}
	ctx.Storage().Put("record", []byte("x"))
	if n.syncAfter {
		ctx.SetTimer("sync", 1)
	} else {
		ctx.Storage().Sync()
	}
	ctx.Send("r", xpMsg{Kind: "stored"})
}
func (n *xpEarly) Receive(ctx *Context[xpMsg], from string, m xpMsg) { n.told = true }
func (n *xpEarly) Timeout(ctx *Context[xpMsg], name string)          { ctx.Storage().Sync() }
func (n *xpEarly) Clone() *xpEarly                                   { d := *n; return &d }
func (n *xpEarly) AppendState(b []byte) []byte {
	if n.told {
		return append(b, 1)
	}
	return append(b, 0)
}

// xpEarlyConfig explores xpEarly with a crash of w.
func xpEarlyConfig(syncAfter, explicit bool) ExploreConfig[xpMsg, *xpEarly] {
	return ExploreConfig[xpMsg, *xpEarly]{
		Nodes: []string{"w", "r"},
		New:   func(string) *xpEarly { return &xpEarly{syncAfter: syncAfter} },
		Invariant: func(w *World[xpMsg, *xpEarly]) error {
			if r, ok := w.Node("r"); ok && r.told && !w.Up("w") {
				if _, ok := w.Storage("w").Get("record"); !ok {
					return errors.New("r was told the record is stored, and w lost it in a crash")
				}
			}
			return nil
		},
		ExplicitSync: explicit, MaxCrashes: 1, MaxTimeouts: 1,
		EncodeMessage: xpEncode, Workers: 1,
	}
}

// TestExploreExplicitSync: with ExplicitSync, the explorer catches a node
// that sends before it syncs (a crash loses the record r was told about),
// and passes one that syncs first; without it, every handler's writes are
// synced when it returns, so both are safe.
func TestExploreExplicitSync(t *testing.T) {
	for _, tc := range []struct {
		syncAfter, explicit, violation bool
	}{
		{syncAfter: true, explicit: true, violation: true},
		{syncAfter: false, explicit: true, violation: false},
		{syncAfter: true, explicit: false, violation: false},
	} {
		res, err := Explore(xpEarlyConfig(tc.syncAfter, tc.explicit))
		require.NoError(t, err)
		require.Equal(t, tc.violation, res.Violation != nil, "send before sync %v, explicit sync %v: %+v", tc.syncAfter, tc.explicit, res.Violation)
		require.True(t, tc.violation || res.Complete)
	}
}

// TestSimExplicitSync: in the simulator, a crash loses the writes a node
// did not sync when ExplicitSync is set, and none otherwise.
func TestSimExplicitSync(t *testing.T) {
	for _, explicit := range []bool{true, false} {
		s, err := New(Config{Nodes: []string{"w", "r"}, ExplicitSync: explicit}, func(string) Node[xpMsg] { return &xpEarly{syncAfter: true} })
		require.NoError(t, err)
		require.NoError(t, s.RunFor(0))
		require.NoError(t, s.Crash("w"))
		_, ok := s.Storage("w").Get("record")
		assert.Equal(t, !explicit, ok, "explicit sync %v: the unsynced record survives the crash only when the simulator syncs after each handler", explicit)
	}
}
