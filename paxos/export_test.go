package paxos

// Mutants returns the names of the broken replicas a test can build with
// Mutate (mutant.go), in a fixed order.
func Mutants() []string { return append([]string(nil), mutantNames[1:]...) }

// Mutate switches the named mutant on in cfg; it panics on an unknown name
// (a bug in the test).
func Mutate(cfg *ReplicaConfig, name string) {
	if name == "" {
		cfg.mutant = mutNone
		return
	}
	for i, n := range mutantNames {
		if i > 0 && n == name {
			cfg.mutant = mutant(i)
			return
		}
	}
	panic("paxos: no mutant " + name)
}

// OnLearn makes replicas built from cfg call f with every entry they
// learn, before it is applied or compacted.
func OnLearn(cfg *ReplicaConfig, f func(Entry)) { cfg.learned = f }

// EncodeSnapshotForTest encodes a replica snapshot with no sessions and
// app as the StateMachine's part.
func EncodeSnapshotForTest(app []byte) []byte {
	return encodeSnapshot(map[string]*client{}, app)
}

// SetOnLearn makes r call f with every entry it learns from now on (a
// clone keeps its original's f until it is set again).
func SetOnLearn(r *Replica, f func(Entry)) { r.cfg.learned = f }
