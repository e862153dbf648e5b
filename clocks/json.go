package clocks

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// unmarshalJSONString decodes a JSON string holding a text encoding: it
// passes the string's contents to unmarshal in place when they hold no
// escape (the text forms of Timestamp and Stamp never need one), and
// unescapes them into a buffer of at most their length otherwise. JSON
// null does nothing, as encoding/json does for a TextUnmarshaler. Any
// other JSON value is rejected with an error wrapping ErrMalformed.
//
// encoding/json would unquote the string into a growing buffer before
// calling UnmarshalText, allocating up to 7 bytes per input byte for a
// string of invalid UTF-8; this allocates nothing for a string without
// escapes and at most one byte per input byte otherwise.
func unmarshalJSONString(what string, data []byte, unmarshal func([]byte) error) error {
	data = bytes.Trim(data, " \t\n\r")
	if string(data) == "null" {
		return nil
	}
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return fmt.Errorf("clocks: %s JSON is not a string: %w", what, ErrMalformed)
	}
	raw := data[1 : len(data)-1]
	escaped := false
	for i := 0; i < len(raw); {
		switch c := raw[i]; {
		case c == '"' || c < 0x20:
			return fmt.Errorf("clocks: %s JSON string has an unescaped %q at byte %d: %w", what, c, i+1, ErrMalformed)
		case c == '\\':
			_, w, ok := jsonEscape(raw[i:])
			if !ok {
				return fmt.Errorf("clocks: %s JSON string has an invalid escape at byte %d: %w", what, i+1, ErrMalformed)
			}
			escaped = true
			i += w
		default:
			i++
		}
	}
	if !escaped {
		return unmarshal(raw)
	}
	// An escape never takes fewer bytes than what it stands for.
	return unmarshal(unescapeJSON(make([]byte, 0, len(raw)+utf8.UTFMax), raw))
}
