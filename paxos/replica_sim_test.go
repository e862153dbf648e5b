package paxos_test

// Randomised, fault-injecting simulation of Multi-Paxos replicas (level 5
// of DESIGN.md's verification ladder). rapid draws everything a run
// depends on: the simulator's seed, a fault schedule (simtest, plus
// bursts of crashes and faults aimed at the leader), the links' latency
// spread, loss and duplication, latency storms, each node's clock skew
// and drift, the quorum system, the replicas' configuration (election
// timeout, batching, window, thrifty phase 2, snapshot interval) and the
// clients' workload. The harness checks the safety invariants as the run
// goes and liveness once the faults are over; a failure names the
// invariant in words and prints the case as a Go literal that replays it
// (rsCase{...}.execute()).

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"github.com/eventually-perfect/primitives/paxos/logstore"
	"github.com/eventually-perfect/primitives/quorum"
	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/sim/simtest"
	"github.com/eventually-perfect/primitives/wal"
	"pgregory.net/rapid"
)

// rsMsg is what travels through the simulated network: a replica's
// message, or (Req set) a client's request to a replica.
type rsMsg struct {
	Log  paxos.LogMessage
	Req  *rsCommand
	Junk bool // injected bad input: may be refused with an error
}

func (m rsMsg) String() string {
	if m.Req != nil {
		return "request " + rsKeyOf(*m.Req)
	}
	return m.Log.String()
}

// rsKeyOf names a command uniquely in a run: client, seq and op.
func rsKeyOf(c rsCommand) string {
	return c.Client + "/" + strconv.FormatUint(c.Seq, 10) + "/" + c.Op
}

// rsParams is one drawn configuration of the system.
type rsParams struct {
	Nodes []string
	// Q2 is the phase-2 quorum size of an FPaxos system with q1 = n-Q2+1
	// (Howard, Malkhi and Spiegelman 2016); 0 means majority quorums.
	Q2 int
	// Q1, if not 0, overrides q1; with Q1+Q2 <= n the system does not
	// intersect and the replicas run with Unsafe (TestReplicaSimulatedCanFail).
	Q1            int
	ElectionTicks int
	MaxBatch      int
	Window        int
	Thrifty       bool
	SnapshotEvery uint64
	Tick          time.Duration // each replica's tick period, on its local clock
	// GroupCommit, if not 0, runs the replicas with GroupCommit and the
	// simulator with ExplicitSync (a crash loses unsynced writes): each
	// node collects what its steps return and, GroupCommit after the
	// first, syncs its storage once and sends it all (persist, then
	// send). 0: each step's writes are synced when its handler returns.
	GroupCommit time.Duration
	// SendBeforeSync breaks the group-commit driver: it sends what a step
	// returns at once and syncs only at the next flush
	// (TestReplicaSimulatedCanFail).
	SendBeforeSync bool
	// OwnAckAtOnce breaks it the other way: the driver syncs before it
	// sends, but the replicas run without GroupCommit, so a leader counts
	// its own acceptance before it is durable (TestReplicaSimulatedCanFail).
	OwnAckAtOnce bool
	// Disk keeps each node's LogStorage in a logstore.Store on a sim.Disk
	// of its own, kept across incarnations: a restart first crashes the
	// disk (losing and tearing what was not synced), then reopens the
	// store. With GroupCommit the flush calls the store's Sync; without,
	// the store syncs every write (SyncEachWrite).
	Disk bool
	// SkipDiskSync breaks the driver on disk: its flush sends without
	// syncing the store (TestReplicaSimulatedCanFail).
	SkipDiskSync bool
}

func (p rsParams) String() string {
	q := "majority"
	if p.Q2 > 0 {
		q = fmt.Sprintf("q1=%d,q2=%d", p.q1(), p.Q2)
	}
	return fmt.Sprintf("%d replicas %s, election %d ticks of %v, batch %d, window %d, thrifty %v, snapshot every %d, group commit %v, disk %v",
		len(p.Nodes), q, p.ElectionTicks, p.Tick, p.MaxBatch, p.Window, p.Thrifty, p.SnapshotEvery, p.GroupCommit, p.Disk)
}

// q1 is the phase-1 quorum size of an FPaxos system.
func (p rsParams) q1() int {
	if p.Q1 > 0 {
		return p.Q1
	}
	return len(p.Nodes) - p.Q2 + 1
}

// unsafe reports whether the quorum system does not intersect.
func (p rsParams) unsafe() bool { return p.Q2 > 0 && p.q1()+p.Q2 <= len(p.Nodes) }

// rsClient is one client's workload: it submits its commands one at a
// time, in Seq order, each first to First and then, every Retry until it
// sees the command applied somewhere, again to the next replica in turn
// (the same Client and Seq: a retry). Client "" has no session: its
// commands are retried the same way and may then be applied twice.
type rsClient struct {
	Name  string
	Start time.Duration
	Retry time.Duration
	First int
	Cmds  int
}

// stormSpec is a period of slow, widely spread latency on every link
// (For 0: none). Election timeouts then run out before leaders are heard
// from, so several replicas compete for leadership at once; after the
// storm the links return to their configured latency, short beside the
// election timeout, so that liveness can be expected again. The storm's
// end restores every link's configuration, cutting short a Loss fault or
// a leader isolation still under way on it (and their ends cut the storm
// short on their links): these faults overlap loosely, which only makes
// the schedules more varied.
type stormSpec struct {
	At, For, Spread time.Duration
}

// rsCase is everything drawn for one run, so that a failure prints it
// as a Go literal (%#v) that a regression test can replay with
// rsCase.execute.
type rsCase struct {
	P    rsParams
	Seed uint64 // the simulator's seed
	// Schedule holds simtest's faults and the extra crashes.
	Schedule simtest.Schedule
	// LeaderFaults strike the replica leading at At (among those that
	// believe they lead, the one most replicas take for the leader; none
	// if no replica leads) for For: Crash crashes it (and restarts it),
	// Pause pauses it, Partition cuts every link to and from it (loss 1,
	// until the links' configuration is restored).
	LeaderFaults []simtest.Fault
	Clocks       map[string]sim.ClockConfig
	// Every link has latency uniform in [1ms, 1ms+Spread], and loses and
	// duplicates messages with these probabilities.
	Spread          time.Duration
	Loss, Duplicate float64
	Storm           stormSpec
	Clients         []rsClient
	// Junk are messages a stranger ("mallory", not a replica) injects at
	// JunkAt: bad input that every replica must drop or refuse without
	// harm. Their commands were never submitted, so deciding one breaks
	// validity.
	Junk   []paxos.LogMessage
	JunkAt []time.Duration
}

// rsRun is one simulated run and the oracle that checks it.
type rsRun struct {
	rsCase
	sys      *quorum.System
	link     sim.LinkConfig
	horizon  time.Duration
	s        *sim.Sim[rsMsg]
	nodes    map[string]*rsNode // the current incarnation of each node
	rng      *rand.Rand         // the clients' choices
	violated error
	law      string               // the invariant violated first: "agreement", ...
	forget   bool                 // the storage loses acceptances (TestReplicaSimulatedCanFail)
	mutant   string               // the broken replica to run (mutation_test.go); "" for the real one
	spec     *spec                // the specification checker's ghost state (spec_test.go)
	disks    map[string]*sim.Disk // each node's disk (P.Disk), across incarnations

	submitted   map[string]rsCommand // by key: every command a client sent
	decided     map[uint64]string    // slot -> the entry first seen decided there
	decidedBy   map[uint64]string
	seq         []string          // the one sequence every replica's applied commands must be a prefix of
	appliedAt   map[string]bool   // commands applied on some replica (what clients learn)
	results     map[string]string // what applying each session command returned
	done        int               // clients that have finished
	applies     int
	struck      []string // the leaders strikeLeader struck, how and when
	elections   int      // elections started, over every incarnation
	work        int      // messages sent, plus the entries and commands they carry
	junk        int      // junk messages delivered
	junkRefused int      // of which refused with an error
	contested   int      // elections started while another replica led
	snaps       int      // snapshot restores seen
}

// fail records the first violation; the run stops at the next event.
func (r *rsRun) fail(format string, args ...any) {
	if r.violated == nil {
		r.violated = fmt.Errorf("at %v: "+format, append([]any{r.s.Now()}, args...)...)
		r.law, _, _ = strings.Cut(format, ":")
	}
}

