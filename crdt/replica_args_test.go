package crdt_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/eventually-perfect/primitives/crdt"
)

// mutators returns the mutators of the type p points to: its exported
// methods with a pointer receiver, other than Merge and the decoders.
func mutators(p any) []reflect.Method {
	pt := reflect.TypeOf(p)
	var ms []reflect.Method
	for i := range pt.NumMethod() {
		m := pt.Method(i)
		if _, byValue := pt.Elem().MethodByName(m.Name); byValue ||
			m.Name == "Merge" || strings.HasPrefix(m.Name, "Unmarshal") {
			continue
		}
		ms = append(ms, m)
	}
	return ms
}

// TestReplicaArgumentRule checks the rule of the package documentation
// ("Replica arguments"): every mutator of a type whose state names
// replicas takes the replica ID as its first argument, whether or not it
// issues a dot, and the mutators of the two types that name no replica
// (GSet and TwoPSet) take none. Instantiated with int elements, so that a
// string argument can only be a replica. Closures that containers call
// (ORMap.Update's, Replicator.Update's) receive the replica after the
// value.
func TestReplicaArgumentRule(t *testing.T) {
	str := reflect.TypeFor[string]()
	withReplica := []any{
		new(crdt.GCounter), new(crdt.PNCounter), new(crdt.ORSet[int]), new(crdt.RWSet[int]),
		new(crdt.LWWRegister[int]), new(crdt.MVRegister[int]), new(crdt.EWFlag), new(crdt.DWFlag),
		new(crdt.ORMap[int, crdt.ORSet[int]]),
	}
	for _, p := range withReplica {
		ms := mutators(p)
		if len(ms) == 0 {
			t.Errorf("%T: no mutators found", p)
		}
		for _, m := range ms {
			if m.Type.NumIn() < 2 || m.Type.In(1) != str {
				t.Errorf("%T.%s%v: the replica ID is not the first argument", p, m.Name, m.Type)
			}
		}
	}
	for _, p := range []any{new(crdt.GSet[int]), new(crdt.TwoPSet[int])} {
		for _, m := range mutators(p) {
			for i := 1; i < m.Type.NumIn(); i++ {
				if m.Type.In(i) == str {
					t.Errorf("%T.%s%v takes a string, but the type names no replica", p, m.Name, m.Type)
				}
			}
		}
	}
	closures := []reflect.Method{}
	for _, p := range []any{new(crdt.ORMap[int, crdt.ORSet[int]]), new(crdt.Replicator[crdt.GCounter])} {
		m, _ := reflect.TypeOf(p).MethodByName("Update")
		closures = append(closures, m)
	}
	for _, m := range closures {
		f := m.Type.In(m.Type.NumIn() - 1)
		if f.Kind() != reflect.Func || f.NumIn() != 2 || f.In(1) != str {
			t.Errorf("%v.Update: the closure %v does not receive the replica after the value", m.Type.In(0), f)
		}
	}
}
