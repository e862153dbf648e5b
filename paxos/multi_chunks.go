package paxos

import "math/bits"

// chunkLen is how many elements one chunk of a long chunked sequence
// holds, and minChunk how many its first chunk holds.
const (
	chunkLen = 1024
	minChunk = 8
)

// chunked is a sequence kept in chunks: once it is long, in chunks of
// chunkLen, so that growing it never copies the elements already held (a
// slice's append copies its whole backing array on each growth) and
// dropping a prefix releases whole chunks. A short sequence is one chunk
// that doubles as it grows, from minChunk to chunkLen (copying at most
// 2·chunkLen elements in all), so that a short log, and a clone of it
// (the explorer clones a replica per step), costs what it holds rather
// than a whole chunk. The Replica keeps its log in one, MemoryLogStorage
// its entries. The zero value is empty.
type chunked[T any] struct {
	chunks [][]T // every chunk holds size elements
	size   int   // elements per chunk: a power of two, minChunk to chunkLen
	shift  uint  // log2(size), so that at() shifts and masks
	off    int   // index of element 0 within chunks[0]
	n      int   // number of elements
	spare  []T   // an emptied chunk of chunkLen elements, for reuse
}

// len returns the number of elements.
func (c *chunked[T]) len() int { return c.n }

// at returns element i (0 <= i < len).
func (c *chunked[T]) at(i int) *T {
	j := i + c.off
	return &c.chunks[j>>c.shift][j&(c.size-1)]
}

// newChunk returns an empty chunk of chunkLen elements, the spare one if
// there is one.
func (c *chunked[T]) newChunk() []T {
	if k := c.spare; k != nil {
		c.spare = nil
		return k
	}
	return make([]T, chunkLen)
}

// extend grows the sequence to n elements (n > len), the new ones zero.
func (c *chunked[T]) extend(n int) {
	if c.size < chunkLen && c.off+n > c.size {
		// Still one short chunk: move the elements into one big enough
		// (or of chunkLen, after which chunks are never copied).
		size := max(c.size, minChunk)
		for size < n && size < chunkLen {
			size *= 2
		}
		ch := make([]T, size)
		if len(c.chunks) > 0 {
			copy(ch, c.chunks[0][c.off:c.off+c.n])
		}
		c.chunks, c.size, c.shift, c.off = append(c.chunks[:0], ch), size, uint(bits.TrailingZeros(uint(size))), 0
	}
	for c.off+n > len(c.chunks)*c.size {
		c.chunks = append(c.chunks, c.newChunk())
	}
	c.n = n
}

// push appends v.
func (c *chunked[T]) push(v T) {
	c.extend(c.n + 1)
	*c.at(c.n - 1) = v
}

// insert puts v at index k (0 <= k <= len), shifting the elements from k
// on up by one: O(len - k).
func (c *chunked[T]) insert(k int, v T) {
	c.extend(c.n + 1)
	for i := c.n - 1; i > k; i-- {
		*c.at(i) = *c.at(i - 1)
	}
	*c.at(k) = v
}

// drop forgets the first k elements (k > len forgets all), zeroing them
// so that what they point to can be collected.
func (c *chunked[T]) drop(k int) {
	if k >= c.n {
		for _, ch := range c.chunks {
			clear(ch)
		}
		if len(c.chunks) > 0 && c.spare == nil && c.size == chunkLen {
			c.spare = c.chunks[0]
		}
		clear(c.chunks)
		c.chunks, c.off, c.n = c.chunks[:0], 0, 0
		return
	}
	j := c.off + k
	whole := j / c.size
	for i := range whole {
		clear(c.chunks[i])
	}
	if whole > 0 && c.spare == nil && c.size == chunkLen {
		c.spare = c.chunks[0]
	}
	if j%c.size > 0 {
		clear(c.chunks[whole][:j%c.size])
	}
	m := copy(c.chunks, c.chunks[whole:])
	clear(c.chunks[m:])
	c.chunks = c.chunks[:m]
	c.off, c.n = j%c.size, c.n-k
}

// clone returns a deep copy (of the elements; what they point to is
// shared).
func (c *chunked[T]) clone() chunked[T] {
	d := chunked[T]{off: c.off, n: c.n, size: c.size, shift: c.shift, chunks: make([][]T, len(c.chunks))}
	for i, ch := range c.chunks {
		d.chunks[i] = append([]T(nil), ch...)
	}
	return d
}

// appendTo appends the elements to dst.
func (c *chunked[T]) appendTo(dst []T) []T {
	for i := 0; i < c.n; {
		j := i + c.off
		k := min(c.size-j%c.size, c.n-i)
		dst = append(dst, c.chunks[j/c.size][j%c.size:j%c.size+k]...)
		i += k
	}
	return dst
}
