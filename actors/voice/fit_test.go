package voice

import (
	"math"
	"testing"
)

// vowelish is a harmonic-rich tone at f0 whose loudness rises and falls
// syll times a second, like a string of syllables, with a pause in the
// middle that must not count as speaking time.
func vowelish(rate int, f0, syll, seconds float64) []int16 {
	n := int(float64(rate) * seconds)
	out := make([]int16, 0, n+rate/2)
	for i := range n {
		t := float64(i) / float64(rate)
		var v float64
		for h := 1; h <= 8; h++ {
			v += math.Sin(2*math.Pi*f0*float64(h)*t) / float64(h)
		}
		env := 0.55 - 0.45*math.Cos(2*math.Pi*syll*t)
		out = append(out, int16(6000*v*env))
		if i == n/2 {
			out = append(out, make([]int16, rate/2)...) // a 500 ms pause
		}
	}
	return out
}

func TestAnalyze(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     int
		f0, syll float64
	}{
		{"low male 16k", 16000, 105, 4},
		{"female 16k", 16000, 210, 5},
		{"child 24k", 24000, 300, 3},
		{"male 8k", 8000, 120, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Analyze(vowelish(tc.rate, tc.f0, tc.syll, 4), tc.rate)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(semitones(a.F0, tc.f0)) > 0.5 {
				t.Errorf("f0 = %.1f Hz, want %.1f", a.F0, tc.f0)
			}
			if math.Abs(a.SyllablesPerSecond-tc.syll) > 0.2*tc.syll {
				t.Errorf("rate = %.2f syll/s, want %.1f", a.SyllablesPerSecond, tc.syll)
			}
		})
	}
}

func TestAnalyzeSilence(t *testing.T) {
	if _, err := Analyze(make([]int16, 32000), 16000); err == nil {
		t.Fatal("silence has a pitch")
	}
	noise := make([]int16, 32000)
	x := uint32(1)
	for i := range noise {
		x = x*1664525 + 1013904223
		noise[i] = int16(x>>16) / 4
	}
	if _, err := Analyze(noise, 16000); err == nil {
		t.Fatal("white noise has a pitch")
	}
	for i := range noise {
		noise[i] = noise[i]/2 + 8000 // an offset must not look periodic
	}
	if _, err := Analyze(noise, 16000); err == nil {
		t.Fatal("noise with a DC offset has a pitch")
	}
}

func TestFit(t *testing.T) {
	bases := []Base{{"m1", 100, 4}, {"f1", 180, 4.5}, {"m2", 120, 5}}
	for _, tc := range []struct {
		sample Analysis
		base   string
		pitch  float64
		speed  float64
	}{
		{Analysis{F0: 200, SyllablesPerSecond: 4.5}, "f1", 1.82, 1},
		{Analysis{F0: 95, SyllablesPerSecond: 6}, "m1", -0.89, 1.5},
		{Analysis{F0: 125, SyllablesPerSecond: 20}, "m2", 0.71, 2},
	} {
		f, err := Fit(tc.sample, bases)
		if err != nil {
			t.Fatal(err)
		}
		if f.BaseVoice != tc.base || math.Abs(f.Pitch-tc.pitch) > 0.011 || f.Speed != tc.speed {
			t.Errorf("Fit(%+v) = %+v, want %s %.2f %.2f", tc.sample, f, tc.base, tc.pitch, tc.speed)
		}
	}
}
