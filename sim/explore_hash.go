package sim

import (
	"encoding/binary"
	"math/bits"
)

// The multipliers of the hash: the four 64-bit constants published with
// wyhash (Wang Yi), odd and with well-spread bits.
const (
	hashK0 = 0xa0761d6478bd642f
	hashK1 = 0xe7037ed1a0b428db
	hashK2 = 0x8ebc6af09c88c6e3
	hashK3 = 0x589965cc75374cc3
)

// fold multiplies a by b into 128 bits and returns the high half xor the
// low half: the mixing step of wyhash. Every input bit reaches every output
// bit through the carries of the multiplication.
func fold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hash128 returns a 128-bit hash of b for the explorer's visited set. Two
// 64-bit lanes, seeded with the length, absorb b eight bytes at a time
// (the tail padded with zeros), each with its own multiplier; two final
// folds mix the lanes into each half of the result. It is deterministic
// across processes and machines, which hash/maphash (random seeds) is not,
// and several times faster than hash/fnv's 128-bit FNV-1a, which
// multiplies once per byte. It is built against accidental collisions, not
// chosen ones: it is not a cryptographic hash.
//
// It costs two multiplications per eight bytes, plus four.
func hash128(b []byte) [2]uint64 {
	n := uint64(len(b))
	a, c := n^hashK0, fold(n^hashK1, hashK2)
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		a = fold(a^w, hashK2)
		c = fold(c^w, hashK3)
		b = b[8:]
	}
	var w uint64
	for i := len(b) - 1; i >= 0; i-- {
		w = w<<8 | uint64(b[i])
	}
	a = fold(a^w, hashK2)
	c = fold(c^w, hashK3)
	return [2]uint64{fold(a^hashK1, c^hashK0), fold(c^hashK3, a^hashK2)}
}

// hashString returns the 64-bit FNV-1a hash of s (Fowler, Noll and Vo),
// used to seed random sources: cheap, deterministic, good enough to tell
// node identifiers and timer names apart.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
