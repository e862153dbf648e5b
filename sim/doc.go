// Package sim is a deterministic simulator for message-passing protocols,
// with fault injection, an exhaustive explorer, and traces rendered as
// transcripts, SVG space-time diagrams and ShiViz logs.
package sim
