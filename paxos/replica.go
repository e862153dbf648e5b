package paxos

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/eventually-perfect/primitives/quorum"
)

// This file is the Multi-Paxos replica: a replicated log in which a leader
// runs phase 1 once for every slot it has not yet seen decided and then
// phase 2 per slot ("Paxos Made Simple", section 3; the leader/acceptor
// split follows "Paxos Made Moderately Complex", van Renesse and
// Altinbuken 2015). On top of the core it batches client commands into
// slots, keeps a window of slots in flight, applies each client command
// at most once (sessions), compacts its log behind snapshots and, when
// Thrifty, sends phase 2 to one phase-2 quorum only (the FPaxos paper,
// Howard, Malkhi and Spiegelman 2016, section 5).

// ErrOverloaded: a replica refuses a command because its queue of
// commands waiting for a slot (or, on a follower, for a leader) is full.
var ErrOverloaded = errors.New("too many pending commands")

// StateMachine is the application the log drives. Apply is called once per
// command, in log order, on every replica; a command whose (Client, Seq)
// was already applied, or whose Seq is below its client's last applied
// Seq, is not applied again (client sessions). Snapshot and Restore serve
// log compaction: Snapshot returns the state after every command applied
// so far; Restore replaces the state with one Snapshot returned, and must
// leave the state unchanged if it returns an error.
//
// Ops and results are byte strings: any bytes, invalid UTF-8 and zero
// bytes included. An Apply that decodes a binary op reads it with
// cmd.OpBytes, without a copy; one whose result is a []byte returns
// string(result), one copy, which the replica keeps as the client's
// session result (Replica.Session) and puts in its snapshots, so it must
// not change afterwards anyway.
type StateMachine interface {
	// Apply applies cmd and returns the result a client would be told
	// (any bytes, of any length).
	Apply(cmd Command) string
	// Snapshot encodes the current state.
	Snapshot() ([]byte, error)
	// Restore replaces the current state with a snapshot.
	Restore(snapshot []byte) error
}

// DurableStateMachine is a StateMachine whose state survives a restart on
// its own (a database, a file), so that a restarted replica must not
// apply again what it already applied. A StateMachine that is not durable
// is rebuilt after a restart from the last snapshot and the log, which
// applies every command after the snapshot again, to a fresh state: that
// is exactly-once for it. A durable one would apply them twice.
//
// The contract: the replica calls Apply for the commands of one slot,
// then SetApplied with the number of slots applied; the state machine
// makes the effects of those Apply calls and the new count durable
// together (one transaction per slot), so that after a crash Applied
// returns a count whose slots' effects are all there and no effect of a
// later slot is. After Restore the replica calls SetApplied with the
// snapshot's slot. At restart NewReplica reads Applied: the slots below
// it are not applied again (their commands still update the client
// sessions, so a retry of one is recognised, but Session reports an empty
// result for a command applied before the restart), and a snapshot older
// than the state machine is not restored into it.
type DurableStateMachine interface {
	StateMachine
	// Applied returns the number of log slots whose commands the durable
	// state reflects.
	Applied() uint64
	// SetApplied records, durably and atomically with the effects of
	// every Apply since the last call, that the state reflects the first
	// n slots of the log. An error stops the replica (ErrStorage).
	SetApplied(n uint64) error
}

