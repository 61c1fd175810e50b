package opus

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

// bestLag searches ±1 ms around the nominal codec delay for the lag with the
// highest correlation: SILK's true delay is a few samples off the lookahead.
func bestLag(ref, out []int16, rate int) (lag int, corr float64) {
	nominal := PreSkip48k * rate / 48000
	for l := nominal - rate/1000; l <= nominal+rate/1000; l++ {
		if c := correlation(ref, out, l); c > corr {
			lag, corr = l, c
		}
	}
	return lag, corr
}

func TestRoundTripSpeech(t *testing.T) {
	for _, rate := range []int{8000, 16000, 24000, 48000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			pcm := speech(t, rate)
			enc, err := NewEncoder(Config{SampleRate: rate})
			if err != nil {
				t.Fatal(err)
			}
			dec, err := NewDecoder(rate)
			if err != nil {
				t.Fatal(err)
			}
			out, packets := roundTrip(t, enc, dec, pcm)
			if want := len(pcm) / enc.FrameSamples() * enc.FrameSamples(); len(out) != want {
				t.Fatalf("decoded %d samples, want %d", len(out), want)
			}
			lag, corr := bestLag(pcm, out, rate)
			env := envelopeCorrelation(pcm, out, lag, rate/50)
			s := snr(pcm, out, lag)
			total := 0
			for _, p := range packets {
				total += len(p)
			}
			kbps := float64(total*8) / (float64(len(packets)) * 20)
			t.Logf("lag %d corr %.3f snr %.1f dB envelope %.3f %.1f kbit/s", lag, corr, s, env, kbps)
			if corr < 0.85 || env < 0.95 || s < 4 {
				t.Errorf("poor reconstruction: corr %.3f (want ≥0.85), envelope %.3f (≥0.95), snr %.1f dB (≥4)", corr, env, s)
			}
			if kbps > 1.2*DefaultBitrate/1000 {
				t.Errorf("%.1f kbit/s, configured %d", kbps, DefaultBitrate)
			}
		})
	}
}

func TestBitrateIsApplied(t *testing.T) {
	pcm := speech(t, 16000)
	size := func(bitrate int) int {
		enc, err := NewEncoder(Config{SampleRate: 16000, Bitrate: bitrate})
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := NewDecoder(16000)
		_, packets := roundTrip(t, enc, dec, pcm)
		n := 0
		for _, p := range packets {
			n += len(p)
		}
		return n
	}
	low, high := size(12000), size(48000)
	if high < 3*low {
		t.Fatalf("48 kbit/s produced %d bytes, 12 kbit/s %d: bitrate not applied", high, low)
	}
}

