package paxos

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/eventually-perfect/primitives/quorum"
)

// This file is the Multi-Paxos core: a replicated log in which a leader
// runs phase 1 once for every slot it has not yet seen decided and then
// phase 2 per slot ("Paxos Made Simple", section 3), fills the gaps it
// finds after a leader change with no-ops, announces decisions to every
// replica, and lets lagging replicas catch up. It is the core only: no
// batching, pipeline window, client sessions or snapshots yet.

// Entry is one slot of the log: the value accepted (or decided) in it and
// the ballot that proposed it. NoOp marks the filler a new leader puts in
// a slot where nothing was accepted.
type Entry struct {
	Slot   uint64
	Ballot Ballot
	Value  string
	NoOp   bool
}

// LogState is what a Replica persists: the acceptor's promise, the
// highest round its leader used, and the acceptor's highest-ballot
// acceptance per slot, sorted by slot. The durability contract of State
// applies: it is saved before any message that depends on it is sent.
type LogState struct {
	Promised Ballot
	Round    uint64
	Entries  []Entry
}

// AppendBinary appends the canonical encoding of s to b.
func (s LogState) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, stateVersion)
	b = appendBallot(b, s.Promised)
	b = binary.AppendUvarint(b, s.Round)
	b = binary.AppendUvarint(b, uint64(len(s.Entries)))
	for _, e := range s.Entries {
		b = binary.AppendUvarint(b, e.Slot)
		b = appendBallot(b, e.Ballot)
		b = appendString(b, e.Value)
		b = append(b, boolByte(e.NoOp))
	}
	return b, nil
}

// MarshalBinary returns the encoding of AppendBinary.
func (s LogState) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary decodes what AppendBinary encoded; malformed input is an
// error wrapping ErrCorrupt and leaves s unchanged.
func (s *LogState) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	if v := d.byte(); v != stateVersion && d.err == nil {
		d.fail("unknown version %d", v)
	}
	var t LogState
	t.Promised = d.ballot()
	t.Round = d.uvarint()
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("%d entries in %d bytes", n, len(d.b))
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		e := Entry{Slot: d.uvarint(), Ballot: d.ballot(), Value: d.string()}
		switch d.byte() {
		case 0:
		case 1:
			e.NoOp = true
		default:
			d.fail("bad no-op flag")
		}
		if d.err == nil && len(t.Entries) > 0 && t.Entries[len(t.Entries)-1].Slot >= e.Slot {
			d.fail("entries out of order")
		}
		t.Entries = append(t.Entries, e)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	*s = t
	return nil
}

// LogStorage is where a Replica keeps its LogState across crashes; Save
// must be durable when it returns.
type LogStorage interface {
	Load() (LogState, error)
	Save(s LogState) error
}

// MemoryLogStorage is a LogStorage in memory. The zero value is empty.
type MemoryLogStorage struct{ st LogState }

// Load returns the LogState last saved.
func (m *MemoryLogStorage) Load() (LogState, error) {
	s := m.st
	s.Entries = slices.Clone(s.Entries)
	return s, nil
}

// Save replaces the stored LogState.
func (m *MemoryLogStorage) Save(s LogState) error {
	s.Entries = slices.Clone(s.Entries)
	m.st = s
	return nil
}

// LogMsgType says what a LogMessage is.
type LogMsgType uint8

// The Multi-Paxos messages.
const (
	LogPrepare   LogMsgType = iota + 1 // phase 1a for every slot
	LogPromise                         // phase 1b, with the acceptor's Entries
	LogAccept                          // phase 2a for Entry
	LogAccepted                        // phase 2b for Entry.Slot
	LogNack                            // refusal; Highest is the promise
	LogDecide                          // Entry is decided
	LogHeartbeat                       // the leader is alive; Commit is its decided prefix
	LogCatchUp                         // send me the decisions from Commit on
	LogForward                         // a command for the leader to propose
)

// LogMessage is what replicas send one another. Treat it as immutable.
type LogMessage struct {
	Type     LogMsgType
	From, To string
	Ballot   Ballot
	Entry    Entry
	Entries  []Entry
	Highest  Ballot
	Commit   uint64
	Command  string
}

// String formats the message for traces.
func (m LogMessage) String() string {
	switch m.Type {
	case LogPrepare:
		return fmt.Sprintf("prepare %v", m.Ballot)
	case LogPromise:
		return fmt.Sprintf("promise %v (%d entries)", m.Ballot, len(m.Entries))
	case LogAccept:
		return fmt.Sprintf("accept %v [%d]=%s", m.Ballot, m.Entry.Slot, entryText(m.Entry))
	case LogAccepted:
		return fmt.Sprintf("accepted %v [%d]", m.Ballot, m.Entry.Slot)
	case LogNack:
		return fmt.Sprintf("nack %v (promised %v)", m.Ballot, m.Highest)
	case LogDecide:
		return fmt.Sprintf("decide [%d]=%s", m.Entry.Slot, entryText(m.Entry))
	case LogHeartbeat:
		return fmt.Sprintf("heartbeat %v commit %d", m.Ballot, m.Commit)
	case LogCatchUp:
		return fmt.Sprintf("catch-up from %d", m.Commit)
	case LogForward:
		return "forward " + m.Command
	}
	return fmt.Sprintf("logmsg(%d)", m.Type)
}

