package wal

// mutant names one deliberately broken rule of the log. The crash tests
// open logs with a mutant switched on and must fail for every one of
// them: a verification suite is only as good as the bugs it catches
// (DESIGN level 9, mutation score). The zero value is the correct log;
// the exported API cannot set another, only the package's own tests can
// (Options.mutant). Each check is one comparison on a path that already
// branches.
type mutant uint8

const (
	mutNone mutant = iota
	// mutNoDirSync: segments are created, renamed and removed without
	// syncing the directory.
	mutNoDirSync
	// mutSyncBeforeWrite: Sync fsyncs the segment before writing the
	// buffered records, and reports them durable.
	mutSyncBeforeWrite
	// mutTrustCRC: recovery and reads do not check the payload's
	// checksum.
	mutTrustCRC
	// mutTornIsCorrupt: recovery reports any bad frame followed by a valid
	// one as corruption, even when a crash explains it.
	mutTornIsCorrupt
	// mutCutCorruption: recovery cuts the log at any bad frame, damage
	// before synced records included, without a word.
	mutCutCorruption
	// mutSyncErrorNotFatal: a failed fsync is returned but the log goes
	// on, and a later Sync that succeeds reports everything durable.
	mutSyncErrorNotFatal
	// mutTruncateNoSync: TruncateAfter returns without syncing the zeros
	// that erase the suffix.
	mutTruncateNoSync
	// mutNoRewriteOnOpen: Open trusts the records at the end of the log
	// that nothing proves durable instead of writing them again.
	mutNoRewriteOnOpen
	// mutRolloverNoSync: starting a new segment does not sync the old
	// one, yet counts its records durable.
	mutRolloverNoSync
	mutCount
)

var mutantNames = [...]string{"", "no-dir-sync", "sync-before-write", "trust-crc", "torn-is-corrupt",
	"cut-corruption", "sync-error-not-fatal", "truncate-no-sync", "no-rewrite-on-open", "rollover-no-sync"}

func (m mutant) String() string { return mutantNames[m] }
