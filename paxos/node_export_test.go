package paxos

// NodeMutants returns the names of the broken nodes a test can build with
// MutateNode (node_mutant.go), in a fixed order.
func NodeMutants() []string { return append([]string(nil), nodeMutantNames[1:]...) }

// MutateNode switches the named mutant on in cfg ("" switches it off); it
// panics on an unknown name (a bug in the test).
func MutateNode(cfg *Config, name string) {
	if name == "" {
		cfg.mutant = nodeCorrect
		return
	}
	for i, n := range nodeMutantNames {
		if n == name {
			cfg.mutant = nodeMutant(i)
			return
		}
	}
	panic("paxos: no node mutant " + name)
}

// ObserveNode makes n call f with every message it sends, to itself
// included, in order; nil stops it. A Clone keeps f.
func ObserveNode(n *Node, f func(Message)) { n.observe = f }
