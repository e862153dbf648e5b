package disk_test

import (
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOS(t *testing.T) {
	dir := t.TempDir()
	var fsys disk.FS = disk.OS{}
	name := filepath.Join(dir, "a")
	f, err := fsys.Create(name)
	require.NoError(t, err)
	_, err = fsys.Create(name)
	assert.ErrorIs(t, err, fs.ErrExist, "Create refuses an existing file")
	require.NoError(t, f.Allocate(1<<16))
	size, err := f.Size()
	require.NoError(t, err)
	assert.EqualValues(t, 1<<16, size, "Allocate extends the file")
	require.NoError(t, f.Allocate(10), "Allocate never shrinks")
	_, err = f.WriteAt([]byte("hello"), 100)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	buf := make([]byte, 105)
	_, err = f.ReadAt(buf, 0)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 100), buf[:100], "allocated bytes read as zeros")
	assert.Equal(t, "hello", string(buf[100:]))
	require.NoError(t, f.Truncate(102))
	size, _ = f.Size()
	assert.EqualValues(t, 102, size)
	require.NoError(t, f.Close())

	require.NoError(t, fsys.Rename(name, filepath.Join(dir, "b")))
	require.NoError(t, fsys.SyncDir(dir))
	names, err := fsys.ReadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, names)
	g, err := fsys.Open(filepath.Join(dir, "b"))
	require.NoError(t, err)
	require.NoError(t, g.Close())
	require.NoError(t, fsys.Remove(filepath.Join(dir, "b")))
	_, err = fsys.Open(filepath.Join(dir, "b"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = fsys.ReadDir(filepath.Join(dir, "none"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Error(t, fsys.SyncDir(filepath.Join(dir, "none")))
}
