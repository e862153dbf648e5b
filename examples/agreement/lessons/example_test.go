package lessons_test

import (
	"fmt"

	"github.com/eventually-perfect/primitives/examples/agreement/lessons"
)

// The explorer finds the shortest schedule in which two-phase commit
// blocks: the coordinator crashes while the participants' yes votes are on
// their way.
func ExampleBlocked2PC() {
	x, err := lessons.Blocked2PC(lessons.Team(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Bounds)
	fmt.Println(x.Result.Distinct, "distinct states")
	fmt.Println(x.Result.Violation)
	// Output:
	// 1 crash, 3 timeouts
	// 907 distinct states
	// sim: quiescent state violated after 5 actions: commit: [p1 p2] running but undecided: a running node is undecided
}

// A partition in the simulator splits three-phase commit's decision.
func ExamplePartition3PC() {
	team := lessons.Team(3)
	s, err := lessons.Partition3PC(team)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := lessons.Decisions(s, team)
	for _, id := range team.Nodes() {
		fmt.Println(id, d[id])
	}
	// Output:
	// coord commit
	// p1 commit
	// p2 abort
	// p3 abort
}

func ExampleBounds() {
	fmt.Println(lessons.Bounds{Drops: 2, Crashes: 1, Timeouts: 4})
	// Output:
	// 2 drops, 1 crash, 4 timeouts
}