func TestFrameDurations(t *testing.T) {
	for _, d := range []time.Duration{2500 * time.Microsecond, 10 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond} {
		enc, err := NewEncoder(Config{SampleRate: 48000, FrameDuration: d})
		if err != nil {
			t.Fatal(err)
		}
		want := int(48000 * d / time.Second)
		if enc.FrameSamples() != want {
			t.Fatalf("%v: frame %d samples, want %d", d, enc.FrameSamples(), want)
		}
		pkt := make([]byte, MaxPacketBytes)
		n, err := enc.Encode(pkt, make([]int16, want))
		if err != nil {
			t.Fatal(err)
		}
		info, err := ParsePacket(pkt[:n])
		if err != nil {
			t.Fatal(err)
		}
		if info.Samples(48000) != want {
			t.Fatalf("%v: packet says %d samples, want %d", d, info.Samples(48000), want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"rate", Config{SampleRate: 44100}},
		{"frame", Config{SampleRate: 16000, FrameDuration: 30 * time.Millisecond}},
		{"bitrate", Config{SampleRate: 16000, Bitrate: 1000}},
		{"complexity", Config{SampleRate: 16000, Complexity: 11}},
		{"loss", Config{SampleRate: 16000, PacketLossPercent: 101}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewEncoder(tc.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
		})
	}
	if _, err := NewDecoder(11025); !errors.Is(err, ErrConfig) {
		t.Fatalf("decoder: got %v, want ErrConfig", err)
	}
}

func TestEncodeArgumentErrors(t *testing.T) {
	enc, err := NewEncoder(Config{SampleRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(make([]byte, 100), make([]int16, 319)); !errors.Is(err, ErrFrameSize) {
		t.Errorf("short frame: %v, want ErrFrameSize", err)
	}
	if _, err := enc.Encode(nil, make([]int16, 320)); !errors.Is(err, ErrBufferTooSmall) {
		t.Errorf("nil dst: %v, want ErrBufferTooSmall", err)
	}
}

func TestConceal(t *testing.T) {
	for _, d := range []time.Duration{20 * time.Millisecond, 40 * time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) {
			pcm := speech(t, 16000)
			enc, err := NewEncoder(Config{SampleRate: 16000, FrameDuration: d})
			if err != nil {
				t.Fatal(err)
			}
			dec, err := NewDecoder(16000)
			if err != nil {
				t.Fatal(err)
			}
			fs := enc.FrameSamples()
			// Decode into the middle of the utterance, then lose a packet.
			_, _ = roundTrip(t, enc, dec, pcm[:8000/fs*fs])
			dst := make([]int16, 5760)
			n, err := dec.Conceal(dst)
			if err != nil {
				t.Fatal(err)
			}
			if n != fs {
				t.Fatalf("concealed %d samples, want one frame of %d", n, fs)
			}
			if logEnergy(dst[:n]) < 1 {
				t.Errorf("concealment after speech is silent")
			}
			// An empty packet to Decode means the same thing.
			if n, err := dec.Decode(dst, nil); err != nil || n != fs {
				t.Fatalf("Decode(nil) = %d, %v; want %d", n, err, fs)
			}
			if _, err := dec.Conceal(dst[:fs-1]); !errors.Is(err, ErrBufferTooSmall) {
				t.Fatalf("short dst: %v, want ErrBufferTooSmall", err)
			}
		})
	}
	// Before any packet the decoder conceals 20 ms of silence.
	dec, _ := NewDecoder(8000)
	dst := make([]int16, 160)
	if n, err := dec.Conceal(dst); err != nil || n != 160 {
		t.Fatalf("fresh decoder: %d, %v; want 160", n, err)
	}
}

func TestDecodeFEC(t *testing.T) {
	pcm := speech(t, 16000)
	cfg := Config{SampleRate: 16000, FEC: true, PacketLossPercent: 20}
	enc, err := NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := NewDecoder(16000)
	ref, packets := roundTrip(t, enc, dec, pcm)

	// Replay the packets into fresh decoders, losing each voiced packet k
	// in turn, and compare recovery by FEC with recovery by concealment.
	const fs = 320
	var fecBetter, trials int
	for k := 20; k+1 < len(packets); k += 7 {
		if logEnergy(ref[k*fs:(k+1)*fs]) < 5 {
			continue // silence: nothing to recover
		}
		recover := func(useFEC bool) float64 {
			d, _ := NewDecoder(16000)
			buf := make([]int16, 5760)
			for _, p := range packets[:k] {
				if _, err := d.Decode(buf, p); err != nil {
					t.Fatal(err)
				}
			}
			var n int
			var err error
			if useFEC {
				n, err = d.DecodeFEC(buf, packets[k+1])
			} else {
				n, err = d.Conceal(buf)
			}
			if err != nil || n != fs {
				t.Fatalf("recovering packet %d: %d samples, %v", k, n, err)
			}
			return snr(ref[k*fs:(k+1)*fs], buf[:n], 0)
		}
		trials++
		if recover(true) > recover(false) {
			fecBetter++
		}
	}
	if trials < 5 {
		t.Fatalf("only %d voiced trials", trials)
	}
	t.Logf("FEC beat concealment in %d of %d lost packets", fecBetter, trials)
	if fecBetter*3 < trials*2 {
		t.Errorf("FEC beat concealment in only %d of %d lost packets", fecBetter, trials)
	}
}

func TestEncoderPoolResets(t *testing.T) {
	pcm := speech(t, 16000)
	cfg := Config{SampleRate: 16000}
	pool, err := NewEncoderPool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	encodeAll := func(e *Encoder) []byte {
		var all []byte
		pkt := make([]byte, MaxPacketBytes)
		for i := 0; i+320 <= 16000; i += 320 {
			n, err := e.Encode(pkt, pcm[i:i+320])
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, pkt[:n]...)
		}
		return all
	}
	fresh, _ := NewEncoder(cfg)
	want := encodeAll(fresh)

	e, err := pool.Get()
	if err != nil {
		t.Fatal(err)
	}
	encodeAll(e)
	_ = e.SetBitrateForTest(64000)
	pool.Put(e)
	e2, err := pool.Get()
	if err != nil {
		t.Fatal(err)
	}
	if got := encodeAll(e2); !bytes.Equal(got, want) {
		t.Fatalf("reused encoder output differs from a fresh encoder (%d vs %d bytes)", len(got), len(want))
	}
	other, _ := NewEncoder(Config{SampleRate: 8000})
	pool.Put(other) // wrong configuration: must be dropped, never handed out
	for range 10 {
		e, _ := pool.Get()
		if e.Config().SampleRate != 16000 {
			t.Fatalf("pool handed out an encoder of another configuration")
		}
	}
}

func TestNoAllocationsPerFrame(t *testing.T) {
	for _, rate := range []int{16000, 48000} {
		enc, err := NewEncoder(Config{SampleRate: rate})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := NewDecoder(rate)
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, enc.FrameSamples())
		for i := range pcm {
			pcm[i] = int16((i * 37 % 2000) - 1000)
		}
		pkt := make([]byte, MaxPacketBytes)
		out := make([]int16, 5760)
		n, err := enc.Encode(pkt, pcm)
		if err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(100, func() {
			if _, err := enc.Encode(pkt, pcm); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%d Hz Encode: %v allocations per frame", rate, a)
		}
		if a := testing.AllocsPerRun(100, func() {
			if _, err := dec.Decode(out, pkt[:n]); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%d Hz Decode: %v allocations per frame", rate, a)
		}
		if a := testing.AllocsPerRun(100, func() {
			if _, err := dec.Conceal(out); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%d Hz Conceal: %v allocations per frame", rate, a)
		}
	}
}
