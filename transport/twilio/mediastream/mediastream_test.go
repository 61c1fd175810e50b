package mediastream

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the outbound golden files")

const sid = "MZ18ad3ab5a668481ce02b83e7395059f0"

// testPayload is the μ-law chunk encoded in testdata/inbound/media.json and
// testdata/outbound/media.json (base64 written by an independent tool).
func testPayload() []byte {
	p := make([]byte, 160)
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return p
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGolden(t *testing.T) {
	tests := []struct {
		file string
		want Inbound
	}{
		{"connected.json", Inbound{Event: KindConnected, Connected: Connected{Protocol: "Call", Version: "1.0.0"}}},
		{"start.json", Inbound{Event: KindStart, StreamSID: sid, Seq: 1, Start: Start{
			AccountSID:       "AC00000000000000000000000000000001",
			CallSID:          "CA00000000000000000000000000000002",
			StreamSID:        sid,
			Tracks:           []string{"inbound"},
			CustomParameters: map[string]string{"token": "abc.def", "agent": "agent_42"},
			MediaFormat:      MediaFormat{Encoding: "audio/x-mulaw", SampleRate: 8000, Channels: 1},
		}}},
		{"media.json", Inbound{Event: KindMedia, StreamSID: sid, Seq: 3, Media: Media{
			Track: "inbound", Chunk: 1, Timestamp: 5, Payload: testPayload(),
		}}},
		{"dtmf.json", Inbound{Event: KindDTMF, StreamSID: sid, Seq: 5, DTMF: '1'}},
		{"mark.json", Inbound{Event: KindMark, StreamSID: sid, Seq: 4, Mark: "my label"}},
		{"stop.json", Inbound{Event: KindStop, StreamSID: sid, Seq: 5, Stop: Stop{
			AccountSID: "AC00000000000000000000000000000001",
			CallSID:    "CA00000000000000000000000000000002",
		}}},
	}
	var p Parser
	// One Inbound for the whole table, as a connection would use it: no
	// field of an earlier event may leak into a later one.
	var got Inbound
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if err := p.Parse(readFile(t, filepath.Join("inbound", tt.file)), &got); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !equalInbound(&got, &tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMediaUsesFastPath(t *testing.T) {
	msg := readFile(t, "inbound/media.json")
	var in Inbound
	if !new(Parser).parseMedia(msg, &in, DefaultMaxPayload) {
		t.Fatal("the media message Twilio sends should be decoded by the fast path")
	}
}

func TestParseErrors(t *testing.T) {
	big := `{"event":"media","media":{"payload":"` + strings.Repeat("AAAA", 6000) + `"}}`
	tests := []struct {
		name string
		msg  string
		want error
	}{
		{"empty", ``, ErrMalformed},
		{"truncated", `{"event":"media","media":{"payload":"AAAA"`, ErrMalformed},
		{"not an object", `["media"]`, ErrMalformed},
		{"number as seq", `{"event":"media","sequenceNumber":3,"media":{"payload":""}}`, ErrMalformed},
		{"seq not digits", `{"event":"stop","sequenceNumber":"-3"}`, ErrMalformed},
		{"seq empty", `{"event":"stop","sequenceNumber":""}`, ErrMalformed},
		{"seq overflow", `{"event":"stop","sequenceNumber":"18446744073709551616"}`, ErrMalformed},
		{"chunk not digits", `{"event":"media","media":{"chunk":"1e3","payload":""}}`, ErrMalformed},
		{"media without object", `{"event":"media"}`, ErrMalformed},
		{"media null", `{"event":"media","media":null}`, ErrMalformed},
		{"start without object", `{"event":"start"}`, ErrMalformed},
		{"mark without object", `{"event":"mark"}`, ErrMalformed},
		{"dtmf two digits", `{"event":"dtmf","dtmf":{"digit":"12"}}`, ErrMalformed},
		{"dtmf bad digit", `{"event":"dtmf","dtmf":{"digit":"x"}}`, ErrMalformed},
		{"sample rate string", `{"event":"start","start":{"mediaFormat":{"sampleRate":"8000"}}}`, ErrMalformed},
		{"unknown event", `{"event":"hello"}`, ErrUnknownEvent},
		{"no event", `{"streamSid":"MZ1"}`, ErrUnknownEvent},
		{"bad base64", `{"event":"media","media":{"payload":"A!AA"}}`, ErrBadPayload},
		{"unpadded base64", `{"event":"media","media":{"payload":"AAA"}}`, ErrBadPayload},
		{"payload too large", big, ErrTooLarge},
		{"frame too large", big + strings.Repeat(" ", 40000), ErrTooLarge},
	}
	p := Parser{MaxPayload: 4096}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in Inbound
			in.Event = KindMedia // a failed parse must not report a stale event
			err := p.Parse([]byte(tt.msg), &in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			if in.Event != KindUnknown {
				t.Errorf("Event = %v after an error, want unknown", in.Event)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want Inbound
	}{
		{"whitespace and key order", " {\n\"media\" : { \"payload\" : \"AAEC\" , \"track\":\"outbound\"} ,\t\"event\":\"media\" }\n",
			Inbound{Event: KindMedia, Media: Media{Track: "outbound", Payload: []byte{0, 1, 2}}}},
		{"escaped strings", `{"event":"media","streamSid":"MZ\u0031","media":{"payload":"AAEC"}}`,
			Inbound{Event: KindMedia, StreamSID: "MZ1", Media: Media{Payload: []byte{0, 1, 2}}}},
		{"unknown fields ignored", `{"event":"media","new":{"x":[1,2]},"media":{"payload":"AAEC","extra":"y"}}`,
			Inbound{Event: KindMedia, Media: Media{Payload: []byte{0, 1, 2}}}},
		{"empty payload", `{"event":"media","media":{"payload":""}}`, Inbound{Event: KindMedia}},
		{"dtmf star", `{"event":"dtmf","dtmf":{"digit":"*"}}`, Inbound{Event: KindDTMF, DTMF: '*'}},
		{"stop without object", `{"event":"stop","streamSid":"MZ1"}`, Inbound{Event: KindStop, StreamSID: "MZ1"}},
		{"max uint64 seq", `{"event":"stop","sequenceNumber":"18446744073709551615"}`, Inbound{Event: KindStop, Seq: 1<<64 - 1}},
	}
	var p Parser
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in Inbound
			if err := p.Parse([]byte(tt.msg), &in); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !equalInbound(&in, &tt.want) {
				t.Errorf("got  %+v\nwant %+v", in, tt.want)
			}
		})
	}
}

func TestParseMediaAllocs(t *testing.T) {
	msg := readFile(t, "inbound/media.json")
	var (
		p  Parser
		in Inbound
	)
	if err := p.Parse(msg, &in); err != nil { // first call sizes the buffers
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if err := p.Parse(msg, &in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Parse of a media message allocates %v times, want 0", allocs)
	}
}

func TestOutboundGolden(t *testing.T) {
	tests := []struct {
		file string
		got  []byte
	}{
		{"media.json", AppendMedia(nil, sid, testPayload())},
		{"mark.json", AppendMark(nil, sid, `turn-3 "greeting"`)},
		{"clear.json", AppendClear(nil, sid)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "outbound", tt.file)
			if *update {
				if err := os.WriteFile(path, tt.got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readFile(t, filepath.Join("outbound", tt.file))
			if !bytes.Equal(tt.got, want) {
				t.Errorf("got  %s\nwant %s", tt.got, want)
			}
		})
	}
}

func TestAppendAppends(t *testing.T) {
	prefix := []byte("keep:")
	got := AppendClear(append([]byte(nil), prefix...), "MZ1")
	if want := `keep:{"event":"clear","streamSid":"MZ1"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestOutboundIsJSON checks the hand-written encoder against encoding/json
// on awkward names: whatever goes in must come back out unchanged (invalid
// UTF-8 aside, which both replace with U+FFFD).
func TestOutboundIsJSON(t *testing.T) {
	names := []string{"", "plain", `q"uote`, `back\slash`, "ctl\x00\x01\x1f\n\r\t", "ünïcødé ☎ 🎧", "bad\xffutf8", "</script>&"}
	for _, name := range names {
		var m struct {
			Event     string `json:"event"`
			StreamSID string `json:"streamSid"`
			Mark      struct {
				Name string `json:"name"`
			} `json:"mark"`
			Media struct {
				Payload []byte `json:"payload"`
			} `json:"media"`
		}
		wantName := strings.ToValidUTF8(name, "\uFFFD")
		for _, msg := range [][]byte{AppendMark(nil, name, name), AppendMedia(nil, name, []byte(name)), AppendClear(nil, name)} {
			if err := json.Unmarshal(msg, &m); err != nil {
				t.Fatalf("%q: %s is not JSON: %v", name, msg, err)
			}
			if m.StreamSID != wantName {
				t.Errorf("streamSid round trip: got %q, want %q", m.StreamSID, wantName)
			}
		}
		if m.Mark.Name != wantName {
			t.Errorf("mark name round trip: got %q, want %q", m.Mark.Name, wantName)
		}
		if !bytes.Equal(m.Media.Payload, []byte(name)) {
			t.Errorf("payload round trip: got %q, want %q", m.Media.Payload, name)
		}
		if n := MediaLen(name, len(name)); n != len(AppendMedia(nil, name, []byte(name))) {
			t.Errorf("MediaLen(%q) = %d, want %d", name, n, len(AppendMedia(nil, name, []byte(name))))
		}
	}
}

func TestAppendMediaAllocs(t *testing.T) {
	payload := testPayload()
	buf := make([]byte, 0, MediaLen(sid, len(payload)))
	allocs := testing.AllocsPerRun(200, func() {
		buf = AppendMedia(buf[:0], sid, payload)
	})
	if allocs != 0 {
		t.Errorf("AppendMedia into a sized buffer allocates %v times, want 0", allocs)
	}
}

func BenchmarkParseMedia(b *testing.B) {
	msg := readFile(b, "inbound/media.json")
	var (
		p  Parser
		in Inbound
	)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Parse(msg, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseMediaSlow measures what the fast path saves.
func BenchmarkParseMediaSlow(b *testing.B) {
	msg := readFile(b, "inbound/media.json")
	var (
		p  Parser
		in Inbound
	)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.parseSlow(msg, &in, DefaultMaxPayload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendMedia(b *testing.B) {
	payload := testPayload()
	buf := make([]byte, 0, MediaLen(sid, len(payload)))
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMedia(buf[:0], sid, payload)
	}
}

// FuzzParse checks that Parse never panics, that success always names an
// event, and that the fast path reads every message exactly as the
// encoding/json path does, even when the Inbound is reused.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"connected", "start", "media", "dtmf", "mark", "stop"} {
		f.Add(readFile(f, filepath.Join("inbound", name+".json")))
	}
	primer := readFile(f, "inbound/media.json")
	p := Parser{MaxPayload: 512}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var reused Inbound
		if err := p.Parse(primer, &reused); err != nil {
			t.Fatal(err)
		}
		err := p.Parse(msg, &reused)

		var ref Inbound
		refErr := p.parseSlow(msg, &ref, p.maxPayload())
		if class(err) != class(refErr) {
			t.Fatalf("Parse error %v, reference %v", err, refErr)
		}
		if err != nil {
			if reused.Event != KindUnknown {
				t.Fatalf("Event = %v after error %v", reused.Event, err)
			}
			return
		}
		if reused.Event == KindUnknown {
			t.Fatal("success without an event")
		}
		if !equalInbound(&reused, &ref) {
			t.Fatalf("Parse  %+v\nreference %+v", reused, ref)
		}
		if len(reused.Media.Payload) > p.MaxPayload {
			t.Fatalf("payload of %d bytes passed a %d limit", len(reused.Media.Payload), p.MaxPayload)
		}
	})
}

func class(err error) error {
	for _, s := range []error{ErrMalformed, ErrUnknownEvent, ErrBadPayload, ErrTooLarge} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// equalInbound compares two messages, treating a nil and an empty payload
// as equal.
func equalInbound(a, b *Inbound) bool {
	if !bytes.Equal(a.Media.Payload, b.Media.Payload) {
		return false
	}
	x, y := *a, *b
	x.Media.Payload, y.Media.Payload = nil, nil
	return reflect.DeepEqual(x, y)
}
