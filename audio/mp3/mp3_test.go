package mp3

import (
	"math"
	"testing"
)

func tone(rate int, hz float64, d float64) []int16 {
	out := make([]int16, int(float64(rate)*d))
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, rate := range []int{8000, 16000, 24000, 44100, 48000} {
		t.Run("", func(t *testing.T) {
			enc, err := NewEncoder(rate, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			in := tone(rate, 440, 1)
			var out []byte
			buf := make([]byte, MaxOut(rate/50))
			for i := 0; i < len(in); i += rate / 50 {
				n, err := enc.Encode(buf, in[i:min(i+rate/50, len(in))])
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, buf[:n]...)
			}
			n, err := enc.Flush(buf)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, buf[:n]...)
			if !Sniff(out) {
				t.Fatalf("encoded stream does not start with a frame sync: % x", out[:4])
			}
			if rate < 16000 {
				return // MPEG-2.5, which the decoder does not read
			}
			pcm, got, err := Decode(out, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got != rate {
				t.Fatalf("decoded rate %d, want %d", got, rate)
			}
			// MP3 adds encoder delay and padding but keeps the length within
			// a few frames.
			if d := len(pcm) - len(in); d < 0 || d > 4*1152 {
				t.Fatalf("decoded %d samples from %d", len(pcm), len(in))
			}
			// The tone survives: energy in the middle is close to the input's.
			var e float64
			mid := pcm[len(pcm)/4 : len(pcm)*3/4]
			for _, s := range mid {
				e += float64(s) * float64(s)
			}
			rms := math.Sqrt(e / float64(len(mid)))
			if want := 8000 / math.Sqrt2; math.Abs(rms-want) > want*0.15 {
				t.Fatalf("decoded RMS %.0f, want about %.0f", rms, want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := NewEncoder(22000, 0); err == nil {
		t.Fatal("22000 Hz accepted")
	}
	if _, err := NewEncoder(16000, 1000); err == nil {
		t.Fatal("1000 kbit/s accepted")
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("ID3"), []byte("not audio at all, just words"), {0xFF, 0xFB, 0x90, 0x00}} {
		if _, _, err := Decode(in, 0); err == nil {
			t.Fatalf("decoded garbage %q", in)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0xFF, 0xFB, 0x90, 0x64, 0, 0, 0})
	f.Add([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = Decode(data, 1<<20)
	})
}
