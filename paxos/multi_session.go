package paxos

import (
	"encoding/binary"
	"slices"
)

// Client sessions: what the replicated state keeps of each client so
// that a command (Client, Seq) is applied at most once however often it
// is retried or decided (the sessions of Raft's dissertation, Ongaro 2014,
// section 6.3, here with several commands of a client in flight).

// maxAbove bounds how many of a client's commands may be applied ahead
// of one still missing; beyond it the oldest missing Seqs are given up
// (treated as applied).
const maxAbove = 64

// client is one client's session: every Seq up to seq is applied (or
// given up), so are the Seqs in above (sorted, at most maxAbove: commands
// decided out of order), and last is the Seq applied last, whose result
// the StateMachine returned. Those fields are replicated state (in
// snapshots). held, from index h on, are the Seqs a leader has queued or
// in flight (sorted), so that it proposes a retry only once: volatile,
// leader only.
type client struct {
	seq    uint64
	above  []uint64
	last   uint64
	result string

	held []uint64
	h    int
}

// client returns the session of id, creating it if create; the last one
// looked up is cached, which spares a map access per command when one
// client submits many.
func (r *Replica) client(id string, create bool) *client {
	if r.lastC != nil && r.lastID == id {
		return r.lastC
	}
	c := r.clients[id]
	if c == nil {
		if !create {
			return nil
		}
		c = &client{}
		r.clients[id] = c
	}
	r.lastID, r.lastC = id, c
	return c
}

// releaseAll forgets every held Seq (a leader's term ended or began).
func (r *Replica) releaseAll() {
	for _, c := range r.clients {
		c.held, c.h = c.held[:0], 0
	}
}

// applied reports whether seq is applied in c.
func (c *client) applied(seq uint64) bool {
	if seq <= c.seq {
		return true
	}
	_, found := slices.BinarySearch(c.above, seq)
	return found
}

// add records seq (not yet applied) as applied.
func (c *client) add(seq uint64) {
	if seq == c.seq+1 && len(c.above) == 0 {
		c.seq = seq
		return
	}
	k, _ := slices.BinarySearch(c.above, seq)
	c.above = slices.Insert(c.above, k, seq)
	if len(c.above) > maxAbove {
		c.seq, c.above = c.above[0], c.above[1:]
	}
	for len(c.above) > 0 && c.above[0] <= c.seq+1 {
		c.seq, c.above = max(c.seq, c.above[0]), c.above[1:]
	}
	if len(c.above) == 0 {
		c.above = nil
	}
}

// hold records seq as queued or in flight; false if it already was.
func (c *client) hold(seq uint64) bool {
	n := len(c.held)
	if c.h == n || c.held[n-1] < seq {
		c.held = append(c.held, seq)
		return true
	}
	k, found := slices.BinarySearch(c.held[c.h:], seq)
	if found {
		return false
	}
	c.held = slices.Insert(c.held, c.h+k, seq)
	return true
}

// release forgets seq as queued or in flight (it is being applied).
func (c *client) release(seq uint64) {
	switch {
	case c.h == len(c.held):
		return
	case c.held[c.h] == seq:
		c.h++
	default:
		if k, found := slices.BinarySearch(c.held[c.h:], seq); found {
			c.held = slices.Delete(c.held, c.h+k, c.h+k+1)
		}
	}
	if c.h == len(c.held) {
		c.held, c.h = c.held[:0], 0
	}
}

const snapshotVersion = 1

// encodeSnapshot encodes the replicated state: a version byte, the
// counted sessions sorted by client (client, uvarint seq, the counted
// Seqs applied above it as increasing uvarints, the last Seq and its
// result), and the StateMachine's snapshot, all strings length prefixed.
// A result may hold any bytes, and be of any length: the decoder bounds
// it by the input only.
func encodeSnapshot(clients map[string]*client, app []byte) []byte {
	ids := make([]string, 0, len(clients))
	for id := range clients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := []byte{snapshotVersion}
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		c := clients[id]
		b = appendString(b, id)
		b = binary.AppendUvarint(b, c.seq)
		b = binary.AppendUvarint(b, uint64(len(c.above)))
		for _, x := range c.above {
			b = binary.AppendUvarint(b, x)
		}
		b = binary.AppendUvarint(b, c.last)
		b = appendString(b, c.result)
	}
	return appendBytes(b, app)
}

// decodeSnapshot decodes what encodeSnapshot encoded; anything else is an
// error wrapping ErrCorrupt.
func decodeSnapshot(blob []byte) (map[string]*client, []byte, error) {
	d := decoder{b: blob}
	if v := d.byte(); v != snapshotVersion && d.err == nil {
		d.fail("unknown snapshot version %d", v)
	}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/5) {
		d.fail("%d sessions in %d bytes", n, len(d.b))
	}
	// One block of sessions, each above list allocated at its exact size
	// once its count is checked against the bytes left: the allocation is
	// bounded by the input, whatever its counts claim.
	if d.err != nil {
		n = 0
	}
	block := make([]client, n)
	clients := make(map[string]*client, n)
	prev := ""
	for i := uint64(0); i < n && d.err == nil; i++ {
		id := d.string()
		c := &block[i]
		c.seq = d.uvarint()
		k := d.uvarint()
		if d.err == nil && (k > maxAbove || k > uint64(len(d.b))) {
			d.fail("%d sequence numbers above %d", k, c.seq)
		}
		if d.err == nil && k > 0 {
			c.above = make([]uint64, 0, k)
		}
		above := c.seq + 1
		for j := uint64(0); j < k && d.err == nil; j++ {
			x := d.uvarint()
			if d.err == nil && x <= above {
				d.fail("sequence numbers out of order")
			}
			c.above, above = append(c.above, x), x
		}
		c.last, c.result = d.uvarint(), d.longString()
		if d.err == nil && (id == "" || i > 0 && id <= prev) {
			d.fail("sessions out of order")
		}
		clients[id], prev = c, id
	}
	app := d.bytes()
	d.end()
	if d.err != nil {
		return nil, nil, d.err
	}
	return clients, app, nil
}
