package wal

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/stretchr/testify/require"
)

// payload is the record at index i in the kill test: its index, then
// bytes derived from it, so any record can be checked alone.
func payload(i uint64) []byte {
	b := []byte(strconv.FormatUint(i, 10) + ":")
	return append(b, bytes.Repeat([]byte{byte(i)}, int(i%300))...)
}

const childEnv = "WAL_KILL_CHILD_DIR"

// TestMain runs the child of TestKillNine when the environment asks for
// it: it appends and syncs batches in a loop on the real disk, printing
// each synced index, until it is killed.
func TestMain(m *testing.M) {
	if d := os.Getenv(childEnv); d != "" {
		os.Exit(child(d))
	}
	os.Exit(m.Run())
}

func child(dir string) int {
	l, err := Open(disk.OS{}, dir, Options{SegmentSize: 256 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 0))
	for {
		n := 1 + r.IntN(32)
		for k := 0; k < n; k++ {
			if _, err := l.Append(payload(l.LastIndex() + 1)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
		if err := l.Sync(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Fprintln(out, l.LastIndex())
		out.Flush()
	}
}

// TestKillNine is the real-disk test: a child process appends and syncs
// in a loop on the real file system (t.TempDir), reporting every synced
// index; it is killed with SIGKILL at a random moment; the log is opened
// again and every record the child reported synced must be there, with
// its bytes. Several rounds share the directory, so each child starts
// from what the last one left. (A process kill keeps the page cache: this
// checks the log's own recovery on a real file system, not power loss,
// which the sim.Disk tests cover.)
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	var reported uint64
	for round := 0; round < 4; round++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		lines := make(chan uint64, 1024)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if i, err := strconv.ParseUint(sc.Text(), 10, 64); err == nil {
					lines <- i
				}
			}
			close(lines)
		}()
		deadline := time.After(time.Duration(30+r.IntN(200)) * time.Millisecond)
	wait:
		for {
			select {
			case i, ok := <-lines:
				if !ok {
					break wait
				}
				reported = max(reported, i)
			case <-deadline:
				break wait
			}
		}
		require.NoError(t, cmd.Process.Kill()) // SIGKILL on Unix
		for i := range lines {
			reported = max(reported, i)
		}
		_ = cmd.Wait()
		require.Empty(t, stderr.String(), "the child failed")

		l, err := Open(disk.OS{}, dir, Options{SegmentSize: 256 << 10})
		require.NoError(t, err, "round %d: recovery after kill -9", round)
		require.GreaterOrEqual(t, l.LastIndex(), reported, "round %d: durability: the child reported %d synced, the log ends at %d", round, reported, l.LastIndex())
		for i := uint64(1); i <= l.LastIndex(); i++ {
			got, err := l.Read(i)
			require.NoError(t, err)
			require.Equal(t, payload(i), got, "round %d: record %d", round, i)
		}
		t.Logf("round %d: %d records synced and reported, %d recovered, %+v", round, reported, l.LastIndex(), l.Recovery())
		require.NoError(t, l.Close())
	}
}