// ReplicaConfig describes one Multi-Paxos replica. Only ID and Quorums are
// required; zero tunables take the defaults documented on each field.
type ReplicaConfig struct {
	// ID is this replica's identifier; it must be one of Quorums' nodes.
	ID string
	// Quorums: phase-1 quorums are its read quorums, phase-2 its writes.
	Quorums *quorum.System
	// Unsafe accepts a non-intersecting system (lessons only).
	Unsafe bool
	// ElectionTicks is the base election timeout in ticks; 0 means 10.
	// Each timeout is drawn again in [ElectionTicks, 2*ElectionTicks).
	ElectionTicks int
	// Seed seeds the election jitter (with ID, so replicas sharing a Seed
	// still draw different timeouts); the same Seed replays the same
	// timeouts.
	Seed uint64
	// MaxBatch is the most commands a leader packs into one slot; 0 means
	// 64.
	MaxBatch int
	// Window is the most undecided slots a leader has in flight; further
	// commands queue until slots are decided. 0 means 32.
	Window int
	// Thrifty sends phase 2 to one phase-2 quorum containing the leader
	// (the smallest, the first in the system's order among equals), and
	// phase 1 to one phase-1 quorum containing the candidate, instead of
	// every replica; retransmissions on Tick go to every replica that has
	// not answered, so a failure in that quorum costs a tick or two, not
	// liveness.
	Thrifty bool
	// GroupCommit says that the caller syncs the LogStorage once for
	// several steps (see LogStorage's contract: persist, then send). A
	// leader then counts its own acceptance of a proposal only once it is
	// durable: instead of counting it at once, it returns an acknowledgement
	// addressed to itself (a LogAccepted with From and To its own ID), which
	// the caller hands back to Step after the sync, like every message it
	// sends. Without it, a leader could decide and apply a slot on the
	// strength of an acceptance that a crash before the sync loses, and a
	// DurableStateMachine would keep the effects of a decision that was
	// never made. The acknowledgement is not retransmitted: deliver it
	// locally, never over a network that may lose it. A caller that syncs
	// in every storage call needs no GroupCommit.
	GroupCommit bool
	// SnapshotEvery makes a replica snapshot its state machine and compact
	// its log after this many applied slots; 0 never.
	SnapshotEvery uint64
	// StateMachine receives the decided commands; nil keeps only the log
	// (and the sessions).
	StateMachine StateMachine

	// mutant, for the package's tests only, breaks one rule on purpose
	// (mutant.go).
	mutant mutant
	// learned, for the package's tests only, is told every entry the
	// replica learns, before it is applied or compacted: the
	// specification checker's view of the learner.
	learned func(Entry)
}

// Limits that bound what a replica keeps or accepts, so that no message
// can make it allocate without bound.
const (
	maxWindow        = 1 << 12
	maxBatch         = 1 << 16
	maxElectionTicks = 1 << 20
	// maxAhead is how far beyond its decided prefix an acceptor accepts.
	maxAhead = 1 << 16
	// maxSlot bounds every slot number a message may carry.
	maxSlot = 1 << 62
	// maxCatchUp is the most decisions one catch-up answer carries.
	maxCatchUp = 256
	// maxQueued bounds a leader's queue and a follower's pending commands.
	maxQueued = 1 << 20
)

// ReplicaStats counts what a replica did with the messages and commands
// it was given. The zero value is all zeros.
type ReplicaStats struct {
	// Dropped counts messages dropped: misaddressed, from unknown nodes,
	// malformed, stale (an old ballot), duplicate, or about slots out of
	// range (compacted, or too far ahead).
	Dropped uint64
	// Nacks counts Nacks sent.
	Nacks uint64
	// Elections counts elections started.
	Elections uint64
	// Proposed counts slots proposed as leader (re-proposals included).
	Proposed uint64
	// Applied counts commands applied.
	Applied uint64
	// Duplicates counts commands not applied, or not proposed, again
	// because their session says they already were.
	Duplicates uint64
	// SnapshotsTaken, SnapshotsSent and SnapshotsInstalled count log
	// compactions, snapshots sent for catch-up (in a LogSnapshot or a
	// Promise), and snapshots received and restored.
	SnapshotsTaken, SnapshotsSent, SnapshotsInstalled uint64
	// CatchUps counts catch-up requests answered.
	CatchUps uint64
}

const (
	follower = iota
	candidate
	leader
)

// slotRec is what a replica knows of one slot: its acceptance (or, once
// decided, the decided entry; e.Ballot is zero if neither) and, on the
// leader, its undecided proposal's acknowledgements.
type slotRec struct {
	e        Entry
	decided  bool
	proposed bool
	acks     quorum.Set
	sent     uint64 // tick of the last Accept sent
}

