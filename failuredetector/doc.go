// Package failuredetector decides when a silent peer should be considered
// crashed, and measures how well that decision is made.
//
// In an asynchronous network a crashed process and a slow one look the
// same: both are silent. A failure detector watches heartbeats and turns
// silence into suspicion, trading how fast it detects a crash (completeness,
// detection time) against how often it wrongly suspects a live peer
// (accuracy, mistake rate). This package offers:
//
//   - [Phi], the φ accrual detector of Hayashibara et al. (2004), with
//     pluggable interval distributions: [Normal] (exact, in log space),
//     [Logistic] (Akka's approximation), [Exponential] (Cassandra's) and
//     [Empirical];
//   - [Timeout], a fixed timeout; [Adaptive], Chen, Toueg and Aguilera's
//     expected-arrival-plus-margin detector; [EventuallyPerfect], a ◇P
//     detector whose timeout grows after each false suspicion;
//   - for every detector, [Detector.SuspectAt]: when the peer will be
//     suspected if nothing more arrives, exact to the nanosecond (for
//     [Phi], φ inverted for its distribution: with Cassandra's exponential
//     distribution and threshold 8, after 8·ln 10 ≈ 18.42 mean intervals);
//   - [Monitor], many peers keyed by node ID, with suspect and recover
//     transitions delivered to a callback;
//   - QoS evaluation after Chen, Toueg and Aguilera (2002): [Evaluate]
//     computes detection time, mistake rate, mistake duration, mistake
//     recurrence time and query accuracy probability from a heartbeat
//     [Trace]; [GenerateTrace] builds traces with jitter, loss, bursts,
//     GC-like pauses and a crash from a seed; [SolveThreshold] picks the
//     parameter that meets a target.
//
// # Usage
//
// Time is passed in, as a time.Duration since an epoch of the caller's
// choosing (time.Since(start) in production, the simulator's clock in
// tests): no detector reads a clock or starts a timer.
//
//	p, err := failuredetector.NewPhi(failuredetector.DefaultConfig())
//	if err != nil {
//		return err // wraps ErrInvalidConfig
//	}
//
// Every detector is configured the same way: a config struct
// ([Config] for Phi, [TimeoutConfig], [AdaptiveConfig],
// [EventuallyPerfectConfig]), a DefaultXConfig function, and a Validate
// method returning an error that wraps [ErrInvalidConfig] (and
// [ErrOverflow] for durations whose sum would overflow). A zero field
// takes its default wherever zero would be invalid; where zero means
// something (no safety margin, no acceptable pause, no maximum) it keeps
// that meaning, and the field's documentation says so.
//
//	t, err := failuredetector.NewTimeout(failuredetector.TimeoutConfig{Timeout: 2 * time.Second})
//	// on every heartbeat from the peer:
//	if err := p.Heartbeat(time.Since(start)); err != nil {
//		// wraps ErrNonMonotonic: a timestamp went backwards
//	}
//	// whenever a decision is needed:
//	if p.Suspect(time.Since(start)) { ... }
//	level := p.Phi(time.Since(start)) // 1: ~10% chance of a mistake, 2: ~1%, ...
//	at, ok := p.SuspectAt()           // when it will be suspected if silent
//
// For many peers, use a Monitor and call Check on a ticker:
//
//	m, err := failuredetector.NewMonitor(failuredetector.MonitorConfig{
//		NewDetector: func() (failuredetector.Detector, error) { return failuredetector.NewPhi(cfg) },
//		OnChange:    func(e failuredetector.Event) { log.Println(e) },
//	})
//	if err != nil {
//		return err
//	}
//	defer m.Close()
//	m.Heartbeat("b", now) // from the network goroutines
//	m.Check(now)          // from a ticker: reports new suspicions
//
// # Guarantees
//
//   - φ is never NaN, negative or infinite, for any input: far in the tail
//     the normal and logistic distributions are evaluated in log space.
//   - Heartbeat, Suspect and φ are O(1) and allocation-free for Normal,
//     Logistic and Exponential (Empirical is O(window)); the window's
//     running sums are exact integers, so the statistics equal a direct
//     recomputation. For Normal and Logistic, Suspect compares the
//     standardised delay with the one at which φ reaches the threshold,
//     computed once, so it needs no logarithm (except within a billionth
//     of that point, where it asks φ, so that Suspect and φ agree
//     exactly).
//   - Bad input (timestamps going backwards, NaN or out-of-range
//     configuration) returns an error wrapping a sentinel and changes
//     nothing; nothing panics.
//   - Every detector here suspects a peer that stops heartbeating, for
//     ever (strong completeness); [EventuallyPerfect] additionally stops
//     suspecting correct peers once delays are bounded (eventual strong
//     accuracy).
//   - All detectors and the Monitor are safe for concurrent use. Monitor
//     callbacks run on the Monitor's own goroutine, in order, never on the
//     caller's, and may call the Monitor back, Close included (which then
//     returns at once; see [Monitor.Close]).
//   - Time arithmetic never wraps around. Constructors refuse parameters
//     whose sums overflow a time.Duration (an interval plus its safety
//     margin, a timeout plus its increment) with an error wrapping
//     [ErrOverflow]; sums of observed times saturate at the ends of the
//     range. For every accepted configuration, a peer whose heartbeats
//     arrive on time is never suspected, wherever in the range of a
//     Duration they fall. (The price, at the very end of the range: a
//     timeout or freshness point saturated there is never passed, so a
//     timeout grown to 292 years suspects nothing.)
//   - The package decodes nothing from the network: time and traces are
//     passed in as values, so it has no decoder to bound (no allocation
//     per input byte to state).
//
// # Trade-offs
//
// A lower threshold (or timeout, or margin) detects faster and errs more
// often. φ adapts to the observed variability; a fixed timeout does not.
// The normal distribution punishes regular heartbeats harshly when one is
// late (hence the minimum standard deviation and acceptable pause); the
// exponential ignores variance altogether. docs/failure-detectors.md
// compares them on generated traces.
//
// # Papers
//
//   - N. Hayashibara, X. Défago, R. Yared, T. Katayama. The φ accrual
//     failure detector. SRDS 2004.
//   - W. Chen, S. Toueg, M. K. Aguilera. On the quality of service of
//     failure detectors. IEEE Transactions on Computers 51(5), 2002.
//   - T. D. Chandra, S. Toueg. Unreliable failure detectors for reliable
//     distributed systems. JACM 43(2), 1996.
//   - Akka's PhiAccrualFailureDetector and Cassandra's FailureDetector, whose
//     defaults and test vectors this package reproduces.
package failuredetector
