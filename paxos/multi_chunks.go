package paxos

// chunkLen is how many elements one chunk of a chunked sequence holds.
const chunkLen = 1024

// chunked is a sequence kept in fixed-size chunks: growing it never
// copies the elements already held (a slice's append copies its whole
// backing array on each growth), and dropping a prefix releases whole
// chunks. The Replica keeps its log in one, MemoryLogStorage its entries.
// The zero value is empty.
type chunked[T any] struct {
	chunks []*[chunkLen]T
	off    int // index of element 0 within chunks[0]
	n      int // number of elements
	spare  *[chunkLen]T
}

// len returns the number of elements.
func (c *chunked[T]) len() int { return c.n }

// at returns element i (0 <= i < len).
func (c *chunked[T]) at(i int) *T {
	j := i + c.off
	return &c.chunks[j/chunkLen][j%chunkLen]
}

// newChunk returns an empty chunk, the spare one if there is one.
func (c *chunked[T]) newChunk() *[chunkLen]T {
	if k := c.spare; k != nil {
		c.spare = nil
		return k
	}
	return new([chunkLen]T)
}

// extend grows the sequence to n elements (n > len), the new ones zero.
func (c *chunked[T]) extend(n int) {
	for c.off+n > len(c.chunks)*chunkLen {
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
			clear(ch[:])
		}
		if len(c.chunks) > 0 && c.spare == nil {
			c.spare = c.chunks[0]
		}
		clear(c.chunks)
		c.chunks, c.off, c.n = c.chunks[:0], 0, 0
		return
	}
	j := c.off + k
	whole := j / chunkLen
	for i := range whole {
		clear(c.chunks[i][:])
	}
	if whole > 0 && c.spare == nil {
		c.spare = c.chunks[0]
	}
	if j%chunkLen > 0 {
		clear(c.chunks[whole][:j%chunkLen])
	}
	m := copy(c.chunks, c.chunks[whole:])
	clear(c.chunks[m:])
	c.chunks = c.chunks[:m]
	c.off, c.n = j%chunkLen, c.n-k
}

// clone returns a deep copy (of the elements; what they point to is
// shared).
func (c *chunked[T]) clone() chunked[T] {
	d := chunked[T]{off: c.off, n: c.n, chunks: make([]*[chunkLen]T, len(c.chunks))}
	for i, ch := range c.chunks {
		x := *ch
		d.chunks[i] = &x
	}
	return d
}

// appendTo appends the elements to dst.
func (c *chunked[T]) appendTo(dst []T) []T {
	for i := 0; i < c.n; {
		j := i + c.off
		k := min(chunkLen-j%chunkLen, c.n-i)
		dst = append(dst, c.chunks[j/chunkLen][j%chunkLen:j%chunkLen+k]...)
		i += k
	}
	return dst
}