// describe is what a failure message prints to replay the run: the case
// in words, then as a Go literal for a regression test.
func (r *rsRun) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sim seed %d; %v; links %v; clocks %v; clients %+v", r.Seed, r.P, r.link, r.Clocks, r.Clients)
	if r.Storm.For > 0 {
		fmt.Fprintf(&b, "; storm (latency 1ms+%v) at %v for %v", r.Storm.Spread, r.Storm.At, r.Storm.For)
	}
	fmt.Fprintf(&b, "\n  schedule: %v", r.Schedule)
	for _, f := range r.LeaderFaults {
		fmt.Fprintf(&b, "\n  %v the leader at %v until %v", f.Kind, f.At, f.End())
	}
	if len(r.struck) > 0 {
		fmt.Fprintf(&b, "\n  leaders struck: %s", strings.Join(r.struck, ", "))
	}
	fmt.Fprintf(&b, "\n  replay: %s.execute()", strings.ReplaceAll(fmt.Sprintf("%#v", r.rsCase), "paxos_test.", ""))
	return b.String()
}

// rsSM is the replicated state machine: it records the commands applied
// to it, in order, and checks each one as it is applied. Its snapshot is
// its whole history, so that a replica restored from a snapshot is still
// checked against the commands applied before it.
type rsSM struct {
	run     *rsRun
	id      string
	hist    []string
	have    map[string]bool   // keys in hist
	session map[string]uint64 // client -> highest Seq applied
}

func newRSSM(run *rsRun, id string) *rsSM {
	return &rsSM{run: run, id: id, have: map[string]bool{}, session: map[string]uint64{}}
}

// Apply checks validity (the command was submitted), exactly-once (no
// (Client, Seq) applied twice, and none older than the client's last),
// and log integrity (the applied sequence is a prefix of the one
// sequence), then records the command.
func (m *rsSM) Apply(c rsCommand) string {
	run := m.run
	k := rsKeyOf(c)
	run.applies++
	if _, ok := run.submitted[k]; !ok {
		run.fail("validity: %s applied %q, which no client submitted", m.id, k)
	}
	if c.Client != "" {
		if last := m.session[c.Client]; c.Seq <= last {
			run.fail("exactly-once: %s applied %q although client %s's command %d was already applied (history %q)", m.id, k, c.Client, last, m.hist)
		}
		m.session[c.Client] = c.Seq
	}
	pos := len(m.hist)
	if pos < len(run.seq) && run.seq[pos] != k {
		run.fail("log integrity: %s applied %q as command %d, but another replica applied %q there (history %q)", m.id, k, pos, run.seq[pos], m.hist)
	} else if pos == len(run.seq) {
		run.seq = append(run.seq, k)
	}
	m.hist = append(m.hist, k)
	m.have[k] = true
	run.appliedAt[k] = true
	res := strconv.Itoa(len(m.hist))
	if c.Client != "" {
		run.results[k] = res
	}
	return res
}

// Snapshot encodes the history, one key per line.
func (m *rsSM) Snapshot() ([]byte, error) {
	return []byte(strings.Join(m.hist, "\n")), nil
}

// Restore replaces the history with a snapshot's, checking that it is a
// prefix of the one sequence and applies no session command twice.
func (m *rsSM) Restore(b []byte) error {
	run := m.run
	run.snaps++
	var hist []string
	if len(b) > 0 {
		hist = strings.Split(string(b), "\n")
	}
	fresh := newRSSM(run, m.id)
	for i, k := range hist {
		if i < len(run.seq) && run.seq[i] != k {
			run.fail("log integrity: %s restored a snapshot with %q as command %d, but %q was applied there", m.id, k, i, run.seq[i])
		}
		c, ok := run.submitted[k]
		if !ok {
			run.fail("validity: %s restored a snapshot holding %q, which no client submitted", m.id, k)
			continue
		}
		if c.Client != "" {
			if c.Seq <= fresh.session[c.Client] {
				run.fail("exactly-once: %s restored a snapshot that applied %q twice or out of order", m.id, k)
			}
			fresh.session[c.Client] = c.Seq
		}
		fresh.hist = append(fresh.hist, k)
		fresh.have[k] = true
	}
	if len(hist) > len(run.seq) {
		run.fail("log integrity: %s restored a snapshot of %d commands, more than ever applied (%d)", m.id, len(hist), len(run.seq))
	}
	*m = *fresh
	return nil
}

// rsNode is one replica as a sim node. Its durable state lives in the
// node's sim.Storage, so a crash loses everything else (and, with group
// commit, what it had not synced).
type rsNode struct {
	run       *rsRun
	id        string
	r         *paxos.Replica
	sm        *rsSM
	st        *rsStore        // the storage in sim.Storage (without P.Disk)
	ds        *logstore.Store // the storage on disk (P.Disk)
	spec      *specStorage
	batch     []paxos.LogMessage // group commit: what the steps since the last flush returned
	flushing  bool               // group commit: the flush timer is set
	seen      uint64             // slots below this were checked for agreement
	elections uint64             // elections this incarnation started
	applied   uint64             // the applied prefix last seen
}

func (n *rsNode) Start(ctx *sim.Context[rsMsg]) {
	n.run.nodes[n.id] = n
	n.sm = newRSSM(n.run, n.id)
	var st paxos.LogStorage
	if n.run.P.Disk {
		ds, err := n.run.openDisk(n.id)
		if err != nil {
			n.run.fail("restart: %s could not open its store on disk: %v", n.id, err)
			return
		}
		n.ds, st = ds, ds
	} else {
		n.st = &rsStore{s: ctx.Storage(), forget: n.run.forget}
		st = n.st
	}
	// The disk store syncs the log when it takes a snapshot: what was
	// written before is then durable, and joins the ghost state.
	n.spec = &specStorage{LogStorage: st, id: n.id, g: n.run.spec, deferred: n.run.P.GroupCommit > 0, syncsAtSnapshot: n.run.P.Disk}
	r, err := rsNewReplica(n.run, n.id, n.spec, n.sm)
	if err != nil {
		n.run.fail("restart: %s could not load its durable state: %v", n.id, err)
		return
	}
	n.r = r
	n.after(ctx, nil, nil)
	// The first tick comes at a random phase, then every tick period of
	// the node's own clock (skew and drift change the true period).
	ctx.SetTimer("tick", time.Duration(ctx.Rand().Int64N(int64(n.run.P.Tick)))+1)
}

func (n *rsNode) Receive(ctx *sim.Context[rsMsg], from string, m rsMsg) {
	if n.r == nil {
		return
	}
	n.setStorage(ctx)
	var out []paxos.LogMessage
	var err error
	if m.Req != nil {
		out, err = rsSubmit(n.r, *m.Req)
	} else {
		out, err = n.r.Step(m.Log)
	}
	if m.Junk {
		n.run.junk++
		if err != nil {
			n.run.junkRefused++
		}
	} else if err != nil {
		n.run.fail("robustness: %s refused %v from %s: %v", n.id, m, from, err)
	}
	n.after(ctx, out, err)
}

func (n *rsNode) Timeout(ctx *sim.Context[rsMsg], name string) {
	if n.r == nil {
		return
	}
	n.setStorage(ctx)
	if name == "flush" {
		n.flush(ctx)
		return
	}
	out, err := n.r.Tick()
	if err != nil {
		n.run.fail("robustness: %s's tick failed: %v", n.id, err)
	}
	n.after(ctx, out, err)
	ctx.SetTimer("tick", n.run.P.Tick)
}

// after sends what the call returned (with group commit: collects it for
// the next flush) and checks what it decided.
func (n *rsNode) after(ctx *sim.Context[rsMsg], out []paxos.LogMessage, err error) {
	if err == nil {
		for _, m := range out {
			if gc := n.run.P.GroupCommit; gc > 0 && (!n.run.P.SendBeforeSync || m.To == n.id) {
				n.batch = append(n.batch, m)
				if !n.flushing {
					n.flushing = true
					ctx.SetTimer("flush", gc)
				}
				continue
			}
			n.send(ctx, m)
		}
	}
	n.check()
}

