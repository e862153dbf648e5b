package sim_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eventually-perfect/primitives/sim"
)

func TestConfigValidate(t *testing.T) {
	nodes := []string{"a", "b"}
	tests := []struct {
		name    string
		cfg     sim.Config
		want    error
		message string // a substring of the error
	}{
		{"no nodes", sim.Config{}, sim.ErrInvalidConfig, "no nodes"},
		{"empty node", sim.Config{Nodes: []string{"a", ""}}, sim.ErrInvalidConfig, "empty node"},
		{"duplicate node", sim.Config{Nodes: []string{"a", "b", "a"}}, sim.ErrInvalidConfig, `node "a" twice`},
		{"negative constant", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Latency: sim.Constant(-1)}}, sim.ErrInvalidConfig, "negative latency"},
		{"negative uniform", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Latency: sim.Uniform(-time.Second, time.Second)}}, sim.ErrInvalidConfig, "negative latency"},
		{"uniform max below min", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Latency: sim.Uniform(2, 1)}}, sim.ErrInvalidConfig, "below min"},
		{"negative normal mean", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Latency: sim.Normal(-1, 1)}}, sim.ErrInvalidConfig, "negative mean"},
		{"negative normal deviation", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Latency: sim.Normal(1, -1)}}, sim.ErrInvalidConfig, "negative mean"},
		{"negative exponential", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Latency: sim.Exponential(-1)}}, sim.ErrInvalidConfig, "negative mean"},
		{"loss above 1", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Loss: 1.5}}, sim.ErrInvalidConfig, "loss 1.5"},
		{"negative loss", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Loss: -0.1}}, sim.ErrInvalidConfig, "loss -0.1"},
		{"NaN loss", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Loss: math.NaN()}}, sim.ErrInvalidConfig, "loss NaN"},
		{"duplicate above 1", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Duplicate: 2}}, sim.ErrInvalidConfig, "duplicate 2"},
		{"NaN duplicate", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Duplicate: math.NaN()}}, sim.ErrInvalidConfig, "duplicate NaN"},
		{"negative bandwidth", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Bandwidth: -1}}, sim.ErrInvalidConfig, "bandwidth"},
		{"infinite bandwidth", sim.Config{Nodes: nodes, Link: sim.LinkConfig{Bandwidth: math.Inf(1)}}, sim.ErrInvalidConfig, "bandwidth"},
		{"link from unknown node", sim.Config{Nodes: nodes, Links: map[[2]string]sim.LinkConfig{{"x", "a"}: {}}}, sim.ErrUnknownNode, `"x"`},
		{"link to unknown node", sim.Config{Nodes: nodes, Links: map[[2]string]sim.LinkConfig{{"a", "y"}: {}}}, sim.ErrUnknownNode, `"y"`},
		{"bad link override", sim.Config{Nodes: nodes, Links: map[[2]string]sim.LinkConfig{{"a", "b"}: {Loss: 3}}}, sim.ErrInvalidConfig, "link a->b: loss 3"},
		{"clock of unknown node", sim.Config{Nodes: nodes, Clocks: map[string]sim.ClockConfig{"z": {}}}, sim.ErrUnknownNode, `"z"`},
		{"drift -1", sim.Config{Nodes: nodes, Clocks: map[string]sim.ClockConfig{"a": {Drift: -1}}}, sim.ErrInvalidConfig, "drift -1"},
		{"NaN drift", sim.Config{Nodes: nodes, Clocks: map[string]sim.ClockConfig{"a": {Drift: math.NaN()}}}, sim.ErrInvalidConfig, "drift NaN"},
		{"infinite drift", sim.Config{Nodes: nodes, Clocks: map[string]sim.ClockConfig{"a": {Drift: math.Inf(1)}}}, sim.ErrInvalidConfig, "drift +Inf"},
		{"negative service time", sim.Config{Nodes: nodes, ServiceTime: -time.Millisecond}, sim.ErrInvalidConfig, "service time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.message, "the error names the problem")
			_, err = sim.New(tt.cfg, coreNew(nil))
			assert.ErrorIs(t, err, tt.want, "New rejects the configuration before starting anything")
		})
	}
}

func TestConfigValidAccepted(t *testing.T) {
	cfg := sim.Config{
		Nodes:  []string{"a", "b"},
		Link:   sim.LinkConfig{Latency: sim.Uniform(0, 0), Loss: 1, Duplicate: 0, Bandwidth: 1},
		Links:  map[[2]string]sim.LinkConfig{{"a", "a"}: {}},
		Clocks: map[string]sim.ClockConfig{"a": {Offset: -time.Hour, Drift: -0.999}},
	}
	assert.NoError(t, cfg.Validate(), "boundary values are valid")
	started := 0
	_, err := sim.New(cfg, coreNew(func(string, *coreEcho) { started++ }))
	require.NoError(t, err)
	assert.Equal(t, 2, started, "New creates every node")
}

func TestConfigValidationOrderIsStable(t *testing.T) {
	cfg := sim.Config{Nodes: []string{"a"}, Links: map[[2]string]sim.LinkConfig{
		{"x", "a"}: {}, {"w", "a"}: {}, {"y", "a"}: {}, {"a", "v"}: {},
	}}
	first := cfg.Validate().Error()
	for range 20 {
		assert.Equal(t, first, cfg.Validate().Error(), "the same configuration gives the same error every time")
	}
	assert.Contains(t, first, `"v"`, "links are checked in sorted order")
}

func TestConfigLatencyMatrix(t *testing.T) {
	links := sim.LatencyMatrix(map[string]map[string]time.Duration{
		"eu":   {"us": 40 * time.Millisecond, "asia": 90 * time.Millisecond, "eu": time.Hour},
		"asia": {"eu": 100 * time.Millisecond},
	})
	got := map[[2]string]string{}
	for k, l := range links {
		got[k] = l.Latency.String()
	}
	assert.Equal(t, map[[2]string]string{
		{"eu", "us"}:   "constant(40ms)",
		{"us", "eu"}:   "constant(40ms)",
		{"eu", "asia"}: "constant(90ms)",
		{"asia", "eu"}: "constant(100ms)",
	}, got, "one direction fills the other unless both are given; self entries are ignored")
}

func TestConfigLinkString(t *testing.T) {
	assert.Equal(t, "constant(1ms)", sim.LinkConfig{}.String())
	assert.Equal(t, "uniform(1ms,2ms) loss=0.1 duplicate=0.2 bandwidth=1000B/s",
		sim.LinkConfig{Latency: sim.Uniform(time.Millisecond, 2*time.Millisecond), Loss: 0.1, Duplicate: 0.2, Bandwidth: 1000}.String())
}