func entryText(e Entry) string {
	if e.NoOp {
		return "no-op"
	}
	return e.Value
}

// ReplicaConfig describes one Multi-Paxos replica.
type ReplicaConfig struct {
	// ID is this replica's identifier; it must be one of Quorums' nodes.
	ID string
	// Quorums: phase-1 quorums are its read quorums, phase-2 its writes.
	Quorums *quorum.System
	// Unsafe accepts a non-intersecting system (lessons only).
	Unsafe bool
	// ElectionTicks is how many ticks without hearing from a leader make a
	// replica start an election; 0 means 10. Drivers jitter tick periods.
	ElectionTicks int
}

const (
	follower = iota
	candidate
	leader
)

// Replica is a Multi-Paxos replica: acceptor, learner and, when elected,
// leader. Like Node it is a deterministic state machine: Submit, Step and
// Tick return the messages to send, after saving what they depend on.
type Replica struct {
	cfg     ReplicaConfig
	sys     *quorum.System
	names   []string
	storage LogStorage
	st      LogState

	role     int
	ballot   Ballot // this replica's ballot as candidate or leader
	known    Ballot // the highest ballot heard from a leader or candidate
	elapsed  int
	promises quorum.Set
	merged   map[uint64]Entry
	next     uint64
	props    map[uint64]*proposal

	decided map[uint64]Entry
	commit  uint64 // decided prefix length
	pending []string
}

type proposal struct {
	e    Entry
	acks quorum.Set
}

// NewReplica returns the replica described by cfg with the LogState in st.
func NewReplica(cfg ReplicaConfig, st LogStorage) (*Replica, error) {
	if cfg.ID == "" || cfg.Quorums == nil || st == nil || cfg.ElectionTicks < 0 {
		return nil, fmt.Errorf("paxos: replica config needs an ID, a quorum system and a storage: %w", ErrInvalidConfig)
	}
	if _, ok := cfg.Quorums.Index(cfg.ID); !ok {
		return nil, fmt.Errorf("paxos: replica %q is not in %v: %w", cfg.ID, cfg.Quorums, ErrInvalidConfig)
	}
	if !cfg.Quorums.Intersecting() && !cfg.Unsafe {
		return nil, fmt.Errorf("paxos: %v: %w", cfg.Quorums, ErrNoIntersection)
	}
	if cfg.ElectionTicks == 0 {
		cfg.ElectionTicks = 10
	}
	s, err := st.Load()
	if err != nil {
		return nil, fmt.Errorf("paxos: load: %w: %w", ErrStorage, err)
	}
	return &Replica{cfg: cfg, sys: cfg.Quorums, names: cfg.Quorums.Names(), storage: st, st: s,
		decided: map[uint64]Entry{}, props: map[uint64]*proposal{}}, nil
}

// Log returns the decided prefix of the log, no-ops included.
func (r *Replica) Log() []Entry {
	out := make([]Entry, r.commit)
	for i := range out {
		out[i] = r.decided[uint64(i)]
	}
	return out
}

// Decided returns the entry decided in slot, if this replica knows it.
func (r *Replica) Decided(slot uint64) (Entry, bool) { e, ok := r.decided[slot]; return e, ok }

// Leader reports whether this replica is the leader of its ballot.
func (r *Replica) Leader() bool { return r.role == leader }

// Submit asks the replicated log to decide cmd: the leader proposes it in
// its next slot; another replica forwards it to the leader it knows and
// forwards it again on every Tick until it sees it decided.
func (r *Replica) Submit(cmd string) ([]LogMessage, error) {
	var out []LogMessage
	if r.role == leader {
		if err := r.propose(Entry{Value: cmd}, &out); err != nil {
			return nil, err
		}
		return r.local(out)
	}
	r.pending = append(r.pending, cmd)
	if r.known.Node != "" && r.known.Node != r.cfg.ID {
		out = append(out, LogMessage{Type: LogForward, From: r.cfg.ID, To: r.known.Node, Command: cmd})
	}
	return out, nil
}

