// Package simtest draws fault schedules for property-based tests of
// protocols on the simulator (package sim), with pgregory.net/rapid.
//
// A property test of a protocol says: whatever faults happen, within
// limits, the protocol keeps its guarantees. DrawSchedule draws the
// faults: crashes followed by restarts, partitions into two sides, one-way
// blocks, pauses and lossy links, each at a drawn time for a drawn
// duration within a horizon. Apply schedules them on a sim.Sim. Because
// rapid draws every time, node and duration itself, it can shrink a
// failing schedule: it removes faults and moves the rest towards earlier
// times, shorter durations and the first node until nothing more can be
// removed without the property passing again. A failure then reports a
// minimal schedule, often a single fault at a single moment, instead of
// the four overlapping faults that first broke the protocol.
//
// Jepsen's nemeses and FoundationDB's simulation testing (Zhou et al.,
// "FoundationDB: A Distributed Unbundled Transactional Key Value Store",
// SIGMOD 2021) inject faults the same way; shrinking is what
// property-based testing (Claessen and Hughes, "QuickCheck", ICFP 2000)
// adds.
//
// # Usage
//
//	func TestRegisterSurvivesFaults(t *testing.T) {
//		rapid.Check(t, func(t *rapid.T) {
//			nodes := []string{"a", "b", "c"}
//			s, err := sim.New(sim.Config{Seed: 1, Nodes: nodes}, newReplica)
//			if err != nil {
//				t.Fatal(err)
//			}
//			sched := simtest.DrawSchedule(t, nodes, time.Second)
//			if err := simtest.Apply(s, sched); err != nil {
//				t.Fatal(err)
//			}
//			// ... client requests with s.Inject or s.At ...
//			if err := s.Run(); err != nil {
//				t.Fatal(err)
//			}
//			// Every fault has ended by the horizon: check the guarantee,
//			// and that the system recovered.
//			if err := check(s); err != nil {
//				t.Fatalf("an acknowledged write must survive crashes: %v under %v", err, sched)
//			}
//		})
//	}
//
// Draw the simulator's seed as well (rapid.Uint64().Draw(t, "seed")) to
// let rapid explore message orders and losses too; it then shrinks the
// seed towards 0 along with the schedule.
//
// # Adversarial schedules
//
// Random faults on fixed nodes rarely reach the orders that break
// consensus protocols: one message overtaken by many rounds, partitions
// that cut the current leader's quorum, leaders deposed in quick
// succession. Three additions aim the draws there:
//
//   - Hold faults: the messages sent on a link (or, with a class of
//     Messages, those the test's predicate recognises: "catch-up
//     replies", "heartbeats") are held back while the fault lasts and
//     delivered when it ends: a delayed message, not a lost one.
//   - Faults aimed at roles: a Fault with a Role strikes the nodes that a
//     callback of the test names when it starts ("leader", "quorum"), so
//     crashes and partitions hit the node that matters at that moment.
//     Draw with Options.Roles draws them; ApplyWith resolves them.
//   - Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012):
//     DrawSwarm first draws which kinds, targets and classes a run may
//     use, and their rates, then Swarm.Draw draws a schedule of those
//     only, so that runs of only hold-backs and leader crashes are
//     common instead of rare.
//
// Each stays printable (String, and GoString for a regression test),
// replayable (a role is resolved the same way in every replay) and
// shrinkable (shrinking moves faults to fixed nodes, whole links, and
// fewer features).
//
//	roles := simtest.Targets[Msg]{
//		Roles:    map[string]func(*sim.Sim[Msg]) []string{"leader": currentLeader},
//		Messages: map[string]func(from, to string, m Msg) bool{"catch-up": isCatchUpReply},
//	}
//	o := simtest.Options{Roles: []string{"leader"}, Messages: []string{"catch-up"}, MaxFaults: 8}
//	sched := simtest.DrawSwarm(t, o).Draw(t, nodes, horizon)
//	if err := simtest.ApplyWith(s, sched, roles); err != nil {
//		t.Fatal(err)
//	}
//
// # Guarantees
//
// A drawn schedule has at most MaxFaults faults (Options.MaxFaults or
// Swarm.MaxFaults when given). Each starts and ends
// within [0, horizon] on a grid of horizon/Steps, and lasts at least one
// step. Every fault ends: crashed nodes restart, partitions and blocks
// heal, pauses end, lossy links recover and held messages are released
// by the horizon, so a test can also check liveness-style properties
// after it. The same draws give the
// same schedule, and the same schedule applied to the same configuration
// gives the same run, event for event.
package simtest
