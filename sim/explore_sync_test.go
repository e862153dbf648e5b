package sim

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xpCaller sends one request to "callee" when it starts and sets a timer;
// the callee answers. The caller counts a timeout only if the answer has not
// come: a premature timeout, since nothing was lost.
type xpCaller struct {
	callee   bool
	answered bool
	timedOut bool
}

func (c *xpCaller) Start(ctx *Context[xpMsg]) {
	if !c.callee {
		ctx.Send("callee", xpMsg{Kind: "req"})
		ctx.SetTimer("wait", 1)
	}
}

func (c *xpCaller) Receive(ctx *Context[xpMsg], from string, m xpMsg) {
	if c.callee {
		ctx.Send(from, xpMsg{Kind: "ack"})
		return
	}
	c.answered = true
	ctx.CancelTimer("wait")
}

func (c *xpCaller) Timeout(ctx *Context[xpMsg], name string) { c.timedOut = true }
func (c *xpCaller) Clone() *xpCaller                         { d := *c; return &d }
func (c *xpCaller) AppendState(b []byte) []byte {
	return binary.AppendUvarint(b, uint64(b2i(c.answered)<<1|b2i(c.timedOut)))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

var errXPTimedOut = errors.New("the caller timed out")

func xpCallerConfig(synchronous bool, drops int) ExploreConfig[xpMsg, *xpCaller] {
	return ExploreConfig[xpMsg, *xpCaller]{
		Nodes:         []string{"caller", "callee"},
		New:           func(id string) *xpCaller { return &xpCaller{callee: id == "callee"} },
		EncodeMessage: xpEncode,
		Synchronous:   synchronous,
		MaxDrops:      drops,
		MaxTimeouts:   1,
		Workers:       1,
		Invariant: func(w *World[xpMsg, *xpCaller]) error {
			if n, ok := w.Node("caller"); ok && n.timedOut {
				return errXPTimedOut
			}
			return nil
		},
	}
}

// In the asynchronous model a timer may fire at any moment, so the caller
// can time out while its request is still on its way: one action.
func TestExploreAsynchronousTimerFiresEarly(t *testing.T) {
	res, err := Explore(xpCallerConfig(false, 0))
	require.NoError(t, err)
	require.NotNil(t, res.Violation, "in the asynchronous model a timeout may come before any answer")
	assert.Equal(t, 1, res.Violation.Depth)
}

// In the synchronous model a timer fires only when no message can be
// delivered, so without a loss the caller never times out; one drop (of the
// request or of the answer) is enough, and the shortest schedule is the
// drop followed by the timeout.
func TestExploreSynchronousTimerWaitsForMessages(t *testing.T) {
	res, err := Explore(xpCallerConfig(true, 0))
	require.NoError(t, err)
	assert.Nil(t, res.Violation, "in the synchronous model a timeout must wait until no message can be delivered")
	assert.True(t, res.Complete)

	res, err = Explore(xpCallerConfig(true, 1))
	require.NoError(t, err)
	require.NotNil(t, res.Violation, "after a loss the timeout must be able to fire")
	assert.Equal(t, 2, res.Violation.Depth, "the shortest schedule is: drop, then time out")
	var kinds []EventKind
	for _, e := range res.Violation.Trace.Events {
		if e.Kind == Drop || e.Kind == Timer {
			kinds = append(kinds, e.Kind)
		}
	}
	assert.Equal(t, []EventKind{Drop, Timer}, kinds)
}