// Tick advances the replica's logical clock by one tick: a leader sends a
// heartbeat and retransmits undecided proposals; another replica forwards
// its pending commands and, after ElectionTicks without a leader, starts
// an election with a ballot above any it has seen.
func (r *Replica) Tick() ([]LogMessage, error) {
	var out []LogMessage
	if r.role == leader {
		for _, a := range r.names {
			if a != r.cfg.ID {
				out = append(out, LogMessage{Type: LogHeartbeat, From: r.cfg.ID, To: a, Ballot: r.ballot, Commit: r.commit})
			}
		}
		for _, s := range sortedKeys(r.props) {
			for _, a := range r.names {
				if a != r.cfg.ID {
					out = append(out, LogMessage{Type: LogAccept, From: r.cfg.ID, To: a, Ballot: r.ballot, Entry: r.props[s].e})
				}
			}
		}
		return out, nil
	}
	r.elapsed++
	if r.known.Node != "" && r.known.Node != r.cfg.ID {
		for _, c := range r.pending {
			out = append(out, LogMessage{Type: LogForward, From: r.cfg.ID, To: r.known.Node, Command: c})
		}
	}
	if r.elapsed < r.cfg.ElectionTicks {
		return out, nil
	}
	r.elapsed = 0
	s := r.st
	s.Round = max(s.Round, r.st.Promised.Round, r.known.Round) + 1
	if err := r.save(s); err != nil {
		return nil, err
	}
	r.role, r.ballot, r.promises = candidate, Ballot{Round: s.Round, Node: r.cfg.ID}, 0
	r.merged = map[uint64]Entry{}
	for _, a := range r.names {
		out = append(out, LogMessage{Type: LogPrepare, From: r.cfg.ID, To: a, Ballot: r.ballot})
	}
	return r.local(out)
}

// Step handles one message addressed to this replica.
func (r *Replica) Step(m LogMessage) ([]LogMessage, error) {
	if m.To != r.cfg.ID {
		return nil, fmt.Errorf("paxos: message to %q reached %q: %w", m.To, r.cfg.ID, ErrUnknownNode)
	}
	if _, ok := r.sys.Index(m.From); !ok {
		return nil, fmt.Errorf("paxos: message from %q, not a replica: %w", m.From, ErrUnknownNode)
	}
	if m.Type < LogPrepare || m.Type > LogForward {
		return nil, fmt.Errorf("paxos: log message type %d: %w", m.Type, ErrBadMessage)
	}
	if (m.Type == LogPrepare || m.Type == LogAccept || m.Type == LogHeartbeat) && (m.Ballot.Node != m.From || m.Ballot.Round == 0) {
		return nil, fmt.Errorf("paxos: %v from %q: ballot not the sender's: %w", m, m.From, ErrBadMessage)
	}
	var out []LogMessage
	if err := r.step(m, &out); err != nil {
		return nil, err
	}
	return r.local(out)
}

func (r *Replica) local(out []LogMessage) ([]LogMessage, error) {
	var rest []LogMessage
	for i := 0; i < len(out); i++ {
		if out[i].To != r.cfg.ID {
			rest = append(rest, out[i])
			continue
		}
		if err := r.step(out[i], &out); err != nil {
			return rest, err
		}
	}
	return rest, nil
}

func (r *Replica) save(s LogState) error {
	if err := r.storage.Save(s); err != nil {
		return fmt.Errorf("paxos: save: %w: %w", ErrStorage, err)
	}
	r.st = s
	return nil
}

// hear notes a ballot used by a leader or candidate; a higher one than
// ours makes us a follower.
func (r *Replica) hear(b Ballot) {
	if r.known.Less(b) {
		r.known = b
	}
	if r.role != follower && r.ballot.Less(b) {
		r.role, r.props = follower, map[uint64]*proposal{}
	}
}

