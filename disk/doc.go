// Package disk is the file system seam of the library's storage: the
// small interface ([FS], [File]) through which a write-ahead log does all
// its file I/O, and [OS], its implementation on the operating system.
// Tests put a fault-injecting file system behind the same interface
// (sim.Disk), which models the page cache, crashes that lose and tear
// unsynced writes, failed fsyncs, short writes and a full disk; the log
// cannot tell the two apart.
//
// A durable data structure is only as correct as its model of the disk,
// so this package states the model once, for Linux, with its sources. The
// write-ahead log (package wal) relies on what is promised below and on
// nothing else.
//
// # Usage
//
//	var fsys disk.FS = disk.OS{}        // or sim.NewDisk(...) in tests
//	f, err := fsys.Create(filepath.Join(dir, "x.tmp"))
//	_, err = f.WriteAt(data, 0)         // in the page cache: visible, not durable
//	err = f.Sync()                      // data durable, or an error that is fatal
//	err = fsys.Rename(filepath.Join(dir, "x.tmp"), filepath.Join(dir, "x"))
//	err = fsys.SyncDir(dir)             // the name "x" durable
//
// # What write promises, and what it does not
//
// A write (pwrite) copies bytes into the page cache and returns. Every
// reader of the file sees them at once; nothing is on stable storage.
// Until a sync covering it returns, a crash (power loss, kernel panic) may
// keep all of a write, none of it, or any subset of its blocks, in any
// order relative to other unsynced writes; and a write is not atomic at
// any size: POSIX promises nothing, and although many disks write a
// 512-byte sector atomically, a file system block (4 KiB) spans eight of
// them. Pillai et al. found appends that persisted their size but not
// their data (so the file ends in zeros or garbage), multi-block appends
// persisted in part, and overwrites torn across sectors, depending on the
// file system and its mode (Pillai et al., "All File Systems Are Not
// Created Equal: On the Complexity of Crafting Crash-Consistent
// Applications", OSDI 2014, §3). A process crash alone (kill -9) loses
// nothing written: the page cache belongs to the kernel.
//
// A write can also return fewer bytes than asked with an error (ENOSPC
// when the file system is full, EIO): the bytes before the error may be
// in the file. A write inside blocks reserved by fallocate does not fail
// for space.
//
// # What fsync promises, and what it does not
//
// fsync returns nil once the file's dirty pages and metadata are on
// stable storage, the disk's volatile cache flushed (with write barriers,
// the default); fdatasync, which [OS] uses on Linux, skips metadata that
// reading the data does not need (timestamps), and still syncs a size
// change. fsync does not make the file's directory entry durable: a file
// created and fsynced can vanish in a crash until its directory is synced
// (fsync(2), "Calling fsync() does not necessarily ensure that the entry
// in the directory containing the file has also reached disk").
//
// A failed fsync (EIO) is the hard case. Linux reports a writeback error
// once per open file description and marks the failed pages clean: a
// retried fsync returns nil without writing them, and depending on the
// file system the page cache either keeps the new, non-durable bytes
// (ext4, XFS: reads return data the disk does not hold) or drops them
// (reads return the old bytes). This is the PostgreSQL "fsyncgate"
// discussion of 2018 (pgsql-hackers, "PostgreSQL's handling of fsync()
// errors is unsafe and risks data loss at least on XFS", March 2018;
// LWN, "PostgreSQL's fsync() surprise", April 2018), after which
// PostgreSQL panics on a failed fsync rather than retry it. Rebello et
// al. measured the behaviours per file system and found that no
// application they studied recovered correctly from every one ("Can
// Applications Recover from fsync Failures?", USENIX ATC 2020, §4-5). The
// only safe reaction is to stop writing, and to rebuild state from what
// the disk can be shown to hold: retrying and succeeding proves nothing.
//
// # What rename promises, and what it does not
//
// rename is atomic for every process: newname names the old file or the
// new one, never neither. After a crash the file systems Pillai et al.
// studied also keep a rename atomic, but durable only once the directory
// is synced, and a rename can reach the disk before the data of the file
// renamed unless that file was synced first: write, fsync the file,
// rename, fsync the directory is the only order that gives "old or new,
// complete" after a crash (Pillai et al. §4, the "atomic replace via
// rename" pattern).
//
// # What directory sync promises, and what it does not
//
// fsync on a directory opened read-only makes its entries durable: files
// created, renamed or removed in it before the call survive a crash. It
// is Linux behaviour, not POSIX, and it is honoured by ext4, XFS and
// btrfs. Until then, entry changes may be lost in a crash, and on some
// file systems persisted out of order (Pillai et al. found btrfs
// reordering directory operations), so a crash may keep a later create
// or remove and lose an earlier one. A removed file's blocks are freed
// once the entry is gone and the last descriptor closed.
//
// # Trade-offs
//
// The interface has what a log needs and no more: positional reads and
// writes (a failed write cannot move a file offset), Sync, Truncate,
// Allocate (preallocation, so that appends inside a segment never fail
// for space and never change the file's metadata), Size, and at the
// directory level Create, Open, Rename, Remove, ReadDir and SyncDir.
// There is no Mkdir: the caller creates and syncs the directory, once.
//
// On platforms other than Linux, Sync is os.File.Sync (fsync, or
// F_FULLFSYNC on macOS), Allocate extends the file without reserving
// blocks, and SyncDir is fsync of the directory (a no-op on Windows,
// which cannot open a directory for syncing).
package disk
