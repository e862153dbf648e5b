package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestStorageCopiesValuesInAndOut(t *testing.T) {
	var s Storage
	v := []byte("commit")
	s.Put("decision", v)
	v[0] = 'X'
	got, ok := s.Get("decision")
	require.True(t, ok)
	assert.Equal(t, "commit", string(got), "Put must copy: changing the caller's slice must not change what is stored")
	got[0] = 'Y'
	again, _ := s.Get("decision")
	assert.Equal(t, "commit", string(again), "Get must copy: changing the returned slice must not change what is stored")
}

func TestStorageWritesCountsOnlyChanges(t *testing.T) {
	var s Storage
	s.Delete("absent")
	assert.Equal(t, 0, s.Writes(), "deleting an absent key writes nothing")
	s.Put("a", nil)
	s.Put("a", []byte{1})
	s.Delete("a")
	assert.Equal(t, 3, s.Writes())
	assert.Equal(t, 0, s.Len())
}

func TestStorageCloneIsIndependent(t *testing.T) {
	var s Storage
	s.Put("a", []byte{1})
	c := s.Clone()
	s.Put("a", []byte{2})
	s.Put("b", []byte{3})
	got, _ := c.Get("a")
	assert.Equal(t, []byte{1}, got, "a clone must not see later writes to the original")
	assert.Equal(t, []string{"a"}, c.Keys())
}

// The canonical encoding must depend on the contents only: the same keys
// and values, written in any order and with any history of overwrites and
// deletes, encode to the same bytes; different contents encode differently.
func TestStorageAppendStateIsCanonical(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOfNDistinct(rapid.StringN(0, 4, 4), 0, 6, rapid.ID[string]).Draw(t, "keys")
		vals := make(map[string][]byte, len(keys))
		for _, k := range keys {
			vals[k] = rapid.SliceOfN(rapid.Byte(), 0, 4).Draw(t, "value")
		}
		var a, b Storage
		for _, k := range keys {
			a.Put(k, vals[k])
		}
		perm := rapid.Permutation(keys).Draw(t, "order")
		for _, k := range perm {
			b.Put(k, []byte("overwritten"))
			b.Put("junk-"+k, nil)
		}
		for _, k := range perm {
			b.Put(k, vals[k])
			b.Delete("junk-" + k)
		}
		if string(a.AppendState(nil)) != string(b.AppendState(nil)) {
			t.Fatalf("equal contents must encode to equal bytes: %v vs %v", a.Keys(), b.Keys())
		}
		if len(keys) > 0 {
			b.Put(keys[0], append(vals[keys[0]], 0))
			if string(a.AppendState(nil)) == string(b.AppendState(nil)) {
				t.Fatalf("different contents must encode differently")
			}
		}
	})
}

// Clone shares the map until a write; a write to either side must copy it
// first, so neither ever sees the other's later writes or deletes.
func TestStorageCloneCopiesOnWrite(t *testing.T) {
	var s Storage
	s.Put("a", []byte{1})
	s.Put("b", []byte{2})
	c1, c2 := s.Clone(), s.Clone()
	c1.Delete("a")
	c2.Put("b", []byte{9})
	s.Put("c", []byte{3})
	assert.Equal(t, []string{"a", "b", "c"}, s.Keys(), "the original must not see its clones' writes")
	assert.Equal(t, []string{"b"}, c1.Keys(), "a clone must not see the original's or a sibling's writes")
	got, _ := c2.Get("b")
	assert.Equal(t, []byte{9}, got)
	got, _ = s.Get("b")
	assert.Equal(t, []byte{2}, got, "a write to a clone must not reach the original")
	grand := c2.Clone()
	c2.Put("z", nil)
	assert.Equal(t, []string{"a", "b"}, grand.Keys(), "a clone of a clone is independent too")
}
