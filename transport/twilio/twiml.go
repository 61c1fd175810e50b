package twilio

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// ContentType is the media type of a TwiML answer.
const ContentType = "text/xml; charset=utf-8"

// ErrTwiML reports TwiML that cannot be built from the given input.
var ErrTwiML = errors.New("twilio: invalid TwiML input")

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>`

// ConnectStream answers a voice webhook by connecting the call to a
// bidirectional media stream at streamURL:
//
//	<Response><Connect><Stream url="wss://…"><Parameter name="k" value="v"/>…</Stream></Connect></Response>
//
// Twilio requires a wss:// URL and drops any query string, so values for the
// stream (such as the session token) go in params, written as <Parameter>s
// in key order so the output is deterministic; they come back in the start
// message's customParameters.
func ConnectStream(streamURL string, params map[string]string) ([]byte, error) {
	u, err := url.Parse(streamURL)
	if err != nil {
		return nil, fmt.Errorf("%w: stream URL: %w", ErrTwiML, err)
	}
	switch {
	case u.Scheme != "wss":
		return nil, fmt.Errorf("%w: stream URL %q is not wss://", ErrTwiML, streamURL)
	case u.Host == "":
		return nil, fmt.Errorf("%w: stream URL %q has no host", ErrTwiML, streamURL)
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("%w: stream URL %q has a query string; use parameters", ErrTwiML, streamURL)
	case u.Fragment != "":
		return nil, fmt.Errorf("%w: stream URL %q has a fragment", ErrTwiML, streamURL)
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%w: empty parameter name", ErrTwiML)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var b bytes.Buffer
	b.WriteString(xmlHeader + `<Response><Connect><Stream url="`)
	escape(&b, streamURL)
	b.WriteString(`">`)
	for _, k := range keys {
		b.WriteString(`<Parameter name="`)
		escape(&b, k)
		b.WriteString(`" value="`)
		escape(&b, params[k])
		b.WriteString(`"/>`)
	}
	b.WriteString(`</Stream></Connect></Response>`)
	return b.Bytes(), nil
}

// SayHangup answers a voice webhook by speaking text to the caller and
// hanging up, for calls Switchboard will not take (for example "This number
// is not in service.").
func SayHangup(text string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader + `<Response><Say>`)
	escape(&b, text)
	b.WriteString(`</Say><Hangup/></Response>`)
	return b.Bytes()
}

// Hangup answers a voice webhook by ending the call without a word.
func Hangup() []byte {
	return []byte(xmlHeader + `<Response><Hangup/></Response>`)
}

// escape writes s escaped for both element text and double-quoted
// attributes; characters XML cannot carry become U+FFFD.
func escape(b *bytes.Buffer, s string) {
	// Writing to a bytes.Buffer cannot fail.
	_ = xml.EscapeText(b, []byte(s))
}
