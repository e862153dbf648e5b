// Side-by-side benchmarks of package wal against etcd's write-ahead log
// (go.etcd.io/etcd/server/v3/storage/wal, what etcd runs in production)
// and hashicorp's raft-boltdb/v2 (a raft.LogStore on bbolt, what Consul
// runs), on the same disk, with the same records, in one process:
//
//	cd bench && ./interleave.sh 8 '^Benchmark(WALAppendSync|DiskFdatasync)' -test.benchtime 500x > wal.txt
//	go run ./cmd/benchratio wal.txt
//
// One benchmark operation is one batch of B records of S bytes appended
// and made durable: ours AppendBatch then Sync; etcd's Save(empty hard
// state, B entries), which fdatasyncs once because it has entries; and
// raft-boltdb's StoreLogs(B logs), one bbolt transaction committed (bbolt
// fdatasyncs its data pages, then its meta page). ns/op is the time per
// batch; the benchmark also reports records/s and the p50 and p99 of the
// batch latency. Ours runs on a disk.FS that counts fsyncs (file and
// directory), reported as fsyncs/batch; the peers' fsyncs are counted
// with strace (see ../docs/benchmarks.md).
//
// Every log lives in a fresh directory of b.TempDir() (on the file system
// of os.TempDir(), which must be a real disk for the figures to mean
// anything: see BenchmarkDiskFdatasync, the disk's own fsync latency) and
// is removed after its benchmark. BenchmarkWALRecovery measures Open of a
// log of -wal.recovery-mib MiB (16 by default, so that one pass stays
// quick; 1024 for the figures recorded).

package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/disk"
	"github.com/eventually-perfect/primitives/wal"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	etcdwal "go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	raftpb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

var walRecoveryMiB = flag.Int("wal.recovery-mib", 16, "size of the log BenchmarkWALRecovery opens, in MiB")

// walSizes and walBatches are the record sizes and batch sizes compared.
var (
	walSizes   = []int{64, 1024}
	walBatches = []int{1, 16, 64, 256}
)

// walRecords returns n distinct records of size bytes.
func walRecords(n, size int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		r := make([]byte, size)
		for j := range r {
			r[j] = byte('a' + (i+j)%26)
		}
		recs[i] = r
	}
	return recs
}

// walStore is one implementation of a log that appends a batch durably.
type walStore interface {
	// appendSync appends recs at indexes first, first+1, ... and returns
	// once they are durable.
	appendSync(first uint64, recs [][]byte) error
	Close() error
}

// walImpls are the implementations compared, ours first.
var walImpls = []struct {
	name string
	open func(dir string, fsyncs *atomic.Int64) (walStore, error)
}{
	{"ours", openOurs},
	{"etcd", openEtcd},
	{"raft-boltdb", openBolt},
}

// countingFS is a disk.FS that counts the fsyncs of files and
// directories.
type countingFS struct {
	disk.FS
	n *atomic.Int64
}

type countingFile struct {
	disk.File
	n *atomic.Int64
}

func (c countingFS) Create(name string) (disk.File, error) {
	f, err := c.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return countingFile{f, c.n}, nil
}

func (c countingFS) Open(name string) (disk.File, error) {
	f, err := c.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return countingFile{f, c.n}, nil
}

func (c countingFS) SyncDir(dir string) error {
	c.n.Add(1)
	return c.FS.SyncDir(dir)
}

func (c countingFile) Sync() error {
	c.n.Add(1)
	return c.File.Sync()
}

// ours is package wal.
type ours struct{ l *wal.Log }

func openOurs(dir string, fsyncs *atomic.Int64) (walStore, error) {
	l, err := wal.Open(countingFS{disk.OS{}, fsyncs}, dir, wal.Options{})
	if err != nil {
		return nil, err
	}
	return ours{l}, nil
}

func (o ours) appendSync(first uint64, recs [][]byte) error {
	if _, err := o.l.AppendBatch(recs); err != nil {
		return err
	}
	return o.l.Sync()
}

func (o ours) Close() error { return o.l.Close() }

// etcdStore is etcd's wal, written as etcd's raft loop writes it: Save
// with the Ready's entries. The hard state is empty (unchanged), so that
// etcd writes the same records as ours and nothing else; Save fdatasyncs
// because there are entries (raft.MustSync).
type etcdStore struct {
	w       *etcdwal.WAL
	ents    []*raftpb.Entry
	indexes []uint64
	term    uint64
	typ     raftpb.EntryType
}

func openEtcd(dir string, _ *atomic.Int64) (walStore, error) {
	w, err := etcdwal.Create(zap.NewNop(), dir, nil)
	if err != nil {
		return nil, err
	}
	return &etcdStore{w: w, term: 1, typ: raftpb.EntryType_EntryNormal}, nil
}

