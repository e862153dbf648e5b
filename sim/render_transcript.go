package sim

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// WriteTranscript writes the trace as plain text, one line per event, in
// aligned columns:
//
//	seq  time  node  kind  peer  msg  lamport  vector  text
//
// after a header line that gives the seed, the number of events and the
// nodes (quoted if they contain spaces). The message column names a message as m<MsgID>; a duplicate shows
// the original and its copy as m3->m7. Network events (Drop, Duplicate,
// Fault) have no clocks and show "-" there, as does any empty column. The
// free-form text comes last so that long message renderings do not push
// the other columns apart; text with control or other non-printable
// characters is written as a Go quoted string, so every event stays on one
// line.
//
// A trace whose every event time equals its sequence number, as the
// Explorer records them (it has no time), is written without the time
// column.
//
// The output depends only on the trace, so it can be compared with a
// golden file. A nil Trace is written as an empty one. The only error
// returned is w's.
func (t *Trace) WriteTranscript(w io.Writer) error {
	var tr Trace
	if t != nil {
		tr = *t
	}
	abstract := renderUntimed(&tr)

	header := []string{"seq", "time", "node", "kind", "peer", "msg", "lamport", "vector", "text"}
	rows := make([][]string, 0, len(tr.Events)+1)
	rows = append(rows, header)
	for _, e := range tr.Events {
		rows = append(rows, []string{
			strconv.Itoa(e.Seq),
			renderTime(e.Time),
			renderOrDash(renderOneLine(e.Node)),
			e.Kind.String(),
			renderOrDash(renderOneLine(e.Peer)),
			renderMsgColumn(e),
			renderLamportColumn(e),
			renderVectorColumn(e),
			renderOneLine(e.Text),
		})
	}
	if abstract {
		for i, r := range rows {
			rows[i] = append(r[:1], r[2:]...)
		}
	}

	var b bytes.Buffer
	b.WriteString("# trace: seed ")
	b.WriteString(strconv.FormatUint(tr.Seed, 10))
	b.WriteString(", ")
	b.WriteString(strconv.Itoa(len(tr.Events)))
	if len(tr.Events) == 1 {
		b.WriteString(" event")
	} else {
		b.WriteString(" events")
	}
	if abstract {
		b.WriteString(", untimed (steps)")
	}
	b.WriteString(", nodes:")
	if len(tr.Nodes) == 0 {
		b.WriteString(" (none)")
	}
	for _, n := range tr.Nodes {
		b.WriteByte(' ')
		if n == "" || strings.ContainsRune(n, ' ') {
			b.WriteString(strconv.Quote(n)) // keep the list readable
		} else {
			b.WriteString(renderOneLine(n))
		}
	}
	b.WriteByte('\n')
	renderColumns(&b, rows)
	_, err := w.Write(b.Bytes())
	return err
}

// renderColumns writes rows as space-separated columns padded to the
// widest cell of each column (counted in runes), numbers right-aligned,
// without trailing spaces.
func renderColumns(b *bytes.Buffer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		// Drop trailing empty cells so that lines never end in spaces.
		n := len(r)
		for n > 0 && r[n-1] == "" {
			n--
		}
		for i, c := range r[:n] {
			pad := width[i] - utf8.RuneCountInString(c)
			last := i == n-1
			if i > 0 {
				b.WriteString("  ")
			}
			if i == 0 { // seq: right-aligned
				b.WriteString(strings.Repeat(" ", pad))
				b.WriteString(c)
				continue
			}
			b.WriteString(c)
			if !last {
				b.WriteString(strings.Repeat(" ", pad))
			}
		}
		b.WriteByte('\n')
	}
}

// renderUntimed reports whether the trace has no real time: every event's
// Time equals its Seq, as the Explorer records them.
func renderUntimed(t *Trace) bool {
	if len(t.Events) < 2 {
		return false
	}
	for _, e := range t.Events {
		if e.Time != time.Duration(e.Seq) {
			return false
		}
	}
	return true
}

// renderNetworkEvent reports whether events of kind k happen in the network
// rather than at a node, and so carry no clocks.
func renderNetworkEvent(k EventKind) bool {
	return k == Drop || k == Duplicate || k == Fault
}

// renderMessageEvent reports whether events of kind k are about one message.
func renderMessageEvent(k EventKind) bool {
	return k == Send || k == Deliver || k == Drop || k == Duplicate
}

func renderTime(d time.Duration) string { return d.String() }

func renderMsg(id int) string { return "m" + strconv.Itoa(id) }

func renderMsgColumn(e Event) string {
	if e.MsgID == 0 && !renderMessageEvent(e.Kind) {
		return "-"
	}
	s := renderMsg(e.MsgID)
	if e.Kind == Duplicate {
		s += "->" + renderMsg(e.Copy)
	}
	return s
}

func renderLamportColumn(e Event) string {
	if renderNetworkEvent(e.Kind) && e.Lamport == 0 {
		return "-"
	}
	return strconv.FormatUint(e.Lamport, 10)
}

func renderVectorColumn(e Event) string {
	if renderNetworkEvent(e.Kind) && e.Vector.Len() == 0 {
		return "-"
	}
	return e.Vector.String()
}

func renderOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// renderOneLine returns s unchanged if it is valid UTF-8 made of printable
// characters and spaces, and as a Go quoted string otherwise, so that it
// never spans lines or hides control characters.
func renderOneLine(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}

// renderDescribe is a one-line description of an event in words, used as
// tooltip in the SVG and as event text in the ShiViz log: "send m1 to b:
// ping", "crash", "fault: partition {a} {b c}".
func renderDescribe(e Event) string {
	var b strings.Builder
	switch e.Kind {
	case Send:
		b.WriteString("send " + renderMsg(e.MsgID) + " to " + renderOneLine(e.Peer))
	case Deliver:
		b.WriteString("deliver " + renderMsg(e.MsgID) + " from " + renderOneLine(e.Peer))
	case Drop:
		b.WriteString("drop " + renderMsg(e.MsgID) + " from " + renderOneLine(e.Node) + " to " + renderOneLine(e.Peer))
	case Duplicate:
		b.WriteString("duplicate " + renderMsg(e.MsgID) + " from " + renderOneLine(e.Node) + " to " + renderOneLine(e.Peer) + " as " + renderMsg(e.Copy))
	case Timer:
		b.WriteString("timer")
	default:
		b.WriteString(e.Kind.String())
	}
	if e.Text != "" {
		if e.Kind == Timer {
			b.WriteString(" ")
		} else {
			b.WriteString(": ")
		}
		b.WriteString(renderOneLine(e.Text))
	}
	return b.String()
}