// flush is group commit: one sync for every step since the last flush,
// then what those steps returned is sent, the leader's acknowledgements
// of its own proposals handed back to it (GroupCommit).
func (n *rsNode) flush(ctx *sim.Context[rsMsg]) {
	if n.ds != nil && !n.run.P.SkipDiskSync {
		if err := n.ds.Sync(); err != nil {
			n.run.fail("robustness: %s's store failed to sync: %v", n.id, err)
			return
		}
	} else {
		ctx.Storage().Sync()
	}
	n.spec.sync()
	batch := n.batch
	n.batch, n.flushing = nil, false
	for _, m := range batch {
		if m.To != n.id {
			n.send(ctx, m)
			continue
		}
		out, err := n.r.Step(m)
		if err != nil {
			n.run.fail("robustness: %s refused its own %v: %v", n.id, m, err)
		}
		n.after(ctx, out, err)
	}
	n.check()
}

// setStorage points the sim.Storage adapter at the node's storage.
func (n *rsNode) setStorage(ctx *sim.Context[rsMsg]) {
	if n.st != nil {
		n.st.s = ctx.Storage()
	}
}

// openDisk opens node id's store on its disk: a fresh disk at the first
// start; at a restart, the disk first loses what was not synced (a crash
// of the machine, not only of the process).
func (r *rsRun) openDisk(id string) (*logstore.Store, error) {
	d, ok := r.disks[id]
	if !ok {
		var err error
		d, err = sim.NewDisk(rand.New(rand.NewPCG(r.Seed, uint64(slices.Index(r.P.Nodes, id))+0xd15c)), sim.DiskConfig{})
		if err != nil {
			return nil, err
		}
		r.disks[id] = d
	} else {
		d.Crash()
	}
	return logstore.Open(d, "/"+id, logstore.Options{
		WAL:           wal.Options{SegmentSize: 16 << 10},
		SyncEachWrite: r.P.GroupCommit == 0,
	})
}

// send sends m, recording it in the specification's ghost state.
func (n *rsNode) send(ctx *sim.Context[rsMsg], m paxos.LogMessage) {
	if m.From != n.id {
		n.run.fail("robustness: %s sent %v as %q", n.id, m, m.From)
	}
	ctx.Send(m.To, rsMsg{Log: m})
	n.run.spec.sent(m)
	n.run.work += 1 + len(m.Entries) + len(m.Entry.Commands)
	for _, e := range m.Entries {
		n.run.work += len(e.Commands)
	}
	if n.run.work > rsMaxWork && n.run.violated == nil {
		n.run.fail("bounded work: the replicas sent messages carrying more than %d entries and commands (a run normally sends a few thousand): a message storm", rsMaxWork)
	}
}

// check checks what the replica decided and applied so far.
func (n *rsNode) check() {
	if e := n.r.Stats().Elections; e > n.elections {
		n.run.elections += int(e - n.elections)
		n.elections = e
		for _, id := range n.run.P.Nodes {
			if o, ok := n.run.up(id); ok && id != n.id && o.r.Leader() {
				n.run.contested++ // an election against a live leader
				break
			}
		}
	}
	if a := n.r.Applied(); a < n.applied {
		n.run.fail("log integrity: %s's applied prefix went back from %d to %d slots", n.id, n.applied, a)
	} else {
		n.applied = a
	}
	if c := n.r.Compacted(); c > n.applied {
		n.run.fail("log integrity: %s compacted its log to slot %d, beyond the %d slots it applied", n.id, c, n.applied)
	}
	n.checkDecided(false)
	if err := n.run.spec.err; err != nil {
		n.run.fail("specification: %v", err)
	}
}

// checkDecided checks agreement on the slots this replica has decided:
// each must hold what every other replica, in any incarnation, decided in
// it, and only submitted commands (validity). Between full scans it
// looks at the slots around the applied prefix, where new decisions are.
func (n *rsNode) checkDecided(full bool) {
	run, r := n.run, n.r
	var slots []uint64
	if full {
		for _, e := range r.Log() {
			slots = append(slots, e.Slot)
		}
	} else {
		lo := min(n.seen, rsApplied(r))
		hi := rsApplied(r) + uint64(run.P.Window) + 2
		for s := lo; s < hi; s++ {
			slots = append(slots, s)
		}
		n.seen = rsApplied(r)
	}
	if len(slots) > 0 {
		run.spec.observe(n.id, r, slots[0], slots[len(slots)-1]+1)
	}
	for _, s := range slots {
		e, ok := r.Decided(s)
		if !ok {
			continue
		}
		if e.Slot != s {
			run.fail("log integrity: %s's Decided(%d) returned slot %d", n.id, s, e.Slot)
		}
		if e.NoOp && len(e.Commands) > 0 {
			run.fail("validity: %s decided slot %d as a no-op that carries commands %v", n.id, s, e.Commands)
		}
		v := rsEntryKey(e)
		for _, k := range rsEntryCommands(e) {
			if _, ok := run.submitted[k]; !ok {
				run.fail("validity: %s decided %q in slot %d, which no client submitted", n.id, k, s)
			}
		}
		if old, ok := run.decided[s]; !ok {
			run.decided[s], run.decidedBy[s] = v, n.id
		} else if old != v {
			run.fail("agreement: slot %d decided as %s at %s but as %s at %s", s, v, n.id, old, run.decidedBy[s])
		}
	}
}

// clientStep is one event of client c: it moves on to its next command
// if the current one was applied somewhere, and (re)sends the current one
// to a replica.
func (r *rsRun) clientStep(ci int, cmd int, attempt int) {
	c := r.Clients[ci]
	if r.violated != nil {
		return
	}
	cur := r.command(c, cmd)
	if r.appliedAt[rsKeyOf(cur)] {
		cmd, attempt = cmd+1, 0
		if cmd > c.Cmds {
			r.done++
			return
		}
		cur = r.command(c, cmd)
	}
	r.submitted[rsKeyOf(cur)] = cur
	to := r.P.Nodes[(c.First+attempt+cmd)%len(r.P.Nodes)]
	if err := r.s.Inject(c.Name, to, rsMsg{Req: &cur}); err != nil {
		r.fail("harness: %v", err)
	}
	jitter := time.Duration(r.rng.Int64N(int64(c.Retry)))
	r.s.At(r.s.Now()+c.Retry+jitter, func(*sim.Sim[rsMsg]) { r.clientStep(ci, cmd, attempt+1) })
}

// leaderNow returns the replica that leads now: among those that believe
// they lead, the one most replicas take for the leader; nil if none.
func (r *rsRun) leaderNow() *rsNode {
	var lead *rsNode
	best := -1
	for _, id := range r.P.Nodes {
		n, ok := r.up(id)
		if !ok || !n.r.Leader() {
			continue
		}
		votes := 0 // the replicas that take it for the leader
		for _, o := range r.P.Nodes {
			if m, ok := r.up(o); ok && m.r.LeaderHint() == id {
				votes++
			}
		}
		if votes > best {
			lead, best = n, votes
		}
	}
	return lead
}

// targets resolves the roles and message classes adversarial schedules
// aim at (drawAdversarialCase): "leader" is the replica that leads when
// the fault starts and "followers" every other replica; "catch-up" holds
// catch-up requests and their answers (decisions, snapshots),
// "notices" heartbeats and commit notices, "phase1" prepares and
// promises, "phase2" accepts and their acknowledgements.
func (r *rsRun) targets() simtest.Targets[rsMsg] {
	leader := func(*sim.Sim[rsMsg]) []string {
		if l := r.leaderNow(); l != nil {
			return []string{l.id}
		}
		return nil
	}
	followers := func(*sim.Sim[rsMsg]) []string {
		l := r.leaderNow()
		var out []string
		for _, id := range r.P.Nodes {
			if l == nil || id != l.id {
				out = append(out, id)
			}
		}
		return out
	}
	class := func(types ...paxos.LogMsgType) func(from, to string, m rsMsg) bool {
		return func(_, _ string, m rsMsg) bool { return m.Req == nil && slices.Contains(types, m.Log.Type) }
	}
	// minority is the leader and one follower: cut off together, the
	// leader goes on leading a minority that accepts its proposals but
	// cannot decide them, while the majority elects another leader.
	minority := func(*sim.Sim[rsMsg]) []string {
		l := r.leaderNow()
		if l == nil {
			return nil
		}
		for _, id := range r.P.Nodes {
			if _, up := r.up(id); up && id != l.id {
				return []string{l.id, id}
			}
		}
		return []string{l.id}
	}
	return simtest.Targets[rsMsg]{
		Roles: map[string]func(*sim.Sim[rsMsg]) []string{"leader": leader, "followers": followers, "minority": minority},
		Messages: map[string]func(from, to string, m rsMsg) bool{
			"catch-up": class(paxos.LogCatchUp, paxos.LogDecide, paxos.LogSnapshot),
			"notices":  class(paxos.LogHeartbeat, paxos.LogCommit),
			"phase1":   class(paxos.LogPrepare, paxos.LogPromise),
			"phase2":   class(paxos.LogAccept, paxos.LogAccepted),
		},
	}
}

