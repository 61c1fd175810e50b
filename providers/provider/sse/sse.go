package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrLineTooLong reports a line longer than the Reader's limit.
var ErrLineTooLong = errors.New("sse: line too long")

// DefaultMaxLine is the line limit NewReader uses when given 0. A streamed
// chunk is a few hundred bytes; a megabyte leaves room for a whole tool call
// sent at once while still bounding a runaway upstream.
const DefaultMaxLine = 1 << 20

// Event is one dispatched event. Data (the data lines joined by LF) aliases
// the Reader's scratch space and is valid only until the next call to Next.
type Event struct {
	Type string // the event field; empty means "message"
	Data []byte
	ID   string
}

// Reader decodes events from a stream. It is not safe for concurrent use.
type Reader struct {
	r       *bufio.Reader
	maxLine int
	line    []byte // scratch for lines split across bufio refills
	data    []byte // scratch for the current event's data
	typ     []byte // scratch for the current event's type
}

// NewReader returns a Reader over r whose lines may be at most maxLine bytes
// (DefaultMaxLine if maxLine <= 0).
func NewReader(r io.Reader, maxLine int) *Reader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &Reader{r: bufio.NewReaderSize(r, 4096), maxLine: maxLine}
}

// Next returns the next event that has data. At the end of the stream it
// returns io.EOF; an event left unterminated by a blank line at EOF is
// discarded, as the standard requires. Errors from the underlying reader
// are returned as they are.
func (r *Reader) Next() (Event, error) {
	r.data = r.data[:0]
	r.typ = r.typ[:0]
	var id string
	hasData := false
	for {
		line, err := r.readLine()
		if err != nil {
			return Event{}, err
		}
		if len(line) == 0 { // blank line: dispatch
			if !hasData {
				r.typ = r.typ[:0]
				continue
			}
			return Event{Type: string(r.typ), Data: r.data, ID: id}, nil
		}
		if line[0] == ':' { // comment, e.g. keep-alive pings
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			hasData = true
		case "event":
			r.typ = append(r.typ[:0], value...)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				id = string(value)
			}
		}
	}
}

// readLine returns the next line without its terminator. The slice is valid
// until the next call.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.line = append(r.line[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.line) > r.maxLine {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, r.maxLine)
			}
			line, err = r.r.ReadSlice('\n')
			r.line = append(r.line, line...)
		}
		line = r.line
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			// A last line with no terminator cannot end an event: the
			// event it belongs to is never dispatched.
			return nil, io.EOF
		}
		return nil, err
	}
	if len(line) > r.maxLine+2 {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, r.maxLine)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}
