package voice

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrNoSpeech reports a sample with too little voiced audio to measure.
var ErrNoSpeech = errors.New("voice: too little voiced speech in the sample")

// Analysis is what Analyze measures in a speech sample.
type Analysis struct {
	// F0 is the median fundamental frequency of the voiced frames, in Hz.
	F0 float64
	// SyllablesPerSecond is the count of syllable nuclei (peaks of the
	// energy envelope) per second of speech, pauses excluded.
	SyllablesPerSecond float64
	// VoicedFrames is how many 10 ms frames had a pitch.
	VoicedFrames int
}

// Pitch search range: below 60 Hz is creak, above 400 Hz is not speech f0.
const (
	minF0, maxF0 = 60.0, 400.0
	hopMs        = 10
	windowMs     = 40
	// voicedCorr is the normalized autocorrelation a frame's best lag must
	// reach to count as voiced.
	voicedCorr = 0.6
	// minVoiced frames (0.3 s) are needed for a median worth trusting.
	minVoiced = 30
)

// Analyze estimates the median pitch and the speaking rate of mono PCM16
// speech at sampleRate (8–48 kHz; 16 kHz is typical).
//
// Pitch is found per 40 ms window (10 ms hop) by normalized
// autocorrelation of the low-passed signal over lags of 60–400 Hz; the
// shortest lag whose correlation is within 10 % of the best is taken, which
// avoids the usual octave-down errors. Windows quieter than 35 dB under the
// loudest, or whose best correlation is under 0.6, are unvoiced. The rate
// counts syllable nuclei: peaks of the smoothed energy envelope that stand
// 3 dB above the dip before them, at least 100 ms apart, divided by the
// time spent speaking (pauses of 250 ms or more are left out).
func Analyze(pcm []int16, sampleRate int) (Analysis, error) {
	if sampleRate < 8000 || sampleRate > 48000 {
		return Analysis{}, fmt.Errorf("voice: sample rate %d outside 8000–48000", sampleRate)
	}
	x := lowpass(pcm, sampleRate, 900)
	hop := sampleRate * hopMs / 1000
	win := sampleRate * windowMs / 1000
	nFrames := (len(x) - win) / hop
	if nFrames < minVoiced {
		return Analysis{}, ErrNoSpeech
	}
	// Frame energies in dB, of the full-band signal.
	energy := make([]float64, nFrames)
	loudest := math.Inf(-1)
	for i := range energy {
		var e float64
		for _, s := range pcm[i*hop : i*hop+win] {
			e += float64(s) * float64(s)
		}
		energy[i] = 10 * math.Log10(e/float64(win)+1)
		loudest = max(loudest, energy[i])
	}
	minLag := int(float64(sampleRate) / maxF0)
	maxLag := int(float64(sampleRate) / minF0)
	var f0s []float64
	corr := make([]float64, maxLag+1)
	for i := range nFrames {
		if energy[i] < loudest-35 || energy[i] < 30 {
			continue
		}
		start := i * hop
		if start+win+maxLag > len(x) {
			break
		}
		frame := x[start : start+win]
		best := 0.0
		for lag := minLag; lag <= maxLag; lag++ {
			other := x[start+lag : start+lag+win]
			var num, e0, e1 float64
			for k, v := range frame {
				num += v * other[k]
				e0 += v * v
				e1 += other[k] * other[k]
			}
			c := 0.0
			if e0 > 0 && e1 > 0 {
				c = num / math.Sqrt(e0*e1)
			}
			corr[lag] = c
			best = max(best, c)
		}
		if best < voicedCorr {
			continue
		}
		for lag := minLag + 1; lag < maxLag; lag++ {
			if corr[lag] >= 0.9*best && corr[lag] >= corr[lag-1] && corr[lag] >= corr[lag+1] {
				f0s = append(f0s, float64(sampleRate)/parabolicLag(corr, lag))
				break
			}
		}
	}
	if len(f0s) < minVoiced {
		return Analysis{VoicedFrames: len(f0s)}, ErrNoSpeech
	}
	slices.Sort(f0s)
	a := Analysis{F0: f0s[len(f0s)/2], VoicedFrames: len(f0s)}
	a.SyllablesPerSecond = syllableRate(energy, loudest)
	return a, nil
}

