package crdt

// The Causal methods of the kernel-based types, so that they can be ORMap
// values. Each works on the type's dot store with contexts given by the
// caller.

func (s ORSet[E]) withGuard(g *guard) ORSet[E]             { s.k.guard = g; return s }
func (s ORSet[E]) dotsWithin(c *CausalContext) (int, bool) { return s.k.dotsWithin(c) }
func (s ORSet[E]) owned() (string, *recent)                { return s.k.owner, s.k.mine }
func (s ORSet[E]) withOwner(o string, m *recent) ORSet[E] {
	s.k.owner, s.k.mine = o, m
	return s
}
func (s ORSet[E]) causalContext() CausalContext         { return s.k.ctx }
func (s ORSet[E]) withContext(c CausalContext) ORSet[E] { s.k.ctx = c; return s }
func (s ORSet[E]) eachDot(f func(Dot))                  { s.k.eachDot(f) }
func (s ORSet[E]) storeLen() int                        { return len(s.k.entries) }
func (s ORSet[E]) joinStore(o ORSet[E], mine, theirs CausalContext) ORSet[E] {
	s.k.joinStore(o.k, mine, theirs)
	return s
}
func (ORSet[E]) decodeValue(b []byte) (ORSet[E], error) {
	var s ORSet[E]
	err := s.UnmarshalBinary(b)
	return s, err
}

func (s RWSet[E]) withGuard(g *guard) RWSet[E]             { s.k.guard = g; return s }
func (s RWSet[E]) dotsWithin(c *CausalContext) (int, bool) { return s.k.dotsWithin(c) }
func (s RWSet[E]) owned() (string, *recent)                { return s.k.owner, s.k.mine }
func (s RWSet[E]) withOwner(o string, m *recent) RWSet[E] {
	s.k.owner, s.k.mine = o, m
	return s
}
func (s RWSet[E]) causalContext() CausalContext         { return s.k.ctx }
func (s RWSet[E]) withContext(c CausalContext) RWSet[E] { s.k.ctx = c; return s }
func (s RWSet[E]) eachDot(f func(Dot))                  { s.k.eachDot(f) }
func (s RWSet[E]) storeLen() int                        { return len(s.k.entries) }
func (s RWSet[E]) joinStore(o RWSet[E], mine, theirs CausalContext) RWSet[E] {
	s.k.joinStore(o.k, mine, theirs)
	return s
}
func (RWSet[E]) decodeValue(b []byte) (RWSet[E], error) {
	var s RWSet[E]
	err := s.UnmarshalBinary(b)
	return s, err
}

func (r MVRegister[V]) withGuard(g *guard) MVRegister[V]        { r.k.guard = g; return r }
func (r MVRegister[V]) dotsWithin(c *CausalContext) (int, bool) { return r.k.dotsWithin(c) }
func (r MVRegister[V]) owned() (string, *recent)                { return r.k.owner, r.k.mine }
func (r MVRegister[V]) withOwner(o string, m *recent) MVRegister[V] {
	r.k.owner, r.k.mine = o, m
	return r
}
func (r MVRegister[V]) causalContext() CausalContext              { return r.k.ctx }
func (r MVRegister[V]) withContext(c CausalContext) MVRegister[V] { r.k.ctx = c; return r }
func (r MVRegister[V]) eachDot(f func(Dot))                       { r.k.eachDot(f) }
func (r MVRegister[V]) storeLen() int                             { return len(r.k.entries) }
func (r MVRegister[V]) joinStore(o MVRegister[V], mine, theirs CausalContext) MVRegister[V] {
	r.k.joinStore(o.k, mine, theirs)
	return r
}
func (MVRegister[V]) decodeValue(b []byte) (MVRegister[V], error) {
	var r MVRegister[V]
	err := r.UnmarshalBinary(b)
	return r, err
}

func (f EWFlag) withGuard(g *guard) EWFlag               { f.k.guard = g; return f }
func (f EWFlag) dotsWithin(c *CausalContext) (int, bool) { return f.k.dotsWithin(c) }
func (f EWFlag) owned() (string, *recent)                { return f.k.owner, f.k.mine }
func (f EWFlag) withOwner(o string, m *recent) EWFlag {
	f.k.owner, f.k.mine = o, m
	return f
}
func (f EWFlag) causalContext() CausalContext       { return f.k.ctx }
func (f EWFlag) withContext(c CausalContext) EWFlag { f.k.ctx = c; return f }
func (f EWFlag) eachDot(g func(Dot))                { f.k.eachDot(g) }
func (f EWFlag) storeLen() int                      { return len(f.k.entries) }
func (f EWFlag) joinStore(o EWFlag, mine, theirs CausalContext) EWFlag {
	f.k.joinStore(o.k, mine, theirs)
	return f
}
func (EWFlag) decodeValue(b []byte) (EWFlag, error) {
	var f EWFlag
	err := f.UnmarshalBinary(b)
	return f, err
}

func (f DWFlag) withGuard(g *guard) DWFlag               { f.k.guard = g; return f }
func (f DWFlag) dotsWithin(c *CausalContext) (int, bool) { return f.k.dotsWithin(c) }
func (f DWFlag) owned() (string, *recent)                { return f.k.owner, f.k.mine }
func (f DWFlag) withOwner(o string, m *recent) DWFlag {
	f.k.owner, f.k.mine = o, m
	return f
}
func (f DWFlag) causalContext() CausalContext       { return f.k.ctx }
func (f DWFlag) withContext(c CausalContext) DWFlag { f.k.ctx = c; return f }
func (f DWFlag) eachDot(g func(Dot))                { f.k.eachDot(g) }
func (f DWFlag) storeLen() int                      { return len(f.k.entries) }
func (f DWFlag) joinStore(o DWFlag, mine, theirs CausalContext) DWFlag {
	f.k.joinStore(o.k, mine, theirs)
	return f
}
func (DWFlag) decodeValue(b []byte) (DWFlag, error) {
	var f DWFlag
	err := f.UnmarshalBinary(b)
	return f, err
}

func (ORSet[E]) appendFromJSON(j *jsonIn, dst []byte) ([]byte, error) {
	return kernelFromJSON(j, dst, orsetFormat, plainParts[E]())
}

func (RWSet[E]) appendFromJSON(j *jsonIn, dst []byte) ([]byte, error) {
	return kernelFromJSON(j, dst, rwsetFormat, rwParts[E]())
}

func (MVRegister[V]) appendFromJSON(j *jsonIn, dst []byte) ([]byte, error) {
	return kernelFromJSON(j, dst, mvFormat, plainParts[V]())
}

func (EWFlag) appendFromJSON(j *jsonIn, dst []byte) ([]byte, error) {
	return kernelFromJSON(j, dst, ewflagFormat, plainParts[bool]())
}

func (DWFlag) appendFromJSON(j *jsonIn, dst []byte) ([]byte, error) {
	return kernelFromJSON(j, dst, dwflagFormat, plainParts[bool]())
}
