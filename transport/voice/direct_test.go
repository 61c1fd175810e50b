package voice

import (
	"testing"
)

func TestParseClientMessage(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		rate int
	}{
		{`{"type":"start"}`, true, 16000},
		{`{"type":"start","audio":{"encoding":"opus","sampleRate":48000}}`, true, 48000},
		{`{"type":"start","audio":{"encoding":"pcm16","sampleRate":8000}}`, false, 0},
		{`{"type":"start","audio":{"encoding":"mp3"}}`, false, 0},
		{`{"type":"text","text":"hello"}`, true, 0},
		{`{"type":"text","text":""}`, false, 0},
		{`{"type":"cancel"}`, true, 0},
		{`{"type":"end"}`, true, 0},
		{`{"type":"dance"}`, false, 0},
		{`not json`, false, 0},
		{`{"type":"start","audio":{"sampleRate":"fast"}}`, false, 0},
	} {
		m, err := ParseClientMessage([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.in, err, tc.ok)
		}
		if tc.ok && tc.rate != 0 && m.Audio.SampleRate != tc.rate {
			t.Errorf("%s: rate %d, want %d", tc.in, m.Audio.SampleRate, tc.rate)
		}
	}
}

// FuzzParseClientMessage: any bytes give a valid message or an error,
// never a panic, and an accepted start always names a supported format.
func FuzzParseClientMessage(f *testing.F) {
	for _, s := range []string{`{"type":"start","audio":{"encoding":"pcm16","sampleRate":24000}}`, `{"type":"text","text":"hi"}`,
		`{"type":"end"}`, `{"type":"start","audio":{"encoding":"opus","sampleRate":1e99}}`, `{`, `[]`, `null`, "\x00\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseClientMessage(data)
		if err != nil {
			return
		}
		if m.Type == "start" {
			if m.Audio.Encoding != EncodingPCM16 && m.Audio.Encoding != EncodingOpus {
				t.Fatalf("accepted encoding %q", m.Audio.Encoding)
			}
			switch m.Audio.SampleRate {
			case 16000, 24000, 48000:
			default:
				t.Fatalf("accepted rate %d", m.Audio.SampleRate)
			}
		}
	})
}
