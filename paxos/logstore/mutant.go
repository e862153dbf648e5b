package logstore

// mutant names one deliberately broken rule of the store. The crash
// tests run stores with a mutant switched on and must fail for every one
// of them (DESIGN level 9, mutation score). The zero value is the correct
// store; only the package's own tests can set another (Options.mutant).
type mutant uint8

const (
	mutNone mutant = iota
	// mutSyncNoLog: Sync returns nil without syncing the log.
	mutSyncNoLog
	// mutSnapshotNoPreSync: SetSnapshot commits the snapshot file without
	// syncing the log first, so the snapshot can survive a crash that
	// loses writes made before it.
	mutSnapshotNoPreSync
	// mutRenameBeforeSync: the snapshot file is renamed into place (and
	// the directory synced) before the file itself is synced.
	mutRenameBeforeSync
	// mutCheckpointNoHardState: the checkpoint after a snapshot does not
	// copy the hard state, which the prefix truncation then drops.
	mutCheckpointNoHardState
	// mutCheckpointNoEntries: the checkpoint does not copy the live
	// entries at or above the snapshot slot.
	mutCheckpointNoEntries
	// mutRemoveOldFirst: the previous snapshot file is removed before the
	// new one is committed.
	mutRemoveOldFirst
	// mutFirstAcceptanceWins: recovery keeps the first acceptance of a
	// slot instead of the last.
	mutFirstAcceptanceWins
	mutCount
)

var mutantNames = [...]string{"", "sync-no-log", "snapshot-no-pre-sync", "rename-before-sync",
	"checkpoint-no-hard-state", "checkpoint-no-entries", "remove-old-first", "first-acceptance-wins"}

func (m mutant) String() string { return mutantNames[m] }
