// Package wal is a write-ahead log on disk: an append-only sequence of
// records, numbered by consecutive indexes, that survives crashes. It is
// the storage under a replicated log (a Multi-Paxos acceptor appends its
// acceptances and promises, truncates a suffix when an undecided entry is
// replaced, drops a prefix below a snapshot, and syncs once per batch),
// written so that a reader can check every claim below against a test
// that fails when the claim is false.
//
// All file I/O goes through a disk.FS: disk.OS in production, sim.Disk in
// tests, which loses, keeps and tears unsynced sectors in a crash, fails
// fsyncs, writes short and fills up.
//
// # Usage
//
//	l, err := wal.Open(disk.OS{}, dir, wal.Options{})  // creates or recovers
//	first, err := l.AppendBatch(records)              // buffered, not durable
//	err = l.Sync()                                    // one fsync: all durable
//	data, err := l.Read(i)
//	it := l.Iterator(from)                            // for it.Next() { it.Index(), it.Record() }
//	err = l.TruncateAfter(i)                          // drop a suffix, durably
//	err = l.TruncateBefore(i)                         // drop a prefix, durably
//	err = l.Close()
//
// # Guarantees
//
//   - Durability: a record is durable once a Sync (or TruncateAfter,
//     TruncateBefore, Close) called after its append returns nil; a crash
//     then never loses it. Open returns a log whose every record is
//     durable.
//   - Order and integrity: recovery returns records in index order, each
//     exactly as appended; nothing is recovered that was not appended at
//     that index, and nothing a completed truncation removed comes back.
//   - Torn tails: after a crash the unsynced end of the log may be torn
//     (records lost, kept, or cut inside a sector, in any combination);
//     Open cuts the log back to the last whole record before the first
//     damaged one, and reports the bytes cut in Recovery.
//   - Corruption is reported, never cut silently: a damaged record
//     followed by a record written after the damaged one was synced
//     cannot be a torn tail. Open fails with a *CorruptError (wrapping
//     ErrCorrupt) naming the segment file and offset; Options.Repair is the
//     explicit decision to cut the log there instead. A damaged segment
//     before the last one is always corruption (it was synced before the
//     next one was created).
//   - fsyncgate: a failed write, fsync or directory sync stops the log;
//     every later change fails with ErrBroken until the log is reopened.
//     Retrying an fsync that failed proves nothing (the kernel may have
//     dropped the pages, or kept them in the cache but not on disk), so
//     Open writes again and syncs the records at the end of the log that
//     no later record proves durable, before it reports them.
//   - Bounded memory: a record's length is checked against
//     Options.MaxRecordSize when it is appended, and a stored length
//     against the bytes left in its segment before it is used (a log
//     reopened with a smaller MaxRecordSize still reads its larger
//     records); recovery holds one segment in memory at a time (segments
//     are at most MaxSegmentSize) and 4 bytes per record, and its time is
//     linear in the segment; nothing in a file makes it allocate more.
//   - Errors are sentinels wrapped with %w (ErrCorrupt, ErrBroken,
//     ErrClosed, ErrTooLarge, ErrOutOfRange, ErrInvalidOptions); no input
//     makes the log panic (fuzzed).
//
// # The disk model recovery relies on
//
// The package disk states what write, fsync, rename and directory sync
// promise on Linux. From it the log assumes only: a write is not durable
// until fsync returns nil, and until then may persist in any part, sector
// by sector, torn inside a sector; an fsync that fails may lose what it
// covered; a file's size changes atomically in a crash (truncate and
// fallocate are journaled); a rename is atomic, and a directory entry
// durable once the directory is synced; a write never changes bytes
// outside its range on disk. It does not assume that sectors are written
// atomically, or in order, or that directory operations persist in order.
//
// # The format
//
// The log is a directory of segments: files named
// "<base>-<first>.wal" (16 hexadecimal digits each: the index of the
// segment's first record, and the log's first index if a prefix
// truncation recorded it there, else 0), preallocated to
// Options.SegmentSize bytes of zeros (fallocate on Linux). A 32-byte
// header holds a magic number, a version and the base index under a
// CRC32C. Records follow, each framed in 8-byte alignment by a 24-byte
// header: the payload's length and CRC32C (Castagnoli), the record's
// index, its lag (how far the log's synced index was behind it when it was
// written) and a CRC32C of those fields. The header checksum lets
// recovery test every offset for a valid frame cheaply; the lag lets it
// tell a torn tail from corruption: a frame header after a damaged
// record, valid under its checksum, proves the damaged one was synced if
// the frame was written after the log was synced past it (its payload
// need not have survived). A whole frame of another index where a record
// belongs is corruption too: the log writes a record's frame at its
// offset or nothing, and zeroes what it truncates, durably, before
// writing there again.
//
// # The fsync discipline
//
//   - Append and AppendBatch encode frames into a buffer, written (one
//     write) when it reaches 1 MiB, or at Sync. Sync writes the buffer, then
//     fsyncs the active segment once: one write and one fsync per batch,
//     so the cost of durability per record falls as 1/batch (group
//     commit; TestGroupCommit counts them).
//   - A new segment is created as a temporary file, preallocated, its
//     header written, fsynced, renamed into place, and the directory
//     synced; the previous segment is fsynced first, so every segment but
//     the last is complete and durable. A rollover costs three fsyncs.
//   - TruncateBefore syncs the log, renames the segment holding the new
//     first index to record it, syncs the directory, then removes the
//     segments below and syncs the directory again: the name is the commit
//     point, and the removals are cleanup that Open finishes.
//   - TruncateAfter removes the segments after the cut, the last first,
//     syncing the directory after each (so a crash cannot leave a hole),
//     then truncates the segment holding the cut there, preallocates it
//     again and fsyncs it.
//   - Open fsyncs the last segment before writing anything (a truncation
//     left pending by a failed fsync is committed whole), cuts a torn
//     tail, rewrites the records after the last one proved durable, fsyncs
//     again and syncs the directory. A name that makes other segments
//     garbage is synced before they are removed.
//
// # Trade-offs
//
// The buffer makes Append cheap and a process crash lose what was not
// yet synced, which the contract allows. A prefix truncation keeps the
// bytes of the records below the new first index in their segment until
// the whole segment goes (one rename instead of a copy). Reads go to the
// file through the page cache, one ReadAt per record, with the checksum
// checked again. Every segment stays open (one file descriptor each). A
// Log serialises its methods with a mutex; concurrent appenders that want
// to share an fsync batch with AppendBatch, or call Sync from one
// goroutine after many appends.
//
// # Known limitation
//
// A record's payload that itself holds a valid frame of this log format
// (a log of logs, a replica storing frames shipped by another log) can
// mislead recovery after a crash that tears that record: the embedded
// frame passes for a record written after the torn one was synced, and
// Open reports corruption (ErrCorrupt) where there is only a torn tail.
// Nothing synced is lost, and Options.Repair recovers, but a crash should
// never make Open fail. The fix is a format change (a random per-log
// value in the segment header, mixed into every frame's checksums, so
// that frames written elsewhere never verify); until then, applications
// that store frames of this format as payloads should encode them first.
//
// # Verification
//
// Crash-consistency tests drive random workloads on sim.Disk, with
// crashes between calls and inside them (the disk halts after a drawn
// number of operations), failed fsyncs that drop or keep-but-clean their
// pages, failed directory syncs and short writes, and check the laws above
// after every recovery: 20,000 crash points per go test (about 3 s;
// 5,000 under -race), two million with -long (go test ./wal -args -long:
// about 4 minutes on one core, 170 MB, with 200,000 corruption cases);
// the same workloads drawn by rapid shrink a failure to a short
// transcript. A corruption test flips one byte in a record that a later
// one proves synced and requires ErrCorrupt at the right segment, offset
// and index, and Repair to keep exactly the records before it. Nine
// deliberately broken variants of the log (mutant.go) must each fail one
// of these tests. Fuzz targets cover the frame decoder and Open on
// arbitrary segment files. A real-disk test kills a child process that
// appends and syncs in a loop (SIGKILL), and finds every record it
// reported synced.
//
// References: Pillai et al., "All File Systems Are Not Created Equal",
// OSDI 2014 (the disk model, the ALICE-style crash exploration);
// Rebello et al., "Can Applications Recover from fsync Failures?", ATC
// 2020, and the PostgreSQL fsyncgate discussion, 2018 (a failed fsync
// is fatal); etcd's server/storage/wal (CRC-framed, 8-byte aligned
// records, preallocated segments, TestOpenOnTornWrite); hashicorp/raft-wal
// issue 31 and PR 32 (a failed write left the writer corrupted: here any
// I/O error stops the log, and only recovery from the disk restarts it).
package wal
