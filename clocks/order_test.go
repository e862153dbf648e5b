package clocks_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/eventually-perfect/primitives/clocks"
)

func TestOrderString(t *testing.T) {
	cases := map[clocks.Order]string{
		clocks.Equal:      "equal",
		clocks.Before:     "before",
		clocks.After:      "after",
		clocks.Concurrent: "concurrent",
		clocks.Order(42):  "Order(42)",
	}
	for o, want := range cases {
		assert.Equal(t, want, o.String())
	}
}

func TestOrderInvertIsAnInvolution(t *testing.T) {
	for _, o := range []clocks.Order{clocks.Equal, clocks.Before, clocks.After, clocks.Concurrent} {
		assert.Equal(t, o, o.Invert().Invert(), "inverting twice must give the order back")
	}
	assert.Equal(t, clocks.After, clocks.Before.Invert(), "if x is before y, y is after x")
	assert.Equal(t, clocks.Before, clocks.After.Invert(), "if x is after y, y is before x")
	assert.Equal(t, clocks.Equal, clocks.Equal.Invert(), "equality is symmetric")
	assert.Equal(t, clocks.Concurrent, clocks.Concurrent.Invert(), "concurrency is symmetric")
}