// parabolicLag refines an integer autocorrelation peak to a fractional lag.
func parabolicLag(c []float64, lag int) float64 {
	a, b, d := c[lag-1], c[lag], c[lag+1]
	den := a - 2*b + d
	if den == 0 {
		return float64(lag)
	}
	off := 0.5 * (a - d) / den
	if off < -0.5 || off > 0.5 {
		return float64(lag)
	}
	return float64(lag) + off
}

// lowpass removes DC and applies two one-pole low-pass sections at cutoff Hz, which keeps
// the fundamental and weakens the formants that confuse autocorrelation.
func lowpass(pcm []int16, rate int, cutoff float64) []float64 {
	alpha := 1 - math.Exp(-2*math.Pi*cutoff/float64(rate))
	out := make([]float64, len(pcm))
	var prev, dc, y1, y2 float64
	for i, s := range pcm {
		// A DC blocker first: an offset correlates with itself at every lag.
		dc = float64(s) - prev + 0.995*dc
		prev = float64(s)
		y1 += alpha * (dc - y1)
		y2 += alpha * (y1 - y2)
		out[i] = y2
	}
	return out
}

func syllableRate(energy []float64, loudest float64) float64 {
	// Smooth over 50 ms.
	sm := make([]float64, len(energy))
	for i := range energy {
		var sum float64
		n := 0
		for k := max(0, i-2); k <= min(len(energy)-1, i+2); k++ {
			sum += energy[k]
			n++
		}
		sm[i] = sum / float64(n)
	}
	speechFloor := loudest - 25
	peaks := 0
	lastPeak := -100
	dip := math.Inf(1)
	for i := 1; i+1 < len(sm); i++ {
		dip = min(dip, sm[i])
		if sm[i] > speechFloor && sm[i] >= sm[i-1] && sm[i] > sm[i+1] && sm[i]-dip >= 3 && i-lastPeak >= 100/hopMs {
			peaks++
			lastPeak = i
			dip = sm[i]
		}
	}
	// Speaking time: frames above the floor, plus gaps shorter than 250 ms.
	speaking, gap := 0, 0
	started := false
	for _, e := range sm {
		if e > speechFloor {
			if started && gap < 250/hopMs {
				speaking += gap
			}
			speaking++
			gap = 0
			started = true
		} else if started {
			gap++
		}
	}
	if speaking == 0 {
		return 0
	}
	return float64(peaks) / (float64(speaking) * hopMs / 1000)
}

// Base is a built-in voice with its own measured pitch and rate.
type Base struct {
	ID                 string
	F0                 float64
	SyllablesPerSecond float64
}

// Fitted is the recipe Fit chooses.
type Fitted struct {
	BaseVoice string
	Pitch     float64 // semitones
	Speed     float64
}

// Pitch and speed limits of a fitted voice: within these the embedded
// engine stays natural enough to be worth it.
const (
	maxFitPitch              = 12.0
	minFitSpeed, maxFitSpeed = 0.5, 2.0
)

// Fit picks the base voice whose pitch is nearest to the sample's (in
// semitones) and the pitch offset and speed that move it onto the sample.
func Fit(sample Analysis, bases []Base) (Fitted, error) {
	if len(bases) == 0 || sample.F0 <= 0 {
		return Fitted{}, errors.New("voice: nothing to fit")
	}
	var best Base
	bestDist := math.Inf(1)
	for _, b := range bases {
		if b.F0 <= 0 {
			continue
		}
		d := math.Abs(semitones(sample.F0, b.F0))
		if d < bestDist {
			best, bestDist = b, d
		}
	}
	if best.ID == "" {
		return Fitted{}, errors.New("voice: no base voice has a pitch")
	}
	f := Fitted{BaseVoice: best.ID, Speed: 1}
	f.Pitch = round2(math.Max(-maxFitPitch, math.Min(maxFitPitch, semitones(sample.F0, best.F0))))
	if sample.SyllablesPerSecond > 0 && best.SyllablesPerSecond > 0 {
		f.Speed = round2(math.Max(minFitSpeed, math.Min(maxFitSpeed, sample.SyllablesPerSecond/best.SyllablesPerSecond)))
	}
	return f, nil
}

func semitones(f, ref float64) float64 { return 12 * math.Log2(f/ref) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }
