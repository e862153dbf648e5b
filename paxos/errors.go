package paxos

import "errors"

var (
	// ErrInvalidConfig: a Config is incomplete or inconsistent.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrNoIntersection: some phase-1 quorum misses some phase-2 quorum, and
	// Config.Unsafe does not ask for such a system.
	ErrNoIntersection = errors.New("phase-1 and phase-2 quorums do not all intersect")
	// ErrUnknownNode: a message names a node that is not in the
	// configuration, or is addressed to another node.
	ErrUnknownNode = errors.New("unknown node")
	// ErrBadMessage: a message is malformed or of a kind this node does not
	// handle in its roles.
	ErrBadMessage = errors.New("malformed message")
	// ErrBadCommand: a client command that no session can apply, such as
	// one with a Client and Seq 0 (sessions number commands from 1), or
	// that no decoder would read back (an Op or Client over MaxOpSize).
	ErrBadCommand = errors.New("malformed command")
	// ErrCorrupt: persisted state does not decode.
	ErrCorrupt = errors.New("corrupt state")
	// ErrStorage: the Storage failed to load or save; nothing was sent.
	ErrStorage = errors.New("storage failure")
)
