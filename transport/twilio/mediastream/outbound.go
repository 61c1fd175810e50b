package mediastream

import (
	"encoding/base64"
	"unicode/utf8"
)

// AppendMedia appends a media message carrying mulaw (8 kHz μ-law, any
// length; Twilio plays it in order) to dst:
//
//	{"event":"media","streamSid":"MZ…","media":{"payload":"<base64>"}}
//
// It allocates only when dst lacks capacity.
func AppendMedia(dst []byte, streamSID string, mulaw []byte) []byte {
	dst = append(dst, `{"event":"media","streamSid":`...)
	dst = appendString(dst, streamSID)
	dst = append(dst, `,"media":{"payload":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, mulaw)
	return append(dst, `"}}`...)
}

// AppendMark appends a mark message; Twilio echoes a mark event with the
// same name once the audio sent before it has played, or was cleared.
//
//	{"event":"mark","streamSid":"MZ…","mark":{"name":"…"}}
func AppendMark(dst []byte, streamSID, name string) []byte {
	dst = append(dst, `{"event":"mark","streamSid":`...)
	dst = appendString(dst, streamSID)
	dst = append(dst, `,"mark":{"name":`...)
	dst = appendString(dst, name)
	return append(dst, `}}`...)
}

// AppendClear appends a clear message, which drops the audio Twilio has
// queued for the call (used on barge-in) and makes it return every pending
// mark.
//
//	{"event":"clear","streamSid":"MZ…"}
func AppendClear(dst []byte, streamSID string) []byte {
	dst = append(dst, `{"event":"clear","streamSid":`...)
	dst = appendString(dst, streamSID)
	return append(dst, '}')
}

// MediaLen is the length of the message AppendMedia writes, so a caller can
// size a reusable buffer once.
func MediaLen(streamSID string, mulawLen int) int {
	return len(`{"event":"media","streamSid":,"media":{"payload":""}}`) +
		stringLen(streamSID) + base64.StdEncoding.EncodedLen(mulawLen)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Stream SIDs and mark names are
// normally plain ASCII; escaping keeps a hostile or odd name from breaking
// the frame. Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// stringLen is len(appendString(nil, s)) without building it.
func stringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				n += len(`\ufffd`)
			} else {
				n += size
			}
			i += size
			continue
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n += 2
		case c < 0x20:
			n += 6
		default:
			n++
		}
		i++
	}
	return n
}
