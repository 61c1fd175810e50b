package vad

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrConfig is wrapped by the errors [New] returns for an invalid [Config].
var ErrConfig = errors.New("vad: invalid config")

// Kind says what an [Event] reports.
type Kind uint8

// Event kinds.
const (
	// None means nothing changed with this frame.
	None Kind = iota
	// SpeechStart means speech began; Event.At is the start of its first
	// voiced frame.
	SpeechStart
	// SpeechEnd means speech ended; Event.At is the end of its last voiced
	// frame.
	SpeechEnd
)

// String names the kind for logs and test output.
func (k Kind) String() string {
	switch k {
	case None:
		return "none"
	case SpeechStart:
		return "speech_start"
	case SpeechEnd:
		return "speech_end"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Event is what [Detector.Process] reports for a frame.
type Event struct {
	Kind Kind
	// At is the stream time of the change: time since the first sample given
	// to the detector (or since the last Reset), from sample counts.
	At time.Duration
}

// Config tunes a [Detector]. Start from [DefaultConfig].
type Config struct {
	// SampleRate of the PCM in Hz, 8000 to 48000.
	SampleRate int
	// StartDB is how far above the noise floor a frame's band energy must be
	// to count as voiced while not speaking.
	StartDB float64
	// StopDB is the same margin while speaking; lower than StartDB so that
	// quiet word endings stay voiced.
	StopDB float64
	// MinSpeech is how much consecutive voiced audio it takes to report
	// SpeechStart.
	MinSpeech time.Duration
	// MinSilence is how much consecutive unvoiced audio it takes to report
	// SpeechEnd (the hangover).
	MinSilence time.Duration
	// FloorWindow is the span over which the noise floor is the minimum
	// energy. Longer windows resist long stretches of speech; shorter ones
	// follow rising noise faster.
	FloorWindow time.Duration
	// MinFloorDB is the lowest noise floor in dBFS (0 dBFS is a full-scale
	// square wave), so that digital silence does not make the detector
	// infinitely sensitive.
	MinFloorDB float64
	// LowHz and HighHz are the edges of the analysed band.
	LowHz, HighHz float64
}

// DefaultConfig returns the settings the package's evaluation (flite speech
// in pink and brown noise, see eval_test.go) was tuned with, for the given
// sample rate. The margins are low because the floor is a minimum, a few dB
// under the mean noise level.
func DefaultConfig(sampleRate int) Config {
	return Config{
		SampleRate:  sampleRate,
		StartDB:     6,
		StopDB:      2.5,
		MinSpeech:   60 * time.Millisecond,
		MinSilence:  200 * time.Millisecond,
		FloorWindow: 3 * time.Second,
		MinFloorDB:  -65,
		LowHz:       300,
		HighHz:      3400,
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.SampleRate < 8000 || c.SampleRate > 48000 {
		errs = append(errs, fmt.Errorf("%w: sample rate %d Hz is outside 8000–48000", ErrConfig, c.SampleRate))
	}
	if c.StartDB <= 0 || c.StopDB <= 0 {
		errs = append(errs, fmt.Errorf("%w: StartDB and StopDB must be positive", ErrConfig))
	}
	if c.StopDB > c.StartDB {
		errs = append(errs, fmt.Errorf("%w: StopDB %.1f is above StartDB %.1f", ErrConfig, c.StopDB, c.StartDB))
	}
	if c.MinSpeech < 0 || c.MinSilence < 0 {
		errs = append(errs, fmt.Errorf("%w: MinSpeech and MinSilence must not be negative", ErrConfig))
	}
	if c.FloorWindow < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("%w: FloorWindow %v is under 100ms", ErrConfig, c.FloorWindow))
	}
	if c.LowHz <= 0 || c.HighHz <= c.LowHz {
		errs = append(errs, fmt.Errorf("%w: band %.0f–%.0f Hz is empty", ErrConfig, c.LowHz, c.HighHz))
	} else if c.SampleRate > 0 && c.LowHz >= float64(c.SampleRate)/2 {
		errs = append(errs, fmt.Errorf("%w: LowHz %.0f is not below Nyquist", ErrConfig, c.LowHz))
	}
	return errors.Join(errs...)
}

// floorSlots is how many sub-window minima make up the floor window. More
// slots make the floor leave a departed minimum more smoothly.
const floorSlots = 6

// biquad is a direct-form-I second-order section.
type biquad struct {
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
}

func (f *biquad) reset() { f.x1, f.x2, f.y1, f.y2 = 0, 0, 0, 0 }

// tinyState is far below anything audible (−400 dB of full scale) and far
// above the subnormal range.
const tinyState = 1e-20

// flush zeroes state that has decayed to nothing. Without it, digital
// silence (a phone line sends exact zeros) lets the recursion decay into
// subnormal floats, which x86 computes about a hundred times slower: under
// load this made the detector the most expensive thing in a call.
func (f *biquad) flush() {
	for _, v := range []*float64{&f.x1, &f.x2, &f.y1, &f.y2} {
		if math.Abs(*v) < tinyState {
			*v = 0
		}
	}
}

// Coefficients from the Audio EQ Cookbook (R. Bristow-Johnson), Q = 1/√2
// for a Butterworth response.
func newHighPass(rate, hz float64) biquad {
	w := 2 * math.Pi * hz / rate
	cw, alpha := math.Cos(w), math.Sin(w)/(2*math.Sqrt2/2)
	a0 := 1 + alpha
	return biquad{
		b0: (1 + cw) / 2 / a0, b1: -(1 + cw) / a0, b2: (1 + cw) / 2 / a0,
		a1: -2 * cw / a0, a2: (1 - alpha) / a0,
	}
}

func newLowPass(rate, hz float64) biquad {
	w := 2 * math.Pi * hz / rate
	cw, alpha := math.Cos(w), math.Sin(w)/(2*math.Sqrt2/2)
	a0 := 1 + alpha
	return biquad{
		b0: (1 - cw) / 2 / a0, b1: (1 - cw) / a0, b2: (1 - cw) / 2 / a0,
		a1: -2 * cw / a0, a2: (1 - alpha) / a0,
	}
}

// Detector is a voice activity detector for one stream.
type Detector struct {
	cfg       Config
	hp, lp    biquad
	lowPass   bool // false when HighHz is at or above Nyquist
	minFloor  float64
	minSpeech int64 // samples
	minSilent int64 // samples
	slotLen   int64 // samples per floor slot

	// Stream position and the analysis state that depends on it.
	pos      int64   // samples seen
	smooth   float64 // smoothed band power, linear
	slots    [floorSlots]float64
	slot     int     // index of the slot being filled
	slotFill int64   // samples in the current slot
	primed   bool    // smooth holds a value
	energyDB float64 // last frame's band energy in dBFS
	floorDB  float64 // noise floor used for the last frame

	voiced   bool
	speaking bool
	runStart int64 // first sample of the current voiced run
	runLen   int64 // samples in the current voiced run
	lastEnd  int64 // sample just after the last voiced frame
	silence  int64 // samples of the current unvoiced run
}

// New returns a detector for cfg.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rate := float64(cfg.SampleRate)
	d := &Detector{
		cfg:       cfg,
		hp:        newHighPass(rate, cfg.LowHz),
		minFloor:  cfg.MinFloorDB,
		minSpeech: samples(cfg.MinSpeech, cfg.SampleRate),
		minSilent: samples(cfg.MinSilence, cfg.SampleRate),
		slotLen:   samples(cfg.FloorWindow, cfg.SampleRate) / floorSlots,
	}
	// Near Nyquist the low-pass would only colour the band; 8 kHz audio is
	// already limited to 4 kHz by its sampling.
	if cfg.HighHz < 0.45*rate {
		d.lp = newLowPass(rate, cfg.HighHz)
		d.lowPass = true
	}
	d.Reset()
	return d, nil
}

