// Package clocks placeholder.
package clocks
