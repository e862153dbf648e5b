package crdt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// checkJSONKeys rejects, with ErrMalformed, a JSON document that has an
// object with the same key twice, at any depth. encoding/json keeps the
// last of duplicate keys silently, and other parsers keep the first, so a
// document with duplicates means different states to different readers.
//
// In the objects for which fields reports true (given the keys leading to
// the object from the root, array levels omitted), which are the
// package's own structures with lower-case field names, keys must also be
// lower case: encoding/json matches field names case-insensitively, so
// {"p":..., "P":...} would be a duplicate in disguise. Objects whose keys
// are data (replica IDs, user elements) are only checked for exact
// duplicates.
func checkJSONKeys(data []byte, fields func(path []string) bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var path []string
	if err := walkJSON(dec, &path, 0, fields); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data: %w", ErrMalformed)
	}
	return nil
}

// maxJSONDepth bounds the nesting checkJSONKeys follows (encoding/json
// itself stops at 10,000 levels).
const maxJSONDepth = 1000

func walkJSON(dec *json.Decoder, path *[]string, depth int, fields func([]string) bool) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("JSON nested too deep: %w", ErrMalformed)
	}
	tok, err := dec.Token()
	if err != nil {
		return jsonErr(err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	switch d {
	case '[':
		for dec.More() {
			if err := walkJSON(dec, path, depth+1, fields); err != nil {
				return err
			}
		}
	case '{':
		lower := fields(*path)
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return jsonErr(err)
			}
			key, ok := tok.(string)
			if !ok {
				return fmt.Errorf("object key %v: %w", tok, ErrMalformed)
			}
			if seen[key] {
				return fmt.Errorf("duplicate key %q: %w", key, ErrMalformed)
			}
			seen[key] = true
			if lower && key != strings.ToLower(key) {
				return fmt.Errorf("key %q is not a field name: %w", key, ErrMalformed)
			}
			*path = append(*path, key)
			err = walkJSON(dec, path, depth+1, fields)
			*path = (*path)[:len(*path)-1]
			if err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unexpected %v: %w", d, ErrMalformed)
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return jsonErr(err)
	}
	return nil
}

func jsonErr(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated JSON: %w", ErrMalformed)
	}
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

// Which objects hold field names, for the decoders' checkJSONKeys calls.

// causalFields: the JSON of the causal types (see kernel_json.go) and of
// ORMap. The version vector's keys are replica IDs; elements, map keys
// and nested values are someone else's (a nested value is checked again
// by its own decoder).
func causalFields(path []string) bool {
	switch len(path) {
	case 0:
		return true
	case 1:
		return path[0] == "context" || path[0] == "entries"
	case 2:
		return path[0] == "context" && (path[1] == "cloud" || path[1] == "stamps") ||
			path[0] == "entries" && path[1] == "dots"
	}
	return false
}

// counterFields: a GCounter's object is keyed by replica IDs, each value
// an object of fields.
func counterFields(path []string) bool { return len(path) == 1 }

// pnFields: {"p": counter, "n": counter}.
func pnFields(path []string) bool { return len(path) == 0 || len(path) == 2 }

// noFields: only exact duplicates are rejected.
func noFields([]string) bool { return false }

// topFields: an object of fields whose values are not checked further
// (elements or values of the caller's types; checked for exact duplicates
// only).
func topFields(path []string) bool { return len(path) == 0 }
