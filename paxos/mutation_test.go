package paxos_test

// The mutation score of the replica's verification (DESIGN level 9). Each
// mutant (paxos/mutant.go) breaks one rule of the replica on purpose; the
// default go test must kill every one of them: some check must fail.
// The killers are tried in order, cheapest first: the scripted scenarios
// (on the specification-checked cluster of multi_harness_test.go), then
// the randomised simulation, schedule after schedule, alternating random
// and adversarial ones, with the specification checker on
// (replica_sim_test.go, replica_adversarial_test.go).

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eventually-perfect/primitives/paxos"
	"pgregory.net/rapid"
)

// failRecorder is a testing.TB that records a failure instead of reporting
// it, so that a scenario can be run against a mutant and be expected to
// fail. Fatal and FailNow end the scenario's goroutine.
type failRecorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *failRecorder) Helper()                   {}
func (r *failRecorder) Log(...any)                {}
func (r *failRecorder) Logf(string, ...any)       {}
func (r *failRecorder) Error(args ...any)         { r.fail(fmt.Sprint(args...)) }
func (r *failRecorder) Errorf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)) }
func (r *failRecorder) Fail()                     { r.fail("failed") }
func (r *failRecorder) FailNow()                  { r.fail("failed"); runtime.Goexit() }
func (r *failRecorder) Fatal(args ...any)         { r.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (r *failRecorder) Fatalf(f string, a ...any) { r.fail(fmt.Sprintf(f, a...)); runtime.Goexit() }
func (r *failRecorder) Failed() bool              { return r.failed }

func (r *failRecorder) fail(msg string) {
	if !r.failed {
		r.failed, r.msg = true, msg
	}
}

// fails runs scenario against tb's failRecorder and returns its first
// failure, or "" if it passed. A panic is a failure too: the suite would
// report it.
func fails(t testing.TB, scenario func(testing.TB)) string {
	rec := &failRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				rec.fail(fmt.Sprint("panic: ", p))
			}
		}()
		scenario(rec)
	}()
	<-done
	return rec.msg
}

// mutantScenarios are the scripted killers, each run with the mutant, in
// this order.
var mutantScenarios = []struct {
	name string
	run  func(tb testing.TB, mutant string)
}{
	{"delayed catch-up (issue 11)", delayedCatchUp},
	{"delayed catch-up by snapshot (issue 11)", delayedSnapshot},
	{"highest-ballot value", highestBallotValue},
	{"stale acknowledgement", staleAck},
}

// mutantSchedules bounds how many simulated schedules a mutant may
// survive in the default run.
const mutantSchedules = 400

// killMutant runs the killers against mutant and says which one killed
// it, how, and after how many schedules; "" if none did.
func killMutant(t testing.TB, mutant string) (killer, how string) {
	for _, sc := range mutantScenarios {
		if msg := fails(t, func(tb testing.TB) { sc.run(tb, mutant) }); msg != "" {
			return "scenario " + sc.name, msg
		}
	}
	gens := []*rapid.Generator[rsCase]{rapid.Custom(drawCase), rapid.Custom(drawAdversarialCase)}
	for i := range mutantSchedules {
		run, err := gens[i%2].Example(i / 2).newRun()
		if err != nil {
			t.Fatal(err)
		}
		run.mutant = mutant
		var msg string
		func() {
			defer func() {
				if p := recover(); p != nil {
					msg = fmt.Sprint("panic: ", p)
				}
			}()
			if err := run.execute(); err != nil && run.law != "harness" {
				msg = err.Error()
			}
		}()
		if msg != "" {
			return fmt.Sprintf("simulation, schedule %d", i+1), msg
		}
	}
	return "", ""
}

// TestReplicaMutantsKilled requires every mutant of the replica to be
// killed by the default verification, and reports the mutation score and
// the time each mutant took to kill (go test -v).
func TestReplicaMutantsKilled(t *testing.T) {
	// The real replica passes every killer: a killer that fails on it
	// would kill every mutant and prove nothing.
	for _, sc := range mutantScenarios {
		if msg := fails(t, func(tb testing.TB) { sc.run(tb, "") }); msg != "" {
			t.Fatalf("scenario %q fails on the correct replica: %s", sc.name, msg)
		}
	}
	killed := 0
	for _, m := range paxos.Mutants() {
		start := time.Now()
		killer, how := killMutant(t, m)
		if killer == "" {
			t.Errorf("mutant %q survived: no scenario and none of %d simulated schedules caught it", m, mutantSchedules)
			continue
		}
		killed++
		how, _, _ = strings.Cut(strings.Join(strings.Fields(how), " "), "replay:")
		t.Logf("killed %-28s in %8v by %s: %s", m, time.Since(start).Round(time.Millisecond), killer, how)
	}
	t.Logf("mutation score: %d of %d mutants killed", killed, len(paxos.Mutants()))
}
