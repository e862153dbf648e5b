package commit_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/eventually-perfect/primitives/examples/agreement/commit"
	"github.com/eventually-perfect/primitives/sim"
)

// Two-phase commit in the simulator: p2 votes no, so everyone aborts.
func ExampleTwoPhase() {
	cfg := commit.Config{Coordinator: "coord", Participants: []string{"p1", "p2"}, VoteNo: []string{"p2"}}
	newNode, err := commit.NewTwoPhase(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sim.New(sim.Config{Seed: 1, Nodes: cfg.Nodes()}, func(id string) sim.Node[commit.Msg] { return newNode(id) })
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Run(); err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range cfg.Nodes() {
		n, ok := s.Node(id)
		if !ok {
			fmt.Println(id, "is down")
			continue
		}
		fmt.Println(id, n.(*commit.TwoPhase).Decision())
	}
	fmt.Println(commit.CheckSafety(cfg, s.Storage))
	// Output:
	// coord abort
	// p1 abort
	// p2 abort
	// <nil>
}

// Three-phase commit in the simulator: the coordinator crashes after
// sending PreCommit, and the participants commit on their timeouts.
func ExampleThreePhase() {
	cfg := commit.Config{Coordinator: "coord", Participants: []string{"p1", "p2"}}
	newNode, err := commit.NewThreePhase(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sim.New(sim.Config{Seed: 1, Nodes: cfg.Nodes()}, func(id string) sim.Node[commit.Msg] { return newNode(id) })
	if err != nil {
		fmt.Println(err)
		return
	}
	// PreCommit leaves the coordinator at 2 ms (1 ms links).
	var crashErr error // a scheduled action cannot return its error: keep it
	s.At(2500*time.Microsecond, func(s *sim.Sim[commit.Msg]) { crashErr = s.Crash("coord") })
	if err := errors.Join(s.Run(), crashErr); err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range cfg.Participants {
		n, ok := s.Node(id)
		if !ok {
			fmt.Println(id, "is down")
			continue
		}
		fmt.Println(id, n.(*commit.ThreePhase).Decision())
	}
	// Output:
	// p1 commit
	// p2 commit
}

func ExampleConfig_Validate() {
	cfg := commit.Config{Coordinator: "coord", Participants: []string{"p1", "coord"}}
	err := cfg.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, commit.ErrInvalidConfig))
	// Output:
	// commit: participant "coord" is also the coordinator: invalid configuration
	// true
}

func ExampleMsg() {
	b, err := commit.PreCommit.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	var m commit.Msg
	err = m.UnmarshalBinary(b)
	fmt.Println(m, b, err)
	fmt.Println(m.UnmarshalBinary([]byte{42}))
	// Output:
	// precommit [4] <nil>
	// commit: decoding message kind 42: malformed message
}

// CheckSafety reads decisions and votes from durable storage, so it also
// counts nodes that decided and then crashed.
func ExampleCheckSafety() {
	cfg := commit.Config{Coordinator: "coord", Participants: []string{"p1", "p2"}}
	store := map[string]*sim.Storage{"coord": {}, "p1": {}, "p2": {}}
	store["p1"].Put("decision", []byte("commit"))
	store["p2"].Put("decision", []byte("abort"))
	fmt.Println(commit.CheckSafety(cfg, func(id string) *sim.Storage { return store[id] }))
	// Output:
	// commit: p1 decided commit but p2 decided abort: nodes decided differently
}
