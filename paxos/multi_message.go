package paxos

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Command is what clients submit to the replicated log. Client and Seq
// form a client session: a command whose Seq is not above the last Seq
// applied for its Client is not applied again, so a client that retries a
// request (same Client, same Seq) after a timeout or a leader change has
// it applied at most once. A client numbers its commands from 1 in the
// order it submits them. Client "" means no session: such a command is
// applied every time it is decided.
//
// Op is a string, but it is a byte string: any bytes, including zero
// bytes and invalid UTF-8, travel through the log, the encodings and the
// snapshots unchanged (a binary payload needs no base64 or other
// detour). A string rather than a []byte because a Command is shared,
// without copies, by the leader's queue, the log, the messages and, in
// one process, every replica: a string cannot change under them, and it
// keeps Command comparable (the replica compares commands with ==). A
// caller holding a []byte pays one copy to build the Command
// (Op: string(payload)), which a []byte field would need as well for the
// log to be safe from the caller reusing its buffer; a StateMachine reads
// the op as bytes without a copy through OpBytes. Client and Op are at
// most 1 MiB each (MaxOpSize): Submit refuses longer ones with
// ErrBadCommand, because no decoder would accept them.
//
// The zero value is a session-less command with an empty Op.
type Command struct {
	// Client identifies the session; "" for none.
	Client string
	// Seq is the client's sequence number, from 1; a retry reuses it.
	Seq uint64
	// Op is the operation, opaque to the log and given to the
	// StateMachine: any bytes, at most MaxOpSize of them.
	Op string
}

// MaxOpSize is the longest Command.Op (and Command.Client) a replica
// accepts, in bytes: the longest string the package's decoders read.
const MaxOpSize = maxEncoded

// OpBytes returns the op as a byte slice that shares the string's memory:
// no copy and no allocation, whatever its length (converting with
// []byte(c.Op) copies it). The slice is read-only. Writing to it is
// undefined behaviour: the bytes may be in read-only memory (a string
// literal), and they are shared with the replica's log, its messages and
// the other replicas in the process. It suits a StateMachine that hands
// the op to a decoder taking a []byte it only reads (proto.Unmarshal,
// binary.Read over a bytes.Reader...); a decoder that keeps the slice
// keeps the op's memory alive, which is safe since nothing writes to it.
// Take append([]byte(nil), c.Op...) for a copy that may be modified.
func (c Command) OpBytes() []byte {
	return unsafe.Slice(unsafe.StringData(c.Op), len(c.Op))
}

// String formats the command for traces: "client#seq:op", or the op
// alone without a session. A client or op that is not printable UTF-8
// (a binary payload) is shown quoted, with Go escapes ("\x00\xff").
func (c Command) String() string {
	if c.Client == "" {
		return printable(c.Op)
	}
	return printable(c.Client) + "#" + strconv.FormatUint(c.Seq, 10) + ":" + printable(c.Op)
}