func samples(dur time.Duration, rate int) int64 {
	return int64(dur) * int64(rate) / int64(time.Second)
}

// Config returns the configuration the detector runs with.
func (d *Detector) Config() Config { return d.cfg }

// Reset forgets the stream, including the noise floor, and restarts stream
// time at zero.
func (d *Detector) Reset() {
	d.hp.reset()
	d.lp.reset()
	d.pos = 0
	d.smooth = 0
	d.primed = false
	for i := range d.slots {
		d.slots[i] = math.Inf(1)
	}
	d.slot, d.slotFill = 0, 0
	d.energyDB, d.floorDB = math.Inf(-1), d.minFloor
	d.voiced, d.speaking = false, false
	d.runStart, d.runLen, d.lastEnd, d.silence = 0, 0, 0, 0
}

// Process analyses the next frame of the stream and reports whether speech
// started or ended with it. Frames of 10 or 20 ms suit it best; any length
// works, and stream time advances by len(frame) samples.
func (d *Detector) Process(frame []int16) Event {
	n := int64(len(frame))
	if n == 0 {
		return Event{}
	}
	start := d.pos
	d.pos += n

	power := d.bandPower(frame)
	d.energyDB = toDB(power)
	d.updateFloor(power, n)

	margin := d.cfg.StartDB
	if d.speaking || d.voiced {
		margin = d.cfg.StopDB
	}
	d.voiced = d.energyDB > d.floorDB+margin

	if d.voiced {
		if d.runLen == 0 {
			d.runStart = start
		}
		d.runLen += n
		d.silence = 0
		d.lastEnd = d.pos
		if !d.speaking && d.runLen >= d.minSpeech {
			d.speaking = true
			return Event{Kind: SpeechStart, At: d.at(d.runStart)}
		}
		return Event{}
	}
	d.runLen = 0
	if d.speaking {
		d.silence += n
		if d.silence >= d.minSilent {
			d.speaking = false
			return Event{Kind: SpeechEnd, At: d.at(d.lastEnd)}
		}
	}
	return Event{}
}

