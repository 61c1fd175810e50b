package mediastream

import (
	"bytes"
)

// parseMedia is the allocation-free path for the one message that matters
// for throughput: a media event made only of the keys Twilio sends, with
// plain ASCII strings. It reports false, leaving the decision to parseSlow,
// for anything else, including every error, so it can never accept what
// encoding/json would reject or read a message differently (FuzzParse
// checks this).
func (p *Parser) parseMedia(msg []byte, out *Inbound, max int) bool {
	var (
		sc                        = scanner{b: msg}
		event, sid, seq           []byte
		haveSeq, haveMedia        bool
		track, chunk, ts, payload []byte
		haveChunk, haveTS         bool
		key, val                  []byte
		ok                        bool
	)
	if !sc.open() {
		return false
	}
	for first := true; ; first = false {
		if key, ok = sc.nextKey(first); !ok {
			return false
		}
		if key == nil {
			break
		}
		switch string(key) {
		case "media":
			if !sc.open() {
				return false
			}
			haveMedia = true
			for first := true; ; first = false {
				if key, ok = sc.nextKey(first); !ok {
					return false
				}
				if key == nil {
					break
				}
				if val, ok = sc.str(); !ok {
					return false
				}
				switch string(key) {
				case "track":
					track = val
				case "chunk":
					chunk, haveChunk = val, true
				case "timestamp":
					ts, haveTS = val, true
				case "payload":
					payload = val
				default:
					return false
				}
			}
		case "event", "streamSid", "sequenceNumber":
			if val, ok = sc.str(); !ok {
				return false
			}
			switch key[1] {
			case 'v':
				event = val
			case 't':
				sid = val
			default:
				seq, haveSeq = val, true
			}
		default:
			return false
		}
	}
	if !sc.end() || string(event) != "media" || !haveMedia {
		return false
	}
	var seqN, chunkN, tsN uint64
	if haveSeq {
		if seqN, ok = parseDigits(seq); !ok {
			return false
		}
	}
	if haveChunk {
		if chunkN, ok = parseDigits(chunk); !ok {
			return false
		}
	}
	if haveTS {
		if tsN, ok = parseDigits(ts); !ok {
			return false
		}
	}
	buf, err := decodePayload(out.Media.Payload[:0], payload, max)
	if err != nil {
		out.Media.Payload = buf // keep any storage that was grown
		return false
	}
	// Reuse the previous strings when the bytes match: comparing a []byte
	// converted in place does not allocate, converting it to keep does.
	streamSID := out.StreamSID
	if string(sid) != streamSID {
		streamSID = string(sid)
	}
	trackName := out.Media.Track
	if string(track) != trackName {
		trackName = string(track)
	}
	*out = Inbound{
		Event:     KindMedia,
		StreamSID: streamSID,
		Seq:       seqN,
		Media: Media{
			Track:     trackName,
			Chunk:     chunkN,
			Timestamp: tsN,
			Payload:   buf,
		},
	}
	return true
}

// scanner reads the subset of JSON the fast path handles: objects whose
// values are objects or strings without escapes or non-ASCII bytes. It is
// strict about the syntax it accepts and gives up (ok == false) on anything
// else, leaving encoding/json to decide.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// open consumes the '{' that starts an object.
func (s *scanner) open() bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '{' {
		s.i++
		return true
	}
	return false
}

// end reports whether only whitespace follows.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// nextKey returns the object's next key, having consumed the ',' before it
// (unless first) and the ':' after it, or nil once it has consumed the
// closing '}'.
func (s *scanner) nextKey(first bool) ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) {
		return nil, false
	}
	switch c := s.b[s.i]; {
	case c == '}':
		s.i++
		return nil, true
	case !first && c != ',':
		return nil, false
	case !first:
		s.i++
	}
	key, ok := s.str()
	if !ok {
		return nil, false
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return nil, false
	}
	s.i++
	return key, true
}

// str returns the contents of a string that holds only printable ASCII and
// no escapes. The result is never nil, so an empty key is told from the end
// of an object.
func (s *scanner) str() ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	end := bytes.IndexByte(s.b[start:], '"')
	if end < 0 {
		return nil, false
	}
	v := s.b[start : start+end : start+end]
	for _, c := range v {
		if c == '\\' || c < 0x20 || c >= 0x7f {
			return nil, false
		}
	}
	s.i = start + end + 1
	return v, true
}