// Replica is a Multi-Paxos replica: acceptor, learner and, when elected,
// leader. It is a deterministic state machine: Submit, Step and Tick
// return the messages to send, after writing what they depend on to its
// LogStorage, and apply decided commands to its StateMachine. It is not
// safe for concurrent use.
type Replica struct {
	cfg     ReplicaConfig
	sys     *quorum.System
	names   []string
	self    int
	storage LogStorage
	sm      StateMachine
	durable DurableStateMachine // sm, if it is durable
	replay  uint64              // the slots below it were applied before a restart: sessions only
	pcg     *rand.PCG
	rng     *rand.Rand
	targets []string // where a leader sends phase 2 first
	p1      []string // where a candidate sends phase 1 first
	others  []string

	promised Ballot
	round    uint64

	role       int
	ballot     Ballot // this replica's ballot as candidate or leader
	known      Ballot // the highest ballot heard from a leader or candidate
	leaderHint string
	elapsed    int
	timeout    int
	ticks      uint64

	promises quorum.Set
	merged   map[uint64]Entry

	base    uint64           // compaction point: slots below are in snap
	slots   chunked[slotRec] // slots.at(i) is slot base+i
	commit  uint64           // decided and applied prefix length
	snap    []byte
	noticeB Ballot // the ballot of the highest commit notice heard
	noticeC uint64 // and its commit

	clients map[string]*client // the sessions, and a leader's commands queued or in flight
	lastID  string             // a cache of the last client looked up
	lastC   *client

	next     uint64
	inflight int
	queue    []Command
	qhead    int

	pending []Command

	stats ReplicaStats
}

// NewReplica returns the replica described by cfg, restored from the
// LogState in st (its snapshot restored into cfg.StateMachine). An
// incomplete or inconsistent cfg is an error wrapping ErrInvalidConfig
// (ErrNoIntersection for a non-intersecting system without Unsafe).
func NewReplica(cfg ReplicaConfig, st LogStorage) (*Replica, error) {
	if cfg.ID == "" || cfg.Quorums == nil || st == nil {
		return nil, fmt.Errorf("paxos: replica config needs an ID, a quorum system and a storage: %w", ErrInvalidConfig)
	}
	if cfg.ElectionTicks < 0 || cfg.ElectionTicks > maxElectionTicks || cfg.MaxBatch < 0 || cfg.MaxBatch > maxBatch ||
		cfg.Window < 0 || cfg.Window > maxWindow {
		return nil, fmt.Errorf("paxos: replica config: ElectionTicks %d, MaxBatch %d or Window %d out of range: %w",
			cfg.ElectionTicks, cfg.MaxBatch, cfg.Window, ErrInvalidConfig)
	}
	self, ok := cfg.Quorums.Index(cfg.ID)
	if !ok {
		return nil, fmt.Errorf("paxos: replica %q is not in %v: %w", cfg.ID, cfg.Quorums, ErrInvalidConfig)
	}
	if !cfg.Quorums.Intersecting() && !cfg.Unsafe {
		return nil, fmt.Errorf("paxos: %v: %w", cfg.Quorums, ErrNoIntersection)
	}
	if cfg.ElectionTicks == 0 {
		cfg.ElectionTicks = 10
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = 64
	}
	if cfg.Window == 0 {
		cfg.Window = 32
	}
	s, err := st.Load()
	if err != nil {
		return nil, fmt.Errorf("paxos: load: %w: %w", ErrStorage, err)
	}
	r := &Replica{cfg: cfg, sys: cfg.Quorums, names: cfg.Quorums.Names(), self: self, storage: st,
		sm: cfg.StateMachine, clients: map[string]*client{}}
	if d, ok := cfg.StateMachine.(DurableStateMachine); ok {
		r.durable, r.replay = d, d.Applied()
	}
	r.pcg = rand.NewPCG(cfg.Seed, fnv64(cfg.ID))
	r.rng = rand.New(r.pcg)
	r.timeout = r.drawTimeout()
	for _, n := range r.names {
		if n != cfg.ID {
			r.others = append(r.others, n)
		}
	}
	r.targets, r.p1 = r.others, r.others
	if cfg.Thrifty {
		r.targets, r.p1 = r.thriftyTargets(quorum.Write), r.thriftyTargets(quorum.Read)
	}
	r.promised, r.round = s.Promised, s.Round
	if s.SnapshotSlot > 0 || len(s.Snapshot) > 0 {
		clients, app, err := decodeSnapshot(s.Snapshot)
		if err != nil {
			return nil, fmt.Errorf("paxos: load snapshot: %w", err)
		}
		if r.sm != nil && (r.durable == nil || r.durable.Applied() < s.SnapshotSlot) {
			if err := r.restore(s.SnapshotSlot, app); err != nil {
				return nil, fmt.Errorf("paxos: restore snapshot: %w: %w", ErrStorage, err)
			}
		}
		r.clients, r.snap, r.base, r.commit = clients, s.Snapshot, s.SnapshotSlot, s.SnapshotSlot
	}
	for _, e := range s.Entries {
		if e.Slot >= r.base && e.Slot < maxSlot {
			r.at(e.Slot).e = e
		}
	}
	r.next = r.commit
	return r, nil
}