// strikeLeader applies leader fault f to the replica that leads now, if
// any: a crash ends with a restart unless another fault restarted the
// node meanwhile; an isolation ends by restoring the configured links.
func (r *rsRun) strikeLeader(f simtest.Fault) {
	lead := r.leaderNow()
	if lead == nil {
		return
	}
	id := lead.id
	r.struck = append(r.struck, fmt.Sprintf("%v %s at %v", f.Kind, id, r.s.Now()))
	switch f.Kind {
	case simtest.Crash:
		_ = r.s.Crash(id)
		r.s.At(r.s.Now()+f.For, func(s *sim.Sim[rsMsg]) {
			if !s.Up(id) && r.nodes[id] == lead {
				_ = s.Restart(id)
			}
		})
	case simtest.Pause:
		_ = r.s.Pause(id, f.For)
	case simtest.Partition:
		cut := r.link
		cut.Loss = 1
		for _, o := range r.P.Nodes {
			if o != id {
				_ = r.s.SetLink(id, o, cut)
				_ = r.s.SetLink(o, id, cut)
			}
		}
		r.s.At(r.s.Now()+f.For, func(s *sim.Sim[rsMsg]) {
			for _, o := range r.P.Nodes {
				if o != id {
					_ = s.SetLink(id, o, r.link)
					_ = s.SetLink(o, id, r.link)
				}
			}
		})
	}
}

// command returns client c's command number i (from 1).
func (r *rsRun) command(c rsClient, i int) rsCommand {
	if c.Name == "anon" {
		return rsCommand{Op: fmt.Sprintf("anon-%d", i)}
	}
	return rsCommand{Client: c.Name, Seq: uint64(i), Op: fmt.Sprintf("%s-op%d", c.Name, i)}
}

// complete reports whether every client is done and every replica is up
// and has applied every command.
func (r *rsRun) complete() bool {
	if r.done < len(r.Clients) {
		return false
	}
	for _, id := range r.P.Nodes {
		n, ok := r.up(id)
		if !ok || n.sm == nil {
			return false
		}
		for k := range r.submitted {
			if !n.sm.have[k] {
				return false
			}
		}
	}
	return true
}

// up returns node id's current incarnation if it is up.
func (r *rsRun) up(id string) (*rsNode, bool) {
	if !r.s.Up(id) {
		return nil, false
	}
	n := r.nodes[id]
	return n, n != nil && n.r != nil
}

// fullCheck scans every up replica's log for agreement and validity.
// It also checks each replica's client sessions: the last Seq and result
// a session holds must be those of a command applied there, so that a
// retry is answered with what the state machine returned.
func (r *rsRun) fullCheck() {
	for _, id := range r.P.Nodes {
		n, ok := r.up(id)
		if !ok {
			continue
		}
		n.checkDecided(true)
		for _, c := range r.Clients {
			seq, res, ok := n.r.Session(c.Name)
			if !ok || seq == 0 || c.Name == "anon" {
				continue
			}
			k := rsKeyOf(r.command(c, int(seq)))
			if want, applied := r.results[k]; !n.sm.have[k] || !applied {
				r.fail("exactly-once: %s's session of %s holds Seq %d, which it has not applied", id, c.Name, seq)
			} else if res != want {
				r.fail("exactly-once: %s's session of %s holds result %q for Seq %d, but applying it returned %q", id, c.Name, res, seq, want)
			}
		}
	}
}

// rsMaxEvents bounds a run's events: a run takes a few thousand, so a
// run that reaches it has replicas amplifying messages.
const rsMaxEvents = 1_000_000

// rsMaxWork bounds what a run's messages carry, in messages, entries and
// commands: a storm of large messages can take long before it reaches
// rsMaxEvents.
const rsMaxWork = 2_000_000

// rsHorizon is when the faults are over: each ends by then.
const rsHorizon = time.Second

// drawAdversarialCase draws a run aimed at the rare orders that break
// consensus (the issue 11 agreement violation needed one): five replicas,
// and a swarm-drawn schedule (Groce et al. 2012) of up to twelve faults,
// among them hold-backs of one class of messages (catch-up answers, commit
// notices, phase 1 or 2) for many rounds, and crashes, pauses and
// partitions aimed at whichever replica leads when they start or at its
// followers, which depose leaders in quick succession. The rest (clients,
// clocks, tunables) is drawn as drawCase draws it, without its faults.
func drawAdversarialCase(t *rapid.T) rsCase {
	c := drawCase(t)
	if len(c.P.Nodes) != 5 || c.P.Q2 != 0 {
		// Five replicas with majorities, and clients of the three
		// replicas spread over five.
		c.P.Nodes, c.P.Q2 = []string{"n1", "n2", "n3", "n4", "n5"}, 0
		c.Clocks = drawClocks(t, c.P.Nodes)
		for i := range c.Clients {
			c.Clients[i].First = rapid.IntRange(0, 4).Draw(t, "client first replica")
		}
	}
	c.LeaderFaults, c.Storm, c.Loss, c.Duplicate = nil, stormSpec{}, 0, 0
	// Busy clients, so that commands are in flight on both sides of a
	// partition.
	for i := range c.Clients {
		c.Clients[i].Cmds = max(c.Clients[i].Cmds, rapid.IntRange(5, 40).Draw(t, "busy client commands"))
		c.Clients[i].Retry = min(c.Clients[i].Retry, time.Duration(rapid.IntRange(5, 30).Draw(t, "busy client retry ms"))*time.Millisecond)
	}
	o := simtest.Options{Roles: []string{"leader", "followers", "minority"}, Messages: []string{"catch-up", "notices", "phase1", "phase2"}, MaxFaults: 12}
	if rapid.Bool().Draw(t, "stale leader") {
		// Elections within a tenth of the horizon, so that the pattern
		// fits in it.
		c.P.ElectionTicks = rapid.SampledFrom([]int{2, 3}).Draw(t, "stale leader election ticks")
		c.Schedule.Faults = drawStaleLeader(t, c.P.Nodes, 2*time.Duration(c.P.ElectionTicks)*c.P.Tick)
		slices.SortStableFunc(c.Schedule.Faults, func(a, b simtest.Fault) int { return cmp.Compare(a.At, b.At) })
	} else {
		c.Schedule = simtest.DrawSwarm(t, o).Draw(t, c.P.Nodes, rsHorizon)
	}
	return c
}

// drawStaleLeader draws the faults of Jepsen's classic nemesis for
// leader-based consensus, with the hold-back that issue 11 needed. A
// replica is cut off for a while and falls behind; when it is back, its
// catch-up request is held back. The leader is deposed (cut off for
// longer than an election takes), and if the replica that fell behind
// takes over, it and one follower are then cut off from the majority,
// which elects a third leader and decides over what the minority
// accepted. The held catch-up traffic is released just after that
// partition heals, when the leader of the minority may still believe it
// leads. Durations are in units of the longest election timeout, et.
func drawStaleLeader(t *rapid.T, nodes []string, et time.Duration) []simtest.Fault {
	at := func(lo, hi float64, name string) time.Duration {
		return time.Duration(float64(et) * float64(rapid.IntRange(int(lo*10), int(hi*10)).Draw(t, name)) / 10)
	}
	lag := at(0, 1, "lag at")
	lagFor := at(0.2, 0.45, "lag for") // shorter than any election timeout (et/2)
	depose := lag + lagFor + at(0, 0.5, "depose after")
	deposeFor := at(1, 2, "depose for")
	cut := depose + deposeFor + at(0, 0.5, "minority cut after")
	long := at(1.2, 2.5, "minority cut for")
	release := cut + long + at(0, 0.05, "hold after heal")
	return []simtest.Fault{
		{Kind: simtest.Partition, Nodes: []string{rapid.SampledFrom(nodes).Draw(t, "lagging")}, At: lag, For: lagFor},
		{Kind: simtest.Hold, Messages: "catch-up", At: lag + lagFor, For: release - lag - lagFor},
		{Kind: simtest.Partition, Role: "leader", At: depose, For: deposeFor},
		{Kind: simtest.Partition, Role: "minority", At: cut, For: long},
	}
}