func (e *etcdStore) appendSync(first uint64, recs [][]byte) error {
	for len(e.ents) < len(recs) {
		e.ents = append(e.ents, &raftpb.Entry{})
		e.indexes = append(e.indexes, 0)
	}
	for i, r := range recs {
		e.indexes[i] = first + uint64(i)
		ent := e.ents[i]
		ent.Term, ent.Index, ent.Type, ent.Data = &e.term, &e.indexes[i], &e.typ, r
	}
	return e.w.Save(&raftpb.HardState{}, e.ents[:len(recs)])
}

func (e *etcdStore) Close() error { return e.w.Close() }

// boltStore is raft-boltdb/v2 with its defaults (fsync on every commit).
type boltStore struct {
	s    *raftboltdb.BoltStore
	logs []*raft.Log
}

func openBolt(dir string, _ *atomic.Int64) (walStore, error) {
	s, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, err
	}
	return &boltStore{s: s}, nil
}

func (b *boltStore) appendSync(first uint64, recs [][]byte) error {
	for len(b.logs) < len(recs) {
		b.logs = append(b.logs, &raft.Log{})
	}
	for i, r := range recs {
		*b.logs[i] = raft.Log{Index: first + uint64(i), Term: 1, Type: raft.LogCommand, Data: r}
	}
	return b.s.StoreLogs(b.logs[:len(recs)])
}

func (b *boltStore) Close() error { return b.s.Close() }

// reportLatency reports the p50 and p99 of the batch latencies lat.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(q(0.50), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
}

// BenchmarkWALAppendSync appends batches of records durably: one op is
// one batch appended and synced.
func BenchmarkWALAppendSync(b *testing.B) {
	for _, size := range walSizes {
		for _, batch := range walBatches {
			recs := walRecords(batch, size)
			for _, impl := range walImpls {
				b.Run(fmt.Sprintf("size=%d/batch=%d/impl=%s", size, batch, impl.name), func(b *testing.B) {
					var fsyncs atomic.Int64
					s, err := impl.open(b.TempDir(), &fsyncs)
					if err != nil {
						b.Fatal(err)
					}
					defer func() {
						if err := s.Close(); err != nil {
							b.Error(err)
						}
					}()
					lat := make([]time.Duration, b.N)
					b.SetBytes(int64(batch * size))
					before := fsyncs.Load()
					b.ResetTimer()
					next := uint64(1)
					for i := range b.N {
						t := time.Now()
						if err := s.appendSync(next, recs); err != nil {
							b.Fatal(err)
						}
						lat[i] = time.Since(t)
						next += uint64(batch)
					}
					b.StopTimer()
					b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
					reportLatency(b, lat)
					if impl.name == "ours" {
						b.ReportMetric(float64(fsyncs.Load()-before)/float64(b.N), "fsyncs/batch")
					}
				})
			}
		}
	}
}

// BenchmarkDiskFdatasync is the disk's own fsync latency, the physical
// limit of a durable batch: a 4 KiB write then fdatasync, in a loop, on a
// file in a fresh directory beside the logs'. mode=overwrite writes at
// offset 0 every time (data only: the least a sync can cost); mode=append
// writes at the end of the file, so that every fdatasync also commits
// the file's new size (what a log that is not preallocated pays).
func BenchmarkDiskFdatasync(b *testing.B) {
	for _, mode := range []string{"overwrite", "append"} {
		b.Run("mode="+mode, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			page := walRecords(1, 4096)[0]
			if _, err := f.WriteAt(page, 0); err != nil {
				b.Fatal(err)
			}
			if err := fdatasync(f); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, b.N)
			b.SetBytes(int64(len(page)))
			b.ResetTimer()
			for i := range b.N {
				off := int64(0)
				if mode == "append" {
					off = int64(i+1) * int64(len(page))
				}
				t := time.Now()
				if _, err := f.WriteAt(page, off); err != nil {
					b.Fatal(err)
				}
				if err := fdatasync(f); err != nil {
					b.Fatal(err)
				}
				lat[i] = time.Since(t)
			}
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}

// walRecovery is one implementation's recovery: build writes a log of
// about n bytes of 1 KiB records in dir and closes it cleanly; recover
// opens it as the implementation's users do after a restart, and
// returns the number of records recovered.
type walRecovery struct {
	name    string
	build   func(dir string, n int64) error
	recover func(dir string) (int, error)
	// last returns the name of the segment file a torn write would hit.
	last func(dir string) (string, error)
}

// walRecoveries: ours (Open only: the log is then ready to read from any
// index), ours-read (Open, then every record read with an Iterator: what
// a replica replaying its log does), and etcd (Open then ReadAll, which
// returns every entry; after a torn write, etcd's server loop: Open,
// ReadAll fails with io.ErrUnexpectedEOF, Repair, Open, ReadAll).
var walRecoveries = []walRecovery{
	{name: "ours", build: buildOurs, recover: recoverOurs(false), last: lastFile(".wal")},
	{name: "ours-read", build: buildOurs, recover: recoverOurs(true), last: lastFile(".wal")},
	{name: "etcd", build: buildEtcd, recover: recoverEtcd, last: lastFile(".wal")},
}

const recoveryRecord = 1024

func buildWith(open func(string, *atomic.Int64) (walStore, error), dir string, n int64) error {
	s, err := open(dir, new(atomic.Int64))
	if err != nil {
		return err
	}
	recs := walRecords(256, recoveryRecord)
	next := uint64(1)
	for written := int64(0); written < n; written += 256 * recoveryRecord {
		if err := s.appendSync(next, recs); err != nil {
			s.Close()
			return err
		}
		next += 256
	}
	return s.Close()
}

func buildOurs(dir string, n int64) error { return buildWith(openOurs, dir, n) }
func buildEtcd(dir string, n int64) error { return buildWith(openEtcd, dir, n) }

func recoverOurs(read bool) func(string) (int, error) {
	return func(dir string) (int, error) {
		l, err := wal.Open(disk.OS{}, dir, wal.Options{})
		if err != nil {
			return 0, err
		}
		n := int(l.LastIndex() + 1 - l.FirstIndex())
		if read {
			n = 0
			it := l.Iterator(l.FirstIndex())
			for it.Next() {
				n++
			}
			if err := it.Err(); err != nil {
				l.Close()
				return 0, err
			}
		}
		return n, l.Close()
	}
}

func recoverEtcd(dir string) (int, error) {
	repaired := false
	for {
		w, err := etcdwal.Open(zap.NewNop(), dir, &walpb.Snapshot{})
		if err != nil {
			return 0, err
		}
		_, _, ents, err := w.ReadAll()
		if err != nil {
			w.Close()
			if repaired || !errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, err
			}
			if !etcdwal.Repair(zap.NewNop(), dir) {
				return 0, fmt.Errorf("etcd: repair failed after %w", err)
			}
			repaired = true
			continue
		}
		return len(ents), w.Close()
	}
}