// printable returns s if it is valid UTF-8 made of printable characters,
// and s quoted otherwise.
func printable(s string) string {
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// Entry is one slot of the log: the batch of commands proposed (accepted,
// or decided) in it and the ballot that proposed it. NoOp marks the filler
// a new leader puts in a slot where it found nothing accepted ("Paxos Made
// Simple", section 3); a no-op has no commands. Treat an Entry, and its
// Commands, as immutable: replicas and messages share them.
type Entry struct {
	Slot     uint64
	Ballot   Ballot
	Commands []Command
	NoOp     bool
}

// String formats the entry's contents: "no-op", or its commands separated
// by commas.
func (e Entry) String() string {
	if e.NoOp {
		return "no-op"
	}
	if len(e.Commands) == 1 {
		return e.Commands[0].String()
	}
	var b strings.Builder
	for i, c := range e.Commands {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// LogMsgType says what a LogMessage is.
type LogMsgType uint8

// The Multi-Paxos messages.
const (
	// LogPrepare is phase 1a for every slot from Commit (the candidate's
	// decided prefix) on.
	LogPrepare LogMsgType = iota + 1
	// LogPromise is phase 1b: the acceptor's acceptances (Entries) from
	// the prepare's Commit on, its decided prefix (Commit: the entries
	// below it are decided ones), and, when it has compacted its log
	// beyond the prepare's Commit, its snapshot (Snapshot, SnapshotSlot).
	LogPromise
	// LogAccept is phase 2a for Entry; Commit piggybacks the leader's
	// decided prefix.
	LogAccept
	// LogAccepted is phase 2b for Entry.Slot.
	LogAccepted
	// LogNack refuses Ballot: Highest is the acceptor's promise. A Nack
	// for a slot the acceptor has already compacted carries its
	// compaction point in Commit.
	LogNack
	// LogDecide carries decided entries (Entries, or Entry alone): the
	// answer to a LogCatchUp.
	LogDecide
	// LogHeartbeat says the leader of Ballot is alive; Commit is its
	// decided prefix.
	LogHeartbeat
	// LogCatchUp asks for the decisions from Commit on.
	LogCatchUp
	// LogForward carries Command for the leader to propose.
	LogForward
	// LogSnapshot carries a snapshot of the replicated state covering the
	// slots below SnapshotSlot, for a replica too far behind.
	LogSnapshot
	// LogCommit tells the replicas that accepted in Ballot that the slots
	// below Commit are decided: those they accepted in Ballot hold the
	// decided entry.
	LogCommit
)

const logMsgTypes = LogCommit

var logMsgNames = [...]string{"", "prepare", "promise", "accept", "accepted", "nack", "decide", "heartbeat", "catch-up", "forward", "snapshot", "commit"}

// String returns the type's name.
func (t LogMsgType) String() string {
	if t >= 1 && t <= logMsgTypes {
		return logMsgNames[t]
	}
	return "logmsgtype(" + strconv.Itoa(int(t)) + ")"
}

// LogMessage is what replicas send one another. Treat it as immutable: the
// entries and commands it holds are shared with the replica that sent it.
// Its binary encoding (MarshalBinary) is canonical, and Size reports its
// length for bandwidth models.
type LogMessage struct {
	Type     LogMsgType
	From, To string
	// Ballot is the ballot the message is about.
	Ballot Ballot
	// Entry is the entry of an Accept, or the slot of an Accepted or Nack.
	Entry Entry
	// Entries are a Promise's acceptances or a Decide's decisions.
	Entries []Entry
	// Highest is, in a Nack, the acceptor's promise.
	Highest Ballot
	// Commit is a decided-prefix length or a slot, depending on Type.
	Commit uint64
	// Command is the command a Forward carries.
	Command Command
	// Snapshot and SnapshotSlot are, in a LogSnapshot or a Promise, the
	// replicated state of the slots below SnapshotSlot.
	Snapshot     []byte
	SnapshotSlot uint64
}

// String formats the message for traces.
func (m LogMessage) String() string {
	switch m.Type {
	case LogPrepare:
		return fmt.Sprintf("prepare %v from %d", m.Ballot, m.Commit)
	case LogPromise:
		if m.Snapshot != nil {
			return fmt.Sprintf("promise %v (%d entries, snapshot to %d)", m.Ballot, len(m.Entries), m.SnapshotSlot)
		}
		return fmt.Sprintf("promise %v (%d entries)", m.Ballot, len(m.Entries))
	case LogAccept:
		return fmt.Sprintf("accept %v [%d]=%s", m.Ballot, m.Entry.Slot, m.Entry)
	case LogAccepted:
		return fmt.Sprintf("accepted %v [%d]", m.Ballot, m.Entry.Slot)
	case LogNack:
		return fmt.Sprintf("nack %v (promised %v)", m.Ballot, m.Highest)
	case LogDecide:
		if len(m.Entries) == 0 {
			return fmt.Sprintf("decide [%d]=%s", m.Entry.Slot, m.Entry)
		}
		if len(m.Entries) == 1 {
			return fmt.Sprintf("decide [%d]=%s", m.Entries[0].Slot, m.Entries[0])
		}
		return fmt.Sprintf("decide [%d..%d]", m.Entries[0].Slot, m.Entries[len(m.Entries)-1].Slot)
	case LogHeartbeat:
		return fmt.Sprintf("heartbeat %v commit %d", m.Ballot, m.Commit)
	case LogCatchUp:
		return fmt.Sprintf("catch-up from %d", m.Commit)
	case LogForward:
		return "forward " + m.Command.String()
	case LogSnapshot:
		return fmt.Sprintf("snapshot to %d (%d bytes)", m.SnapshotSlot, len(m.Snapshot))
	case LogCommit:
		return fmt.Sprintf("commit %v %d", m.Ballot, m.Commit)
	}
	return m.Type.String()
}
