package paxos

// nodeMutant names one deliberately broken rule of the single-decree
// Node, as mutant does for the Replica (mutant.go). The tests build nodes
// with a mutant switched on and require the verification of the Node
// (the explorer and the randomised simulation, with the specification
// checker of node_spec_test.go) to kill every one of them (DESIGN level
// 9, mutation score). The zero value is the correct node, and the
// exported API cannot set another: only the package's own tests can
// (node_export_test.go).
//
// Each check in the code is one comparison against a constant on a path
// that already branches; it costs nothing measurable.
type nodeMutant uint8

const (
	nodeCorrect nodeMutant = iota
	// nmAcceptBelowPromise: an acceptor accepts a proposal whose ballot is
	// below its promise (keeping the promise).
	nmAcceptBelowPromise
	// nmPromiseBelowPromise: an acceptor promises a ballot below the one
	// it promised, and its promise goes down.
	nmPromiseBelowPromise
	// nmPromiseNotPersisted: an acceptor answers a prepare without saving
	// its promise first.
	nmPromiseNotPersisted
	// nmAcceptanceNotPersisted: an acceptor answers an accept without
	// saving its acceptance first.
	nmAcceptanceNotPersisted
	// nmPromiseWithoutAcceptance: a promise does not report the
	// acceptor's acceptance.
	nmPromiseWithoutAcceptance
	// nmRoundNotPersisted: a proposer starts a ballot without saving its
	// round, so after a restart it may use the same ballot again.
	nmRoundNotPersisted
	// nmOwnValue: a proposer proposes its own value even when a promise
	// reported an acceptance.
	nmOwnValue
	// nmLowestBallotValue: a proposer adopts the value of the
	// lowest-ballot acceptance reported instead of the highest.
	nmLowestBallotValue
	// nmPromiseAnyBallot: a proposer counts a promise for any of its
	// ballots, an earlier one included, towards its current ballot.
	nmPromiseAnyBallot
	// nmDecideOneShort: a proposer decides once all but one of the
	// acceptances of a phase-2 quorum arrived.
	nmDecideOneShort
	// nmAcceptedAnyBallot: a proposer counts an acceptance of any of its
	// ballots, an earlier one included, towards its current proposal.
	nmAcceptedAnyBallot
	// nmLearnAnyAccepted: a learner decides on the first Accepted message
	// it receives.
	nmLearnAnyAccepted
	// nmLearnAcrossBallots: a learner counts acceptances of a value
	// whatever their ballots, as if acceptances in different ballots
	// added up.
	nmLearnAcrossBallots
	nodeMutantCount
)

var nodeMutantNames = [nodeMutantCount]string{"", "accept-below-promise", "promise-below-promise",
	"promise-not-persisted", "acceptance-not-persisted", "promise-without-acceptance",
	"round-not-persisted", "own-value", "lowest-ballot-value", "promise-any-ballot",
	"decide-one-short", "accepted-any-ballot", "learn-any-accepted", "learn-across-ballots"}