func (r *Replica) step(m LogMessage, out *[]LogMessage) error {
	send := func(x LogMessage) { x.From = r.cfg.ID; *out = append(*out, x) }
	switch m.Type {
	case LogPrepare:
		if m.Ballot.Less(r.st.Promised) {
			send(LogMessage{Type: LogNack, To: m.From, Ballot: m.Ballot, Highest: r.st.Promised})
			return nil
		}
		r.hear(m.Ballot)
		s := r.st
		s.Promised = m.Ballot
		if err := r.save(s); err != nil {
			return err
		}
		send(LogMessage{Type: LogPromise, To: m.From, Ballot: m.Ballot, Entries: slices.Clone(r.st.Entries)})
	case LogPromise:
		if r.role != candidate || m.Ballot != r.ballot {
			return nil
		}
		i, _ := r.sys.Index(m.From)
		r.promises = r.promises.With(i)
		for _, e := range m.Entries {
			if old, ok := r.merged[e.Slot]; !ok || old.Ballot.Less(e.Ballot) {
				r.merged[e.Slot] = e
			}
		}
		if r.sys.IsRead(r.promises) {
			return r.lead(out)
		}
	case LogAccept:
		if m.Ballot.Less(r.st.Promised) {
			send(LogMessage{Type: LogNack, To: m.From, Ballot: m.Ballot, Highest: r.st.Promised})
			return nil
		}
		r.hear(m.Ballot)
		r.elapsed = 0
		s := r.st
		s.Promised = m.Ballot
		e := m.Entry
		e.Ballot = m.Ballot
		s.Entries = slices.Clone(s.Entries)
		k, found := slices.BinarySearchFunc(s.Entries, e.Slot, func(x Entry, slot uint64) int { return cmpU(x.Slot, slot) })
		if found {
			s.Entries[k] = e
		} else {
			s.Entries = slices.Insert(s.Entries, k, e)
		}
		if err := r.save(s); err != nil {
			return err
		}
		send(LogMessage{Type: LogAccepted, To: m.From, Ballot: m.Ballot, Entry: Entry{Slot: e.Slot}})
	case LogAccepted:
		p, ok := r.props[m.Entry.Slot]
		if r.role != leader || m.Ballot != r.ballot || !ok {
			return nil
		}
		i, _ := r.sys.Index(m.From)
		p.acks = p.acks.With(i)
		if r.sys.IsWrite(p.acks) {
			delete(r.props, m.Entry.Slot)
			r.learn(p.e)
			for _, a := range r.names {
				if a != r.cfg.ID {
					send(LogMessage{Type: LogDecide, To: a, Entry: p.e})
				}
			}
		}
	case LogNack:
		if r.role != follower && m.Ballot == r.ballot && r.ballot.Less(m.Highest) {
			r.hear(m.Highest)
			r.elapsed = 0
		}
	case LogDecide:
		r.learn(m.Entry)
	case LogHeartbeat:
		if m.Ballot.Less(r.known) {
			return nil
		}
		r.hear(m.Ballot)
		r.elapsed = 0
		if m.Commit > r.commit {
			send(LogMessage{Type: LogCatchUp, To: m.From, Commit: r.commit})
		}
	case LogCatchUp:
		for s := m.Commit; s < r.commit; s++ {
			send(LogMessage{Type: LogDecide, To: m.From, Entry: r.decided[s]})
		}
	case LogForward:
		if r.role == leader {
			if !r.has(m.Command) {
				return r.propose(Entry{Value: m.Command}, out)
			}
			return nil
		}
		if !slices.Contains(r.pending, m.Command) && !r.has(m.Command) {
			r.pending = append(r.pending, m.Command)
		}
	}
	return nil
}

// has reports whether cmd is decided here or proposed by this leader.
func (r *Replica) has(cmd string) bool {
	for _, e := range r.decided {
		if !e.NoOp && e.Value == cmd {
			return true
		}
	}
	for _, p := range r.props {
		if !p.e.NoOp && p.e.Value == cmd {
			return true
		}
	}
	return false
}

// lead runs when phase 1 succeeded: every slot up to the highest reported
// is proposed again with the highest-ballot value reported, or a no-op
// where none was; then the pending commands follow.
func (r *Replica) lead(out *[]LogMessage) error {
	r.role, r.props, r.known = leader, map[uint64]*proposal{}, r.ballot
	r.next = r.commit
	for s := range r.merged {
		r.next = max(r.next, s+1)
	}
	for s := uint64(0); s < r.next; s++ {
		if _, ok := r.decided[s]; ok {
			continue
		}
		e, ok := r.merged[s]
		if !ok {
			e = Entry{NoOp: true}
		}
		e.Slot = s
		r.props[s] = &proposal{e: Entry{Slot: s, Value: e.Value, NoOp: e.NoOp, Ballot: r.ballot}}
		for _, a := range r.names {
			*out = append(*out, LogMessage{Type: LogAccept, From: r.cfg.ID, To: a, Ballot: r.ballot, Entry: r.props[s].e})
		}
	}
	for _, c := range r.pending {
		if !r.has(c) {
			if err := r.propose(Entry{Value: c}, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Replica) propose(e Entry, out *[]LogMessage) error {
	e.Slot, e.Ballot = r.next, r.ballot
	r.next++
	r.props[e.Slot] = &proposal{e: e}
	for _, a := range r.names {
		*out = append(*out, LogMessage{Type: LogAccept, From: r.cfg.ID, To: a, Ballot: r.ballot, Entry: e})
	}
	return nil
}

func (r *Replica) learn(e Entry) {
	if _, ok := r.decided[e.Slot]; ok {
		return
	}
	r.decided[e.Slot] = e
	for {
		if _, ok := r.decided[r.commit]; !ok {
			break
		}
		r.commit++
	}
	if !e.NoOp {
		r.pending = slices.DeleteFunc(r.pending, func(c string) bool { return c == e.Value })
	}
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	ks := make([]uint64, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
