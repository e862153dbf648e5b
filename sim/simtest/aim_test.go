package simtest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/eventually-perfect/primitives/sim"
	"github.com/eventually-perfect/primitives/sim/simtest"
)

// tok is a token ring, the toy protocol of the role-aimed faults: the
// node holding the token (the "leader") keeps it for 10ms, then passes it
// to the next node in ring order. Who holds it is durable, so a crashed
// leader resumes with it when it restarts. Node "a" starts with it.
type tok struct {
	next string
	has  bool
}

var tokRing = []string{"a", "b", "c", "d"}

func newTok(id string) sim.Node[string] {
	i := slices.Index(tokRing, id)
	return &tok{next: tokRing[(i+1)%len(tokRing)]}
}

func (n *tok) Start(ctx *sim.Context[string]) {
	st := ctx.Storage()
	if _, ok := st.Get("started"); !ok {
		st.Put("started", nil)
		if ctx.ID() == "a" {
			st.Put("token", []byte("yes"))
		}
	}
	if v, _ := st.Get("token"); string(v) == "yes" {
		n.has = true
		ctx.SetTimer("pass", 10*time.Millisecond)
	}
}

func (n *tok) Receive(ctx *sim.Context[string], _ string, m string) {
	if m == "token" {
		ctx.Storage().Put("token", []byte("yes"))
		n.has = true
		ctx.SetTimer("pass", 10*time.Millisecond)
	}
}

func (n *tok) Timeout(ctx *sim.Context[string], _ string) {
	if n.has {
		ctx.Storage().Put("token", []byte("no"))
		n.has = false
		ctx.Send(n.next, "token")
	}
}

// tokTargets names the role "leader" (the node holding the token, if it
// is up) and "next" (the node after it), and the class "token".
var tokTargets = simtest.Targets[string]{
	Roles: map[string]func(s *sim.Sim[string]) []string{
		"leader": tokLeader,
		"next": func(s *sim.Sim[string]) []string {
			l := tokLeader(s)
			if len(l) == 0 {
				return nil
			}
			return []string{tokRing[(slices.Index(tokRing, l[0])+1)%len(tokRing)]}
		},
	},
	Messages: map[string]func(from, to, m string) bool{
		"token": func(_, _, m string) bool { return m == "token" },
	},
}

func tokLeader(s *sim.Sim[string]) []string {
	for _, id := range tokRing {
		if n, up := s.Node(id); up && n.(*tok).has {
			return []string{id}
		}
	}
	return nil
}

func newTokSim(t require.TestingT) *sim.Sim[string] {
	s, err := sim.New(sim.Config{Seed: 1, Nodes: tokRing}, newTok)
	require.NoError(t, err)
	return s
}

// tokLines lists the trace's crash, restart and fault events, and the
// token's deliveries, as "time kind node text".
func tokLines(tr *sim.Trace) []string {
	var out []string
	for _, e := range tr.Events {
		switch e.Kind {
		case sim.Crash, sim.Restart, sim.Fault:
			out = append(out, strings.TrimSpace(fmt.Sprintf("%v %s %s", e.Time, kind(e.Kind), strings.TrimSpace(e.Node+" "+e.Text))))
		case sim.Deliver:
			out = append(out, fmt.Sprintf("%v token at %s", e.Time, e.Node))
		}
	}
	return out
}

// Faults aimed at the leader strike whichever node holds the token when
// they start: c at 25ms (the token went a, b, c), and, once c is back
// with it, c again at 40ms, cut off from the others. A Block from the
// leader to the next node, the token's link, at 70ms finds d leading and
// blocks d->a.
func TestScheduleAimedAtRoles(t *testing.T) {
	ms := time.Millisecond
	s := newTokSim(t)
	sched := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Crash, At: 25 * ms, For: 10 * ms, Role: "leader"},
		{Kind: simtest.Partition, At: 40 * ms, For: 12 * ms, Role: "leader"},
		{Kind: simtest.Block, At: 70 * ms, For: 5 * ms, Role: "leader", OtherRole: "next"},
	}}
	require.NoError(t, simtest.ApplyWith(s, sched, tokTargets))
	require.NoError(t, s.RunFor(90*ms))
	assert.Equal(t, []string{
		"11ms token at b",
		"22ms token at c",
		"25ms crash c",
		"35ms restart c",                 // c resumes with the token it persisted
		"40ms fault partition a b d | c", // c passes the token at 45ms: lost
		"52ms fault heal",
	}, tokLines(s.Trace())[:6])
	// The token was lost at 45ms, so at 70ms nobody leads: the block
	// does nothing.
	assert.Len(t, tokLines(s.Trace()), 6, "a fault aimed at a role nobody holds does nothing")
	assert.Equal(t, "partition {leader} | rest at 40ms, heal at 52ms", sched.Faults[1].String())
	assert.Equal(t, "block {leader}->{next} at 70ms, heal at 75ms", sched.Faults[2].String())
	assert.Equal(t, `simtest.Fault{Kind: simtest.Block, At: 70 * time.Millisecond, For: 5 * time.Millisecond, Role: "leader", OtherRole: "next"}`,
		fmt.Sprintf("%#v", sched.Faults[2]))
}

