package crdt

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
)

// Replica identity.
//
// Two copies of one state that both update under the same replica ID (a
// clone, or a restore from an old backup, that kept the ID) number their
// updates alike, so a merge takes one copy's updates for the other's and
// drops some silently. To detect it, each state keeps, for every replica
// whose updates it has seen, a stamp of that replica's latest update: its
// number (a counter's count, a dot's counter) and a 64-bit digest chained
// over the replica's updates, each link drawn at random when the update is
// made. One replica numbers each update once, so in a legitimate history
// equal numbers come with equal digests; two copies that diverged draw
// different digests for the same number (with probability 1 - 2^-64),
// even when they made identical updates.
//
// Each state also remembers its owner: the replica ID of its own latest
// update (none after Clone or decoding, until it updates again), and the
// stamps of its last recentLen own updates. Only the owner issues that
// ID's updates, so a state that receives more updates of its owner than
// it made itself, or another digest for one it made, is talking to
// another copy of itself.
//
// Merge fails with ErrReplicaConflict, and changes nothing, when the two
// sides hold the same number for a replica with different digests, or
// when the other side has updates of the receiver's owner beyond the
// receiver's own, or a stamp of one of its recent own updates with
// another digest.

// stamp is the latest update of one replica known to a state.
type stamp struct {
	n   uint64 // the update's number
	sum uint64 // digest of the replica's updates 1..n
}

// link returns the digest of an update numbered n after prev: a fresh
// random draw mixed with the chain, so that two copies never agree on a
// digest by accident.
func link(prev, n uint64) uint64 {
	return mix64(prev ^ mix64(n^rand.Uint64()))
}

// mix64 is the splitmix64 finaliser (Steele, Lea, Flood 2014).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func conflictErr(what, replica string, format string, args ...any) error {
	return fmt.Errorf("crdt: %s: replica %q: %s: %w", what, replica, fmt.Sprintf(format, args...), ErrReplicaConflict)
}

// appendSum appends a digest as 8 bytes, little endian (fixed width, so
// encoded sizes do not depend on the random draws).
func appendSum(b []byte, s uint64) []byte { return binary.LittleEndian.AppendUint64(b, s) }

func (d *decoder) sum() (uint64, error) {
	if len(d.b) < 8 {
		return 0, d.errf("truncated digest")
	}
	s := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return s, nil
}

// sumString and parseSumBytes are the JSON form of a digest: 16 lower-case hex
// digits.
func sumString(s uint64) string {
	return hex.EncodeToString(binary.BigEndian.AppendUint64(nil, s))
}

func parseSumBytes(x []byte) (uint64, error) {
	if len(x) != 16 {
		return 0, fmt.Errorf("digest %q: %w", x, ErrMalformed)
	}
	var s uint64
	for _, c := range x {
		switch {
		case '0' <= c && c <= '9':
			s = s<<4 | uint64(c-'0')
		case 'a' <= c && c <= 'f':
			s = s<<4 | uint64(c-'a'+10)
		default:
			return 0, fmt.Errorf("digest %q: %w", x, ErrMalformed)
		}
	}
	return s, nil
}

// recentLen is how many of its own latest stamps a state remembers.
const recentLen = 16

// recent remembers the stamps of the latest updates a state made itself,
// under one replica ID (the owner), so that the copy that is ahead can
// also tell a diverged copy from a stale one when they are at most
// recentLen updates apart: a stale copy's stamp for update n is the one
// recorded here, a diverged copy's is not. It is local to the state: not
// encoded, not compared by Equal, dropped by Clone and decoding.
type recent struct {
	replica string
	ring    [recentLen]stamp
	next    int // where the next stamp goes
	len     int
}

// record notes a stamp of the state's own update as replica; a state
// that changes replica forgets the other's.
func record(r **recent, replica string, s stamp) {
	if *r == nil || (*r).replica != replica {
		*r = &recent{replica: replica}
	}
	x := *r
	x.ring[x.next] = s
	x.next = (x.next + 1) % recentLen
	x.len = min(x.len+1, recentLen)
}

// mismatch reports whether the state made update n of replica itself
// with a digest other than sum.
func (r *recent) mismatch(replica string, n, sum uint64) bool {
	if r == nil || r.replica != replica {
		return false
	}
	for i := range r.len {
		if s := r.ring[i]; s.n == n {
			return s.sum != sum
		}
	}
	return false
}

// guard binds a value to one replica for the time of an ORMap.Update: a
// mutator of the value called with another replica ID changes nothing and
// is recorded, so that Update reports it (ErrWrongReplica) instead of
// making an update under an ID that is not the map's. Nested maps share
// their outermost Update's guard. A nil guard allows every replica.
type guard struct {
	replica string // the replica given to Update
	wrong   string // the first other replica a mutator was called with
	misused bool   // a mutator was called with another replica
}

// allows reports whether a mutator may run at replica, recording it if
// not.
func (g *guard) allows(replica string) bool {
	if g == nil || replica == g.replica {
		return true
	}
	if !g.misused {
		g.wrong, g.misused = replica, true
	}
	return false
}
