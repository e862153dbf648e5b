package crdt

import (
	"bytes"
	"encoding/json"
	"testing"

	"pgregory.net/rapid"
)

// sameAsJSON checks, for one element type, that parseElem's fast path
// agrees with encoding/json: when it accepts b, encoding/json decodes b
// to the same value and encodes that value back to b.
func sameAsJSON[E comparable](t interface{ Fatalf(string, ...any) }, b []byte) {
	var fast E
	if !fastElem(&fast, b) {
		return
	}
	var slow E
	if err := json.Unmarshal(b, &slow); err != nil {
		t.Fatalf("%T: the fast path accepted %q, encoding/json refuses it: %v", fast, b, err)
	}
	if slow != fast {
		t.Fatalf("%T: %q decodes to %v on the fast path, %v with encoding/json", fast, b, fast, slow)
	}
	if again, _ := json.Marshal(slow); !bytes.Equal(again, b) {
		t.Fatalf("%T: the fast path took %q as canonical, encoding/json writes %q", fast, b, again)
	}
}

func checkFastElem(t interface{ Fatalf(string, ...any) }, b []byte) {
	sameAsJSON[string](t, b)
	sameAsJSON[bool](t, b)
	sameAsJSON[int](t, b)
	sameAsJSON[int64](t, b)
	sameAsJSON[int32](t, b)
	sameAsJSON[uint](t, b)
	sameAsJSON[uint64](t, b)
	sameAsJSON[uint32](t, b)
}

// TestFastElemAgreesWithEncodingJSON: the canonical-encoding fast path of
// the element decoders accepts only what encoding/json decodes to the
// same value and re-encodes to the same bytes, on numbers at the edges of
// every integer type and on strings of every printable and special byte.
func TestFastElemAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range []string{`0`, `-0`, `00`, `01`, `-1`, `+1`, `1.0`, `1e3`, ` 1`, `1 `,
		`2147483647`, `2147483648`, `-2147483648`, `-2147483649`, `4294967295`, `4294967296`,
		`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`,
		`18446744073709551615`, `18446744073709551616`, `true`, `false`, `null`, `""`, `"a"`,
		`"<"`, `"&"`, `"\u0041"`, `"é"`, "\"\x7f\"", "\"\x1f\"", `"\"`, `"a\"b"`, `"'"`, `"~"`} {
		checkFastElem(t, []byte(s))
	}
	rapid.Check(t, func(t *rapid.T) {
		var b []byte
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			b = []byte(rapid.StringMatching(`-?[0-9]{1,21}`).Draw(t, "number"))
		case 1:
			b = append(append([]byte{'"'}, rapid.SliceOf(rapid.Byte()).Draw(t, "bytes")...), '"')
		default:
			b = rapid.SliceOf(rapid.Byte()).Draw(t, "raw")
		}
		checkFastElem(t, b)
	})
}

func FuzzFastElem(f *testing.F) {
	f.Add([]byte(`-9223372036854775808`))
	f.Add([]byte(`"abc"`))
	f.Fuzz(func(t *testing.T, b []byte) { checkFastElem(t, b) })
}
