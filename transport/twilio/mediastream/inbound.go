package mediastream

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Errors returned by Parser.Parse, wrapped with detail; test with errors.Is.
var (
	// ErrMalformed means the frame is not valid JSON, a field has the wrong
	// type, or a numeric string or DTMF digit is not well formed.
	ErrMalformed = errors.New("mediastream: malformed message")
	// ErrUnknownEvent means the frame is well formed but its event is not
	// one this package knows; Twilio may add events, so callers should
	// ignore the frame rather than drop the call.
	ErrUnknownEvent = errors.New("mediastream: unknown event")
	// ErrBadPayload means a media payload is not valid standard base64.
	ErrBadPayload = errors.New("mediastream: bad media payload")
	// ErrTooLarge means the frame or its decoded media payload exceeds the
	// parser's limit.
	ErrTooLarge = errors.New("mediastream: message too large")
)

// DefaultMaxPayload is the largest decoded media payload Parser accepts when
// its MaxPayload is zero. Twilio sends 160 bytes (20 ms); 16 KiB is two
// seconds of μ-law, far beyond anything legitimate.
const DefaultMaxPayload = 16 << 10

// frameOverhead is how many bytes of a frame, besides the base64 payload,
// Parser tolerates before refusing it outright, so that a huge frame is
// rejected before it is scanned.
const frameOverhead = 8 << 10

// Kind is the event of an inbound message.
type Kind uint8

// The inbound events.
const (
	KindUnknown Kind = iota
	KindConnected
	KindStart
	KindMedia
	KindDTMF
	KindMark
	KindStop
)

var kindNames = [...]string{
	KindUnknown:   "unknown",
	KindConnected: "connected",
	KindStart:     "start",
	KindMedia:     "media",
	KindDTMF:      "dtmf",
	KindMark:      "mark",
	KindStop:      "stop",
}

// String returns the event name as Twilio spells it.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

func kindOf(event string) Kind {
	for k := KindConnected; int(k) < len(kindNames); k++ {
		if kindNames[k] == event {
			return k
		}
	}
	return KindUnknown
}

// Inbound is one message from Twilio. Only the part named by Event is
// filled in; the others are zero.
type Inbound struct {
	Event     Kind
	StreamSID string // top-level streamSid (absent on connected)
	Seq       uint64 // sequenceNumber; 0 when absent

	Connected Connected
	Start     Start
	Media     Media
	DTMF      byte   // the digit pressed: '0'-'9', '*', '#', 'A'-'D'
	Mark      string // name of a mark whose audio has played or was cleared
	Stop      Stop
}

// Connected is the first message on a stream.
type Connected struct {
	Protocol string // "Call"
	Version  string // "1.0.0"
}

// Start describes the stream; CustomParameters carries the TwiML
// <Parameter>s.
type Start struct {
	AccountSID       string
	CallSID          string
	StreamSID        string
	Tracks           []string
	CustomParameters map[string]string
	MediaFormat      MediaFormat
}

// MediaFormat is the audio encoding Twilio uses on the stream.
type MediaFormat struct {
	Encoding   string // "audio/x-mulaw"
	SampleRate int    // 8000
	Channels   int    // 1
}

// Media is one chunk of caller audio.
type Media struct {
	Track     string // "inbound" or "outbound"
	Chunk     uint64
	Timestamp uint64 // milliseconds since the stream started
	// Payload is the decoded μ-law audio. Parse decodes into the slice's
	// existing capacity, so it is only valid until the next Parse into the
	// same Inbound.
	Payload []byte
}

// Stop ends the stream.
type Stop struct {
	AccountSID string
	CallSID    string
}

// Parser decodes inbound frames. The zero value is ready to use. A Parser
// holds no per-message state and may be shared, but each goroutine needs its
// own Inbound.
type Parser struct {
	// MaxPayload bounds the decoded media payload in bytes; zero means
	// DefaultMaxPayload.
	MaxPayload int
}

func (p *Parser) maxPayload() int {
	if p.MaxPayload > 0 {
		return p.MaxPayload
	}
	return DefaultMaxPayload
}

// Parse decodes msg into out, overwriting every field. It reuses
// out.Media.Payload's storage and, when unchanged, the out.StreamSID and
// out.Media.Track strings, so parsing media frames of an ongoing stream into
// the same Inbound does not allocate.
func (p *Parser) Parse(msg []byte, out *Inbound) error {
	max := p.maxPayload()
	if len(msg) > base64.StdEncoding.EncodedLen(max)+frameOverhead {
		out.reset()
		return fmt.Errorf("%w: frame of %d bytes", ErrTooLarge, len(msg))
	}
	if p.parseMedia(msg, out, max) {
		return nil
	}
	return p.parseSlow(msg, out, max)
}

// reset clears in but keeps the payload's storage.
func (in *Inbound) reset() {
	*in = Inbound{Media: Media{Payload: in.Media.Payload[:0]}}
}