// thriftyTargets returns the others in the smallest quorum of side that
// contains this replica (the first such in the system's order).
func (r *Replica) thriftyTargets(side quorum.Side) []string {
	qs, err := r.sys.MinimalQuorums(side)
	if err != nil {
		return r.others
	}
	best := -1
	for i, q := range qs {
		if q.Has(r.self) && (best < 0 || q.Len() < qs[best].Len()) {
			best = i
		}
	}
	if best < 0 {
		return r.others
	}
	var out []string
	for _, n := range r.sys.NamesOf(qs[best]) {
		if n != r.cfg.ID {
			out = append(out, n)
		}
	}
	return out
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func (r *Replica) drawTimeout() int {
	return r.cfg.ElectionTicks + r.rng.IntN(r.cfg.ElectionTicks)
}

// at returns the record of slot s >= r.base, growing the log to hold it.
func (r *Replica) at(s uint64) *slotRec {
	i := int(s - r.base)
	if i >= r.slots.len() {
		r.slots.extend(i + 1)
	}
	return r.slots.at(i)
}

// get returns the record of slot s, or nil if it is compacted or beyond
// the log.
func (r *Replica) get(s uint64) *slotRec {
	if s < r.base || s-r.base >= uint64(r.slots.len()) {
		return nil
	}
	return r.slots.at(int(s - r.base))
}

// Log returns the decided entries still in memory, from the compaction
// point to the decided prefix, no-ops included. It costs one allocation
// of their number.
func (r *Replica) Log() []Entry {
	out := make([]Entry, 0, r.commit-r.base)
	for s := r.base; s < r.commit; s++ {
		out = append(out, r.slots.at(int(s-r.base)).e)
	}
	return out
}

// Decided returns the entry decided in slot, if this replica knows it and
// has not compacted it.
func (r *Replica) Decided(slot uint64) (Entry, bool) {
	if rec := r.get(slot); rec != nil && rec.decided {
		return rec.e, true
	}
	return Entry{}, false
}

// Leader reports whether this replica is the leader of its ballot.
func (r *Replica) Leader() bool { return r.role == leader }

// LeaderHint returns the replica believed to lead ("" if unknown): this
// replica if it leads, else the sender of the last accept, commit notice
// or heartbeat heard from a leader.
func (r *Replica) LeaderHint() string {
	if r.role == leader {
		return r.cfg.ID
	}
	return r.leaderHint
}

// Applied returns the number of slots applied: the length of the log
// prefix that is decided and applied to the StateMachine.
func (r *Replica) Applied() uint64 { return r.commit }

// Compacted returns the compaction point: the slots below it are only in
// the snapshot.
func (r *Replica) Compacted() uint64 { return r.base }

// Stats returns the replica's counters.
func (r *Replica) Stats() ReplicaStats { return r.stats }

// Session returns the last Seq applied for client and the result the
// StateMachine returned for it; ok is false if none of client's commands
// has been applied here.
func (r *Replica) Session(client string) (seq uint64, result string, ok bool) {
	c := r.clients[client]
	if c == nil || c.last == 0 {
		return 0, "", false
	}
	return c.last, c.result, true
}

// done reports whether cmd's session says it was applied.
func (r *Replica) done(cmd Command) bool {
	if cmd.Client == "" {
		return false
	}
	c := r.client(cmd.Client, false)
	return c != nil && c.applied(cmd.Seq)
}

// checkLogMessage rejects what no correct replica sends.
func checkLogMessage(m LogMessage) error {
	if m.Type < LogPrepare || m.Type > logMsgTypes {
		return fmt.Errorf("paxos: log message type %d: %w", m.Type, ErrBadMessage)
	}
	switch m.Type {
	case LogPrepare, LogAccept, LogHeartbeat, LogCommit:
		if m.Ballot.Node != m.From || m.Ballot.Round == 0 {
			return fmt.Errorf("paxos: %v from %q: ballot not the sender's: %w", m, m.From, ErrBadMessage)
		}
	}
	if m.Commit >= maxSlot || m.SnapshotSlot >= maxSlot || m.Entry.Slot >= maxSlot {
		return fmt.Errorf("paxos: %v: slot out of range: %w", m, ErrBadMessage)
	}
	if err := checkEntry(m.Entry); err != nil {
		return fmt.Errorf("paxos: %v: %w: %w", m, ErrBadMessage, err)
	}
	for _, e := range m.Entries {
		if err := checkEntry(e); err != nil {
			return fmt.Errorf("paxos: %v: %w: %w", m, ErrBadMessage, err)
		}
	}
	if err := checkCommand(m.Command); err != nil {
		return fmt.Errorf("paxos: %v: %w: %w", m, ErrBadMessage, err)
	}
	return nil
}

// checkEntry rejects an entry no correct replica proposes.
func checkEntry(e Entry) error {
	if e.Slot >= maxSlot {
		return fmt.Errorf("entry slot %d out of range", e.Slot)
	}
	if e.NoOp && len(e.Commands) > 0 {
		return fmt.Errorf("entry %d: a no-op with commands", e.Slot)
	}
	for _, c := range e.Commands {
		if err := checkCommand(c); err != nil {
			return err
		}
	}
	return nil
}

// Step handles one message addressed to this replica. A message for
// another replica or from a node that is not a replica is an error
// wrapping ErrUnknownNode, a malformed one (unknown type, a leader's
// ballot not the sender's, a slot beyond any log, a no-op with commands)
// wraps ErrBadMessage; both are counted in Stats().Dropped and change
// nothing. Stale, duplicate and out-of-range messages are dropped and
// counted, or answered with a Nack, without an error.
func (r *Replica) Step(m LogMessage) ([]LogMessage, error) {
	if m.To != r.cfg.ID {
		r.stats.Dropped++
		return nil, fmt.Errorf("paxos: message to %q reached %q: %w", m.To, r.cfg.ID, ErrUnknownNode)
	}
	from, ok := r.sys.Index(m.From)
	if !ok {
		r.stats.Dropped++
		return nil, fmt.Errorf("paxos: message from %q, not a replica: %w", m.From, ErrUnknownNode)
	}
	if err := checkLogMessage(m); err != nil {
		r.stats.Dropped++
		return nil, err
	}
	var out []LogMessage
	if err := r.step(m, from, &out); err != nil {
		return nil, err
	}
	return r.local(out)
}

// local handles the messages in out addressed to this replica itself
// (and those they cause) and returns the others.
func (r *Replica) local(out []LogMessage) ([]LogMessage, error) {
	if !slices.ContainsFunc(out, func(m LogMessage) bool { return m.To == r.cfg.ID }) {
		return out, nil
	}
	var rest []LogMessage
	for i := 0; i < len(out); i++ {
		if out[i].To != r.cfg.ID || r.cfg.GroupCommit && out[i].Type == LogAccepted {
			rest = append(rest, out[i]) // (a leader's own acknowledgement waits for the sync)
			continue
		}
		if err := r.step(out[i], r.self, &out); err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// step handles one message by the role it addresses: the acceptor
// (prepare, accept), the candidate (promise, nack), the leader (accepted,
// forward) and the learner (heartbeat and commit notices, decisions,
// catch-up, snapshots). Each handler is in the file of its role.
func (r *Replica) step(m LogMessage, from int, out *[]LogMessage) error {
	switch m.Type {
	case LogPrepare:
		return r.onPrepare(m, out)
	case LogAccept:
		return r.onAccept(m, out)
	case LogPromise:
		return r.onPromise(m, from, out)
	case LogNack:
		return r.onNack(m, out)
	case LogAccepted:
		return r.onAccepted(m, from, out)
	case LogForward:
		return r.onForward(m, out)
	case LogHeartbeat, LogCommit:
		return r.onNotice(m, out)
	case LogDecide:
		return r.onDecide(m, out)
	case LogCatchUp:
		r.onCatchUp(m, out)
	case LogSnapshot:
		return r.onSnapshot(m)
	}
	return nil
}

// reply appends x to out as an answer to m.
func (r *Replica) reply(m LogMessage, x LogMessage, out *[]LogMessage) {
	x.From, x.To = r.cfg.ID, m.From
	*out = append(*out, x)
}

// Tick advances the replica's logical clock by one tick. A leader sends
// heartbeats carrying its decided prefix and retransmits, to every
// replica that has not answered, the proposals it sent before the
// previous tick. Another replica forwards its pending commands (the
// oldest Window*MaxBatch) to the leader it knows and, once its election
// timeout has passed without a word from a leader, starts an election
// with a ballot above any it has seen and draws its next timeout.
func (r *Replica) Tick() ([]LogMessage, error) {
	r.ticks++
	var out []LogMessage
	if r.role == leader {
		r.leaderTick(&out)
		// Whatever freed the window, the queue moves at least once a tick.
		if err := r.flush(&out); err != nil {
			return nil, err
		}
		return out, nil
	}
	r.elapsed++
	r.candidateTick(&out)
	r.forwardPending(&out)
	if r.elapsed < r.timeout {
		return out, nil
	}
	if err := r.campaign(&out); err != nil {
		return nil, err
	}
	return r.local(out)
}

// Clone returns a deep copy of the replica that writes to st and applies
// to sm (which must hold a copy of the state r's StateMachine holds; nil
// for none): explorers copy a replica to follow two futures from one
// state. It costs O(log in memory + sessions).
func (r *Replica) Clone(st LogStorage, sm StateMachine) *Replica {
	c := *r
	c.storage, c.sm, c.cfg.StateMachine = st, sm, sm
	c.durable, _ = sm.(DurableStateMachine)
	pcg := *r.pcg
	c.pcg = &pcg
	c.rng = rand.New(c.pcg)
	if r.merged != nil {
		c.merged = maps.Clone(r.merged)
	}
	c.slots = r.slots.clone()
	c.queue = slices.Clone(r.queue)
	c.pending = slices.Clone(r.pending)
	c.clients = make(map[string]*client, len(r.clients))
	for id, cl := range r.clients {
		x := *cl
		x.above, x.held = slices.Clone(cl.above), slices.Clone(cl.held)
		c.clients[id] = &x
	}
	c.lastID, c.lastC = "", nil
	return &c
}

// AppendState appends a canonical encoding of the replica's whole state
// (durable and volatile, the jitter source included, the counters
// excluded) to b: two replicas with equal encodings behave alike. The
// exhaustive explorer uses it to recognise states already visited.
func (r *Replica) AppendState(b []byte) []byte {
	b = appendString(b, r.cfg.ID)
	b = appendBallot(b, r.promised)
	b = binary.AppendUvarint(b, r.round)
	b = append(b, byte(r.role))
	b = appendBallot(b, r.ballot)
	b = appendBallot(b, r.known)
	b = appendString(b, r.leaderHint)
	b = binary.AppendUvarint(b, uint64(r.elapsed))
	b = binary.AppendUvarint(b, uint64(r.timeout))
	b = binary.AppendUvarint(b, r.ticks)
	if st, err := r.pcg.MarshalBinary(); err == nil {
		b = appendBytes(b, st)
	}
	b = binary.AppendUvarint(b, uint64(r.promises))
	merged := make([]uint64, 0, len(r.merged))
	for s := range r.merged {
		merged = append(merged, s)
	}
	slices.Sort(merged)
	b = binary.AppendUvarint(b, uint64(len(merged)))
	for _, s := range merged {
		b = appendEntry(b, r.merged[s])
	}
	b = binary.AppendUvarint(b, r.base)
	b = binary.AppendUvarint(b, r.commit)
	b = binary.AppendUvarint(b, r.replay)
	b = appendBytes(b, r.snap)
	b = appendBallot(b, r.noticeB)
	b = binary.AppendUvarint(b, r.noticeC)
	b = binary.AppendUvarint(b, uint64(r.slots.len()))
	for i := range r.slots.len() {
		rec := r.slots.at(i)
		b = appendEntry(b, rec.e)
		b = append(b, boolByte(rec.decided), boolByte(rec.proposed))
		b = binary.AppendUvarint(b, uint64(rec.acks))
		b = binary.AppendUvarint(b, rec.sent)
	}
	b = appendBytes(b, encodeSnapshot(r.clients, nil))
	ids := make([]string, 0, len(r.clients))
	for id, c := range r.clients {
		if c.h < len(c.held) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = appendString(b, id)
		held := r.clients[id].held[r.clients[id].h:]
		b = binary.AppendUvarint(b, uint64(len(held)))
		for _, x := range held {
			b = binary.AppendUvarint(b, x)
		}
	}
	b = binary.AppendUvarint(b, r.next)
	b = binary.AppendUvarint(b, uint64(r.inflight))
	b = binary.AppendUvarint(b, uint64(len(r.queue)-r.qhead))
	for _, c := range r.queue[r.qhead:] {
		b = appendCommand(b, c)
	}
	b = binary.AppendUvarint(b, uint64(len(r.pending)))
	for _, c := range r.pending {
		b = appendCommand(b, c)
	}
	return b
}