// lastFile returns the last file of a directory whose name ends in
// suffix.
func lastFile(suffix string) func(string) (string, error) {
	return func(dir string) (string, error) {
		m, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
		if err != nil || len(m) == 0 {
			return "", fmt.Errorf("no %s file in %s: %v", suffix, dir, err)
		}
		slices.Sort(m)
		return m[len(m)-1], nil
	}
}

// tear simulates a write torn by a crash at the end of the log in file
// name: the last sector holding data, and the one before it, read as
// zeros (never written), as if the last write reached the disk only in
// part. It returns the file's content and size before, to undo it.
func tear(name string) (restore func() error, err error) {
	orig, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	end := len(orig)
	for end > 0 && orig[end-1] == 0 {
		end--
	}
	if end == 0 {
		return nil, fmt.Errorf("%s holds no data", name)
	}
	from := max(0, (end-1)&^511-512)
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, end-from), int64(from)); err != nil {
		return nil, err
	}
	if err := fdatasync(f); err != nil {
		return nil, err
	}
	return func() error {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := f.Truncate(int64(len(orig))); err != nil {
			return err
		}
		if _, err := f.WriteAt(orig, 0); err != nil {
			return err
		}
		return fdatasync(f)
	}, nil
}

// BenchmarkWALRecovery opens a log of -wal.recovery-mib MiB of 1 KiB
// records: one op is one recovery. state=clean after a clean close;
// state=torn after the last write was torn (see tear), undone after each
// op so that every op recovers the same log. cache=warm leaves the files
// in the page cache; cache=cold evicts them before each op
// (posix_fadvise DONTNEED), as after a reboot.
func BenchmarkWALRecovery(b *testing.B) {
	size := int64(*walRecoveryMiB) << 20
	for _, state := range []string{"clean", "torn"} {
		for _, cache := range []string{"warm", "cold"} {
			for _, r := range walRecoveries {
				b.Run(fmt.Sprintf("state=%s/cache=%s/impl=%s", state, cache, r.name), func(b *testing.B) {
					dir := b.TempDir()
					if err := r.build(dir, size); err != nil {
						b.Fatal(err)
					}
					want := int(size / (256 * recoveryRecord) * 256)
					b.SetBytes(size)
					b.ResetTimer()
					for range b.N {
						b.StopTimer()
						restore := func() error { return nil }
						if state == "torn" {
							name, err := r.last(dir)
							if err != nil {
								b.Fatal(err)
							}
							if restore, err = tear(name); err != nil {
								b.Fatal(err)
							}
						}
						if cache == "cold" {
							if err := dropCache(dir); err != nil {
								b.Fatal(err)
							}
						}
						b.StartTimer()
						n, err := r.recover(dir)
						b.StopTimer()
						if err != nil {
							b.Fatal(err)
						}
						if state == "clean" && n != want || state == "torn" && (n >= want || n < want-256) {
							b.Fatalf("recovered %d records of %d", n, want)
						}
						if err := restore(); err != nil {
							b.Fatal(err)
						}
						if err := cleanBroken(dir); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
				})
			}
		}
	}
}

// cleanBroken removes the copies etcd's Repair leaves (*.broken).
func cleanBroken(dir string) error {
	m, err := filepath.Glob(filepath.Join(dir, "*.broken"))
	for _, name := range m {
		err = os.Remove(name)
	}
	return err
}