// wire mirrors Twilio's JSON for encoding/json. Numeric-looking fields are
// strings on the wire; pointers tell absent from empty.
type wire struct {
	Event          string  `json:"event"`
	SequenceNumber *string `json:"sequenceNumber"`
	StreamSID      string  `json:"streamSid"`
	Protocol       string  `json:"protocol"`
	Version        string  `json:"version"`
	Start          *struct {
		AccountSID       string            `json:"accountSid"`
		CallSID          string            `json:"callSid"`
		StreamSID        string            `json:"streamSid"`
		Tracks           []string          `json:"tracks"`
		CustomParameters map[string]string `json:"customParameters"`
		MediaFormat      struct {
			Encoding   string `json:"encoding"`
			SampleRate int    `json:"sampleRate"`
			Channels   int    `json:"channels"`
		} `json:"mediaFormat"`
	} `json:"start"`
	Media *struct {
		Track     string  `json:"track"`
		Chunk     *string `json:"chunk"`
		Timestamp *string `json:"timestamp"`
		Payload   string  `json:"payload"`
	} `json:"media"`
	DTMF *struct {
		Track string `json:"track"`
		Digit string `json:"digit"`
	} `json:"dtmf"`
	Mark *struct {
		Name string `json:"name"`
	} `json:"mark"`
	Stop *struct {
		AccountSID string `json:"accountSid"`
		CallSID    string `json:"callSid"`
	} `json:"stop"`
}

// parseSlow is the reference decoder: encoding/json decides what is valid.
func (p *Parser) parseSlow(msg []byte, out *Inbound, max int) error {
	out.reset()
	var w wire
	if err := json.Unmarshal(msg, &w); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	seq, err := optUint("sequenceNumber", w.SequenceNumber)
	if err != nil {
		return err
	}
	kind := kindOf(w.Event)
	if kind == KindUnknown {
		return fmt.Errorf("%w: %q", ErrUnknownEvent, w.Event)
	}
	out.StreamSID = w.StreamSID
	out.Seq = seq

	switch kind {
	case KindConnected:
		out.Connected = Connected{Protocol: w.Protocol, Version: w.Version}
	case KindStart:
		if w.Start == nil {
			return fmt.Errorf("%w: start event without start object", ErrMalformed)
		}
		s := w.Start
		out.Start = Start{
			AccountSID:       s.AccountSID,
			CallSID:          s.CallSID,
			StreamSID:        s.StreamSID,
			Tracks:           s.Tracks,
			CustomParameters: s.CustomParameters,
			MediaFormat:      MediaFormat(s.MediaFormat),
		}
	case KindMedia:
		if w.Media == nil {
			return fmt.Errorf("%w: media event without media object", ErrMalformed)
		}
		m := w.Media
		if out.Media.Chunk, err = optUint("chunk", m.Chunk); err != nil {
			return err
		}
		if out.Media.Timestamp, err = optUint("timestamp", m.Timestamp); err != nil {
			return err
		}
		out.Media.Track = m.Track
		if out.Media.Payload, err = decodePayload(out.Media.Payload[:0], []byte(m.Payload), max); err != nil {
			return err
		}
	case KindDTMF:
		if w.DTMF == nil || len(w.DTMF.Digit) != 1 || !isDTMFDigit(w.DTMF.Digit[0]) {
			return fmt.Errorf("%w: dtmf event without a single valid digit", ErrMalformed)
		}
		out.DTMF = w.DTMF.Digit[0]
	case KindMark:
		if w.Mark == nil {
			return fmt.Errorf("%w: mark event without mark object", ErrMalformed)
		}
		out.Mark = w.Mark.Name
	case KindStop:
		if w.Stop != nil {
			out.Stop = Stop{AccountSID: w.Stop.AccountSID, CallSID: w.Stop.CallSID}
		}
	}
	// Set last so that a failed parse never reports a half-filled event.
	out.Event = kind
	return nil
}

func optUint(field string, s *string) (uint64, error) {
	if s == nil {
		return 0, nil
	}
	v, ok := parseDigits(*s)
	if !ok {
		return 0, fmt.Errorf("%w: %s %q is not a decimal number", ErrMalformed, field, *s)
	}
	return v, nil
}

// parseDigits parses a non-empty run of ASCII digits that fits in uint64.
// Both decoding paths use it so that they agree on every input.
func parseDigits[T string | []byte](s T) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

func isDTMFDigit(c byte) bool {
	return c >= '0' && c <= '9' || c == '*' || c == '#' || c >= 'A' && c <= 'D'
}

// decodePayload decodes base64 src into dst's storage, growing it only when
// its capacity is too small.
func decodePayload(dst, src []byte, max int) ([]byte, error) {
	n := base64.StdEncoding.DecodedLen(len(src))
	if n > max+2 { // DecodedLen rounds up to a multiple of three
		return dst[:0], fmt.Errorf("%w: media payload over %d bytes", ErrTooLarge, max)
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	m, err := base64.StdEncoding.Decode(dst[:n], src)
	if err != nil {
		return dst[:0], fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	if m > max {
		return dst[:0], fmt.Errorf("%w: media payload over %d bytes", ErrTooLarge, max)
	}
	return dst[:m], nil
}
