package dtmf

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors.
var (
	ErrUnknownDigit = errors.New("dtmf: unknown digit")
	ErrSampleRate   = errors.New("dtmf: unsupported sample rate")
)

// Q.23 frequencies: the row (low group) and column (high group) of each
// key.
var (
	lowFreqs  = [4]float64{697, 770, 852, 941}
	highFreqs = [4]float64{1209, 1336, 1477, 1633}
	keypad    = [4][4]byte{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
)

const (
	windowMs  = 20
	hops      = 2 // windows overlap by half: a new one completes every 10 ms
	minOn     = 3 // consecutive windows to accept a digit (≈ 40 ms of tone)
	minOff    = 3 // consecutive windows without it to re-arm
	nFilters  = 16
	twistDB   = 8.0
	groupDB   = 6.0
	energyMin = 0.80 // share of window energy in the two tones
	harmMax   = 0.10 // second-harmonic energy relative to the tones
	// floorAmp is the smallest accepted amplitude of each tone, as a
	// fraction of full scale (about -44 dBFS).
	floorAmp = 0.006
)

// lookup finds a digit's row and column.
func lookup(d byte) (row, col int, ok bool) {
	for r := range keypad {
		for c := range keypad[r] {
			if keypad[r][c] == d {
				return r, c, true
			}
		}
	}
	return 0, 0, false
}

// Generate fills dst with the dual tone of digit at sampleRate, each of the
// two sinusoids at the given peak amplitude (so the sum peaks at twice it).
func Generate(dst []int16, digit byte, sampleRate int, amplitude int16) error {
	r, c, ok := lookup(digit)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownDigit, digit)
	}
	if sampleRate <= 0 {
		return fmt.Errorf("%w: %d", ErrSampleRate, sampleRate)
	}
	wl := 2 * math.Pi * lowFreqs[r] / float64(sampleRate)
	wh := 2 * math.Pi * highFreqs[c] / float64(sampleRate)
	a := float64(amplitude)
	for i := range dst {
		v := a * (math.Sin(wl*float64(i)) + math.Sin(wh*float64(i)))
		dst[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return nil
}

// window is one running 20 ms Goertzel analysis.
type window struct {
	s1, s2 [nFilters]float32
	energy float32
	n      int
}

// Detector finds DTMF digits in a stream of frames.
type Detector struct {
	coef   [nFilters]float32 // 2cos(ω): 8 tones, then their second harmonics
	length int               // samples per window
	win    [hops]window      // staggered by length/hops samples

	cand    byte // digit seen in the latest windows, 0 for none
	on, off int  // consecutive windows with cand / without any accepted digit
	armed   bool // false while the reported digit is still held

	// pending holds digits found but not yet returned. A digit needs at
	// least 70 ms (40 on, 30 off), so 16 covers frames of a second.
	pending [16]byte
	npend   int
}

// NewDetector returns a Detector for 8000 or 16000 Hz audio.
func NewDetector(sampleRate int) (*Detector, error) {
	if sampleRate != 8000 && sampleRate != 16000 {
		return nil, fmt.Errorf("%w: %d Hz (want 8000 or 16000)", ErrSampleRate, sampleRate)
	}
	d := &Detector{length: sampleRate * windowMs / 1000, armed: true}
	for i, f := range append(lowFreqs[:], highFreqs[:]...) {
		d.coef[i] = float32(2 * math.Cos(2*math.Pi*f/float64(sampleRate)))
		d.coef[i+8] = float32(2 * math.Cos(2*math.Pi*2*f/float64(sampleRate)))
	}
	// The second window starts half a window late.
	d.win[1].n = d.length - d.length/hops
	return d, nil
}

// Reset forgets all state, as if the Detector were new.
func (d *Detector) Reset() {
	for i := range d.win {
		d.win[i] = window{}
	}
	d.win[1].n = d.length - d.length/hops
	d.cand, d.on, d.off, d.armed, d.npend = 0, 0, 0, true, 0
}

// Process analyses the next frame of the stream (any length; 20 ms is
// typical) and reports a digit when one has just been recognised. If a long
// frame completes more than one digit, the others are returned by the
// following calls (Process(nil) drains them). Frames longer than a second
// may lose digits beyond the sixteenth queued.
func (d *Detector) Process(frame []int16) (digit byte, ok bool) {
	for len(frame) > 0 {
		// Run both windows up to the next window boundary.
		n := len(frame)
		for i := range d.win {
			n = min(n, d.length-d.win[i].n)
		}
		chunk := frame[:n]
		frame = frame[n:]
		for i := range d.win {
			w := &d.win[i]
			d.feed(w, chunk)
			if w.n == d.length {
				d.decide(d.classify(w))
				*w = window{}
			}
		}
	}
	if d.npend == 0 {
		return 0, false
	}
	digit = d.pending[0]
	copy(d.pending[:], d.pending[1:d.npend])
	d.npend--
	return digit, true
}

// quietEnergy is the mean square below which samples are too quiet to
// matter: −60 dBFS, 16 dB under the weakest tone accepted.
const quietEnergy = 1e-6

// feed runs the Goertzel recurrences over samples. While a window has heard
// nothing but near-silence its filter state is zero, and running the
// recurrences over more near-silence would leave it within −60 dB of zero:
// such chunks only advance the window. This makes silence — most of a
// call — nearly free.
func (d *Detector) feed(w *window, samples []int16) {
	if w.energy == 0 {
		var e int64
		for _, v := range samples {
			e += int64(v) * int64(v)
		}
		if float32(e)/(32768*32768) < quietEnergy*float32(len(samples)) {
			w.n += len(samples)
			return
		}
	}
	s1, s2 := w.s1, w.s2
	e := w.energy
	for _, v := range samples {
		x := float32(v) * (1.0 / 32768)
		e += x * x
		for k := range nFilters {
			s := x + d.coef[k]*s1[k] - s2[k]
			s2[k] = s1[k]
			s1[k] = s
		}
	}
	w.s1, w.s2, w.energy = s1, s2, e
	w.n += len(samples)
}

// classify applies the acceptance rules to a finished window and returns
// the digit it holds, or 0.
func (d *Detector) classify(w *window) byte {
	var p [nFilters]float32
	for k := range nFilters {
		// |X(ω)|² from the Goertzel state.
		p[k] = w.s1[k]*w.s1[k] + w.s2[k]*w.s2[k] - d.coef[k]*w.s1[k]*w.s2[k]
	}
	r := strongest(p[0:4])
	c := strongest(p[4:8])
	pl, ph := p[r], p[4+c]
	// A sinusoid of amplitude a over N samples gives |X|² ≈ (aN/2)²; its
	// energy is a²N/2. So tone energy = 2|X|²/N.
	nf := float32(d.length)
	floor := floorAmp * nf / 2
	if pl < floor*floor || ph < floor*floor {
		return 0
	}
	twist := float32(math.Pow(10, twistDB/10))
	if ph > pl*twist || pl > ph*twist {
		return 0
	}
	group := float32(math.Pow(10, groupDB/10))
	for k := range 4 {
		if k != r && p[k]*group > pl {
			return 0
		}
		if k != c && p[4+k]*group > ph {
			return 0
		}
	}
	tones := 2 * (pl + ph) / nf
	if tones < energyMin*w.energy {
		return 0
	}
	if 2*(p[8+r]+p[12+c])/nf > harmMax*tones {
		return 0
	}
	return keypad[r][c]
}

func strongest(p []float32) int {
	best := 0
	for i := 1; i < len(p); i++ {
		if p[i] > p[best] {
			best = i
		}
	}
	return best
}

// decide runs the duration and debounce state machine on one window's
// verdict.
func (d *Detector) decide(got byte) {
	if got == 0 {
		d.on = 0
		d.cand = 0
		if d.off++; d.off >= minOff {
			d.armed = true
		}
		return
	}
	if got != d.cand {
		// A different key (or the first window of one): start counting.
		// A new key re-arms at once; dropouts of the same key do not.
		if d.cand != 0 {
			d.armed = true
		}
		d.cand, d.on = got, 0
	}
	d.off = 0
	if d.on++; d.on == minOn && d.armed {
		d.armed = false
		if d.npend < len(d.pending) {
			d.pending[d.npend] = got
			d.npend++
		}
	}
}
