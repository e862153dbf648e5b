package sim

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/eventually-perfect/primitives/clocks"
)

// shivizRegexp is the parser regular expression WriteShiViz puts on the
// first line of its output, in ShiViz's syntax: named groups are written
// (?<name>...), and host, clock and event are the groups ShiViz requires;
// seq and time are extra fields it shows beside each event. ShiViz applies
// it with JavaScript's multiline flag, so ^ and $ match at line ends.
const shivizRegexp = `^(?<seq>\d+) (?<time>\S+) (?<host>\S+) (?<clock>\{[^}]*\}) (?<event>.*)$`

// WriteShiViz writes the trace as a log that the ShiViz visualiser
// (https://bestchai.bitbucket.io/shiviz/, Beschastnikh et al., "Debugging
// distributed systems", CACM 59(8), 2016) opens with "upload a file". As
// ShiViz documents for uploaded files, the first line is the regular
// expression that parses the log, the second line is the delimiter between
// executions (empty: the log holds one), and every following line is one
// event:
//
//	^(?<seq>\d+) (?<time>\S+) (?<host>\S+) (?<clock>\{[^}]*\}) (?<event>.*)$
//	(empty line)
//	0 0s a {"a":1} send m1 to b: ping
//	1 1ms b {"a":1,"b":1} deliver m1 from a: ping
//
// ShiViz accepts a clock only if it is a JSON object that holds the host's
// own entry, if each host's own entries count 1, 2, 3, ... through the log,
// and if every other entry names a host of the log and a count it
// reaches. WriteShiViz therefore computes the clocks it writes from the
// events themselves, ticking the host's entry at each event it writes and
// merging the sender's clock at each delivery; for a trace whose vector
// clocks follow the trace conventions, as the Simulator and the Explorer
// record them, these are the events' own Vector values.
//
// Only node events become log lines. Network events have no host: a lost
// message is shown by "(dropped)" at the end of its send, a duplicated
// one by "(duplicated as m7)", and network faults (partitions, heals,
// link changes) are written as the events of one more host, named
// "network". Host names are the node identifiers with every character
// other than ASCII letters, digits and _ . : @ / - replaced by '_' (and a
// ~2, ~3 ... suffix if two names then collide), because ShiViz reads a
// host up to the first space; events of a node with an empty name are
// left out. Text that is not printable on one line is written as a Go
// quoted string. Untimed (explorer) traces show "-" as time.
//
// The output depends only on the trace. A nil Trace is written as an empty
// log. The only error returned is w's.
func (t *Trace) WriteShiViz(w io.Writer) error {
	var tr Trace
	if t != nil {
		tr = *t
	}
	untimed := renderUntimed(&tr)
	hosts := shivizHosts(&tr)

	// The fate of every message, to annotate its send.
	dropped := make(map[int]bool)
	copies := make(map[int][]int)
	copyOf := make(map[int]int)
	for _, e := range tr.Events {
		switch e.Kind {
		case Drop:
			dropped[e.MsgID] = true
		case Duplicate:
			copies[e.MsgID] = append(copies[e.MsgID], e.Copy)
			copyOf[e.Copy] = e.MsgID
		}
	}

	clock := make(map[string]*clocks.Vector) // host's clock
	sent := make(map[int]clocks.Vector)      // message's clock
	var b bytes.Buffer
	b.WriteString(shivizRegexp)
	b.WriteString("\n\n")
	for _, e := range tr.Events {
		host, ok := hosts.node[e.Node]
		switch {
		case e.Kind == Fault:
			host, ok = hosts.network, true
		case e.Kind == Duplicate:
			if v, found := sent[e.MsgID]; found {
				sent[e.Copy] = v
			}
			continue
		case e.Kind == Drop:
			continue
		}
		if !ok {
			continue
		}
		v := clock[host]
		if v == nil {
			v = new(clocks.Vector)
			clock[host] = v
		}
		if e.Kind == Deliver {
			if m, found := sent[e.MsgID]; found {
				v.Merge(m)
			}
		}
		v.Tick(host)
		if e.Kind == Send {
			sent[e.MsgID] = v.Clone()
		}

		b.WriteString(strconv.Itoa(e.Seq))
		b.WriteByte(' ')
		if untimed {
			b.WriteByte('-')
		} else {
			b.WriteString(renderTime(e.Time))
		}
		b.WriteByte(' ')
		b.WriteString(host)
		b.WriteByte(' ')
		b.WriteByte('{')
		for i, x := range v.Entries() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(x.ID)) // host names need no JSON escapes
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(x.Count, 10))
		}
		b.WriteString("} ")
		b.WriteString(renderDescribe(e))
		switch e.Kind {
		case Send:
			if dropped[e.MsgID] {
				b.WriteString(" (dropped)")
			}
			for _, c := range copies[e.MsgID] {
				b.WriteString(" (duplicated as " + renderMsg(c))
				if dropped[c] {
					b.WriteString(", dropped")
				}
				b.WriteString(")")
			}
		case Deliver:
			if o, isCopy := copyOf[e.MsgID]; isCopy {
				b.WriteString(" (copy of " + renderMsg(o) + ")")
			}
		}
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// shivizHostNames maps node identifiers to ShiViz host names.
type shivizHostNames struct {
	node    map[string]string
	network string // host of network faults; "" if the trace has none
}

// shivizHosts names the hosts of a trace: Trace.Nodes in order, then any
// other node the events name, then the network if the trace has faults.
func shivizHosts(tr *Trace) shivizHostNames {
	h := shivizHostNames{node: make(map[string]string)}
	used := make(map[string]bool)
	name := func(id string) string {
		base := shivizSafe(id)
		n := base
		for i := 2; used[n]; i++ {
			n = base + "~" + strconv.Itoa(i)
		}
		used[n] = true
		return n
	}
	add := func(id string) {
		if _, ok := h.node[id]; !ok && id != "" {
			h.node[id] = name(id)
		}
	}
	for _, n := range tr.Nodes {
		add(n)
	}
	faults := false
	for _, e := range tr.Events {
		switch e.Kind {
		case Fault:
			faults = true
		case Drop, Duplicate:
		default:
			add(e.Node)
		}
	}
	if faults {
		h.network = name("network")
	}
	return h
}

// shivizSafe replaces every byte of id other than ASCII letters, digits and
// _ . : @ / - by '_', so that the name has no spaces, braces or quotes.
func shivizSafe(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return r
		case strings.ContainsRune("_.:@/-", r):
			return r
		}
		return '_'
	}, id)
}