// drawCase draws one run's parameters.
func drawCase(t *rapid.T) rsCase {
	p := rsParams{Nodes: []string{"n1", "n2", "n3"}}
	// Mostly three replicas with majorities; then FPaxos with five
	// (q1=4, q2=2), three with a phase-2 quorum of one (q1=3, q2=1: every
	// replica must answer an election), and five with majorities.
	switch rapid.IntRange(0, 6).Draw(t, "quorum system") {
	case 4:
		p.Nodes, p.Q2 = []string{"n1", "n2", "n3", "n4", "n5"}, 2
	case 5:
		p.Q2 = 1
	case 6:
		p.Nodes = []string{"n1", "n2", "n3", "n4", "n5"}
	}
	p.ElectionTicks = rapid.SampledFrom([]int{10, 5, 3, 2}).Draw(t, "election ticks")
	p.MaxBatch = rapid.SampledFrom([]int{64, 1, 2, 4}).Draw(t, "max batch")
	p.Window = rapid.SampledFrom([]int{32, 1, 2, 4}).Draw(t, "window")
	p.Thrifty = rapid.Bool().Draw(t, "thrifty")
	p.SnapshotEvery = rapid.SampledFrom([]uint64{0, 1, 2, 3, 5}).Draw(t, "snapshot every")
	p.Tick = time.Duration(rapid.IntRange(10, 20).Draw(t, "tick ms")) * time.Millisecond
	p.GroupCommit = rapid.SampledFrom([]time.Duration{0, 0, time.Millisecond, 3 * time.Millisecond}).Draw(t, "group commit")
	p.Disk = rapid.IntRange(0, 3).Draw(t, "disk store") == 0
	run := rsCase{P: p}
	run.Seed = rapid.Uint64().Draw(t, "sim seed")
	run.Schedule = simtest.DrawSchedule(t, p.Nodes, rsHorizon)
	// simtest draws at most four faults; add a burst of short crashes in
	// some runs, so that restarts from durable state (and the catch-up and
	// snapshot installs that follow) are frequent.
	for range rapid.IntRange(0, 8).Draw(t, "extra crashes") {
		at := rapid.IntRange(0, 999).Draw(t, "crash at ms")
		run.Schedule.Faults = append(run.Schedule.Faults, simtest.Fault{
			Kind: simtest.Crash, At: time.Duration(at) * time.Millisecond,
			For:   time.Duration(rapid.IntRange(1, min(100, 1000-at)).Draw(t, "crash for ms")) * time.Millisecond,
			Nodes: []string{rapid.SampledFrom(p.Nodes).Draw(t, "crash node")},
		})
	}
	slices.SortStableFunc(run.Schedule.Faults, func(a, b simtest.Fault) int { return cmp.Compare(a.At, b.At) })
	// And faults aimed at whichever replica leads at the time: a leader
	// change with commands in flight is where retried commands, recovered
	// slots and no-op fills meet, and a paused or cut-off leader that
	// comes back still believing it leads is where stale ballots meet new
	// ones.
	for range rapid.IntRange(0, 6).Draw(t, "leader faults") {
		kind := rapid.SampledFrom([]simtest.FaultKind{simtest.Crash, simtest.Pause, simtest.Partition}).Draw(t, "leader fault")
		at := rapid.IntRange(0, 999).Draw(t, "leader fault at ms")
		run.LeaderFaults = append(run.LeaderFaults, simtest.Fault{
			Kind: kind, At: time.Duration(at) * time.Millisecond,
			For: time.Duration(rapid.IntRange(1, min(200, 1000-at)).Draw(t, "leader fault for ms")) * time.Millisecond,
		})
	}
	slices.SortStableFunc(run.LeaderFaults, func(a, b simtest.Fault) int { return cmp.Compare(a.At, b.At) })
	run.Clocks = drawClocks(t, p.Nodes)
	run.Spread = time.Duration(rapid.IntRange(0, 5).Draw(t, "latency spread ms")) * time.Millisecond
	run.Loss = float64(rapid.IntRange(0, 10).Draw(t, "loss %")) / 100
	run.Duplicate = float64(rapid.IntRange(0, 20).Draw(t, "duplicate %")) / 100
	if rapid.Bool().Draw(t, "storm") {
		at := rapid.IntRange(0, 950).Draw(t, "storm at ms")
		run.Storm = stormSpec{
			At:     time.Duration(at) * time.Millisecond,
			For:    time.Duration(rapid.IntRange(1, 1000-at).Draw(t, "storm for ms")) * time.Millisecond,
			Spread: time.Duration(rapid.IntRange(10, 100).Draw(t, "storm spread ms")) * time.Millisecond,
		}
	}
	// Bad input in one run in four: messages of every type from a
	// stranger, or addressed to another replica, with high ballots,
	// far slots and commands nobody submitted.
	if rapid.IntRange(0, 3).Draw(t, "junk") == 3 {
		for range rapid.IntRange(1, 20).Draw(t, "junk messages") {
			run.Junk = append(run.Junk, drawJunk(t, p.Nodes))
			run.JunkAt = append(run.JunkAt, time.Duration(rapid.IntRange(0, 999).Draw(t, "junk at ms"))*time.Millisecond)
		}
	}
	// A few clients, or (one run in eight) a crowd whose hundreds of
	// commands make logs long enough for catch-up to come in several
	// answers and for a replica to fall far behind.
	nc, most := rapid.IntRange(1, 4).Draw(t, "clients"), 8
	if rapid.IntRange(0, 7).Draw(t, "crowd") == 7 {
		nc, most = rapid.IntRange(10, 40).Draw(t, "crowd clients"), 20
	}
	for i := range nc {
		run.Clients = append(run.Clients, rsClient{
			Name:  "c" + strconv.Itoa(i+1),
			Start: time.Duration(rapid.IntRange(0, 900).Draw(t, "client start ms")) * time.Millisecond,
			Retry: time.Duration(rapid.IntRange(5, 100).Draw(t, "client retry ms")) * time.Millisecond,
			First: rapid.IntRange(0, len(p.Nodes)-1).Draw(t, "client first replica"),
			Cmds:  rapid.IntRange(1, most).Draw(t, "client commands"),
		})
	}
	if rapid.Bool().Draw(t, "a client without session") {
		run.Clients = append(run.Clients, rsClient{
			Name:  "anon",
			Start: time.Duration(rapid.IntRange(0, 900).Draw(t, "anon start ms")) * time.Millisecond,
			Retry: time.Duration(rapid.IntRange(5, 100).Draw(t, "anon retry ms")) * time.Millisecond,
			First: rapid.IntRange(0, len(p.Nodes)-1).Draw(t, "anon first replica"),
			Cmds:  rapid.IntRange(1, 3).Draw(t, "anon commands"),
		})
	}
	return run
}

// drawJunk draws one message of bad input: from the stranger "mallory",
// or from a replica but addressed to another one than it is delivered
// to (execute delivers it to Nodes[0] if To is not Nodes[0], else to
// Nodes[1]).
func drawJunk(t *rapid.T, nodes []string) paxos.LogMessage {
	evil := []paxos.Command{{Client: "mallory", Seq: 1, Op: "evil"}}
	slot := rapid.SampledFrom([]uint64{0, 1, 2, 7, 1 << 20, 1 << 62}).Draw(t, "junk slot")
	round := rapid.SampledFrom([]uint64{0, 1, 2, 1000}).Draw(t, "junk round")
	m := paxos.LogMessage{
		Type:    paxos.LogMsgType(rapid.IntRange(0, 12).Draw(t, "junk type")),
		From:    "mallory",
		To:      rapid.SampledFrom(nodes).Draw(t, "junk to"),
		Entry:   paxos.Entry{Slot: slot, Ballot: paxos.Ballot{Round: round, Node: "mallory"}, Commands: evil},
		Entries: []paxos.Entry{{Slot: slot, Ballot: paxos.Ballot{Round: round, Node: "mallory"}, Commands: evil}},
		Commit:  rapid.SampledFrom([]uint64{0, 1, 5, 1 << 20}).Draw(t, "junk commit"),
		Command: evil[0], Snapshot: []byte("junk"), SnapshotSlot: slot,
	}
	m.Ballot = m.Entry.Ballot
	m.Highest = m.Ballot
	if rapid.Bool().Draw(t, "junk from a replica, misaddressed") {
		m.From = nodes[len(nodes)-1]
		m.Ballot.Node, m.Entry.Ballot.Node, m.Entries[0].Ballot.Node = m.From, m.From, m.From
	}
	return m
}

