package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"strings"
)

// The on-disk format. Every integer is little-endian.
//
// A segment is a file named "%016x-%016x.wal" (its base index, and the
// log's first index if this segment recorded a prefix truncation, else
// 0), preallocated to Options.SegmentSize bytes of zeros. It opens with a
// 32-byte header:
//
//	[0:8)   magic "EPWAL\x00\x00\x01" (the last byte is the version)
//	[8:16)  base index: the index of the segment's first record
//	[16:28) zero
//	[28:32) CRC32C of [0:28)
//
// followed by records, each a frame aligned to 8 bytes:
//
//	[0:4)   payload length n
//	[4:8)   CRC32C of the payload
//	[8:16)  index
//	[16:20) lag: index minus the log's synced index when the record was
//	        written (at least 1; saturated at 2^32-1)
//	[20:24) CRC32C of [0:20)
//	[24:24+n) payload, then zeros up to a multiple of 8
//
// The header checksum lets recovery test any offset for a frame in a few
// nanoseconds (false positives one in 2^32, then the payload checksum);
// the lag tells recovery which records a later one proves were synced.
const (
	segHeaderSize   = 32
	frameHeaderSize = 24
	align           = 8
	segSuffix       = ".wal"
	tmpSuffix       = ".tmp"
)

var (
	magic  = [8]byte{'E', 'P', 'W', 'A', 'L', 0, 0, 1}
	castag = crc32.MakeTable(crc32.Castagnoli)
)

func crc(b []byte) uint32 { return crc32.Checksum(b, castag) }

// frameSize is the bytes a record of n payload bytes takes on disk.
func frameSize(n int) int64 { return frameHeaderSize + alignUp(int64(n)) }

func alignUp(n int64) int64 { return (n + align - 1) &^ (align - 1) }

// appendFrame appends the frame of record index, written when the log's
// synced index was synced, to buf.
func appendFrame(buf []byte, index, synced uint64, data []byte) []byte {
	var h [frameHeaderSize]byte
	lag := index - synced
	if lag > math.MaxUint32 {
		lag = math.MaxUint32
	}
	binary.LittleEndian.PutUint32(h[0:], uint32(len(data)))
	binary.LittleEndian.PutUint32(h[4:], crc(data))
	binary.LittleEndian.PutUint64(h[8:], index)
	binary.LittleEndian.PutUint32(h[16:], uint32(lag))
	binary.LittleEndian.PutUint32(h[20:], crc(h[:20]))
	buf = append(buf, h[:]...)
	buf = append(buf, data...)
	var pad [align]byte
	return append(buf, pad[:alignUp(int64(len(data)))-int64(len(data))]...)
}

// frame is a decoded record. data aliases the buffer it was decoded from.
type frame struct {
	index  uint64
	synced uint64 // the log's synced index when it was written (a lower bound)
	data   []byte
	size   int64 // bytes on disk
}

// decodeFrame decodes the frame at the start of b, whose payload may not
// exceed maxRecord bytes. It allocates nothing and reads nothing outside
// b: a length is checked against maxRecord and len(b) before it is used.
// It returns a reason when b does not start with a whole, valid frame.
func decodeFrame(b []byte, maxRecord int, checkPayload bool) (frame, string) {
	if len(b) < frameHeaderSize {
		return frame{}, "truncated frame header"
	}
	if crc(b[:20]) != binary.LittleEndian.Uint32(b[20:]) {
		if allZero(b[:frameHeaderSize]) {
			return frame{}, "zeros (no record written)"
		}
		return frame{}, "frame header checksum mismatch"
	}
	n := binary.LittleEndian.Uint32(b[0:])
	index := binary.LittleEndian.Uint64(b[8:])
	lag := uint64(binary.LittleEndian.Uint32(b[16:]))
	if lag == 0 || lag > index {
		return frame{}, "invalid synced index"
	}
	if int64(n) > int64(maxRecord) {
		return frame{}, fmt.Sprintf("length %d above the maximum record size %d", n, maxRecord)
	}
	size := frameSize(int(n))
	if size > int64(len(b)) {
		return frame{}, fmt.Sprintf("length %d past the end of the segment", n)
	}
	data := b[frameHeaderSize : frameHeaderSize+int(n)]
	if checkPayload && crc(data) != binary.LittleEndian.Uint32(b[4:]) {
		return frame{}, "payload checksum mismatch"
	}
	if !allZero(b[frameHeaderSize+int(n) : size]) {
		return frame{}, "non-zero padding"
	}
	return frame{index: index, synced: index - lag, data: data, size: size}, ""
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func segHeader(base uint64) []byte {
	h := make([]byte, segHeaderSize)
	copy(h, magic[:])
	binary.LittleEndian.PutUint64(h[8:], base)
	binary.LittleEndian.PutUint32(h[28:], crc(h[:28]))
	return h
}

// checkSegHeader returns a reason if b does not start with the header of a
// segment of base index base.
func checkSegHeader(b []byte, base uint64) string {
	switch {
	case len(b) < segHeaderSize:
		return "segment shorter than its header"
	case [8]byte(b[:8]) != magic:
		return "bad magic or version"
	case crc(b[:28]) != binary.LittleEndian.Uint32(b[28:]):
		return "segment header checksum mismatch"
	case binary.LittleEndian.Uint64(b[8:]) != base:
		return fmt.Sprintf("header base index %d, name says %d", binary.LittleEndian.Uint64(b[8:]), base)
	}
	return ""
}

// segName is the file name of the segment of base index base that records
// the log's first index mark (0: none).
func segName(base, mark uint64) string { return fmt.Sprintf("%016x-%016x%s", base, mark, segSuffix) }

// parseSegName parses a name made by segName.
func parseSegName(name string) (base, mark uint64, ok bool) {
	if len(name) != 16+1+16+len(segSuffix) || !strings.HasSuffix(name, segSuffix) || name[16] != '-' {
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(name[:33], "%016x-%016x", &base, &mark); err != nil {
		return 0, 0, false
	}
	if segName(base, mark) != name {
		return 0, 0, false
	}
	return base, mark, true
}
