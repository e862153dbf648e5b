package sim

import (
	"fmt"
	"strconv"
	"testing"
)

// xp2PC is a small two-phase commit (Gray, "Notes on Data Base Operating
// Systems", 1978) for the explorer's benchmark and determinism tests: a
// coordinator "c" asks participants p1..pk to prepare; each votes (yes,
// unless New made it a no-voter), persisting its vote before sending it;
// the coordinator commits if every vote is yes and aborts on a no or on
// its timeout, persisting the decision before sending it. A participant
// that voted yes waits for the decision and, on its timer, asks again by
// resending its vote. A coordinator that restarts without a decision
// aborts (presumed abort).
type xp2PC struct {
	coord   bool
	eager   bool   // a broken coordinator: commits on the first yes
	no      bool   // a participant that votes no
	k       int    // number of participants (coordinator)
	votes   uint32 // coordinator: bit i set when p(i+1) voted yes
	voted   byte   // participant: 0 not yet, 'y' or 'n'
	decided byte   // 0 undecided, 'c' commit, 'a' abort
}

// newXP2PC returns the factory for a coordinator and k participants, of
// which those listed in no vote no.
func newXP2PC(k int, no ...string) func(id string) *xp2PC {
	return func(id string) *xp2PC {
		n := &xp2PC{coord: id == "c", k: k}
		for _, p := range no {
			n.no = n.no || p == id
		}
		return n
	}
}

func xp2PCNodes(k int) []string {
	nodes := []string{"c"}
	for i := 1; i <= k; i++ {
		nodes = append(nodes, "p"+strconv.Itoa(i))
	}
	return nodes
}

func (n *xp2PC) decide(ctx *Context[xpMsg], d byte) {
	n.decided = d
	ctx.Storage().Put("decision", []byte{d})
	ctx.Note("decide " + string(d))
}

func (n *xp2PC) Start(ctx *Context[xpMsg]) {
	st := ctx.Storage()
	if d, ok := st.Get("decision"); ok {
		n.decided = d[0]
	}
	if n.coord {
		switch _, started := st.Get("started"); {
		case n.decided != 0:
			ctx.Broadcast(xpMsg{Kind: string(n.decided)})
		case started: // crashed before deciding: presumed abort
			n.decide(ctx, 'a')
			ctx.Broadcast(xpMsg{Kind: "a"})
		default:
			st.Put("started", nil)
			ctx.Broadcast(xpMsg{Kind: "prepare"})
			ctx.SetTimer("votes", 1)
		}
		return
	}
	if v, ok := st.Get("vote"); ok {
		n.voted = v[0]
		if n.voted == 'y' && n.decided == 0 {
			ctx.SetTimer("decision", 1)
		}
	}
}

func (n *xp2PC) Receive(ctx *Context[xpMsg], from string, m xpMsg) {
	if n.coord {
		switch {
		case n.decided != 0:
			ctx.Send(from, xpMsg{Kind: string(n.decided)}) // a participant asks again
		case m.Kind == "n":
			n.decide(ctx, 'a')
			ctx.CancelTimer("votes")
			ctx.Broadcast(xpMsg{Kind: "a"})
		case m.Kind == "y":
			i, _ := strconv.Atoi(from[1:])
			n.votes |= 1 << (i - 1)
			if n.votes == 1<<n.k-1 || n.eager {
				n.decide(ctx, 'c')
				ctx.CancelTimer("votes")
				ctx.Broadcast(xpMsg{Kind: "c"})
			}
		}
		return
	}
	switch m.Kind {
	case "prepare":
		if n.voted == 0 {
			n.voted = 'y'
			if n.no {
				n.voted = 'n'
			}
			ctx.Storage().Put("vote", []byte{n.voted})
			if n.no {
				n.decide(ctx, 'a')
			} else {
				ctx.SetTimer("decision", 1)
			}
		}
		ctx.Send(from, xpMsg{Kind: string(n.voted)})
	case "c", "a":
		if n.decided == 0 {
			n.decide(ctx, m.Kind[0])
			ctx.CancelTimer("decision")
		}
	}
}

