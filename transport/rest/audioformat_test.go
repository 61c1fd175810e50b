package rest

import (
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/audio/wav"
)

// FuzzDecodeAudio feeds arbitrary uploads to the format detector and
// decoders: whatever the bytes, the answer is audio or a Problem, never a
// panic.
func FuzzDecodeAudio(f *testing.F) {
	pcm := make([]int16, 1600)
	for i := range pcm {
		pcm[i] = int16(i * 37)
	}
	w, _ := wav.EncodePCM16(pcm, 8000, 1)
	f.Add(w, "")
	f.Add([]byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead"), "")
	f.Add([]byte{0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0}, "")
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), "")
	f.Add([]byte{1, 2, 3, 4}, "pcm16")
	f.Add([]byte{0xFF, 0x7F}, "mulaw")
	f.Fuzz(func(t *testing.T, data []byte, encoding string) {
		h, _ := hintFromRequest(encoding, "", "")
		a, p := decodeAudio(data, h, time.Second, "file")
		if (a == nil) == (p == nil) {
			t.Fatalf("decodeAudio returned audio %v and problem %v", a != nil, p)
		}
		if a != nil && len(a.PCM) == 0 {
			t.Fatal("audio with no samples")
		}
	})
}

func TestEncodeAllFormats(t *testing.T) {
	for _, f := range []string{formatWAV, formatMP3, formatOpus, formatPCM, formatMulaw} {
		rate := 24000
		if f == formatMulaw {
			rate = 8000
		}
		pcm := make([]int16, rate/5)
		out, err := encodeAll(f, rate, pcm)
		if err != nil || len(out) == 0 {
			t.Fatalf("%s: %d bytes, %v", f, len(out), err)
		}
		h, _ := hintFromRequest(map[string]string{formatPCM: "pcm16", formatMulaw: "mulaw"}[f], map[string]string{formatPCM: "24000"}[f], "")
		a, p := decodeAudio(out, h, time.Second, "file")
		if p != nil {
			t.Fatalf("%s does not decode back: %v", f, p)
		}
		// 200 ms at 16 kHz, give or take codec delay and padding.
		if len(a.PCM) < 3000 || len(a.PCM) > 5000 {
			t.Fatalf("%s decodes to %d samples at 16 kHz", f, len(a.PCM))
		}
	}
}