// newRun prepares c's run: its quorum system and links.
func (c rsCase) newRun() (*rsRun, error) {
	run := &rsRun{rsCase: c, horizon: rsHorizon}
	var err error
	switch {
	case c.P.unsafe():
		l := quorum.Leaves(c.P.Nodes...)
		run.sys, err = quorum.New(quorum.Config{Reads: quorum.Choose(c.P.q1(), l...), Writes: quorum.Choose(c.P.Q2, l...), Unchecked: true})
	case c.P.Q2 > 0:
		run.sys, err = quorum.Flexible(c.P.Nodes, c.P.q1(), c.P.Q2)
	default:
		run.sys, err = quorum.Majority(c.P.Nodes...)
	}
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	run.link = sim.LinkConfig{Latency: sim.Constant(time.Millisecond), Loss: c.Loss, Duplicate: c.Duplicate}
	if c.Spread > 0 {
		run.link.Latency = sim.Uniform(time.Millisecond, time.Millisecond+c.Spread)
	}
	return run, nil
}

// execute runs c (see rsRun.execute): a regression test replays a
// failure's printed case with rsCase{...}.execute().
func (c rsCase) execute() error {
	run, err := c.newRun()
	if err != nil {
		return err
	}
	return run.execute()
}

// rsSchedules counts the schedules run, for the long run's report, and
// rsTotals what they exercised.
var (
	rsSchedules atomic.Int64
	rsTotals    struct {
		events, applies, restores, crashes, drops, dups, elections, contested, junk, junkRefused atomic.Int64
		groupCommit, gcWrites, gcSyncs                                                           atomic.Int64
		disk, diskCrashes, diskSyncs, diskDirSyncs                                               atomic.Int64
	}
)

// runReplicas runs one drawn system to the end and fails the test case if
// it breaks an invariant (see execute).
func runReplicas(t *rapid.T) {
	if err := drawCase(t).execute(); err != nil {
		t.Fatal(err)
	}
}

// execute runs the system and checks it: agreement, validity, log
// integrity and exactly-once after every event that could break them (as
// commands are applied and as the nodes' calls return) and on a full scan
// every 10 ms of simulated time; then, once the faults are over,
// liveness: within 10 simulated seconds every client's command is applied
// on every replica. It returns the first violation, in words, with
// everything needed to replay the run.
func (run *rsRun) execute() error {
	rsSchedules.Add(1)
	run.nodes = map[string]*rsNode{}
	run.submitted = map[string]rsCommand{}
	run.decided = map[uint64]string{}
	run.decidedBy = map[uint64]string{}
	run.appliedAt = map[string]bool{}
	run.results = map[string]string{}
	run.rng = rand.New(rand.NewPCG(run.Seed, 0x5eed))
	run.spec = newSpec(run.sys)
	run.disks = map[string]*sim.Disk{}
	s, err := sim.New(sim.Config{
		Seed: run.Seed, Nodes: run.P.Nodes, Link: run.link, Clocks: run.Clocks, NoTrace: true,
		MaxEvents: rsMaxEvents, ExplicitSync: run.P.GroupCommit > 0,
	}, func(id string) sim.Node[rsMsg] { return &rsNode{run: run, id: id} })
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	run.s = s
	if err := simtest.ApplyWith(s, run.Schedule, run.targets()); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	if st := run.Storm; st.For > 0 {
		slow := run.link
		slow.Latency = sim.Uniform(time.Millisecond, time.Millisecond+st.Spread)
		setAll := func(l sim.LinkConfig) func(*sim.Sim[rsMsg]) {
			return func(s *sim.Sim[rsMsg]) {
				for _, a := range run.P.Nodes {
					for _, b := range run.P.Nodes {
						if a != b {
							_ = s.SetLink(a, b, l)
						}
					}
				}
			}
		}
		s.At(st.At, setAll(slow))
		s.At(st.At+st.For, setAll(run.link))
	}
	for i, m := range run.Junk {
		to := run.P.Nodes[0]
		if m.To == to || m.From == "mallory" {
			to = m.To
		}
		if m.From != "mallory" && m.To == to {
			to = run.P.Nodes[1]
		}
		s.At(run.JunkAt[i], func(s *sim.Sim[rsMsg]) {
			if err := s.Inject("mallory", to, rsMsg{Log: m, Junk: true}); err != nil {
				run.fail("harness: %v", err)
			}
		})
	}
	for _, f := range run.LeaderFaults {
		s.At(f.At, func(s *sim.Sim[rsMsg]) { run.strikeLeader(f) })
	}
	for i, c := range run.Clients {
		s.At(c.Start, func(*sim.Sim[rsMsg]) { run.clientStep(i, 1, 0) })
	}
	deadline := run.horizon + 10*time.Second
	next := 10 * time.Millisecond
	err = s.RunUntil(func() bool {
		if s.Now() >= next {
			run.fullCheck()
			next = s.Now() + 10*time.Millisecond
		}
		return run.violated != nil || s.Now() >= deadline || (s.Now() >= run.horizon && run.complete())
	})
	if errors.Is(err, sim.ErrEventLimit) {
		return fmt.Errorf("bounded work: the replicas handled %d events (a run normally takes a few thousand), a message storm: %w\n%s", rsMaxEvents, err, run.describe())
	}
	if err != nil {
		return fmt.Errorf("the simulation stopped: %w\n%s", err, run.describe())
	}
	if run.violated == nil {
		run.fullCheck()
	}
	st := s.Stats()
	rsTotals.events.Add(int64(st.Events))
	rsTotals.applies.Add(int64(run.applies))
	rsTotals.restores.Add(int64(run.snaps))
	rsTotals.crashes.Add(int64(st.Crashes))
	rsTotals.drops.Add(int64(st.Drops))
	rsTotals.dups.Add(int64(st.Duplicates))
	rsTotals.elections.Add(int64(run.elections))
	rsTotals.contested.Add(int64(run.contested))
	rsTotals.junk.Add(int64(run.junk))
	rsTotals.junkRefused.Add(int64(run.junkRefused))
	if run.P.Disk {
		rsTotals.disk.Add(1)
		for _, d := range run.disks {
			ds := d.Stats()
			rsTotals.diskCrashes.Add(ds.Crashes)
			rsTotals.diskSyncs.Add(ds.Syncs)
			rsTotals.diskDirSyncs.Add(ds.DirSyncs)
		}
	}
	if run.P.GroupCommit > 0 && !run.P.Disk {
		rsTotals.groupCommit.Add(1)
		for _, id := range run.P.Nodes {
			rsTotals.gcWrites.Add(int64(s.Storage(id).Writes()))
			rsTotals.gcSyncs.Add(int64(s.Storage(id).Syncs()))
		}
	}
	if run.violated != nil {
		return fmt.Errorf("%w\n%s", run.violated, run.describe())
	}
	if !run.complete() {
		return fmt.Errorf("liveness: %v after the last fault healed, not every submitted command is applied on every replica: %s\n%s",
			deadline-run.horizon, run.missing(), run.describe())
	}
	return nil
}

// missing describes what liveness lacks, for the failure message.
func (r *rsRun) missing() string {
	var parts []string
	if r.done < len(r.Clients) {
		parts = append(parts, fmt.Sprintf("%d of %d clients finished", r.done, len(r.Clients)))
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range r.submitted {
			if !yield(k) {
				return
			}
		}
	})
	for _, id := range r.P.Nodes {
		n, ok := r.up(id)
		if !ok {
			parts = append(parts, id+" is down")
			continue
		}
		var lack []string
		for _, k := range keys {
			if !n.sm.have[k] {
				lack = append(lack, k)
			}
		}
		if len(lack) > 0 {
			parts = append(parts, fmt.Sprintf("%s (applied %d slots) lacks %q", id, rsApplied(n.r), lack))
		}
	}
	return strings.Join(parts, "; ")
}