// The law of role-aimed crashes, for any schedule of them: every crash
// strikes the node that holds the token at that moment, as the trace
// tells (the last node the token was delivered to, which has not passed
// it on since), and a crash restarts what it crashed.
func TestScheduleRoleAimedCrashHitsTheLeader(t *testing.T) {
	struck := 0
	rapid.Check(t, func(t *rapid.T) {
		s := newTokSim(t)
		sw := simtest.Swarm{Kinds: []simtest.FaultKind{simtest.Crash}, Roles: []string{"leader"}, MaxFaults: 6}
		sched := sw.Draw(t, tokRing, 200*time.Millisecond)
		require.NoError(t, simtest.ApplyWith(s, sched, tokTargets))
		require.NoError(t, s.RunFor(300*time.Millisecond))
		holder := "a"
		for _, e := range s.Trace().Events {
			switch {
			case e.Kind == sim.Send && e.Text == "token":
				holder = ""
			case e.Kind == sim.Deliver && e.Text == "token":
				holder = e.Node
			case e.Kind == sim.Crash:
				struck++
				if e.Node != holder {
					t.Fatalf("a crash aimed at the leader struck %s at %v, but %q held the token", e.Node, e.Time, holder)
				}
			}
		}
		for _, id := range tokRing {
			if !s.Up(id) {
				t.Fatalf("%s is still down after every crash has ended", id)
			}
		}
	})
	assert.Positive(t, struck, "no role-aimed crash ever struck: the property is vacuous")
}

// The token ring's safety under adversarial schedules: whatever faults
// strike the leader, its successor or the token's links, and however long
// the token is held back, there is never more than one token (it may be
// lost, never duplicated).
func TestScheduleTokenRingNeverDuplicatesTheToken(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := newTokSim(t)
		o := simtest.Options{Roles: []string{"leader", "next"}, Messages: []string{"token"}, MaxFaults: 8}
		sched := simtest.Draw(t, tokRing, 300*time.Millisecond, o)
		if err := simtest.ApplyWith(s, sched, tokTargets); err != nil {
			t.Fatal(err)
		}
		if err := s.RunFor(400 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		var holders []string
		for _, id := range tokRing {
			if v, _ := s.Storage(id).Get("token"); string(v) == "yes" {
				holders = append(holders, id)
			}
		}
		if len(holders) > 1 {
			t.Fatalf("a token ring must never have two tokens: %v hold one", holders)
		}
	})
}

// A Hold of the class "token" on the leader's links delays the token,
// never loses it: the token a passes at 10ms, held from 5ms for 30ms,
// reaches b at 36ms (the end plus 1ms); the next pass is on time.
func TestScheduleHoldOfAClass(t *testing.T) {
	ms := time.Millisecond
	s := newTokSim(t)
	sched := simtest.Schedule{Faults: []simtest.Fault{
		{Kind: simtest.Hold, At: 5 * ms, For: 30 * ms, Role: "leader", Messages: "token"},
	}}
	require.NoError(t, simtest.ApplyWith(s, sched, tokTargets))
	require.NoError(t, s.RunFor(60*ms))
	assert.Equal(t, []string{
		"5ms fault hold token on a->b a->c a->d for 30ms",
		"36ms token at b",
		"47ms token at c",
		"58ms token at d",
	}, tokLines(s.Trace()))
	assert.Equal(t, 1, s.Stats().Held)
	assert.Zero(t, s.Stats().Drops, "a hold loses nothing")
	assert.Equal(t, "hold token on {leader}->* at 5ms, release at 35ms", sched.Faults[0].String())

	// Without targets, a schedule with roles or classes is refused.
	err := simtest.Apply(newTokSim(t), sched)
	assert.ErrorIs(t, err, sim.ErrInvalidConfig)
	assert.ErrorContains(t, err, `no callback for role "leader"`)
}

// A fixed Hold through Apply: what a sends to b during the fault arrives
// after it, in order, none lost.
func TestScheduleApplyHold(t *testing.T) {
	ms := time.Millisecond
	s, err := sim.New(sim.Config{Seed: 1, Nodes: []string{"a", "b"}}, func(string) sim.Node[string] { return pinger{} })
	require.NoError(t, err)
	sched := simtest.Schedule{Faults: []simtest.Fault{{Kind: simtest.Hold, At: 2 * ms, For: 10 * ms, Nodes: []string{"client", "b"}}}}
	assert.ErrorIs(t, simtest.Apply(s, sched), sim.ErrUnknownNode, "a client is not a node a schedule may name")
	sched.Faults[0].Nodes = []string{"b", "a"}
	require.NoError(t, simtest.Apply(s, sched))
	for i := range 5 { // pings to b at 0, 3, 6, 9, 12ms: b answers a at once
		s.At(time.Duration(3*i)*ms, func(s *sim.Sim[string]) { _ = s.Inject("a", "b", "ping") })
	}
	require.NoError(t, s.Run())
	var got []string
	for _, e := range s.Trace().Events {
		if e.Kind == sim.Deliver && e.Node == "a" {
			got = append(got, fmt.Sprintf("%v %s", e.Time, e.Peer))
		}
	}
	assert.Equal(t, []string{"2ms b", "13ms b", "13ms b", "13ms b", "14ms b"}, got,
		"b's answers sent from 2ms to 12ms arrive at 13ms, the end of the hold plus the latency")
	assert.Equal(t, 3, s.Stats().Held)
}

