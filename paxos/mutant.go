package paxos

// mutant names one deliberately broken rule of the Replica. The tests
// build replicas with a mutant switched on and require the verification
// (the specification checker, the randomised simulation, the explorer
// and the scripted scenarios) to kill every one of them: a verification
// suite is only as good as the bugs it catches (DESIGN level 9, mutation
// score). The zero value is the correct replica, and the exported API
// cannot set another: only the package's own tests can (export_test.go).
//
// Each check in the code is one comparison of a field with a constant,
// on a path that already branches.
type mutant uint8

const (
	mutNone mutant = iota
	// mutLeaderKeepsStaleProposal: a leader that learns, from another
	// replica, a decision that differs from its own proposal in that slot
	// keeps leading and announcing its decided prefix in its ballot. This
	// is the agreement violation of issue 11.
	mutLeaderKeepsStaleProposal
	// mutNoticeAnyBallot: a commit notice makes a follower learn what it
	// accepted in a slot whatever the ballot of that acceptance.
	mutNoticeAnyBallot
	// mutAcceptBelowPromise: an acceptor accepts in a ballot below its
	// promise.
	mutAcceptBelowPromise
	// mutSkipPhase1Value: a new leader fills every undecided slot with a
	// no-op, ignoring the acceptances its phase-1 quorum reported.
	mutSkipPhase1Value
	// mutLowestBallotValue: a candidate keeps, per slot, the lowest-ballot
	// acceptance reported instead of the highest.
	mutLowestBallotValue
	// mutCatchUpUndecided: a catch-up answer carries accepted but
	// undecided entries as decisions.
	mutCatchUpUndecided
	// mutSnapshotWithoutSessions: a snapshot is restored without its
	// client sessions.
	mutSnapshotWithoutSessions
	// mutPromiseWithoutAcceptances: a promise reports none of the
	// acceptor's acceptances.
	mutPromiseWithoutAcceptances
	// mutDecideOneShort: a leader decides a slot as soon as all but one
	// of the acknowledgements of a phase-2 quorum arrived.
	mutDecideOneShort
	// mutAckAnyBallot: a leader counts an acknowledgement of any of its
	// ballots, a stale one from an earlier term included, towards its
	// current proposal.
	mutAckAnyBallot
	// mutAckWithoutAccept: an acceptor that has decided a slot answers an
	// accept for it with an acknowledgement it did not record (the
	// replica's behaviour before issue 11).
	mutAckWithoutAccept
	// mutPromiseNotPersisted: an acceptor answers a prepare without
	// writing its promise first.
	mutPromiseNotPersisted
	// mutSnapshotKeepsLeading: a leader that installs a snapshot covering
	// slots in which it has proposals keeps leading, so its commit notice
	// covers slots it learned without a ballot (a snapshot carries none).
	mutSnapshotKeepsLeading
	mutCount
)

var mutantNames = [...]string{"", "leader-keeps-stale-proposal", "notice-any-ballot", "accept-below-promise",
	"skip-phase1-value", "lowest-ballot-value", "catch-up-undecided", "snapshot-without-sessions",
	"promise-without-acceptances", "decide-one-short", "ack-any-ballot", "ack-without-accept",
	"promise-not-persisted", "snapshot-keeps-leading"}