// TestReplicaSimulated runs Multi-Paxos replicas ("Paxos Made Simple",
// section 3; majorities of three or five, FPaxos q1=4, q2=2 of five and
// q1=3, q2=1 of three) under
// rapid-drawn conditions (drawCase): message loss, duplication and
// reordering, partitions and one-way blocks, pauses, crashes with restart
// from durable state, crashes, pauses and isolations of the leader, clock
// skew and drift, latency storms in which several replicas compete for
// leadership, clients whose retries go to other replicas, batching, small
// windows, thrifty phase 2, snapshots every few slots and injected bad
// input. It checks agreement, validity, log integrity, exactly-once and
// client sessions throughout, bounded work, and liveness after healing
// (execute).
//
// The default run checks 5 rounds of rapid's default number of schedules
// (100 each, from a fresh random seed per round; -rapid.checks=N changes
// it, -short divides it by 5); PAXOS_LONG=1 runs 100 rounds, PAXOS_LONG=k
// 100·k rounds. The log line (go test -v) reports how many schedules ran
// and what they exercised.
func TestReplicaSimulated(t *testing.T) {
	rounds := 5
	if v := os.Getenv("PAXOS_LONG"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 {
			k = 1
		}
		rounds = 100 * k
	}
	before := rsSchedules.Load()
	for i := range rounds {
		if !t.Run(fmt.Sprintf("round%d", i), rapid.MakeCheck(runReplicas)) {
			break
		}
	}
	t.Logf("%d schedules checked (%d events, %d elections of which %d against a live leader, %d commands applied, %d snapshot restores, %d crashes, %d messages lost, %d duplicated)",
		rsSchedules.Load()-before, rsTotals.events.Load(), rsTotals.elections.Load(), rsTotals.contested.Load(), rsTotals.applies.Load(), rsTotals.restores.Load(),
		rsTotals.crashes.Load(), rsTotals.drops.Load(), rsTotals.dups.Load())
	t.Logf("bad input: %d junk messages delivered, %d of them refused with an error, the others dropped or answered", rsTotals.junk.Load(), rsTotals.junkRefused.Load())
	t.Logf("group commit: %d schedules synced by the replicas' drivers, %d writes made durable by %d syncs (a crash lost what was not synced)",
		rsTotals.groupCommit.Load(), rsTotals.gcWrites.Load(), rsTotals.gcSyncs.Load())
	t.Logf("disk: %d schedules kept the replicas' state in a logstore.Store on a sim.Disk, %d disk crashes at restarts, %d fsyncs, %d directory syncs",
		rsTotals.disk.Load(), rsTotals.diskCrashes.Load(), rsTotals.diskSyncs.Load(), rsTotals.diskDirSyncs.Load())
}

// ---- The parts of the harness that depend on the Replica API.

// rsCommand is a client's command.
type rsCommand = paxos.Command

// rsStore is a paxos.LogStorage in a node's sim.Storage, so that a crash
// keeps exactly what the replica wrote through it: the hard state under
// one key, each acceptance under a key of its own ("e/" and the slot,
// zero-padded so that keys sort by slot) and the snapshot under another.
// Each value is the canonical encoding of a LogState holding only that
// part, so the store exercises the package's own decoder on every
// restart.
type rsStore struct {
	s      *sim.Storage
	forget bool // lose every acceptance: a broken storage the harness must catch
}

const (
	rsHardKey = "hard"
	rsSnapKey = "snap"
	rsEntry   = "e/"
)

func rsEntryKeyOf(slot uint64) string { return fmt.Sprintf("%s%020d", rsEntry, slot) }

func (s *rsStore) put(key string, st paxos.LogState) error {
	b, err := st.MarshalBinary()
	if err != nil {
		return err
	}
	s.s.Put(key, b)
	return nil
}

func (s *rsStore) get(key string) (paxos.LogState, error) {
	var st paxos.LogState
	b, ok := s.s.Get(key)
	if !ok {
		return st, nil
	}
	return st, st.UnmarshalBinary(b)
}

func (s *rsStore) Load() (paxos.LogState, error) {
	hard, err := s.get(rsHardKey)
	if err != nil {
		return paxos.LogState{}, err
	}
	snap, err := s.get(rsSnapKey)
	if err != nil {
		return paxos.LogState{}, err
	}
	out := paxos.LogState{Promised: hard.Promised, Round: hard.Round, SnapshotSlot: snap.SnapshotSlot, Snapshot: snap.Snapshot}
	for _, k := range s.s.Keys() {
		if !strings.HasPrefix(k, rsEntry) {
			continue
		}
		e, err := s.get(k)
		if err != nil {
			return paxos.LogState{}, err
		}
		if len(e.Entries) != 1 {
			return paxos.LogState{}, fmt.Errorf("rsStore: key %s holds %d entries", k, len(e.Entries))
		}
		if e.Entries[0].Slot >= out.SnapshotSlot {
			out.Entries = append(out.Entries, e.Entries[0])
		}
	}
	return out, nil
}

func (s *rsStore) SetHardState(promised paxos.Ballot, round uint64) error {
	return s.put(rsHardKey, paxos.LogState{Promised: promised, Round: round})
}

func (s *rsStore) PutEntry(e paxos.Entry) error {
	if s.forget {
		return nil
	}
	return s.put(rsEntryKeyOf(e.Slot), paxos.LogState{Entries: []paxos.Entry{e}})
}

func (s *rsStore) SetSnapshot(slot uint64, snapshot []byte) error {
	old, err := s.get(rsSnapKey)
	if err != nil {
		return err
	}
	if slot < old.SnapshotSlot {
		return nil
	}
	if err := s.put(rsSnapKey, paxos.LogState{SnapshotSlot: slot, Snapshot: snapshot}); err != nil {
		return err
	}
	for _, k := range s.s.Keys() {
		if strings.HasPrefix(k, rsEntry) && k < rsEntryKeyOf(slot) {
			s.s.Delete(k)
		}
	}
	return nil
}

func rsNewReplica(run *rsRun, id string, st paxos.LogStorage, sm *rsSM) (*paxos.Replica, error) {
	cfg := paxos.ReplicaConfig{
		ID: id, Quorums: run.sys, Unsafe: run.P.unsafe(), ElectionTicks: run.P.ElectionTicks,
		Seed:     run.Seed,
		MaxBatch: run.P.MaxBatch, Window: run.P.Window, Thrifty: run.P.Thrifty,
		SnapshotEvery: run.P.SnapshotEvery, StateMachine: sm, GroupCommit: run.P.GroupCommit > 0 && !run.P.OwnAckAtOnce,
	}
	paxos.Mutate(&cfg, run.mutant)
	paxos.OnLearn(&cfg, func(e paxos.Entry) { run.spec.learn(id, e) })
	return paxos.NewReplica(cfg, st)
}

func rsSubmit(r *paxos.Replica, c rsCommand) ([]paxos.LogMessage, error) { return r.Submit(c) }

func rsEntryCommands(e paxos.Entry) []string {
	var out []string
	for _, c := range e.Commands {
		out = append(out, rsKeyOf(c))
	}
	return out
}

func rsEntryKey(e paxos.Entry) string {
	if e.NoOp {
		return "<no-op>"
	}
	return "[" + strings.Join(rsEntryCommands(e), " ") + "]"
}

func rsApplied(r *paxos.Replica) uint64 { return r.Applied() }

