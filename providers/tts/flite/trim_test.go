package flite

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// signal returns lead ms of low noise, body ms of a 200 Hz tone and tail ms
// of low noise at 16 kHz, like a flite sentence with its pauses.
func signal(lead, body, tail int) []int16 {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []int16
	noise := func(ms int) {
		for range 16 * ms {
			out = append(out, int16(rng.IntN(41)-20))
		}
	}
	noise(lead)
	for i := range 16 * body {
		out = append(out, int16(8000*math.Sin(2*math.Pi*200*float64(i)/16000)))
	}
	noise(tail)
	return out
}

// runTrimmer pushes pcm in pieces of the given sizes (cycled) and returns
// everything released, checking that releases are contiguous.
func runTrimmer(t *testing.T, pcm []int16, sizes []int, padTo int) []int16 {
	t.Helper()
	tr := newTrimmer(16000, silenceRMS, keepMs, tailMs)
	var out []int16
	next := -1
	take := func(p []int16, at int) {
		if len(p) == 0 {
			return
		}
		if next >= 0 && at != next {
			t.Fatalf("release at %d, want contiguous at %d", at, next)
		}
		next = at + len(p)
		out = append(out, p...)
	}
	for i, k := 0, 0; i < len(pcm); k++ {
		n := min(sizes[k%len(sizes)], len(pcm)-i)
		take(tr.push(pcm[i : i+n]))
		i += n
	}
	take(tr.finish(padTo))
	return out
}

func TestTrimmer(t *testing.T) {
	const ms = 16
	pcm := signal(200, 500, 300)
	tests := []struct {
		name  string
		sizes []int
	}{
		{"one piece", []int{len(pcm)}},
		{"frame sized", []int{160}},
		{"odd pieces", []int{1, 7, 333, 80, 1000}},
		{"flite sized", []int{800, 960}},
	}
	var first []int16
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := runTrimmer(t, pcm, tt.sizes, 0)
			if first == nil {
				first = out
			} else if !slices.Equal(out, first) {
				t.Fatalf("output depends on how the input was cut: %d vs %d samples", len(out), len(first))
			}
			// The tone starts at 200 ms; the kept lead-in is keepMs (the
			// onset frame is found on a 10 ms grid).
			if got := len(out) - 500*ms - tailMs*ms; got < keepMs*ms || got > keepMs*ms+10*ms {
				t.Errorf("kept %d samples of lead-in, want %d..%d", got, keepMs*ms, keepMs*ms+10*ms)
			}
			if !slices.Equal(out[len(out)-tailMs*ms-500*ms:len(out)-tailMs*ms], pcm[200*ms:700*ms]) {
				t.Error("the speech itself was altered")
			}
		})
	}
}

func TestTrimmerPadsPause(t *testing.T) {
	const ms = 16
	pcm := signal(100, 300, 20)
	out := runTrimmer(t, pcm, []int{500}, 250*ms)
	// Speech ends at 400 ms; the pause extends 250 ms past it.
	trailing := out[len(out)-(250*ms-20*ms):]
	for i, s := range trailing {
		if s != 0 {
			t.Fatalf("padding sample %d = %d, want silence", i, s)
		}
	}
	if got, want := len(out), (keepMs+300+250)*ms; got != want {
		t.Errorf("got %d samples, want %d", got, want)
	}
}

func TestTrimmerSilenceOnly(t *testing.T) {
	out := runTrimmer(t, signal(300, 0, 300), []int{800}, 4000)
	if len(out) != 0 {
		t.Errorf("silence produced %d samples, want none", len(out))
	}
}