func (n *xp2PC) Timeout(ctx *Context[xpMsg], name string) {
	if n.decided != 0 {
		return
	}
	if n.coord {
		n.decide(ctx, 'a')
		ctx.Broadcast(xpMsg{Kind: "a"})
		return
	}
	ctx.Send("c", xpMsg{Kind: string(n.voted)}) // what was decided?
	ctx.SetTimer("decision", 1)
}

func (n *xp2PC) Clone() *xp2PC { d := *n; return &d }

func (n *xp2PC) AppendState(b []byte) []byte {
	return append(b, byte(n.votes), byte(n.votes>>8), n.voted, n.decided)
}

// AppendRenamed is AppendState with the coordinator's set of yes votes
// renamed, for symmetry reduction among the participants; it also encodes
// whether the node votes no, so that a renaming of a no-voter and a
// yes-voter never looks alike.
func (n *xp2PC) AppendRenamed(b []byte, rename func(string) string) []byte {
	var votes uint32
	for i := range n.k {
		if n.votes&(1<<i) != 0 {
			j, _ := strconv.Atoi(rename("p" + strconv.Itoa(i+1))[1:])
			votes |= 1 << (j - 1)
		}
	}
	no := byte(0)
	if n.no {
		no = 1
	}
	return append(b, byte(votes), byte(votes>>8), n.voted, n.decided, no)
}

// xp2PCAgreement is AC1 of Bernstein, Hadzilacos and Goodman ("Concurrency
// Control and Recovery in Database Systems", 1987, chapter 7): all
// processes that reach a decision reach the same one; it reads durable
// decisions so that crashed nodes count too. And AC2: commit only if every
// participant voted yes.
func xp2PCAgreement(w *World[xpMsg, *xp2PC]) error {
	var first byte
	var who string
	for _, id := range w.Nodes() {
		d, ok := w.Storage(id).Get("decision")
		if !ok {
			continue
		}
		if first != 0 && d[0] != first {
			return fmt.Errorf("%s decided %c but %s decided %c", who, first, id, d[0])
		}
		first, who = d[0], id
		if d[0] == 'c' {
			for _, p := range w.Nodes()[1:] {
				if v, _ := w.Storage(p).Get("vote"); string(v) != "y" {
					return fmt.Errorf("%s committed but %s voted %q", id, p, v)
				}
			}
		}
	}
	return nil
}

// xp2PCConfig explores 2PC with a coordinator and k participants, all
// voting yes, with one crash and one restart, one drop and one timeout per
// path.
func xp2PCConfig(k int) ExploreConfig[xpMsg, *xp2PC] {
	return ExploreConfig[xpMsg, *xp2PC]{
		Nodes:         xp2PCNodes(k),
		New:           newXP2PC(k),
		Invariant:     xp2PCAgreement,
		EncodeMessage: xpEncode,
		MaxCrashes:    1,
		MaxRestarts:   1,
		MaxDrops:      1,
		MaxTimeouts:   1,
	}
}

// BenchmarkExplore2PC explores 2PC with a coordinator and 3 participants
// (xp2PCConfig) and reports distinct states per second and the bytes each
// state costs in the visited set.
func BenchmarkExplore2PC(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			b.ReportAllocs()
			cfg := xp2PCConfig(3)
			cfg.Workers = workers
			var res *ExploreResult
			states := 0
			for b.Loop() {
				var err error
				res, err = Explore(cfg)
				if err != nil || res.Violation != nil || !res.Complete {
					b.Fatalf("2PC must explore completely without violation: %v %+v", err, res)
				}
				states += res.Distinct
			}
			b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
			b.ReportMetric(res.BytesPerState, "B/state")
			b.ReportMetric(float64(res.Distinct), "states")
		})
	}
}