// TestReplicaSimulatedCanFail checks that the harness catches broken
// replicas, so that TestReplicaSimulated passing means something:
//
//   - a storage that silently loses every acceptance (the durability
//     contract broken; "Paxos Made Simple", section 2.3: an acceptor must
//     remember what it accepted across a restart), under many short
//     crashes;
//   - the non-intersecting FPaxos system the issue names, four replicas
//     with phase-1 and phase-2 quorums of 2 (q1 + q2 = n; Howard, Malkhi
//     and Spiegelman 2016 require q1 + q2 > n), under the drawn faults.
//
// In each, some drawn schedule must end in a safety violation.
func TestReplicaSimulatedCanFail(t *testing.T) {
	expect := func(t *testing.T, what string, unsafe bool, breakIt func(t *rapid.T, run *rsRun)) {
		caught := map[string]int{}
		var example string
		rapid.Check(t, func(t *rapid.T) {
			c := drawCase(t)
			if unsafe {
				c.P.Nodes, c.P.Q1, c.P.Q2 = []string{"n1", "n2", "n3", "n4"}, 2, 2
				for i := range c.Clients {
					c.Clients[i].First %= 4
				}
				delete(c.Clocks, "n5")
			}
			run, err := c.newRun()
			if err != nil {
				t.Fatal(err)
			}
			breakIt(t, run)
			if err := run.execute(); err != nil && run.law != "" && run.law != "robustness" {
				caught[run.law]++
				example, _, _ = strings.Cut(err.Error(), "\n")
			}
		})
		if len(caught) == 0 {
			t.Fatalf("the simulation did not catch %s in any schedule: its invariants cannot fail", what)
		}
		t.Logf("violations caught: %v; for example: %s", caught, example)
	}
	t.Run("storage loses acceptances", func(t *testing.T) {
		expect(t, "a storage that loses acceptances", false, func(t *rapid.T, run *rsRun) {
			run.forget, run.P.Disk = true, false
			// Many short crashes, so that acceptances are lost often.
			run.Schedule = simtest.Schedule{}
			for i := range 30 {
				at := time.Duration(i)*30*time.Millisecond + time.Duration(rapid.IntRange(0, 29).Draw(t, "crash at ms"))*time.Millisecond
				run.Schedule.Faults = append(run.Schedule.Faults, simtest.Fault{
					Kind: simtest.Crash, At: at, For: time.Duration(rapid.IntRange(1, 30).Draw(t, "crash for ms")) * time.Millisecond,
					Nodes: []string{rapid.SampledFrom(run.P.Nodes).Draw(t, "crash node")},
				})
			}
		})
	})
	t.Run("group commit that sends before it syncs", func(t *testing.T) {
		expect(t, "a driver that sends what a step returns before syncing", false, func(t *rapid.T, run *rsRun) {
			run.P.GroupCommit, run.P.SendBeforeSync = time.Millisecond, true
		})
	})
	t.Run("group commit that counts the leader's own acceptance at once", func(t *testing.T) {
		expect(t, "a leader that counts its own acceptance before it is durable", false, func(t *rapid.T, run *rsRun) {
			run.P.GroupCommit, run.P.OwnAckAtOnce = 3*time.Millisecond, true
			run.Schedule = simtest.Schedule{}
			for i := range 30 {
				at := time.Duration(i)*30*time.Millisecond + time.Duration(rapid.IntRange(0, 29).Draw(t, "crash at ms"))*time.Millisecond
				run.Schedule.Faults = append(run.Schedule.Faults, simtest.Fault{
					Kind: simtest.Crash, At: at, For: time.Duration(rapid.IntRange(1, 30).Draw(t, "crash for ms")) * time.Millisecond,
					Nodes: []string{rapid.SampledFrom(run.P.Nodes).Draw(t, "crash node")},
				})
			}
		})
	})
	t.Run("group commit on disk that never syncs", func(t *testing.T) {
		expect(t, "a driver that sends without syncing its store on disk", false, func(t *rapid.T, run *rsRun) {
			run.P.GroupCommit, run.P.Disk, run.P.SkipDiskSync = 3*time.Millisecond, true, true
			run.Schedule = simtest.Schedule{}
			for i := range 30 {
				at := time.Duration(i)*30*time.Millisecond + time.Duration(rapid.IntRange(0, 29).Draw(t, "crash at ms"))*time.Millisecond
				run.Schedule.Faults = append(run.Schedule.Faults, simtest.Fault{
					Kind: simtest.Crash, At: at, For: time.Duration(rapid.IntRange(1, 30).Draw(t, "crash for ms")) * time.Millisecond,
					Nodes: []string{rapid.SampledFrom(run.P.Nodes).Draw(t, "crash node")},
				})
			}
		})
	})
	t.Run("non-intersecting quorums", func(t *testing.T) {
		expect(t, "quorums that do not intersect", true, func(t *rapid.T, run *rsRun) {
			// Two sides that each hold a phase-1 and a phase-2 quorum.
			run.Schedule = simtest.Schedule{Faults: []simtest.Fault{{
				Kind: simtest.Partition, At: time.Duration(rapid.IntRange(0, 500).Draw(t, "partition at ms")) * time.Millisecond,
				For: 400 * time.Millisecond, Nodes: []string{"n1", "n2"}, Others: []string{"n3", "n4"},
			}}}
		})
	})
}

// TestReplicaSimulatedRegressions replays cases TestReplicaSimulated
// found, as it printed them. Each failed the "bounded work" check on the
// core before 3d74488: a command without a session, forwarded again on
// every tick and pended twice by a deposed leader, multiplied into
// millions of forwards (/work/notes/paxos-bugs.md, item 2).
func TestReplicaSimulatedRegressions(t *testing.T) {
	ms := time.Millisecond
	cases := map[string]rsCase{
		"forwarding storm, five replicas": {
			P: rsParams{Nodes: []string{"n1", "n2", "n3", "n4", "n5"}, Q2: 2, ElectionTicks: 2, MaxBatch: 2, Window: 1,
				Thrifty: true, SnapshotEvery: 2, Tick: 17 * ms},
			Seed: 39254844627,
			Schedule: simtest.Schedule{Faults: []simtest.Fault{
				{Kind: simtest.Block, At: 0, For: 2 * ms, Nodes: []string{"n1", "n2"}},
				{Kind: simtest.Crash, At: 5 * ms, For: 56 * ms, Nodes: []string{"n1"}},
				{Kind: simtest.Block, At: 8 * ms, For: 3 * ms, Nodes: []string{"n2", "n1"}},
				{Kind: simtest.Block, At: 118 * ms, For: 1 * ms, Nodes: []string{"n1", "n4"}},
				{Kind: simtest.Crash, At: 179 * ms, For: 663 * ms, Nodes: []string{"n4"}}}},
			LeaderFaults: []simtest.Fault{{Kind: simtest.Crash, At: 9 * ms, For: 65 * ms}},
			Clocks: map[string]sim.ClockConfig{"n1": {Offset: -647 * ms, Drift: -0.16}, "n2": {Offset: 55 * ms, Drift: -0.2},
				"n3": {Offset: -1 * ms, Drift: 0.18}, "n4": {Offset: 527 * ms}, "n5": {Offset: 663 * ms, Drift: 0.14}},
			Spread: ms, Loss: 0.1, Duplicate: 0.2,
			Clients: []rsClient{{Name: "c1", Start: 200 * ms, Retry: 40 * ms, Cmds: 7},
				{Name: "anon", Start: 0, Retry: 6 * ms, First: 4, Cmds: 2}},
		},
		"forwarding storm, three replicas and a storm": {
			P:    rsParams{Nodes: []string{"n1", "n2", "n3"}, ElectionTicks: 2, MaxBatch: 2, Window: 1, Thrifty: true, SnapshotEvery: 1, Tick: 12 * ms},
			Seed: 102,
			Schedule: simtest.Schedule{Faults: []simtest.Fault{
				{Kind: simtest.Crash, At: 2 * ms, For: 23 * ms, Nodes: []string{"n2"}},
				{Kind: simtest.Crash, At: 7 * ms, For: 39 * ms, Nodes: []string{"n3"}},
				{Kind: simtest.Crash, At: 14 * ms, For: 85 * ms, Nodes: []string{"n3"}},
				{Kind: simtest.Crash, At: 15 * ms, For: 12 * ms, Nodes: []string{"n1"}},
				{Kind: simtest.Crash, At: 992 * ms, For: 8 * ms, Nodes: []string{"n2"}}}},
			Clocks: map[string]sim.ClockConfig{"n1": {Offset: -1 * ms, Drift: 0.18}, "n2": {Offset: -702 * ms}, "n3": {Offset: -2 * ms, Drift: 0.06}},
			Spread: 5 * ms, Loss: 0.03, Duplicate: 0.15,
			Storm: stormSpec{At: 75 * ms, For: 363 * ms, Spread: 25 * ms},
			Clients: []rsClient{{Name: "c1", Start: 63 * ms, Retry: 15 * ms, First: 1, Cmds: 8},
				{Name: "c2", Start: 27 * ms, Retry: 7 * ms, First: 1, Cmds: 1},
				{Name: "anon", Start: 32 * ms, Retry: 31 * ms, First: 2, Cmds: 3}},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if err := c.execute(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