// Draw with roles and classes draws valid schedules that use them, and
// only what the options allow.
func TestScheduleDrawWithRolesAndMessages(t *testing.T) {
	seen := map[string]bool{}
	rapid.Check(t, func(t *rapid.T) {
		nodes := []string{"a", "b", "c"}
		o := simtest.Options{Roles: []string{"leader", "quorum"}, Messages: []string{"catch-up"}, MaxFaults: 6}
		s := simtest.Draw(t, nodes, time.Second, o)
		require.NoError(t, s.Validate(nodes))
		assert.LessOrEqual(t, len(s.Faults), 6)
		for _, f := range s.Faults {
			if f.Role != "" {
				seen["role"] = true
				assert.Contains(t, o.Roles, f.Role)
				assert.Empty(t, f.Nodes, "a fault aimed at a role names no nodes")
			}
			if f.OtherRole != "" {
				seen["other role"] = true
				assert.NotEqual(t, f.Role, f.OtherRole)
			}
			if f.Messages != "" {
				seen["class"] = true
				assert.Equal(t, simtest.Hold, f.Kind)
			}
			if f.Kind == simtest.Hold {
				seen["hold"] = true
			}
			assert.LessOrEqual(t, f.End(), time.Second)
		}
	})
	assert.Equal(t, map[string]bool{"role": true, "other role": true, "class": true, "hold": true}, seen,
		"100 draws should use every feature the options allow")
}

// Draw with only Kinds set draws what DrawScheduleOf draws, draw for
// draw, so that existing seeds replay.
func TestScheduleDrawMatchesDrawScheduleOf(t *testing.T) {
	nodes := []string{"a", "b", "c"}
	kinds := []simtest.FaultKind{simtest.Crash, simtest.Loss, simtest.Hold}
	for seed := range 50 {
		a := rapid.Custom(func(t *rapid.T) simtest.Schedule {
			return simtest.DrawScheduleOf(t, nodes, time.Second, kinds...)
		}).Example(seed)
		b := rapid.Custom(func(t *rapid.T) simtest.Schedule {
			return simtest.Draw(t, nodes, time.Second, simtest.Options{Kinds: kinds})
		}).Example(seed)
		require.Equal(t, a, b, "seed %d", seed)
	}
}

// A swarm draws only the features it enabled.
func TestSwarmDrawsOnlyWhatItEnables(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes := []string{"a", "b", "c"}
		sw := simtest.DrawSwarm(t, simtest.Options{Roles: []string{"leader"}, Messages: []string{"catch-up"}})
		s := sw.Draw(t, nodes, time.Second)
		require.NoError(t, s.Validate(nodes))
		for _, f := range s.Faults {
			assert.Contains(t, sw.Kinds, f.Kind, "%v is not enabled in %v", f.Kind, sw)
			if f.Role == "" {
				assert.True(t, sw.Fixed || f.Kind == simtest.Hold && len(f.Nodes) == 0, "fixed nodes are not enabled in %v: %v", sw, f)
			} else {
				assert.Contains(t, sw.Roles, f.Role)
			}
			if f.Kind == simtest.Hold {
				assert.Contains(t, sw.Messages, f.Messages)
			}
		}
	})
}

// Swarm testing makes focused runs common: runs of three or more faults,
// all of them hold-backs or crashes aimed at the leader. Drawn with
// everything enabled, such runs are rare; drawn from a swarm, several
// times more frequent (Groce et al. 2012: omitting features makes the
// others' combinations common).
func TestSwarmMakesFocusedRunsCommon(t *testing.T) {
	nodes := []string{"a", "b", "c", "d", "e"}
	o := simtest.Options{Roles: []string{"leader"}, Messages: []string{"catch-up"}, MaxFaults: 6}
	focused := func(s simtest.Schedule) bool {
		if len(s.Faults) < 3 {
			return false
		}
		for _, f := range s.Faults {
			if f.Kind != simtest.Hold && !(f.Kind == simtest.Crash && f.Role == "leader") {
				return false
			}
		}
		return true
	}
	const runs = 2000
	plain, swarm := 0, 0
	for seed := range runs {
		if focused(rapid.Custom(func(t *rapid.T) simtest.Schedule { return simtest.Draw(t, nodes, time.Second, o) }).Example(seed)) {
			plain++
		}
		if focused(rapid.Custom(func(t *rapid.T) simtest.Schedule { return simtest.DrawSwarm(t, o).Draw(t, nodes, time.Second) }).Example(seed)) {
			swarm++
		}
	}
	t.Logf("focused runs in %d: %d drawn with everything enabled, %d from swarms", runs, plain, swarm)
	assert.Greater(t, swarm, 5*plain+20, "swarm testing should make runs of only hold-backs and leader crashes several times more common")
}