// bandPower filters the frame into the analysis band and returns its mean
// square, with full scale at 1.
func (d *Detector) bandPower(frame []int16) float64 {
	const scale = 1.0 / 32768
	hp, lp := d.hp, d.lp // locals keep the filter state in registers
	var sum float64
	for _, s := range frame {
		x := float64(s) * scale
		y := hp.b0*x + hp.b1*hp.x1 + hp.b2*hp.x2 - hp.a1*hp.y1 - hp.a2*hp.y2
		hp.x2, hp.x1, hp.y2, hp.y1 = hp.x1, x, hp.y1, y
		if d.lowPass {
			z := lp.b0*y + lp.b1*lp.x1 + lp.b2*lp.x2 - lp.a1*lp.y1 - lp.a2*lp.y2
			lp.x2, lp.x1, lp.y2, lp.y1 = lp.x1, y, lp.y1, z
			y = z
		}
		sum += y * y
	}
	hp.flush()
	lp.flush()
	d.hp, d.lp = hp, lp
	return sum / float64(len(frame))
}

// updateFloor feeds the frame power into the minimum-statistics tracker and
// sets floorDB for the decision on this frame.
func (d *Detector) updateFloor(power float64, n int64) {
	// Smoothing over ~40 ms narrows the spread of noise-only frame energies,
	// so that their minimum sits closer to their mean.
	if !d.primed {
		d.smooth, d.primed = power, true
	} else {
		a := math.Exp(-float64(n) / (0.04 * float64(d.cfg.SampleRate)))
		d.smooth = a*d.smooth + (1-a)*power
	}
	if d.smooth < d.slots[d.slot] {
		d.slots[d.slot] = d.smooth
	}
	d.slotFill += n
	if d.slotFill >= d.slotLen {
		d.slotFill = 0
		d.slot = (d.slot + 1) % floorSlots
		d.slots[d.slot] = math.Inf(1)
	}
	m := math.Inf(1)
	for _, v := range d.slots {
		m = min(m, v)
	}
	d.floorDB = max(toDB(m), d.minFloor)
}

func toDB(power float64) float64 {
	// The offset keeps digital silence finite; it is far below MinFloorDB.
	return 10 * math.Log10(power+1e-13)
}

func (d *Detector) at(sample int64) time.Duration {
	return time.Duration(sample * int64(time.Second) / int64(d.cfg.SampleRate))
}

// Voiced reports the decision for the last frame: whether its band energy was
// above the floor by the active margin. It does not wait for MinSpeech or
// MinSilence; use it for per-frame statistics, and the events for turns.
func (d *Detector) Voiced() bool { return d.voiced }

// Speaking reports whether the detector is between a SpeechStart and the
// SpeechEnd that follows it.
func (d *Detector) Speaking() bool { return d.speaking }

// EnergyDB returns the last frame's band energy in dBFS.
func (d *Detector) EnergyDB() float64 { return d.energyDB }

// NoiseFloorDB returns the noise floor the last frame was judged against,
// in dBFS.
func (d *Detector) NoiseFloorDB() float64 { return d.floorDB }

// Position returns the stream time reached: the end of the last frame.
func (d *Detector) Position() time.Duration { return d.at(d.pos) }
